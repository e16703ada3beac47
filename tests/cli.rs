//! The `genlab` binary: `data sample` prints exactly the points of a `DataSession` with the
//! same config (CSV and JSON), `data list` prints the catalog, and every usage error is one
//! stderr line with exit status 2.
#![cfg(not(target_arch = "wasm32"))]

use genlab::config::from_json;
use genlab::data::library::DatasetConfig;
use genlab::data::session::{DataConfig, DataSession};
use genlab::lab::Trainer as _;
use std::process::{Command, Output};

fn genlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_genlab"))
        .args(args)
        .output()
        .expect("run genlab")
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
    assert!(
        o.status.success(),
        "genlab {args:?} failed with {:?}: {}",
        o.status,
        stderr(&o)
    );
    stdout(&o)
}

/// Runs `args`, which must fail with status 2 and one stderr line; returns that line.
fn usage_error(args: &[&str]) -> String {
    let o = genlab(args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "genlab {args:?}: exit status (stderr: {})",
        stderr(&o)
    );
    assert!(
        o.stdout.is_empty(),
        "genlab {args:?} printed to stdout: {}",
        stdout(&o)
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.trim_end().lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "genlab {args:?}: stderr should be one line, got {err:?}"
    );
    lines[0].to_string()
}

/// The points a `DataSession` draws for `json`, as rows.
fn session_rows(json: &str) -> Vec<Vec<f32>> {
    let config: DataConfig = from_json(json).unwrap();
    let mut s = DataSession::new(config).unwrap();
    let dim = s.density().dim();
    let n = s.remaining();
    s.next_chunk(n)
        .chunks_exact(dim)
        .map(|p| p.to_vec())
        .collect()
}

/// Parses CSV output: checks the header, returns the rows as f32.
fn parse_csv(text: &str, header: &str) -> Vec<Vec<f32>> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "CSV header");
    lines
        .map(|l| {
            l.split(',')
                .map(|v| {
                    v.parse::<f32>()
                        .unwrap_or_else(|_| panic!("`{v}` in row `{l}` is not a float"))
                })
                .collect()
        })
        .collect()
}

/// Parses JSON output: an array of arrays of numbers, each read back as f32.
fn parse_json(text: &str) -> Vec<Vec<f32>> {
    let v: serde_json::Value = serde_json::from_str(text).expect("stdout is JSON");
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("each row is an array")
                .iter()
                .map(|x| x.to_string().parse::<f32>().unwrap())
                .collect()
        })
        .collect()
}

/// A scratch folder, removed when dropped (also when the test fails).
fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("genlab-cli-test-{tag}-"))
        .tempdir()
        .unwrap()
}

// ---------------------------------------------------------------- data sample

#[test]
fn csv_sample_equals_the_session_points() {
    let rows = parse_csv(
        &ok(&[
            "data",
            "sample",
            "--dataset",
            "grid25",
            "--n",
            "100",
            "--seed",
            "5",
        ]),
        "x,y",
    );
    assert_eq!(rows.len(), 100);
    assert!(rows
        .iter()
        .all(|r| r.len() == 2 && r.iter().all(|v| v.is_finite())));
    assert_eq!(
        rows,
        session_rows(r#"{"dataset":{"name":"grid25"},"n":100,"seed":5}"#)
    );
}

#[test]
fn json_sample_equals_the_csv_sample() {
    let args = [
        "data",
        "sample",
        "--dataset",
        "grid25",
        "--n",
        "100",
        "--seed",
        "5",
    ];
    let csv = parse_csv(&ok(&args), "x,y");
    let json = parse_json(&ok(&[&args[..], &["--format", "json"]].concat()));
    assert_eq!(json.len(), 100);
    assert_eq!(json, csv);
}

#[test]
fn one_dimensional_dataset_prints_one_column() {
    let rows = parse_csv(
        &ok(&[
            "data",
            "sample",
            "--dataset",
            "modes-1d",
            "--n",
            "50",
            "--seed",
            "2",
        ]),
        "x",
    );
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|r| r.len() == 1));
    assert_eq!(
        rows,
        session_rows(r#"{"dataset":{"name":"modes-1d"},"n":50,"seed":2}"#)
    );
}

