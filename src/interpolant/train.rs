//! Training the drift and score networks on fresh antithetic batches ([`super::loss`]).
//!
//! Adam (no weight decay) with the authors' step decay: the learning rate is multiplied by
//! `decayFactor` every `decayEvery` steps (their checkerboard: lr 2·10⁻³, ×0.4 every 1500
//! steps, batch 2000, 7000 steps). Both networks step together; their losses are reported apart.
//!
//! A loss that is not finite, or above [`DIVERGED`], stops training: the weights go back to the
//! last snapshot taken at a finite loss (every [`SNAPSHOT_EVERY`] steps) and the optimiser
//! restarts, so "continue" resumes from good weights.
use super::config::InterpolantConfig;
use super::loss::{quadratic_loss, Objective};
use super::model::Model;
use crate::config::{check_positive, check_range, ConfigError, Validate};
use crate::data::Density;
use crate::nn::optim::GroupedAdamW;
use crate::rng::{streams, Rng};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

pub const MAX_BATCH: usize = 100_000;
pub const MAX_TRAIN_STEPS: usize = 1_000_000;
/// A loss above this counts as diverged.
pub const DIVERGED: f32 = 1e8;
const SNAPSHOT_EVERY: usize = 50;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TrainConfig {
    /// Draws per step; each gives an antithetic pair.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Total steps of a full run.
    #[serde(default = "default_steps")]
    pub steps: usize,
    #[serde(default = "default_lr")]
    pub lr: f64,
    #[serde(default = "default_decay_every")]
    pub decay_every: usize,
    #[serde(default = "default_decay_factor")]
    pub decay_factor: f64,
}

fn default_batch() -> usize {
    1000
}
fn default_steps() -> usize {
    2000
}
fn default_lr() -> f64 {
    2e-3
}
fn default_decay_every() -> usize {
    1500
}
fn default_decay_factor() -> f64 {
    0.4
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch: default_batch(),
            steps: default_steps(),
            lr: default_lr(),
            decay_every: default_decay_every(),
            decay_factor: default_decay_factor(),
        }
    }
}

impl Validate for TrainConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        check_range("train.batch", self.batch, 1, MAX_BATCH)?;
        check_range("train.steps", self.steps, 1, MAX_TRAIN_STEPS)?;
        check_positive("train.lr", self.lr as f32, 10.0)?;
        check_range("train.decayEvery", self.decay_every, 1, MAX_TRAIN_STEPS)?;
        check_range("train.decayFactor", self.decay_factor, 0.0, 1.0)
    }
}

impl TrainConfig {
    /// The learning rate at `step` (0-based).
    pub fn lr_at(&self, step: usize) -> f64 {
        self.lr * self.decay_factor.powi((step / self.decay_every) as i32)
    }
}

/// The losses of one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepLoss {
    pub drift: f32,
    /// NaN when there is no score network.
    pub score: f32,
}

/// Why training stopped early.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The loss left the finite range at this step; weights were restored.
    Diverged {
        step: usize,
        loss: f32,
    },
    Tensor(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Diverged { step, loss } => write!(
                f,
                "training diverged at step {step} (loss {loss}); the last good weights are kept. Lower train.lr and continue."
            ),
            Self::Tensor(e) => write!(f, "{e}"),
        }
    }
}

impl From<candle_core::Error> for TrainError {
    fn from(e: candle_core::Error) -> Self {
        Self::Tensor(e.to_string())
    }
}

/// A model with its optimiser, data and training stream.
pub struct Trainer {
    pub model: Model,
    pub cfg: TrainConfig,
    rho0: Box<dyn Density>,
    rho1: Box<dyn Density>,
    config: InterpolantConfig,
    opt: GroupedAdamW,
    rng: Rng,
    /// Steps taken so far.
    pub step: usize,
    snapshot: Vec<Tensor>,
}

impl Trainer {
    /// A fresh model from the config's seed (weights and training draws on their own streams).
    pub fn new(config: &InterpolantConfig) -> Result<Self, ConfigError> {
        let tensor_err = |e: candle_core::Error| ConfigError::new("model", e.to_string());
        let root = Rng::new(config.seed);
        let model = Model::new(
            &config.model,
            config.path,
            config.gamma,
            config.dim(),
            &mut root.stream(streams::WEIGHTS),
        )
        .map_err(tensor_err)?;
        let opt = GroupedAdamW::new(&model.params, config.train.lr, 0.0).map_err(tensor_err)?;
        let snapshot = model.params.snapshot().map_err(tensor_err)?;
        Ok(Self {
            rho0: config.source().build()?,
            rho1: config.rho1.build()?,
            cfg: config.train.clone(),
            config: config.clone(),
            model,
            opt,
            rng: root.stream(streams::TRAINING),
            step: 0,
            snapshot,
        })
    }

    /// One optimiser step on a fresh batch.
    pub fn step(&mut self) -> Result<StepLoss, TrainError> {
        let objective = Objective {
            rho0: self.rho0.as_ref(),
            rho1: self.rho1.as_ref(),
            path: self.config.path,
            gamma: self.config.gamma,
            drift: self.model.cfg.drift,
            score: self.model.has_score().then_some(self.model.cfg.score),
        };
        let batch = objective.batch(self.cfg.batch, &mut self.rng)?;
        let (drift, score) = self.model.forward(&batch.input)?;
        let drift_loss = quadratic_loss(&drift, &batch.drift_target, batch.draws)?;
        let score_loss = match (&score, &batch.score_target) {
            (Some(s), Some(y)) => Some(quadratic_loss(s, y, batch.draws)?),
            _ => None,
        };
        let loss = StepLoss {
            drift: drift_loss.to_scalar::<f32>()?,
            score: score_loss
                .as_ref()
                .map(|l| l.to_scalar::<f32>())
                .transpose()?
                .unwrap_or(f32::NAN),
        };
        let worst = if score_loss.is_some() {
            loss.drift.abs().max(loss.score.abs())
        } else {
            loss.drift.abs()
        };
        if !worst.is_finite() || worst > DIVERGED {
            self.restore()?;
            return Err(TrainError::Diverged {
                step: self.step,
                loss: if loss.drift.is_finite() {
                    loss.score
                } else {
                    loss.drift
                },
            });
        }
        if self.step % SNAPSHOT_EVERY == 0 {
            self.snapshot = self.model.params.snapshot()?;
        }
        self.opt.set_learning_rate(self.cfg.lr_at(self.step));
        let total = match score_loss {
            Some(s) => (drift_loss + s)?,
            None => drift_loss,
        };
        self.opt.backward_step(&total)?;
        self.step += 1;
        Ok(loss)
    }

    /// Back to the last snapshot, with a fresh optimiser.
    fn restore(&mut self) -> Result<(), TrainError> {
        self.model.params.restore(&self.snapshot)?;
        self.opt = GroupedAdamW::new(&self.model.params, self.cfg.lr, 0.0)?;
        Ok(())
    }

    /// Loads safetensors weights made for this model (shapes checked; nothing changes on a
    /// mismatch) and records `steps` as the steps they were trained for.
    pub fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), TrainError> {
        self.model.params.load_safetensors(bytes)?;
        self.snapshot = self.model.params.snapshot()?;
        self.opt = GroupedAdamW::new(&self.model.params, self.cfg.lr_at(steps), 0.0)?;
        self.step = steps;
        Ok(())
    }

    /// The trained weights as safetensors bytes.
    pub fn weights(&self) -> Result<Vec<u8>, TrainError> {
        Ok(self.model.params.to_safetensors()?)
    }
}
