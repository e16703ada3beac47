//! Adding a dense layer's bias to its rows, with a backward that sums the bias gradient row by
//! row.
//!
//! candle's `broadcast_add` computes the same forward, but its backward reduces the gradient over
//! the batch with `sum_keepdim(0)`, whose CPU loop divides and takes a remainder for every
//! element: measured at half of an interpolant training step natively (500×48 rows: 228 µs
//! against 3 µs for a row loop). The row loop adds each column's entries in the same order (row
//! 0, 1, …, from zero), so every bit of the gradient is the same and trained weights do not
//! change.
//!
//! ```
//! use candle_core::{Device, Tensor, Var};
//! use genlab::nn::bias::add_bias;
//! let x = Var::from_slice(&[1f32, 2., 3., 4., 5., 6.], (3, 2), &Device::Cpu).unwrap();
//! let b = Var::from_slice(&[0.5f32, -1.], 2, &Device::Cpu).unwrap();
//! let y = add_bias(&x, &b).unwrap();
//! assert_eq!(y.to_vec2::<f32>().unwrap(), [[1.5, 1.], [3.5, 3.], [5.5, 5.]]);
//! let grads = (y * 2.).unwrap().sum_all().unwrap().backward().unwrap();
//! assert_eq!(grads.get(&b).unwrap().to_vec1::<f32>().unwrap(), [6., 6.]);
//! ```
use super::storage::contiguous_f32;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// `x` (rows × d) plus `bias` (d) on every row, as `x.broadcast_add(bias)`.
pub fn add_bias(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
    x.apply_op2(bias, BiasAdd)
}

struct BiasAdd;

/// The column sums of a rows × d matrix, row by row.
struct ColumnSum;

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "bias-add"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, d) = xl.shape().dims2()?;
        let (x, b) = (
            contiguous_f32(xs, xl, "bias-add")?,
            contiguous_f32(bs, bl, "bias-add")?,
        );
        if b.len() != d {
            candle_core::bail!("bias-add: a bias of {} for rows of {d}", b.len());
        }
        let mut y = Vec::with_capacity(x.len());
        for row in x.chunks_exact(d) {
            y.extend(row.iter().zip(b).map(|(v, b)| v + b));
        }
        Ok((CpuStorage::F32(y), xl.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let bias_grad = grad.contiguous()?.apply_op1_no_bwd(&ColumnSum)?;
        Ok((Some(grad.clone()), Some(bias_grad)))
    }
}

impl CustomOp1 for ColumnSum {
    fn name(&self) -> &'static str {
        "column-sum"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (_, d) = l.shape().dims2()?;
        let g = contiguous_f32(s, l, "column-sum")?;
        let mut sums = vec![0f32; d];
        for row in g.chunks_exact(d) {
            for (s, v) in sums.iter_mut().zip(row) {
                *s += v;
            }
        }
        Ok((CpuStorage::F32(sums), Shape::from(d)))
    }
}
