//! Ancestral sampling that records x̂₀ at every reverse step, and the trajectory variance
//! (Aithal et al. 2024): the population variance of x̂₀ over the last K steps (t = K−1 … 0) per
//! dimension, averaged over dimensions. It is the variance of x̂₀, not of xₜ.
use super::exact::Denoiser;
use super::schedule::Schedule;
use crate::rng::Rng;

/// The end of a reverse chain for n samples.
pub struct Chain {
    /// x₀, n × dim.
    pub samples: Vec<f32>,
    /// The trajectory variance of each sample over the last `window` steps.
    pub variance: Vec<f32>,
}

/// Population variance of each sample's x̂₀ over `window` (rows: steps, each n × dim),
/// averaged over the dimensions.
pub fn trajectory_variance(window: &[Vec<f32>], dim: usize) -> Vec<f32> {
    let k = window.len() as f64;
    let n = window.first().map_or(0, |w| w.len() / dim);
    (0..n)
        .map(|i| {
            let mut total = 0.0;
            for d in 0..dim {
                let values = window.iter().map(|w| w[i * dim + d] as f64);
                let mean = values.clone().sum::<f64>() / k;
                total += values.map(|v| (v - mean).powi(2)).sum::<f64>() / k;
            }
            (total / dim as f64) as f32
        })
        .collect()
}

/// Runs the whole reverse chain from xₜ ~ N(0, I) for `n` samples; `on_step(t, x_t, x0_hat)`
/// sees every step (for a scrubber or streaming).
pub fn sample<D: Denoiser + ?Sized>(
    den: &D,
    schedule: &Schedule,
    n: usize,
    window: usize,
    rng: &mut Rng,
    mut on_step: impl FnMut(usize, &[f32], &[f32]),
) -> Chain {
    let dim = den.dim();
    let mut x = rng.normal_vec(n * dim);
    let mut last: Vec<Vec<f32>> = Vec::with_capacity(window);
    for t in (0..schedule.steps()).rev() {
        let eps = den.eps(t, &x);
        let x0: Vec<f32> = x
            .iter()
            .zip(&eps)
            .map(|(x, e)| schedule.predict_x0(t, *x as f64, *e as f64) as f32)
            .collect();
        on_step(t, &x, &x0);
        let sigma = schedule.sigma(t);
        for (xi, x0i) in x.iter_mut().zip(&x0) {
            let mean = schedule.posterior_mean(t, *x0i as f64, *xi as f64);
            *xi = (mean
                + if sigma > 0.0 {
                    sigma * rng.normal() as f64
                } else {
                    0.0
                }) as f32;
        }
        if t < window {
            last.push(x0);
        }
    }
    Chain {
        variance: trajectory_variance(&last, dim),
        samples: x,
    }
}
