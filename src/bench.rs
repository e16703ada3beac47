//! The benchmark workload every lab depends on (the foundation issue): an MLP
//! 3→256→256→256→2 with SiLU, trained by AdamW at batch 1024, and one forward pass over
//! 5,000 points. The same workload runs natively (`genlab bench`), in wasm (`www/bench.html`)
//! and, for comparison, in TF.js on the same page; timing is the caller's (wasm has no clock).
use crate::nn::mlp::{Activation, Mlp, MlpConfig};
use crate::nn::optim::GroupedAdamW;
use crate::nn::params::Params;
use crate::rng::{streams, Rng};
use candle_core::{Device, Module, Result, Tensor};

pub const BATCH: usize = 1024;
pub const FORWARD_POINTS: usize = 5000;
pub const WIDTH: usize = 256;

pub struct BenchWorkload {
    mlp: Mlp,
    opt: GroupedAdamW,
    x: Tensor,
    y: Tensor,
    /// The forward's points, rows of 3.
    points: Vec<f32>,
}

impl BenchWorkload {
    pub fn new(seed: u64) -> Result<Self> {
        let cfg = MlpConfig {
            input: 3,
            hidden: vec![WIDTH; 3],
            output: 2,
            activation: Activation::Silu,
        };
        let mut params = Params::new();
        let mlp = Mlp::new(
            &cfg,
            "mlp",
            &mut params,
            &mut Rng::new(seed).stream(streams::WEIGHTS),
        )?;
        let opt = GroupedAdamW::new(&params, 1e-3, 0.01)?;
        let mut rng = Rng::new(seed).stream(streams::DATA);
        let dev = Device::Cpu;
        let x = rng.normal_tensor((BATCH, 3), &dev)?;
        // A smooth regression target so the loss means something: (sin x₀ + x₁x₂, cos x₁).
        let (x0, x1, x2) = (x.narrow(1, 0, 1)?, x.narrow(1, 1, 1)?, x.narrow(1, 2, 1)?);
        let y = Tensor::cat(&[(x0.sin()? + (x1.clone() * x2)?)?, x1.cos()?], 1)?;
        let points = rng
            .normal_tensor((FORWARD_POINTS, 3), &dev)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(Self {
            mlp,
            opt,
            x,
            y,
            points,
        })
    }

    /// One AdamW step on the fixed batch; returns the mean squared error before the step.
    pub fn train_step(&mut self) -> Result<f32> {
        let loss = (self.mlp.forward(&self.x)? - &self.y)?.sqr()?.mean_all()?;
        self.opt.backward_step(&loss)?;
        loss.to_scalar::<f32>()
    }

    /// One forward pass over the 5,000 points on the inference path the samplers use
    /// ([`Mlp::infer`]: no gradient is recorded, as in TF.js's `predict`); returns the output's
    /// sum (so nothing is elided).
    pub fn forward(&self) -> Result<f32> {
        Ok(self.mlp.infer(&self.points)?.iter().sum())
    }
}
