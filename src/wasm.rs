//! The wasm-bindgen surface: the only module that knows about JavaScript.
//!
//! One exported type per lab session; configs cross as JSON strings (validated by the core,
//! errors name the field), bulk data as `Float32Array`s that the worker transfers on.
use crate::bench::BenchWorkload;
use crate::config::{from_json, CONFIG_VERSION};
use crate::data::density_grid::density_grid;
use crate::data::library::DatasetConfig;
use crate::data::session::{DataConfig, DataSession};
use crate::rng::{streams, Rng};
use wasm_bindgen::prelude::*;

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
    serde_json::to_string(&DatasetConfig::catalog()).expect("catalog serialises")
}

/// The Data view's default config (checkerboard, 2,000 points, seed 0), as JSON.
#[wasm_bindgen(js_name = defaultDataConfig)]
pub fn default_data_config() -> String {
    serde_json::to_string(&DataConfig::default()).expect("config serialises")
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
        let config: DataConfig = from_json(config_json).map_err(|e| JsError::new(&e.to_string()))?;
        let session = DataSession::new(config).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self { session })
    }

    /// The config with every default filled in.
    #[wasm_bindgen(js_name = configJson)]
    pub fn config_json(&self) -> String {
        serde_json::to_string(&self.session.config).expect("config serialises")
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
        density_grid(self.session.density(), [(x0, x1), (y0, y1)], w.clamp(1, 1024), h.clamp(1, 1024), &mut rng)
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
        let workload = BenchWorkload::new(seed as u64).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self { workload })
    }

    /// One training step; returns the loss.
    #[wasm_bindgen(js_name = trainStep)]
    pub fn train_step(&mut self) -> Result<f32, JsError> {
        self.workload.train_step().map_err(|e| JsError::new(&e.to_string()))
    }

    /// One forward pass over 5,000 points.
    pub fn forward(&self) -> Result<f32, JsError> {
        self.workload.forward().map_err(|e| JsError::new(&e.to_string()))
    }
}
