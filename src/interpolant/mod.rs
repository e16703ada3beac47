//! Stochastic interpolants (Albergo, Boffi & Vanden-Eijnden 2023; `papers.md` §1):
//! x_t = a(t)x₀ + b(t)x₁ + γ(t)z bridges any ρ₀ to any ρ₁. This module holds the paths and
//! γ choices, the exact fields for Gaussian-mixture endpoints, and the ODE/SDE samplers.
pub mod config;
pub mod exact;
pub mod gamma;
pub mod path;
pub mod presets;
pub mod sampler;
