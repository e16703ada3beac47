//! Convolution building blocks: a seeded 2D convolution layer (im2col + matmul), nearest
//! upsampling by broadcasting, and instance normalisation; none goes through candle's conv2d,
//! whose backward (a direct conv_transpose2d) ran QLAE training at 0.7 steps/s.
//!
//! Weights and biases are drawn U[−1/√fan_in, 1/√fan_in] with fan_in = C_in·k² (PyTorch's and
//! Equinox's default); weights go to the decay group, biases to the no-decay group.
//!
//! ```
//! use genlab::nn::{conv::Conv2d, params::Params};
//! use genlab::rng::Rng;
//! use candle_core::{DType, Device, Tensor};
//! let mut p = Params::new();
//! let conv = Conv2d::new("c", 3, 8, 4, 2, 1, &mut p, &mut Rng::new(0)).unwrap();
//! let y = conv.forward(&Tensor::zeros((2, 3, 32, 32), DType::F32, &Device::Cpu).unwrap()).unwrap();
//! assert_eq!(y.dims(), &[2, 8, 16, 16]);
//! ```
use super::im2col::Patches;
use super::params::{Group, Params};
use crate::rng::Rng;
use candle_core::{Result, Tensor, D};

pub struct Conv2d {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
    padding: usize,
}

impl Conv2d {
    /// A `kernel`×`kernel` convolution named `{prefix}.weight` / `{prefix}.bias`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(prefix: &str, input: usize, output: usize, kernel: usize, stride: usize, padding: usize, params: &mut Params, rng: &mut Rng) -> Result<Self> {
        let bound = 1.0 / ((input * kernel * kernel) as f32).sqrt();
        let weight = params.uniform(&format!("{prefix}.weight"), &[output, input, kernel, kernel], bound, Group::Decay, rng)?;
        let bias = params.uniform(&format!("{prefix}.bias"), &[output], bound, Group::NoDecay, rng)?;
        Ok(Self { weight, bias, stride, padding })
    }

    /// x (batch × C_in × H × W) → batch × C_out × H' × W', as im2col + one matmul.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, _, h, w) = x.dims4()?;
        let (out, c, k, _) = self.weight.dims4()?;
        let (s, p) = (self.stride, self.padding);
        let (ho, wo) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let columns = Patches { kernel: k, stride: s, padding: p }.apply(x)?;
        let y = self.weight.reshape((1, out, c * k * k))?.broadcast_matmul(&columns)?;
        y.broadcast_add(&self.bias.reshape((1, out, 1))?)?.reshape((b, out, ho, wo))
    }
}

/// Nearest-neighbour upsampling by an integer factor (each pixel becomes a factor² block).
pub fn upsample_nearest(x: &Tensor, factor: usize) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    x.reshape((b, c, h, 1, w, 1))?.broadcast_as((b, c, h, factor, w, factor))?.reshape((b, c, h * factor, w * factor))
}

/// Instance normalisation without affine parameters: each sample's channel is shifted and
/// scaled to zero mean and unit variance over its pixels (ε = 10⁻⁶ as in the QLAE code).
pub fn instance_norm(x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    let flat = x.reshape((b, c, h * w))?;
    let centred = flat.broadcast_sub(&flat.mean_keepdim(D::Minus1)?)?;
    let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
    centred.broadcast_div(&(variance + 1e-6)?.sqrt()?)?.reshape((b, c, h, w))
}
