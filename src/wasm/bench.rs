//! The benchmark workload, driven and timed from JavaScript.
use super::js_error;
use crate::bench::BenchWorkload;
use wasm_bindgen::prelude::*;

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
