//! The wasm-bindgen surface: the only module that knows about JavaScript.
//!
//! One exported type per lab session; configs cross as JSON strings (validated by the core,
//! errors name the field), bulk data as `Float32Array`s that the worker transfers on.
use crate::bench::BenchWorkload;
use crate::config::{from_json, CONFIG_VERSION};
use crate::data::density_grid::density_grid;
use crate::data::library::DatasetConfig;
use crate::data::session::{DataConfig, DataSession};
use crate::data::Density;
use crate::halluc::config::{DenoiserMode, HallucConfig};
use crate::halluc::report::labels;
use crate::halluc::session::Session as HallucSession;
use crate::interpolant::config::InterpolantConfig;
use crate::interpolant::session::Session;
use crate::qlae::config::QlaeConfig;
use crate::qlae::session::Session as QlaeSession;
use crate::rng::{streams, Rng};
use wasm_bindgen::prelude::*;

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The config schema version this build writes.
#[wasm_bindgen(js_name = configVersion)]
pub fn config_version() -> u32 {
    CONFIG_VERSION
}

/// Every dataset with its default parameters, as JSON.
#[wasm_bindgen(js_name = datasetCatalog)]
pub fn dataset_catalog() -> String {
    json(&DatasetConfig::catalog())
}

/// The Data view's default config (checkerboard, 2,000 points, seed 0), as JSON.
#[wasm_bindgen(js_name = defaultDataConfig)]
pub fn default_data_config() -> String {
    json(&DataConfig::default())
}

/// Panics on purpose, so the tests can check that the page survives a Rust panic.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic() {
    panic!("deliberate panic requested by the test hook");
}

/// The Data view's session: one config's sample stream.
#[wasm_bindgen]
pub struct DataLab {
    session: DataSession,
}

#[wasm_bindgen]
impl DataLab {
    /// Validates `config_json`; an error names the field and its allowed range.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<DataLab, JsError> {
        let config: DataConfig = from_json(config_json).map_err(js_error)?;
        let session = DataSession::new(config).map_err(js_error)?;
        Ok(Self { session })
    }

    /// The config with every default filled in.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        json(&self.session.config)
    }

    pub fn dim(&self) -> usize {
        self.session.density().dim()
    }

    /// Whether the density is known in closed form (else its grid is a histogram).
    pub fn analytic(&self) -> bool {
        self.session.density().is_analytic()
    }

    pub fn remaining(&self) -> usize {
        self.session.remaining()
    }

    /// The next `k` points of the stream (fewer at its end), row-major.
    #[wasm_bindgen(js_name = nextChunk)]
    pub fn next_chunk(&mut self, k: usize) -> Vec<f32> {
        self.session.next_chunk(k)
    }

    /// `[x0, x1, y0, y1]`: a box holding nearly all of the mass.
    pub fn extent(&self) -> Vec<f32> {
        let e = self.session.density().extent();
        vec![e[0].0, e[0].1, e[1].0, e[1].1]
    }

    /// The density on a `w × h` grid over the box (row 0 at the top); `w` values in 1D.
    #[wasm_bindgen(js_name = densityGrid)]
    pub fn density_grid(&self, x0: f32, x1: f32, y0: f32, y1: f32, w: usize, h: usize) -> Vec<f32> {
        let mut rng = Rng::new(self.session.config.seed).stream(streams::SAMPLER);
        density_grid(
            self.session.density(),
            [(x0, x1), (y0, y1)],
            w.clamp(1, 1024),
            h.clamp(1, 1024),
            &mut rng,
        )
    }
}

/// The benchmark workload, driven and timed from JavaScript.
#[wasm_bindgen]
pub struct Bench {
    workload: BenchWorkload,
}

#[wasm_bindgen]
impl Bench {
    #[wasm_bindgen(constructor)]
    pub fn new(seed: u32) -> Result<Bench, JsError> {
        let workload = BenchWorkload::new(seed as u64).map_err(js_error)?;
        Ok(Self { workload })
    }

    /// One training step; returns the loss.
    #[wasm_bindgen(js_name = trainStep)]
    pub fn train_step(&mut self) -> Result<f32, JsError> {
        self.workload.train_step().map_err(js_error)
    }

    /// One forward pass over 5,000 points.
    pub fn forward(&self) -> Result<f32, JsError> {
        self.workload.forward().map_err(js_error)
    }
}

/// The interpolants lab's session: training, particles, fields and metrics of one config.
#[wasm_bindgen]
pub struct InterpolantLab {
    session: Session,
}

