//! Convolution as im2col + matmul, one candle op with a hand-written gradient (col2im). candle's
//! own conv2d backward runs a direct conv_transpose2d and slicing with stock ops costs a
//! full-size zero tensor per kernel tap in the backward pass; both were measured many times
//! slower for QLAE training. Checked against candle's conv2d in `tests/nn.rs`.
use super::matmul::matmul;
use super::storage::contiguous_f32;
use candle_core::{CpuStorage, CustomOp2, Error, Layout, Result, Shape, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;

/// The geometry of one convolution's patches.
#[derive(Clone, Copy, Debug)]
pub struct Patches {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl Patches {
    fn output(&self, side: usize) -> usize {
        (side + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Visits each output row of each column row once: the column entries `dst..dst + W'`
    /// (column rows run over (channel, ki, kj), entries over (oi, oj)), and the output
    /// positions `oj` in `lo..hi` whose taps fall inside the image, read from input index
    /// `src + (oj − lo)·stride`; the entries outside `lo..hi` are padding.
    fn segments(
        &self,
        c: usize,
        h: usize,
        w: usize,
        mut visit: impl FnMut(usize, usize, usize, usize),
    ) {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let (ho, wo) = (self.output(h), self.output(w));
        for ch in 0..c {
            for ki in 0..k {
                for kj in 0..k {
                    let row = (ch * k + ki) * k + kj;
                    // j = oj·s + kj − p lies in 0..w for oj in lo..hi
                    let lo = p.saturating_sub(kj).div_ceil(s).min(wo);
                    let hi = (w + p).saturating_sub(kj).div_ceil(s).clamp(lo, wo);
                    for oi in 0..ho {
                        let dst = row * ho * wo + oi * wo;
                        match (oi * s + ki).checked_sub(p).filter(|&i| i < h && lo < hi) {
                            Some(i) => visit(dst, (ch * h + i) * w + lo * s + kj - p, lo, hi),
                            None => visit(dst, 0, 0, 0),
                        }
                    }
                }
            }
        }
    }

    /// Copies sample `x` (C × H × W) into `columns` (C·k² × H'·W'; padding taps become 0).
    fn im2col(&self, (c, h, w): (usize, usize, usize), x: &[f32], columns: &mut [f32]) {
        let (wo, s) = (self.output(w), self.stride);
        self.segments(c, h, w, |dst, src, lo, hi| {
            let out = &mut columns[dst..dst + wo];
            out[..lo].fill(0.0);
            out[hi..].fill(0.0);
            if s == 1 {
                out[lo..hi].copy_from_slice(&x[src..src + hi - lo]);
            } else {
                for (o, x) in out[lo..hi].iter_mut().zip(x[src..].iter().step_by(s)) {
                    *o = *x;
                }
            }
        });
    }

    /// The adjoint of [`Patches::im2col`]: each column entry adds back into the pixel it was
    /// copied from.
    fn col2im(&self, (c, h, w): (usize, usize, usize), columns: &[f32], x: &mut [f32]) {
        let s = self.stride;
        self.segments(c, h, w, |dst, src, lo, hi| {
            let g = &columns[dst + lo..dst + hi];
            if s == 1 {
                for (x, g) in x[src..src + g.len()].iter_mut().zip(g) {
                    *x += *g;
                }
            } else {
                for (g, x) in g.iter().zip(x[src..].iter_mut().step_by(s)) {
                    *x += *g;
                }
            }
        });
    }

    /// x (batch × C × H × W) convolved with `weight` (C_out × C × k × k), no bias →
    /// batch × C_out × H' × W'.
    pub fn convolve(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor> {
        x.contiguous()?
            .apply_op2(&weight.contiguous()?, Convolution(*self))
    }
}

/// A convolution as one op: per sample, im2col into a reused buffer and one matmul; the
/// backward pass recomputes each sample's columns for the weight gradient and col2im's the
/// column gradient into the input's. No batch-sized column tensor is made (at 32×32 with 32
/// channels and a 3×3 kernel it was 75 MB for a batch of 64, and zero-filling and summing its
/// gradient took a third of a training step).
struct Convolution(Patches);

/// One convolution's sizes: batch, input (C, H, W), C_out, column rows C·k² and columns H'·W'.
struct Sizes {
    batch: usize,
    input: (usize, usize, usize),
    out: usize,
    rows: usize,
    cols: usize,
}

impl Convolution {
    fn sizes(&self, x: &Shape, weight: &Shape) -> Result<Sizes> {
        let (batch, c, h, w) = x.dims4()?;
        let (out, c_w, k, k2) = weight.dims4()?;
        if c_w != c || k != self.0.kernel || k2 != k {
            return Err(Error::Msg(format!(
                "convolution of {:?} with weights {:?}",
                x.dims(),
                weight.dims()
            )));
        }
        Ok(Sizes {
            batch,
            input: (c, h, w),
            out,
            rows: c * k * k,
            cols: self.0.output(h) * self.0.output(w),
        })
    }
}

impl CustomOp2 for Convolution {
    fn name(&self) -> &'static str {
        "convolution"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let Sizes {
            batch: b,
            input: (c, h, w),
            out,
            rows,
            cols,
        } = self.sizes(xl.shape(), wl.shape())?;
        let (x, weight) = (
            contiguous_f32(xs, xl, "a convolution")?,
            contiguous_f32(ws, wl, "a convolution")?,
        );
        let mut y = vec![0f32; b * out * cols];
        // Each sample's output is its own: the samples split between threads with no change
        // to any output's arithmetic.
        y.par_chunks_exact_mut(out * cols)
            .zip(x.par_chunks_exact(c * h * w))
            .for_each_init(
                || vec![0f32; rows * cols],
                |columns, (y, sample)| {
                    self.0.im2col((c, h, w), sample, columns);
                    matmul(
                        Parallelism::None,
                        (out, cols, rows),
                        y,
                        false,
                        weight,
                        (1, rows),
                        columns,
                        (1, cols),
                    );
                },
            );
        let (ho, wo) = (self.0.output(h), self.0.output(w));
        Ok((CpuStorage::F32(y), Shape::from((b, out, ho, wo))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let Sizes {
            batch: b,
            input: (c, h, w),
            out,
            rows,
            cols,
        } = self.sizes(x.shape(), weight.shape())?;
        let xs = x.flatten_all()?.to_vec1::<f32>()?;
        let ws = weight.flatten_all()?.to_vec1::<f32>()?;
        let gs = grad.flatten_all()?.to_vec1::<f32>()?;
        let (mut grad_x, mut grad_w) = (vec![0f32; xs.len()], vec![0f32; ws.len()]);
        rayon::join(
            // ∂columns = Wᵀ · g, col2im'd into each sample's own ∂x: split by sample.
            || {
                grad_x
                    .par_chunks_exact_mut(c * h * w)
                    .zip(gs.par_chunks_exact(out * cols))
                    .for_each_init(
                        || vec![0f32; rows * cols],
                        |grad_columns, (grad_sample, g)| {
                            matmul(
                                Parallelism::None,
                                (rows, cols, out),
                                grad_columns,
                                false,
                                &ws,
                                (rows, 1),
                                g,
                                (1, cols),
                            );
                            self.0.col2im((c, h, w), grad_columns, grad_sample);
                        },
                    )
            },
            // ∂W += g · columnsᵀ sums over the samples, in sample order on one thread so its
            // bits do not depend on the thread count.
            || {
                let mut columns = vec![0f32; rows * cols];
                for (sample, g) in xs.chunks_exact(c * h * w).zip(gs.chunks_exact(out * cols)) {
                    self.0.im2col((c, h, w), sample, &mut columns);
                    matmul(
                        Parallelism::None,
                        (out, rows, cols),
                        &mut grad_w,
                        true,
                        g,
                        (1, cols),
                        &columns,
                        (cols, 1),
                    );
                }
            },
        );
        let device = x.device();
        Ok((
            Some(Tensor::from_vec(grad_x, (b, c, h, w), device)?),
            Some(Tensor::from_vec(grad_w, weight.shape(), device)?),
        ))
    }
}
