//! The interpolant's coefficients x_t = a(t)x₀ + b(t)x₁ + γ(t)z (see
//! Albergo, Boffi & Vanden-Eijnden 2023, Table 1 and §3.3–3.4).
//!
//! One-sided paths carry no γ term: there x₀ ~ N(0, I) itself is the noise. The mirror path has
//! x_t = x₁ + γ(t)z (both ends are the data), written here as a = 0, b = 1.
//!
//! ```
//! use genlab::interpolant::{gamma::Gamma, path::Path};
//! let c = Path::Linear.coefficients(Gamma::Brownian, 0.25);
//! assert_eq!((c.a, c.b, c.a_dot, c.b_dot), (0.75, 0.25, -1.0, 1.0));
//! assert!((c.gamma - (0.25f64 * 0.75).sqrt()).abs() < 1e-12);
//! ```
use super::gamma::Gamma;
use serde::{Deserialize, Serialize};
use std::f64::consts::{FRAC_PI_2, PI};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Path {
    #[default]
    Linear,
    /// a = √(1−γ²)cos(πt/2), b = √(1−γ²)sin(πt/2); needs γ ≤ 1.
    Trig,
    /// a = cos²(πt)·1[t ≤ ½], b = cos²(πt)·1[t > ½]: pure noise at t = ½.
    EncodingDecoding,
    OneSidedLinear,
    OneSidedTrig,
    Mirror,
}

/// a, b, γ and their time derivatives at one t; `gamma_gamma_dot` is γγ̇ in closed form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    pub a: f64,
    pub b: f64,
    pub gamma: f64,
    pub a_dot: f64,
    pub b_dot: f64,
    pub gamma_gamma_dot: f64,
}

impl Path {
    /// Whether x₀ must be N(0, I) (the one-sided paths), with no separate γz term.
    pub fn one_sided(self) -> bool {
        matches!(self, Self::OneSidedLinear | Self::OneSidedTrig)
    }

    /// The γ actually used: zero for one-sided paths.
    pub fn effective_gamma(self, gamma: Gamma) -> Gamma {
        if self.one_sided() {
            Gamma::Zero
        } else {
            gamma
        }
    }

    pub fn coefficients(self, gamma: Gamma, t: f64) -> Coefficients {
        let g = self.effective_gamma(gamma);
        let (gamma_t, ggd) = (g.gamma(t), g.gamma_gamma_dot(t));
        let (a, b, a_dot, b_dot) = match self {
            Self::Linear | Self::OneSidedLinear => (1.0 - t, t, -1.0, 1.0),
            Self::Trig => {
                let r = (1.0 - gamma_t * gamma_t).max(0.0).sqrt();
                // d/dt √(1−γ²) = −γγ̇ / √(1−γ²)
                let r_dot = if r > 0.0 { -ggd / r } else { 0.0 };
                let (c, s) = ((FRAC_PI_2 * t).cos(), (FRAC_PI_2 * t).sin());
                (
                    r * c,
                    r * s,
                    r_dot * c - r * FRAC_PI_2 * s,
                    r_dot * s + r * FRAC_PI_2 * c,
                )
            }
            Self::EncodingDecoding => {
                let c2 = (PI * t).cos().powi(2);
                let d = -PI * (2.0 * PI * t).sin();
                if t <= 0.5 {
                    (c2, 0.0, d, 0.0)
                } else {
                    (0.0, c2, 0.0, d)
                }
            }
            Self::OneSidedTrig => {
                let (c, s) = ((FRAC_PI_2 * t).cos(), (FRAC_PI_2 * t).sin());
                (c, s, -FRAC_PI_2 * s, FRAC_PI_2 * c)
            }
            Self::Mirror => (0.0, 1.0, 0.0, 0.0),
        };
        Coefficients {
            a,
            b,
            gamma: gamma_t,
            a_dot,
            b_dot,
            gamma_gamma_dot: ggd,
        }
    }
}
