//! The latent-quantization lab in the page: train an autoencoder (QLAE, AE or β-VAE) on a
//! procedural image dataset, score it with InfoMEC, and decode traversals and composed latents.
use super::{js_error, lab_binding, presets_json, to_js};
use crate::lab::Lab;
use crate::qlae::presets::{preset, PRESETS, SHIPPED};
use crate::qlae::session::Session;
use wasm_bindgen::prelude::*;

lab_binding!(
    /// The latent-quantization lab's session.
    QlaeLab,
    Session
);

#[wasm_bindgen]
impl QlaeLab {
    /// The dataset's factors: `[{name, count}]`.
    pub fn factors(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.config().data.factors())
    }

    pub fn latents(&self) -> usize {
        self.session.latents()
    }

    pub fn channels(&self) -> usize {
        self.session.config().data.channels()
    }

    pub fn size(&self) -> usize {
        self.session.config().data.size()
    }

    /// InfoM, InfoE, InfoC, PSNR and the NMI matrix on the held-out images.
    pub fn evaluate(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.evaluate().map_err(js_error)?)
    }

    /// `{originals, reconstructions}` of the first `n` held-out images (each n × C × S × S).
    pub fn reconstructions(&self, n: usize) -> Result<JsValue, JsError> {
        let originals = self.session.originals(n);
        let reconstructions = self.session.reconstructions(n).map_err(js_error)?;
        Ok(super::arrays(&[
            ("originals", &originals),
            ("reconstructions", &reconstructions),
        ]))
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
}

/// The latent-quantization lab's presets as JSON: `[{name, config, weights}]`.
#[wasm_bindgen(js_name = qlaePresets)]
pub fn qlae_presets() -> String {
    presets_json(PRESETS, "qlae", preset, |name, _| SHIPPED.contains(&name))
}
