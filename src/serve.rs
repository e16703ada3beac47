//! `genlab serve`: the project's own static file server for the site.
//!
//! Serves `dir` at `/` and, when given, the wasm-bindgen output `pkg` at `/pkg/`. Content types
//! come from the file extension (`.wasm` → `application/wasm`); `isolate` adds the COOP/COEP
//! headers that threaded wasm needs. A request path is percent-decoded and must stay inside its
//! root after symlinks are resolved, so `..` can never reach outside the site.
//!
//! HTTP/1.1 comes from hyper on a small tokio runtime: every connection is its own task, so
//! browsers' idle keep-alive connections never hold up a new one.
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use hyper::{Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub dir: PathBuf,
    pub pkg: Option<PathBuf>,
    pub host: String,
    pub port: u16,
    pub isolate: bool,
}

/// Resolves a URL path to a file under `root`, or `None` when it does not exist or would leave
/// the root. A directory resolves to its `index.html`.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let mut full = root.join(relative).canonicalize().ok()?;
    if full.is_dir() {
        full = full.join("index.html").canonicalize().ok()?;
    }
    (full.starts_with(&root) && full.is_file()).then_some(full)
}

/// A bound server, ready to [`Site::run`].
pub struct Site {
    listener: std::net::TcpListener,
    opts: Arc<ServeOptions>,
}

impl Site {
    pub fn bind(opts: ServeOptions) -> Result<Self, String> {
        if !opts.dir.is_dir() {
            return Err(format!(
                "site folder {} does not exist; run `make build` first",
                opts.dir.display()
            ));
        }
        let listener = std::net::TcpListener::bind((opts.host.as_str(), opts.port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("cannot listen on {}:{}: {e}", opts.host, opts.port))?;
        Ok(Self {
            listener,
            opts: Arc::new(opts),
        })
    }

    /// The address actually bound (the port is chosen by the OS when 0 was asked).
    pub fn url(&self) -> String {
        match self.listener.local_addr() {
            Ok(a) => format!("http://{a}/"),
            Err(_) => "http://unknown/".into(),
        }
    }

    /// Serves requests until the process ends (or the runtime cannot start, which is returned).
    pub fn run(self) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_io()
            .build()
            .map_err(|e| format!("cannot start the server runtime: {e}"))?;
        runtime.block_on(async move {
            let listener =
                tokio::net::TcpListener::from_std(self.listener).map_err(|e| e.to_string())?;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let opts = self.opts.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let response = respond(&opts, &request);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        })
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

fn respond<B>(opts: &ServeOptions, request: &Request<B>) -> Response<Full<Bytes>> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    let url = request.uri().path();
    let file = match (&opts.pkg, url.strip_prefix("/pkg/")) {
        (Some(pkg), Some(rest)) => resolve(pkg, rest),
        _ => resolve(&opts.dir, url),
    };
    let Some((path, bytes)) = file.and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.essence_str()) {
        headers.insert(CONTENT_TYPE, v);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if opts.isolate {
        headers.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            "cross-origin-embedder-policy",
            HeaderValue::from_static("require-corp"),
        );
    }
    response
}
