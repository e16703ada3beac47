//! Convolution building blocks: a seeded 2D convolution layer (im2col + matmul), nearest
//! upsampling and instance normalisation, each one op with a hand-written gradient. Stock
//! candle ran QLAE's conv nets at 0.7 steps/s: its conv2d backward is a direct
//! conv_transpose2d, and broadcasting ops cost tens of ns per element.
//!
//! Weights and biases are drawn U[−1/√fan_in, 1/√fan_in] with fan_in = C_in·k² (PyTorch's and
//! Equinox's default); weights go to the decay group, biases to the no-decay group.
//!
//! ```
//! use genlab_kernels::nn::{conv::Conv2d, params::Params};
//! use genlab_kernels::rng::Rng;
//! use candle_core::{DType, Device, Tensor};
//! let mut p = Params::new();
//! let conv = Conv2d::new("c", 3, 8, 4, 2, 1, &mut p, &mut Rng::new(0)).unwrap();
//! let y = conv.forward(&Tensor::zeros((2, 3, 32, 32), DType::F32, &Device::Cpu).unwrap()).unwrap();
//! assert_eq!(y.dims(), &[2, 8, 16, 16]);
//! ```
use super::bias::add_bias;
use super::im2col::Patches;
use super::layer_norm::normalise_rows;
use super::params::{Group, Params};
use super::storage::contiguous_f32;
use crate::rng::Rng;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

pub struct Conv2d {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
    padding: usize,
}

impl Conv2d {
    /// A `kernel`×`kernel` convolution named `{prefix}.weight` / `{prefix}.bias`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        prefix: &str,
        input: usize,
        output: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        params: &mut Params,
        rng: &mut Rng,
    ) -> Result<Self> {
        let bound = 1.0 / ((input * kernel * kernel) as f32).sqrt();
        let weight = params.uniform(
            &format!("{prefix}.weight"),
            &[output, input, kernel, kernel],
            bound,
            Group::Decay,
            rng,
        )?;
        let bias = params.uniform(
            &format!("{prefix}.bias"),
            &[output],
            bound,
            Group::NoDecay,
            rng,
        )?;
        Ok(Self {
            weight,
            bias,
            stride,
            padding,
        })
    }

    /// x (batch × C_in × H × W) → batch × C_out × H' × W', as im2col + a matmul per sample.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, kernel, _) = self.weight.dims4()?;
        let y = Patches {
            kernel,
            stride: self.stride,
            padding: self.padding,
        }
        .convolve(x, &self.weight)?;
        add_bias(&y, &self.bias)
    }
}

/// Nearest-neighbour upsampling by 2 (each pixel becomes a 2×2 block), as one op whose
/// gradient sums each block (candle's own goes through a grouped convolution).
pub fn upsample_nearest(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Upsample2)
}

struct Upsample2;
struct BlockSum2;

impl CustomOp1 for Upsample2 {
    fn name(&self) -> &'static str {
        "upsample-nearest-2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, h, w) = l.shape().dims4()?;
        let x = contiguous_f32(s, l, "upsampling")?;
        let mut out = vec![0f32; b * c * h * w * 4];
        for (plane, dst) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(h * w * 4)) {
            for i in 0..2 * h {
                for j in 0..2 * w {
                    dst[i * 2 * w + j] = plane[(i / 2) * w + j / 2];
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, c, 2 * h, 2 * w))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1(BlockSum2)?))
    }
}

impl CustomOp1 for BlockSum2 {
    fn name(&self) -> &'static str {
        "block-sum-2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, h2, w2) = l.shape().dims4()?;
        let (h, w) = (h2 / 2, w2 / 2);
        let g = contiguous_f32(s, l, "upsampling")?;
        let mut out = vec![0f32; b * c * h * w];
        for (plane, dst) in g.chunks_exact(h2 * w2).zip(out.chunks_exact_mut(h * w)) {
            for i in 0..h2 {
                for j in 0..w2 {
                    dst[(i / 2) * w + j / 2] += plane[i * w2 + j];
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, c, h, w))))
    }
}

/// Instance normalisation without affine parameters, then LeakyReLU with `slope` (1: none):
/// each sample's channel is shifted and scaled to zero mean and unit variance over its pixels
/// (ε = 10⁻⁶ as in the QLAE code), as one fused op.
pub fn instance_norm(x: &Tensor, slope: f32) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    normalise_rows(&x.reshape((b * c, h * w))?, slope, 1e-6)?.reshape((b, c, h, w))
}
