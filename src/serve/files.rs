//! What `genlab serve` answers to one request: a file of the site (`dir`) or, under `/pkg/`,
//! of the wasm package, sent by tower-http's `ServeDir`.
//!
//! `ServeDir` does the HTTP: conditional requests (`ETag`, `Last-Modified` → 304), ranges, HEAD,
//! and precompressed `.br`/`.gz` siblings chosen by `Accept-Encoding` (with `Vary`). It follows
//! symlinks, though, so every path is first resolved here ([`resolve`]: percent-decoded,
//! symlinks followed, and refused unless it stays inside its root) and `ServeDir` is handed only
//! the resolved file. Around it this module adds the caching policy (`immutable` for
//! content-hashed names, `no-cache` for the rest), `text/javascript` for every script, and the
//! isolation headers.
use http_body_util::{Either, Full};
use hyper::body::Bytes;
use hyper::header::{
    HeaderValue, ACCEPT_ENCODING, ALLOW, CACHE_CONTROL, CONTENT_TYPE, VARY, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode, Uri};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::ServeDir;

/// A response body: a file from `ServeDir`, or one of this module's short texts.
pub type Body = Either<ServeFileSystemResponseBody, Full<Bytes>>;

/// For names whose bytes never change: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For everything else: the browser may keep a copy but asks first (a 304 when unchanged).
const REVALIDATE: &str = "no-cache";
/// The precompressed siblings `ServeDir` looks for.
const ENCODED_SUFFIXES: [&str; 2] = [".br", ".gz"];
/// What stays unescaped in a path segment handed to `ServeDir` (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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

/// Whether the last segment of `url_path` names its content, as `genlab_bg.3f9c0a1b2d4e5f60.wasm`
/// (`make dist` names the core so): a stem, 8 to 64 lowercase hex digits, an extension. Such a
/// URL can be cached for good, since new bytes get a new name.
pub fn is_content_hashed(url_path: &str) -> bool {
    let name = url_path.rsplit('/').next().unwrap_or("");
    let mut parts = name.rsplitn(3, '.');
    let (Some(ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !ext.is_empty()
        && !stem.is_empty()
        && (8..=64).contains(&hash.len())
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The two roots and the header options: everything a request needs.
pub struct Files {
    pub site: PathBuf,
    pub pkg: Option<PathBuf>,
    pub isolate: bool,
}

impl Files {
    pub async fn respond<B: Send + 'static>(&self, request: Request<B>) -> Response<Body> {
        let url = request.uri().path().to_owned();
        let mut response = self.file(request).await;
        self.add_headers(&url, &mut response);
        response
    }

    async fn file<B: Send + 'static>(&self, request: Request<B>) -> Response<Body> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            let allow = HeaderValue::from_static("GET, HEAD");
            response.headers_mut().insert(ALLOW, allow);
            return response;
        }
        let path = request.uri().path();
        let (root, url) = match (&self.pkg, path.strip_prefix("/pkg/")) {
            (Some(pkg), Some(rest)) => (pkg, rest),
            _ => (&self.site, path),
        };
        let Some(target) = Target::find(root, url) else {
            return text(StatusCode::NOT_FOUND, "not found");
        };
        let (mut parts, body) = request.into_parts();
        parts.uri = target.uri;
        if !target.siblings_inside {
            parts.headers.remove(ACCEPT_ENCODING);
        }
        let served = ServeDir::new(&target.root)
            .precompressed_br()
            .precompressed_gzip()
            .try_call(Request::from_parts(parts, body))
            .await;
        match served {
            Ok(response) => response.map(Either::Left),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => {
                text(StatusCode::NOT_FOUND, "not found")
            }
            Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file"),
        }
    }

    fn add_headers(&self, url: &str, response: &mut Response<Body>) {
        let status = response.status();
        let headers = response.headers_mut();
        let current = status.is_success() || status == StatusCode::NOT_MODIFIED;
        let cache = if current && is_content_hashed(url) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
        if current {
            // `ServeDir` sends Vary on a 200 but not on a 304; a cache needs it on both
            headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        }
        // mime_guess still says application/javascript for `.mjs`; RFC 9239 made it text/javascript
        if headers
            .get(CONTENT_TYPE)
            .is_some_and(|t| t == "application/javascript")
        {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/javascript"));
        }
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if self.isolate {
            headers.insert(
                "cross-origin-opener-policy",
                HeaderValue::from_static("same-origin"),
            );
            headers.insert(
                "cross-origin-embedder-policy",
                HeaderValue::from_static("require-corp"),
            );
            // and let an isolated page elsewhere (a course page) embed the widget and embed.js
            headers.insert(
                "cross-origin-resource-policy",
                HeaderValue::from_static("cross-origin"),
            );
        }
    }
}

/// A file checked to lie inside its root, and the request `ServeDir` should get for it.
struct Target {
    /// The root, canonical.
    root: PathBuf,
    /// The file's canonical path under `root`, percent-encoded: no symlink left to follow.
    uri: Uri,
    /// False when a `.br`/`.gz` sibling exists but leads outside the root; then only the
    /// file itself is sent.
    siblings_inside: bool,
}

impl Target {
    fn find(root: &Path, url: &str) -> Option<Self> {
        let root = root.canonicalize().ok()?;
        let file = resolve(&root, url)?;
        let mut uri = String::new();
        for part in file.strip_prefix(&root).ok()?.components() {
            uri.push('/');
            uri.extend(utf8_percent_encode(part.as_os_str().to_str()?, SEGMENT));
        }
        let siblings_inside = ENCODED_SUFFIXES.iter().all(|suffix| {
            let mut name = file.clone().into_os_string();
            name.push(suffix);
            let sibling = PathBuf::from(name);
            sibling.symlink_metadata().is_err()
                || sibling
                    .canonicalize()
                    .is_ok_and(|s| s.starts_with(&root) && s.is_file())
        });
        Some(Self {
            uri: uri.parse().ok()?,
            root,
            siblings_inside,
        })
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(
        body.as_bytes(),
    ))));
    *response.status_mut() = status;
    let plain = HeaderValue::from_static("text/plain; charset=utf-8");
    response.headers_mut().insert(CONTENT_TYPE, plain);
    response
}
