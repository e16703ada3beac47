//! Named latent-quantization presets: each is a config file under `www/models/qlae/` with its
//! weights `NAME.safetensors` beside it, made by `genlab qlae train --preset NAME --out …` from
//! exactly this config. Names are stable: links use them.
//!
//! ```
//! use genlab::qlae::presets::{preset, PRESETS};
//! for (name, _) in PRESETS { assert!(preset(name).is_ok(), "{name}"); }
//! assert!(preset("nope").unwrap_err().message.contains("sprites-qlae"));
//! ```
use super::config::QlaeConfig;
use crate::config::ConfigError;

/// (name, config JSON).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "sprites-qlae",
        include_str!("../../www/models/qlae/sprites-qlae.json"),
    ),
    (
        "sprites-ae",
        include_str!("../../www/models/qlae/sprites-ae.json"),
    ),
    (
        "shapes3d-qlae",
        include_str!("../../www/models/qlae/shapes3d-qlae.json"),
    ),
    (
        "shapes3d-ae",
        include_str!("../../www/models/qlae/shapes3d-ae.json"),
    ),
];

/// The presets whose weights ship under `www/models/qlae/`.
pub const SHIPPED: &[&str] = &["sprites-qlae", "sprites-ae", "shapes3d-qlae", "shapes3d-ae"];

pub fn preset(name: &str) -> Result<QlaeConfig, ConfigError> {
    crate::config::preset(PRESETS, name)
}
