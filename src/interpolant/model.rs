//! Learned fields (Albergo et al. 2023, the quadratic objectives): separate MLPs on the input
//! [t, x], one for the drift and one for the score.
//!
//! * drift: `b` learns b directly; `v` learns the velocity v = E[∂ₜI | xₜ], and then
//!   b = v − σσ̇·s.
//! * score: `s` learns s = ∇log ρₜ directly; `eta` learns the denoiser η = E[z | xₜ] in the
//!   paper's sign convention, and then s = −η/σ. (The authors' code minimises ½|η|² + z·η,
//!   whose minimiser is −E[z | xₜ]; GenLab keeps the paper's sign.)
//!
//! σ is the scale of the Gaussian noise in xₜ: γ(t) on two-sided paths, a(t) on one-sided paths
//! (where x₀ ~ N(0, I) is the noise). With γ = 0 on a two-sided path there is no score, so only
//! `b` can be learned and only the ODE can sample. On one-sided paths σ = a(t) → 0 at t = 1, so
//! s = −η/σ uses σ no smaller than its value at t = 0.99, the authors' end time for the
//! one-sided denoiser.
use super::gamma::Gamma;
use super::path::Path;
use super::sampler::Fields;
use crate::config::{check_range, ConfigError, Validate};
use crate::nn::mlp::{Activation, Mlp, MlpConfig};
use crate::nn::params::Params;
use crate::rng::Rng;
use candle_core::{DType, Device, Module, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

/// Largest hidden width and depth a network may have.
pub const MAX_WIDTH: usize = 1024;
pub const MAX_DEPTH: usize = 8;
/// One-sided paths: the score uses σ no smaller than σ(0.99).
const ONE_SIDED_SCORE_END: f64 = 0.99;

/// What the drift network learns.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DriftTarget {
    /// b itself: regress ∂ₜI + σ̇z.
    B,
    /// The velocity v: regress ∂ₜI; b = v − σσ̇·s.
    V,
}

/// What the score network learns.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ScoreTarget {
    /// s itself: regress −z/σ.
    S,
    /// The denoiser η = E[z | xₜ]: regress z; s = −η/σ.
    Eta,
}

/// The two networks' shape. Defaults are browser-sized (the authors use width 256, depth 4).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ModelConfig {
    pub drift: DriftTarget,
    pub score: ScoreTarget,
    /// Hidden units per layer.
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    pub activation: Activation,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            drift: DriftTarget::B,
            score: ScoreTarget::Eta,
            width: 128,
            depth: 3,
            activation: Activation::Relu,
        }
    }
}

impl Validate for ModelConfig {
    fn validate(&self) -> std::result::Result<(), ConfigError> {
        check_range("model.width", self.width, 1, MAX_WIDTH)?;
        check_range("model.depth", self.depth, 1, MAX_DEPTH)
    }
}

/// σ(t) and σ(t)σ̇(t), the scale of xₜ's Gaussian noise and its rate (see the module docs).
pub fn noise_scale(path: Path, gamma: Gamma, t: f64) -> (f64, f64) {
    let c = path.coefficients(gamma, t);
    if path.one_sided() {
        (c.a, c.a * c.a_dot)
    } else {
        (c.gamma, c.gamma_gamma_dot)
    }
}

/// Whether xₜ carries Gaussian noise, so that a score exists to learn.
pub fn has_score(path: Path, gamma: Gamma) -> bool {
    path.one_sided() || gamma != Gamma::Zero
}

/// The drift and score networks of one interpolant.
pub struct Model {
    pub params: Params,
    pub cfg: ModelConfig,
    drift: Mlp,
    score: Option<Mlp>,
    path: Path,
    gamma: Gamma,
    dim: usize,
}

impl Model {
    /// Fresh networks drawn from `rng`. The score network exists when the path has noise.
    pub fn new(
        cfg: &ModelConfig,
        path: Path,
        gamma: Gamma,
        dim: usize,
        rng: &mut Rng,
    ) -> Result<Self> {
        let mlp = MlpConfig {
            input: 1 + dim,
            hidden: vec![cfg.width; cfg.depth],
            output: dim,
            activation: cfg.activation,
        };
        let mut params = Params::new();
        let drift = Mlp::new(&mlp, "drift", &mut params, rng)?;
        let score = has_score(path, gamma)
            .then(|| Mlp::new(&mlp, "score", &mut params, rng))
            .transpose()?;
        Ok(Self {
            params,
            cfg: cfg.clone(),
            drift,
            score,
            path,
            gamma,
            dim,
        })
    }

    pub fn has_score(&self) -> bool {
        self.score.is_some()
    }

    /// The raw outputs (drift net, score net) on rows [t, x], for training.
    pub fn forward(&self, input: &Tensor) -> Result<(Tensor, Option<Tensor>)> {
        let drift = self.drift.forward(input)?;
        let score = self.score.as_ref().map(|s| s.forward(input)).transpose()?;
        Ok((drift, score))
    }

