//! The code GenLab runs on every training step and sampler step: the layers and their
//! gradients (`nn`) and the seeded RNG (`rng`). It is a crate of its own so that the browser
//! core can build it at opt-level 3, where its loops vectorise, and the rest of GenLab (config
//! parsing, sessions, reports) for size. `genlab` re-exports both modules, as `genlab::nn` and
//! `genlab::rng`.
pub mod nn;
pub mod rng;
