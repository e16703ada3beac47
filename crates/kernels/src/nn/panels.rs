//! The browser's matmul kernel for [`Dense`](super::dense::Dense): y += x Wᵀ in wasm simd128.
//!
//! Wᵀ is packed once into panels of eight output columns; each pass of the inner loop updates a
//! 4 × 8 block of y held in eight vector accumulators, from two panel loads and one load-splat
//! per row of x. That is few enough registers for V8 to keep them all; gemm's 12 × 4 kernel
//! needs all sixteen of x86's. Measured on the hallucination sampler (2,000 chains in headless
//! Chromium, runs interleaved with gemm's): 1.2–1.6× faster; 2, 5 or 6 rows were slower, and
//! fused multiply-add (relaxed SIMD, which would need a second build) gained under 5% with gemm.
use core::arch::wasm32::*;
use std::cell::RefCell;

/// Output columns per panel, two simd128 vectors.
const NR: usize = 8;
/// Rows of y updated together.
const MR: usize = 4;
/// Rows of x that one sweep over all the panels reads, so that they stay in the L1 cache while
/// every panel passes over them (32 rows of 256 inputs: 32 KB). Sweeping each panel over all of
/// x instead streamed W1's 5,000 × 256 input from further caches once per panel: its forward ran
/// 1.17× as fast with this order (node, 10 alternated rounds); blocks of 16 or 64 rows did no
/// better. Each output's sum is unchanged.
const ROW_BLOCK: usize = 32;
/// Multiply-adds from which the threaded core splits a product's rows over rayon's pool: the
/// threshold it gives gemm. On two threads the interpolants' sampler (5,000 × 48 × 48 products)
/// played 1.18× as fast as with a threshold of 32M, which leaves its products whole (best of 4
/// alternated rounds in one browser, docs/benchmarks.md#threads-in-the-page).
#[cfg(target_feature = "atomics")]
const THREADED_FROM: usize = 3 << 20;

/// Wᵀ (k × n) in panels: panel b holds, for each input p, the weights W[8b..8b+8][p] side by
/// side, zero past n. A layer owns its weights' panels; a product packs its operand into a
/// buffer it reuses (`matmul`).
pub struct Panels<D = Vec<f32>> {
    data: D,
    k: usize,
    n: usize,
}

thread_local! {
    /// The buffer `matmul` packs its operand into, kept between calls on this thread. It packed
    /// into a fresh zeroed buffer for every product (every sample of a convolution, three times
    /// a step), and allocating and zeroing took about 7% of a QLAE conv-net step.
    static PACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

impl Panels {
    /// Packs a row-major n × k weight.
    pub fn new(weight: &[f32], n: usize, k: usize) -> Self {
        let mut data = vec![0.0; n.div_ceil(NR) * k * NR];
        for (j, row) in weight.chunks_exact(k).enumerate() {
            let panel = &mut data[j / NR * k * NR..];
            for (p, w) in row.iter().enumerate() {
                panel[p * NR + j % NR] = *w;
            }
        }
        Self { data, k, n }
    }

    /// Packs Wᵀ given as a k × n matrix whose entry (p, j) is `matrix[p·strides.1 + j·strides.0]`
    /// (the operand `matmul` calls rhs) into `buffer`. Rows laid out one after another
    /// (`strides.0` = 1) are copied a panel at a time.
    fn pack<'a>(
        buffer: &'a mut Vec<f32>,
        matrix: &[f32],
        k: usize,
        n: usize,
        strides: (usize, usize),
    ) -> Panels<&'a [f32]> {
        let (column, row) = strides;
        assert!(
            k == 0 || n == 0 || (k - 1) * row + (n - 1) * column < matrix.len(),
            "panels: the matrix is not k × n"
        );
        buffer.resize(n.div_ceil(NR) * k * NR, 0.0);
        let data = &mut buffer[..];
        if !n.is_multiple_of(NR) {
            // the last panel's columns past n are summed into lanes no output reads; zero, so
            // that they hold no NaN from an earlier product
            data[n / NR * k * NR..].fill(0.0);
        }
        if column == 1 {
            for p in 0..k {
                let row = &matrix[p * row..p * row + n];
                // whole panels by a copy of known length (two vector moves), then the last
                // one's part
                let mut whole = row.chunks_exact(NR);
                for (b, cols) in (&mut whole).enumerate() {
                    let at = (b * k + p) * NR;
                    data[at..at + NR].copy_from_slice(cols);
                }
                let rest = whole.remainder();
                if !rest.is_empty() {
                    let at = (n / NR * k + p) * NR;
                    data[at..at + rest.len()].copy_from_slice(rest);
                }
            }
        } else {
            // panel by panel, each row of it gathered from its columns' entries at p, so that
            // the reads go along up to eight columns at once
            for (b, panel) in data.chunks_exact_mut(k * NR).enumerate() {
                let cols = (n - b * NR).min(NR);
                for (p, out) in panel.chunks_exact_mut(NR).enumerate() {
                    for (j, out) in out[..cols].iter_mut().enumerate() {
                        *out = matrix[p * row + (b * NR + j) * column];
                    }
                }
            }
        }
        Panels {
            data: &buffer[..],
            k,
            n,
        }
    }
}

