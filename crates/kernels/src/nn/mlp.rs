//! A multilayer perceptron with seeded initialisation.
//!
//! Layers are `Linear` (PyTorch's default init: weight and bias ~ U[−1/√fan_in, 1/√fan_in],
//! drawn from the seeded RNG), the activation between every pair, none after the last.
//! Weights go to the decay group, biases to the no-decay group.
//!
//! ```
//! use genlab_kernels::nn::{mlp::{Activation, Mlp, MlpConfig}, params::Params};
//! use genlab_kernels::rng::Rng;
//! use candle_core::{Device, Module, Tensor};
//! let cfg = MlpConfig { input: 3, hidden: vec![8, 8], output: 2, activation: Activation::Silu };
//! let mut p = Params::new();
//! let mlp = Mlp::new(&cfg, "net", &mut p, &mut Rng::new(0)).unwrap();
//! assert_eq!(p.count(), 3 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2);
//! let y = mlp.forward(&Tensor::zeros((5, 3), candle_core::DType::F32, &Device::Cpu).unwrap()).unwrap();
//! assert_eq!(y.dims(), &[5, 2]);
//! ```
use super::dense::Dense;
use super::linear;
use super::params::{Group, Params};
use crate::rng::Rng;
use candle_core::{Module, Result, Tensor};
use candle_nn::Linear;
use serde::{Deserialize, Serialize};

/// The hallucination paper's LeakyReLU slope.
const LEAKY_SLOPE: f64 = 0.02;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Relu,
    Silu,
    Tanh,
    Gelu,
    /// LeakyReLU with slope 0.02 (the hallucination paper's network).
    LeakyRelu,
}

impl Activation {
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::Relu => x.relu(),
            Self::Silu => super::silu::silu(x),
            Self::Tanh => x.tanh(),
            Self::Gelu => x.gelu_erf(),
            Self::LeakyRelu => super::leaky_relu::leaky_relu(x, LEAKY_SLOPE),
        }
    }

    /// The same function on a slice, element by element (one loop per variant, so each
    /// compiles to a vectorised loop).
    pub fn apply_in_place(self, x: &mut [f32]) {
        match self {
            Self::Relu => x
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 }),
            Self::Silu => super::silu::silu_in_place(x),
            Self::Tanh => x.iter_mut().for_each(|v| *v = v.tanh()),
            Self::Gelu => x
                .iter_mut()
                .for_each(|v| *v *= 0.5 * (1.0 + libm::erff(*v * std::f32::consts::FRAC_1_SQRT_2))),
            Self::LeakyRelu => x.iter_mut().for_each(|v| {
                *v = if *v < 0.0 {
                    LEAKY_SLOPE as f32 * *v
                } else {
                    *v
                }
            }),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MlpConfig {
    pub input: usize,
    pub hidden: Vec<usize>,
    pub output: usize,
    pub activation: Activation,
}

pub struct Mlp {
    layers: Vec<Linear>,
    activation: Activation,
}

/// A `Linear` layer named `{prefix}.weight` / `{prefix}.bias` with PyTorch's default init.
pub fn linear(
    prefix: &str,
    fan_in: usize,
    fan_out: usize,
    params: &mut Params,
    rng: &mut Rng,
) -> Result<Linear> {
    let bound = 1.0 / (fan_in as f32).sqrt();
    let w = params.uniform(
        &format!("{prefix}.weight"),
        &[fan_out, fan_in],
        bound,
        Group::Decay,
        rng,
    )?;
    let b = params.uniform(
        &format!("{prefix}.bias"),
        &[fan_out],
        bound,
        Group::NoDecay,
        rng,
    )?;
    Ok(Linear::new(w, Some(b)))
}

impl Mlp {
    pub fn new(cfg: &MlpConfig, prefix: &str, params: &mut Params, rng: &mut Rng) -> Result<Self> {
        let mut sizes = vec![cfg.input];
        sizes.extend(&cfg.hidden);
        sizes.push(cfg.output);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| linear(&format!("{prefix}.{i}"), w[0], w[1], params, rng))
            .collect::<Result<_>>()?;
        Ok(Self {
            layers,
            activation: cfg.activation,
        })
    }
}

impl Mlp {
    /// The forward pass on plain rows (`x.len() / input` of them) through [`Dense`] layers:
    /// the same numbers as [`Module::forward`], faster for inference.
    pub fn infer(&self, x: &[f32]) -> Result<Vec<f32>> {
        let mut h = x.to_vec();
        for (i, layer) in self.layers.iter().enumerate() {
            h = Dense::from_linear(layer)?.forward(&h)?;
            if i + 1 < self.layers.len() {
                self.activation.apply_in_place(&mut h);
            }
        }
        Ok(h)
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            // `Linear::forward` for rows: the same bits, one pass in wasm (see nn::linear)
            h = match (h.rank(), layer.bias()) {
                (2, Some(bias)) => linear::forward(&h, layer.weight(), bias)?,
                _ => layer.forward(&h)?,
            };
            if i + 1 < self.layers.len() {
                h = self.activation.apply(&h)?;
            }
        }
        Ok(h)
    }
}
