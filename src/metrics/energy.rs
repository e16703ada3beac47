//! Energy distance between two samples (Székely & Rizzo 2013):
//! D² = 2E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ ≥ 0, zero iff the laws agree.
//! Within-sample terms are U-statistics (pairs i ≠ j), so D² of two samples of one law has
//! mean ≈ 0; its spread is the metric's *noise floor*, measured by [`noise_floor`].
//!
//! ```
//! use genlab::metrics::energy::energy_distance;
//! // two point masses at distance 2 in 1D: 2·2 − 0 − 0
//! assert!((energy_distance(&[0.0, 0.0], &[2.0, 2.0], 1) - 4.0).abs() < 1e-9);
//! ```
use crate::data::Density;
use crate::rng::Rng;

fn mean_cross_distance(x: &[f32], y: &[f32], dim: usize) -> f64 {
    let mut total = 0.0;
    for p in x.chunks_exact(dim) {
        for q in y.chunks_exact(dim) {
            total += p
                .iter()
                .zip(q)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum::<f64>()
                .sqrt();
        }
    }
    total / ((x.len() / dim) * (y.len() / dim)) as f64
}

fn mean_within_distance(x: &[f32], dim: usize) -> f64 {
    let n = x.len() / dim;
    let mut total = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            let (p, q) = (&x[i * dim..][..dim], &x[j * dim..][..dim]);
            total += p
                .iter()
                .zip(q)
                .map(|(a, b)| ((a - b) as f64).powi(2))
                .sum::<f64>()
                .sqrt();
        }
    }
    2.0 * total / (n * (n - 1)).max(1) as f64
}

/// D² between samples `x` and `y` (row-major, `dim` columns).
pub fn energy_distance(x: &[f32], y: &[f32], dim: usize) -> f64 {
    2.0 * mean_cross_distance(x, y, dim)
        - mean_within_distance(x, dim)
        - mean_within_distance(y, dim)
}

/// The noise floor at sample size `n`: D² between two independent samples of `target`
/// (mean of `repeats` draws, absolute values, so a score within it is indistinguishable
/// from the target at that size).
pub fn noise_floor(target: &dyn Density, n: usize, repeats: usize, rng: &mut Rng) -> f64 {
    let dim = target.dim();
    (0..repeats)
        .map(|_| energy_distance(&target.sample(n, rng), &target.sample(n, rng), dim).abs())
        .sum::<f64>()
        / repeats as f64
}