#[wasm_bindgen]
impl InterpolantLab {
    /// Validates `config_json`; an error names the field and its allowed range.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<InterpolantLab, JsError> {
        let config: InterpolantConfig = from_json(config_json).map_err(js_error)?;
        Ok(Self {
            session: Session::new(config).map_err(js_error)?,
        })
    }

    /// The config with every default filled in.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        json(&self.session.config)
    }

    pub fn dim(&self) -> usize {
        self.session.dim()
    }

    /// Whether exact fields exist (both ends Gaussian mixtures).
    #[wasm_bindgen(js_name = hasExact)]
    pub fn has_exact(&self) -> bool {
        self.session.exact.is_some()
    }

    /// Whether the fields are learned (so there is something to train).
    pub fn learned(&self) -> bool {
        self.session.trainer.is_some()
    }

    /// Training steps taken.
    #[wasm_bindgen(js_name = trainedSteps)]
    pub fn trained_steps(&self) -> usize {
        self.session.trainer.as_ref().map_or(0, |t| t.step)
    }

    /// `k` training steps; returns [drift, score] losses per step (score NaN without noise).
    pub fn train(&mut self, k: usize) -> Result<Vec<f32>, JsError> {
        let losses = self.session.train(k).map_err(js_error)?;
        Ok(losses.iter().flat_map(|l| [l.drift, l.score]).collect())
    }

    /// The trained weights as safetensors bytes.
    pub fn weights(&self) -> Result<Vec<u8>, JsError> {
        let t = self
            .session
            .trainer
            .as_ref()
            .ok_or_else(|| JsError::new("exact fields have no weights"))?;
        t.weights().map_err(js_error)
    }

    /// Loads safetensors weights (all shapes must match this config's networks).
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), JsError> {
        let t = self
            .session
            .trainer
            .as_mut()
            .ok_or_else(|| JsError::new("exact fields take no weights"))?;
        t.load_weights(bytes, steps).map_err(js_error)
    }

    /// `[x0, x1, y0, y1]` holding nearly all the mass of both ends.
    pub fn extent(&self) -> Vec<f32> {
        self.session.extent().to_vec()
    }

    /// Draws the start particles again (same seed, same points).
    #[wasm_bindgen(js_name = resetParticles)]
    pub fn reset_particles(&mut self) {
        self.session.reset_particles();
    }

    /// Puts the particles at an earlier frame (grid index).
    #[wasm_bindgen(js_name = setParticles)]
    pub fn set_particles(&mut self, points: Vec<f32>, index: usize) -> Result<(), JsError> {
        self.session.set_particles(points, index).map_err(js_error)
    }

    pub fn particles(&self) -> Vec<f32> {
        self.session.particles().to_vec()
    }

    /// The grid index of the particles.
    pub fn index(&self) -> usize {
        self.session.index()
    }

    /// The time grid (steps + 1 times).
    pub fn grid(&self) -> Vec<f64> {
        self.session.grid().to_vec()
    }

    /// Advances up to `k` steps with noise `epsilon`; returns the steps taken.
    pub fn advance(&mut self, k: usize, epsilon: f64) -> usize {
        self.session.advance(k, epsilon)
    }

    /// The drift at time `t` on the points `x` (learned or exact as configured), then the exact
    /// drift when it exists (else empty).
    pub fn drift(&self, t: f64, x: Vec<f32>) -> Vec<f32> {
        let mut out = self.session.fields().eval(t, &x, false).0;
        if self.session.trainer.is_some() {
            if let Some(e) = &self.session.exact {
                out.extend(e.drift_and_score(t, &x).0);
            }
        }
        out
    }

    /// Learned-vs-exact relative L2 errors {drift, score} over t ∈ [0.1, 0.9], as JSON.
    #[wasm_bindgen(js_name = fieldError)]
    pub fn field_error(&self, n: usize) -> Result<String, JsError> {
        let e = self
            .session
            .field_error(n.clamp(100, 20_000))
            .ok_or_else(|| JsError::new("needs learned fields and exact ones"))?;
        Ok(json(&e))
    }

    /// The metrics panel's numbers, as JSON.
    pub fn metrics(&self, likelihood_points: usize) -> String {
        json(&self.session.metrics(likelihood_points.clamp(1, 5000)))
    }
}

