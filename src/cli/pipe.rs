//! A closed stdout ends a command quietly, as it does for other Unix tools (`genlab presets |
//! head -1`). Rust ignores SIGPIPE, so a write to a closed pipe fails and `println!` panics
//! with a backtrace; with the default action the command simply ends (status 141 in a shell).
//! The server keeps Rust's choice: its sockets report a closed peer as an error instead.

/// Lets SIGPIPE end the process, for the commands that write results to stdout.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn end_quietly_on_closed_stdout() {
    // SAFETY: restores the signal's default action before any thread or write starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn end_quietly_on_closed_stdout() {}
