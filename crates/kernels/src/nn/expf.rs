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
///
/// Four lanes with 2⁻¹⁴ < |x| ≤ 87, as a network's activations nearly always are, take
/// `exp4_normal`, which leaves out the special cases and scalbnf's steps: none can change such
/// a lane. Measured on a SiLU pass over 786,432 activations in V8: 2.5 ns an element against 3.9.
#[inline(always)]
pub fn exp4(x: v128) -> v128 {
    let ax = f32x4_abs(x);
    let normal = v128_and(
        f32x4_gt(ax, splat(0x3900_0000)),
        f32x4_le(ax, splat(0x42ae_0000)),
    );
    if i32x4_all_true(normal) {
        exp4_normal(x)
    } else {
        exp4_any(x)
    }
}

/// expf's argument reduction x = k·ln2 + r (|r| ≤ ln2/2; k = 0 below |x| = ln2/2, ±1 up to
/// 1.5 ln2, otherwise x/ln2 ± ½ truncated) and its rational approximation of e^r; returns k
/// as a float and e^r. `to_float` truncates x/ln2 ± ½ to a whole float.
///
/// expf compares |x|'s bits as integers; here |x| is compared as a float, which orders every x
/// but NaN the same way and is one x86 instruction, where V8 emulates the unsigned integer
/// compares LLVM picks with three or four. A NaN lane comes out NaN from [`exp4_any`]'s last
/// select whatever these compares say.
#[inline(always)]
fn reduce(x: v128, to_float: impl Fn(v128) -> v128) -> (v128, v128) {
    let ax = f32x4_abs(x);
    let above = |bits: u32| f32x4_gt(ax, splat(bits));
    let sign = v128_and(x, f32x4_splat(-0.0));
    let half = v128_or(f32x4_splat(0.5), sign);
    let kf_far = to_float(f32x4_add(f32x4_mul(splat(INV_LN2), x), half));
    let kf_near = v128_or(f32x4_splat(1.0), sign);
    let kf = v128_bitselect(kf_far, kf_near, above(0x3f85_1592)); // |x| > 1.5 ln2
    let kf = v128_and(kf, above(0x3eb1_7218)); // |x| > 0.5 ln2, else +0
    let hi = f32x4_sub(x, f32x4_mul(kf, splat(LN2_HI)));
    let lo = f32x4_mul(kf, splat(LN2_LO));
    let r = f32x4_sub(hi, lo);
    let rr = f32x4_mul(r, r);
    let p = f32x4_add(splat(P1), f32x4_mul(rr, splat(P2)));
    let c = f32x4_sub(r, f32x4_mul(rr, p));
    let q = f32x4_div(f32x4_mul(r, c), f32x4_sub(f32x4_splat(2.0), c));
    let y = f32x4_add(f32x4_splat(1.0), f32x4_add(f32x4_sub(q, lo), hi));
    (kf, y)
}

/// 2^k for integer k within the normal exponents, −126 ≤ k ≤ 127.
#[inline(always)]
fn two_to(k: v128) -> v128 {
    i32x4_shl(i32x4_add(k, i32x4_splat(127)), 23)
}

/// [`exp4`] for lanes with 2⁻¹⁴ < |x| ≤ 87, where |k| ≤ 126, so that scalbnf is one
/// multiply. k is truncated as a float, and read back as an integer from the low mantissa bits
/// of k + 1.5·2²³ (exact for |k| < 2²²); the integer truncation wasm offers saturates, which
/// costs V8 several instructions a lane.
#[inline(always)]
fn exp4_normal(x: v128) -> v128 {
    #[allow(clippy::redundant_closure)] // a target-feature function is not an `Fn`
    let (kf, y) = reduce(x, |v| f32x4_trunc(v));
    let k = i32x4_sub(
        f32x4_add(kf, f32x4_splat(12_582_912.0)),
        i32x4_splat(0x4b40_0000),
    );
    f32x4_mul(y, two_to(k))
}

/// [`exp4`] for any lanes: every branch of expf computed on every lane, each lane's own selected.
#[inline(always)]
fn exp4_any(x: v128) -> v128 {
    let hx = v128_and(x, i32x4_splat(0x7fff_ffff)); // |x|'s bits
    let negative = i32x4_lt(x, i32x4_splat(0)); // the sign bit, as a lane mask
    let above = |bits: i32| i32x4_gt(hx, i32x4_splat(bits));
    let one = f32x4_splat(1.0);
    let (kf, mut y) = reduce(x, |v| f32x4_convert_i32x4(i32x4_trunc_sat_f32x4(v)));
    let k = i32x4_trunc_sat_f32x4(kf);

    // e^r · 2^k in scalbnf's steps
    let big = i32x4_gt(k, i32x4_splat(127));
    y = f32x4_mul(y, v128_bitselect(splat(TWO_127), one, big));
    let k = i32x4_sub(k, v128_and(big, i32x4_splat(127)));
    let small = i32x4_lt(k, i32x4_splat(-126));
    y = f32x4_mul(y, v128_bitselect(splat(TWO_MINUS_102), one, small));
    let k = i32x4_add(k, v128_and(small, i32x4_splat(102)));
    y = f32x4_mul(y, two_to(k));

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
