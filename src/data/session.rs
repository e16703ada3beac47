//! The Data view: a dataset, a sample count and a seed, sampled as one reproducible stream.
//!
//! The page asks for the points in chunks (so a large request can be cancelled); the CLI asks
//! for all of them at once. Both read the same stream, so the points agree exactly.
//!
//! ```
//! use genlab::data::session::{DataConfig, DataSession};
//! let config: DataConfig = genlab::config::from_json(r#"{"dataset":{"name":"checkerboard"},"n":5,"seed":3}"#).unwrap();
//! let all = DataSession::new(config.clone()).unwrap().next_chunk(5);
//! let mut s = DataSession::new(config).unwrap();
//! let mut chunked = s.next_chunk(2);
//! chunked.extend(s.next_chunk(10));
//! assert_eq!(all, chunked);
//! ```
use super::library::DatasetConfig;
use super::Density;
use crate::config::{check_range, current_version, ConfigError, Validate, MAX_SEED};
use crate::rng::{streams, Rng};
use serde::{Deserialize, Serialize};

/// Largest sample count the Data view accepts.
pub const MAX_SAMPLES: usize = 1_000_000;

/// The Data view's config (also `genlab data sample`'s). `dataset` is required, so the other
/// keys take per-field defaults rather than a container `#[serde(default)]`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DataConfig {
    #[serde(default = "current_version")]
    pub version: u32,
    pub dataset: DatasetConfig,
    #[serde(default = "default_n")]
    pub n: usize,
    #[serde(default)]
    pub seed: u64,
}

fn default_n() -> usize {
    2000
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            version: current_version(),
            dataset: DatasetConfig::Checkerboard,
            n: default_n(),
            seed: 0,
        }
    }
}

impl Validate for DataConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        crate::config::check_version(self.version)?;
        check_range("n", self.n, 1, MAX_SAMPLES)?;
        check_range("seed", self.seed, 0, MAX_SEED)?;
        self.dataset.validate()
    }
}

/// A config's sample stream, drawn in chunks.
pub struct DataSession {
    pub config: DataConfig,
    density: Box<dyn Density>,
    rng: Rng,
    produced: usize,
}

impl DataSession {
    pub fn new(config: DataConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let density = config.dataset.build()?;
        let rng = Rng::new(config.seed).stream(streams::DATA);
        Ok(Self {
            config,
            density,
            rng,
            produced: 0,
        })
    }

    pub fn density(&self) -> &dyn Density {
        self.density.as_ref()
    }

    /// Points still to come before `n` is reached.
    pub fn remaining(&self) -> usize {
        self.config.n - self.produced
    }

    /// The next `min(k, remaining)` points, row-major.
    pub fn next_chunk(&mut self, k: usize) -> Vec<f32> {
        let k = k.min(self.remaining());
        self.produced += k;
        self.density.sample(k, &mut self.rng)
    }
}
