//! What an interpolant run costs ([`crate::budget`]). Each network (the drift, and the score
//! when the path is noisy) takes the 2·batch rows of a batch's antithetic pairs through
//! `depth` layers of `width`. Measured at the peak of a step: 3.7–4.5 f32 per unit and row
//! (batch 4,000–50,000, width 256–512, depth 3–6), so 5.
use super::config::{FieldsMode, InterpolantConfig};
use super::model::has_score;
use crate::budget::{f32_bytes, grouped, Budget, Estimate, BASE_BYTES, BYTES_PER_PARAM};

/// f32 values held per unit and row at a training step's peak.
const PER_UNIT: f64 = 5.0;
/// f32 values held per unit and particle while the sampler steps (forward only).
const PER_PARTICLE_UNIT: f64 = 4.0;

impl Budget for InterpolantConfig {
    fn estimate(&self) -> Estimate {
        let nets = match (self.fields, has_score(self.path, self.gamma)) {
            (FieldsMode::Exact, _) => 0.0,
            (_, true) => 2.0,
            (_, false) => 1.0,
        };
        let (w, depth, d) = (
            self.model.width as f64,
            self.model.depth as f64,
            self.dim() as f64,
        );
        let rows = 2.0 * self.train.batch as f64;
        let units = nets * (depth * w + d);
        let weights = nets * ((d + 1.0) * w + (depth - 1.0) * w * w + w * d);
        let params = weights + units;
        Estimate {
            bytes: BASE_BYTES
                + f32_bytes(rows * units, PER_UNIT)
                + f32_bytes(self.n as f64 * units, PER_PARTICLE_UNIT)
                + params as u64 * BYTES_PER_PARAM,
            flops_per_step: 6.0 * rows * weights,
            drivers: format!(
                "train.batch {}, model.width {}, model.depth {}",
                grouped(self.train.batch),
                grouped(self.model.width),
                self.model.depth
            ),
        }
    }
}
