//! Integrators that carry samples along the interpolant's fields (Albergo et al. 2023).
//!
//! * ODE (probability flow) dX = b(t, X)dt: Euler, Heun, RK4.
//! * Forward SDE dX = (b + εs)dt + √(2ε)dW, t: 0 → 1; backward SDE with drift b − εs, t: 1 → 0.
//!   Euler–Maruyama, and the authors' Heun step (EDM Alg. 2 as in their code):
//!   x̂ = x + √(2ε·dt)ξ; K₁ = b_F(x̂, t+dt); x′ = x̂ + dt·K₁; K₂ = b_F(x′, t+dt); x ← x̂ + dt(K₁+K₂)/2.
//!
//! ε is a plain argument of every step, so a caller may change it between steps (the page turns
//! it live). Times stay inside [T_MIN, T_MAX] because score terms divide by γ.
use super::exact::ExactFields;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

pub const T_MIN: f64 = 1e-4;
pub const T_MAX: f64 = 1.0 - 1e-4;

/// Something with a drift b(t, x) and a score s(t, x) over points (row-major, n × dim).
pub trait Fields {
    fn dim(&self) -> usize;
    /// b and, when `with_score`, s (else an empty vector).
    fn eval(&self, t: f64, x: &[f32], with_score: bool) -> (Vec<f32>, Vec<f32>);
    /// ∇·b(t, x) per point.
    fn divergence(&self, t: f64, x: &[f32]) -> Vec<f32>;
}

impl Fields for ExactFields {
    fn dim(&self) -> usize {
        ExactFields::dim(self)
    }

    fn eval(&self, t: f64, x: &[f32], _with_score: bool) -> (Vec<f32>, Vec<f32>) {
        self.drift_and_score(t, x)
    }