    /// Whether the score network is needed: when asked for, or when b = v − σσ̇·s needs it.
    fn needs_score(&self, with_score: bool) -> bool {
        self.score.is_some() && (with_score || self.cfg.drift == DriftTarget::V)
    }

    /// σ for s = −η/σ (floored on one-sided paths, see the module docs).
    fn score_sigma(&self, t: f64) -> f64 {
        let (sigma, _) = noise_scale(self.path, self.gamma, t);
        if self.path.one_sided() {
            sigma.max(noise_scale(self.path, self.gamma, ONE_SIDED_SCORE_END).0)
        } else {
            sigma
        }
    }

    /// The factor taking the score net's output to s: −1/σ for η, 1 for s.
    fn score_factor(&self, t: f64) -> f64 {
        match self.cfg.score {
            ScoreTarget::Eta => -1.0 / self.score_sigma(t),
            ScoreTarget::S => 1.0,
        }
    }

    /// σσ̇ when b = v − σσ̇·s, else 0.
    fn velocity_correction(&self, t: f64) -> f64 {
        match self.cfg.drift {
            DriftTarget::V => noise_scale(self.path, self.gamma, t).1,
            DriftTarget::B => 0.0,
        }
    }

    /// b(t, x) and, when `with_score` and the path has noise, s(t, x) for the n × dim points `x`
    /// (differentiable in `x`, for the divergence).
    pub fn fields(&self, t: f64, x: &Tensor, with_score: bool) -> Result<(Tensor, Option<Tensor>)> {
        let n = x.dim(0)?;
        let input = Tensor::cat(&[&Tensor::full(t as f32, (n, 1), x.device())?, x], 1)?;
        let drift = self.drift.forward(&input)?;
        let score = match &self.score {
            Some(net) if self.needs_score(with_score) => {
                Some((net.forward(&input)? * self.score_factor(t))?)
            }
            _ => None,
        };
        let b = match &score {
            Some(s) => (drift - (s * self.velocity_correction(t))?)?,
            None => drift,
        };
        Ok((b, score))
    }

    /// [`Model::fields`] on plain rows through the networks' inference path (the samplers').
    fn fields_rows(
        &self,
        t: f64,
        x: &[f32],
        with_score: bool,
    ) -> Result<(Vec<f32>, Option<Vec<f32>>)> {
        let mut input = Vec::with_capacity(x.len() / self.dim * (1 + self.dim));
        for p in x.chunks_exact(self.dim) {
            input.push(t as f32);
            input.extend_from_slice(p);
        }
        let mut b = self.drift.infer(&input)?;
        let score = match &self.score {
            Some(net) if self.needs_score(with_score) => {
                let factor = self.score_factor(t);
                let mut s = net.infer(&input)?;
                s.iter_mut().for_each(|v| *v = (*v as f64 * factor) as f32);
                Some(s)
            }
            _ => None,
        };
        if let Some(s) = &score {
            let c = self.velocity_correction(t);
            b.iter_mut()
                .zip(s)
                .for_each(|(bi, si)| *bi = (*bi as f64 - c * *si as f64) as f32);
        }
        Ok((b, score))
    }

    fn tensor(&self, x: &[f32]) -> Result<Tensor> {
        Tensor::from_slice(x, (x.len() / self.dim, self.dim), &Device::Cpu)
    }
}

impl Fields for Model {
    fn dim(&self) -> usize {
        self.dim
    }

    /// On a (never expected) tensor error this returns zeros, so a sampler cannot panic; the
    /// trainer checks every loss for finiteness instead.
    fn eval(&self, t: f64, x: &[f32], with_score: bool) -> (Vec<f32>, Vec<f32>) {
        match self.fields_rows(t, x, with_score) {
            Ok((b, s)) => (
                b,
                if with_score {
                    s.unwrap_or_else(|| vec![0.0; x.len()])
                } else {
                    vec![]
                },
            ),
            Err(_) => (
                vec![0.0; x.len()],
                if with_score {
                    vec![0.0; x.len()]
                } else {
                    vec![]
                },
            ),
        }
    }

    /// ∇·b by reverse-mode autodiff: one backward pass per dimension (dim ≤ 2 here).
    fn divergence(&self, t: f64, x: &[f32]) -> Vec<f32> {
        let run = || -> Result<Vec<f32>> {
            let var = Var::from_tensor(&self.tensor(x)?)?;
            let (b, _) = self.fields(t, var.as_tensor(), false)?;
            let mut div = Tensor::zeros(x.len() / self.dim, DType::F32, &Device::Cpu)?;
            for d in 0..self.dim {
                let grads = b.narrow(1, d, 1)?.sum_all()?.backward()?;
                let g = grads
                    .get(var.as_tensor())
                    .ok_or_else(|| candle_core::Error::Msg("no gradient".into()))?;
                div = (div + g.narrow(1, d, 1)?.squeeze(1)?)?;
            }
            div.to_vec1::<f32>()
        };
        run().unwrap_or_else(|_| vec![0.0; x.len() / self.dim])
    }
}
