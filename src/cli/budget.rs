//! The CLI's side of [`crate::budget`]: a run estimated to need more memory than the machine
//! has free is refused in one line before it starts (`--force` runs it anyway). An allocation
//! that fails all the same ends with a message ([`super::malloc::Reporting`]).
use super::UsageError;
use crate::budget::{human_bytes, Estimate};

/// Refuses a run whose estimate exceeds the memory free for this process, unless `force`.
pub fn check_memory(estimate: &Estimate, force: bool) -> Result<(), UsageError> {
    let Some(free) = free_memory() else {
        return Ok(());
    };
    if force || estimate.bytes <= free {
        return Ok(());
    }
    Err(UsageError(format!(
        "this run needs about {} of memory ({}), and this machine has {} free: lower those \
         settings, or pass --force to try anyway",
        human_bytes(estimate.bytes),
        estimate.drivers,
        human_bytes(free)
    )))
}

/// The memory this process may still take: the kernel's `MemAvailable`, or the address-space
/// limit (`ulimit -v`) when that is lower; `None` where neither can be read.
fn free_memory() -> Option<u64> {
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        });
    [available, address_space_limit()]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn address_space_limit() -> Option<u64> {
    None
}
