//! The paper's noise-prediction network (Aithal et al. 2024): a sinusoidal embedding of the raw
//! integer step t (dim 128) → Linear → LeakyReLU(0.02) gives t_emb; h = Linear(in → width, no
//! bias)(x); then ONE residual block applied three times with shared weights:
//!
//! ```text
//! out = L₁(LReLU(LN₁(h))) + Lₜ(t_emb);   out = L₂(LReLU(LN₂(out)));   h = out + h
//! ```
//!
//! and ε̂ = L_out(LN_out(h)). Weights are Xavier-uniform (biases zero), as in the authors' code.
//! Width 128 gives ≈ 67k parameters.
use super::exact::Denoiser;
use crate::nn::dense::Dense;
use crate::nn::embedding::sinusoidal;
use crate::nn::layer_norm::{FrozenLayerNorm, LayerNorm};
use crate::nn::params::{Group, Params};
use crate::rng::Rng;
use candle_core::{Device, Module, Result, Tensor};
use candle_nn::Linear;

/// Size of the sinusoidal step embedding.
pub const T_EMBED: usize = 128;
/// Times the shared residual block is applied.
pub const BLOCK_REPEATS: usize = 3;
const SLOPE: f32 = 0.02;

pub struct NoiseNet {
    pub params: Params,
    t_proj: Linear,
    x_proj: Linear,
    ln1: LayerNorm,
    l1: Linear,
    lt: Linear,
    ln2: LayerNorm,
    l2: Linear,
    ln_out: LayerNorm,
    out: Linear,
    dim: usize,
    width: usize,
}

/// A Xavier-uniform `Linear` (weights U[±√(6/(fan_in+fan_out))], zero bias).
fn xavier(
    name: &str,
    fan_in: usize,
    fan_out: usize,
    bias: bool,
    params: &mut Params,
    rng: &mut Rng,
) -> Result<Linear> {
    let bound = (6.0 / (fan_in + fan_out) as f32).sqrt();
    let w = params.uniform(
        &format!("{name}.weight"),
        &[fan_out, fan_in],
        bound,
        Group::Decay,
        rng,
    )?;
    let b = bias
        .then(|| params.zeros(&format!("{name}.bias"), &[fan_out], Group::NoDecay))
        .transpose()?;
    Ok(Linear::new(w, b))
}

fn lrelu(x: &Tensor) -> Result<Tensor> {
    crate::nn::leaky_relu::leaky_relu(x, SLOPE as f64)
}

