//! A matmul on plain slices, for the hot loops that keep their own buffers (inference layers,
//! convolutions, dense layers' gradients): gemm (candle's own kernels) natively, and in wasm
//! GenLab's panel kernel ([`super::panels`]) wherever it sums as gemm does, term for term, so the
//! bits are gemm's either way (tested in `tests/wasm.rs`). Both split only the output between
//! threads, never a sum, so the bits do not depend on the thread count.

/// candle's thread count, as gemm's parallelism: one thread in the single-threaded browser core,
/// rayon's pool (Web Workers) in the threaded one, whose patched candle reports that pool's size.
pub fn candle_threads() -> gemm::Parallelism {
    let threads = candle_core::utils::get_num_threads();
    if threads > 1 && cfg!(any(not(target_arch = "wasm32"), target_feature = "atomics")) {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    }
}

/// dst (m × n, row-major) = [dst +] lhs (m × k) · rhs (k × n), each operand given with its
/// (column, row) strides: on [`candle_threads`], or `Parallelism::None` for work already split
/// between threads. In wasm, on the panel kernel where [`panels_sum_in_blocks`] and lhs has a
/// unit stride, otherwise gemm.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    parallelism: gemm::Parallelism,
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    accumulate: bool,
    lhs: &[f32],
    lhs_strides: (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
) {
    #[cfg(target_arch = "wasm32")]
    if panels_sum_in_blocks(m, n, k) && (lhs_strides.0 == 1 || lhs_strides.1 == 1) {
        assert_in_bounds((m, n, k), dst, lhs, lhs_strides, rhs, rhs_strides);
        let threaded = !matches!(parallelism, gemm::Parallelism::None);
        super::panels::matmul(
            threaded,
            (m, n, k),
            dst,
            accumulate,
            lhs,
            lhs_strides,
            rhs,
            rhs_strides,
        );
        return;
    }
    gemm_matmul(
        parallelism,
        (m, n, k),
        dst,
        accumulate,
        lhs,
        lhs_strides,
        rhs,
        rhs_strides,
    );
}

/// Panics unless every entry an m × n × k product reads or writes is in its slice.
fn assert_in_bounds(
    (m, n, k): (usize, usize, usize),
    dst: &[f32],
    lhs: &[f32],
    lhs_strides: (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
) {
    assert!(
        dst.len() >= m * n
            && lhs.len() > (m - 1) * lhs_strides.1 + (k - 1) * lhs_strides.0
            && rhs.len() > (k - 1) * rhs_strides.1 + (n - 1) * rhs_strides.0,
        "matmul: an operand is shorter than its shape and strides"
    );
}

/// [`matmul`] on gemm alone, everywhere: what the panel kernel's bits are tested against.
#[allow(clippy::too_many_arguments)]
pub fn gemm_matmul(
    parallelism: gemm::Parallelism,
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    accumulate: bool,
    lhs: &[f32],
    lhs_strides: (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
) {
    if m == 0 || n == 0 || k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    assert_in_bounds((m, n, k), dst, lhs, lhs_strides, rhs, rhs_strides);
    // SAFETY: the assert above keeps every index gemm reads or writes in bounds.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_strides.0 as isize,
            lhs_strides.1 as isize,
            rhs.as_ptr(),
            rhs_strides.0 as isize,
            rhs_strides.1 as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
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
