//! The lab contract: the shape every lab's session has, so that the page's worker, the wasm
//! layer and the CLI drive any lab the same way.
//!
//! A session is one run of one config. It trains in chunks of steps (each step reports its
//! losses, the lab's `Progress`), and its weights go out and come back as safetensors bytes.
//! What a lab samples or evaluates is its own, typed in its session.
//!
//! ```
//! use genlab::lab::Lab;
//! use genlab::interpolant::session::Session;
//!
//! /// Trains any lab for `steps` steps and returns its weights.
//! fn train<L: Lab>(config: L::Config, steps: usize) -> Vec<u8> {
//!     let mut lab = L::new(config).unwrap();
//!     assert_eq!(lab.train(steps).unwrap().len(), steps);
//!     assert_eq!(lab.trained_steps(), steps);
//!     lab.weights().unwrap()
//! }
//!
//! let mut config = genlab::interpolant::presets::preset("checkerboard").unwrap();
//! config.train.batch = 16;
//! let bytes = train::<Session>(config.clone(), 2);
//! // the same config and seed give the same weights
//! assert_eq!(bytes, train::<Session>(config, 2));
//! ```
use crate::config::{ConfigError, Validate};
use crate::nn::guard::TrainError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// One run of a lab: configure, train in chunks, weights in and out.
pub trait Lab: Sized {
    /// The lab's config: the one schema of its page, links, CLI and presets.
    type Config: Serialize + DeserializeOwned + Validate + Clone;
    /// One training step's losses.
    type Progress: Serialize;

    /// Validates `config` and starts a run: fresh weights and streams from its seed.
    fn new(config: Self::Config) -> Result<Self, ConfigError>;

    /// The config, every default filled in.
    fn config(&self) -> &Self::Config;

    /// Whether there is anything to train (exact fields or an exact denoiser have nothing).
    fn trainable(&self) -> bool;

    /// Steps trained so far (or recorded with loaded weights).
    fn trained_steps(&self) -> usize;

    /// Trains `steps` more steps and returns their losses. A diverging loss stops the chunk
    /// with [`TrainError::Diverged`]; the last good weights are kept.
    fn train(&mut self, steps: usize) -> Result<Vec<Self::Progress>, TrainError>;

    /// The weights the lab samples with, as safetensors bytes.
    fn weights(&self) -> Result<Vec<u8>, TrainError>;

    /// Loads safetensors weights made for this config as `steps` steps of training; nothing
    /// changes when they do not fit.
    fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), TrainError>;
}