/// The interpolants lab's presets as JSON: `[{name, config, weights}]`, where `weights` is the
/// shipped safetensors file under `models/si/` (null for exact presets).
#[wasm_bindgen(js_name = interpolantPresets)]
pub fn interpolant_presets() -> String {
    use crate::interpolant::config::FieldsMode;
    use crate::interpolant::presets::{preset, PRESETS};
    presets_json(PRESETS, "si", preset, |_, c| {
        c.fields == FieldsMode::Learned
    })
}

/// The hallucination lab's session: train or load the noise network (or use the exact one),
/// then sample in chunks, each recording the x̂₀ trajectories the detector reads.
#[wasm_bindgen]
pub struct HallucLab {
    session: HallucSession,
}

#[wasm_bindgen]
impl HallucLab {
    /// Validates `config_json`; an error names the field and its allowed range.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<HallucLab, JsError> {
        let config: HallucConfig = from_json(config_json).map_err(js_error)?;
        Ok(Self {
            session: HallucSession::new(config).map_err(js_error)?,
        })
    }

    /// The config with every default filled in.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        json(&self.session.config)
    }

    pub fn dim(&self) -> usize {
        self.session.dim()
    }

    /// Whether the network is trained (else the exact denoiser samples).
    pub fn learned(&self) -> bool {
        self.session.trainer.is_some()
    }

    #[wasm_bindgen(js_name = trainedSteps)]
    pub fn trained_steps(&self) -> usize {
        self.session.trainer.as_ref().map_or(0, |t| t.step)
    }

    /// `k` training steps; their losses.
    pub fn train(&mut self, k: usize) -> Result<Vec<f32>, JsError> {
        self.session.train(k).map_err(js_error)
    }

    /// The weights sampling uses (the moving average when on) as safetensors bytes.
    pub fn weights(&self) -> Result<Vec<u8>, JsError> {
        let t = self
            .session
            .trainer
            .as_ref()
            .ok_or_else(|| JsError::new("the exact denoiser has no weights"))?;
        t.weights().map_err(js_error)
    }

    /// Loads safetensors weights as `steps` steps of training.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), JsError> {
        self.session.load_weights(bytes, steps).map_err(js_error)
    }

    /// The mode centres (n_modes × dim) and σ of a mode, last.
    pub fn modes(&self) -> Vec<f32> {
        let c = &self.session.data.components;
        let sigma = c[0].std.iter().sum::<f32>() / c[0].std.len() as f32;
        c.iter()
            .flat_map(|c| c.mean.iter().copied())
            .chain([sigma])
            .collect()
    }

    /// The data density at 1D points `x`.
    pub fn density(&self, x: Vec<f32>) -> Vec<f32> {
        x.iter()
            .map(|v| self.session.data.log_density(&[*v]).map_or(0.0, f32::exp))
            .collect()
    }

    pub fn extent(&self) -> Vec<f32> {
        self.session.extent().to_vec()
    }

    /// Starts a fresh sampling run.
    #[wasm_bindgen(js_name = startSampling)]
    pub fn start_sampling(&mut self) {
        self.session.start_sampling();
    }

    /// Samples the next chunk: its points, then their trajectory variances, then 1 for each
    /// hallucinated one, else 0 (empty when the run is done).
    #[wasm_bindgen(js_name = sampleChunk)]
    pub fn sample_chunk(&mut self) -> Result<Vec<f32>, JsError> {
        let (points, variance) = self.session.sample_chunk().map_err(js_error)?;
        Ok(self.chunk_reply(points, variance))
    }

    /// Samples so far in this run.
    pub fn sampled(&self) -> usize {
        self.session.sampled()
    }

    /// The chunks of a sampling run.
    #[wasm_bindgen(js_name = chunkCount)]
    pub fn chunk_count(&self) -> usize {
        self.session.chunk_count()
    }

    /// Samples chunk `index` without adding it (a helper worker's share of a run), as one
    /// buffer for [`Self::append_chunk`] in the worker that owns the run.
    #[wasm_bindgen(js_name = sampleChunkAt)]
    pub fn sample_chunk_at(&mut self, index: u32) -> Result<Vec<f32>, JsError> {
        Ok(self
            .session
            .sample_chunk_at(index as u64)
            .map_err(js_error)?
            .to_flat())
    }

    /// Adds chunk `index` (from [`Self::sample_chunk_at`], here or in another worker with the
    /// same config and weights) as the run's next; returns what [`Self::sample_chunk`] returns.
    #[wasm_bindgen(js_name = appendChunk)]
    pub fn append_chunk(&mut self, index: u32, flat: &[f32]) -> Result<Vec<f32>, JsError> {
        let chunk = self
            .session
            .chunk_from_flat(index as u64, flat)
            .map_err(js_error)?;
        let points = chunk.samples.clone();
        let variance = chunk.variance.clone();
        self.session.append(chunk).map_err(js_error)?;
        Ok(self.chunk_reply(points, variance))
    }

    /// The detection report of the samples so far, as JSON.
    pub fn report(&self) -> String {
        json(&self.session.report())
    }

    /// The recorded reverse steps, high t first.
    #[wasm_bindgen(js_name = frameSteps)]
    pub fn frame_steps(&self) -> Vec<u32> {
        self.session.run.frames.iter().map(|f| f.t as u32).collect()
    }

    /// xₜ then x̂₀ of the recorded samples at recorded step `i`.
    pub fn frame(&self, i: usize) -> Result<Vec<f32>, JsError> {
        let f = self
            .session
            .run
            .frames
            .get(i)
            .ok_or_else(|| JsError::new("no such recorded step"))?;
        Ok(f.x.iter().chain(&f.x0).copied().collect())
    }

    /// Sample `i`'s x̂₀ at each recorded step (rows of dim), high t first.
    pub fn trajectory(&self, i: usize) -> Vec<f32> {
        self.session.trajectory(i).1
    }
}