impl<D: AsRef<[f32]> + Sync> Panels<D> {
    /// y (m × n, row-major) += x (m × k, row-major) Wᵀ; panics on other lengths, which
    /// [`Dense`](super::dense::Dense) turns away with an error first.
    ///
    /// In the threaded core a large product is split by rows over rayon's pool. Each row of y is
    /// summed by one thread in the same order whatever the split (a 4-row block and a single
    /// row add the same terms in the same lanes), so the bits do not depend on the thread count.
    pub fn accumulate(&self, x: &[f32], y: &mut [f32]) {
        let m = x.len() / self.k.max(1);
        assert!(x.len() == m * self.k, "panels: x is not m × k");
        self.split::<false>(x, self.k, m, y, true);
    }

    /// y (m × n) += x Wᵀ, x's entry (r, p) at `x[r·stride + p]`, or (`T`) at `x[p·stride + r]`;
    /// in the threaded core, when `threaded`, split by rows over rayon's pool.
    fn split<const T: bool>(
        &self,
        x: &[f32],
        stride: usize,
        m: usize,
        y: &mut [f32],
        threaded: bool,
    ) {
        let n = self.n;
        assert!(y.len() == m * n, "panels: y is not m × n");
        #[cfg(target_feature = "atomics")]
        if threaded && m * n * self.k >= THREADED_FROM && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            // a few blocks per thread, so that a thread slowed by the browser does not hold up the rest
            let rows = m
                .div_ceil(4 * rayon::current_num_threads())
                .next_multiple_of(MR);
            y.par_chunks_mut(rows * n).enumerate().for_each(|(i, y)| {
                let first = if T { i * rows } else { i * rows * stride };
                self.rows::<T>(&x[first..], stride, y)
            });
            return;
        }
        let _ = threaded;
        self.rows::<T>(x, stride, y);
    }

    /// y (`y.len() / n` rows) += x Wᵀ on the calling thread, x's entry (r, p) at
    /// `x[r·stride + p]`, or (`T`) at `x[p·stride + r]`.
    fn rows<const T: bool>(&self, x: &[f32], stride: usize, y: &mut [f32]) {
        let (k, n) = (self.k, self.n);
        let m = y.len() / n;
        if m == 0 || k == 0 {
            return;
        }
        // the last entry read, (m − 1, k − 1), is in x
        let (row, depth) = if T { (1, stride) } else { (stride, 1) };
        assert!((m - 1) * row + (k - 1) * depth < x.len());
        for first in (0..m).step_by(ROW_BLOCK) {
            let end = (first + ROW_BLOCK).min(m);
            for (b, panel) in self.data.as_ref().chunks_exact(k * NR).enumerate() {
                let (col, cols) = (b * NR, (n - b * NR).min(NR));
                let mut r = first;
                while r + MR <= end {
                    // SAFETY: rows r…r + MR − 1 < m, checked above.
                    unsafe {
                        block::<MR, T>(panel, &x[r * row..], stride, &mut y[r * n..], n, col, cols)
                    };
                    r += MR;
                }
                while r < end {
                    // SAFETY: as above, for row r < m.
                    unsafe {
                        block::<1, T>(panel, &x[r * row..], stride, &mut y[r * n..], n, col, cols)
                    };
                    r += 1;
                }
            }
        }
    }
}

