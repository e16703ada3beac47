//! How the command spreads work over cores. Every split is by output, so neither setting here
//! changes a bit of any result.
//!
//! - candle runs its elementwise ops on a spinning "barrier pool" of threads. On an idle 2-core
//!   machine two threads gave nothing over one; with another process on the second core they
//!   collapsed (QLAE MLP training 6–17 steps/s against 27 on one), as the spinners wait on a
//!   descheduled peer. So candle gets one thread (`CANDLE_NUM_THREADS`) unless the user says.
//! - gemm hands a product to its threads once it has more than 48·48·256 (0.6M) multiply-adds.
//!   On the 2-core machine its threads lost up to 268M: the interpolants' training (500 × 48 ×
//!   48) ran at 280–310 steps/s on two threads against 355 on one, their sampler (5,000 × 48 ×
//!   48) at 0.73× one thread, W1 training (1,024 × 256 × 256) at 0.92×; the 5,000 × 256 × 256
//!   forward pass broke even. So gemm threads only past 2²⁸ multiply-adds; the labs' threads go
//!   to convolutions and the hallucination sampler, which split over rayon's threads
//!   (`RAYON_NUM_THREADS`) by sample and by chunk.
const THREADING_THRESHOLD: usize = 1 << 28;

/// Run first in `main`, before any thread or tensor exists (candle reads the variable once).
pub fn configure() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    gemm::set_threading_threshold(THREADING_THRESHOLD);
}
