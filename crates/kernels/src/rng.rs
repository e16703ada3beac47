//! The one seeded random number generator behind every draw in GenLab.
//!
//! candle's CPU RNG cannot be seeded, so weights, data and noise all come from here. The
//! generator is ChaCha8 ([`rand_chacha::ChaCha8Rng`]), portable and platform independent:
//! the same seed gives the same stream on native and in wasm. Independent streams for
//! different purposes (data, weights, sampler noise) come from [`Rng::stream`], so adding a
//! draw in one place never shifts the numbers of another.
//!
//! ```
//! use genlab_kernels::rng::Rng;
//! let mut a = Rng::new(7);
//! let mut b = Rng::new(7);
//! assert_eq!(a.normal(), b.normal());
//! assert_ne!(Rng::new(7).stream(1).uniform(), Rng::new(7).stream(2).uniform());
//! ```
use candle_core::{Device, Result, Shape, Tensor};
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Named streams, so that each purpose draws from its own sequence.
pub mod streams {
    pub const DATA: u64 = 1;
    pub const WEIGHTS: u64 = 2;
    pub const TRAINING: u64 = 3;
    pub const SAMPLER: u64 = 4;
    /// The probe batch loaded weights are checked on.
    pub const PROBE: u64 = 5;

    /// The `index`-th of a family of streams for one purpose (index 0 is the purpose's own
    /// stream). Streams do not nest: `stream(a).stream(b)` is just `stream(b)`.
    pub const fn indexed(purpose: u64, index: u64) -> u64 {
        purpose | (index << 32)
    }
}

/// A seeded, portable random number generator.
#[derive(Clone, Debug)]
pub struct Rng {
    inner: ChaCha8Rng,
    seed: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self {
            inner: ChaCha8Rng::seed_from_u64(seed),
            seed,
        }
    }

    /// A fresh generator on stream `id` of the same seed, independent of this one.
    pub fn stream(&self, id: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(self.seed);
        inner.set_stream(id);
        Self {
            inner,
            seed: self.seed,
        }
    }

    /// Uniform on [0, 1).
    pub fn uniform(&mut self) -> f32 {
        self.inner.random::<f32>()
    }

    /// Uniform on [lo, hi).
    pub fn uniform_in(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal N(0, 1).
    pub fn normal(&mut self) -> f32 {
        StandardNormal.sample(&mut self.inner)
    }

    /// Uniform integer in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.inner.random_range(0..n)
    }

    /// Bernoulli(p).
    pub fn bernoulli(&mut self, p: f32) -> bool {
        self.uniform() < p
    }

    /// Index drawn with probability proportional to `weights` (non-negative, positive sum).
    pub fn categorical(&mut self, weights: &[f32]) -> usize {
        let total: f32 = weights.iter().sum();
        let mut u = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    pub fn normal_vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal()).collect()
    }

    pub fn uniform_vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform_in(lo, hi)).collect()
    }

    /// A tensor of i.i.d. N(0, 1) draws.
    pub fn normal_tensor<S: Into<Shape>>(&mut self, shape: S, device: &Device) -> Result<Tensor> {
        let shape = shape.into();
        Tensor::from_vec(self.normal_vec(shape.elem_count()), shape, device)
    }

    /// A tensor of i.i.d. U[lo, hi) draws.
    pub fn uniform_tensor<S: Into<Shape>>(
        &mut self,
        shape: S,
        lo: f32,
        hi: f32,
        device: &Device,
    ) -> Result<Tensor> {
        let shape = shape.into();
        Tensor::from_vec(self.uniform_vec(shape.elem_count(), lo, hi), shape, device)
    }
}
