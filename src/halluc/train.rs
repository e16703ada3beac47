//! DDPM training (Aithal et al. 2024): ε-prediction with plain MSE, t uniform over the integer
//! steps, Adam (no weight decay, no clipping) on minibatches drawn with replacement from a fixed
//! training set. A diverging loss stops training through the shared [`DivergenceGuard`].
//! Two settings of ours, both off by default (the paper): a cosine learning-rate decay to
//! `train.lrEnd`, and an exponential moving average of the weights (`train.ema`) for sampling.
use super::config::HallucConfig;
use super::model::NoiseNet;
use super::schedule::Schedule;
use crate::config::{ConfigError, Validate};
use crate::lab::{self, Trainer as _};
use crate::nn::guard::{DivergenceGuard, Rule, TrainError};
use crate::nn::optim::{cosine_lr, GroupedAdamW};
use crate::nn::params::Params;
use crate::rng::{streams, Rng};
use candle_core::{Device, Tensor};

pub struct Trainer {
    net: NoiseNet,
    schedule: Schedule,
    data: Vec<f32>,
    dim: usize,
    batch: usize,
    opt: GroupedAdamW,
    rng: Rng,
    steps: usize,
    guard: DivergenceGuard,
    lr: (f64, Option<f64>),
    total: usize,
    /// (decay, averaged weights) when `train.ema` > 0.
    ema: Option<(f64, Vec<Tensor>)>,
}

impl Trainer {
    /// A fresh network and a training set of `trainSize` points drawn from the config's data.
    pub fn new(config: &HallucConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let density = config.data.build()?;
        let data = density.sample(
            config.train_size,
            &mut Rng::new(config.seed).stream(streams::DATA),
        );
        Self::with_data(config, data, density.dim())
    }

    /// A fresh network to train on the given points (n × dim), e.g. an earlier model's samples.
    pub fn with_data(
        config: &HallucConfig,
        data: Vec<f32>,
        dim: usize,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        if data.is_empty() || !data.len().is_multiple_of(dim) {
            return Err(ConfigError::new(
                "trainSize",
                "the training set is empty or not whole points".to_string(),
            ));
        }
        let err = |e: candle_core::Error| ConfigError::new("train", e.to_string());
        let root = Rng::new(config.seed);
        let net = NoiseNet::new(dim, config.train.width, &mut root.stream(streams::WEIGHTS))
            .map_err(err)?;
        let opt = GroupedAdamW::new(&net.params, config.train.lr, 0.0).map_err(err)?;
        let guard = DivergenceGuard::new(&net.params, Rule::Relative).map_err(err)?;
        let ema = (config.train.ema > 0.0)
            .then(|| net.params.snapshot().map(|w| (config.train.ema, w)))
            .transpose()
            .map_err(err)?;
        Ok(Self {
            schedule: config.schedule(),
            net,
            data,
            dim,
            batch: config.train.batch,
            opt,
            rng: root.stream(streams::TRAINING),
            steps: 0,
            guard,
            lr: (config.train.lr, config.train.lr_end),
            total: config.train.steps,
            ema,
        })
    }

    /// The learning rate at the current step: constant, or the cosine from lr to lrEnd.
    pub fn learning_rate(&self) -> f64 {
        cosine_lr(self.lr.0, self.lr.1, self.steps, self.total)
    }

    /// The network being trained (not its moving average).
    pub fn net(&self) -> &NoiseNet {
        &self.net
    }

    /// A network holding [`Trainer::weights`].
    pub fn sampling_net(&self) -> Result<NoiseNet, TrainError> {
        let mut net = NoiseNet::new(self.dim, self.net.width(), &mut Rng::new(0))?;
        net.params.load_safetensors(&self.weights()?)?;
        Ok(net)
    }
}

