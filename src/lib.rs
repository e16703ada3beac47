//! GenLab: train and sample small generative models live in the browser.
//!
//! The core (`rng`, `config`, `data`, `nn`, `metrics`, `bench`) is plain Rust on candle with
//! no web types. Each lab (`interpolant`, `halluc`, `qlae`) has a session that implements the
//! contract in `lab`. Two front ends sit on it: `wasm` for the page and `cli` (with `serve`)
//! for the `genlab` command. `nn` and `rng` live in the crate genlab-kernels
//! (`crates/kernels`), so that the browser core can build them for speed and the rest for size.
pub mod bench;
pub mod budget;
pub mod config;
pub mod data;
pub mod halluc;
pub mod interpolant;
pub mod lab;
pub mod metrics;
pub mod qlae;
pub use genlab_kernels::{nn, rng};

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
