//! glibc's allocator returns freed blocks above 128 KiB to the kernel and maps them again on the
//! next op; candle allocates a fresh 0.5–5 MB tensor per op, so training spends much of its time
//! in page faults. Raising the mmap and trim thresholds keeps that memory in the heap (measured:
//! the hallucination network trains 14.6 → 21.3 steps/s on one core). Elsewhere this does nothing.
//!
//! [`Reporting`] is the command's allocator: the system's, except that an allocation it cannot
//! serve ends the process with one line and [`OUT_OF_MEMORY_STATUS`], where Rust would abort
//! (status 134) after "memory allocation of N bytes failed".
use std::alloc::{GlobalAlloc, Layout, System};

/// The exit status of a run the allocator could not serve.
pub const OUT_OF_MEMORY_STATUS: i32 = 3;

/// The system allocator, reporting failure instead of aborting.
pub struct Reporting;

// SAFETY: every call is forwarded to `System` unchanged; a null result never returns.
unsafe impl GlobalAlloc for Reporting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        served(System.alloc(layout), layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        served(System.alloc_zeroed(layout), layout.size())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        served(System.realloc(ptr, layout, new_size), new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// `ptr`, unless the allocator failed to serve `size` bytes.
fn served(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        out_of_memory(size)
    }
    ptr
}

/// Keeps large freed blocks in the heap for reuse.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn keep_freed_memory() {
    const ONE_GB: libc::c_int = 1 << 30;
    // SAFETY: mallopt only changes allocator tunables; it runs first thing in main.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_GB);
        libc::mallopt(libc::M_TRIM_THRESHOLD, ONE_GB);
        libc::mallopt(libc::M_TOP_PAD, 100 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_freed_memory() {}

/// Ends the process when the allocator cannot serve `size` bytes: one line on stderr and
/// [`OUT_OF_MEMORY_STATUS`]. Called from inside the allocator, so it allocates nothing.
fn out_of_memory(size: usize) -> ! {
    use std::io::Write;
    let mut line = [0u8; 256];
    let mut cursor = &mut line[..];
    let _ = writeln!(
        cursor,
        "genlab: out of memory: an allocation of {size} bytes failed. Lower the run's batch or \
         network sizes (`genlab … train` estimates them first; --force skips that check)."
    );
    let written = 256 - cursor.len();
    let _ = std::io::stderr().write_all(&line[..written]);
    std::process::exit(OUT_OF_MEMORY_STATUS)
}
