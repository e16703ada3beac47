//! The static server (`genlab::serve`), over raw HTTP/1.1 on a real socket.
//!
//! One site is built in a fresh temp folder: `site/` (index.html, a.js, b.wasm, style.css,
//! sub/index.html, a symlink to outside), `pkg/genlab.js`, and `secret.txt` beside them,
//! outside both roots. The server binds port 0 and runs on a background thread; every test
//! sends its own `Connection: close` requests. No request may ever return the secret.
#![cfg(not(target_arch = "wasm32"))]

use genlab::serve::{resolve, ServeOptions, Site};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const SECRET: &str = "TOP-SECRET-7c1f";
const INDEX: &str = "<!doctype html><title>root index</title>";
const SUB_INDEX: &str = "<!doctype html><title>sub index</title>";
const A_JS: &str = "export const a = 1;";
const PKG_JS: &str = "export function genlab() {}";
const WASM: &[u8] = b"\0asm\x01\0\0\0";

struct Fixture {
    root: PathBuf,
    site: PathBuf,
    pkg: PathBuf,
    /// `host:port` of the running server.
    addr: String,
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Builds the folders once and starts one server for all tests.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        // Cargo's scratch folder for integration tests: the fixture lives as long as the
        // process (a static is never dropped), so it is replaced here rather than removed.
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-fixture");
        let _ = std::fs::remove_dir_all(&root);
        let (site, pkg) = (root.join("site"), root.join("pkg"));
        write(&site.join("index.html"), INDEX.as_bytes());
        write(&site.join("a.js"), A_JS.as_bytes());
        write(&site.join("b.wasm"), WASM);
        write(&site.join("style.css"), b"body { color: black }");
        write(&site.join("sub/index.html"), SUB_INDEX.as_bytes());
        write(&pkg.join("genlab.js"), PKG_JS.as_bytes());
        write(&root.join("secret.txt"), SECRET.as_bytes());
        std::os::unix::fs::symlink(root.join("secret.txt"), site.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(&root, site.join("outside")).unwrap();
        let s = Site::bind(ServeOptions {
            dir: site.clone(),
            pkg: Some(pkg.clone()),
            host: "127.0.0.1".into(),
            port: 0,
            isolate: true,
        })
        .expect("bind");
        let url = s.url();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && !addr.ends_with(":0"),
            "url {url} should carry the chosen port"
        );
        std::thread::spawn(move || s.run().expect("server runs"));
        Fixture {
            root,
            site,
            pkg,
            addr,
        }
    })
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one raw request line (the path goes out byte for byte, unnormalised).
fn request(method: &str, path: &str) -> Reply {
    let f = fixture();
    let mut s = TcpStream::connect(&f.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        f.addr
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("status line `{status_line}`"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(path: &str) -> Reply {
    request("GET", path)
}

fn assert_served(path: &str, mime: &[&str], content: &[u8]) {
    let r = get(path);
    assert_eq!(r.status, 200, "GET {path}");
    let ct = r
        .header("Content-Type")
        .unwrap_or_else(|| panic!("GET {path}: no Content-Type"));
    assert!(
        mime.iter().any(|m| ct.starts_with(m)),
        "GET {path}: Content-Type {ct}, expected one of {mime:?}"
    );
    assert_eq!(r.body, content, "GET {path}: body");
}

/// Requests that try to leave a root: all must be 404 and must not leak the secret.
fn traversal_paths() -> Vec<String> {
    let secret = fixture().root.join("secret.txt");
    vec![
        "/../secret.txt".into(),
        "/%2e%2e/secret.txt".into(),
        "/%2E%2E/secret.txt".into(),
        "/..%2fsecret.txt".into(),
        "/..%2Fsecret.txt".into(),
        "/sub/../../secret.txt".into(),
        "/sub/%2e%2e/%2e%2e/secret.txt".into(),
        "/%2e%2e%2fsecret.txt".into(),
        "/pkg/../secret.txt".into(),
        "/pkg/%2e%2e/secret.txt".into(),
        "/pkg/..%2fsecret.txt".into(),
        "/..\\secret.txt".into(),
        format!("/%2F{}", secret.display()),
        format!("/{}", secret.display()),
        format!("//{}", secret.display()),
        "/link.txt".into(),
        "/outside/secret.txt".into(),
        "/outside/pkg/genlab.js".into(),
    ]
}

// ---------------------------------------------------------------- content and types

#[test]
fn root_serves_index_html() {
    assert_served("/", &["text/html"], INDEX.as_bytes());
    assert_served("/index.html", &["text/html"], INDEX.as_bytes());
}

#[test]
fn wasm_is_served_as_application_wasm() {
    assert_served("/b.wasm", &["application/wasm"], WASM);
}

#[test]
fn js_is_served_with_a_javascript_type() {
    assert_served(
        "/a.js",
        &["text/javascript", "application/javascript"],
        A_JS.as_bytes(),
    );
}

#[test]
fn css_is_served_as_text_css() {
    assert_served("/style.css", &["text/css"], b"body { color: black }");
}

#[test]
fn directory_serves_its_index() {
    assert_served("/sub/", &["text/html"], SUB_INDEX.as_bytes());
}

#[test]
fn pkg_is_served_from_the_pkg_folder() {
    assert_served(
        "/pkg/genlab.js",
        &["text/javascript", "application/javascript"],
        PKG_JS.as_bytes(),
    );
    assert_eq!(
        get("/genlab.js").status,
        404,
        "pkg files are only under /pkg/"
    );
    assert_eq!(
        get("/pkg/index.html").status,
        404,
        "/pkg/ does not fall back to the site"
    );
}

#[test]
fn query_strings_and_fragments_are_ignored() {
    assert_served(
        "/a.js?v=3",
        &["text/javascript", "application/javascript"],
        A_JS.as_bytes(),
    );
    assert_served(
        "/pkg/genlab.js?cache=no",
        &["text/javascript", "application/javascript"],
        PKG_JS.as_bytes(),
    );
}

#[test]
fn percent_encoded_names_are_decoded() {
    assert_served(
        "/%61.js",
        &["text/javascript", "application/javascript"],
        A_JS.as_bytes(),
    );
}

#[test]
fn isolation_headers_are_sent() {
    for path in ["/", "/b.wasm", "/pkg/genlab.js"] {
        let r = get(path);
        assert_eq!(
            r.header("Cross-Origin-Opener-Policy"),
            Some("same-origin"),
            "GET {path}: COOP"
        );
        assert_eq!(
            r.header("Cross-Origin-Embedder-Policy"),
            Some("require-corp"),
            "GET {path}: COEP"
        );
    }
}

#[test]
fn head_is_allowed() {
    let r = request("HEAD", "/a.js");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty(), "HEAD must not send a body");
}

// ---------------------------------------------------------------- refusals

#[test]
fn missing_files_are_404() {
    for path in [
        "/missing",
        "/missing.js",
        "/sub/missing.html",
        "/pkg/missing.js",
        "/pkg/",
    ] {
        assert_eq!(get(path).status, 404, "GET {path}");
    }
}

#[test]
fn post_is_405() {
    for path in ["/", "/a.js", "/missing"] {
        assert_eq!(request("POST", path).status, 405, "POST {path}");
    }
    assert_eq!(request("PUT", "/a.js").status, 405, "PUT /a.js");
    assert_eq!(request("DELETE", "/a.js").status, 405, "DELETE /a.js");
}

#[test]
fn traversal_attempts_are_404_and_never_leak() {
    for path in traversal_paths() {
        let r = get(&path);
        assert_eq!(r.status, 404, "GET {path} should be 404");
        assert!(!r.text().contains(SECRET), "GET {path} leaked the secret");
    }
}

#[test]
fn symlink_out_of_the_site_is_404() {
    // the links exist and point at real files; only the root check refuses them
    let f = fixture();
    assert_eq!(
        std::fs::read_to_string(f.site.join("link.txt")).unwrap(),
        SECRET
    );
    assert_eq!(get("/link.txt").status, 404);
    assert_eq!(get("/outside/secret.txt").status, 404);
}

#[test]
fn invalid_utf8_path_is_404_and_the_server_keeps_serving() {
    assert_eq!(get("/%ff%fe").status, 404);
    assert_eq!(get("/").status, 200);
}

// ---------------------------------------------------------------- resolve

#[test]
fn resolve_finds_files_and_indexes() {
    let f = fixture();
    let site = f.site.canonicalize().unwrap();
    assert_eq!(resolve(&f.site, "/"), Some(site.join("index.html")));
    assert_eq!(resolve(&f.site, "/a.js"), Some(site.join("a.js")));
    assert_eq!(resolve(&f.site, "/sub/"), Some(site.join("sub/index.html")));
    assert_eq!(resolve(&f.site, "/sub"), Some(site.join("sub/index.html")));
    assert_eq!(resolve(&f.site, "/a.js?x=1#top"), Some(site.join("a.js")));
    assert_eq!(
        resolve(&f.pkg, "genlab.js"),
        Some(f.pkg.canonicalize().unwrap().join("genlab.js"))
    );
}

#[test]
fn resolve_refuses_everything_outside_the_root() {
    let f = fixture();
    for path in traversal_paths() {
        // a /pkg/ path is resolved against pkg by the server; try it against both roots
        let rest = path.strip_prefix("/pkg/").unwrap_or(&path);
        assert_eq!(resolve(&f.site, &path), None, "resolve(site, {path})");
        assert_eq!(resolve(&f.pkg, rest), None, "resolve(pkg, {rest})");
    }
    assert_eq!(resolve(&f.site, "/missing"), None);
    assert_eq!(resolve(&f.site, "/%ff"), None);
}

#[test]
fn bind_refuses_a_missing_folder() {
    let r = Site::bind(ServeOptions {
        dir: fixture().root.join("no-such-folder"),
        pkg: None,
        host: "127.0.0.1".into(),
        port: 0,
        isolate: false,
    });
    let e = r.err().expect("a missing site folder must not bind");
    assert!(
        e.contains("no-such-folder") && e.contains("does not exist"),
        "error `{e}`"
    );
}

/// Browsers open several keep-alive connections at once and leave them idle. Every one of them
/// must be answered promptly, however many others are open (a regression test: the previous
/// server could queue a new connection behind idle keep-alive ones until they closed).
#[test]
fn many_simultaneous_keep_alive_connections_are_all_answered() {
    let f = fixture();
    for _round in 0..20 {
        let site = Site::bind(ServeOptions {
            dir: f.site.clone(),
            pkg: None,
            host: "127.0.0.1".into(),
            port: 0,
            isolate: false,
        })
        .unwrap();
        let addr = site
            .url()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        std::thread::spawn(move || site.run().expect("server runs"));
        let mut streams: Vec<TcpStream> = (0..12)
            .map(|_| TcpStream::connect(&addr).unwrap())
            .collect();
        for s in &mut streams {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            write!(
                s,
                "GET /a.js HTTP/1.1\r\nHost: {addr}\r\nConnection: keep-alive\r\n\r\n"
            )
            .unwrap();
        }
        for (i, s) in streams.iter_mut().enumerate() {
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !String::from_utf8_lossy(&got).contains(A_JS) {
                match s.read(&mut buf) {
                    Ok(0) => panic!("connection {i} closed before its reply"),
                    Ok(k) => got.extend_from_slice(&buf[..k]),
                    Err(e) => panic!("connection {i} got no reply within 5 s: {e}"),
                }
            }
        }
    }
}
