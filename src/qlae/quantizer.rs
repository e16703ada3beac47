//! Latent quantization (Hsu et al. 2023): each of the n_z scalar latents snaps to the nearest
//! value of its own learnable codebook, initialised linspace(−0.5, 0.5). The decoder gets the
//! straight-through value z + sg(q − z); the codebook learns only through the quantization
//! loss mean (sg(z) − q)², the encoder through the commitment loss mean (z − sg(q))².
//!
//! ```
//! use genlab::nn::params::Params;
//! use genlab::qlae::quantizer::Quantizer;
//! use candle_core::{Device, Tensor};
//! let mut p = Params::new();
//! let quantizer = Quantizer::new(2, 3, &mut p).unwrap(); // codebooks [−0.5, 0, 0.5]
//! let z = Tensor::new(&[[0.2f32, -0.4], [0.3, 0.9]], &Device::Cpu).unwrap();
//! let out = quantizer.forward(&z).unwrap();
//! assert_eq!(out.indices.to_vec2::<u32>().unwrap(), vec![vec![1, 0], vec![2, 2]]);
//! assert_eq!(out.quantized.to_vec2::<f32>().unwrap(), vec![vec![0.0, -0.5], vec![0.5, 0.5]]);
//! ```
use crate::nn::params::{Group, Params};
use candle_core::{DType, Device, Result, Tensor, D};

/// The parameter name of the codebooks (n_z × values).
pub const CODEBOOKS: &str = "latent.codebooks";

pub struct Quantizer {
    /// One row of values per latent.
    pub codebooks: Tensor,
}

/// The quantizer's outputs for a batch of continuous latents z (batch × n_z).
pub struct Quantized {
    /// q: the nearest codebook values, differentiable in the codebooks only.
    pub quantized: Tensor,
    /// z + sg(q − z): q's values with z's gradient, for the decoder.
    pub straight_through: Tensor,
    /// The chosen value per latent (batch × n_z, u32).
    pub indices: Tensor,
}

impl Quantizer {
    /// `latents` codebooks of `values` values each, linspace(−0.5, 0.5); no weight decay.
    pub fn new(latents: usize, values: usize, params: &mut Params) -> Result<Self> {
        let row: Vec<f32> = (0..values)
            .map(|i| -0.5 + i as f32 / (values - 1) as f32)
            .collect();
        let init = Tensor::new(row.as_slice(), &Device::Cpu)?
            .unsqueeze(0)?
            .repeat((latents, 1))?;
        Ok(Self {
            codebooks: params.add(CODEBOOKS, init, Group::NoDecay)?,
        })
    }

    pub fn latents(&self) -> usize {
        self.codebooks.dim(0).unwrap_or(0)
    }

    pub fn values(&self) -> usize {
        self.codebooks.dim(1).unwrap_or(0)
    }

    /// Nearest-value quantization of z (batch × n_z).
    pub fn forward(&self, z: &Tensor) -> Result<Quantized> {
        let (latents, values) = self.codebooks.dims2()?;
        let codebooks = self.codebooks.unsqueeze(0)?;
        // argmin on detached distances; the one-hot picks q without a gather
        let distance = z
            .detach()
            .unsqueeze(2)?
            .broadcast_sub(&codebooks.detach())?
            .abs()?;
        let indices = distance.argmin(D::Minus1)?;
        let one_hot = indices.unsqueeze(2)?.broadcast_eq(
            &Tensor::arange(0u32, values as u32, &Device::Cpu)?.reshape((1, 1, values))?,
        )?;
        let quantized = one_hot
            .to_dtype(DType::F32)?
            .broadcast_mul(&codebooks)?
            .sum(D::Minus1)?;
        debug_assert_eq!(quantized.dim(1)?, latents);
        let straight_through = (z + (&quantized - z)?.detach())?;
        Ok(Quantized {
            quantized,
            straight_through,
            indices,
        })
    }
}

/// λ-free quantization loss mean (sg(z) − q)²: moves the codebook values only.
pub fn quantization_loss(z: &Tensor, quantized: &Tensor) -> Result<Tensor> {
    (z.detach() - quantized)?.sqr()?.mean_all()
}

/// λ-free commitment loss mean (z − sg(q))²: moves the encoder only.
pub fn commitment_loss(z: &Tensor, quantized: &Tensor) -> Result<Tensor> {
    (z - quantized.detach())?.sqr()?.mean_all()
}
