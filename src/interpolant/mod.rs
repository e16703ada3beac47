//! Stochastic interpolants (Albergo, Boffi & Vanden-Eijnden 2023; arXiv 2303.08797):
//! x_t = a(t)x₀ + b(t)x₁ + γ(t)z bridges any ρ₀ to any ρ₁. This module holds the paths and
//! γ choices, the exact fields for Gaussian-mixture endpoints, the learned fields with their
//! antithetic losses and training, and the ODE/SDE samplers.
pub mod budget;
pub mod compare;
pub mod config;
pub mod exact;
pub mod gamma;
pub mod loss;
pub mod model;
pub mod path;
pub mod presets;
pub mod sampler;
pub mod session;
pub mod train;
