//! The threaded core's watchdog. A pool thread (one of wasm-bindgen-rayon's Web Workers) that
//! panics or runs out of memory traps in its own worker, while the lab's worker waits for that
//! thread's share of the work forever and can say nothing. So before the trap, the pool thread
//! tells the page on the BroadcastChannel the page named ([`watch_pool`]); the page then says why
//! and restarts the lab, as it does when the lab's worker itself traps. In the single-threaded
//! core there are no pool threads, and this says nothing.
use std::sync::OnceLock;
use wasm_bindgen::prelude::*;

static CHANNEL: OnceLock<String> = OnceLock::new();

#[wasm_bindgen(inline_js = "export function broadcast(channel, panic, asked, held) {
  const c = new BroadcastChannel(channel);
  c.postMessage({ panic, asked, held });
  c.close();
}")]
extern "C" {
    fn broadcast(channel: &str, panic: &str, asked: f64, held: f64);
}

/// Names the page's BroadcastChannel for this instance's pool threads (set once, by the lab's
/// worker, after `initThreadPool`).
#[wasm_bindgen(js_name = watchPool)]
pub fn watch_pool(channel: String) {
    let _ = CHANNEL.set(channel);
}

/// Tells the page that this thread is about to trap, if it is a pool thread: `panic` is the
/// panic's message, or empty when the allocator could not serve `asked` bytes. Allocates
/// nothing, since it also runs when memory ran out.
pub fn pool_thread_failed(panic: &str, asked: usize) {
    if rayon::current_thread_index().is_none() {
        return;
    }
    if let Some(channel) = CHANNEL.get() {
        broadcast(channel, panic, asked as f64, super::memory_bytes());
    }
}
