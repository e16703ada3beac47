//! DDPM training (`papers.md` §2): ε-prediction with plain MSE, t uniform over the integer steps,
//! Adam (no weight decay, no clipping) on minibatches drawn with replacement from a fixed
//! training set. A non-finite loss stops training and restores the last good weights.
use super::config::HallucConfig;
use super::model::NoiseNet;
use super::schedule::Schedule;
use crate::config::{ConfigError, Validate};
use crate::nn::optim::GroupedAdamW;
use crate::rng::{streams, Rng};
use candle_core::{Device, Tensor};

const SNAPSHOT_EVERY: usize = 50;

pub struct Trainer {
    pub net: NoiseNet,
    pub schedule: Schedule,
    data: Vec<f32>,
    dim: usize,
    batch: usize,
    opt: GroupedAdamW,
    rng: Rng,
    pub step: usize,
    snapshot: Vec<Tensor>,
}

impl Trainer {
    pub fn new(config: &HallucConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let err = |e: candle_core::Error| ConfigError::new("train", e.to_string());
        let root = Rng::new(config.seed);
        let density = config.data.build()?;
        let dim = density.dim();
        let data = density.sample(config.train_size, &mut root.stream(streams::DATA));
        let net = NoiseNet::new(dim, config.train.width, &mut root.stream(streams::WEIGHTS)).map_err(err)?;
        let opt = GroupedAdamW::new(&net.params, config.train.lr, 0.0).map_err(err)?;
        let snapshot = net.params.snapshot().map_err(err)?;
        Ok(Self {
            schedule: config.schedule(),
            net,
            data,
            dim,
            batch: config.train.batch,
            opt,
            rng: root.stream(streams::TRAINING),
            step: 0,
            snapshot,
        })
    }

    /// One Adam step on a fresh minibatch; returns the MSE, or an error naming the step when
    /// the loss is not finite (the last good weights are then restored).
    pub fn step(&mut self) -> Result<f32, String> {
        let (b, d) = (self.batch, self.dim);
        let rows = self.data.len() / d;
        let (mut x_t, mut eps, mut t) = (Vec::with_capacity(b * d), Vec::with_capacity(b * d), Vec::with_capacity(b));
        for _ in 0..b {
            let row = self.rng.below(rows);
            let step = self.rng.below(self.schedule.steps());
            let ab = self.schedule.alpha_bar[step];
            for k in 0..d {
                let e = self.rng.normal();
                x_t.push((ab.sqrt() * self.data[row * d + k] as f64 + (1.0 - ab).sqrt() * e as f64) as f32);
                eps.push(e);
            }
            t.push(step as f32);
        }
        let run = || -> candle_core::Result<(Tensor, f32)> {
            let dev = &Device::Cpu;
            let pred = self.net.forward(&Tensor::from_vec(x_t, (b, d), dev)?, &Tensor::from_vec(t, b, dev)?)?;
            let loss = (pred - Tensor::from_vec(eps, (b, d), dev)?)?.sqr()?.mean_all()?;
            let value = loss.to_scalar::<f32>()?;
            Ok((loss, value))
        };
        let (loss, value) = run().map_err(|e| e.to_string())?;
        if !value.is_finite() {
            self.net.params.restore(&self.snapshot).map_err(|e| e.to_string())?;
            return Err(format!("training diverged at step {} (loss {value}); the last good weights are kept", self.step));
        }
        if self.step % SNAPSHOT_EVERY == 0 {
            self.snapshot = self.net.params.snapshot().map_err(|e| e.to_string())?;
        }
        self.opt.backward_step(&loss).map_err(|e| e.to_string())?;
        self.step += 1;
        Ok(value)
    }
}
