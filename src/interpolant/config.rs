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
use super::train::TrainConfig;
use crate::config::{check_range, check_version, current_version, ConfigError, Validate};
use crate::data::gmm::GaussianMixture;
use crate::data::library::DatasetConfig;
use crate::data::session::MAX_SEED;
use serde::{Deserialize, Serialize};

/// Largest number of particles a run may carry.
pub const MAX_PARTICLES: usize = 200_000;
/// Largest SDE noise ε (the authors' mirror example uses 6).
pub const MAX_EPSILON: f64 = 20.0;
pub const MAX_STEPS: usize = 5000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SamplerConfig {
    #[serde(default = "default_method")]
    pub method: Method,
    /// SDE noise level ε ≥ 0 (ignored by the ODE methods).
    #[serde(default)]
    pub epsilon: f64,
    #[serde(default = "default_steps")]
    pub steps: usize,
    #[serde(default = "default_direction")]
    pub direction: Direction,
    /// How the times are spaced (uniform, or cosine: small steps at both ends).
    #[serde(default)]
    pub schedule: Schedule,
    /// Start every particle at this one point instead of drawing them (the authors' mirror
    /// example starts all samples at (1, 1)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Vec<f32>>,
}

fn default_method() -> Method {
    Method::Rk4
}
fn default_steps() -> usize {
    100
}
fn default_direction() -> Direction {
    Direction::Forward
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            method: default_method(),
            epsilon: 0.0,
            steps: default_steps(),
            direction: default_direction(),
            schedule: Schedule::Uniform,
            start: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InterpolantConfig {
    #[serde(default = "current_version")]
    pub version: u32,
    /// The source density (ignored on one-sided paths, where ρ₀ is N(0, I)).
    pub rho0: DatasetConfig,
    pub rho1: DatasetConfig,
    #[serde(default = "default_path")]
    pub path: Path,
    #[serde(default = "default_gamma")]
    pub gamma: Gamma,
    /// `exact` (closed form, Gaussian mixtures only) or `learned` (trained networks).
    #[serde(default = "default_fields")]
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

/// Where the drift and score come from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FieldsMode {
    Exact,
    Learned,
}

fn default_fields() -> FieldsMode {
    FieldsMode::Learned
}
fn default_path() -> Path {
    Path::Linear
}
fn default_gamma() -> Gamma {
    Gamma::Brownian
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
        let d0 = self
            .rho0
            .build()
            .map_err(|e| rename(e, "dataset", "rho0"))?
            .dim();
        let d1 = self
            .rho1
            .build()
            .map_err(|e| rename(e, "dataset", "rho1"))?
            .dim();
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

/// The same error with the first segment of its field path replaced.
fn rename(e: ConfigError, from: &str, to: &str) -> ConfigError {
    let field = e
        .field
        .strip_prefix(from)
        .map_or(e.field.clone(), |rest| format!("{to}{rest}"));
    ConfigError {
        field,
        message: e.message,
    }
}