#[test]
fn catalog_only_names_work_as_dataset_flags() {
    // gaussian-1d is a catalog name, not a config tag: the CLI maps it to {"name":"gaussian","dim":1}
    let rows = parse_csv(
        &ok(&[
            "data",
            "sample",
            "--dataset",
            "gaussian-1d",
            "--n",
            "20",
            "--seed",
            "1",
        ]),
        "x",
    );
    assert_eq!(
        rows,
        session_rows(r#"{"dataset":{"name":"gaussian","dim":1},"n":20,"seed":1}"#)
    );
}

#[test]
fn no_flags_sample_the_default_config() {
    let rows = parse_csv(&ok(&["data", "sample"]), "x,y");
    assert_eq!(
        rows,
        session_rows(r#"{"dataset":{"name":"checkerboard"},"n":2000,"seed":0}"#)
    );
}

#[test]
fn config_file_is_read_and_flags_override_it() {
    let tmp = temp_dir("config");
    let dir = tmp.path();
    let file = dir.join("data.json");
    std::fs::write(
        &file,
        r#"{"dataset":{"name":"two-moons","noise":0.2},"n":7,"seed":9}"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let from_file = parse_csv(&ok(&["data", "sample", "--config", path]), "x,y");
    assert_eq!(
        from_file,
        session_rows(r#"{"dataset":{"name":"two-moons","noise":0.2},"n":7,"seed":9}"#)
    );
    let overridden = parse_csv(
        &ok(&[
            "data", "sample", "--config", path, "--n", "3", "--seed", "4",
        ]),
        "x,y",
    );
    assert_eq!(
        overridden,
        session_rows(r#"{"dataset":{"name":"two-moons","noise":0.2},"n":3,"seed":4}"#)
    );
    let other = parse_csv(
        &ok(&["data", "sample", "--config", path, "--dataset", "rings"]),
        "x,y",
    );
    assert_eq!(
        other,
        session_rows(r#"{"dataset":{"name":"rings"},"n":7,"seed":9}"#)
    );
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
    assert!(
        line.contains("n:") && line.contains("1 to 1000000"),
        "stderr `{line}`"
    );
}

#[test]
fn large_seed_is_a_usage_error_naming_seed() {
    let line = usage_error(&["data", "sample", "--seed", "4294967296"]);
    assert!(line.contains("seed"), "stderr `{line}`");
}

#[test]
fn unknown_format_is_a_usage_error_listing_formats() {
    let line = usage_error(&["data", "sample", "--format", "xml"]);
    assert!(
        line.contains("xml") && line.contains("csv") && line.contains("json"),
        "stderr `{line}`"
    );
}

#[test]
fn bad_config_files_are_usage_errors() {
    let tmp = temp_dir("bad-config");
    let dir = tmp.path();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"dataset":{"name":"two-moons","noise":-1}}"#).unwrap();
    let line = usage_error(&["data", "sample", "--config", bad.to_str().unwrap()]);
    assert!(
        line.contains("dataset.noise"),
        "stderr `{line}` should name the field"
    );
    let missing = dir.join("missing.json");
    let line = usage_error(&["data", "sample", "--config", missing.to_str().unwrap()]);
    assert!(
        line.contains("cannot read") && line.contains("missing.json"),
        "stderr `{line}`"
    );
}

// ---------------------------------------------------------------- data list

#[test]
fn list_prints_the_catalog_as_json() {
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["data", "list"])).expect("data list prints JSON");
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

// ---------------------------------------------------------------- si (exact fields)

#[test]
fn si_sample_of_the_gmm_preset_lands_on_the_eight_modes() {
    let rows = parse_csv(
        &ok(&[
            "si",
            "sample",
            "--preset",
            "gmm-exact",
            "--n",
            "400",
            "--seed",
            "3",
        ]),
        "x,y",
    );
    assert_eq!(rows.len(), 400);
    // The ring is normalised to unit variance per coordinate, so E|x|² = 2 (ρ₀ has 6.5), and
    // its modes sit at radius 2/√(σ² + 2) with σ = 0.2.
    let sq: Vec<f64> = rows
        .iter()
        .map(|p| (p[0] as f64).powi(2) + (p[1] as f64).powi(2))
        .collect();
    let mean_sq = sq.iter().sum::<f64>() / sq.len() as f64;
    assert!((mean_sq - 2.0).abs() < 0.1, "E|x|² = {mean_sq}, expected 2");
    let ring = genlab::data::gmm::GaussianMixture::eight_gaussians(0.2);
    let mut counts = [0usize; 8];
    for p in &rows {
        let d = |c: &genlab::data::gmm::Component| {
            (p[0] - c.mean[0]).powi(2) + (p[1] - c.mean[1]).powi(2)
        };
        let k = (0..8)
            .min_by(|a, b| d(&ring.components[*a]).total_cmp(&d(&ring.components[*b])))
            .unwrap();
        counts[k] += 1;
    }
    // each mode gets 50 ± 5·√(400·⅛·⅞) ≈ 50 ± 33
    assert!(
        counts.iter().all(|c| (17..=83).contains(c)),
        "particles per mode: {counts:?}"
    );
    let again = parse_csv(
        &ok(&[
            "si",
            "sample",
            "--preset",
            "gmm-exact",
            "--n",
            "400",
            "--seed",
            "3",
        ]),
        "x,y",
    );
    assert_eq!(rows, again, "same seed, same particles");
}

#[test]
fn si_field_matches_the_exact_fields() {
    let tmp = temp_dir("si-field");
    let points = tmp.path().join("p.csv");
    let p = points.to_str().unwrap();
    let args = |t| {
        [
            "si",
            "field",
            "--preset",
            "gmm-exact",
            "--t",
            t,
            "--points",
            p,
        ]
    };
    std::fs::write(&points, "x,y\n0.5,-0.25\n-1,2\n").unwrap();
    let rows = parse_csv(&ok(&args("0.3")), "bx,by,sx,sy");
    let fields = genlab::interpolant::presets::preset("gmm-exact")
        .unwrap()
        .exact_fields()
        .unwrap();
    let (b, s) = fields.drift_and_score(0.3, &[0.5, -0.25, -1.0, 2.0]);
    assert_eq!(
        rows,
        vec![vec![b[0], b[1], s[0], s[1]], vec![b[2], b[3], s[2], s[3]]]
    );
    std::fs::write(&points, "1,2,3\n").unwrap();
    assert!(usage_error(&args("0.3")).contains("expected 2 finite numbers"));
    assert!(usage_error(&args("2")).contains("t: 2 is out of range"));
    // finite in the file, infinite in f32: it used to be reported as "inf is out of range"
    std::fs::write(&points, "x,y\n0.5,1\n2,1e308\n").unwrap();
    let message = usage_error(&args("0.3"));
    assert!(
        message.contains(
            "1e308 (data row 2, column 2) is out of range; points may be at most ±3.4028235e38"
        ),
        "{message}"
    );
}

#[test]
fn si_config_prints_a_preset_the_loader_reads_back() {
    let json = ok(&["si", "config", "--preset", "gmm-exact"]);
    let back: genlab::interpolant::config::InterpolantConfig = from_json(&json).unwrap();
    assert_eq!(
        back,
        genlab::interpolant::presets::preset("gmm-exact").unwrap()
    );
    assert!(ok(&["presets"]).contains("gmm-exact"));
}

#[test]
fn si_rejects_what_it_cannot_do_with_a_named_field() {
    assert!(usage_error(&["si", "sample", "--preset", "nope"])
        .contains("valid: checkerboard, checkerboard-paper, gmm-exact"));
    let tmp = temp_dir("si-bad");
    let dir = tmp.path();
    let cases = [
        (
            r#"{"rho0":{"name":"checkerboard"},"rho1":{"name":"gaussian"},"fields":"exact"}"#,
            "rho0: exact fields need a Gaussian mixture",
        ),
        (
            r#"{"rho0":{"name":"checkerboard"},"rho1":{"name":"gaussian"}}"#,
            "a learned model needs --model",
        ),
        (
            r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"modes-1d"}}"#,
            "rho1: is 1D but rho0 is 2D",
        ),
        (
            r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"gaussian"},"sampler":{"steps":0}}"#,
            "sampler.steps: 0 is out of range",
        ),
        (
            r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"gaussian"},"path":"trig","gamma":{"kind":"a-brownian","a":9}}"#,
            "gamma: the trig path needs γ ≤ 1",
        ),
        (
            r#"{"rho0":{"name":"gaussian","dim":3},"rho1":{"name":"gaussian"}}"#,
            "rho0.dim: 3 is out of range",
        ),
    ];
    for (json, expected) in cases {
        let path = dir.join("c.json");
        std::fs::write(&path, json).unwrap();
        let err = usage_error(&["si", "sample", "--config", path.to_str().unwrap()]);
        assert!(err.contains(expected), "{json}: {err}");
    }
}

