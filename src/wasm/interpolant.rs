//! The interpolants lab in the page: training, particles carried along the time grid with a
//! live ε, the drift on a grid of points, and the metrics.
use super::{arrays, js_error, lab_binding, presets_json, to_js};
use crate::interpolant::config::FieldsMode;
use crate::interpolant::presets::{preset, PRESETS};
use crate::interpolant::session::Session;
use wasm_bindgen::prelude::*;

lab_binding!(
    /// The interpolants lab's session: training, particles, fields and metrics of one config.
    InterpolantLab,
    Session
);

#[wasm_bindgen]
impl InterpolantLab {
    pub fn dim(&self) -> usize {
        self.session.dim()
    }

    /// Whether exact fields exist (both ends Gaussian mixtures).
    #[wasm_bindgen(js_name = hasExact)]
    pub fn has_exact(&self) -> bool {
        self.session.exact().is_some()
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

    /// `{drift, exact}` at time `t` on the points `x`: the followed drift, and the exact drift
    /// beside learned fields when it exists (else absent).
    pub fn drift(&self, t: f64, x: Vec<f32>) -> JsValue {
        match self.session.drift(t, &x) {
            (drift, Some(exact)) => arrays(&[("drift", &drift), ("exact", &exact)]),
            (drift, None) => arrays(&[("drift", &drift)]),
        }
    }

    /// Learned-vs-exact relative L2 errors `{drift, score}` over t ∈ [0.1, 0.9].
    #[wasm_bindgen(js_name = fieldError)]
    pub fn field_error(&self, n: usize) -> Result<JsValue, JsError> {
        let e = self.session.field_error(n.clamp(100, 20_000));
        to_js(&e.ok_or_else(|| JsError::new("needs learned fields and exact ones"))?)
    }

    /// The metrics panel's numbers (`energyDistance`, `energyDistanceFloor`,
    /// `logLikelihood`, `logLikelihoodExact`).
    pub fn metrics(&self, likelihood_points: usize) -> Result<JsValue, JsError> {
        to_js(&self.session.metrics(likelihood_points.clamp(1, 5000)))
    }
}

/// The interpolants lab's presets as JSON: `[{name, config, weights}]`, where `weights` is the
/// shipped safetensors file under `models/si/` (null for exact presets).
#[wasm_bindgen(js_name = interpolantPresets)]
pub fn interpolant_presets() -> String {
    presets_json(PRESETS, "si", preset, |_, c| {
        c.fields == FieldsMode::Learned
    })
}
