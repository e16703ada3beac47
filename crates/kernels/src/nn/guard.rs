//! The divergence guard every trainer runs, and the one error training can end with.
//!
//! A step whose loss is not finite, or above [`DIVERGED`], is not taken: the weights go back to
//! the last snapshot (taken every [`SNAPSHOT_EVERY`] steps at a good loss) and the optimiser's
//! moments restart, so "continue" resumes from good weights with no memory of the blow-up.
//! A loss that cannot be negative ([`Rule::Relative`]: the DDPM's MSE, the autoencoders' BCE)
//! has also diverged above [`RISE`]× the first loss of the run (or of the loaded weights): an
//! untrained network's loss is its natural scale, and a learning rate too large for the
//! network first shows as a loss hundreds of times that one, which then settles at the
//! loss of a network that learned nothing.
//!
//! ```
//! use genlab_kernels::nn::{guard::{DivergenceGuard, Rule, TrainError}, optim::GroupedAdamW};
//! use genlab_kernels::nn::params::{Group, Params};
//! use genlab_kernels::rng::Rng;
//! let mut p = Params::new();
//! let w = p.uniform("w", &[3], 1.0, Group::Decay, &mut Rng::new(0)).unwrap();
//! let good = w.to_vec1::<f32>().unwrap();
//! let mut opt = GroupedAdamW::new(&p, 0.1, 0.0).unwrap();
//! let mut guard = DivergenceGuard::new(&p, Rule::Absolute).unwrap();
//! guard.check(0, 1.0, &p, &mut opt).unwrap();
//! opt.backward_step(&w.sqr().unwrap().sum_all().unwrap()).unwrap();
//! let e = guard.check(1, f32::INFINITY, &p, &mut opt).unwrap_err();
//! assert_eq!(e, TrainError::Diverged { step: 1, loss: f32::INFINITY });
//! assert_eq!(w.to_vec1::<f32>().unwrap(), good);
//! ```
use super::optim::GroupedAdamW;
use super::params::Params;
use candle_core::Tensor;
use std::fmt;

/// A loss above this counts as diverged.
pub const DIVERGED: f32 = 1e8;
/// Steps between snapshots of the weights.
pub const SNAPSHOT_EVERY: usize = 50;
/// Under [`Rule::Relative`], a loss above this many times the first one has diverged.
pub const RISE: f32 = 100.0;

/// Which losses count as diverged besides non-finite ones and those above [`DIVERGED`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// No others: for losses that may be negative (the interpolants' quadratic objectives),
    /// whose first value says nothing of their scale.
    Absolute,
    /// Also those above [`RISE`]× the first loss: for losses that cannot be negative.
    Relative,
}

/// Why a training step failed.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The loss left the finite range (or passed [`DIVERGED`]) at this step; the last good
    /// weights were restored.
    Diverged { step: usize, loss: f32 },
    /// The session has nothing to train (exact fields, the exact denoiser); says what it is.
    NotTrainable(&'static str),
    /// A tensor operation failed.
    Tensor(String),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Diverged { step, loss } => write!(
                f,
                "training diverged at step {step} (loss {loss}); the last good weights are kept. \
                 Lower train.lr and continue.",
            ),
            Self::NotTrainable(what) => write!(f, "{what} has nothing to train"),
            Self::Tensor(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TrainError {}

impl From<candle_core::Error> for TrainError {
    fn from(e: candle_core::Error) -> Self {
        Self::Tensor(e.to_string())
    }
}

/// The last good weights of one parameter set.
pub struct DivergenceGuard {
    snapshot: Vec<Tensor>,
    rule: Rule,
    /// The first loss checked since the start or the last [`DivergenceGuard::reset`].
    first: Option<f32>,
}

impl DivergenceGuard {
    /// Starts from the parameters' current values.
    pub fn new(params: &Params, rule: Rule) -> candle_core::Result<Self> {
        Ok(Self {
            snapshot: params.snapshot()?,
            rule,
            first: None,
        })
    }

    /// Takes the current values as good (after loading weights); their first loss is the new
    /// scale.
    pub fn reset(&mut self, params: &Params) -> candle_core::Result<()> {
        self.snapshot = params.snapshot()?;
        self.first = None;
        Ok(())
    }

    /// Whether `loss` has diverged under the rule.
    fn diverged(&self, loss: f32) -> bool {
        let risen = match (self.rule, self.first) {
            (Rule::Relative, Some(first)) => loss > RISE * first.max(f32::MIN_POSITIVE),
            _ => false,
        };
        !loss.is_finite() || loss.abs() > DIVERGED || risen
    }

    /// Checks `loss`, computed at `step` before its update. A good loss keeps a snapshot every
    /// [`SNAPSHOT_EVERY`] steps; a diverged one restores the weights, restarts `opt` and says so.
    pub fn check(
        &mut self,
        step: usize,
        loss: f32,
        params: &Params,
        opt: &mut GroupedAdamW,
    ) -> Result<(), TrainError> {
        if self.diverged(loss) {
            params.restore(&self.snapshot)?;
            opt.restart();
            return Err(TrainError::Diverged { step, loss });
        }
        self.first.get_or_insert(loss);
        if step.is_multiple_of(SNAPSHOT_EVERY) {
            self.snapshot = params.snapshot()?;
        }
        Ok(())
    }
}
