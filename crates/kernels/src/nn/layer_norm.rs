//! LayerNorm over the last dimension with a learned scale and shift (Ba et al. 2016), optionally
//! followed by a LeakyReLU, as one fused op with a hand-written gradient. Stock candle ops cost
//! about ten tensor passes (and allocations) for this; candle's own fused `layer_norm` has no
//! backward pass. The gradient is checked against finite differences in `tests/halluc.rs`.
//!
//! ```
//! use genlab_kernels::nn::{layer_norm::LayerNorm, params::Params};
//! use candle_core::{Device, Tensor};
//! let mut p = Params::new();
//! let ln = LayerNorm::new("ln", 4, &mut p).unwrap();
//! let y = ln.forward(&Tensor::new(&[[1.0f32, 2.0, 3.0, 4.0]], &Device::Cpu).unwrap()).unwrap();
//! let y = y.to_vec2::<f32>().unwrap()[0].clone();
//! assert!(y.iter().sum::<f32>().abs() < 1e-5); // zero mean
//! assert!((y.iter().map(|v| v * v).sum::<f32>() / 4.0 - 1.0).abs() < 1e-4); // unit variance
//! ```
use super::params::{Group, Params};
use super::storage::contiguous_f32;
use candle_core::{CpuStorage, CustomOp3, DType, Device, Layout, Result, Shape, Storage, Tensor};

const EPS: f32 = 1e-5;

pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    /// Scale 1 and shift 0, both in the no-decay group (PyTorch's defaults).
    pub fn new(prefix: &str, dim: usize, params: &mut Params) -> Result<Self> {
        Self::with_scale_group(prefix, dim, Group::NoDecay, params)
    }

    /// Scale 1 in `scale_group` and shift 0 without decay (the QLAE code decays every
    /// parameter but biases and codebooks, so its LayerNorm scales too).
    pub fn with_scale_group(
        prefix: &str,
        dim: usize,
        scale_group: Group,
        params: &mut Params,
    ) -> Result<Self> {
        let weight = params.add(
            &format!("{prefix}.weight"),
            Tensor::ones(dim, DType::F32, &Device::Cpu)?,
            scale_group,
        )?;
        let bias = params.zeros(&format!("{prefix}.bias"), &[dim], Group::NoDecay)?;
        Ok(Self { weight, bias })
    }

    /// γ·x̂ + β with x̂ = (x − mean) / √(var + 10⁻⁵) over the last dimension.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_leaky(x, 1.0)
    }

    /// LeakyReLU(γ·x̂ + β) with negative slope `slope` (1 means no activation).
    pub fn forward_leaky(&self, x: &Tensor, slope: f32) -> Result<Tensor> {
        x.contiguous()?
            .apply_op3(&self.weight, &self.bias, NormLeaky { slope, eps: EPS })
    }

    /// The scale and shift copied out, for inference on plain rows.
    pub fn freeze(&self) -> Result<FrozenLayerNorm> {
        Ok(FrozenLayerNorm {
            gamma: self.weight.to_vec1::<f32>()?,
            beta: self.bias.to_vec1::<f32>()?,
        })
    }
}

/// A [`LayerNorm`] for inference: the same numbers as [`LayerNorm::forward_leaky`], no graph.
pub struct FrozenLayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl FrozenLayerNorm {
    /// LeakyReLU(γ·x̂ + β) of the rows of `x` with negative slope `slope` (1: none).
    pub fn forward_leaky(&self, x: &[f32], slope: f32) -> Result<Vec<f32>> {
        let d = self.gamma.len();
        if !x.len().is_multiple_of(d) {
            candle_core::bail!("layer norm: {} inputs are not rows of {d}", x.len());
        }
        Ok(norm_leaky(x, &self.gamma, &self.beta, slope, EPS))
    }
}