    fn divergence(&self, t: f64, x: &[f32]) -> Vec<f32> {
        ExactFields::divergence(self, t, x)
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Euler,
    Heun,
    Rk4,
    EulerMaruyama,
    /// The authors' stochastic Heun step.
    SdeHeun,
}

impl Method {
    pub fn stochastic(self) -> bool {
        matches!(self, Self::EulerMaruyama | Self::SdeHeun)
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// ρ₀ → ρ₁.
    Forward,
    /// ρ₁ → ρ₀.
    Backward,
}

/// How the sampler's times are spaced.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// Equal steps (the authors' choice).
    #[default]
    Uniform,
    /// t = (1 − cos(πk/N))/2: small steps at both ends, where narrow endpoint modes make the
    /// fields stiff (GenLab's option; with N = 100 the end steps are 2.5·10⁻⁴).
    Cosine,
}

/// The `steps + 1` times of a run, from T_MIN to T_MAX (reversed for backward runs).
pub fn time_grid(steps: usize, direction: Direction) -> Vec<f64> {
    spaced_grid(steps, direction, Schedule::Uniform)
}

/// [`time_grid`] with the given spacing.
pub fn spaced_grid(steps: usize, direction: Direction, schedule: Schedule) -> Vec<f64> {
    let u = |k: usize| {
        let f = k as f64 / steps as f64;
        match schedule {
            Schedule::Uniform => f,
            Schedule::Cosine => 0.5 * (1.0 - (std::f64::consts::PI * f).cos()),
        }
    };
    let grid = (0..=steps).map(|k| T_MIN + (T_MAX - T_MIN) * u(k));
    match direction {
        Direction::Forward => grid.collect(),
        Direction::Backward => grid.rev().collect(),
    }
}

/// The SDE drift b ± εs in the direction of travel (b alone when ε = 0 or for ODE methods).
fn sde_drift<F: Fields + ?Sized>(
    f: &F,
    t: f64,
    x: &[f32],
    eps: f64,
    direction: Direction,
) -> Vec<f32> {
    if eps == 0.0 {
        return f.eval(t, x, false).0;
    }
    let (mut b, s) = f.eval(t, x, true);
    let sign = if direction == Direction::Forward {
        eps
    } else {
        -eps
    };
    for (bi, si) in b.iter_mut().zip(&s) {
        *bi += (sign * *si as f64) as f32;
    }
    b
}

/// x + h·k, element-wise.
fn axpy(x: &[f32], h: f64, k: &[f32]) -> Vec<f32> {
    x.iter()
        .zip(k)
        .map(|(x, k)| (*x as f64 + h * *k as f64) as f32)
        .collect()
}

/// One classical RK4 step from (t, x) to `t_next` (either order): the new point, and the four
/// stages (time, point) at which the drift was evaluated, for quantities integrated alongside.
fn rk4<F: Fields + ?Sized>(
    f: &F,
    x: &[f32],
    t: f64,
    t_next: f64,
) -> (Vec<f32>, [(f64, Vec<f32>); 4]) {
    let h = t_next - t;
    let mid = t + 0.5 * h;
    let k1 = f.eval(t, x, false).0;
    let x2 = axpy(x, 0.5 * h, &k1);
    let k2 = f.eval(mid, &x2, false).0;
    let x3 = axpy(x, 0.5 * h, &k2);
    let k3 = f.eval(mid, &x3, false).0;
    let x4 = axpy(x, h, &k3);
    let k4 = f.eval(t_next, &x4, false).0;
    let k: Vec<f32> = (0..x.len())
        .map(|i| (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0)
        .collect();
    (
        axpy(x, h, &k),
        [(t, x.to_vec()), (mid, x2), (mid, x3), (t_next, x4)],
    )
}

/// Advances `x` from time `t` to `t_next` (either order) with `method`; ε is used by the
/// stochastic methods only. Noise comes from `rng`.
pub fn step<F: Fields + ?Sized>(
    f: &F,
    method: Method,
    eps: f64,
    x: &mut Vec<f32>,
    t: f64,
    t_next: f64,
    rng: &mut Rng,
) {
    let h = t_next - t; // signed: negative when going backward
    let direction = if h >= 0.0 {
        Direction::Forward
    } else {
        Direction::Backward
    };
    let eps = if method.stochastic() {
        eps.max(0.0)
    } else {
        0.0
    };
    match method {
        Method::Euler => {
            let k = f.eval(t, x, false).0;
            *x = axpy(x, h, &k);
        }
        Method::Heun => {
            let k1 = f.eval(t, x, false).0;
            let k2 = f.eval(t_next, &axpy(x, h, &k1), false).0;
            let k: Vec<f32> = k1.iter().zip(&k2).map(|(a, b)| 0.5 * (a + b)).collect();
            *x = axpy(x, h, &k);
        }
        Method::Rk4 => *x = rk4(f, x, t, t_next).0,
        Method::EulerMaruyama => {
            let k = sde_drift(f, t, x, eps, direction);
            let noise = (2.0 * eps * h.abs()).sqrt();
            let z = rng.normal_vec(x.len());
            for ((xi, ki), zi) in x.iter_mut().zip(&k).zip(&z) {
                *xi = (*xi as f64 + h * *ki as f64 + noise * *zi as f64) as f32;
            }
        }
        Method::SdeHeun => {
            let noise = (2.0 * eps * h.abs()).sqrt();
            let x_hat: Vec<f32> = x
                .iter()
                .zip(rng.normal_vec(x.len()))
                .map(|(xi, zi)| (*xi as f64 + noise * zi as f64) as f32)
                .collect();
            let k1 = sde_drift(f, t_next, &x_hat, eps, direction);
            let k2 = sde_drift(f, t_next, &axpy(&x_hat, h, &k1), eps, direction);
            let k: Vec<f32> = k1.iter().zip(&k2).map(|(a, b)| 0.5 * (a + b)).collect();
            *x = axpy(&x_hat, h, &k);
        }
    }
}

/// Runs `steps` steps over the whole time grid in `direction`.
pub fn integrate<F: Fields + ?Sized>(
    f: &F,
    method: Method,
    eps: f64,
    direction: Direction,
    steps: usize,
    x: &mut Vec<f32>,
    rng: &mut Rng,
) {
    let grid = time_grid(steps, direction);
    for w in grid.windows(2) {
        step(f, method, eps, x, w[0], w[1], rng);
    }
}

/// log ρ₁(x) for points `x` under the probability-flow ODE (Albergo et al. 2023: d log p = −∇·b dt
/// along the flow): carry each point back from T_MAX to T_MIN with RK4, accumulating
/// ∫∇·b dt at the same stages, then log ρ₁(x₁) = log ρ₀(x₀) − ∫∇·b dt. `log_rho0` evaluates
/// log ρ₀ at one point.
pub fn log_likelihood<F: Fields + ?Sized>(
    f: &F,
    x: &[f32],
    steps: usize,
    log_rho0: impl Fn(&[f32]) -> f64,
) -> Vec<f64> {
    let dim = f.dim();
    let mut state = x.to_vec();
    let mut integral = vec![0.0f64; x.len() / dim];
    let grid = time_grid(steps, Direction::Backward);
    for w in grid.windows(2) {
        let h = w[1] - w[0];
        let (next, stages) = rk4(f, &state, w[0], w[1]);
        let d: Vec<Vec<f32>> = stages.iter().map(|(t, x)| f.divergence(*t, x)).collect();
        for (i, acc) in integral.iter_mut().enumerate() {
            // going backward, h < 0: this adds ∫∇·b over [t + h, t]
            *acc -= h * (d[0][i] + 2.0 * d[1][i] + 2.0 * d[2][i] + d[3][i]) as f64 / 6.0;
        }
        state = next;
    }
    state
        .chunks_exact(dim)
        .zip(&integral)
        .map(|(x0, div)| log_rho0(x0) - div)
        .collect()
}
