//! The `genlab` binary: `data sample` prints exactly the points of a `DataSession` with the
//! same config (CSV and JSON), `data list` prints the catalog, and every usage error is one
//! stderr line with exit status 2.
#![cfg(not(target_arch = "wasm32"))]

use genlab::config::from_json;
use genlab::data::library::DatasetConfig;
use genlab::data::session::{DataConfig, DataSession};
use std::path::PathBuf;
use std::process::{Command, Output};

fn genlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_genlab")).args(args).output().expect("run genlab")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `args`, which must succeed, and returns stdout.
fn ok(args: &[&str]) -> String {
    let o = genlab(args);
    assert!(o.status.success(), "genlab {args:?} failed with {:?}: {}", o.status, stderr(&o));
    stdout(&o)
}

/// Runs `args`, which must fail with status 2 and one stderr line; returns that line.
fn usage_error(args: &[&str]) -> String {
    let o = genlab(args);
    assert_eq!(o.status.code(), Some(2), "genlab {args:?}: exit status (stderr: {})", stderr(&o));
    assert!(o.stdout.is_empty(), "genlab {args:?} printed to stdout: {}", stdout(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "genlab {args:?}: stderr should be one line, got {err:?}");
    lines[0].to_string()
}

/// The points a `DataSession` draws for `json`, as rows.
fn session_rows(json: &str) -> Vec<Vec<f32>> {
    let config: DataConfig = from_json(json).unwrap();
    let mut s = DataSession::new(config).unwrap();
    let dim = s.density().dim();
    let n = s.remaining();
    s.next_chunk(n).chunks_exact(dim).map(|p| p.to_vec()).collect()
}

/// Parses CSV output: checks the header, returns the rows as f32.
fn parse_csv(text: &str, header: &str) -> Vec<Vec<f32>> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "CSV header");
    lines
        .map(|l| l.split(',').map(|v| v.parse::<f32>().unwrap_or_else(|_| panic!("`{v}` in row `{l}` is not a float"))).collect())
        .collect()
}

