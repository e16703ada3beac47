//! The latent-noise scale γ(t) of a stochastic interpolant x_t = a(t)x₀ + b(t)x₁ + γ(t)z
//! (Albergo, Boffi & Vanden-Eijnden 2023, Table 1 and §6).
//!
//! γγ̇ is given in closed form: samplers and the drift b = v − γγ̇s need it, and γ̇ alone blows
//! up at the endpoints for the Brownian choices.
//!
//! ```
//! use genlab::interpolant::gamma::Gamma;
//! let g = Gamma::Brownian;
//! assert_eq!(g.gamma(0.5), 0.5);                  // √(¼)
//! assert!((g.gamma_gamma_dot(0.25) - 0.25).abs() < 1e-7); // ½(1 − 2t)
//! ```
use serde::{Deserialize, Serialize};

/// The steepness f of the sigmoid γ, as in the authors' code.
pub const SIGMOID_STEEPNESS: f64 = 10.0;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Gamma {
    /// √(t(1−t)).
    #[default]
    Brownian,
    /// √(a·t(1−t)).
    ABrownian { a: f64 },
    /// t(1−t).
    Bsquared,
    /// sin²(πt).
    Sinesquared,
    /// σ(f(t−½)+1) − σ(f(t−½)−1) − σ(−f/2+1) + σ(−f/2−1), f = 10.
    Sigmoid,
    /// 0: a deterministic interpolant.
    Zero,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn sigmoid_dot(x: f64) -> f64 {
    let s = sigmoid(x);
    s * (1.0 - s)
}

impl Gamma {
    pub fn gamma(self, t: f64) -> f64 {
        match self {
            Self::Brownian => (t * (1.0 - t)).max(0.0).sqrt(),
            Self::ABrownian { a } => (a * t * (1.0 - t)).max(0.0).sqrt(),
            Self::Bsquared => t * (1.0 - t),
            Self::Sinesquared => (std::f64::consts::PI * t).sin().powi(2),
            Self::Sigmoid => {
                let f = SIGMOID_STEEPNESS;
                let u = f * (t - 0.5);
                sigmoid(u + 1.0) - sigmoid(u - 1.0) - sigmoid(-f / 2.0 + 1.0)
                    + sigmoid(-f / 2.0 - 1.0)
            }
            Self::Zero => 0.0,
        }
    }

    /// γ̇(t). Infinite at t ∈ {0, 1} for the Brownian choices: use [`Gamma::gamma_gamma_dot`].
    pub fn gamma_dot(self, t: f64) -> f64 {
        match self {
            Self::Brownian | Self::ABrownian { .. } => self.gamma_gamma_dot(t) / self.gamma(t),
            Self::Bsquared => 1.0 - 2.0 * t,
            Self::Sinesquared => std::f64::consts::PI * (2.0 * std::f64::consts::PI * t).sin(),
            Self::Sigmoid => {
                let f = SIGMOID_STEEPNESS;
                let u = f * (t - 0.5);
                f * (sigmoid_dot(u + 1.0) - sigmoid_dot(u - 1.0))
            }
            Self::Zero => 0.0,
        }
    }

    /// γ(t)γ̇(t), finite on all of [0, 1].
    pub fn gamma_gamma_dot(self, t: f64) -> f64 {
        match self {
            Self::Brownian => 0.5 * (1.0 - 2.0 * t),
            Self::ABrownian { a } => 0.5 * a * (1.0 - 2.0 * t),
            _ => self.gamma(t) * self.gamma_dot(t),
        }
    }

    /// The largest γ on [0, 1] (at t = ½ for every choice here).
    pub fn max(self) -> f64 {
        self.gamma(0.5)
    }
}
