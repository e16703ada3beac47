//! One latent-quantization run as the page and the CLI drive it: training in slices, the
//! metrics on the held-out images, reconstructions, latent traversals and decoding of any
//! latent vector (the composer).
//!
//! A traversal decodes one image's latents with one latent changed at a time: through every
//! codebook value for QLAE (one column per value, as in the paper's figures); for the AE and
//! VAE through [`TRAVERSAL_COLUMNS`] evenly spaced values over that latent's range on the
//! held-out images.
use super::config::QlaeConfig;
use super::data::Images;
use super::eval::{encode, eval_images, evaluate_on, Evaluation};
use super::train::Trainer;
use crate::config::ConfigError;
use crate::lab::Lab;
use candle_core::{Device, Result, Tensor};

/// Columns of a continuous latent's traversal.
pub const TRAVERSAL_COLUMNS: usize = 10;

pub struct Session {
    trainer: Trainer,
    eval: Images,
    /// `eval` as one tensor, made once.
    eval_tensor: Tensor,
}

fn text(e: candle_core::Error) -> String {
    e.to_string()
}

impl Session {
    /// The autoencoder's latent count.
    pub fn latents(&self) -> usize {
        self.trainer.model().latents()
    }

    pub fn evaluate(&self) -> std::result::Result<Evaluation, String> {
        evaluate_on(self.trainer.model(), self.config(), &self.eval).map_err(text)
    }

    /// The first `n` held-out images (n × C × S × S).
    pub fn originals(&self, n: usize) -> Vec<f32> {
        let n = n.min(self.eval.n);
        self.eval.pixels[..n * self.eval.pixels.len() / self.eval.n].to_vec()
    }

    fn batch(&self, start: usize, n: usize) -> Result<Tensor> {
        self.eval_tensor
            .narrow(0, start, n.min(self.eval.n - start))
    }

    /// The held-out images' true factors, `evalSize × factors` row-major: the sources
    /// `genlab metrics infomec` reads.
    pub fn held_out_factors(&self) -> Vec<u32> {
        self.eval.factors.iter().map(|&f| f as u32).collect()
    }

    /// The latents the metrics score on the held-out images (code indices for QLAE, else z),
    /// `evalSize × latents` row-major: the latents `genlab metrics infomec` reads.
    pub fn held_out_latents(&self) -> std::result::Result<Vec<f32>, String> {
        let (columns, _) = encode(self.trainer.model(), &self.eval_tensor).map_err(text)?;
        let n = self.eval.n;
        Ok((0..n)
            .flat_map(|i| columns.iter().map(move |c| c[i] as f32))
            .collect())
    }

    /// Reconstructions σ(logits) of the first `n` held-out images.
    pub fn reconstructions(&self, n: usize) -> std::result::Result<Vec<f32>, String> {
        let run = || -> Result<Vec<f32>> {
            let out = self.trainer.model().forward(&self.batch(0, n)?, None)?;
            candle_nn::ops::sigmoid(&out.logits)?
                .flatten_all()?
                .to_vec1()
        };
        run().map_err(text)
    }

    /// The decoder input of held-out image `index`: its quantized code (QLAE) or its z.
    pub fn latents_of(&self, index: usize) -> std::result::Result<Vec<f32>, String> {
        let run = || -> Result<Vec<f32>> {
            let out = self
                .trainer
                .model()
                .forward(&self.batch(index.min(self.eval.n - 1), 1)?, None)?;
            let z = match &out.quantized {
                Some(q) => q.quantized.detach(),
                None => out.z,
            };
            z.flatten_all()?.to_vec1()
        };
        run().map_err(text)
    }

    /// Each latent's codebook (QLAE), or [`TRAVERSAL_COLUMNS`] values over its range on the
    /// held-out images: latents × columns, row-major.
    pub fn traversal_values(&self) -> std::result::Result<Vec<f32>, String> {
        if let Some(q) = self.trainer.model().quantizer() {
            return q
                .codebooks
                .flatten_all()
                .and_then(|t| t.to_vec1())
                .map_err(text);
        }
        let z = self
            .trainer
            .model()
            .encode(&self.eval_tensor)
            .map_err(text)?;
        let rows: Vec<Vec<f32>> = z.to_vec2().map_err(text)?;
        let latents = self.trainer.model().latents();
        let mut values = Vec::with_capacity(latents * TRAVERSAL_COLUMNS);
        for j in 0..latents {
            let (lo, hi) = rows
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), r| {
                    (lo.min(r[j]), hi.max(r[j]))
                });
            values.extend(
                (0..TRAVERSAL_COLUMNS)
                    .map(|c| lo + (hi - lo) * c as f32 / (TRAVERSAL_COLUMNS - 1) as f32),
            );
        }
        Ok(values)
    }

    /// Images decoded from latent vectors (rows of `z`, n × latents): σ(logits).
    pub fn decode(&self, z: &[f32]) -> std::result::Result<Vec<f32>, String> {
        let latents = self.trainer.model().latents();
        if z.is_empty() || !z.len().is_multiple_of(latents) {
            return Err(format!(
                "decode needs whole latent vectors of {latents} values; got {}",
                z.len()
            ));
        }
        let run = || -> Result<Vec<f32>> {
            let z = Tensor::from_slice(z, (z.len() / latents, latents), &Device::Cpu)?;
            candle_nn::ops::sigmoid(&self.trainer.model().decode(&z)?)?
                .flatten_all()?
                .to_vec1()
        };
        run().map_err(text)
    }

    /// The traversal of held-out image `index`: latents × columns images (row-major), each
    /// its latents with one changed to that column's value.
    pub fn traversal(&self, index: usize) -> std::result::Result<Vec<f32>, String> {
        let base = self.latents_of(index)?;
        let values = self.traversal_values()?;
        let latents = base.len();
        let columns = values.len() / latents;
        let mut z = Vec::with_capacity(latents * columns * latents);
        for j in 0..latents {
            for c in 0..columns {
                let mut row = base.clone();
                row[j] = values[j * columns + c];
                z.extend(row);
            }
        }
        self.decode(&z)
    }

    /// How often each codebook value is chosen on the held-out images (QLAE; latents ×
    /// values, row-major), empty for the other models.
    pub fn usage(&self) -> std::result::Result<Vec<u32>, String> {
        let Some(q) = self.trainer.model().quantizer() else {
            return Ok(vec![]);
        };
        let (latents, values) = (q.latents(), q.values());
        let indices: Vec<Vec<u32>> = self
            .trainer
            .model()
            .encode(&self.eval_tensor)
            .and_then(|t| t.to_vec2())
            .map_err(text)?;
        let mut counts = vec![0u32; latents * values];
        for row in indices {
            for (j, v) in row.into_iter().enumerate() {
                counts[j * values + v as usize] += 1;
            }
        }
        Ok(counts)
    }
}

impl Lab for Session {
    type Config = QlaeConfig;
    type Trainer = Trainer;

    fn new(config: QlaeConfig) -> std::result::Result<Self, ConfigError> {
        let trainer = Trainer::new(&config)?;
        let eval = eval_images(&config);
        let eval_tensor = eval
            .tensor()
            .map_err(|e| ConfigError::new("", e.to_string()))?;
        Ok(Self {
            trainer,
            eval,
            eval_tensor,
        })
    }

    fn config(&self) -> &QlaeConfig {
        self.trainer.config()
    }

    fn trainer(&self) -> Option<&Trainer> {
        Some(&self.trainer)
    }

    fn trainer_mut(&mut self) -> Option<&mut Trainer> {
        Some(&mut self.trainer)
    }
}