#[test]
fn commands_that_train_afresh_reject_model_weights() {
    let fresh = [
        ("si", "train"),
        ("si", "bench"),
        ("halluc", "train"),
        ("halluc", "recursive"),
        ("qlae", "train"),
        ("qlae", "bench"),
    ];
    for (lab, command) in fresh {
        let err = usage_error(&[lab, command, "--preset", "x", "--model", "w.safetensors"]);
        assert!(
            err.contains("unexpected argument '--model'"),
            "{lab} {command}: {err}"
        );
    }
    // the commands that read weights still take it
    let err = usage_error(&[
        "qlae",
        "eval",
        "--preset",
        "sprites-qlae",
        "--model",
        "/nonexistent.safetensors",
    ]);
    assert!(
        err.contains("cannot read weights /nonexistent.safetensors"),
        "{err}"
    );
}

// ---------------------------------------------------------------- si (learned fields)

const TINY: &str = r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"eight-gaussians"},"model":{"width":16,"depth":2},
    "train":{"batch":64,"steps":30},"sampler":{"method":"sde-heun","epsilon":0.5,"steps":20},"n":300}"#;

#[test]
fn si_train_writes_weights_that_sample_field_and_eval_read() {
    let tmp = temp_dir("si-train");
    let dir = tmp.path();
    let config = dir.join("c.json");
    std::fs::write(&config, TINY).unwrap();
    let (c, m) = (config.to_str().unwrap(), dir.join("m.safetensors"));
    let m = m.to_str().unwrap();
    let out = genlab(&["si", "train", "--config", c, "--out", m]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("step 30/30"),
        "progress on stderr: {}",
        stderr(&out)
    );
    // the weights are the trainer's, byte for byte
    let cfg: genlab::interpolant::config::InterpolantConfig = from_json(TINY).unwrap();
    let mut t = genlab::interpolant::train::Trainer::new(&cfg).unwrap();
    for _ in 0..30 {
        t.step().unwrap();
    }
    assert_eq!(std::fs::read(m).unwrap(), t.weights().unwrap());
    let rows = parse_csv(
        &ok(&["si", "sample", "--config", c, "--model", m, "--seed", "2"]),
        "x,y",
    );
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().flatten().all(|v| v.is_finite()));
    assert_eq!(
        rows,
        parse_csv(
            &ok(&["si", "sample", "--config", c, "--model", m, "--seed", "2"]),
            "x,y"
        )
    );
    let eval: serde_json::Value = serde_json::from_str(&ok(&[
        "si", "eval", "--config", c, "--model", m, "--n", "200",
    ]))
    .unwrap();
    for key in [
        "energy_distance",
        "energy_distance_floor",
        "log_likelihood",
        "log_likelihood_exact",
    ] {
        assert!(
            eval[key].as_f64().is_some_and(f64::is_finite),
            "{key} in {eval}"
        );
    }
    assert!(
        eval["inside_fraction"].is_null(),
        "only a checkerboard target has squares"
    );
    let points = dir.join("p.csv");
    std::fs::write(&points, "0.5,0.5\n").unwrap();
    let field = parse_csv(
        &ok(&[
            "si",
            "field",
            "--config",
            c,
            "--model",
            m,
            "--t",
            "0.5",
            "--points",
            points.to_str().unwrap(),
        ]),
        "bx,by,sx,sy",
    );
    assert_eq!(field[0], {
        let (b, s) = genlab::interpolant::sampler::Fields::eval(t.model(), 0.5, &[0.5, 0.5], true);
        vec![b[0], b[1], s[0], s[1]]
    });
}

