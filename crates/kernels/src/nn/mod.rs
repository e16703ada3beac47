//! Neural-network building blocks shared by the labs: a seeded parameter store with
//! optimiser groups, an MLP builder, time embeddings, safetensors bytes I/O, and the
//! divergence guard every trainer runs.
pub mod bias;
pub mod conv;
pub mod dense;
pub mod embedding;
#[cfg(target_arch = "wasm32")]
pub mod expf;
pub mod guard;
pub mod im2col;
pub mod layer_norm;
pub mod leaky_relu;
pub mod linear;
pub mod matmul;
pub mod mlp;
pub mod optim;
#[cfg(target_arch = "wasm32")]
pub mod panels;
pub mod params;
pub mod silu;
pub mod storage;
