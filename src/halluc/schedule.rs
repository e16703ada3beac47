//! The DDPM noise schedule (Aithal et al. 2024): T steps, β linear from β₁ to β_T (the paper: 1000
//! steps, 0.001 → 0.2), αₜ = 1 − βₜ, ᾱₜ = Πₛ≤ₜ αₛ, with steps indexed t = 0 … T−1 as in the
//! authors' code. Forward: xₜ = √ᾱₜ x₀ + √(1−ᾱₜ) ε.
//!
//! ```
//! use genlab::halluc::schedule::Schedule;
//! let s = Schedule::linear(1000, 0.001, 0.2);
//! assert!((s.alpha_bar[0] - 0.999).abs() < 1e-12);
//! assert!(s.alpha_bar[256] < 1e-3 && s.alpha_bar[255] > 1e-3); // "ᾱ < 1e-3 from t = 256"
//! ```

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub beta: Vec<f64>,
    pub alpha_bar: Vec<f64>,
}

impl Schedule {
    /// β linear from `beta_start` to `beta_end` over `steps` steps.
    pub fn linear(steps: usize, beta_start: f64, beta_end: f64) -> Self {
        let beta: Vec<f64> = (0..steps)
            .map(|t| {
                if steps == 1 {
                    beta_start
                } else {
                    beta_start + (beta_end - beta_start) * t as f64 / (steps - 1) as f64
                }
            })
            .collect();
        let mut alpha_bar = Vec::with_capacity(steps);
        let mut prod = 1.0;
        for b in &beta {
            prod *= 1.0 - b;
            alpha_bar.push(prod);
        }
        Self { beta, alpha_bar }
    }

    pub fn steps(&self) -> usize {
        self.beta.len()
    }

    /// ᾱ at index t − 1, with ᾱ₋₁ = 1.
    fn alpha_bar_prev(&self, t: usize) -> f64 {
        if t == 0 {
            1.0
        } else {
            self.alpha_bar[t - 1]
        }
    }

    /// x̂₀ = (xₜ − √(1−ᾱₜ) ε̂) / √ᾱₜ, no clipping (the paper's setting).
    pub fn predict_x0(&self, t: usize, x_t: f64, eps: f64) -> f64 {
        let ab = self.alpha_bar[t];
        (x_t - (1.0 - ab).sqrt() * eps) / ab.sqrt()
    }

    /// The posterior mean μ̃(x̂₀, xₜ) = [βₜ√ᾱₜ₋₁ x̂₀ + (1−ᾱₜ₋₁)√αₜ xₜ] / (1−ᾱₜ).
    pub fn posterior_mean(&self, t: usize, x0: f64, x_t: f64) -> f64 {
        let (ab, ab_prev, beta) = (self.alpha_bar[t], self.alpha_bar_prev(t), self.beta[t]);
        (beta * ab_prev.sqrt() * x0 + (1.0 - ab_prev) * (1.0 - beta).sqrt() * x_t) / (1.0 - ab)
    }

    /// The reverse step's standard deviation: σₜ² = βₜ for t ≥ 1; the last step (t = 0) adds
    /// no noise and returns the posterior mean, as in DDPM.
    pub fn sigma(&self, t: usize) -> f64 {
        if t == 0 {
            0.0
        } else {
            self.beta[t].sqrt()
        }
    }
}
