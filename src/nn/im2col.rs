//! im2col as one candle op with a hand-written gradient (col2im), for convolutions as a single
//! matmul. candle's own conv2d backward runs a direct conv_transpose2d and slicing with stock
//! ops costs a full-size zero tensor per kernel tap in the backward pass; both were measured
//! many times slower for QLAE training. Checked against candle's conv2d in `tests/nn.rs`.
use candle_core::{CpuStorage, CustomOp1, Error, Layout, Result, Shape, Tensor};

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

    /// Visits every (column row, output position, input index or None for padding) once.
    /// Column rows run over (channel, ki, kj); output positions over (oi, oj).
    fn each(&self, c: usize, h: usize, w: usize, mut visit: impl FnMut(usize, usize, Option<usize>)) {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let (ho, wo) = (self.output(h), self.output(w));
        for ch in 0..c {
            for ki in 0..k {
                for kj in 0..k {
                    let row = (ch * k + ki) * k + kj;
                    for oi in 0..ho {
                        let i = (oi * s + ki) as isize - p as isize;
                        for oj in 0..wo {
                            let j = (oj * s + kj) as isize - p as isize;
                            let inside = i >= 0 && (i as usize) < h && j >= 0 && (j as usize) < w;
                            visit(row, oi * wo + oj, inside.then(|| (ch * h + i as usize) * w + j as usize));
                        }
                    }
                }
            }
        }
    }

    /// x (batch × C × H × W) → columns (batch × C·k² × H'·W').
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        x.contiguous()?.apply_op1(Im2Col(*self))
    }
}

struct Im2Col(Patches);
struct Col2Im(Patches, [usize; 4]);

fn slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&s.as_slice::<f32>()?[a..b]),
        None => Err(Error::Msg("im2col needs contiguous f32 input".into())),
    }
}

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, h, w) = l.shape().dims4()?;
        let x = slice(s, l)?;
        let p = &self.0;
        let (rows, cols) = (c * p.kernel * p.kernel, p.output(h) * p.output(w));
        let mut out = vec![0f32; b * rows * cols];
        for n in 0..b {
            let (src, dst) = (&x[n * c * h * w..(n + 1) * c * h * w], &mut out[n * rows * cols..(n + 1) * rows * cols]);
            p.each(c, h, w, |row, col, at| {
                if let Some(at) = at {
                    dst[row * cols + col] = src[at];
                }
            });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, rows, cols))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let dims = arg.dims4()?;
        Ok(Some(grad.contiguous()?.apply_op1(Col2Im(self.0, [dims.0, dims.1, dims.2, dims.3]))?))
    }
}

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "col2im"
    }

    /// The adjoint of im2col: each column entry adds back into the pixel it was copied from.
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let [b, c, h, w] = self.1;
        let g = slice(s, l)?;
        let p = &self.0;
        let (rows, cols) = (c * p.kernel * p.kernel, p.output(h) * p.output(w));
        let mut out = vec![0f32; b * c * h * w];
        for n in 0..b {
            let (src, dst) = (&g[n * rows * cols..(n + 1) * rows * cols], &mut out[n * c * h * w..(n + 1) * c * h * w]);
            p.each(c, h, w, |row, col, at| {
                if let Some(at) = at {
                    dst[at] += src[row * cols + col];
                }
            });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, c, h, w))))
    }
}
