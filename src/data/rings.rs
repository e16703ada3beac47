//! Concentric rings: pick a radius r_k uniformly from `radii`, an angle θ ~ U[0, 2π), and put
//! the point at (r_k + σξ)(cos θ, sin θ), ξ ~ N(0, 1). The density is exact:
//! p(x) = (1/K) Σ_k [N(|x|; r_k, σ²) + N(−|x|; r_k, σ²)] / (2π|x|)
//! (the second term counts draws whose signed radius fell below zero).
//!
//! ```
//! use genlab::data::{rings::Rings, Density};
//! let r = Rings { radii: vec![1.0, 2.0], noise: 0.1 };
//! // on a ring the density is ½ · N(0; 0, σ²) / (2π r)
//! let p = r.log_density(&[2.0, 0.0]).unwrap().exp();
//! let expect = 0.5 / (0.1 * (2.0 * std::f32::consts::PI).sqrt()) / (2.0 * std::f32::consts::PI * 2.0);
//! assert!((p - expect).abs() / expect < 1e-4);
//! ```
use super::gmm::log_sum_exp;
use super::Density;
use crate::rng::Rng;
use std::f32::consts::PI;

#[derive(Clone, Debug)]
pub struct Rings {
    pub radii: Vec<f32>,
    pub noise: f32,
}

impl Density for Rings {
    fn dim(&self) -> usize {
        2
    }

    fn sample_one(&self, rng: &mut Rng, out: &mut [f32]) {
        let r = self.radii[rng.below(self.radii.len())] + self.noise * rng.normal();
        let theta = rng.uniform_in(0.0, 2.0 * PI);
        out[0] = r * libm::cosf(theta);
        out[1] = r * libm::sinf(theta);
    }

    fn log_density(&self, x: &[f32]) -> Option<f32> {
        let rho = (x[0] * x[0] + x[1] * x[1]).sqrt().max(1e-12);
        let s = self.noise;
        let log_norm = -(s * (2.0 * PI).sqrt()).ln();
        let terms: Vec<f32> = self
            .radii
            .iter()
            .flat_map(|r| [rho - r, -rho - r])
            .map(|d| log_norm - 0.5 * (d / s) * (d / s))
            .collect();
        Some(log_sum_exp(&terms) - (self.radii.len() as f32).ln() - (2.0 * PI * rho).ln())
    }

    fn extent(&self) -> [(f32, f32); 2] {
        let m = self.radii.iter().cloned().fold(0.0, f32::max) + 4.0 * self.noise;
        [(-m, m), (-m, m)]
    }
}
