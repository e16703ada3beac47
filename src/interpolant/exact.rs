//! Exact drift and score when ρ₀ and ρ₁ are Gaussian mixtures (Albergo et al. 2023,
//! spatially linear interpolants with Gaussian-mixture endpoints). With independent
//! x₀ ~ Σᵢ p⁰ᵢ N(μ⁰ᵢ, C⁰ᵢ), x₁ ~ Σⱼ p¹ⱼ N(μ¹ⱼ, C¹ⱼ) and z ~ N(0, I), x_t is the mixture
//! Σᵢⱼ p⁰ᵢp¹ⱼ N(mᵢⱼ, Cᵢⱼ) with
//!
//! ```text
//! mᵢⱼ = a μ⁰ᵢ + b μ¹ⱼ          Cᵢⱼ = a² C⁰ᵢ + b² C¹ⱼ + γ² I
//! ṁᵢⱼ = ȧ μ⁰ᵢ + ḃ μ¹ⱼ          Ċᵢⱼ = 2(a ȧ C⁰ᵢ + b ḃ C¹ⱼ + γγ̇ I)
//! b(t, x) = Σ wᵢⱼ(x) [ṁᵢⱼ + ½ Ċᵢⱼ Cᵢⱼ⁻¹ (x − mᵢⱼ)]      s(t, x) = −Σ wᵢⱼ(x) Cᵢⱼ⁻¹ (x − mᵢⱼ)
//! ```
//!
//! with posterior weights wᵢⱼ computed by log-sum-exp. Covariances are diagonal (the data
//! library's mixtures), so every product above is per coordinate. This is the ground truth
//! that integrators and learned fields are tested against.
//!
//! ```
//! use genlab::data::gmm::GaussianMixture;
//! use genlab::interpolant::{exact::ExactFields, gamma::Gamma, path::Path};
//! // N(0, 1) → N(0, 1) on the linear path with γ = 0: x_t ~ N(0, (1−t)² + t²)
//! let f = ExactFields::new(GaussianMixture::standard(1), GaussianMixture::standard(1), Path::Linear, Gamma::Zero);
//! let (b, s) = f.drift_and_score(0.5, &[1.0]);
//! assert!((s[0] + 2.0).abs() < 1e-6); // −x / 0.5
//! assert!(b[0].abs() < 1e-6);         // Ċ = 2(−(1−t) + t) = 0 at t = ½
//! ```
use super::gamma::Gamma;
use super::path::{Coefficients, Path};
use crate::data::gmm::GaussianMixture;

const LN_2PI: f64 = 1.837_877_066_409_345_5;
/// Smallest variance used, so a degenerate time (all coefficients zero) stays finite.
const MIN_VARIANCE: f64 = 1e-12;

/// The interpolant between two mixtures, with its exact fields.
#[derive(Clone, Debug)]
pub struct ExactFields {
    pub rho0: GaussianMixture,
    pub rho1: GaussianMixture,
    pub path: Path,
    pub gamma: Gamma,
}

/// The mixture x_t ~ Σ pᵢⱼ N(mᵢⱼ, diag cᵢⱼ) at one t, with time derivatives.
struct Marginal {
    log_p: Vec<f64>,
    m: Vec<f64>,
    c: Vec<f64>,
    m_dot: Vec<f64>,
    c_dot: Vec<f64>,
    dim: usize,
}

impl Marginal {
    /// log pᵢⱼ + log N(x; mᵢⱼ, cᵢⱼ) for every component into `out`; returns their log-sum-exp,
    /// log ρ_t(x).
    fn log_joint(&self, x: &[f32], out: &mut [f64]) -> f64 {
        let dim = self.dim;
        for (j, l) in out.iter_mut().enumerate() {
            *l =
                self.log_p[j] + log_normal(x, &self.m[j * dim..][..dim], &self.c[j * dim..][..dim]);
        }
        let max = out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        max + out.iter().map(|l| (l - max).exp()).sum::<f64>().ln()
    }

    /// The posterior weights wᵢⱼ(x) into `w`.
    fn posterior(&self, x: &[f32], w: &mut [f64]) {
        let log_rho = self.log_joint(x, w);
        for v in w.iter_mut() {
            *v = (*v - log_rho).exp();
        }
    }
}

impl ExactFields {
    /// On a one-sided path x₀ is N(0, I) whatever `rho0` says, as the path defines it.
    pub fn new(rho0: GaussianMixture, rho1: GaussianMixture, path: Path, gamma: Gamma) -> Self {
        let rho0 = if path.one_sided() {
            GaussianMixture::standard(rho1.components[0].mean.len())
        } else {
            rho0
        };
        Self {
            rho0,
            rho1,
            path,
            gamma,
        }
    }

