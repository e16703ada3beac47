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
use crate::config::{from_json, ConfigError};

/// (name, config JSON). Learned presets (the checkerboard, the mirror, the 1D figure) join
/// when training lands, with the weights that reproduce them.
pub const PRESETS: &[(&str, &str)] = &[("gmm-exact", include_str!("../../www/models/si/gmm-exact.json"))];

pub fn preset(name: &str) -> Result<InterpolantConfig, ConfigError> {
    let (_, json) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        ConfigError::new("preset", format!("unknown preset `{name}`; valid: {}", names.join(", ")))
    })?;
    from_json(json)
}
