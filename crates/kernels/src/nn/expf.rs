//! e^x on four lanes of wasm simd128, bit for bit the `expf` that `f32::exp` calls in wasm.
//!
//! wasm has no exp instruction: `f32::exp` is a call into the `expf` that Rust's standard library
//! ships for wasm (FreeBSD's `e_expf.c`, ported in the `libm` crate). That call, with its branches,
//! cost more than a SiLU network's matmuls in the page (docs/benchmarks.md). This is the same
//! algorithm with each branch computed on every lane and the lane's own branch selected, so every
//! lane goes through the very same f32 operations in the same order: the results are identical,
//! and a link trained in the page before keeps its bits (tested against `f32::exp` in
//! `tests/wasm.rs`).
use core::arch::wasm32::*;

// expf's constants, by their bits
/// ln 2's high bits: k·LN2_HI is exact for the k used here.
const LN2_HI: u32 = 0x3f31_7200;
const LN2_LO: u32 = 0x35bf_be8e;
const INV_LN2: u32 = 0x3fb8_aa3b;
/// The rational approximation's coefficients on [−ln2/2, ln2/2].
const P1: u32 = 0x3e2a_aa8f;
const P2: u32 = 0xbb35_5215;
/// 2¹²⁷ and 2⁻¹⁰², scalbnf's steps for a k outside the normal exponents.
const TWO_127: u32 = 0x7f00_0000;
const TWO_MINUS_102: u32 = 0x0c80_0000;

/// A lane of each f32 given by its bits.
#[inline(always)]
fn splat(bits: u32) -> v128 {
    u32x4_splat(bits)
}

/// e^x for each lane of `x`, as `f32::exp` computes it in wasm.
#[inline(always)]
pub fn exp4(x: v128) -> v128 {
    let hx = v128_and(x, i32x4_splat(0x7fff_ffff)); // |x|'s bits
    let negative = i32x4_lt(x, i32x4_splat(0)); // the sign bit, as a lane mask
    let above = |bits: i32| i32x4_gt(hx, i32x4_splat(bits));
    let one = f32x4_splat(1.0);

    // argument reduction: x = k·ln2 + r with |r| ≤ ln2/2, k = 0 below |x| = ln2/2
    let half = v128_bitselect(f32x4_splat(-0.5), f32x4_splat(0.5), negative);
    let k_far = i32x4_trunc_sat_f32x4(f32x4_add(f32x4_mul(splat(INV_LN2), x), half));
    let k_near = v128_bitselect(i32x4_splat(-1), i32x4_splat(1), negative);
    let k = v128_bitselect(k_far, k_near, above(0x3f85_1592)); // |x| > 1.5 ln2
    let k = v128_and(k, above(0x3eb1_7218)); // |x| > 0.5 ln2, else 0
    let kf = f32x4_convert_i32x4(k);
    let hi = f32x4_sub(x, f32x4_mul(kf, splat(LN2_HI)));
    let lo = f32x4_mul(kf, splat(LN2_LO));
    let r = f32x4_sub(hi, lo);

    // e^r, then e^r · 2^k in scalbnf's steps
    let rr = f32x4_mul(r, r);
    let p = f32x4_add(splat(P1), f32x4_mul(rr, splat(P2)));
    let c = f32x4_sub(r, f32x4_mul(rr, p));
    let q = f32x4_div(f32x4_mul(r, c), f32x4_sub(f32x4_splat(2.0), c));
    let mut y = f32x4_add(one, f32x4_add(f32x4_sub(q, lo), hi));
    let big = i32x4_gt(k, i32x4_splat(127));
    y = f32x4_mul(y, v128_bitselect(splat(TWO_127), one, big));
    let k = i32x4_sub(k, v128_and(big, i32x4_splat(127)));
    let small = i32x4_lt(k, i32x4_splat(-126));
    y = f32x4_mul(y, v128_bitselect(splat(TWO_MINUS_102), one, small));
    let k = i32x4_add(k, v128_and(small, i32x4_splat(102)));
    y = f32x4_mul(y, i32x4_shl(i32x4_add(k, i32x4_splat(127)), 23));

    // the special cases, in the reverse of expf's order so that the first one it takes wins
    let tiny = v128_not(above(0x3900_0000)); // |x| ≤ 2⁻¹⁴: 1 + x
    y = v128_bitselect(f32x4_add(one, x), y, tiny);
    let underflow = v128_and(negative, above(0x42cf_f1b4)); // x ≤ −103.97: 0
    y = v128_andnot(y, underflow);
    let overflow = v128_andnot(above(0x42b1_7217), negative); // x ≥ 88.72: ∞
    let huge = f32x4_mul(x, splat(TWO_127));
    y = v128_bitselect(huge, y, overflow);
    v128_bitselect(x, y, above(0x7f80_0000)) // NaN
}
