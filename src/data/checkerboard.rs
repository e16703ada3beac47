//! The stochastic-interpolants checkerboard (Albergo et al. 2023, their code's sampler):
//! x₁ ~ U[−2, 2), x₂ = U[0, 1) − 2·Bernoulli(½) + (⌊x₁⌋ mod 2), returned as 2·(x₁, x₂).
//! Eight squares of side 2 on [−4, 4]², so the density is 1/32 on them and 0 elsewhere.
//!
//! ```
//! use genlab::data::{checkerboard::Checkerboard, Density};
//! // x₁ ∈ [−2, −1) has ⌊x₁⌋ mod 2 = 0: squares at x₂ ∈ [0, 1) and [−2, −1), i.e. y ∈ [0, 2) and [−4, −2)
//! assert_eq!(Checkerboard.log_density(&[-3.0, 1.0]), Some((1.0f32 / 32.0).ln()));
//! assert_eq!(Checkerboard.log_density(&[-3.0, -1.0]), Some(f32::NEG_INFINITY));
//! ```
use super::Density;
use crate::rng::Rng;

#[derive(Clone, Copy, Debug, Default)]
pub struct Checkerboard;

impl Checkerboard {
    /// Whether `x` lies on one of the eight (closed) squares. Closed, because f32 rounding
    /// can land a draw just below a square's upper edge exactly on it (u − 2 with u = 1 − 2⁻²⁴
    /// rounds to −1): the edges have measure zero, so this changes no probability.
    pub fn contains(x: &[f32]) -> bool {
        let (x1, x2) = (x[0] / 2.0, x[1] / 2.0);
        if !(-2.0..=2.0).contains(&x1) {
            return false;
        }
        let shift = (x1.floor() as i32).rem_euclid(2) as f32;
        let y = x2 - shift;
        (0.0..=1.0).contains(&y) || (-2.0..=-1.0).contains(&y)
    }
}

impl Density for Checkerboard {
    fn dim(&self) -> usize {
        2
    }

    fn sample_one(&self, rng: &mut Rng, out: &mut [f32]) {
        let x1 = rng.uniform_in(-2.0, 2.0);
        let flip = if rng.bernoulli(0.5) { 2.0 } else { 0.0 };
        let x2 = rng.uniform() - flip + (x1.floor() as i32).rem_euclid(2) as f32;
        out[0] = 2.0 * x1;
        out[1] = 2.0 * x2;
    }

    fn log_density(&self, x: &[f32]) -> Option<f32> {
        Some(if Self::contains(x) {
            (1.0f32 / 32.0).ln()
        } else {
            f32::NEG_INFINITY
        })
    }

    fn extent(&self) -> [(f32, f32); 2] {
        [(-4.0, 4.0), (-4.0, 4.0)]
    }
}
