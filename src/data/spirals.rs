//! Two interleaved spirals: θ = 3π·√u (u ~ U[0, 1), so points spread evenly along the arm),
//! radius r = θ/π, arm one at r(cos θ, sin θ), arm two its point reflection, plus N(0, σ²)
//! noise. Reaches radius 3; the noisy density has no closed form.
use super::Density;
use crate::rng::Rng;
use std::f32::consts::PI;

#[derive(Clone, Copy, Debug)]
pub struct TwoSpirals {
    pub noise: f32,
}

impl Density for TwoSpirals {
    fn dim(&self) -> usize {
        2
    }

    fn sample_one(&self, rng: &mut Rng, out: &mut [f32]) {
        let sign = if rng.bernoulli(0.5) { -1.0 } else { 1.0 };
        let theta = 3.0 * PI * rng.uniform().sqrt();
        let r = theta / PI;
        out[0] = sign * r * libm::cosf(theta) + self.noise * rng.normal();
        out[1] = sign * r * libm::sinf(theta) + self.noise * rng.normal();
    }

    fn log_density(&self, _x: &[f32]) -> Option<f32> {
        None
    }

    fn extent(&self) -> [(f32, f32); 2] {
        let m = 3.5 + 4.0 * self.noise;
        [(-m, m), (-m, m)]
    }
}