    pub fn dim(&self) -> usize {
        self.rho1.components[0].mean.len()
    }

    fn marginal(&self, t: f64) -> Marginal {
        let Coefficients {
            a,
            b,
            gamma,
            a_dot,
            b_dot,
            gamma_gamma_dot,
        } = self.path.coefficients(self.gamma, t);
        let dim = self.dim();
        let mut out = Marginal {
            log_p: vec![],
            m: vec![],
            c: vec![],
            m_dot: vec![],
            c_dot: vec![],
            dim,
        };
        for (c0, p0) in self.rho0.components.iter().zip(self.rho0.weights()) {
            for (c1, p1) in self.rho1.components.iter().zip(self.rho1.weights()) {
                out.log_p.push((*p0 as f64).ln() + (*p1 as f64).ln());
                for d in 0..dim {
                    let (mu0, mu1) = (c0.mean[d] as f64, c1.mean[d] as f64);
                    let (v0, v1) = ((c0.std[d] as f64).powi(2), (c1.std[d] as f64).powi(2));
                    out.m.push(a * mu0 + b * mu1);
                    out.m_dot.push(a_dot * mu0 + b_dot * mu1);
                    out.c
                        .push((a * a * v0 + b * b * v1 + gamma * gamma).max(MIN_VARIANCE));
                    out.c_dot
                        .push(2.0 * (a * a_dot * v0 + b * b_dot * v1 + gamma_gamma_dot));
                }
            }
        }
        out
    }

    /// b(t, x) and s(t, x) for every point of `x` (row-major, n × dim).
    pub fn drift_and_score(&self, t: f64, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let mk = self.marginal(t);
        let (dim, k) = (mk.dim, mk.log_p.len());
        let mut drift = vec![0.0f32; x.len()];
        let mut score = vec![0.0f32; x.len()];
        let mut w = vec![0.0f64; k];
        for (p, point) in x.chunks_exact(dim).enumerate() {
            mk.posterior(point, &mut w);
            for d in 0..dim {
                let (mut bd, mut sd) = (0.0f64, 0.0f64);
                for (j, w) in w.iter().enumerate() {
                    let i = j * dim + d;
                    let r = (point[d] as f64 - mk.m[i]) / mk.c[i];
                    bd += w * (mk.m_dot[i] + 0.5 * mk.c_dot[i] * r);
                    sd -= w * r;
                }
                drift[p * dim + d] = bd as f32;
                score[p * dim + d] = sd as f32;
            }
        }
        (drift, score)
    }

    /// ∇·b(t, x) for every point, in closed form: with rⱼ = (x − mⱼ)/cⱼ, Bⱼ = ṁⱼ + ½ċⱼrⱼ and
    /// ∂wⱼ/∂x = wⱼ(−rⱼ + Σₖ wₖrₖ), per coordinate
    /// ∂b/∂x = Σⱼ wⱼ ½ċⱼ/cⱼ − Σⱼ wⱼ rⱼ Bⱼ + (Σⱼ wⱼ rⱼ)(Σⱼ wⱼ Bⱼ).
    pub fn divergence(&self, t: f64, x: &[f32]) -> Vec<f32> {
        let mk = self.marginal(t);
        let (dim, k) = (mk.dim, mk.log_p.len());
        let mut w = vec![0.0f64; k];
        x.chunks_exact(dim)
            .map(|point| {
                mk.posterior(point, &mut w);
                let mut div = 0.0;
                for d in 0..dim {
                    let (mut own, mut wr, mut wb, mut wrb) = (0.0, 0.0, 0.0, 0.0);
                    for (j, w) in w.iter().enumerate() {
                        let i = j * dim + d;
                        let r = (point[d] as f64 - mk.m[i]) / mk.c[i];
                        let b = mk.m_dot[i] + 0.5 * mk.c_dot[i] * r;
                        own += w * 0.5 * mk.c_dot[i] / mk.c[i];
                        wr += w * r;
                        wb += w * b;
                        wrb += w * r * b;
                    }
                    div += own - wrb + wr * wb;
                }
                div as f32
            })
            .collect()
    }

    /// log ρ_t(x) at one point.
    pub fn log_density(&self, t: f64, x: &[f32]) -> f64 {
        let mk = self.marginal(t);
        mk.log_joint(x, &mut vec![0.0; mk.log_p.len()])
    }
}

/// log N(x; m, diag c).
fn log_normal(x: &[f32], m: &[f64], c: &[f64]) -> f64 {
    x.iter()
        .zip(m)
        .zip(c)
        .map(|((x, m), c)| -0.5 * ((*x as f64 - m).powi(2) / c + c.ln() + LN_2PI))
        .sum()
}
