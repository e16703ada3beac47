//! Training from the command line: a progress line on stderr about twenty times over a run,
//! so a long run shows it is alive without flooding the terminal; and the weights written at
//! the end, also after a divergence (the guard has put the last good weights back).
use super::UsageError;
use crate::nn::guard::TrainError;
use std::path::Path;
use std::time::Instant;

/// Runs steps 1 to `total` of `step`; after about every twentieth, the last, and the first
/// past [`PACE_SECONDS`], prints `step k/total`, what `describe` says of that step's result,
/// the rate so far and the time left at that rate. So a run that would take hours says so
/// within seconds.
pub fn train_steps<P>(
    total: usize,
    mut step: impl FnMut(usize) -> Result<P, TrainError>,
    describe: impl Fn(&P) -> String,
) -> Result<(), TrainError> {
    let started = Instant::now();
    let every = (total / 20).max(1);
    let mut paced = false;
    for k in 1..=total {
        let result = step(k)?;
        let elapsed = started.elapsed().as_secs_f64();
        let first_pace = !paced && elapsed >= PACE_SECONDS;
        if k.is_multiple_of(every) || k == total || first_pace {
            paced = true;
            let rate = k as f64 / elapsed;
            let left = match total - k {
                0 => String::new(),
                rest => format!(", about {} left", duration(rest as f64 / rate)),
            };
            eprintln!(
                "step {k}/{total}  {}  {rate:.1} steps/s{left}",
                describe(&result)
            );
        }
    }
    eprintln!(
        "trained {total} steps in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seconds of training after which the first progress line gives the pace, however far the
/// first twentieth of the run is.
pub const PACE_SECONDS: f64 = 2.0;

/// `seconds` as a wait is read: "40 s", "12 min", "3.5 h", "45 days" (as the page says it).
fn duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{} s", seconds.ceil())
    } else if seconds < 90.0 * 60.0 {
        format!("{} min", (seconds / 60.0).ceil())
    } else if seconds < 48.0 * 3600.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{} days", (seconds / 86400.0).round())
    }
}

/// Ends a run: `write(weights, finished)` puts the weights in `out` when training finished,
/// and after a divergence too, whose message then says where the last good weights are (the
/// command still fails, with status 2).
pub fn write_weights(
    trained: Result<(), TrainError>,
    weights: Result<Vec<u8>, TrainError>,
    out: &Path,
    write: impl FnOnce(&[u8], bool) -> Result<(), UsageError>,
) -> Result<(), UsageError> {
    match trained {
        Ok(()) => write(&weights?, true),
        Err(diverged @ TrainError::Diverged { .. }) => {
            write(&weights?, false)?;
            let out = out.display();
            Err(UsageError(format!("{diverged} They are written to {out}.")))
        }
        Err(e) => Err(e.into()),
    }
}