/// dst (m × n, row-major) = [dst +] lhs (m × k) · rhs (k × n), each operand given with its
/// (column, row) strides as for [`super::matmul::matmul`], lhs with one of them 1: gemm's sums
/// term for term, each output summed in gemm's blocks of the depth
/// ([`super::matmul::depth_block`]), each block from zero and added to what came before. A
/// stored product starts from −0, which adds to any sum exactly. Split by rows over rayon's pool
/// in the threaded core when `threaded`.
#[allow(clippy::too_many_arguments)]
pub(super) fn matmul(
    threaded: bool,
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    accumulate: bool,
    lhs: &[f32],
    (lhs_column, lhs_row): (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
) {
    assert!(
        lhs_column == 1 || lhs_row == 1,
        "panels: lhs has no unit stride"
    );
    let dst = &mut dst[..m * n];
    if !accumulate {
        dst.fill(-0.0);
    }
    let block = super::matmul::depth_block(m, n, k);
    // taken out while the product runs, so that a product rayon runs on this thread meanwhile
    // packs into a buffer of its own
    let mut buffer = PACKED.take();
    for start in (0..k).step_by(block) {
        let depth = block.min(k - start);
        let panels = Panels::pack(
            &mut buffer,
            &rhs[start * rhs_strides.1..],
            depth,
            n,
            rhs_strides,
        );
        let x = &lhs[start * lhs_column..];
        if lhs_column == 1 {
            panels.split::<false>(x, lhs_row, m, dst, threaded);
        } else {
            panels.split::<true>(x, lhs_column, m, dst, threaded);
        }
    }
    PACKED.set(buffer);
}

/// y[r][col..col + cols] += Σ_p x[r][p] · panel[p] for R rows of x, entry (r, p) at
/// `x[r·stride + p]`, or (`T`) at `x[p·stride + r]`.
///
/// # Safety
/// x must hold entry (R − 1, k − 1), with k = `panel.len() / NR`.
#[inline(always)]
unsafe fn block<const R: usize, const T: bool>(
    panel: &[f32],
    x: &[f32],
    stride: usize,
    y: &mut [f32],
    n: usize,
    col: usize,
    cols: usize,
) {
    let k = panel.len() / NR;
    let (row, depth) = if T { (1, stride) } else { (stride, 1) };
    debug_assert!((R - 1) * row + (k - 1) * depth < x.len() && y.len() >= (R - 1) * n + col + cols);
    let mut acc = [[f32x4_splat(0.0); 2]; R];
    // SAFETY: p < k, so panel reads stay within k·NR, and x's by the caller's guarantee.
    unsafe {
        let (w, a) = (panel.as_ptr(), x.as_ptr());
        for p in 0..k {
            let w0 = v128_load(w.add(p * NR) as *const v128);
            let w1 = v128_load(w.add(p * NR + 4) as *const v128);
            for (r, acc) in acc.iter_mut().enumerate() {
                let at = if T { p * stride + r } else { r * stride + p };
                let ar = v128_load32_splat(a.add(at) as *const u32);
                acc[0] = f32x4_add(acc[0], f32x4_mul(ar, w0));
                acc[1] = f32x4_add(acc[1], f32x4_mul(ar, w1));
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let y = &mut y[r * n + col..r * n + col + cols];
        if cols == NR {
            // a whole panel: y += the sums as two vectors, lane by lane as below
            // SAFETY: `y` holds exactly two vectors; wasm loads and stores need no alignment.
            unsafe {
                let at = y.as_mut_ptr() as *mut v128;
                v128_store(at, f32x4_add(v128_load(at), acc[0]));
                v128_store(at.add(1), f32x4_add(v128_load(at.add(1)), acc[1]));
            }
            continue;
        }
        let mut sums = [0.0f32; NR];
        // SAFETY: `sums` holds exactly two vectors.
        unsafe {
            v128_store(sums.as_mut_ptr() as *mut v128, acc[0]);
            v128_store(sums.as_mut_ptr().add(4) as *mut v128, acc[1]);
        }
        for (yv, s) in y.iter_mut().zip(sums) {
            *yv += s;
        }
    }
}
