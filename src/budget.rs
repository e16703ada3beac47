//! What a run will cost, known from its config before it starts: so the CLI can refuse a run
//! the machine cannot hold, and the page can ask before one a browser tab cannot.
//!
//! The memory is the peak of one training step: candle keeps every intermediate tensor of the
//! forward pass for the backward one, so it grows with the batch times the units each example
//! passes through. Each lab counts those units from its config and multiplies by a factor
//! measured natively (peak RSS of `LAB train` over 3 steps, docs/reproducing.md#budgets); the
//! factors round up, so the estimate errs high.
//!
//! ```
//! use genlab::budget::{Budget, human_bytes};
//! let mut config = genlab::interpolant::presets::preset("checkerboard").unwrap();
//! config.train.batch = 50_000;
//! let half = config.estimate().bytes;
//! config.train.batch = 100_000;
//! // the activations dominate: twice the batch, nearly twice the memory
//! assert!(config.estimate().bytes > half * 19 / 10);
//! assert_eq!(human_bytes(9_600_000_000), "9.6 GB");
//! assert_eq!(human_bytes(1_653_600_000_000), "1,654 GB");
//! ```

/// A run's cost.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// Peak bytes while training: weights, gradients, optimiser moments and one step's
    /// activations, over the process's own [`BASE_BYTES`].
    pub bytes: u64,
    /// Floating-point operations of one training step (forward and backward).
    pub flops_per_step: f64,
    /// The settings the memory grows with, as the config names them, for the message that
    /// says what to lower (e.g. "train.batch 100,000, model.width 1,024, model.depth 8").
    pub drivers: String,
}

/// What a run of a lab's config will cost.
pub trait Budget {
    fn estimate(&self) -> Estimate;
}

/// The process without a run: the core, its tables and one small batch (measured: 14 MB
/// natively for the smallest preset; 32 MB leaves room for the page's buffers).
pub const BASE_BYTES: u64 = 32 << 20;

/// Bytes per trainable parameter: its value, its gradient and Adam's two moments, in f32.
pub const BYTES_PER_PARAM: u64 = 16;

/// Rounds the product of counts to bytes of f32 (`4 · n · factor`), saturating.
pub fn f32_bytes(n: f64, factor: f64) -> u64 {
    (4.0 * n * factor).min(u64::MAX as f64) as u64
}

/// `n` with thousands separators, as the page writes counts ("100,000").
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as a reader compares them: "450 MB", "9.6 GB", "1,654 GB" (decimal units).
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e11 {
        format!("{} GB", grouped((b / 1e9).round() as usize))
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", (b / 1e6).max(1.0))
    }
}