impl HallucLab {
    /// A chunk's points, then their variances, then 1 for each hallucinated one, else 0.
    fn chunk_reply(&self, mut points: Vec<f32>, variance: Vec<f32>) -> Vec<f32> {
        let flags = labels(&points, &self.session.data, self.session.config.k);
        points.extend(variance);
        points.extend(flags.into_iter().map(|h| if h { 1.0 } else { 0.0 }));
        points
    }
}

/// Recursive training in the page, one generation per call (`papers.md` §2): generation 0 on
/// the data, then each filter's later generations on the previous one's samples.
#[wasm_bindgen]
pub struct HallucRecursion {
    recursion: crate::halluc::recursive::Recursion,
}

#[wasm_bindgen]
impl HallucRecursion {
    /// Validates `config_json` (mixture data) and the generation count (1 to 20).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, generations: usize) -> Result<HallucRecursion, JsError> {
        let config: HallucConfig = from_json(config_json).map_err(js_error)?;
        let recursion = crate::halluc::recursive::Recursion::new(&config, generations)
            .map_err(|e| JsError::new(&e))?;
        Ok(Self { recursion })
    }

    /// Runs the next generation: JSON `{filter, generation, rate}`, or undefined when done.
    #[wasm_bindgen(js_name = nextGeneration)]
    pub fn next_generation(&mut self) -> Result<Option<String>, JsError> {
        match self.recursion.next_generation() {
            None => Ok(None),
            Some(Err(e)) => Err(JsError::new(&e)),
            Some(Ok((filter, generation, rate))) => Ok(Some(json(
                &serde_json::json!({ "filter": filter, "generation": generation, "rate": rate }),
            ))),
        }
    }

    /// Each filter's hallucination rate per generation so far, as JSON.
    pub fn lineages(&self) -> String {
        json(&self.recursion.lineages())
    }
}

/// The hallucination lab's presets as JSON: `[{name, config, weights}]` (weights under
/// `models/halluc/`, null for exact presets).
#[wasm_bindgen(js_name = hallucPresets)]
pub fn halluc_presets() -> String {
    use crate::halluc::presets::{preset, PRESETS};
    presets_json(PRESETS, "halluc", preset, |_, c| {
        c.denoiser == DenoiserMode::Learned
    })
}

/// The latent-quantization lab's session: train an autoencoder (QLAE, AE or β-VAE) on a
/// procedural image dataset, score it with InfoMEC, and decode traversals and composed latents.
#[wasm_bindgen]
pub struct QlaeLab {
    session: QlaeSession,
}

#[wasm_bindgen]
impl QlaeLab {
    /// Validates `config_json`; an error names the field and its allowed range.
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<QlaeLab, JsError> {
        let config: QlaeConfig = from_json(config_json).map_err(js_error)?;
        Ok(Self {
            session: QlaeSession::new(config).map_err(js_error)?,
        })
    }

