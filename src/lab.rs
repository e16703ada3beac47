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
use crate::budget::Budget;
use crate::config::{ConfigError, Validate};
use crate::nn::guard::TrainError;
use crate::nn::params::Params;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// One run of a lab: configure, train in chunks, weights in and out.
///
/// A lab gives its config and its trainer; training, steps and weights come from the trainer.
pub trait Lab: Sized {
    /// The lab's config: the one schema of its page, links, CLI and presets, and what a run
    /// of it costs.
    type Config: Serialize + DeserializeOwned + Validate + Clone + Budget;
    /// What trains the lab's networks.
    type Trainer: Trainer;
    /// What a session without a trainer computes with, for [`TrainError::NotTrainable`].
    const EXACT: &'static str = "this session";

    /// Validates `config` and starts a run: fresh weights and streams from its seed.
    fn new(config: Self::Config) -> Result<Self, ConfigError>;

    /// The config, every default filled in.
    fn config(&self) -> &Self::Config;

    /// The trainer; `None` when there is nothing to train (exact fields, an exact denoiser).
    fn trainer(&self) -> Option<&Self::Trainer>;

    /// The trainer, to step or to load weights into.
    fn trainer_mut(&mut self) -> Option<&mut Self::Trainer>;

    /// Called after training or loading changed the weights: drop what was computed from the
    /// old ones.
    fn weights_changed(&mut self) {}

    /// Whether there is anything to train.
    fn trainable(&self) -> bool {
        self.trainer().is_some()
    }

    /// Steps trained so far (or recorded with loaded weights).
    fn trained_steps(&self) -> usize {
        self.trainer().map_or(0, Trainer::steps)
    }

    /// Trains `steps` more steps and returns their losses. A diverging loss stops the chunk
    /// with [`TrainError::Diverged`]; the last good weights are kept.
    fn train(&mut self, steps: usize) -> Result<Vec<Progress<Self>>, TrainError> {
        let trainer = self
            .trainer_mut()
            .ok_or(TrainError::NotTrainable(Self::EXACT))?;
        let progress = (0..steps).map(|_| trainer.step()).collect();
        self.weights_changed();
        progress
    }

    /// The weights the lab samples with, as safetensors bytes.
    fn weights(&self) -> Result<Vec<u8>, TrainError> {
        self.trainer()
            .ok_or(TrainError::NotTrainable(Self::EXACT))?
            .weights()
    }

    /// Loads safetensors weights made for this config as `steps` steps of training; nothing
    /// changes when they do not fit.
    fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), TrainError> {
        self.trainer_mut()
            .ok_or(TrainError::NotTrainable(Self::EXACT))?
            .load_weights(bytes, steps)?;
        self.weights_changed();
        Ok(())
    }
}

/// One training step's losses in lab `L`.
pub type Progress<L> = <<L as Lab>::Trainer as Trainer>::Progress;

/// What trains a lab's networks: one optimiser step at a time, weights in and out.
pub trait Trainer {
    /// One step's losses.
    type Progress: Serialize;

    /// One optimiser step on a fresh batch. A diverging loss restores the last good weights
    /// and returns [`TrainError::Diverged`].
    fn step(&mut self) -> Result<Self::Progress, TrainError>;

    /// Steps taken so far (or recorded with loaded weights).
    fn steps(&self) -> usize;

    /// The weights to sample with, as safetensors bytes.
    fn weights(&self) -> Result<Vec<u8>, TrainError>;

    /// The parameters [`Trainer::step`] updates.
    fn params(&mut self) -> &mut Params;

    /// The networks' outputs on [`PROBE_BATCH`] inputs drawn from their own stream (the
    /// training draws are untouched), flattened.
    fn probe(&self) -> Result<Vec<f32>, TrainError>;

    /// Takes the current weights as `steps` steps of training: fresh optimiser moments, the
    /// divergence guard's snapshot and scale, any average of the weights.
    fn restart(&mut self, steps: usize) -> Result<(), TrainError>;

    /// Loads safetensors weights made for this model as `steps` steps of training. The file
    /// is checked for its format and range ([`Params::load_safetensors`]) and then for what
    /// it does: weights in range can still overflow a deep network, so a probe batch whose
    /// outputs are not all finite refuses them. Nothing changes when they are refused.
    fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), TrainError> {
        let before = self.params().snapshot()?;
        self.params().load_safetensors(bytes)?;
        let outputs = self.probe();
        let overflow = match &outputs {
            Ok(v) => v.iter().find(|x| !x.is_finite()).copied(),
            Err(_) => None,
        };
        if outputs.is_err() || overflow.is_some() {
            self.params().restore(&before)?;
            outputs?;
            return Err(TrainError::Tensor(format!(
                "these weights are in range, but the network turns a probe batch into {} \
                 values: the file is corrupt or was not trained",
                overflow.expect("checked above")
            )));
        }
        self.restart(steps)
    }
}

/// How many inputs [`Trainer::probe`] passes through the networks.
pub const PROBE_BATCH: usize = 8;
