//! LayerNorm over the last dimension with a learned scale and shift (Ba et al. 2016), written
//! with differentiable tensor ops (candle's fused `layer_norm` op has no backward pass).
//!
//! ```
//! use genlab::nn::{layer_norm::LayerNorm, params::Params};
//! use candle_core::{Device, Tensor};
//! let mut p = Params::new();
//! let ln = LayerNorm::new("ln", 4, &mut p).unwrap();
//! let y = ln.forward(&Tensor::new(&[[1.0f32, 2.0, 3.0, 4.0]], &Device::Cpu).unwrap()).unwrap();
//! let y = y.to_vec2::<f32>().unwrap()[0].clone();
//! assert!(y.iter().sum::<f32>().abs() < 1e-5); // zero mean
//! assert!((y.iter().map(|v| v * v).sum::<f32>() / 4.0 - 1.0).abs() < 1e-4); // unit variance
//! ```
use super::params::{Group, Params};
use candle_core::{Result, Tensor, D};

const EPS: f64 = 1e-5;

pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    /// Scale 1 and shift 0, both in the no-decay group (PyTorch's defaults).
    pub fn new(prefix: &str, dim: usize, params: &mut Params) -> Result<Self> {
        let weight = params.add(&format!("{prefix}.weight"), Tensor::ones(dim, candle_core::DType::F32, &candle_core::Device::Cpu)?, Group::NoDecay)?;
        let bias = params.zeros(&format!("{prefix}.bias"), &[dim], Group::NoDecay)?;
        Ok(Self { weight, bias })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centred.broadcast_div(&(var + EPS)?.sqrt()?)?;
        normed.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)
    }
}
