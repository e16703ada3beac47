//! The hallucination lab's config: data, training-set size, schedule, network, training,
//! detector window and label, sample count and seed. Defaults are the paper's where a browser can
//! afford them (T = 1000, β 0.001 → 0.2, width 128, Adam 10⁻³, K = 10); the training budget is
//! browser-sized (the paper: batch 10,000 for 20k–100k steps) and says so in the page.
use super::schedule::Schedule;
use crate::config::{
    check_lr_end, check_positive, check_range, check_version, current_version, ConfigError,
    Validate,
};
use crate::data::library::DatasetConfig;
use crate::data::session::MAX_SEED;
use serde::{Deserialize, Serialize};

pub const MAX_STEPS_T: usize = 4000;
pub const MAX_TRAIN_SIZE: usize = 1_000_000;
pub const MAX_SAMPLES: usize = 100_000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleConfig {
    #[serde(default = "default_t")]
    pub steps: usize,
    #[serde(default = "default_beta_start")]
    pub beta_start: f64,
    #[serde(default = "default_beta_end")]
    pub beta_end: f64,
}

fn default_t() -> usize {
    1000
}
fn default_beta_start() -> f64 {
    0.001
}
fn default_beta_end() -> f64 {
    0.2
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            steps: default_t(),
            beta_start: default_beta_start(),
            beta_end: default_beta_end(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TrainConfig {
    #[serde(default = "default_width")]
    pub width: usize,
    #[serde(default = "default_batch")]
    pub batch: usize,
    #[serde(default = "default_train_steps")]
    pub steps: usize,
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// When set, the learning rate follows a cosine from `lr` down to this over the run
    /// (our choice; the paper keeps lr constant, which is the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_end: Option<f64>,
    /// Decay of an exponential moving average of the weights, which sampling then uses
    /// (our choice; 0, the default and the paper, means no averaging).
    #[serde(default)]
    pub ema: f64,
}

fn default_width() -> usize {
    128
}
fn default_batch() -> usize {
    1024
}
fn default_train_steps() -> usize {
    3000
}
fn default_lr() -> f64 {
    1e-3
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            width: default_width(),
            batch: default_batch(),
            steps: default_train_steps(),
            lr: default_lr(),
            lr_end: None,
            ema: 0.0,
        }
    }
}

/// Which noise prediction samples: the trained network, or the exact one of the data mixture
/// (the perfect model, which does not hallucinate).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DenoiserMode {
    #[default]
    Learned,
    Exact,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HallucConfig {
    #[serde(default = "current_version")]
    pub version: u32,
    #[serde(default = "default_data")]
    pub data: DatasetConfig,
    /// Size of the fixed training set drawn from the data (the paper: 20k–100k).
    #[serde(default = "default_train_size")]
    pub train_size: usize,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    #[serde(default)]
    pub train: TrainConfig,
    #[serde(default)]
    pub denoiser: DenoiserMode,
    /// K: the trajectory variance is taken over the last K reverse steps.
    #[serde(default = "default_window")]
    pub window: usize,
    /// A sample is hallucinated beyond k·σ_mode from every mode.
    #[serde(default = "default_k")]
    pub k: f64,
    /// Samples to draw.
    #[serde(default = "default_n")]
    pub n: usize,
    #[serde(default)]
    pub seed: u64,
}

fn default_data() -> DatasetConfig {
    DatasetConfig::Grid25 { std: 0.05 }
}
fn default_train_size() -> usize {
    20_000
}
fn default_window() -> usize {
    10
}
fn default_k() -> f64 {
    4.0
}
fn default_n() -> usize {
    2000
}

impl HallucConfig {
    pub fn schedule(&self) -> Schedule {
        Schedule::linear(
            self.schedule.steps,
            self.schedule.beta_start,
            self.schedule.beta_end,
        )
    }
}

impl Validate for HallucConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        check_version(self.version)?;
        self.data.build().map_err(|e| ConfigError {
            field: e.field.replacen("dataset", "data", 1),
            message: e.message,
        })?;
        if self.data.gaussian_mixture().is_none() {
            return Err(ConfigError::new(
                "data",
                format!(
                    "needs modes to label hallucinations; `{}` is not a Gaussian mixture",
                    self.data.name()
                ),
            ));
        }
        check_range("trainSize", self.train_size, 1, MAX_TRAIN_SIZE)?;
        check_range("schedule.steps", self.schedule.steps, 2, MAX_STEPS_T)?;
        check_positive("schedule.betaStart", self.schedule.beta_start as f32, 0.999)?;
        check_positive("schedule.betaEnd", self.schedule.beta_end as f32, 0.999)?;
        check_range("train.width", self.train.width, 1, 1024)?;
        check_range("train.batch", self.train.batch, 1, 100_000)?;
        check_range("train.steps", self.train.steps, 1, 10_000_000)?;
        check_positive("train.lr", self.train.lr as f32, 10.0)?;
        check_lr_end(self.train.lr, self.train.lr_end)?;
        if !(0.0..1.0).contains(&self.train.ema) {
            return Err(ConfigError::new(
                "train.ema",
                format!(
                    "{} is out of range; allowed 0 (off) to below 1",
                    self.train.ema
                ),
            ));
        }
        check_range("window", self.window, 2, self.schedule.steps)?;
        check_positive("k", self.k as f32, 1000.0)?;
        check_range("n", self.n, 1, MAX_SAMPLES)?;
        check_range("seed", self.seed, 0, MAX_SEED)
    }
}