#[test]
fn si_refuses_missing_corrupt_and_mismatched_weights() {
    let tmp = temp_dir("si-weights");
    let dir = tmp.path();
    let config = dir.join("c.json");
    std::fs::write(&config, TINY).unwrap();
    let c = config.to_str().unwrap();
    assert!(usage_error(&["si", "sample", "--config", c]).contains("a learned model needs --model"));
    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, b"definitely not safetensors").unwrap();
    assert!(usage_error(&[
        "si",
        "sample",
        "--config",
        c,
        "--model",
        bad.to_str().unwrap()
    ])
    .contains("not a valid safetensors"));
    let missing = dir.join("missing.safetensors");
    assert!(usage_error(&[
        "si",
        "sample",
        "--config",
        c,
        "--model",
        missing.to_str().unwrap()
    ])
    .contains("cannot read weights"));
    // weights of a wider network do not fit
    let wide = dir.join("wide.json");
    std::fs::write(&wide, TINY.replace(r#""width":16"#, r#""width":8"#)).unwrap();
    let m = dir.join("wide.safetensors");
    assert!(genlab(&[
        "si",
        "train",
        "--config",
        wide.to_str().unwrap(),
        "--out",
        m.to_str().unwrap()
    ])
    .status
    .success());
    assert!(usage_error(&[
        "si",
        "sample",
        "--config",
        c,
        "--model",
        m.to_str().unwrap()
    ])
    .contains("shape"));
}

#[test]
fn every_learned_preset_ships_weights_that_load() {
    for (name, _) in genlab::interpolant::presets::PRESETS {
        let cfg = genlab::interpolant::presets::preset(name).unwrap();
        if cfg.fields == genlab::interpolant::config::FieldsMode::Exact {
            continue;
        }
        let out = ok(&["si", "sample", "--preset", name, "--n", "50"]);
        assert_eq!(out.lines().count(), 51, "{name}");
    }
}

/// Training a preset again gives its shipped weights bit for bit (the mirror-point preset:
/// every matmul sums over at most 512 terms, so the bits do not depend on the CPU's caches), and
/// the command says so. A change to the training arithmetic fails this test.
#[test]
fn si_train_of_a_preset_reproduces_its_shipped_weights() {
    let tmp = temp_dir("si-reproduce");
    let dir = tmp.path();
    let out = dir.join("m.safetensors");
    let o = genlab(&[
        "si",
        "train",
        "--preset",
        "mirror-point",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shipped = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/www/models/si/mirror-point.safetensors"
    ))
    .unwrap();
    assert!(
        std::fs::read(&out).unwrap() == shipped,
        "the retrained weights differ from the shipped file"
    );
    assert!(
        stderr(&o).contains(
            "reproduced: the weights equal the shipped www/models/si/mirror-point.safetensors"
        ),
        "{}",
        stderr(&o)
    );
}

/// The authors' checkerboard of 8 squares of side 2 on [−4, 4]², computed independently.
fn in_checkerboard(p: &[f32]) -> bool {
    p[0].abs() < 4.0
        && p[1].abs() < 4.0
        && ((p[0] / 2.0).floor() as i64 + (p[1] / 2.0).floor() as i64).rem_euclid(2) == 0
}

/// The authors' settings put at least 95% of the SDE samples (5,000, seed 3: not the presets' own)
/// inside the squares, and the page's default preset, which looks like their figure, 97%.
#[test]
fn checkerboard_presets_put_their_share_of_sde_samples_in_the_squares() {
    for (preset, bar) in [("checkerboard-paper", 0.95), ("checkerboard", 0.97)] {
        let rows = parse_csv(
            &ok(&[
                "si", "sample", "--preset", preset, "--n", "5000", "--seed", "3",
            ]),
            "x,y",
        );
        assert_eq!(rows.len(), 5000);
        let inside = rows.iter().filter(|p| in_checkerboard(p)).count() as f64 / 5000.0;
        assert!(
            inside >= bar,
            "{preset}: {inside} of the SDE samples are inside the squares; the bar is {bar}"
        );
    }
}

// ---------------------------------------------------------------- halluc

#[test]
fn halluc_report_and_sample_with_the_exact_denoiser() {
    let tmp = temp_dir("halluc");
    let dir = tmp.path();
    let config = dir.join("c.json");
    std::fs::write(&config, r#"{"data":{"name":"modes-1d","modes":[1,2,3],"std":0.05},"schedule":{"steps":200},"n":300,"k":4}"#).unwrap();
    let c = config.to_str().unwrap();
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["halluc", "report", "--config", c, "--exact"])).unwrap();
    assert_eq!(report["samples"], 300);
    let rate = report["hallucinationRate"].as_f64().unwrap();
    assert!(
        rate < 0.02,
        "the exact denoiser hallucinates little: {rate}"
    );
    assert_eq!(report["rateByK"].as_array().unwrap().len(), 5);
    let rows = parse_csv(
        &ok(&["halluc", "sample", "--config", c, "--exact", "--seed", "4"]),
        "x,variance,hallucinated",
    );
    assert_eq!(rows.len(), 300);
    for r in &rows {
        assert!(r[1] >= 0.0 && (r[2] == 0.0 || r[2] == 1.0));
        let far = [1.0f32, 2.0, 3.0]
            .iter()
            .map(|m| (r[0] - m).abs())
            .fold(f32::INFINITY, f32::min)
            > 0.2;
        assert_eq!(
            r[2] == 1.0,
            far,
            "the label is the distance to the nearest mode beyond 4σ: {r:?}"
        );
    }
    assert!(usage_error(&["halluc", "report", "--config", c]).contains("--model"));
    std::fs::write(&config, r#"{"data":{"name":"two-moons"}}"#).unwrap();
    assert!(
        usage_error(&["halluc", "report", "--config", c, "--exact"]).contains("data: needs modes")
    );
}

#[test]
fn halluc_train_writes_weights_the_report_reads() {
    let tmp = temp_dir("halluc-train");
    let dir = tmp.path();
    let config = dir.join("c.json");
    std::fs::write(&config, r#"{"data":{"name":"modes-1d","modes":[1,2,3],"std":0.05},"trainSize":500,"schedule":{"steps":100},"train":{"width":16,"batch":64,"steps":20},"n":100}"#).unwrap();
    let (c, m) = (config.to_str().unwrap(), dir.join("m.safetensors"));
    let out = genlab(&[
        "halluc",
        "train",
        "--config",
        c,
        "--out",
        m.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("step 20/20"));
    // --init starts from those weights: both runs see the same first minibatch, and the
    // trained weights fit it better than a fresh network
    let first_loss = |out: &std::process::Output| -> f64 {
        let line = stderr(out)
            .lines()
            .find(|l| l.starts_with("step 1/20"))
            .unwrap()
            .to_string();
        line.split_whitespace().nth(3).unwrap().parse().unwrap()
    };
    let tuned = dir.join("tuned.safetensors");
    let again = genlab(&[
        "halluc",
        "train",
        "--config",
        c,
        "--out",
        tuned.to_str().unwrap(),
        "--init",
        m.to_str().unwrap(),
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        first_loss(&again) < first_loss(&out),
        "{} vs {}",
        first_loss(&again),
        first_loss(&out)
    );
    assert!(usage_error(&[
        "halluc",
        "train",
        "--config",
        c,
        "--out",
        tuned.to_str().unwrap(),
        "--init",
        c
    ])
    .contains("c.json"));
    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "halluc",
        "report",
        "--config",
        c,
        "--model",
        m.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(report["samples"], 100);
    std::fs::write(&m, b"junk").unwrap();
    assert!(usage_error(&[
        "halluc",
        "report",
        "--config",
        c,
        "--model",
        m.to_str().unwrap()
    ])
    .contains("not a valid safetensors"));
}

#[test]
fn halluc_presets_print_and_run_recursive_training() {
    let config: serde_json::Value =
        serde_json::from_str(&ok(&["halluc", "config", "--preset", "grid25"])).unwrap();
    assert_eq!(config["data"]["name"], "grid25");
    assert_eq!(config["schedule"]["steps"], 1000);
    assert!(ok(&["presets"]).contains("halluc\n  grid25 "));
    assert!(usage_error(&["halluc", "config", "--preset", "nope"]).contains("valid: grid25"));
    let tmp = temp_dir("halluc-recursive");
    let dir = tmp.path();
    let path = dir.join("c.json");
    std::fs::write(&path, r#"{"data":{"name":"modes-1d"},"trainSize":100,"schedule":{"steps":10},"train":{"width":8,"batch":16,"steps":5}}"#).unwrap();
    let c = path.to_str().unwrap();
    let lineages: serde_json::Value = serde_json::from_str(&ok(&[
        "halluc",
        "recursive",
        "--config",
        c,
        "--generations",
        "2",
    ]))
    .unwrap();
    let filters: Vec<&str> = lineages
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["filter"].as_str().unwrap())
        .collect();
    assert_eq!(filters, ["none", "variance", "random"]);
    assert!(lineages
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["hallucinationRate"].as_array().unwrap().len() == 2));
    // --filter runs some lines alone (in the usual order), each the same as in the full run
    let some: serde_json::Value = serde_json::from_str(&ok(&[
        "halluc",
        "recursive",
        "--config",
        c,
        "--generations",
        "2",
        "--filter",
        "random,variance",
    ]))
    .unwrap();
    assert_eq!(
        some.as_array().unwrap()[..],
        lineages.as_array().unwrap()[1..]
    );
    assert!(
        usage_error(&["halluc", "recursive", "--config", c, "--filter", "median"])
            .contains("possible values: none, variance, random")
    );
    assert!(
        usage_error(&["halluc", "recursive", "--config", c, "--generations", "0"])
            .contains("allowed 1 to 20")
    );
}

#[test]
fn metrics_infomec_agrees_with_scikit_learn() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/infomec");
    let s = dir.join("s.csv");
    for (latents, flag) in [("zc.csv", None), ("zd.csv", Some("--discrete"))] {
        let z = dir.join(latents);
        let mut args = vec![
            "metrics",
            "infomec",
            "--sources",
            s.to_str().unwrap(),
            "--latents",
            z.to_str().unwrap(),
        ];
        args.extend(flag);
        let ours: serde_json::Value = serde_json::from_str(&ok(&args)).unwrap();
        let kind = if flag.is_some() { "d" } else { "c" };
        let reference: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("expected-{kind}.json"))).unwrap(),
        )
        .unwrap();
        for key in ["infom", "infoe", "infoc"] {
            let (a, b) = (
                ours[key].as_f64().unwrap(),
                reference[key].as_f64().unwrap(),
            );
            assert!(
                (a - b).abs() < 1e-3,
                "{latents} {key}: ours {a}, scikit-learn {b}"
            );
        }
        let flat = |v: &serde_json::Value| {
            v.as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
                .collect::<Vec<_>>()
        };
        for (a, b) in flat(&ours["nmi"]).iter().zip(flat(&reference["nmi"])) {
            assert!(
                (a - b).abs() < 1e-3,
                "{latents} nmi: ours {a}, scikit-learn {b}"
            );
        }
    }
    let z = dir.join("zd.csv");
    assert!(usage_error(&[
        "metrics",
        "infomec",
        "--sources",
        z.to_str().unwrap(),
        "--latents",
        dir.join("generate.py").to_str().unwrap()
    ])
    .contains("generate.py"));
}

