//! The interpolants lab's config: one serde struct for the page, its links, presets and
//! `genlab si`. It names the endpoints ρ₀ and ρ₁ from the data library, the path and γ, and the
//! sampler, whether the fields are exact or learned, and the networks and training settings.
//! New keys get defaults, so older links keep opening.
//!
//! ```
//! use genlab::interpolant::config::InterpolantConfig;
//! let c: InterpolantConfig = genlab::config::from_json(r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"eight-gaussians"}}"#).unwrap();
//! assert_eq!(c.sampler.steps, 100);
//! assert!(c.exact_fields().is_ok());
//! // trig needs γ ≤ 1; a-brownian with a = 5 reaches √(5/4)
//! let bad = genlab::config::from_json::<InterpolantConfig>(r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"gaussian"},"path":"trig","gamma":{"kind":"a-brownian","a":5}}"#);
//! assert_eq!(bad.unwrap_err().field, "gamma");
//! ```
use super::exact::ExactFields;
use super::gamma::Gamma;
use super::model::{has_score, DriftTarget, ModelConfig};
use super::path::Path;
use super::sampler::{Direction, Method, Schedule};
use crate::config::{
    check_positive, check_range, check_version, current_version, ConfigError, Validate, MAX_SEED,
};
use crate::data::gmm::GaussianMixture;
use crate::data::library::DatasetConfig;
use serde::{Deserialize, Serialize};

/// Largest number of particles a run may carry.
pub const MAX_PARTICLES: usize = 200_000;
/// Largest SDE noise ε (the authors' mirror example uses 6).
pub const MAX_EPSILON: f64 = 20.0;
pub const MAX_STEPS: usize = 5000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SamplerConfig {
    pub method: Method,
    /// SDE noise level ε ≥ 0 (ignored by the ODE methods).
    pub epsilon: f64,
    pub steps: usize,
    pub direction: Direction,
    /// How the times are spaced (uniform, or cosine: small steps at both ends).
    pub schedule: Schedule,
    /// Start every particle at this one point instead of drawing them (the authors' mirror
    /// example starts all samples at (1, 1)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Vec<f32>>,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            method: Method::Rk4,
            epsilon: 0.0,
            steps: 100,
            direction: Direction::Forward,
            schedule: Schedule::Uniform,
            start: None,
        }
    }
}

/// `rho0` and `rho1` are required; every other key is optional. (Hence per-field defaults: a
/// container `#[serde(default)]` would make the endpoints optional too.)
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InterpolantConfig {
    #[serde(default = "current_version")]
    pub version: u32,
    /// The source density (ignored on one-sided paths, where ρ₀ is N(0, I)).
    pub rho0: DatasetConfig,
    pub rho1: DatasetConfig,
    #[serde(default)]
    pub path: Path,
    #[serde(default)]
    pub gamma: Gamma,
    /// `exact` (closed form, Gaussian mixtures only) or `learned` (trained networks).
    #[serde(default)]
    pub fields: FieldsMode,
    #[serde(default)]
    pub model: ModelConfig,
    #[serde(default)]
    pub train: TrainConfig,
    #[serde(default)]
    pub sampler: SamplerConfig,
    /// Particles to carry.
    #[serde(default = "default_n")]
    pub n: usize,
    #[serde(default)]
    pub seed: u64,
}

pub const MAX_BATCH: usize = 100_000;
pub const MAX_TRAIN_STEPS: usize = 1_000_000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TrainConfig {
    /// Draws per step; each gives an antithetic pair.
    pub batch: usize,
    /// Total steps of a full run.
    pub steps: usize,
    pub lr: f64,
    pub decay_every: usize,
    pub decay_factor: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch: 1000,
            steps: 2000,
            lr: 2e-3,
            decay_every: 1500,
            decay_factor: 0.4,
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

/// Where the drift and score come from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FieldsMode {
    Exact,
    #[default]
    Learned,
}

fn default_n() -> usize {
    2000
}