/// LeakyReLU(γ·x̂ + β) of each row of `x` (rows × γ's length).
fn norm_leaky(x: &[f32], gamma: &[f32], beta: &[f32], slope: f32, eps: f32) -> Vec<f32> {
    let d = gamma.len();
    let mut y = vec![0f32; x.len()];
    for ((row, out), (mean, r)) in x
        .chunks_exact(d)
        .zip(y.chunks_exact_mut(d))
        .zip(row_stats(x, d, eps))
    {
        for (((o, v), g), b) in out.iter_mut().zip(row).zip(gamma).zip(beta) {
            let z = (v - mean) * r * g + b;
            *o = if z > 0.0 { z } else { slope * z };
        }
    }
    y
}

/// Rows summed side by side in [`row_stats`].
const LANES: usize = 8;

/// The mean and r = 1/√(var + eps) of each row of `x` (rows × d). Each row is summed in order,
/// as one row after another would be (the same bits), but [`LANES`] rows go side by side, laid
/// out column by column so the additions are vector lanes: summed a row at a time, LayerNorm
/// took a third of the hallucination sampler's time.
fn row_stats(x: &[f32], d: usize, eps: f32) -> Vec<(f32, f32)> {
    let mut stats = Vec::with_capacity(x.len() / d.max(1));
    if d == 0 {
        return stats;
    }
    let n = d as f32;
    // element i of the block's row j at [i][j]; lanes past a short last block are ignored
    let mut columns = vec![[0f32; LANES]; d];
    for block in x.chunks(LANES * d) {
        for (j, row) in block.chunks_exact(d).enumerate() {
            for (column, v) in columns.iter_mut().zip(row) {
                column[j] = *v;
            }
        }
        let mut sum = [-0.0f32; LANES];
        for column in &columns {
            for (s, v) in sum.iter_mut().zip(column) {
                *s += v;
            }
        }
        let mean = sum.map(|s| s / n);
        let mut square = [-0.0f32; LANES];
        for column in &columns {
            for ((q, v), m) in square.iter_mut().zip(column).zip(&mean) {
                let c = v - m;
                *q += c * c;
            }
        }
        stats.extend((0..block.len() / d).map(|j| (mean[j], 1.0 / (square[j] / n + eps).sqrt())));
    }
    stats
}

/// Each row of `x` (rows × d) shifted and scaled to zero mean and unit variance with `eps`,
/// then LeakyReLU with `slope` (1: none): the same fused op with γ = 1 and β = 0, e.g. for
/// instance normalisation over an image's pixels.
pub fn normalise_rows(x: &Tensor, slope: f32, eps: f32) -> Result<Tensor> {
    let d = x.dim(candle_core::D::Minus1)?;
    let (ones, zeros) = (
        Tensor::ones(d, DType::F32, x.device())?,
        Tensor::zeros(d, DType::F32, x.device())?,
    );
    x.contiguous()?
        .apply_op3(&ones, &zeros, NormLeaky { slope, eps })
}

/// The fused op on (x, γ, β).
struct NormLeaky {
    slope: f32,
    eps: f32,
}

impl CustomOp3 for NormLeaky {
    fn name(&self) -> &'static str {
        "layer-norm-leaky-relu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, gamma, beta) = (
            contiguous_f32(s1, l1, "layer norm")?,
            contiguous_f32(s2, l2, "layer norm")?,
            contiguous_f32(s3, l3, "layer norm")?,
        );
        let y = norm_leaky(x, gamma, beta, self.slope, self.eps);
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    /// With g_z = g_y·(1 if z > 0 else slope): ∂γ = Σ g_z x̂, ∂β = Σ g_z over rows, and
    /// ∂x = r·(g_x̂ − mean(g_x̂) − x̂·mean(g_x̂ x̂)) per row with g_x̂ = g_z γ.
    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        y: &Tensor,
        grad_y: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (x, gamma, y, grad_y) = (
            x.contiguous()?,
            gamma.contiguous()?,
            y.contiguous()?,
            grad_y.contiguous()?,
        );
        let (xs, xl) = x.storage_and_layout();
        let (ys, yl) = y.storage_and_layout();
        let (gs, gl) = grad_y.storage_and_layout();
        let (cs, cl) = gamma.storage_and_layout();
        let (Storage::Cpu(xs), Storage::Cpu(ys), Storage::Cpu(gs), Storage::Cpu(cs)) =
            (&*xs, &*ys, &*gs, &*cs)
        else {
            candle_core::bail!("layer norm: GenLab computes on the CPU only")
        };
        let op = "layer norm gradient";
        let (xv, yv, gv, gamma_v) = (
            contiguous_f32(xs, xl, op)?,
            contiguous_f32(ys, yl, op)?,
            contiguous_f32(gs, gl, op)?,
            contiguous_f32(cs, cl, op)?,
        );
        if yv.len() != xv.len() || gv.len() != xv.len() {
            candle_core::bail!("{op}: input, output and gradient sizes differ");
        }
        let (gx, gg, gb) = norm_leaky_grad(xv, yv, gv, gamma_v, self.slope, self.eps);
        let (dev, d) = (x.device(), gamma_v.len());
        Ok((
            Some(Tensor::from_vec(gx, x.shape(), dev)?),
            Some(Tensor::from_vec(gg, d, dev)?),
            Some(Tensor::from_vec(gb, d, dev)?),
        ))
    }
}

