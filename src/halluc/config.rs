//! The hallucination lab's config: data, training-set size, schedule, network, training,
//! detector window and label, sample count and seed. Defaults are the paper's where a browser can
//! afford them (T = 1000, β 0.001 → 0.2, width 128, Adam 10⁻³, K = 10); the training budget is
//! browser-sized (the paper: batch 10,000 for 20k–100k steps) and says so in the page.
use super::schedule::Schedule;
use crate::config::{
    check_lr_end, check_positive, check_range, check_version, ConfigError, Validate,
    CONFIG_VERSION, MAX_SEED,
};
use crate::data::library::DatasetConfig;
use serde::{Deserialize, Serialize};

pub const MAX_STEPS_T: usize = 4000;
pub const MAX_TRAIN_SIZE: usize = 1_000_000;
pub const MAX_SAMPLES: usize = 100_000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ScheduleConfig {
    pub steps: usize,
    pub beta_start: f64,
    pub beta_end: f64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            steps: 1000,
            beta_start: 0.001,
            beta_end: 0.2,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TrainConfig {
    pub width: usize,
    pub batch: usize,
    pub steps: usize,
    pub lr: f64,
    /// When set, the learning rate follows a cosine from `lr` down to this over the run
    /// (our choice; the paper keeps lr constant, which is the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_end: Option<f64>,
    /// Decay of an exponential moving average of the weights, which sampling then uses
    /// (our choice; 0, the default and the paper, means no averaging).
    pub ema: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            width: 128,
            batch: 1024,
            steps: 3000,
            lr: 1e-3,
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
#[serde(default, rename_all = "camelCase")]
pub struct HallucConfig {
    pub version: u32,
    pub data: DatasetConfig,
    /// Size of the fixed training set drawn from the data (the paper: 20k–100k).
    pub train_size: usize,
    pub schedule: ScheduleConfig,
    pub train: TrainConfig,
    pub denoiser: DenoiserMode,
    /// K: the trajectory variance is taken over the last K reverse steps.
    pub window: usize,
    /// A sample is hallucinated beyond k·σ_mode from every mode.
    pub k: f64,
    /// Samples to draw.
    pub n: usize,
    pub seed: u64,
}

impl Default for HallucConfig {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            data: DatasetConfig::Grid25 { std: 0.05 },
            train_size: 20_000,
            schedule: ScheduleConfig::default(),
            train: TrainConfig::default(),
            denoiser: DenoiserMode::Learned,
            window: 10,
            k: 4.0,
            n: 2000,
            seed: 0,
        }
    }
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
        self.data
            .validate_parameters()
            .map_err(|e| e.within("data"))?;
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
