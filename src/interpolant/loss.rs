//! The antithetic quadratic losses (Albergo, Boffi & Vanden-Eijnden 2023,
//! eqs. 2.13–2.16 with the antithetic estimator of their §6).
//!
//! Write xₜ = m + σz with m the data part and σz the Gaussian noise: on two-sided paths
//! m = a x₀ + b x₁, σ = γ, z ~ N(0, I); on one-sided paths m = b x₁, σ = a and z = x₀. Each draw
//! (t, x₀, x₁, z) gives the pair x± = m ± σz. Every loss has the form
//!
//! ```text
//! L(f) = E[ ½|f(x⁺)|² − y⁺·f(x⁺) + ½|f(x⁻)|² − y⁻·f(x⁻) ],   minimiser f = E[y | xₜ]
//! ```
//!
//! with the regression target y±:
//!
//! | field | y± | the paper's loss |
//! |---|---|---|
//! | b | ṁ ± σ̇z | ½|b|² − (∂ₜI ± γ̇z)·b |
//! | v | ṁ | ½|v|² − ∂ₜI·v |
//! | s | ∓z/σ | ½|s|² ± σ⁻¹z·s |
//! | η | ±z | ½|η|² ∓ z·η |
//!
//! The mean over the batch is taken over draws, each contributing both halves (the sum).
//! t ~ U[T_MIN, T_MAX], since σ⁻¹ and γ̇ blow up at the ends.
use super::gamma::Gamma;
use super::model::{noise_scale, DriftTarget, ScoreTarget};
use super::path::Path;
use super::sampler::{T_MAX, T_MIN};
use crate::data::Density;
use crate::rng::Rng;
use candle_core::{Device, Result, Tensor};

/// One antithetic batch: 2B rows [t, x±] and the targets of the drift and score networks.
pub struct Batch {
    /// Draws (half the rows).
    pub draws: usize,
    pub input: Tensor,
    pub drift_target: Tensor,
    pub score_target: Option<Tensor>,
}

/// Everything that shapes a batch.
pub struct Objective<'a> {
    pub rho0: &'a dyn Density,
    pub rho1: &'a dyn Density,
    pub path: Path,
    pub gamma: Gamma,
    pub drift: DriftTarget,
    pub score: Option<ScoreTarget>,
}

impl Objective<'_> {
    /// Draws `draws` (t, x₀, x₁, z) from `rng` and builds the antithetic pair of each.
    pub fn batch(&self, draws: usize, rng: &mut Rng) -> Result<Batch> {
        let d = self.rho1.dim();
        let rows = 2 * draws;
        let mut input = vec![0f32; rows * (1 + d)];
        let mut drift = vec![0f32; rows * d];
        let mut score = vec![0f32; if self.score.is_some() { rows * d } else { 0 }];
        let (mut x0, mut x1) = (vec![0f32; d], vec![0f32; d]);
        for k in 0..draws {
            let t = T_MIN + (T_MAX - T_MIN) * rng.uniform() as f64;
            let c = self.path.coefficients(self.gamma, t);
            let (sigma, sigma_sigma_dot) = noise_scale(self.path, self.gamma, t);
            let sigma_dot = if sigma > 0.0 {
                sigma_sigma_dot / sigma
            } else {
                0.0
            };
            let one_sided = self.path.one_sided();
            if one_sided {
                x0.iter_mut().for_each(|v| *v = rng.normal());
            } else {
                self.rho0.sample_one(rng, &mut x0);
            }
            self.rho1.sample_one(rng, &mut x1);
            for i in 0..d {
                // z is x₀ itself on one-sided paths; else fresh noise
                let z = if one_sided {
                    x0[i] as f64
                } else {
                    rng.normal() as f64
                };
                let (m, m_dot) = if one_sided {
                    (c.b * x1[i] as f64, c.b_dot * x1[i] as f64)
                } else {
                    (
                        c.a * x0[i] as f64 + c.b * x1[i] as f64,
                        c.a_dot * x0[i] as f64 + c.b_dot * x1[i] as f64,
                    )
                };
                for (half, sign) in [(0, 1.0), (1, -1.0)] {
                    let row = 2 * k + half;
                    input[row * (1 + d)] = t as f32;
                    input[row * (1 + d) + 1 + i] = (m + sign * sigma * z) as f32;
                    drift[row * d + i] = match self.drift {
                        DriftTarget::B => m_dot + sign * sigma_dot * z,
                        DriftTarget::V => m_dot,
                    } as f32;
                    if let Some(target) = self.score {
                        score[row * d + i] = match target {
                            ScoreTarget::S => -sign * z / sigma,
                            ScoreTarget::Eta => sign * z,
                        } as f32;
                    }
                }
            }
        }
        let dev = &Device::Cpu;
        Ok(Batch {
            draws,
            input: Tensor::from_vec(input, (rows, 1 + d), dev)?,
            drift_target: Tensor::from_vec(drift, (rows, d), dev)?,
            score_target: self
                .score
                .map(|_| Tensor::from_vec(score, (rows, d), dev))
                .transpose()?,
        })
    }
}

/// Σ over rows of ½|f|² − y·f, divided by the number of draws: the antithetic loss.
pub fn quadratic_loss(f: &Tensor, target: &Tensor, draws: usize) -> Result<Tensor> {
    ((f.sqr()? * 0.5)? - (f * target)?)?.sum_all()? / draws as f64
}
