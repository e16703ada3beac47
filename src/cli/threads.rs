//! How the command spreads products over cores.
//!
//! gemm hands a product to its threads once it has more than 48·48·256 (0.6M) multiply-adds.
//! The interpolants' products are just past that (500 × 48 × 48), where waking the threads costs
//! more than they save: on two threads their training ran at 280–310 steps/s against 355 on one.
//! From 8M multiply-adds up (a 1,024 × 256 × 256 layer is 67M) threads pay. gemm splits only the
//! output, so the threshold never changes a bit of the result.
const THREADING_THRESHOLD: usize = 1 << 23;

pub fn configure() {
    gemm::set_threading_threshold(THREADING_THRESHOLD);
}