impl NoiseNet {
    pub fn new(dim: usize, width: usize, rng: &mut Rng) -> Result<Self> {
        let mut p = Params::new();
        Ok(Self {
            t_proj: xavier("t_proj", T_EMBED, width, true, &mut p, rng)?,
            x_proj: xavier("x_proj", dim, width, false, &mut p, rng)?,
            ln1: LayerNorm::new("block.ln1", width, &mut p)?,
            l1: xavier("block.l1", width, width, true, &mut p, rng)?,
            lt: xavier("block.lt", width, width, true, &mut p, rng)?,
            ln2: LayerNorm::new("block.ln2", width, &mut p)?,
            l2: xavier("block.l2", width, width, true, &mut p, rng)?,
            ln_out: LayerNorm::new("ln_out", width, &mut p)?,
            out: xavier("out", width, dim, true, &mut p, rng)?,
            params: p,
            dim,
            width,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// ε̂ for points `x` (n × dim) at integer steps `t` (n, as f32; or one step for all).
    pub fn forward(&self, x: &Tensor, t: &Tensor) -> Result<Tensor> {
        let t_emb = lrelu(&self.t_proj.forward(&sinusoidal(t, T_EMBED, 10_000.0)?)?)?;
        let time = self.lt.forward(&t_emb)?;
        let mut h = self.x_proj.forward(x)?;
        for _ in 0..BLOCK_REPEATS {
            let out = self
                .l1
                .forward(&self.ln1.forward_leaky(&h, SLOPE)?)?
                .broadcast_add(&time)?;
            let out = self.l2.forward(&self.ln2.forward_leaky(&out, SLOPE)?)?;
            h = (out + h)?;
        }
        self.out.forward(&self.ln_out.forward(&h)?)
    }

    /// The network for sampling over steps 0..`steps`: see [`FrozenNoiseNet`].
    pub fn freeze(&self, steps: usize) -> Result<FrozenNoiseNet> {
        let l1 = Dense::from_linear(&self.l1)?;
        let l1_bias = (0..steps)
            .map(|t| {
                let step = Tensor::full(t as f32, 1, &Device::Cpu)?;
                let t_emb = lrelu(
                    &self
                        .t_proj
                        .forward(&sinusoidal(&step, T_EMBED, 10_000.0)?)?,
                )?;
                let time = self.lt.forward(&t_emb)?.flatten_all()?.to_vec1::<f32>()?;
                Ok(l1.bias().iter().zip(&time).map(|(b, t)| b + t).collect())
            })
            .collect::<Result<_>>()?;
        Ok(FrozenNoiseNet {
            x_proj: Dense::from_linear(&self.x_proj)?,
            l1,
            l2: Dense::from_linear(&self.l2)?,
            out: Dense::from_linear(&self.out)?,
            ln1: self.ln1.freeze()?,
            ln2: self.ln2.freeze()?,
            ln_out: self.ln_out.freeze()?,
            l1_bias,
            dim: self.dim,
            width: self.width,
        })
    }
}

/// Chains each thread takes at least when the threaded core splits a reverse step over rayon's
/// pool. A step of 25 chains (the first chunk) split in two did not paint sooner, and where
/// three widgets shared two cores it painted later (a thousand hand-offs a chunk wait on threads
/// the other pages hold), so the first chunks stay whole.
#[cfg(target_feature = "atomics")]
const ROWS_PER_THREAD: usize = 32;

/// [`NoiseNet`] frozen for the sampler's hot loop: plain-slice layers ([`Dense`]), and for every
/// step t, L₁'s bias with the time term Lₜ(t_emb(t)) folded in, all made once per set of
/// weights; the residual goes into L₂'s output buffer. The same numbers as
/// [`NoiseNet::forward`] to rounding (tested), without candle's per-op allocations and
/// broadcast passes, or copying the weights out at every step.
pub struct FrozenNoiseNet {
    x_proj: Dense,
    l1: Dense,
    l2: Dense,
    out: Dense,
    ln1: FrozenLayerNorm,
    ln2: FrozenLayerNorm,
    ln_out: FrozenLayerNorm,
    l1_bias: Vec<Vec<f32>>,
    dim: usize,
    width: usize,
}

impl FrozenNoiseNet {
    /// ε̂ for the rows of `x` (n × dim) at step `t`.
    pub fn infer(&self, t: usize, x: &[f32]) -> Result<Vec<f32>> {
        let Some(l1_bias) = self.l1_bias.get(t) else {
            candle_core::bail!(
                "step {t} is past the {} steps this network was frozen for",
                self.l1_bias.len()
            )
        };
        let (n, width) = (x.len() / self.dim, self.width);
        let mut h = vec![0f32; n * width];
        self.x_proj.accumulate(x, &mut h)?;
        for _ in 0..BLOCK_REPEATS {
            let mut out = l1_bias.repeat(n);
            self.l1
                .accumulate(&self.ln1.forward_leaky(&h, SLOPE)?, &mut out)?;
            let out = self.ln2.forward_leaky(&out, SLOPE)?;
            for row in h.chunks_exact_mut(width) {
                row.iter_mut()
                    .zip(self.l2.bias())
                    .for_each(|(v, b)| *v += b);
            }
            self.l2.accumulate(&out, &mut h)?;
        }
        self.out.forward(&self.ln_out.forward_leaky(&h, 1.0)?)
    }

    /// [`Self::infer`], in the threaded core split by rows over rayon's pool. The lab worker's
    /// chunks of chains otherwise ran on its own thread while its pool idled: a whole `grid25`
    /// run sampled 1.2× as fast (12.7 → 10.7 s, 2 threads and a helper worker, 3 alternated
    /// runs). Each row's ε̂ is computed alone (a 4-row block of the panel kernel and a single
    /// row sum alike), so the split changes no bit.
    fn infer_split(&self, t: usize, x: &[f32]) -> Result<Vec<f32>> {
        #[cfg(target_feature = "atomics")]
        {
            use rayon::prelude::*;
            let n = x.len() / self.dim;
            let parts = (n / ROWS_PER_THREAD).min(rayon::current_num_threads());
            if parts > 1 {
                let rows = n.div_ceil(parts);
                let parts = x
                    .par_chunks(rows * self.dim)
                    .map(|part| self.infer(t, part))
                    .collect::<Result<Vec<_>>>()?;
                return Ok(parts.concat());
            }
        }
        self.infer(t, x)
    }
}

impl Denoiser for FrozenNoiseNet {
    fn dim(&self) -> usize {
        self.dim
    }

    /// Inference without a graph ([`FrozenNoiseNet::infer`]), in the threaded core with the
    /// chains split over rayon's pool. On a (never expected) error this predicts zero noise.
    fn eps(&self, t: usize, x: &[f32]) -> Vec<f32> {
        self.infer_split(t, x)
            .unwrap_or_else(|_| vec![0.0; x.len()])
    }
}
