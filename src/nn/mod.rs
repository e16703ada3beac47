//! Neural-network building blocks shared by the labs: a seeded parameter store with
//! optimiser groups, an MLP builder, time embeddings, and safetensors bytes I/O.
pub mod conv;
pub mod dense;
pub mod embedding;
pub mod im2col;
pub mod layer_norm;
pub mod matmul;
pub mod mlp;
pub mod optim;
#[cfg(target_arch = "wasm32")]
pub mod panels;
pub mod params;
pub mod storage;