    /// The config with every default filled in.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        json(self.session.config())
    }

    /// The dataset's factors as JSON `[{name, count}]`.
    pub fn factors(&self) -> String {
        json(&self.session.config().data.factors())
    }

    pub fn latents(&self) -> usize {
        self.session.trainer.model.latents()
    }

    pub fn channels(&self) -> usize {
        self.session.config().data.channels()
    }

    pub fn size(&self) -> usize {
        self.session.config().data.size()
    }

    #[wasm_bindgen(js_name = trainedSteps)]
    pub fn trained_steps(&self) -> usize {
        self.session.trainer.step
    }

    /// `k` training steps; per step its total, reconstruction, quantization, commitment and
    /// KL losses (5 values each).
    pub fn train(&mut self, k: usize) -> Result<Vec<f32>, JsError> {
        let losses = self.session.train(k).map_err(js_error)?;
        Ok(losses
            .iter()
            .flat_map(|l| {
                [
                    l.total,
                    l.reconstruction,
                    l.quantization,
                    l.commitment,
                    l.kl,
                ]
            })
            .collect())
    }

    /// InfoM, InfoE, InfoC, PSNR and the NMI matrix on the held-out images, as JSON.
    pub fn evaluate(&self) -> Result<String, JsError> {
        Ok(json(&self.session.evaluate().map_err(js_error)?))
    }

    /// The first `n` held-out images, then their reconstructions (each n × C × S × S).
    pub fn reconstructions(&self, n: usize) -> Result<Vec<f32>, JsError> {
        let mut out = self.session.originals(n);
        out.extend(self.session.reconstructions(n).map_err(js_error)?);
        Ok(out)
    }

    /// Per latent, the values its traversal steps through (latents × columns).
    #[wasm_bindgen(js_name = traversalValues)]
    pub fn traversal_values(&self) -> Result<Vec<f32>, JsError> {
        self.session.traversal_values().map_err(js_error)
    }

    /// The traversal grid of held-out image `index` (latents × columns images).
    pub fn traversal(&self, index: usize) -> Result<Vec<f32>, JsError> {
        self.session.traversal(index).map_err(js_error)
    }

    /// The decoder input of held-out image `index`.
    #[wasm_bindgen(js_name = latentsOf)]
    pub fn latents_of(&self, index: usize) -> Result<Vec<f32>, JsError> {
        self.session.latents_of(index).map_err(js_error)
    }

    /// Images decoded from latent vectors (n × latents).
    pub fn decode(&self, z: Vec<f32>) -> Result<Vec<f32>, JsError> {
        self.session.decode(&z).map_err(js_error)
    }

    /// How often each codebook value is used on the held-out images (latents × values).
    pub fn usage(&self) -> Result<Vec<u32>, JsError> {
        self.session.usage().map_err(js_error)
    }

    /// The held-out images' true factors (evalSize × factors, row-major).
    #[wasm_bindgen(js_name = heldOutFactors)]
    pub fn held_out_factors(&self) -> Vec<u32> {
        self.session.held_out_factors()
    }

    /// The latents the metrics score on the held-out images (evalSize × latents, row-major).
    #[wasm_bindgen(js_name = heldOutLatents)]
    pub fn held_out_latents(&self) -> Result<Vec<f32>, JsError> {
        self.session.held_out_latents().map_err(js_error)
    }

    pub fn weights(&self) -> Result<Vec<u8>, JsError> {
        self.session
            .trainer
            .model
            .params
            .to_safetensors()
            .map_err(js_error)
    }

    /// Loads safetensors weights as `steps` steps of training.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), JsError> {
        self.session
            .trainer
            .load_weights(bytes, steps)
            .map_err(js_error)
    }
}

/// The latent-quantization lab's presets as JSON: `[{name, config, weights}]`.
#[wasm_bindgen(js_name = qlaePresets)]
pub fn qlae_presets() -> String {
    use crate::qlae::presets::{preset, PRESETS, SHIPPED};
    presets_json(PRESETS, "qlae", preset, |name, _| SHIPPED.contains(&name))
}

/// `[{name, config, weights}]` for a lab's presets; `shipped` says which have weights under
/// `models/LAB/`. Configs go through the same serialiser as `configJson`, so f32 values print
/// alike and the page can match a config to its preset.
fn presets_json<C: serde::Serialize, E>(
    presets: &[(&str, &str)],
    lab: &str,
    load: impl Fn(&str) -> Result<C, E>,
    shipped: impl Fn(&str, &C) -> bool,
) -> String {
    let entries: Vec<String> = presets
        .iter()
        .filter_map(|(name, _)| {
            let config = load(name).ok()?;
            let weights =
                shipped(name, &config).then(|| format!("models/{lab}/{name}.safetensors"));
            Some(format!(
                r#"{{"name":{},"config":{},"weights":{}}}"#,
                json(name),
                json(&config),
                json(&weights)
            ))
        })
        .collect();
    format!("[{}]", entries.join(","))
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("GenLab's types serialise")
}
