//! Two interleaved half circles ("two moons", as scikit-learn's `make_moons` draws them, with
//! the angle drawn uniformly): upper (cos θ, sin θ), lower (1 − cos θ, ½ − sin θ), θ ~ U[0, π],
//! plus N(0, σ²) noise; then centred by (½, ¼) and scaled by 2 to fill about [−3, 3] × [−2, 2].
//! The noisy density has no closed form.
use super::Density;
use crate::rng::Rng;
use std::f32::consts::PI;

#[derive(Clone, Copy, Debug)]
pub struct TwoMoons {
    /// Noise std σ (before the ×2 scaling).
    pub noise: f32,
}

impl Density for TwoMoons {
    fn dim(&self) -> usize {
        2
    }

    fn sample_one(&self, rng: &mut Rng, out: &mut [f32]) {
        let lower = rng.bernoulli(0.5);
        let theta = rng.uniform_in(0.0, PI);
        let (c, s) = (libm::cosf(theta), libm::sinf(theta));
        let (x, y) = if lower { (1.0 - c, 0.5 - s) } else { (c, s) };
        out[0] = 2.0 * (x + self.noise * rng.normal() - 0.5);
        out[1] = 2.0 * (y + self.noise * rng.normal() - 0.25);
    }

    fn log_density(&self, _x: &[f32]) -> Option<f32> {
        None
    }

    fn extent(&self) -> [(f32, f32); 2] {
        let m = 8.0 * self.noise;
        [(-3.0 - m, 3.0 + m), (-2.0 - m, 2.0 + m)]
    }
}
