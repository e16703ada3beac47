//! `genlab serve`: the project's own static file server for the site.
//!
//! Serves `dir` at `/` and, when given, the wasm-bindgen output `pkg` at `/pkg/`. Content types
//! come from the file extension (`.wasm` → `application/wasm`); `isolate` adds the COOP/COEP
//! headers that threaded wasm needs. A request path is percent-decoded and must stay inside its
//! root after symlinks are resolved, so `..` can never reach outside the site.
use percent_encoding::percent_decode_str;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tiny_http::{Header, Method, Request, Response, Server};

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
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
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
    server: Arc<Server>,
    opts: ServeOptions,
}

impl Site {
    pub fn bind(opts: ServeOptions) -> Result<Self, String> {
        if !opts.dir.is_dir() {
            return Err(format!("site folder {} does not exist; run `make build` first", opts.dir.display()));
        }
        let server = Server::http((opts.host.as_str(), opts.port))
            .map_err(|e| format!("cannot listen on {}:{}: {e}", opts.host, opts.port))?;
        Ok(Self { server: Arc::new(server), opts })
    }

    /// The address actually bound (the port is chosen by the OS when 0 was asked).
    pub fn url(&self) -> String {
        match self.server.server_addr().to_ip() {
            Some(a) => format!("http://{a}/"),
            None => "http://unknown/".into(),
        }
    }

    /// Serves requests on four threads until the process ends.
    pub fn run(self) {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (server, opts) = (self.server.clone(), self.opts.clone());
                std::thread::spawn(move || {
                    for request in server.incoming_requests() {
                        respond(&opts, request);
                    }
                })
            })
            .collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn respond(opts: &ServeOptions, request: Request) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(Response::from_string("method not allowed").with_status_code(405));
        return;
    }
    let url = request.url().to_string();
    let file = match (&opts.pkg, url.strip_prefix("/pkg/")) {
        (Some(pkg), Some(rest)) => resolve(pkg, rest),
        _ => resolve(&opts.dir, &url),
    };
    let Some(file) = file.and_then(|f| std::fs::File::open(&f).ok().map(|h| (f, h))) else {
        let _ = request.respond(Response::from_string("not found").with_status_code(404));
        return;
    };
    let mime = mime_guess::from_path(&file.0).first_or_octet_stream();
    let mut response = Response::from_file(file.1)
        .with_header(header("Content-Type", mime.essence_str()))
        .with_header(header("Cache-Control", "no-cache"))
        .with_header(header("X-Content-Type-Options", "nosniff"));
    if opts.isolate {
        response = response
            .with_header(header("Cross-Origin-Opener-Policy", "same-origin"))
            .with_header(header("Cross-Origin-Embedder-Policy", "require-corp"));
    }
    let _ = request.respond(response);
}
