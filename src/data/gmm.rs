//! Gaussian mixtures with diagonal covariances, and the named mixtures built from them.
//!
//! The 25-mode grid, the diamond and the 8-Gaussians ring follow the hallucination paper's
//! data code (Aithal et al. 2024): modes scaled by 2, per-mode std σ, and everything divided by
//! the scale the authors compute, √(σ² + 2²·2) for the 25 modes, √(σ² + 2²/2) for the ring.
//!
//! ```
//! use genlab::data::{gmm::GaussianMixture, Density};
//! let g = GaussianMixture::grid25(0.05);
//! assert_eq!(g.components.len(), 25);
//! // the corner mode sits at 2·2 / √(0.05² + 8)
//! let c = g.components.iter().map(|c| c.mean[0]).fold(f32::MIN, f32::max);
//! assert!((c - 4.0 / (0.05f32 * 0.05 + 8.0).sqrt()).abs() < 1e-6);
//! ```
use super::Density;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

const LN_2PI: f32 = 1.837_877_1;

/// One weighted Gaussian with a diagonal covariance.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Unnormalised weight (≥ 0); weights are normalised over the mixture.
    pub weight: f32,
    pub mean: Vec<f32>,
    /// Standard deviation per dimension.
    pub std: Vec<f32>,
}

/// Σ_k p_k N(μ_k, diag(σ_k²)).
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    pub components: Vec<Component>,
    weights: Vec<f32>,
    log_weights: Vec<f32>,
}

impl GaussianMixture {
    /// Builds a mixture; components must share one dimension (1 or 2), have positive std and
    /// a positive total weight. The caller validates (see `library`), so this only normalises.
    pub fn new(components: Vec<Component>) -> Self {
        let total: f32 = components.iter().map(|c| c.weight).sum();
        let weights: Vec<f32> = components.iter().map(|c| c.weight / total).collect();
        let log_weights = weights.iter().map(|w| w.ln()).collect();
        Self {
            components,
            weights,
            log_weights,
        }
    }

    /// Normalised mixture weights p_k.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// N(0, I) in `dim` dimensions.
    pub fn standard(dim: usize) -> Self {
        Self::isotropic(&[vec![0.0; dim]], 1.0)
    }

    /// Equal-weight modes at `means`, each with std `std` in every dimension.
    pub fn isotropic(means: &[Vec<f32>], std: f32) -> Self {
        Self::new(
            means
                .iter()
                .map(|m| Component {
                    weight: 1.0,
                    mean: m.clone(),
                    std: vec![std; m.len()],
                })
                .collect(),
        )
    }

    /// The 5×5 grid of the hallucination paper: modes 2·(i, j), i, j ∈ {−2..2}, std σ,
    /// all divided by √(σ² + 8).
    pub fn grid25(std: f32) -> Self {
        let s = (std * std + 8.0).sqrt();
        let means: Vec<Vec<f32>> = (-2..=2)
            .flat_map(|i| (-2..=2).map(move |j| vec![2.0 * i as f32 / s, 2.0 * j as f32 / s]))
            .collect();
        Self::isotropic(&means, std / s)
    }

    /// The rotated ("diamond") grid: modes 2·((i+j)/2, (j−i)/2), same σ and divisor as the grid,
    /// so the vertices sit at (±4, 0), (0, ±4) before the division.
    pub fn diamond25(std: f32) -> Self {
        let s = (std * std + 8.0).sqrt();
        let means: Vec<Vec<f32>> = (-2..=2)
            .flat_map(|i| (-2..=2).map(move |j| vec![(i + j) as f32 / s, (j - i) as f32 / s]))
            .collect();
        Self::isotropic(&means, std / s)
    }

    /// Eight modes at 2·(cos kπ/4, sin kπ/4), std σ, divided by √(σ² + 2).
    pub fn eight_gaussians(std: f32) -> Self {
        let s = (std * std + 2.0).sqrt();
        let means: Vec<Vec<f32>> = (0..8)
            .map(|k| {
                let a = std::f32::consts::FRAC_PI_4 * k as f32;
                vec![2.0 * libm::cosf(a) / s, 2.0 * libm::sinf(a) / s]
            })
            .collect();
        Self::isotropic(&means, std / s)
    }

    /// A 1D mixture of equal-weight modes, e.g. {1, 2, 3} with std 0.05 (Aithal et al. 2024).
    pub fn modes_1d(modes: &[f32], std: f32) -> Self {
        let means: Vec<Vec<f32>> = modes.iter().map(|m| vec![*m]).collect();
        Self::isotropic(&means, std)
    }

    /// log N(x; μ_k, diag σ_k²) for component k.
    pub fn component_log_density(&self, k: usize, x: &[f32]) -> f32 {
        let c = &self.components[k];
        let mut lp = 0.0;
        for ((xi, mi), si) in x.iter().zip(&c.mean).zip(&c.std) {
            let z = (xi - mi) / si;
            lp += -0.5 * z * z - si.ln() - 0.5 * LN_2PI;
        }
        lp
    }
}

impl Density for GaussianMixture {
    fn dim(&self) -> usize {
        self.components[0].mean.len()
    }

    fn sample_one(&self, rng: &mut Rng, out: &mut [f32]) {
        let c = &self.components[rng.categorical(&self.weights)];
        for ((o, m), s) in out.iter_mut().zip(&c.mean).zip(&c.std) {
            *o = m + s * rng.normal();
        }
    }

    fn log_density(&self, x: &[f32]) -> Option<f32> {
        let terms: Vec<f32> = (0..self.components.len())
            .map(|k| self.log_weights[k] + self.component_log_density(k, x))
            .collect();
        Some(log_sum_exp(&terms))
    }

    fn extent(&self) -> [(f32, f32); 2] {
        let mut e = [(f32::MAX, f32::MIN); 2];
        for c in &self.components {
            for (d, (m, s)) in c.mean.iter().zip(&c.std).enumerate() {
                e[d].0 = e[d].0.min(m - 4.0 * s);
                e[d].1 = e[d].1.max(m + 4.0 * s);
            }
        }
        if self.dim() == 1 {
            e[1] = (0.0, 1.0);
        }
        e
    }
}

/// log Σ exp(v), stable for large and very negative terms.
pub fn log_sum_exp(v: &[f32]) -> f32 {
    let m = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    if m == f32::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f32>().ln()
}
