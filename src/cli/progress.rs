//! Training from the command line: a progress line on stderr about twenty times over a run,
//! so a long run shows it is alive without flooding the terminal.
use super::UsageError;
use std::time::Instant;

/// Runs steps 1 to `total` of `step`; after about every twentieth, and the last, prints
/// `step k/total`, what `describe` says of that step's result, and the rate so far.
pub fn train_steps<P>(
    total: usize,
    mut step: impl FnMut(usize) -> Result<P, UsageError>,
    describe: impl Fn(&P) -> String,
) -> Result<(), UsageError> {
    let started = Instant::now();
    let every = (total / 20).max(1);
    for k in 1..=total {
        let result = step(k)?;
        if k.is_multiple_of(every) || k == total {
            let rate = k as f64 / started.elapsed().as_secs_f64();
            eprintln!("step {k}/{total}  {}  {rate:.1} steps/s", describe(&result));
        }
    }
    Ok(())
}
