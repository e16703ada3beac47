//! Latent quantization (QLAE, Hsu et al. 2023): procedural image datasets with exact factors,
//! the per-dimension scalar quantizer, AE / QLAE / β-VAE models, training and evaluation.
pub mod budget;
pub mod config;
pub mod data;
pub mod eval;
pub mod model;
pub mod presets;
#[cfg(not(target_arch = "wasm32"))]
pub mod preview;
pub mod quantizer;
pub mod session;
pub mod train;