/// A closed stdout ends a command quietly (`genlab presets | head -c 1`): killed by SIGPIPE as
/// other Unix tools are, or done; never a panic with a backtrace (status 101).
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    for args in [
        &["presets"][..],
        &["halluc", "config", "--preset", "grid25"],
        &["si", "config", "--preset", "checkerboard"],
        &["data", "list"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // closed before the command writes
        let o = Command::new(env!("CARGO_BIN_EXE_genlab"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let quiet = o.status.success() || o.status.signal() == Some(13);
        assert!(quiet, "genlab {args:?}: {:?}: {}", o.status, stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

/// A diverging run fails with status 2 and a message naming the step, yet writes the last
/// good weights to --out (the guard restored them), and says so; they load and sample finitely.
#[test]
fn a_diverging_train_writes_the_last_good_weights() {
    let tmp = temp_dir("diverge");
    let dir = tmp.path();
    let config = dir.join("c.json");
    std::fs::write(
        &config,
        r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"eight-gaussians"},"model":{"width":16,"depth":2},
            "train":{"batch":64,"steps":200,"lr":10},"sampler":{"steps":10},"n":50}"#,
    )
    .unwrap();
    let out = dir.join("w.safetensors");
    let c = config.to_str().unwrap();
    let o = out.to_str().unwrap();
    let message = usage_error(&["si", "train", "--config", c, "--out", o]);
    assert!(message.contains("training diverged at step"), "{message}");
    assert!(message.contains(&format!("written to {o}")), "{message}");
    let samples = ok(&["si", "sample", "--config", c, "--model", o, "--n", "50"]);
    let values: Vec<f64> = samples
        .lines()
        .skip(1)
        .flat_map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()))
        .collect();
    assert_eq!(values.len(), 100);
    assert!(values.iter().all(|v| v.is_finite()), "{samples}");
}

/// The DDPM at lr 1 and QLAE at lr 10 blow up in their first steps; the DDPM's loss then
/// settles at what a network that learned nothing scores, which used to exit 0. Both now stop
/// with status 2 under the guard's rules and write the last good weights.
#[test]
fn hallucination_and_qlae_runs_report_divergence_and_write_weights() {
    let tmp = temp_dir("diverge-labs");
    for (lab, preset, lr) in [("halluc", "grid25", 1.0), ("qlae", "sprites-qlae", 10.0)] {
        let mut config: serde_json::Value =
            serde_json::from_str(&ok(&[lab, "config", "--preset", preset])).unwrap();
        config["train"]["lr"] = lr.into();
        config["train"]["steps"] = 200.into();
        config["train"]["batch"] = 64.into();
        let path = tmp.path().join(format!("{lab}.json"));
        std::fs::write(&path, config.to_string()).unwrap();
        let out = tmp.path().join(format!("{lab}.safetensors"));
        let (c, o) = (path.to_str().unwrap(), out.to_str().unwrap());
        let message = usage_error(&[lab, "train", "--config", c, "--out", o]);
        assert!(
            message.contains("training diverged at step"),
            "{lab}: {message}"
        );
        assert!(
            message.contains(&format!("written to {o}")),
            "{lab}: {message}"
        );
        assert!(out.exists(), "{lab}");
    }
}

/// A weights file over 1 GiB is refused before it is read, naming the limit (a 2 GiB file
/// used to be read whole and abort the CLI). The file is sparse: it takes no disk space.
#[test]
fn a_weights_file_over_the_limit_is_refused_before_reading() {
    let tmp = temp_dir("huge-weights");
    let path = tmp.path().join("huge.safetensors");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len((1 << 30) + 1).unwrap();
    let p = path.to_str().unwrap();
    let message = usage_error(&["si", "sample", "--preset", "checkerboard", "--model", p]);
    assert!(
        message.contains("a weights file may be at most 1073741824 (1 GiB)"),
        "{message}"
    );
}

/// Config and CSV files are refused by size before they are read, naming the limit (a config
/// path pointing at a huge file used to be read whole). The files are sparse.
#[test]
fn config_and_csv_files_over_their_limits_are_refused_before_reading() {
    let tmp = temp_dir("huge-text");
    let huge = |name: &str, len: u64| {
        let path = tmp.path().join(name);
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        path.to_str().unwrap().to_string()
    };
    let config = huge("c.json", (1 << 20) + 1);
    for args in [
        vec!["data", "sample", "--config", &config],
        vec!["si", "sample", "--config", &config],
        vec!["halluc", "train", "--config", &config, "--out", "x"],
    ] {
        let message = usage_error(&args);
        assert!(
            message.contains("a config file may be at most 1048576 (1 MiB)"),
            "{args:?}: {message}"
        );
    }
    let csv = huge("p.csv", (16 << 20) + 1);
    let message = usage_error(&["metrics", "infomec", "--sources", &csv, "--latents", &csv]);
    assert!(
        message.contains("a CSV file may be at most 16777216 (16 MiB)"),
        "{message}"
    );
}

/// `LAB train --config CONFIG --out OUT`.
fn train_args<'a>(lab: &'a str, config: &'a str, out: &'a str) -> [&'a str; 6] {
    [lab, "train", "--config", config, "--out", out]
}

