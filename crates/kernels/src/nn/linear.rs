//! A `Linear` layer on rows for training: x Wᵀ + b, with its gradients.
//!
//! Natively this is candle's matmul followed by [`add_bias`]. In wasm, where gemm's product is
//! a single sum over k, the forward is the samplers' [`Dense`](super::dense::Dense) layer:
//! GenLab's panel kernel ([`super::panels`]) into a buffer pre-filled with the bias, the same
//! terms added in the same order (bᵢ + Σ, which rounds as Σ + bᵢ), one pass instead of three,
//! 1.2–1.6× gemm's speed on the samplers' products. The backward runs the products candle's
//! matmul rule makes (∂x = g W and ∂W = gᵀ x) on [`super::matmul::matmul`], which in wasm is the
//! panel kernel summing as gemm does, and `add_bias`'s column sum, so a network trains to the
//! same bits either way (tested in `tests/wasm.rs`).
use super::bias::add_bias;
#[cfg(target_arch = "wasm32")]
use super::matmul::panels_sum_as_gemm;
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

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::super::bias::column_sum;
    use super::super::dense::Dense;
    use super::super::matmul::{candle_threads, matmul, panels_sum_in_blocks};
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

        /// candle's matmul rule for x·Wᵀ (∂x = g W; Wᵀ's gradient xᵀ g, transposed back onto
        /// W) and `add_bias`'s column sum. The products run on the panel kernel where gemm sums
        /// as it does, otherwise on candle's matmul.
        fn bwd(
            &self,
            x: &Tensor,
            weight: &Tensor,
            _bias: &Tensor,
            _y: &Tensor,
            grad: &Tensor,
        ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
            let ((m, k), (n, _)) = (x.dims2()?, weight.dims2()?);
            let values = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
            let g = values(grad)?;
            // an m × n product of g with another operand on `matmul`'s panel kernel, used where
            // it sums as gemm; elsewhere candle's op
            let product = |(m, n, k), g_strides, other: &[f32], other_strides| {
                let mut out = vec![0f32; m * n];
                matmul(
                    candle_threads(),
                    (m, n, k),
                    &mut out,
                    false,
                    &g,
                    g_strides,
                    other,
                    other_strides,
                );
                Tensor::from_vec(out, (m, n), x.device())
            };
            let dx = if panels_sum_in_blocks(m, k, n) {
                product((m, k, n), (1, n), &values(weight)?, (1, k))?
            } else {
                grad.matmul(weight)?
            };
            // ∂W = gᵀ x, as candle's (xᵀ g)ᵀ: a product commutes bit for bit
            let dw = if panels_sum_in_blocks(n, k, m) {
                product((n, k, m), (n, 1), &values(x)?, (1, k))?
            } else {
                x.t()?.matmul(grad)?.t()?
            };
            let db = column_sum(grad)?;
            Ok((Some(dx), Some(dw), Some(db)))
        }
    }
}