/// [`NormLeaky`]'s gradients (∂x, ∂γ, ∂β) for input `x`, output `y` and output gradient `g`.
/// Each row's two sums, Σ g_x̂ and Σ g_x̂·x̂, run in order from 0 as one row at a time would (the
/// same bits), but [`LANES`] rows go side by side as in [`row_stats`]; the element-wise work
/// goes a row at a time, ∂γ and ∂β adding the rows in order. Summed a row at a time, the two
/// sums held every element's work to one lane.
fn norm_leaky_grad(
    x: &[f32],
    y: &[f32],
    g: &[f32],
    gamma: &[f32],
    slope: f32,
    eps: f32,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let d = gamma.len();
    let (mut gx, mut gg, mut gb) = (vec![0f32; x.len()], vec![0f32; d], vec![0f32; d]);
    if d == 0 {
        return (gx, gg, gb);
    }
    let stats = row_stats(x, d, eps);
    // x̂ and g_x̂ of the block's rows, a row after another; the sums' terms column by column
    let (mut xhat, mut gxhat) = (vec![0f32; LANES * d], vec![0f32; LANES * d]);
    let (mut terms_g, mut terms_gx) = (vec![[0f32; LANES]; d], vec![[0f32; LANES]; d]);
    for (b, ((xb, yb), gb_rows)) in x
        .chunks(LANES * d)
        .zip(y.chunks(LANES * d))
        .zip(g.chunks(LANES * d))
        .enumerate()
    {
        let rows = xb.len() / d;
        let block = &stats[b * LANES..b * LANES + rows];
        for (k, &(mean, r)) in block.iter().enumerate() {
            let span = k * d..(k + 1) * d;
            let (xh, gh) = (&mut xhat[span.clone()], &mut gxhat[span.clone()]);
            let (xr, yr, gr) = (&xb[span.clone()], &yb[span.clone()], &gb_rows[span]);
            for j in 0..d {
                xh[j] = (xr[j] - mean) * r;
                let gz = if yr[j] > 0.0 { gr[j] } else { slope * gr[j] };
                gg[j] += gz * xh[j];
                gb[j] += gz;
                gh[j] = gz * gamma[j];
            }
            for j in 0..d {
                terms_g[j][k] = gh[j];
                terms_gx[j][k] = gh[j] * xh[j];
            }
        }
        let (mut sum_g, mut sum_gx) = ([0f32; LANES], [0f32; LANES]);
        for (tg, tgx) in terms_g.iter().zip(&terms_gx) {
            for k in 0..LANES {
                sum_g[k] += tg[k];
                sum_gx[k] += tgx[k];
            }
        }
        let out = &mut gx[b * LANES * d..][..rows * d];
        for (k, ((o, &(_, r)), (xh, gh))) in out
            .chunks_exact_mut(d)
            .zip(block)
            .zip(xhat.chunks_exact(d).zip(gxhat.chunks_exact(d)))
            .enumerate()
        {
            let (mean_g, mean_gx) = (sum_g[k] / d as f32, sum_gx[k] / d as f32);
            for j in 0..d {
                o[j] = r * (gh[j] - mean_g - xh[j] * mean_gx);
            }
        }
    }
    (gx, gg, gb)
}
