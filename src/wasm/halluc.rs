//! The hallucinations lab in the page: train or load the noise network (or use the exact
//! denoiser), sample in chunks that stream in (spread over helper workers), each recording the
//! x̂₀ trajectories the detector reads; recursive training one generation at a time.
use super::{arrays, js_error, lab_binding, presets_json, to_js};
use crate::config::from_json;
use crate::data::Density;
use crate::halluc::config::{DenoiserMode, HallucConfig};
use crate::halluc::presets::{preset, PRESETS};
use crate::halluc::recursive::{Filter, Recursion};
use crate::halluc::report::labels;
use crate::halluc::session::Session;
use crate::lab::Lab;
use serde::Serialize;
use wasm_bindgen::prelude::*;

lab_binding!(
    /// The hallucination lab's session.
    HallucLab,
    Session
);

/// The data's modes: centres (one row of dim each) and σ of a mode.
#[derive(Serialize)]
struct Modes {
    centres: Vec<f32>,
    sigma: f64,
}

#[wasm_bindgen]
impl HallucLab {
    pub fn dim(&self) -> usize {
        self.session.dim()
    }

    /// `{centres, sigma}`: the mode centres (n_modes × dim) and σ of a mode.
    pub fn modes(&self) -> Result<JsValue, JsError> {
        let (centres, sigma) = self.session.modes();
        to_js(&Modes { centres, sigma })
    }

    /// The data density at 1D points `x`.
    pub fn density(&self, x: Vec<f32>) -> Vec<f32> {
        let data = self.session.data();
        x.iter()
            .map(|v| data.log_density(&[*v]).map_or(0.0, f32::exp))
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

    /// Samples and adds the next chunk: `{points, variance, labels}` (labels 1 for each
    /// hallucinated sample, else 0; all empty when the run is done).
    #[wasm_bindgen(js_name = sampleChunk)]
    pub fn sample_chunk(&mut self) -> Result<JsValue, JsError> {
        let (points, variance) = self.session.sample_chunk().map_err(js_error)?;
        Ok(self.chunk_reply(&points, &variance))
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
        let chunk = self
            .session
            .sample_chunk_at(index as u64)
            .map_err(js_error)?;
        Ok(chunk.to_flat())
    }

    /// Adds chunk `index` (from [`Self::sample_chunk_at`], here or in another worker with the
    /// same config and weights) as the run's next; returns what [`Self::sample_chunk`] returns.
    #[wasm_bindgen(js_name = appendChunk)]
    pub fn append_chunk(&mut self, index: u32, flat: &[f32]) -> Result<JsValue, JsError> {
        let chunk = self
            .session
            .chunk_from_flat(index as u64, flat)
            .map_err(js_error)?;
        let reply = self.chunk_reply(&chunk.samples, &chunk.variance);
        self.session.append(chunk).map_err(js_error)?;
        Ok(reply)
    }

    /// The detection report of the samples so far.
    pub fn report(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.report())
    }

    /// The recorded reverse steps, high t first.
    #[wasm_bindgen(js_name = frameSteps)]
    pub fn frame_steps(&self) -> Vec<u32> {
        self.session
            .run()
            .frames
            .iter()
            .map(|f| f.t as u32)
            .collect()
    }

    /// `{x, x0}`: xₜ and x̂₀ of the recorded samples at recorded step `i`.
    pub fn frame(&self, i: usize) -> Result<JsValue, JsError> {
        let f = self.session.run().frames.get(i);
        let f = f.ok_or_else(|| JsError::new("no such recorded step"))?;
        Ok(arrays(&[("x", &f.x), ("x0", &f.x0)]))
    }

    /// Sample `i`'s x̂₀ at each recorded step (rows of dim), high t first.
    pub fn trajectory(&self, i: usize) -> Vec<f32> {
        self.session.trajectory(i).1
    }
}

impl HallucLab {
    /// `{points, variance, labels}` of a chunk, labels 1 for each hallucinated sample, else 0.
    fn chunk_reply(&self, points: &[f32], variance: &[f32]) -> JsValue {
        let flags = labels(points, self.session.data(), self.session.config().k);
        let labels: Vec<f32> = flags
            .into_iter()
            .map(|h| if h { 1.0 } else { 0.0 })
            .collect();
        arrays(&[
            ("points", points),
            ("variance", variance),
            ("labels", &labels),
        ])
    }
}

/// Recursive training in the page, one generation per call (Aithal et al. 2024, recursive
/// training): generation 0 on the data, then each filter's later generations on the previous
/// one's samples.
#[wasm_bindgen]
pub struct HallucRecursion {
    recursion: Recursion,
}

/// One finished generation.
#[derive(Serialize)]
struct Generation {
    filter: Filter,
    generation: usize,
    rate: f64,
}

#[wasm_bindgen]
impl HallucRecursion {
    /// Validates `config_json` (mixture data) and the generation count (1 to 20).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, generations: usize) -> Result<HallucRecursion, JsError> {
        let config: HallucConfig = from_json(config_json).map_err(js_error)?;
        let recursion = Recursion::new(&config, generations).map_err(|e| JsError::new(&e))?;
        Ok(Self { recursion })
    }

    /// Runs the next generation: `{filter, generation, rate}`, or undefined when done.
    #[wasm_bindgen(js_name = nextGeneration)]
    pub fn next_generation(&mut self) -> Result<JsValue, JsError> {
        match self.recursion.next_generation() {
            None => Ok(JsValue::UNDEFINED),
            Some(Err(e)) => Err(JsError::new(&e)),
            Some(Ok((filter, generation, rate))) => to_js(&Generation {
                filter,
                generation,
                rate,
            }),
        }
    }

    /// Each filter's hallucination rate per generation so far.
    pub fn lineages(&self) -> Result<JsValue, JsError> {
        to_js(self.recursion.lineages())
    }
}

/// The hallucination lab's presets as JSON: `[{name, config, weights}]` (weights under
/// `models/halluc/`, null for exact presets).
#[wasm_bindgen(js_name = hallucPresets)]
pub fn halluc_presets() -> String {
    presets_json(PRESETS, "halluc", preset, |_, c| {
        c.denoiser == DenoiserMode::Learned
    })
}