/// A preset's config as a JSON value, with `edit` applied, written to `dir/name`.
fn edited_preset(
    dir: &std::path::Path,
    lab: &str,
    preset: &str,
    name: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> String {
    let mut config: serde_json::Value =
        serde_json::from_str(&ok(&[lab, "config", "--preset", preset])).unwrap();
    edit(&mut config);
    let path = dir.join(name);
    std::fs::write(&path, config.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

/// The issue's runs that exhausted memory (interpolants at batch 100,000, width 1,024, depth 8;
/// a QLAE of six 512-channel conv layers each way at 64×64, batch 4,096) are refused in one
/// line before they start, naming the estimate and what to lower; nothing is written.
#[test]
fn a_run_over_the_machines_memory_is_refused_before_it_starts() {
    let tmp = temp_dir("over-memory");
    let si = edited_preset(tmp.path(), "si", "checkerboard", "si.json", |c| {
        c["train"]["batch"] = 100_000.into();
        c["model"]["width"] = 1024.into();
        c["model"]["depth"] = 8.into();
    });
    let qlae = edited_preset(tmp.path(), "qlae", "sprites-qlae", "q.json", |c| {
        c["data"]["size"] = 64.into();
        c["encoder"]["channels"] = serde_json::json!([512, 512, 512, 512, 512, 512]);
        c["decoder"]["channels"] = serde_json::json!([512, 512, 512, 512, 512, 512]);
        c["train"]["batch"] = 4096.into();
    });
    let out = tmp.path().join("w.safetensors");
    for (lab, config, names) in [
        (
            "si",
            &si,
            "train.batch 100,000, model.width 1,024, model.depth 8",
        ),
        ("qlae", &qlae, "train.batch 4,096, data.size 64"),
    ] {
        let started = std::time::Instant::now();
        let line = usage_error(&train_args(lab, config, out.to_str().unwrap()));
        assert!(
            line.contains("this run needs about")
                && line.contains(names)
                && line.contains("--force"),
            "{line}"
        );
        assert!(
            started.elapsed().as_secs() < 5,
            "refused only after {:?}",
            started.elapsed()
        );
        assert!(!out.exists(), "{lab}: a refused run wrote weights");
    }
}

/// With `--force` past the estimate, an allocation the system refuses (here: an address-space
/// limit of 2 GB for a run that needs about 6) ends with one line and status 3, where it used
/// to abort with status 134.
#[test]
fn an_allocation_failure_is_a_message_and_status_3_not_an_abort() {
    let tmp = temp_dir("oom");
    let config = edited_preset(tmp.path(), "qlae", "sprites-qlae", "q.json", |c| {
        c["data"]["size"] = 64.into();
        c["encoder"]["channels"] = serde_json::json!([64, 64, 64]);
        c["decoder"]["channels"] = serde_json::json!([64, 64, 64]);
        c["train"]["batch"] = 128.into();
        c["train"]["steps"] = 3.into();
        c["evalSize"] = 20.into();
    });
    let out = tmp.path().join("w.safetensors");
    let run = |force: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 2000000 && exec \"$0\" qlae train --config {config} --out {} {force}",
                out.display()
            ))
            .arg(env!("CARGO_BIN_EXE_genlab"))
            .output()
            .unwrap()
    };
    let refused = run("");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("and this machine has 2.0 GB free"),
        "{}",
        stderr(&refused)
    );
    let forced = run("--force");
    let err = stderr(&forced);
    assert_eq!(forced.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with("genlab: out of memory: an allocation of"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!out.exists());
}

