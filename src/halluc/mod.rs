//! Hallucinations in diffusion models via mode interpolation (Aithal, Maini, Lipton & Kolter
//! 2024, arXiv 2406.09358): a DDPM on Gaussian-mixture data, its reverse chain with the predicted
//! x̂₀ recorded at every step, the trajectory-variance detector, and the detection report.
pub mod budget;
pub mod config;
pub mod detect;
pub mod exact;
pub mod model;
pub mod presets;
pub mod recursive;
pub mod report;
pub mod sampler;
pub mod schedule;
pub mod session;
pub mod train;
