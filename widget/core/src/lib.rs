//! `genlab_widget._core`: the GenLab core's own config checks, for the notebook widget's
//! Python. A config set from Python is checked here, where the page would check it, so a bad
//! one raises `ValueError` at once with the core's message (the field and its allowed range)
//! instead of failing later in the browser, after the cell has finished.
use genlab::config::{from_json, ConfigError, Validate};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The labs by the names the widget's Python uses.
const LABS: &[&str] = &["interpolants", "hallucinations", "qlae", "data"];

fn value_error(e: ConfigError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn unknown_lab(lab: &str) -> PyErr {
    PyValueError::new_err(format!(
        "lab: there is no lab called {lab:?}; the labs: {}",
        LABS.join(", ")
    ))
}

/// `json` parsed and checked as a `T`, and written back with every default filled in.
fn normalised<T: DeserializeOwned + Validate + Serialize>(json: &str) -> PyResult<String> {
    let config: T = from_json(json).map_err(value_error)?;
    serde_json::to_string(&config).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Checks the config JSON of `lab` as the page and the CLI do; returns it with the defaults
/// filled in, or raises `ValueError` naming the field.
#[pyfunction]
fn check(lab: &str, config_json: &str) -> PyResult<String> {
    use genlab::{data, halluc, interpolant, qlae};
    match lab {
        "interpolants" => normalised::<interpolant::config::InterpolantConfig>(config_json),
        "hallucinations" => normalised::<halluc::config::HallucConfig>(config_json),
        "qlae" => normalised::<qlae::config::QlaeConfig>(config_json),
        "data" => normalised::<data::session::DataConfig>(config_json),
        _ => Err(unknown_lab(lab)),
    }
}

/// The (name, config JSON) presets of `lab`, as the core ships them.
fn presets_of(lab: &str) -> PyResult<&'static [(&'static str, &'static str)]> {
    use genlab::{halluc, interpolant, qlae};
    match lab {
        "interpolants" => Ok(interpolant::presets::PRESETS),
        "hallucinations" => Ok(halluc::presets::PRESETS),
        "qlae" => Ok(qlae::presets::PRESETS),
        "data" => Ok(&[]),
        _ => Err(unknown_lab(lab)),
    }
}

/// The names of `lab`'s presets.
#[pyfunction]
fn presets(lab: &str) -> PyResult<Vec<&'static str>> {
    Ok(presets_of(lab)?.iter().map(|(name, _)| *name).collect())
}

/// Checks that `lab` has a preset called `name`; raises `ValueError` listing them if not.
#[pyfunction]
fn check_preset(lab: &str, name: &str) -> PyResult<()> {
    let names = presets(lab)?;
    if names.contains(&name) {
        return Ok(());
    }
    let valid = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    Err(PyValueError::new_err(format!(
        "preset: {lab} has no preset called {name:?}; its presets: {valid}"
    )))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add_function(wrap_pyfunction!(check_preset, m)?)?;
    Ok(())
}
