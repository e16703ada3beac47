//! Named hallucination-lab presets. Each is a config file under `www/models/halluc/` with its
//! weights `NAME.safetensors` beside it, made by `genlab halluc train --preset NAME --out …`
//! from exactly this config. Names are stable: links use them.
//!
//! ```
//! use genlab::halluc::presets::{preset, PRESETS};
//! for (name, _) in PRESETS { assert!(preset(name).is_ok(), "{name}"); }
//! assert!(preset("nope").unwrap_err().message.contains("grid25"));
//! ```
use super::config::HallucConfig;
use crate::config::ConfigError;

/// (name, config JSON).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "grid25",
        include_str!("../../www/models/halluc/grid25.json"),
    ),
    (
        "diamond25",
        include_str!("../../www/models/halluc/diamond25.json"),
    ),
    (
        "1d-123",
        include_str!("../../www/models/halluc/1d-123.json"),
    ),
    (
        "1d-1245",
        include_str!("../../www/models/halluc/1d-1245.json"),
    ),
    (
        "1d-1245-recursive",
        include_str!("../../www/models/halluc/1d-1245-recursive.json"),
    ),
];

pub fn preset(name: &str) -> Result<HallucConfig, ConfigError> {
    crate::config::preset(PRESETS, name)
}