impl Trainer {
    /// `b` training points drawn with replacement, each noised to a uniform step t (eq. 4 of
    /// Ho et al.: x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε): (x_t, ε, t).
    fn noised(&self, b: usize, rng: &mut Rng) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let d = self.dim;
        let rows = self.data.len() / d;
        let (mut x_t, mut eps, mut t) = (
            Vec::with_capacity(b * d),
            Vec::with_capacity(b * d),
            Vec::with_capacity(b),
        );
        for _ in 0..b {
            let row = rng.below(rows);
            let step = rng.below(self.schedule.steps());
            let ab = self.schedule.alpha_bar[step];
            for k in 0..d {
                let e = rng.normal();
                x_t.push(
                    (ab.sqrt() * self.data[row * d + k] as f64 + (1.0 - ab).sqrt() * e as f64)
                        as f32,
                );
                eps.push(e);
            }
            t.push(step as f32);
        }
        (x_t, eps, t)
    }
}

/// average ← decay·average + (1 − decay)·current, tensor by tensor.
fn average_into(average: &mut [Tensor], current: &[Tensor], decay: f64) -> candle_core::Result<()> {
    for (a, w) in average.iter_mut().zip(current) {
        // detached, or each step's average would keep the previous one alive through its graph
        *a = ((&*a * decay)? + (w * (1.0 - decay))?)?.detach();
    }
    Ok(())
}

impl lab::Trainer for Trainer {
    type Progress = f32;

    /// One Adam step on a fresh minibatch; returns the MSE.
    fn step(&mut self) -> Result<f32, TrainError> {
        let (b, d) = (self.batch, self.dim);
        let mut rng = self.rng.clone();
        let (x_t, eps, t) = self.noised(b, &mut rng);
        self.rng = rng;
        let dev = &Device::Cpu;
        let pred = self.net.forward(
            &Tensor::from_vec(x_t, (b, d), dev)?,
            &Tensor::from_vec(t, b, dev)?,
        )?;
        let loss = (pred - Tensor::from_vec(eps, (b, d), dev)?)?
            .sqr()?
            .mean_all()?;
        let value = loss.to_scalar::<f32>()?;
        self.guard
            .check(self.steps, value, &self.net.params, &mut self.opt)?;
        self.opt.set_learning_rate(self.learning_rate());
        self.opt.backward_step(&loss)?;
        if let Some((decay, average)) = &mut self.ema {
            average_into(average, &self.net.params.snapshot()?, *decay)?;
        }
        self.steps += 1;
        Ok(value)
    }

    /// Steps taken so far (or recorded with loaded weights).
    fn steps(&self) -> usize {
        self.steps
    }

    /// The weights to sample with (the moving average when there is one) as safetensors.
    fn weights(&self) -> Result<Vec<u8>, TrainError> {
        Ok(match &self.ema {
            Some((_, average)) => self.net.params.to_safetensors_with(average),
            None => self.net.params.to_safetensors(),
        }?)
    }

    fn params(&mut self) -> &mut Params {
        &mut self.net.params
    }

    /// The predicted noise at probe training points, each noised to a random step.
    fn probe(&self) -> Result<Vec<f32>, TrainError> {
        let mut rng = Rng::new(0).stream(streams::PROBE);
        let (x_t, _, t) = self.noised(lab::PROBE_BATCH, &mut rng);
        let dev = &Device::Cpu;
        let (b, d) = (lab::PROBE_BATCH, self.dim);
        let pred = self.net.forward(
            &Tensor::from_vec(x_t, (b, d), dev)?,
            &Tensor::from_vec(t, b, dev)?,
        )?;
        Ok(pred.flatten_all()?.to_vec1::<f32>()?)
    }

    fn restart(&mut self, steps: usize) -> Result<(), TrainError> {
        self.steps = steps;
        self.guard.reset(&self.net.params)?;
        if let Some((_, average)) = &mut self.ema {
            *average = self.net.params.snapshot()?;
        }
        self.opt.restart();
        Ok(())
    }
}
