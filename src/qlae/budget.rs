//! What a latent-quantization run costs ([`crate::budget`]). Convolutions dominate, counted by
//! their unfolded input (k²·c_in values per output pixel) and output. Measured at the peak of a
//! step, 0.55–0.7 f32 per such value and image (32×32 sprites and shapes, 2–3 conv layers each
//! way of 16–64 channels, batch 64–256; 1.67 before the convolution stopped keeping its unfolded
//! input and LeakyReLU became one op), so 0.8; and MLP nets hold about 42 f32 per pixel and image
//! (the reconstruction loss's terms), so 48.
use super::config::QlaeConfig;
use crate::budget::{f32_bytes, grouped, Budget, Estimate, BASE_BYTES, BYTES_PER_PARAM};

/// f32 values held per unfolded input or output value of a convolution, per image.
const PER_CONV_VALUE: f64 = 0.8;
/// f32 values held per pixel and image by the loss and the MLP ends.
const PER_PIXEL: f64 = 48.0;
/// f32 values held per dense unit and image.
const PER_DENSE_UNIT: f64 = 8.0;

/// A convolution's kept values per image (unfolded input and output), its multiply-adds per
/// image and its weights.
struct Conv {
    values: f64,
    macs: f64,
    weights: f64,
}

/// A k×k convolution from `c_in` to `c_out` channels with an output of `side`².
fn conv(side: usize, k: usize, c_in: usize, c_out: usize) -> Conv {
    let area = (side * side) as f64;
    let unfolded = (k * k * c_in) as f64;
    Conv {
        values: area * (unfolded + c_out as f64),
        macs: area * unfolded * c_out as f64,
        weights: unfolded * c_out as f64,
    }
}

impl Budget for QlaeConfig {
    fn estimate(&self) -> Estimate {
        let (side, channels) = (self.data.size(), self.data.channels());
        let pixels = (side * side * channels) as f64;
        let mut convs = vec![];
        // the encoder's 4×4 stride-2 convolutions halve the side
        let (mut s, mut c) = (side, channels);
        for &out in &self.encoder.channels {
            s /= 2;
            convs.push(conv(s, 4, c, out));
            c = out;
        }
        let flat = if self.encoder.channels.is_empty() {
            pixels
        } else {
            (s * s * c) as f64
        };
        // the style decoder's blocks double the side, then a 3×3 convolution makes the pixels
        let dec = &self.decoder.channels;
        if let Some(&first) = dec.first() {
            let (mut s, mut c) = (side >> dec.len(), first);
            for &out in dec {
                s *= 2;
                convs.push(conv(s, 3, c, out));
                c = out;
            }
            convs.push(conv(side, 3, c, channels));
        }
        let z = self.latent_count() as f64 * 2.0;
        let dense_macs = |input: f64, widths: &[usize], output: f64| {
            let mut from = input;
            let mut macs = 0.0;
            for &w in widths {
                macs += from * w as f64;
                from = w as f64;
            }
            macs + from * output
        };
        let decoder_out = if dec.is_empty() { pixels } else { 0.0 };
        let dense_units: f64 = self
            .encoder
            .dense
            .iter()
            .chain(&self.decoder.dense)
            .map(|&w| w as f64)
            .sum();
        let dense = dense_macs(flat, &self.encoder.dense, z)
            + dense_macs(z, &self.decoder.dense, decoder_out);
        let macs = convs.iter().map(|c| c.macs).sum::<f64>() + dense;
        let weights = convs.iter().map(|c| c.weights).sum::<f64>() + dense;
        let per_image = PER_CONV_VALUE * convs.iter().map(|c| c.values).sum::<f64>()
            + PER_PIXEL * pixels
            + PER_DENSE_UNIT * dense_units;
        let batch = self.train.batch as f64;
        Estimate {
            bytes: BASE_BYTES
                + f32_bytes(batch * per_image, 1.0)
                + f32_bytes(self.eval_size as f64 * pixels, 2.0)
                + weights as u64 * BYTES_PER_PARAM,
            flops_per_step: 6.0 * batch * macs,
            drivers: format!(
                "train.batch {}, data.size {}, encoder.channels {:?}, decoder.channels {:?}",
                grouped(self.train.batch),
                side,
                self.encoder.channels,
                self.decoder.channels
            ),
        }
    }
}
