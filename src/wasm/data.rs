//! The Data view: one dataset config's sample stream and its density on a grid.
use super::{js_error, json};
use crate::config::from_json;
use crate::data::density_grid::density_grid;
use crate::data::library::DatasetConfig;
use crate::data::session::{DataConfig, DataSession};
use crate::rng::{streams, Rng};
use wasm_bindgen::prelude::*;

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

    /// The config with every default filled in, as JSON.
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
        let (w, h) = (w.clamp(1, 1024), h.clamp(1, 1024));
        density_grid(self.session.density(), [(x0, x1), (y0, y1)], w, h, &mut rng)
    }
}