impl InterpolantConfig {
    /// ρ₀ as the path uses it: N(0, I) on one-sided paths.
    pub fn source(&self) -> DatasetConfig {
        if self.path.one_sided() {
            DatasetConfig::Gaussian { dim: self.dim() }
        } else {
            self.rho0.clone()
        }
    }

    pub fn dim(&self) -> usize {
        self.rho1.build().map(|d| d.dim()).unwrap_or(2)
    }

    /// The exact fields, when both endpoints are Gaussian mixtures.
    pub fn exact_fields(&self) -> Result<ExactFields, ConfigError> {
        let mixture = |field: &str, d: &DatasetConfig| {
            d.gaussian_mixture().ok_or_else(|| {
                ConfigError::new(
                    field,
                    format!(
                        "exact fields need a Gaussian mixture; `{}` is not one",
                        d.name()
                    ),
                )
            })
        };
        let rho0: GaussianMixture = mixture("rho0", &self.source())?;
        let rho1 = mixture("rho1", &self.rho1)?;
        Ok(ExactFields::new(rho0, rho1, self.path, self.gamma))
    }
}

impl Validate for InterpolantConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        check_version(self.version)?;
        for (field, density) in [("rho0", &self.rho0), ("rho1", &self.rho1)] {
            density.validate_parameters().map_err(|e| e.within(field))?;
        }
        let (d0, d1) = (self.rho0.build()?.dim(), self.rho1.build()?.dim());
        if d0 != d1 && !self.path.one_sided() {
            return Err(ConfigError::new(
                "rho1",
                format!("is {d1}D but rho0 is {d0}D; both ends need one dimension"),
            ));
        }
        if let Gamma::ABrownian { a } = self.gamma {
            if !(a > 0.0 && a <= 100.0) {
                return Err(ConfigError::new(
                    "gamma.a",
                    format!("{a} is out of range; allowed above 0 up to 100"),
                ));
            }
        }
        if self.path == Path::Trig && self.gamma.max() > 1.0 {
            return Err(ConfigError::new(
                "gamma",
                format!(
                    "the trig path needs γ ≤ 1, but this γ reaches {:.3} at t = ½",
                    self.gamma.max()
                ),
            ));
        }
        if self.path == Path::EncodingDecoding && self.gamma == Gamma::Zero {
            return Err(ConfigError::new(
                "gamma",
                "the encoding-decoding path is pure γz at t = ½, so γ cannot be zero",
            ));
        }
        if self.path == Path::Mirror && self.gamma == Gamma::Zero {
            return Err(ConfigError::new(
                "gamma",
                "the mirror path is x₁ + γz, so γ = 0 moves nothing",
            ));
        }
        if self.fields == FieldsMode::Exact {
            self.exact_fields()?;
        }
        self.model.validate()?;
        self.train.validate()?;
        let noisy = has_score(self.path, self.gamma);
        if !noisy && self.fields == FieldsMode::Learned && self.model.drift == DriftTarget::V {
            return Err(ConfigError::new(
                "model.drift",
                "v needs a score (b = v − γγ̇s), and with γ = 0 there is none; learn b",
            ));
        }
        if !noisy && self.sampler.method.stochastic() && self.sampler.epsilon > 0.0 {
            return Err(ConfigError::new(
                "sampler.epsilon",
                "the SDE needs a score, and with γ = 0 there is none; set ε = 0 or pick a γ",
            ));
        }
        if let Some(p) = &self.sampler.start {
            if p.len() != d1 || !p.iter().all(|v| v.is_finite()) {
                return Err(ConfigError::new(
                    "sampler.start",
                    format!("needs {d1} finite coordinate(s)"),
                ));
            }
        }
        check_range("sampler.epsilon", self.sampler.epsilon, 0.0, MAX_EPSILON)?;
        check_range("sampler.steps", self.sampler.steps, 1, MAX_STEPS)?;
        check_range("n", self.n, 1, MAX_PARTICLES)?;
        check_range("seed", self.seed, 0, MAX_SEED)
    }
}
