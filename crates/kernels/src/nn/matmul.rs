//! A matmul on plain slices: gemm (candle's own kernels), for the hot loops that keep their own
//! buffers (inference layers, convolutions). gemm splits only the output between threads, never
//! the sum over k, so its bits do not depend on the thread count.

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
/// between threads.
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
    if m == 0 || n == 0 || k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    assert!(
        dst.len() >= m * n
            && lhs.len() > (m - 1) * lhs_strides.1 + (k - 1) * lhs_strides.0
            && rhs.len() > (k - 1) * rhs_strides.1 + (n - 1) * rhs_strides.0
    );
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
