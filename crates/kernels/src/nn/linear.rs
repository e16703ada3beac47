//! A `Linear` layer on rows for training: x Wᵀ + b, with its gradients.
//!
//! Natively this is candle's matmul followed by [`add_bias`]. In wasm, where gemm's product is
//! a single sum over k, the forward is the samplers' [`Dense`](super::dense::Dense) layer: GenLab's
//! panel kernel ([`super::panels`]) into a buffer pre-filled with the bias: the same terms added in the same order (bᵢ + Σ, which rounds as
//! Σ + bᵢ), one pass instead of three, 1.2–1.6× gemm's speed on the samplers' products. The
//! backward is candle's, op for op (its matmul rule, then the transpose's, and `add_bias`'s
//! column sum), so a network trains to the same bits either way (tested in `tests/wasm.rs`).
use super::bias::add_bias;
use candle_core::{Result, Tensor};

/// x (m × k) Wᵀ (W: n × k) + b (n).
pub fn forward(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    #[cfg(target_arch = "wasm32")]
    if let (Ok((m, k)), Ok((n, _))) = (x.dims2(), weight.dims2()) {
        let contiguous = x.is_contiguous() && weight.is_contiguous() && bias.is_contiguous();
        if contiguous && panels_sum_as_gemm(m, n, k) {
            return x.apply_op3(weight, bias, wasm::PanelLinear);
        }
    }
    add_bias(&x.matmul(&weight.t()?)?, bias)
}

/// Whether gemm computes an m × n × k product as the panel kernel does, each output one sum
/// over p = 0…k−1 from zero. gemm takes other routes for k ≤ 2 (`gevv`), a single row or column
/// (`gemv`), at most 16 × 16 outputs (horizontal kernels), and splits sums over more than 512
/// terms into blocks (gemm-common's `gemm.rs` and `cache.rs`).
pub fn panels_sum_as_gemm(m: usize, n: usize, k: usize) -> bool {
    (3..=512).contains(&k) && m >= 2 && n >= 2 && m * n > 16 * 16
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::super::bias::column_sum;
    use super::super::dense::Dense;
    use super::super::storage::contiguous_f32;
    use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

    /// x Wᵀ + b by the panel kernel, with candle's gradients.
    pub struct PanelLinear;

    impl CustomOp3 for PanelLinear {
        fn name(&self) -> &'static str {
            "panel-linear"
        }

        fn cpu_fwd(
            &self,
            xs: &CpuStorage,
            xl: &Layout,
            ws: &CpuStorage,
            wl: &Layout,
            bs: &CpuStorage,
            bl: &Layout,
        ) -> Result<(CpuStorage, Shape)> {
            let (x, w, b) = (
                contiguous_f32(xs, xl, "panel-linear")?,
                contiguous_f32(ws, wl, "panel-linear")?,
                contiguous_f32(bs, bl, "panel-linear")?,
            );
            let ((m, k), (n, k_w)) = (xl.shape().dims2()?, wl.shape().dims2()?);
            if k_w != k || b.len() != n {
                candle_core::bail!(
                    "panel-linear: rows of {k}, a {n} × {k_w} weight and a bias of {}",
                    b.len()
                );
            }
            let y = Dense::new(w, b.to_vec(), k)?.forward(x)?;
            Ok((CpuStorage::F32(y), Shape::from((m, n))))
        }

        /// candle's matmul rule for x·Wᵀ (Wᵀ's gradient xᵀ·g, transposed back onto W) and
        /// `add_bias`'s column sum.
        fn bwd(
            &self,
            x: &Tensor,
            weight: &Tensor,
            _bias: &Tensor,
            _y: &Tensor,
            grad: &Tensor,
        ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
            let dx = grad.matmul(weight)?;
            let dw = x.t()?.matmul(grad)?.t()?;
            let db = column_sum(grad)?;
            Ok((Some(dx), Some(dw), Some(db)))
        }
    }
}
