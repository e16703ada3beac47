//! `genlab serve`: the site's static file server.
//!
//! Serves `dir` at `/` and, when given, the wasm-bindgen output `pkg` at `/pkg/` (`files`:
//! tower-http's `ServeDir` behind a root check, with ETags, precompressed siblings and the
//! caching policy). `isolate` adds the COOP/COEP headers that threaded wasm needs.
//!
//! HTTP/1.1 comes from hyper on a small tokio runtime, every connection its own task. Nothing a
//! client sends can stall it: a request head must arrive within `header_timeout` (the same
//! timer closes a kept-alive connection left idle that long), a response must make progress
//! within `send_timeout` (a client that stops reading loses its connection), and `slots` caps the
//! connections below the open-file limit. `accept` failing for lack of descriptors backs off
//! instead of retrying at once, which would spin at full CPU.
mod files;
mod slots;

pub use files::{is_content_hashed, resolve};
pub use slots::connection_cap;

use files::Files;
use http_body_util::BodyExt;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use slots::{open_file_limit, Slot, Slots};
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;

/// How long `accept` waits after failing for the process (no descriptors or memory left).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub dir: PathBuf,
    pub pkg: Option<PathBuf>,
    pub host: String,
    pub port: u16,
    pub isolate: bool,
    /// How long a client may take to send a request's head, and how long a kept-alive
    /// connection may wait for its next request, before it is closed.
    pub header_timeout: Duration,
    /// How long a response may wait for the client to take more bytes before the connection
    /// is closed (a stalled reader would otherwise hold its slot for good).
    pub send_timeout: Duration,
    /// Connections served at once; `None` derives it from the open-file limit
    /// ([`connection_cap`]: 480 under Debian's default of 1,024).
    pub max_connections: Option<usize>,
}

impl Default for ServeOptions {
    /// The CLI's defaults: `www` on 127.0.0.1:8080, 10 s to send a request head, 30 s for a
    /// response's next bytes to be taken.
    fn default() -> Self {
        Self {
            dir: PathBuf::from("www"),
            pkg: None,
            host: "127.0.0.1".into(),
            port: 8080,
            isolate: false,
            header_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(30),
            max_connections: None,
        }
    }
}

/// A bound server, ready to [`Site::run`].
pub struct Site {
    listener: std::net::TcpListener,
    files: Arc<Files>,
    slots: Arc<Slots>,
    timeouts: Timeouts,
}

/// What a connection may take: to send a request head, and to take a response's next bytes.
#[derive(Clone, Copy)]
struct Timeouts {
    header: Duration,
    send: Duration,
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
        let cap = opts
            .max_connections
            .unwrap_or_else(|| connection_cap(open_file_limit()));
        Ok(Self {
            listener,
            files: Arc::new(Files {
                site: opts.dir,
                pkg: opts.pkg,
                isolate: opts.isolate,
            }),
            slots: Slots::new(cap),
            timeouts: Timeouts {
                header: opts.header_timeout,
                send: opts.send_timeout,
            },
        })
    }

    /// The address actually bound (the port is chosen by the OS when 0 was asked).
    pub fn url(&self) -> String {
        match self.listener.local_addr() {
            Ok(a) => format!("http://{a}/"),
            Err(_) => "http://unknown/".into(),
        }
    }

    /// How many connections are served at once.
    pub fn max_connections(&self) -> usize {
        self.slots.cap()
    }

    /// Serves requests until the process ends (or the runtime cannot start, which is returned).
    pub fn run(self) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the server runtime: {e}"))?;
        runtime.block_on(async move {
            let listener = TcpListener::from_std(self.listener).map_err(|e| e.to_string())?;
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        back_off(&e).await;
                        continue;
                    }
                };
                match self.slots.take() {
                    Some(slot) => {
                        let files = self.files.clone();
                        tokio::spawn(serve(stream, files, slot, self.timeouts));
                    }
                    None => self.slots.refuse(stream),
                }
            }
        })
    }
}

/// `accept` fails either for one connection (reset before it was taken: go on) or for the
/// process (EMFILE, ENFILE, ENOBUFS, ENOMEM). In the second case the listener stays ready, so
/// retrying at once spins; a short pause lets connections close first.
async fn back_off(e: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    if !matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        tokio::time::sleep(ACCEPT_BACKOFF).await;
    }
}

/// Serves one connection until it closes, times out, or is asked to make room.
async fn serve(stream: TcpStream, files: Arc<Files>, slot: Slot, timeouts: Timeouts) {
    // A response's head and body go out as separate writes; with Nagle's algorithm the body waits
    // for the browser's delayed ACK of the head, about 40 ms on each request of a kept-alive
    // connection (measured: 0.4 ms for a 5 kB script on a new connection, 42 ms on a reused one).
    let _ = stream.set_nodelay(true);
    let slot = Arc::new(slot);
    let service = hyper::service::service_fn({
        let slot = slot.clone();
        move |request| {
            let in_flight = slot.start_request();
            let files = files.clone();
            async move {
                let response = files.respond(request).await;
                // the guard lives in the body, so the request counts until its last byte is sent
                let response = response.map(|body| {
                    body.map_frame(move |frame| {
                        let _ = &in_flight;
                        frame
                    })
                });
                Ok::<_, Infallible>(response)
            }
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header);
    let mut stream = TimeoutStream::new(stream);
    stream.set_write_timeout(Some(timeouts.send));
    let io = TokioIo::new(Box::pin(stream));
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut asked = pin!(slot.asked_to_close());
    let make_room = poll_fn(|cx| match conn.as_mut().poll(cx) {
        Poll::Ready(_) => Poll::Ready(false),
        Poll::Pending => asked.as_mut().poll(cx).map(|()| true),
    });
    // asked to make room while idle: dropping the connection closes it; if a request arrived
    // meanwhile, that response is finished first
    if make_room.await && slot.is_busy() {
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
}
