//! The density library: every source and target a lab can use.
//!
//! A [`Density`] samples points (row-major, `n × dim`) from the seeded [`Rng`] and, where the
//! density is analytic, evaluates its log-density. Samplers draw point by point from one
//! stream, so sampling `n` points in chunks gives exactly the points of one call with `n`.
//! Which density a config names is decided in [`library`].
//!
//! ```
//! use genlab::data::{library::DatasetConfig, Density};
//! use genlab::rng::Rng;
//! let d = DatasetConfig::Gaussian { dim: 2 }.build().unwrap();
//! let x = d.sample(3, &mut Rng::new(1));
//! assert_eq!(x.len(), 6);
//! let lp = d.log_density(&[0.0, 0.0]).unwrap();
//! assert!((lp + (2.0 * std::f32::consts::PI).ln()).abs() < 1e-6);
//! ```
use crate::rng::Rng;

pub mod checkerboard;
pub mod density_grid;
pub mod gmm;
pub mod library;
pub mod moons;
pub mod rings;
pub mod session;
pub mod spirals;

/// A probability density on R^dim (dim is 1 or 2) that can be sampled.
pub trait Density: Send {
    /// The dimension of a point.
    fn dim(&self) -> usize;

    /// Draws one point into `out` (length `dim`).
    fn sample_one(&self, rng: &mut Rng, out: &mut [f32]);

    /// The log-density at `x`, or `None` where the density has no closed form.
    fn log_density(&self, x: &[f32]) -> Option<f32>;

    /// Whether [`Density::log_density`] has a closed form (it answers everywhere or nowhere).
    fn is_analytic(&self) -> bool {
        self.log_density(&[0.0; 2][..self.dim()]).is_some()
    }

    /// `n` points, row-major `n × dim`.
    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<f32> {
        let d = self.dim();
        let mut out = vec![0.0; n * d];
        for p in out.chunks_exact_mut(d) {
            self.sample_one(rng, p);
        }
        out
    }

    /// A box `[lo, hi]` per dimension that holds (nearly) all of the mass, for plotting.
    fn extent(&self) -> [(f32, f32); 2];
}
