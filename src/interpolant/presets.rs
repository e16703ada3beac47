//! Named interpolant presets. Each is a config file under `www/models/si/`, shipped with the
//! site and compiled into the CLI, so `genlab si … --preset NAME` and the page's preset link
//! open the very same config. Names are stable: links use them.
//!
//! ```
//! use genlab::interpolant::presets::{preset, PRESETS};
//! for (name, _) in PRESETS { assert!(preset(name).is_ok(), "{name}"); }
//! assert!(preset("nope").unwrap_err().message.contains("gmm-exact"));
//! ```
use super::config::InterpolantConfig;
use crate::config::ConfigError;

/// (name, config JSON). Learned presets ship `www/models/si/NAME.safetensors`, made by
/// `genlab si train --preset NAME --out …` from exactly this config.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "checkerboard",
        include_str!("../../www/models/si/checkerboard.json"),
    ),
    (
        "checkerboard-paper",
        include_str!("../../www/models/si/checkerboard-paper.json"),
    ),
    (
        "gmm-exact",
        include_str!("../../www/models/si/gmm-exact.json"),
    ),
    (
        "mirror-point",
        include_str!("../../www/models/si/mirror-point.json"),
    ),
    (
        "1d-three-modes",
        include_str!("../../www/models/si/1d-three-modes.json"),
    ),
];

pub fn preset(name: &str) -> Result<InterpolantConfig, ConfigError> {
    crate::config::preset(PRESETS, name)
}
