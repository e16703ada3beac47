//! What a hallucination run costs ([`crate::budget`]). The noise network's block is a few
//! `width`-wide layers with LayerNorms and a time embedding; measured at the peak of a step:
//! 62 f32 per row of the batch and unit of width (width 512–1,024, batch 8,192–16,384), so 64.
//! Sampling carries n chains through the same network, forward only.
use super::config::HallucConfig;
use super::model::T_EMBED;
use crate::budget::{f32_bytes, grouped, Budget, Estimate, BASE_BYTES, BYTES_PER_PARAM};

/// f32 values held per batch row and unit of width at a training step's peak.
const PER_WIDTH: f64 = 64.0;
/// f32 values held per chain and unit of width while sampling.
const PER_CHAIN_WIDTH: f64 = 16.0;

impl Budget for HallucConfig {
    fn estimate(&self) -> Estimate {
        let w = self.train.width as f64;
        let d = self.data.build().map_or(2, |density| density.dim()) as f64;
        let weights = T_EMBED as f64 * w + d * w + 3.0 * w * w + w * d;
        let params = weights + 8.0 * w;
        let batch = self.train.batch as f64;
        let chains = self.n as f64 * 1.025;
        Estimate {
            bytes: BASE_BYTES
                + f32_bytes(batch * w, PER_WIDTH)
                + f32_bytes(chains * w, PER_CHAIN_WIDTH)
                + f32_bytes(self.train_size as f64 * d, 1.0)
                + params as u64 * BYTES_PER_PARAM,
            flops_per_step: 6.0 * batch * weights,
            drivers: format!(
                "train.batch {}, train.width {}",
                grouped(self.train.batch),
                grouped(self.train.width)
            ),
        }
    }
}
