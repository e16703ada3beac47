//! Training from the command line: a progress line on stderr about twenty times over a run,
//! so a long run shows it is alive without flooding the terminal; and the weights written at
//! the end, also after a divergence (the guard has put the last good weights back).
use super::UsageError;
use crate::nn::guard::TrainError;
use std::path::Path;
use std::time::Instant;

/// Runs steps 1 to `total` of `step`; after about every twentieth, and the last, prints
/// `step k/total`, what `describe` says of that step's result, and the rate so far.
pub fn train_steps<P>(
    total: usize,
    mut step: impl FnMut(usize) -> Result<P, TrainError>,
    describe: impl Fn(&P) -> String,
) -> Result<(), TrainError> {
    let started = Instant::now();
    let every = (total / 20).max(1);
    for k in 1..=total {
        let result = step(k)?;
        if k.is_multiple_of(every) || k == total {
            let rate = k as f64 / started.elapsed().as_secs_f64();
            eprintln!("step {k}/{total}  {}  {rate:.1} steps/s", describe(&result));
        }
    }
    eprintln!(
        "trained {total} steps in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
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
