//! LeakyReLU as one pass forward and one pass backward, with candle's bits.
//!
//! candle-nn's `leaky_relu(x, s)` is max(x, 0) + min(x, 0)·s: four tensor ops forward, and a
//! backward of about fifteen (each of max and min compares its output with both inputs, turns
//! the masks into floats and divides by mask + 1; the sums of gradients start from zeros).
//! Profiled in V8, those ops took about a tenth of a QLAE conv training step. Here each pass is
//! one loop that does the same arithmetic in the same order per element, written out below, so
//! every bit, signed zeros and x = 0 (where candle splits the gradient in halves) included, is
//! candle's: links to runs trained before replay unchanged (tested against candle-nn in
//! `tests/nn.rs`).
//!
//! ```
//! use candle_core::{Device, Var};
//! let x = Var::from_slice(&[-2f32, 0., 3.], 3, &Device::Cpu).unwrap();
//! let y = genlab_kernels::nn::leaky_relu::leaky_relu(&x, 0.01).unwrap();
//! assert_eq!(y.to_vec1::<f32>().unwrap(), [-0.02, 0., 3.]);
//! let g = y.sum_all().unwrap().backward().unwrap();
//! assert_eq!(g.get(&x).unwrap().to_vec1::<f32>().unwrap(), [0.01, 0.505, 1.]);
//! ```
use super::storage::contiguous_f32;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// max(x, 0) + min(x, 0)·`slope`, element by element, as candle-nn's `leaky_relu` computes it
/// (`slope` is rounded to f32 as candle's affine op rounds it).
/// A strided `x` takes candle-nn's ops: copying it first would add a node to the graph.
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    if !x.is_contiguous() {
        return candle_nn::ops::leaky_relu(x, slope);
    }
    x.apply_op1(LeakyRelu {
        slope: slope as f32,
    })
}

struct LeakyRelu {
    slope: f32,
}

/// The gradient at x given the incoming gradient g.
struct LeakyReluGrad {
    slope: f32,
}

/// candle's max(x, 0) and min(x, 0): `if x < 0 { 0 } else { x }` and `if x > 0 { 0 } else { x }`
/// (so −0 and NaN pass through both).
fn max_min(x: f32) -> (f32, f32) {
    (if x < 0.0 { 0.0 } else { x }, if x > 0.0 { 0.0 } else { x })
}

/// 1 where `a == b`, else 0: candle's comparison mask, as f32.
fn mask(a: f32, b: f32) -> f32 {
    if a == b {
        1.0
    } else {
        0.0
    }
}

impl CustomOp1 for LeakyRelu {
    fn name(&self) -> &'static str {
        "leaky-relu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l, "leaky-relu")?;
        let y = x
            .iter()
            .map(|&v| {
                let (max, min) = max_min(v);
                // the add of max and the affine min·s + 0
                max + (min * self.slope + 0.0)
            })
            .collect();
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _y: &Tensor, g: &Tensor) -> Result<Option<Tensor>> {
        let grad = LeakyReluGrad { slope: self.slope };
        Ok(Some(
            x.contiguous()?.apply_op2_no_bwd(&g.contiguous()?, &grad)?,
        ))
    }
}

impl CustomOp2 for LeakyReluGrad {
    fn name(&self) -> &'static str {
        "leaky-relu-grad"
    }

    /// candle's backward of max(x, 0) + min(x, 0)·s, per element: the add hands g to both terms
    /// (each sum of gradients starting from 0), the affine scales it by s (+ 0), and max and min
    /// each give x (mask(out = x)·g) / (mask(out = 0) + 1). x's sum adds the two to 0; in either
    /// order the result is the same, as one of them is ±0 unless x = 0.
    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(xs, xl, "leaky-relu-grad")?;
        let g = contiguous_f32(gs, gl, "leaky-relu-grad")?;
        if g.len() != x.len() {
            candle_core::bail!("leaky-relu-grad: input and gradient sizes differ");
        }
        let dx = x
            .iter()
            .zip(g)
            .map(|(&v, &g)| {
                let (max, min) = max_min(v);
                let g_max = 0.0 + g;
                let g_min = 0.0 + ((0.0 + g) * self.slope + 0.0);
                let from_max = (mask(max, v) * g_max) / (mask(max, 0.0) + 1.0);
                let from_min = (mask(min, v) * g_min) / (mask(min, 0.0) + 1.0);
                (0.0 + from_max) + from_min
            })
            .collect();
        Ok((CpuStorage::F32(dx), xl.shape().clone()))
    }
}
