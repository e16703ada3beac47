//! Learned against exact: the relative L2 error of a field, measured where the interpolant puts
//! its mass (xₜ drawn from ρₜ itself), averaged over times in [0.1, 0.9] (the issue's bar:
//! ≤ 10% on a Gaussian-mixture pair).
//!
//! ```text
//! err(t) = √( E|f_learned(t, xₜ) − f_exact(t, xₜ)|² / E|f_exact(t, xₜ)|² )
//! ```
use super::gamma::Gamma;
use super::path::Path;
use super::sampler::Fields;
use crate::data::Density;
use crate::rng::Rng;
use serde::Serialize;

/// `n` draws of xₜ = a x₀ + b x₁ + γz (x₀ ~ N(0, I) on one-sided paths, which have no γz).
pub fn draw_xt(
    rho0: &dyn Density,
    rho1: &dyn Density,
    path: Path,
    gamma: Gamma,
    t: f64,
    n: usize,
    rng: &mut Rng,
) -> Vec<f32> {
    let d = rho1.dim();
    let c = path.coefficients(gamma, t);
    let (mut x0, mut x1) = (vec![0f32; d], vec![0f32; d]);
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        if path.one_sided() {
            x0.iter_mut().for_each(|v| *v = rng.normal());
        } else {
            rho0.sample_one(rng, &mut x0);
        }
        rho1.sample_one(rng, &mut x1);
        for i in 0..d {
            let z = if path.one_sided() {
                0.0
            } else {
                c.gamma * rng.normal() as f64
            };
            out.push((c.a * x0[i] as f64 + c.b * x1[i] as f64 + z) as f32);
        }
    }
    out
}

/// Relative L2 errors of the drift and the score, averaged over `times`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FieldError {
    pub drift: f64,
    pub score: f64,
}

fn relative(learned: &[f32], exact: &[f32]) -> f64 {
    let num: f64 = learned
        .iter()
        .zip(exact)
        .map(|(l, e)| (*l as f64 - *e as f64).powi(2))
        .sum();
    let den: f64 = exact.iter().map(|e| (*e as f64).powi(2)).sum();
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

/// The nine times 0.1, 0.2, …, 0.9.
pub fn default_times() -> Vec<f64> {
    (1..=9).map(|k| k as f64 / 10.0).collect()
}

/// `learned` against `exact` on `n` draws of xₜ at each of `times`.
#[allow(clippy::too_many_arguments)]
pub fn field_error(
    learned: &impl Fields,
    exact: &impl Fields,
    rho0: &dyn Density,
    rho1: &dyn Density,
    path: Path,
    gamma: Gamma,
    times: &[f64],
    n: usize,
    rng: &mut Rng,
) -> FieldError {
    let (mut drift, mut score) = (0.0, 0.0);
    for &t in times {
        let x = draw_xt(rho0, rho1, path, gamma, t, n, rng);
        let (bl, sl) = learned.eval(t, &x, true);
        let (be, se) = exact.eval(t, &x, true);
        drift += relative(&bl, &be);
        score += relative(&sl, &se);
    }
    let k = times.len() as f64;
    FieldError {
        drift: drift / k,
        score: score / k,
    }
}
