//! Training (Hsu et al. 2023): every step renders a fresh batch with factors drawn uniformly
//! (the same as minibatches of the full factor grid), and minimises
//! BCE(logits, x) (mean over pixels) + λ_q·quantization + λ_c·commitment for QLAE,
//! BCE alone for the AE, BCE + β·KL (mean over latents) for the β-VAE. Weights: element-wise
//! gradient clip, then AdamW; biases and codebooks: Adam without decay or clip. Our setting,
//! off by default (the paper): a cosine learning-rate decay to `train.lrEnd`.
//! A diverging loss stops training through the shared [`DivergenceGuard`].
use super::config::QlaeConfig;
use super::model::{Autoencoder, Outputs};
use super::quantizer::{commitment_loss, quantization_loss};
use crate::config::{ConfigError, Validate};
use crate::lab;
use crate::nn::guard::{DivergenceGuard, Rule, TrainError};
use crate::nn::optim::{cosine_lr, GroupedAdamW};
use crate::nn::params::Params;
use crate::rng::{streams, Rng};
use candle_core::{Result, Tensor};
use serde::Serialize;

/// Binary cross-entropy of pixel logits l against targets x in [0, 1], mean over all elements,
/// written stably as relu(l) − l·x + log(1 + exp(−|l|)) (log σ(l) is NaN on saturated logits).
/// The tail's |l| is capped where its gradient exp(−|l|)/n would leave f32's normal range
/// (|l| ≈ 76 for 64 sprites): past there it is below the resolution of any loss or gradient it
/// joins, yet its subnormal values slowed every op on them (x86 takes a microcode path).
pub fn binary_cross_entropy(logits: &Tensor, x: &Tensor) -> Result<Tensor> {
    let cap = -(f32::MIN_POSITIVE as f64 * logits.elem_count() as f64).ln();
    let softplus_tail = (logits.abs()?.minimum(cap)?.neg()?.exp()? + 1.0)?.log()?;
    ((logits.relu()? - (logits * x)?)? + softplus_tail)?.mean_all()
}

/// KL(N(μ, σ²) ‖ N(0, 1)), mean over latents and batch (the authors' `kl_loss`).
pub fn kl_divergence(mu: &Tensor, sigma: &Tensor) -> Result<Tensor> {
    let inner = ((mu.sqr()? + sigma.sqr()?)? - 1.0)?;
    ((inner * 0.5)? - sigma.log()?)?.mean_all()
}

/// One step's loss terms (each before its λ).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Losses {
    pub total: f32,
    pub reconstruction: f32,
    pub quantization: f32,
    pub commitment: f32,
    pub kl: f32,
}

pub struct Trainer {
    model: Autoencoder,
    config: QlaeConfig,
    opt: GroupedAdamW,
    data_rng: Rng,
    noise_rng: Rng,
    steps: usize,
    guard: DivergenceGuard,
}

impl Trainer {
    pub fn new(config: &QlaeConfig) -> std::result::Result<Self, ConfigError> {
        config.validate()?;
        let err = |e: candle_core::Error| ConfigError::new("", e.to_string());
        let root = Rng::new(config.seed);
        let model = Autoencoder::new(config, &mut root.stream(streams::WEIGHTS)).map_err(err)?;
        let opt = Self::optimiser(config, &model).map_err(err)?;
        let guard = DivergenceGuard::new(&model.params, Rule::Relative).map_err(err)?;
        Ok(Self {
            model,
            config: config.clone(),
            opt,
            data_rng: root.stream(streams::DATA),
            noise_rng: root.stream(streams::TRAINING),
            steps: 0,
            guard,
        })
    }

    fn optimiser(config: &QlaeConfig, model: &Autoencoder) -> Result<GroupedAdamW> {
        Ok(
            GroupedAdamW::new(&model.params, config.train.lr, config.weight_decay())?
                .with_clip(config.train.clip),
        )
    }

    /// The learning rate of the next step: constant (the paper), or the cosine to `train.lrEnd`.
    pub fn learning_rate(&self) -> f64 {
        cosine_lr(
            self.config.train.lr,
            self.config.train.lr_end,
            self.steps,
            self.config.train.steps,
        )
    }

    /// The autoencoder being trained.
    pub fn model(&self) -> &Autoencoder {
        &self.model
    }

    pub fn config(&self) -> &QlaeConfig {
        &self.config
    }

    /// The loss of a forward pass on `x`, with its terms.
    pub fn loss(&self, x: &Tensor, out: &Outputs) -> Result<(Tensor, Losses)> {
        let t = &self.config.train;
        let reconstruction = binary_cross_entropy(&out.logits, x)?;
        let mut losses = Losses {
            reconstruction: reconstruction.to_scalar()?,
            ..Losses::default()
        };
        let mut total = reconstruction;
        if let Some(q) = &out.quantized {
            let quantization = quantization_loss(&out.z, &q.quantized)?;
            let commitment = commitment_loss(&out.z, &q.quantized)?;
            losses.quantization = quantization.to_scalar()?;
            losses.commitment = commitment.to_scalar()?;
            total = ((total + (quantization * t.quantization)?)? + (commitment * t.commitment)?)?;
        }
        if let Some(sigma) = &out.sigma {
            let kl = kl_divergence(&out.z, sigma)?;
            losses.kl = kl.to_scalar()?;
            total = (total + (kl * t.beta)?)?;
        }
        losses.total = total.to_scalar()?;
        Ok((total, losses))
    }
}

impl lab::Trainer for Trainer {
    type Progress = Losses;

    /// One optimiser step on a freshly rendered batch.
    fn step(&mut self) -> std::result::Result<Losses, TrainError> {
        let images = self
            .config
            .data
            .sample(self.config.train.batch, &mut self.data_rng);
        let x = images.tensor()?;
        let out = self.model.forward(&x, Some(&mut self.noise_rng))?;
        let (loss, losses) = self.loss(&x, &out)?;
        let params = &self.model.params;
        self.guard
            .check(self.steps, losses.total, params, &mut self.opt)?;
        self.opt.set_learning_rate(self.learning_rate());
        self.opt.backward_step(&loss)?;
        self.steps += 1;
        Ok(losses)
    }

    /// Steps taken so far (or recorded with loaded weights).
    fn steps(&self) -> usize {
        self.steps
    }

    /// The autoencoder's weights as safetensors bytes.
    fn weights(&self) -> std::result::Result<Vec<u8>, TrainError> {
        Ok(self.model.params.to_safetensors()?)
    }

    fn params(&mut self) -> &mut Params {
        &mut self.model.params
    }

    /// The pixel logits and latents of probe images (rendered from their own stream).
    fn probe(&self) -> std::result::Result<Vec<f32>, TrainError> {
        let mut rng = Rng::new(self.config.seed).stream(streams::PROBE);
        let x = self
            .config
            .data
            .sample(lab::PROBE_BATCH, &mut rng)
            .tensor()?;
        let out = self.model.forward(&x, None)?;
        let mut values = out.logits.flatten_all()?.to_vec1::<f32>()?;
        values.extend(out.z.flatten_all()?.to_vec1::<f32>()?);
        Ok(values)
    }

    fn restart(&mut self, steps: usize) -> std::result::Result<(), TrainError> {
        self.steps = steps;
        self.guard.reset(&self.model.params)?;
        self.opt.restart();
        Ok(())
    }
}
