//! How the command spreads work over cores. Every split is by output, so neither setting here
//! changes a bit of any result.
//!
//! - candle runs its elementwise ops on a spinning "barrier pool" of threads. On an idle 2-core
//!   machine two threads gave nothing over one; with another process on the second core they
//!   collapsed (QLAE MLP training 6–17 steps/s against 27 on one), as the spinners wait on a
//!   descheduled peer. So candle gets one thread (`CANDLE_NUM_THREADS`) unless the user says.
//! - gemm hands a product to its threads once it has more than 48·48·256 (0.6M) multiply-adds.
//!   The interpolants' products are just past that (500 × 48 × 48), where waking the threads
//!   costs more than they save: on two threads their training ran at 280–310 steps/s against
//!   355 on one. From 8M multiply-adds up (a 1,024 × 256 × 256 layer is 67M) threads pay.
//!
//! Convolutions and the hallucination sampler split over rayon's threads (`RAYON_NUM_THREADS`).
const THREADING_THRESHOLD: usize = 1 << 23;

/// Run first in `main`, before any thread or tensor exists (candle reads the variable once).
pub fn configure() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    gemm::set_threading_threshold(THREADING_THRESHOLD);
}