/// Parses JSON output: an array of arrays of numbers, each read back as f32.
fn parse_json(text: &str) -> Vec<Vec<f32>> {
    let v: serde_json::Value = serde_json::from_str(text).expect("stdout is JSON");
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|row| row.as_array().expect("each row is an array").iter().map(|x| x.to_string().parse::<f32>().unwrap()).collect())
        .collect()
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let d = std::env::temp_dir().join(format!("genlab-cli-test-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------- data sample

#[test]
fn csv_sample_equals_the_session_points() {
    let rows = parse_csv(&ok(&["data", "sample", "--dataset", "grid25", "--n", "100", "--seed", "5"]), "x,y");
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().all(|r| r.len() == 2 && r.iter().all(|v| v.is_finite())));
    assert_eq!(rows, session_rows(r#"{"dataset":{"name":"grid25"},"n":100,"seed":5}"#));
}

#[test]
fn json_sample_equals_the_csv_sample() {
    let args = ["data", "sample", "--dataset", "grid25", "--n", "100", "--seed", "5"];
    let csv = parse_csv(&ok(&args), "x,y");
    let json = parse_json(&ok(&[&args[..], &["--format", "json"]].concat()));
    assert_eq!(json.len(), 100);
    assert_eq!(json, csv);
}

#[test]
fn one_dimensional_dataset_prints_one_column() {
    let rows = parse_csv(&ok(&["data", "sample", "--dataset", "modes-1d", "--n", "50", "--seed", "2"]), "x");
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|r| r.len() == 1));
    assert_eq!(rows, session_rows(r#"{"dataset":{"name":"modes-1d"},"n":50,"seed":2}"#));
}

#[test]
fn catalog_only_names_work_as_dataset_flags() {
    // gaussian-1d is a catalog name, not a config tag: the CLI maps it to {"name":"gaussian","dim":1}
    let rows = parse_csv(&ok(&["data", "sample", "--dataset", "gaussian-1d", "--n", "20", "--seed", "1"]), "x");
    assert_eq!(rows, session_rows(r#"{"dataset":{"name":"gaussian","dim":1},"n":20,"seed":1}"#));
}

#[test]
fn no_flags_sample_the_default_config() {
    let rows = parse_csv(&ok(&["data", "sample"]), "x,y");
    assert_eq!(rows, session_rows(r#"{"dataset":{"name":"checkerboard"},"n":2000,"seed":0}"#));
}

#[test]
fn config_file_is_read_and_flags_override_it() {
    let dir = temp_dir("config");
    let file = dir.join("data.json");
    std::fs::write(&file, r#"{"dataset":{"name":"two-moons","noise":0.2},"n":7,"seed":9}"#).unwrap();
    let path = file.to_str().unwrap();
    let from_file = parse_csv(&ok(&["data", "sample", "--config", path]), "x,y");
    assert_eq!(from_file, session_rows(r#"{"dataset":{"name":"two-moons","noise":0.2},"n":7,"seed":9}"#));
    let overridden = parse_csv(&ok(&["data", "sample", "--config", path, "--n", "3", "--seed", "4"]), "x,y");
    assert_eq!(overridden, session_rows(r#"{"dataset":{"name":"two-moons","noise":0.2},"n":3,"seed":4}"#));
    let other = parse_csv(&ok(&["data", "sample", "--config", path, "--dataset", "rings"]), "x,y");
    assert_eq!(other, session_rows(r#"{"dataset":{"name":"rings"},"n":7,"seed":9}"#));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- usage errors

#[test]
fn unknown_dataset_is_a_usage_error_listing_valid_names() {
    let line = usage_error(&["data", "sample", "--dataset", "spiral-galaxy"]);
    for part in ["unknown dataset", "spiral-galaxy", "checkerboard"] {
        assert!(line.contains(part), "stderr `{line}` should mention {part}");
    }
}

#[test]
fn zero_samples_is_a_usage_error_stating_the_range() {
    let line = usage_error(&["data", "sample", "--n", "0"]);
    assert!(line.contains("n:") && line.contains("1 to 1000000"), "stderr `{line}`");
}

#[test]
fn large_seed_is_a_usage_error_naming_seed() {
    let line = usage_error(&["data", "sample", "--seed", "4294967296"]);
    assert!(line.contains("seed"), "stderr `{line}`");
}

#[test]
fn unknown_format_is_a_usage_error_listing_formats() {
    let line = usage_error(&["data", "sample", "--format", "xml"]);
    assert!(line.contains("xml") && line.contains("csv") && line.contains("json"), "stderr `{line}`");
}

#[test]
fn bad_config_files_are_usage_errors() {
    let dir = temp_dir("bad-config");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"dataset":{"name":"two-moons","noise":-1}}"#).unwrap();
    let line = usage_error(&["data", "sample", "--config", bad.to_str().unwrap()]);
    assert!(line.contains("dataset.noise"), "stderr `{line}` should name the field");
    let missing = dir.join("missing.json");
    let line = usage_error(&["data", "sample", "--config", missing.to_str().unwrap()]);
    assert!(line.contains("cannot read") && line.contains("missing.json"), "stderr `{line}`");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- data list

#[test]
fn list_prints_the_catalog_as_json() {
    let v: serde_json::Value = serde_json::from_str(&ok(&["data", "list"])).expect("data list prints JSON");
    let entries = v.as_array().expect("a JSON array");
    let catalog = DatasetConfig::catalog();
    assert_eq!(entries.len(), catalog.len());
    for entry in &catalog {
        let printed = entries
            .iter()
            .find(|e| e["name"] == entry.name)
            .unwrap_or_else(|| panic!("data list lacks {}", entry.name));
        assert_eq!(printed["dim"], entry.dim, "{}: dim", entry.name);
        let defaults: DatasetConfig = serde_json::from_value(printed["defaults"].clone()).unwrap();
        assert_eq!(defaults, entry.defaults, "{}: defaults", entry.name);
    }
}
