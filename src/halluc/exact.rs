//! The exact noise prediction for Gaussian-mixture data: the perfect DDPM to compare a learned
//! one with (not in Aithal et al. 2024). With x₀ ~ Σ wₖ N(μₖ, diag σₖ²), xₜ is the mixture
//! Σ wₖ N(√ᾱₜ μₖ, ᾱₜσₖ² + 1 − ᾱₜ), and ε̂(xₜ, t) = −√(1−ᾱₜ) ∇log pₜ(xₜ) (posterior weights by
//! log-sum-exp).
use super::schedule::Schedule;
use crate::data::gmm::GaussianMixture;

/// Something that predicts the noise ε̂(xₜ, t) for n × dim points.
pub trait Denoiser {
    fn dim(&self) -> usize;
    fn eps(&self, t: usize, x: &[f32]) -> Vec<f32>;
}

pub struct ExactDenoiser {
    pub data: GaussianMixture,
    pub schedule: Schedule,
}

impl Denoiser for ExactDenoiser {
    fn dim(&self) -> usize {
        self.data.components[0].mean.len()
    }

    fn eps(&self, t: usize, x: &[f32]) -> Vec<f32> {
        let ab = self.schedule.alpha_bar[t];
        let dim = self.dim();
        let comps = &self.data.components;
        let log_w: Vec<f64> = self
            .data
            .weights()
            .iter()
            .map(|w| (*w as f64).ln())
            .collect();
        let mut out = Vec::with_capacity(x.len());
        let mut logs = vec![0.0f64; comps.len()];
        for p in x.chunks_exact(dim) {
            for (k, c) in comps.iter().enumerate() {
                let mut l = log_w[k];
                for d in 0..dim {
                    let var = ab * (c.std[d] as f64).powi(2) + 1.0 - ab;
                    let r = p[d] as f64 - ab.sqrt() * c.mean[d] as f64;
                    l -= 0.5 * (r * r / var + var.ln());
                }
                logs[k] = l;
            }
            let max = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = logs.iter().map(|l| (l - max).exp()).sum();
            for d in 0..dim {
                let mut score = 0.0;
                for (k, c) in comps.iter().enumerate() {
                    let var = ab * (c.std[d] as f64).powi(2) + 1.0 - ab;
                    score -= (logs[k] - max).exp() / total
                        * (p[d] as f64 - ab.sqrt() * c.mean[d] as f64)
                        / var;
                }
                out.push((-(1.0 - ab).sqrt() * score) as f32);
            }
        }
        out
    }
}
