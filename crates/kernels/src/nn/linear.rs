//! A `Linear` layer on rows for training: x Wᵀ + b, with its gradients.
//!
//! Natively this is candle's matmul followed by [`add_bias`]. In wasm, where gemm's product is
//! a single sum over k, the forward is the samplers' [`Dense`](super::dense::Dense) layer:
//! GenLab's panel kernel ([`super::panels`]) into a buffer pre-filled with the bias, the same
//! terms added in the same order (bᵢ + Σ, which rounds as Σ + bᵢ), one pass instead of three,
//! 1.2–1.6× gemm's speed on the samplers' products. The backward runs the panel kernel too, on
//! the products candle's matmul rule makes (∂x = g W and ∂W = gᵀ x, the latter summed over the
//! batch in gemm's blocks), and `add_bias`'s column sum, so a network trains to the same bits
//! either way (tested in `tests/wasm.rs`).
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
/// terms into blocks (gemm-common's `gemm.rs` and `cache.rs`; see [`depth_block`]).
pub fn panels_sum_as_gemm(m: usize, n: usize, k: usize) -> bool {
    (3..=512).contains(&k) && panels_sum_in_blocks(m, n, k)
}

/// Whether gemm computes an m × n × k product as the panel kernel does over each block of
/// [`depth_block`] terms, each block summed from zero and added to the blocks before it.
pub fn panels_sum_in_blocks(m: usize, n: usize, k: usize) -> bool {
    k >= 3 && m >= 2 && n >= 2 && m * n > 16 * 16
}

/// The terms per block into which gemm splits a sum over k for an m × n output in wasm, whose
/// cache sizes are gemm-common's defaults: blocks of 512 for outputs of at most 64 × 64 (its
/// shortcut in `gemm.rs`), otherwise k split evenly into ⌈k / 512⌉ blocks (`kernel_params`,
/// with its 12 × 4 f32 kernel and a 32 KiB, 8-way L1).
pub fn depth_block(m: usize, n: usize, k: usize) -> usize {
    if m <= 64 && n <= 64 {
        k.min(512)
    } else {
        k.div_ceil(k.div_ceil(512))
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::super::bias::column_sum;
    use super::super::dense::Dense;
    use super::super::panels::Panels;
    use super::super::storage::contiguous_f32;
    use super::{depth_block, panels_sum_as_gemm, panels_sum_in_blocks};
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
            let dx = if panels_sum_as_gemm(m, k, n) {
                let dx = grad_x(&g, &values(weight)?, (m, n, k));
                Tensor::from_vec(dx, (m, k), x.device())?
            } else {
                grad.matmul(weight)?
            };
            let dw = if panels_sum_in_blocks(k, n, m) {
                let dw = grad_weight(&g, &values(x)?, (m, n, k));
                Tensor::from_vec(dw, (n, k), x.device())?
            } else {
                x.t()?.matmul(grad)?.t()?
            };
            let db = column_sum(grad)?;
            Ok((Some(dx), Some(dw), Some(db)))
        }
    }

    /// ∂x = g (m × n) W (n × k). The output starts at −0, which adds to any sum exactly, so each
    /// entry is the sum itself, as gemm stores it.
    fn grad_x(g: &[f32], w: &[f32], (m, n, k): (usize, usize, usize)) -> Vec<f32> {
        let mut dx = vec![-0.0; m * k];
        Panels::from_rows(w, n, k).accumulate(g, &mut dx);
        dx
    }

    /// ∂W = gᵀ (n × m) x (m × k), the sum over the batch in gemm's blocks (as candle's xᵀ g
    /// is: a product commutes bit for bit). Each block's rows of x are packed as panels; g's
    /// rows are read as gᵀ's columns.
    fn grad_weight(g: &[f32], x: &[f32], (m, n, k): (usize, usize, usize)) -> Vec<f32> {
        let mut dw = vec![-0.0; n * k];
        let block = depth_block(k, n, m);
        for start in (0..m).step_by(block) {
            let rows = block.min(m - start);
            Panels::from_rows(&x[start * k..(start + rows) * k], rows, k)
                .accumulate_transposed(&g[start * n..(start + rows) * n], &mut dw);
        }
        dw
    }
}
