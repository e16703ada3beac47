//! SiLU, x·σ(x), as one pass forward and one pass backward.
//!
//! candle's `silu` computes the forward in one pass, but its gradient takes eight tensor ops
//! (neg, exp, +1, recip, 1 − y, ·, +y, ·g), each allocating and writing a tensor. In
//! wasm every e^x was also a call into the standard library's scalar `expf`; here it is
//! [`super::expf::exp4`], four lanes at a time. Both passes do candle's arithmetic in candle's
//! order (its backward rule and affine ops, written out below), so the bits are candle's
//! (tested in `tests/nn.rs` natively and `tests/wasm.rs` in the browser).
//!
//! ```
//! use candle_core::{Device, Var};
//! let x = Var::from_slice(&[-2f32, 0., 3.], 3, &Device::Cpu).unwrap();
//! let y = genlab_kernels::nn::silu::silu(&x).unwrap();
//! assert_eq!(y.to_vec1::<f32>().unwrap(), x.silu().unwrap().to_vec1::<f32>().unwrap());
//! let g = y.sum_all().unwrap().backward().unwrap();
//! assert!((g.get(&x).unwrap().to_vec1::<f32>().unwrap()[1] - 0.5).abs() < 1e-7);
//! ```
#[cfg(target_arch = "wasm32")]
use super::expf::exp4;
use super::storage::contiguous_f32;
use candle_core::{CpuStorage, CustomOp1, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::OnceLock;

/// x·σ(x) = x / (1 + e^−x), element by element, with a fused backward. When `x` takes part
/// in a gradient, the op keeps its e^−x for the backward: one more store an element instead of
/// a second e^x (profiled in V8, SiLU's two passes, each with its e^x, took 19% of a W1 step).
pub fn silu(x: &Tensor) -> Result<Tensor> {
    x.apply_op1(Silu {
        keep: x.track_op(),
        exp: OnceLock::new(),
    })
}

/// [`silu`] on a slice, in place (the inference layers).
pub fn silu_in_place(x: &mut [f32]) {
    for_blocks(x, |_, x| silu_block::<false>(x, &mut []));
}

/// [`silu_in_place`] that also writes each e^−x into `exp`, of the same length.
fn silu_keeping_exp(x: &mut [f32], exp: &mut [f32]) {
    for_block_pairs(x, exp, silu_block::<true>);
}

/// Each x in `x` becomes x / (1 + e^−x), and with `KEEP` each e^−x is written into `exp` (of
/// `x`'s length; unused otherwise).
fn silu_block<const KEEP: bool>(x: &mut [f32], exp: &mut [f32]) {
    assert!(
        !KEEP || exp.len() == x.len(),
        "silu: e^−x's buffer is not x's length"
    );
    let whole = x.len() / 4 * 4;
    #[cfg(target_arch = "wasm32")]
    for i in (0..whole).step_by(4) {
        use core::arch::wasm32::*;
        // SAFETY: i + 4 ≤ whole ≤ the length of `x`, and of `exp` when it is written; wasm
        // loads and stores need no alignment.
        unsafe {
            let p = x.as_mut_ptr().add(i) as *mut v128;
            let v = v128_load(p);
            let e = exp4(f32x4_neg(v));
            if KEEP {
                v128_store(exp.as_mut_ptr().add(i) as *mut v128, e);
            }
            v128_store(p, f32x4_div(v, f32x4_add(f32x4_splat(1.0), e)));
        }
    }
    let done = if cfg!(target_arch = "wasm32") {
        whole
    } else {
        0
    };
    for (i, v) in x.iter_mut().enumerate().skip(done) {
        let e = (-*v).exp();
        if KEEP {
            exp[i] = e;
        }
        *v /= 1.0 + e;
    }
}

/// Elements from which the threaded core splits a pass over rayon's pool, as its patched candle
/// does for candle's own element-wise ops. Each element is computed alone, so the split
/// changes no bit.
#[cfg(target_feature = "atomics")]
const THREADED_FROM: usize = 1 << 16;

/// The length of the blocks a pass over `len` elements splits into on rayon's pool: a few
/// blocks per thread past [`THREADED_FROM`] elements, otherwise `None`, one call.
#[cfg(target_feature = "atomics")]
fn threaded_block(len: usize) -> Option<usize> {
    let threads = rayon::current_num_threads();
    (len >= THREADED_FROM && threads > 1).then(|| len.div_ceil(4 * threads).next_multiple_of(4))
}

/// `f(start, block)` over blocks of `x`, split as `threaded_block` says in the threaded core.
fn for_blocks(x: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    #[cfg(target_feature = "atomics")]
    if let Some(block) = threaded_block(x.len()) {
        use rayon::prelude::*;
        x.par_chunks_mut(block)
            .enumerate()
            .for_each(|(i, x)| f(i * block, x));
        return;
    }
    f(0, x)
}

/// `f(a's block, b's block)` over matching blocks of two slices of one length,
/// split as `threaded_block` says in the threaded core.
fn for_block_pairs(a: &mut [f32], b: &mut [f32], f: impl Fn(&mut [f32], &mut [f32]) + Sync + Send) {
    #[cfg(target_feature = "atomics")]
    if let Some(block) = threaded_block(a.len()) {
        use rayon::prelude::*;
        a.par_chunks_mut(block)
            .zip(b.par_chunks_mut(block))
            .for_each(|(a, b)| f(a, b));
        return;
    }
    f(a, b)
}

struct Silu {
    /// Whether to keep e^−x for the backward.
    keep: bool,
    exp: OnceLock<Vec<f32>>,
}

/// The gradient of SiLU at x given its output y and the incoming gradient g, from the
/// forward's e^−x where it was kept.
struct SiluGrad<'a> {
    exp: Option<&'a [f32]>,
}

