//! Shared config plumbing: the schema version, JSON loading that names the failing field,
//! and range checks whose message states the allowed range.
//!
//! Every lab's config is one serde struct (camelCase keys) used alike as UI state, URL hash,
//! CLI `--config` file and preset. Unknown keys are ignored so that old links keep opening.
//!
//! ```
//! use genlab::config::{check_range, ConfigError};
//! assert!(check_range("n", 10usize, 1, 100).is_ok());
//! let e = check_range("n", 0usize, 1, 100).unwrap_err();
//! assert_eq!(e.to_string(), "n: 0 is out of range; allowed 1 to 100");
//! ```
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The config schema version this build writes. Older versions are migrated on load.
pub const CONFIG_VERSION: u32 = 1;

/// Largest seed of any lab: seeds travel through JavaScript numbers and URLs, so they stay
/// below 2³².
pub const MAX_SEED: u64 = u32::MAX as u64;

/// A config that cannot be used, with the dotted path of the offending field.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, its field path prefixed by `parent` (e.g. `dataset.` + `std`).
    pub fn within(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_string()
        } else {
            format!("{parent}.{}", self.field)
        };
        Self {
            field,
            message: self.message,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// A config that can check its own values.
pub trait Validate {
    fn validate(&self) -> Result<(), ConfigError>;
}

/// `lo ≤ value ≤ hi`, or an error naming `field` and the allowed range. NaN is rejected.
pub fn check_range<T: PartialOrd + fmt::Display>(
    field: &str,
    value: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    if value >= lo && value <= hi {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            format!("{value} is out of range; allowed {lo} to {hi}"),
        ))
    }
}

/// `lo < value ≤ hi` for strictly positive scales such as a standard deviation.
pub fn check_positive(field: &str, value: f32, hi: f32) -> Result<(), ConfigError> {
    if value > 0.0 && value <= hi {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            format!("{value} is out of range; allowed above 0 up to {hi}"),
        ))
    }
}

/// Checks `train.lrEnd`, the end of a cosine learning-rate decay: absent, or above 0 up to `lr`.
pub fn check_lr_end(lr: f64, end: Option<f64>) -> Result<(), ConfigError> {
    end.map_or(Ok(()), |end| {
        check_positive("train.lrEnd", end as f32, lr as f32)
    })
}

/// Checks the `version` field: absent means current; newer than this build is refused.
pub fn check_version(version: u32) -> Result<(), ConfigError> {
    if version == 0 || version > CONFIG_VERSION {
        Err(ConfigError::new(
            "version",
            format!("version {version} is not known to this GenLab, which reads versions 1 to {CONFIG_VERSION}"),
        ))
    } else {
        Ok(())
    }
}

/// The default for a missing `version` key.
pub fn current_version() -> u32 {
    CONFIG_VERSION
}

/// Parses and validates a config from JSON. A type error names the field path where serde
/// stopped (`dataset.noise: invalid type: string "a", expected f32`).
pub fn from_json<T: DeserializeOwned + Validate>(json: &str) -> Result<T, ConfigError> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        ConfigError::new(
            "",
            format!("not valid JSON: {}", strip_position(e.to_string())),
        )
    })?;
    let config: T = deserialize(&value).map_err(|(path, message)| {
        let field = culprit(&value, &path, &message, deserialize::<T>).unwrap_or(path);
        ConfigError::new(field, message)
    })?;
    config.validate()?;
    Ok(config)
}

/// The config of the preset `name` from a lab's (name, JSON) list; an unknown name lists the
/// valid ones.
pub fn preset<T: DeserializeOwned + Validate>(
    presets: &[(&str, &str)],
    name: &str,
) -> Result<T, ConfigError> {
    let (_, json) = presets.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = presets.iter().map(|(n, _)| *n).collect();
        ConfigError::new(
            "preset",
            format!("unknown preset `{name}`; valid: {}", names.join(", ")),
        )
    })?;
    from_json(json)
}

/// The words a preset shows a learner, from its file's `note`: what you see when it opens,
/// what the paper found, and two or three things to try. The config ignores the key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PresetNote {
    pub see: String,
    pub paper: String,
    pub r#try: Vec<String>,
}

/// The note of preset `name` in a lab's (name, JSON) list; `None` for an unknown name or a
/// file without one.
pub fn preset_note(presets: &[(&str, &str)], name: &str) -> Option<PresetNote> {
    #[derive(Deserialize)]
    struct File {
        note: Option<PresetNote>,
    }
    let (_, json) = presets.iter().find(|(n, _)| *n == name)?;
    serde_json::from_str::<File>(json).ok()?.note
}

/// Deserializes, reporting a failure as (dotted field path, message).
fn deserialize<T: DeserializeOwned>(value: &Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, too_large(strip_position(e.into_inner().to_string())))
    })
}

/// serde reads a whole number too large for its integer type (`1e100` for a count) as a float
/// and calls it "invalid type: floating point"; say it is out of range instead.
fn too_large(message: String) -> String {
    let parsed = message
        .strip_prefix("invalid type: floating point `")
        .and_then(|rest| rest.split_once("`, expected "));
    let Some((value, expected)) = parsed else {
        return message;
    };
    let most = match expected {
        "u32" => u32::MAX as f64,
        "usize" | "u64" => u64::MAX as f64,
        _ => return message,
    };
    match value.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v > most => {
            format!("{value} is out of range: too large for a whole number")
        }
        _ => message,
    }
}

/// serde_json appends " at line L column C": noise for a URL or a form.
fn strip_position(message: String) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

/// The tags of the configs' internally tagged enums: a dataset's `name`, a QLAE dataset's or
/// a γ's `kind`.
const TAGS: [&str; 2] = ["name", "kind"];

/// serde buffers internally tagged enums (a dataset's parameters), so its error path stops
/// at the enum's tag. To name the field, take the nearest object on the path and drop its
/// keys one at a time (never a tag, see [`TAGS`]): the key whose removal changes the error is
/// the culprit. When none does, the original path stands.
fn culprit<T>(
    root: &Value,
    path: &str,
    message: &str,
    parse: fn(&Value) -> Result<T, (String, String)>,
) -> Option<String> {
    let segments: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    let depth = (0..=segments.len())
        .rev()
        .find(|d| object_at(root, &segments[..*d]).is_some())?;
    let prefix = &segments[..depth];
    object_at(root, prefix)?
        .keys()
        .filter(|k| !TAGS.contains(&k.as_str()))
        .find_map(|key| {
            let mut trial = root.clone();
            trial
                .pointer_mut(&pointer(prefix))?
                .as_object_mut()?
                .remove(key);
            match parse(&trial) {
                Err((_, m)) if m == message => None,
                _ => Some(
                    prefix
                        .iter()
                        .copied()
                        .chain([key.as_str()])
                        .collect::<Vec<_>>()
                        .join("."),
                ),
            }
        })
}

fn pointer(segments: &[&str]) -> String {
    segments.iter().map(|s| format!("/{s}")).collect()
}

fn object_at<'a>(root: &'a Value, segments: &[&str]) -> Option<&'a serde_json::Map<String, Value>> {
    root.pointer(&pointer(segments))?.as_object()
}
