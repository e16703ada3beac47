//! Training the drift and score networks on fresh antithetic batches ([`super::loss`]).
//!
//! Adam (no weight decay) with the authors' step decay: the learning rate is multiplied by
//! `decayFactor` every `decayEvery` steps (their checkerboard: lr 2·10⁻³, ×0.4 every 1500
//! steps, batch 2000, 7000 steps). Both networks step together; their losses are reported apart.
//! A diverging loss stops training through the shared [`DivergenceGuard`].
use super::config::InterpolantConfig;
use super::loss::{quadratic_loss, Objective};
use super::model::Model;
use crate::config::ConfigError;
use crate::data::Density;
use crate::lab;
use crate::nn::guard::{DivergenceGuard, Rule, TrainError};
use crate::nn::optim::GroupedAdamW;
use crate::nn::params::Params;
use crate::rng::{streams, Rng};
use serde::Serialize;

/// The losses of one step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepLoss {
    pub drift: f32,
    /// NaN when there is no score network.
    pub score: f32,
}

/// A model with its optimiser, data and training stream.
pub struct Trainer {
    model: Model,
    rho0: Box<dyn Density>,
    rho1: Box<dyn Density>,
    config: InterpolantConfig,
    opt: GroupedAdamW,
    rng: Rng,
    /// Steps taken so far.
    steps: usize,
    guard: DivergenceGuard,
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
        let guard = DivergenceGuard::new(&model.params, Rule::Absolute).map_err(tensor_err)?;
        Ok(Self {
            rho0: config.source().build()?,
            rho1: config.rho1.build()?,
            config: config.clone(),
            model,
            opt,
            rng: root.stream(streams::TRAINING),
            steps: 0,
            guard,
        })
    }

    /// The networks being trained.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// What the networks learn: the config's path between its two densities.
    fn objective(&self) -> Objective<'_> {
        Objective {
            rho0: self.rho0.as_ref(),
            rho1: self.rho1.as_ref(),
            path: self.config.path,
            gamma: self.config.gamma,
            drift: self.model.cfg.drift,
            score: self.model.has_score().then_some(self.model.cfg.score),
        }
    }
}

impl lab::Trainer for Trainer {
    type Progress = StepLoss;

    /// One optimiser step on a fresh batch.
    fn step(&mut self) -> Result<StepLoss, TrainError> {
        let mut rng = self.rng.clone();
        let batch = self.objective().batch(self.config.train.batch, &mut rng)?;
        self.rng = rng;
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
        // the guard checks the larger loss; a NaN score counts (f32::max would skip it)
        let checked = match score_loss {
            Some(_) if loss.score.is_nan() || loss.score.abs() > loss.drift.abs() => loss.score,
            _ => loss.drift,
        };
        self.guard
            .check(self.steps, checked, &self.model.params, &mut self.opt)?;
        self.opt
            .set_learning_rate(self.config.train.lr_at(self.steps));
        let total = match score_loss {
            Some(s) => (drift_loss + s)?,
            None => drift_loss,
        };
        self.opt.backward_step(&total)?;
        self.steps += 1;
        Ok(loss)
    }

    /// Steps taken so far (or recorded with loaded weights).
    fn steps(&self) -> usize {
        self.steps
    }

    /// The trained weights as safetensors bytes.
    fn weights(&self) -> Result<Vec<u8>, TrainError> {
        Ok(self.model.params.to_safetensors()?)
    }

    fn params(&mut self) -> &mut Params {
        &mut self.model.params
    }

    /// The drift (and score) at a probe batch of the objective's inputs.
    fn probe(&self) -> Result<Vec<f32>, TrainError> {
        let mut rng = Rng::new(self.config.seed).stream(streams::PROBE);
        let batch = self.objective().batch(lab::PROBE_BATCH, &mut rng)?;
        let (drift, score) = self.model.forward(&batch.input)?;
        let mut out = drift.flatten_all()?.to_vec1::<f32>()?;
        if let Some(s) = score {
            out.extend(s.flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    fn restart(&mut self, steps: usize) -> Result<(), TrainError> {
        self.guard.reset(&self.model.params)?;
        self.opt.restart();
        self.steps = steps;
        Ok(())
    }
}