impl CustomOp1 for Silu {
    fn name(&self) -> &'static str {
        "silu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let mut y = contiguous_f32(s, l, "silu")?.to_vec();
        if !self.keep {
            silu_in_place(&mut y);
            return Ok((CpuStorage::F32(y), l.shape().clone()));
        }
        let mut exp = vec![0.0; y.len()];
        silu_keeping_exp(&mut y, &mut exp);
        // a forward runs once per op; were it to run again, the first e^−x is the same
        let _ = self.exp.set(exp);
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Option<Tensor>> {
        let (x, y, g) = (x.contiguous()?, y.contiguous()?, g.contiguous()?);
        let grad = SiluGrad {
            exp: self.exp.get().map(Vec::as_slice),
        };
        Ok(Some(x.apply_op3_no_bwd(&y, &g, &grad)?))
    }
}

impl CustomOp3 for SiluGrad<'_> {
    fn name(&self) -> &'static str {
        "silu-grad"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ys: &CpuStorage,
        yl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(xs, xl, "silu-grad")?;
        let y = contiguous_f32(ys, yl, "silu-grad")?;
        let g = contiguous_f32(gs, gl, "silu-grad")?;
        if y.len() != x.len() || g.len() != x.len() {
            candle_core::bail!("silu-grad: input, output and gradient sizes differ");
        }
        // a copy of e^−x, or of x, becomes the gradient, block by block
        let mut dx = match self.exp {
            Some(e) if e.len() == x.len() => e.to_vec(),
            Some(_) => candle_core::bail!("silu-grad: the kept e^−x has the wrong size"),
            None => x.to_vec(),
        };
        let from_exp = self.exp.is_some();
        for_blocks(&mut dx, |start, d| {
            let end = start + d.len();
            if from_exp {
                grad_in_place::<true>(d, &y[start..end], &g[start..end]);
            } else {
                grad_in_place::<false>(d, &y[start..end], &g[start..end]);
            }
        });
        Ok((CpuStorage::F32(dx), xl.shape().clone()))
    }
}

/// Each x in `d`, or (`EXP`) its e^−x, becomes g·(σ(x)·(1 − y) + y), σ(x) = recip(e^−x·1 + 1),
/// with 1 − y as candle's affine y·(−1) + 1: candle's `Silu` backward rule, op by op.
fn grad_in_place<const EXP: bool>(d: &mut [f32], y: &[f32], g: &[f32]) {
    #[cfg(target_arch = "wasm32")]
    let (d, y, g) = {
        use core::arch::wasm32::*;
        let one = f32x4_splat(1.0);
        let whole = d.len() / 4 * 4;
        for i in (0..whole).step_by(4) {
            // SAFETY: i + 4 ≤ whole ≤ the length of all three slices (checked by the caller);
            // wasm loads and stores need no alignment.
            unsafe {
                let load = |s: &[f32]| v128_load(s.as_ptr().add(i) as *const v128);
                let (x, y, g) = (load(d), load(y), load(g));
                let exp = if EXP { x } else { exp4(f32x4_neg(x)) };
                let e = f32x4_add(f32x4_mul(exp, one), one);
                let sigmoid = f32x4_div(one, e);
                let one_minus_y = f32x4_add(f32x4_mul(y, f32x4_splat(-1.0)), one);
                let slope = f32x4_add(f32x4_mul(sigmoid, one_minus_y), y);
                v128_store(d.as_mut_ptr().add(i) as *mut v128, f32x4_mul(g, slope));
            }
        }
        (&mut d[whole..], &y[whole..], &g[whole..])
    };
    for ((x, y), g) in d.iter_mut().zip(y).zip(g) {
        let exp = if EXP { *x } else { (-*x).exp() };
        let sigmoid = 1.0 / (exp * 1.0 + 1.0);
        *x = g * (sigmoid * (y * -1.0 + 1.0) + y);
    }
}
