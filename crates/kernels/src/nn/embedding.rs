//! Time embeddings for networks that take t as input.
//!
//! * [`sinusoidal`]: the transformer / DDPM embedding (Vaswani et al. 2017; Ho et al. 2020),
//!   `[sin(t·ω_k), cos(t·ω_k)]` with ω_k = max_period^(−k/half), k < half = dim/2. The
//!   hallucination paper feeds it the raw integer step t (Aithal et al. 2024).
//! * [`FourierFeatures`]: random Fourier features (Tancik et al. 2020), `[cos 2πBt, sin 2πBt]`
//!   with B ~ N(0, σ²) drawn once from the seeded RNG and kept fixed.
//!
//! ```
//! use genlab_kernels::nn::embedding::sinusoidal;
//! use candle_core::{Device, Tensor};
//! let t = Tensor::new(&[0.0f32, 1.0], &Device::Cpu).unwrap();
//! let e = sinusoidal(&t, 4, 10_000.0).unwrap().to_vec2::<f32>().unwrap();
//! assert_eq!(e[0], vec![0.0, 0.0, 1.0, 1.0]); // sin 0, sin 0, cos 0, cos 0
//! assert!((e[1][0] - 1f32.sin()).abs() < 1e-6 && (e[1][1] - 0.01f32.sin()).abs() < 1e-6);
//! ```
use crate::rng::Rng;
use candle_core::{Device, Result, Tensor};

/// `t` of shape `[n]` → `[n, dim]` (dim even).
pub fn sinusoidal(t: &Tensor, dim: usize, max_period: f32) -> Result<Tensor> {
    let half = dim / 2;
    let freqs: Vec<f32> = (0..half)
        .map(|k| (-(max_period.ln()) * k as f32 / half as f32).exp())
        .collect();
    let freqs = Tensor::from_vec(freqs, (1, half), t.device())?;
    let args = t.unsqueeze(1)?.broadcast_mul(&freqs)?;
    Tensor::cat(&[args.sin()?, args.cos()?], 1)
}

/// Fixed random Fourier features of a scalar input.
pub struct FourierFeatures {
    /// 2π·B, shape `[1, dim/2]`.
    two_pi_b: Tensor,
}

impl FourierFeatures {
    /// `dim/2` frequencies B ~ N(0, σ²).
    pub fn new(dim: usize, sigma: f32, rng: &mut Rng) -> Result<Self> {
        let b: Vec<f32> = (0..dim / 2)
            .map(|_| 2.0 * std::f32::consts::PI * sigma * rng.normal())
            .collect();
        Ok(Self {
            two_pi_b: Tensor::from_vec(b, (1, dim / 2), &Device::Cpu)?,
        })
    }

    /// `t` of shape `[n]` → `[n, dim]`.
    pub fn forward(&self, t: &Tensor) -> Result<Tensor> {
        let args = t.unsqueeze(1)?.broadcast_mul(&self.two_pi_b)?;
        Tensor::cat(&[args.cos()?, args.sin()?], 1)
    }
}
