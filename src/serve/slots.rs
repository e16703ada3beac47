//! How many connections `genlab serve` holds at once, and what happens past that.
//!
//! Every connection costs a descriptor (two while it sends a file), and running out of them
//! stalls everything: `accept` fails, files cannot be opened. So the server holds at most
//! [`connection_cap`] connections, well below the process's open-file limit. When all slots are
//! taken, the connection idle the longest (no request in flight, least recently active) is
//! closed to make room (as nginx reuses its idle keep-alive connections; browsers reopen them
//! as a matter of course), so idle sockets alone can never lock a visitor out. When every slot is busy sending, a
//! newcomer gets `503 Service Unavailable` with `Retry-After` at once and is closed.
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};

/// Descriptors a connection may hold at once: its socket and the file it is sending.
const FDS_PER_CONNECTION: u64 = 2;
/// Descriptors kept for the rest: stdio, the listener, the runtime's poller, connections told
/// to close that have not yet, refusals being sent.
const RESERVED_FDS: u64 = 64;
/// The most connections ever held: each idle one still costs hyper's buffers and a task.
const MAX_CAP: usize = 4096;
/// The cap where the open-file limit cannot be read (fits macOS's default limit of 256).
const FALLBACK_CAP: usize = 96;
/// Connections told to close that may still hold their descriptor; past this, newcomers are
/// refused until they have gone.
const CLOSING_MAX: usize = 16;
/// Refusals whose socket is kept open for a moment after the 503, so that the request the
/// client already sent does not turn the close into a reset that would swallow the 503.
const LINGERING_MAX: usize = 16;
const LINGER: Duration = Duration::from_secs(1);

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Retry-After: 2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n\
Cache-Control: no-store\r\nConnection: close\r\n\r\nthe server is busy\r\n";

/// The connection cap for an open-file limit (`None`: unknown): half of what is left after
/// `RESERVED_FDS`, at most 4,096. Debian's default limit of 1,024 gives 480.
pub fn connection_cap(open_file_limit: Option<u64>) -> usize {
    match open_file_limit {
        Some(limit) => {
            let cap = limit.saturating_sub(RESERVED_FDS) / FDS_PER_CONNECTION;
            usize::try_from(cap).unwrap_or(MAX_CAP).clamp(1, MAX_CAP)
        }
        None => FALLBACK_CAP,
    }
}

/// This process's soft limit on open files (RLIMIT_NOFILE).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    ok.then_some(limit.rlim_cur)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn open_file_limit() -> Option<u64> {
    None
}

/// Orders connections by their last activity (accepted, or a response finished).
static CLOCK: AtomicU64 = AtomicU64::new(0);

fn tick() -> u64 {
    CLOCK.fetch_add(1, Ordering::Relaxed)
}

/// The connections being served.
pub struct Slots {
    cap: usize,
    open: Mutex<Vec<Arc<Conn>>>,
    lingering: Arc<Semaphore>,
}

struct Conn {
    in_flight: AtomicUsize,
    last_active: AtomicU64,
    closing: AtomicBool,
    close: Notify,
}

/// One connection's slot, freed when dropped.
pub struct Slot {
    slots: Arc<Slots>,
    conn: Arc<Conn>,
}

/// A request in flight on its connection, from its head to the end of its response body.
pub struct InFlight(Arc<Conn>);

impl Slots {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            open: Mutex::new(Vec::new()),
            lingering: Arc::new(Semaphore::new(LINGERING_MAX)),
        })
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// A slot for a new connection, closing the longest idle one if all are taken; `None` when
    /// every slot is serving a request (or too many are still closing).
    pub fn take(self: &Arc<Self>) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let closing = open
            .iter()
            .filter(|c| c.closing.load(Ordering::Relaxed))
            .count();
        if open.len() - closing >= self.cap {
            if closing >= CLOSING_MAX {
                return None;
            }
            let idle = open
                .iter()
                .filter(|c| {
                    !c.closing.load(Ordering::Relaxed) && c.in_flight.load(Ordering::Acquire) == 0
                })
                .min_by_key(|c| c.last_active.load(Ordering::Relaxed))?;
            idle.closing.store(true, Ordering::Relaxed);
            idle.close.notify_one();
        }
        let conn = Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(tick()),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        open.push(conn.clone());
        Some(Slot {
            slots: self.clone(),
            conn,
        })
    }

    /// Answers `503` on a connection that gets no slot, and closes it.
    pub fn refuse(&self, mut stream: TcpStream) {
        // a fresh socket's send buffer always takes these few bytes at once
        let _ = stream.try_write(BUSY);
        let Ok(permit) = self.lingering.clone().try_acquire_owned() else {
            return;
        };
        tokio::spawn(async move {
            let _ = stream.shutdown().await;
            let mut sink = [0u8; 4096];
            let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
            let _ = tokio::time::timeout(LINGER, drain).await;
            drop(permit);
        });
    }
}

impl Slot {
    /// Marks a request in flight until the returned guard is dropped.
    pub fn start_request(&self) -> InFlight {
        self.conn.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.conn.clone())
    }

    pub fn is_busy(&self) -> bool {
        self.conn.in_flight.load(Ordering::Acquire) > 0
    }

    /// Resolves when the connection is asked to close to make room for a new one.
    pub async fn asked_to_close(&self) {
        self.conn.close.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|c| !Arc::ptr_eq(c, &self.conn));
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_active.store(tick(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}