/// The peak memory of a few training steps, read from the child's high-water mark, against the
/// estimate: never above it, and at most twice below it. One config per lab, each a few
/// hundred MB, where the activations dominate.
#[cfg(target_os = "linux")]
#[test]
fn the_memory_estimate_bounds_the_measured_peak_within_2x() {
    use genlab::budget::Budget;
    let tmp = temp_dir("estimate");
    let dir = tmp.path();
    let si = edited_preset(dir, "si", "checkerboard", "si.json", |c| {
        c["train"]["batch"] = 4000.into();
        c["train"]["steps"] = 3.into();
        c["model"]["width"] = 256.into();
    });
    let halluc = edited_preset(dir, "halluc", "grid25", "h.json", |c| {
        c["train"]["batch"] = 4096.into();
        c["train"]["steps"] = 3.into();
        c["train"]["width"] = 256.into();
    });
    let qlae = edited_preset(dir, "qlae", "sprites-qlae", "q.json", |c| {
        c["encoder"]["channels"] = serde_json::json!([32, 32]);
        c["decoder"]["channels"] = serde_json::json!([32, 32]);
        c["encoder"]["dense"] = serde_json::json!([256]);
        c["decoder"]["dense"] = serde_json::json!([256]);
        c["train"]["steps"] = 3.into();
        c["evalSize"] = 20.into();
    });
    let read = |path: &str| std::fs::read_to_string(path).unwrap();
    let estimates = [
        (
            "si",
            &si,
            genlab::config::from_json::<genlab::interpolant::config::InterpolantConfig>(&read(&si))
                .unwrap()
                .estimate(),
        ),
        (
            "halluc",
            &halluc,
            genlab::config::from_json::<genlab::halluc::config::HallucConfig>(&read(&halluc))
                .unwrap()
                .estimate(),
        ),
        (
            "qlae",
            &qlae,
            genlab::config::from_json::<genlab::qlae::config::QlaeConfig>(&read(&qlae))
                .unwrap()
                .estimate(),
        ),
    ];
    for (lab, config, estimate) in estimates {
        let out = dir.join(format!("{lab}.safetensors"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_genlab"))
            .args(train_args(lab, config, out.to_str().unwrap()))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // VmHWM is the peak so far: the last reading before the child exits is its peak
        let status = format!("/proc/{}/status", child.id());
        let mut peak_kib = 0u64;
        while child.try_wait().unwrap().is_none() {
            if let Some(kib) = std::fs::read_to_string(&status).ok().and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
                line.split_whitespace().nth(1)?.parse().ok()
            }) {
                peak_kib = peak_kib.max(kib);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(out.exists(), "{lab}: training failed");
        let peak = peak_kib * 1024;
        assert!(
            peak <= estimate.bytes && estimate.bytes <= 2 * peak,
            "{lab}: estimated {} bytes, measured a peak of {peak}",
            estimate.bytes
        );
    }
}

/// A run that would take days says so within seconds: the first progress line comes after
/// about 2 s with the time left, not after the first twentieth of 10 million steps.
#[test]
fn a_long_run_says_how_long_it_will_take_within_seconds() {
    use std::io::BufRead;
    let tmp = temp_dir("long");
    let config = edited_preset(tmp.path(), "halluc", "grid25", "h.json", |c| {
        c["train"]["steps"] = 10_000_000.into();
    });
    let out = tmp.path().join("w.safetensors");
    let mut child = Command::new(env!("CARGO_BIN_EXE_genlab"))
        .args([
            "halluc",
            "train",
            "--config",
            &config,
            "--out",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let line = std::io::BufReader::new(child.stderr.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.starts_with("step ") && line.contains("/10000000"),
        "{line}"
    );
    assert!(
        line.contains("left") && (line.contains(" h left") || line.contains(" days left")),
        "{line}"
    );
    assert!(took.as_secs() < 10, "the first line came after {took:?}");
}

// ---------------------------------------------------------------- threads

/// `genlab` on `threads` threads: RAYON_NUM_THREADS for gemm, the convolutions and the sampler;
/// CANDLE_NUM_THREADS for candle's elementwise ops.
fn genlab_on(threads: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_genlab"));
    command
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env("CANDLE_NUM_THREADS", threads.to_string());
    command
}

/// Trains `lab` from `config` on `threads` threads and returns the weights file's bytes.
fn trained_bytes(lab: &str, config: &std::path::Path, threads: usize) -> Vec<u8> {
    let out = config.with_extension(format!("{threads}.safetensors"));
    let o = genlab_on(threads)
        .args([lab, "train", "--config"])
        .arg(config)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run genlab");
    assert!(o.status.success(), "{lab} train: {}", stderr(&o));
    std::fs::read(out).unwrap()
}

/// Work is split between threads by output, never inside a sum, so weights trained on one
/// thread and on three are the same bytes: an interpolant (candle's elementwise ops on its
/// threads), a QLAE conv net (convolutions split by sample) and a hallucination DDPM, whose
/// samples are also the same. gemm's own threads are checked in `tests/nn.rs`.
#[test]
fn trained_weights_do_not_depend_on_the_thread_count() {
    let tmp = temp_dir("threads");
    let configs = [
        (
            "si",
            r#"{"rho0":{"name":"gaussian","dim":2},"rho1":{"name":"checkerboard"},"model":{"width":256,"depth":3,"activation":"silu"},"train":{"batch":1024,"steps":4}}"#,
        ),
        (
            "qlae",
            r#"{"data":{"kind":"sprites","size":32,"scales":2,"orientations":2,"xPositions":4,"yPositions":4},"encoder":{"channels":[8,16],"dense":[32]},"decoder":{"channels":[16,8],"dense":[32]},"train":{"batch":16,"steps":3},"evalSize":32}"#,
        ),
        (
            "halluc",
            r#"{"data":{"name":"modes-1d","modes":[1,2,3],"std":0.05},"trainSize":500,"schedule":{"steps":100},"train":{"width":64,"batch":256,"steps":20},"n":100}"#,
        ),
    ];
    for (lab, json) in configs {
        let config = tmp.path().join(format!("{lab}.json"));
        std::fs::write(&config, json).unwrap();
        let one = trained_bytes(lab, &config, 1);
        assert!(
            one == trained_bytes(lab, &config, 3),
            "{lab}: weights differ between 1 and 3 threads"
        );
    }
    // sampling spreads its chunks over the threads: 1,200 samples are eight chunks
    let sampled = |threads: usize| {
        let o = genlab_on(threads)
            .args(["halluc", "sample", "--n", "1200", "--config"])
            .arg(tmp.path().join("halluc.json"))
            .arg("--model")
            .arg(tmp.path().join("halluc.1.safetensors"))
            .output()
            .expect("run genlab");
        assert!(o.status.success(), "halluc sample: {}", stderr(&o));
        o.stdout
    };
    assert!(
        sampled(1) == sampled(3),
        "halluc: samples differ between 1 and 3 threads"
    );
}
