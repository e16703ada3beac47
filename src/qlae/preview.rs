//! A preset's first picture: what the lab's run panel draws for held-out image 0 (the
//! reconstruction strip, its traversal, the codebooks and their use, the composer's image and
//! the scores), computed from the preset's weights by `genlab qlae preview` and shipped beside
//! them as `NAME.preview.json`. The page paints it while the weights (2.6–6.9 MB) download, and
//! then draws the same pictures from the weights themselves.
//!
//! Images are stored as the page's canvas stores them: one byte per channel,
//! `round(255 · clamp(σ(logit), 0, 1))`, base64.
use super::config::QlaeConfig;
use super::data::Factor;
use super::eval::Evaluation;
use super::session::Session;
use crate::lab::Lab as _;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::Serialize;

/// Which image the preview traverses: the page's first pick.
const IMAGE: usize = 0;
/// Held-out images in the page's reconstruction strip (`STRIP` in www/js/labs/qlae.js).
const STRIP: usize = 10;

/// What the page's worker says of a configured network (`open` in www/js/worker/qlae.js), so
/// the page can paint the preview before its own network is configured.
#[derive(Serialize)]
struct Facts {
    config: QlaeConfig,
    factors: Vec<Factor>,
    latents: usize,
    channels: usize,
    size: usize,
}

#[derive(Serialize)]
pub struct Preview {
    facts: Facts,
    /// Held-out images in the reconstruction strip.
    strip: usize,
    /// The held-out image traversed and composed.
    image: usize,
    /// `strip` originals, then their `strip` reconstructions (base64 bytes, each C × S × S).
    originals: String,
    reconstructions: String,
    /// Latents × columns images: row j sets latent j to each traversal value.
    traversal: String,
    /// The composer's image: the decoded latents of `image`.
    composed: String,
    /// Per latent, the traversal's values (latents × columns, row-major).
    values: Vec<f32>,
    /// The decoder input of `image` (the composer's starting sliders).
    latents: Vec<f32>,
    /// QLAE: how often each codebook value is used (latents × values); empty otherwise.
    usage: Vec<u32>,
    evaluation: Evaluation,
}

/// Pixels in [0, 1] as the page's canvas bytes, base64. Rounds in f64 as `Math.round` does.
fn bytes(pixels: &[f32]) -> String {
    let bytes: Vec<u8> = pixels
        .iter()
        .map(|&v| (255.0 * f64::from(v.clamp(0.0, 1.0))).round() as u8)
        .collect();
    STANDARD.encode(bytes)
}

impl Preview {
    /// The pictures of `session`'s weights.
    pub fn of(session: &Session) -> Result<Self, String> {
        let latents = session.latents_of(IMAGE)?;
        let config = session.config().clone();
        let facts = Facts {
            factors: config.data.factors(),
            latents: session.latents(),
            channels: config.data.channels(),
            size: config.data.size(),
            config,
        };
        Ok(Self {
            facts,
            strip: STRIP,
            image: IMAGE,
            originals: bytes(&session.originals(STRIP)),
            reconstructions: bytes(&session.reconstructions(STRIP)?),
            traversal: bytes(&session.traversal(IMAGE)?),
            composed: bytes(&session.decode(&latents)?),
            values: session.traversal_values()?,
            usage: session.usage()?,
            latents,
            evaluation: session.evaluate()?,
        })
    }
}
