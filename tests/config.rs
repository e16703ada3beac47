//! Config loading (`genlab::config::from_json::<DataConfig>`): defaults are filled, unknown
//! keys ignored, and every rejected value gives an error whose `field` is the dotted path of
//! the offending key and whose message states what is allowed.
use genlab::config::{from_json, ConfigError, CONFIG_VERSION};
use genlab::data::gmm::Component;
use genlab::data::library::DatasetConfig;
use genlab::data::session::DataConfig;

fn load(json: &str) -> Result<DataConfig, ConfigError> {
    from_json::<DataConfig>(json)
}

fn ok(json: &str) -> DataConfig {
    load(json).unwrap_or_else(|e| panic!("{json} should load, got error {e}"))
}

fn err(json: &str) -> ConfigError {
    match load(json) {
        Ok(c) => panic!("{json} should be rejected, loaded as {c:?}"),
        Err(e) => e,
    }
}

/// A gmm config JSON with the given components array.
fn gmm(components: &str) -> String {
    format!(r#"{{"dataset":{{"name":"gmm","components":{components}}}}}"#)
}

#[test]
fn missing_keys_get_their_defaults() {
    let c = ok(r#"{"dataset":{"name":"two-moons"}}"#);
    assert_eq!(c.version, 1);
    assert_eq!(c.version, CONFIG_VERSION);
    assert_eq!(c.n, 2000);
    assert_eq!(c.seed, 0);
    assert_eq!(c.dataset, DatasetConfig::TwoMoons { noise: 0.1 });
}

#[test]
fn dataset_parameter_defaults_match_the_catalog() {
    for entry in DatasetConfig::catalog() {
        let name = entry.defaults.name();
        if name == "gmm" || name == "gaussian" {
            continue; // gmm has no default components; gaussian's catalog has two dims
        }
        let c = ok(&format!(r#"{{"dataset":{{"name":"{name}"}}}}"#));
        assert_eq!(
            c.dataset, entry.defaults,
            "defaults of {name} filled by serde differ from the catalog's"
        );
    }
    assert_eq!(
        ok(r#"{"dataset":{"name":"gaussian"}}"#).dataset,
        DatasetConfig::Gaussian { dim: 2 }
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let c = ok(
        r#"{"dataset":{"name":"two-moons","noise":0.2,"colour":"red"},"n":5,"theme":"dark","extra":{"a":[1,2]}}"#,
    );
    assert_eq!(c.dataset, DatasetConfig::TwoMoons { noise: 0.2 });
    assert_eq!(c.n, 5);
    let c = ok(r#"{"dataset":{"name":"checkerboard","noise":0.3},"future":true}"#);
    assert_eq!(c.dataset, DatasetConfig::Checkerboard);
}

#[test]
fn zero_samples_is_rejected_naming_n_and_its_range() {
    let e = err(r#"{"dataset":{"name":"two-moons"},"n":0}"#);
    assert_eq!(e.field, "n");
    assert!(
        e.message.contains("1 to 1000000"),
        "message `{}` should state the range 1 to 1000000",
        e.message
    );
    assert!(
        e.to_string().starts_with("n: "),
        "display `{e}` should start with the field"
    );
}

#[test]
fn too_many_samples_is_rejected_and_the_maximum_accepted() {
    assert_eq!(
        err(r#"{"dataset":{"name":"two-moons"},"n":1000001}"#).field,
        "n"
    );
    assert_eq!(
        ok(r#"{"dataset":{"name":"two-moons"},"n":1000000}"#).n,
        1_000_000
    );
    assert_eq!(ok(r#"{"dataset":{"name":"two-moons"},"n":1}"#).n, 1);
}

#[test]
fn seed_of_two_to_the_32_is_rejected_naming_seed() {
    let e = err(r#"{"dataset":{"name":"two-moons"},"seed":4294967296}"#);
    assert_eq!(e.field, "seed");
    assert!(
        e.message.contains("4294967295"),
        "message `{}` should state the largest seed",
        e.message
    );
    assert_eq!(
        ok(r#"{"dataset":{"name":"two-moons"},"seed":4294967295}"#).seed,
        u32::MAX as u64
    );
}

#[test]
fn negative_noise_is_rejected_naming_dataset_noise() {
    let e = err(r#"{"dataset":{"name":"two-moons","noise":-1}}"#);
    assert_eq!(e.field, "dataset.noise");
    let e = err(r#"{"dataset":{"name":"two-spirals","noise":0}}"#);
    assert_eq!(
        e.field, "dataset.noise",
        "zero noise is not a positive scale"
    );
}

/// The field path of a dataset error must start with `dataset.` (src/data/library.rs wraps the
/// match in `.map_err(|e| e.within("dataset"))`, which an early `?` or `return` skips).
fn assert_field(e: &ConfigError, expect: &str) {
    assert_eq!(
        e.field, expect,
        "error `{e}` should name the field `{expect}` (full dotted path from the config root)"
    );
}

#[test]
fn zero_component_std_is_rejected_naming_the_entry() {
    let e = err(&gmm(r#"[{"weight":1,"mean":[0,0],"std":[0,1]}]"#));
    assert_field(&e, "dataset.components[0].std[0]");
    let e = err(&gmm(
        r#"[{"weight":1,"mean":[0,0],"std":[1,1]},{"weight":1,"mean":[0,0],"std":[1,0]}]"#,
    ));
    assert_field(&e, "dataset.components[1].std[1]");
}

#[test]
fn mismatched_mean_lengths_are_rejected_naming_the_component() {
    let e = err(&gmm(
        r#"[{"weight":1,"mean":[0,0],"std":[1,1]},{"weight":1,"mean":[0],"std":[1]}]"#,
    ));
    assert_field(&e, "dataset.components[1]");
    let e = err(&gmm(r#"[{"weight":1,"mean":[0,0],"std":[1]}]"#));
    assert_field(&e, "dataset.components[0]");
}

#[test]
fn other_gmm_mistakes_are_rejected() {
    assert_field(&err(&gmm("[]")), "dataset.components");
    assert_field(
        &err(&gmm(r#"[{"weight":0,"mean":[0],"std":[1]}]"#)),
        "dataset.components",
    );
    assert_field(
        &err(&gmm(r#"[{"weight":-1,"mean":[0],"std":[1]}]"#)),
        "dataset.components[0].weight",
    );
    assert_field(
        &err(&gmm(r#"[{"weight":1,"mean":[0,0,0],"std":[1,1,1]}]"#)),
        "dataset.components[0].mean",
    );
    assert_field(
        &err(&gmm(r#"[{"weight":1,"mean":[0,5000],"std":[1,1]}]"#)),
        "dataset.components[0].mean[1]",
    );
}

#[test]
fn list_parameter_errors_of_other_datasets_are_prefixed_with_dataset() {
    assert_field(
        &err(r#"{"dataset":{"name":"rings","radii":[1,0]}}"#),
        "dataset.radii[1]",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"rings","radii":[]}}"#),
        "dataset.radii",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"modes-1d","modes":[]}}"#),
        "dataset.modes",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"modes-1d","modes":[1,2000]}}"#),
        "dataset.modes[1]",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"points","points":[[0,5000]]}}"#),
        "dataset.points[0][1]",
    );
}

#[test]
fn scalar_parameter_errors_are_prefixed_with_dataset() {
    assert_field(
        &err(r#"{"dataset":{"name":"rings","noise":0}}"#),
        "dataset.noise",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"modes-1d","std":-1}}"#),
        "dataset.std",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"points","points":[[0,0]],"jitter":0}}"#),
        "dataset.jitter",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"grid25","std":2}}"#),
        "dataset.std",
    );
    assert_field(
        &err(r#"{"dataset":{"name":"gaussian","dim":3}}"#),
        "dataset.dim",
    );
}

#[test]
fn wrong_type_names_the_field() {
    let e = err(r#"{"dataset":{"name":"two-moons"},"n":"many"}"#);
    assert_eq!(e.field, "n");
    assert!(
        e.message.contains("invalid type"),
        "message `{}`",
        e.message
    );
    assert!(
        !e.message.contains(" at line "),
        "message `{}` should not carry a JSON position",
        e.message
    );
}

#[test]
fn wrong_type_inside_the_dataset_names_the_parameter() {
    // src/config.rs documents exactly this case: `dataset.noise: invalid type: string "a", expected f32`
    let e = err(r#"{"dataset":{"name":"two-moons","noise":"a"}}"#);
    assert!(
        e.message.contains("invalid type"),
        "message `{}`",
        e.message
    );
    assert_field(&e, "dataset.noise");
}

#[test]
fn wrong_type_in_a_dataset_list_names_the_list() {
    let e = err(r#"{"dataset":{"name":"rings","radii":[1,"a"],"noise":0.1}}"#);
    assert_field(&e, "dataset.radii");
    let e = err(r#"{"dataset":{"name":"gmm","components":[{"weight":"x","mean":[0],"std":[1]}]}}"#);
    assert!(
        e.field.starts_with("dataset.components"),
        "error `{e}` should point into dataset.components"
    );
}

#[test]
fn wrong_type_at_top_level_is_not_blamed_on_the_dataset() {
    for (json, field) in [
        (
            r#"{"dataset":{"name":"two-moons","noise":0.2},"n":"many"}"#,
            "n",
        ),
        (r#"{"dataset":{"name":"two-moons"},"seed":-1}"#, "seed"),
        (
            r#"{"version":"one","dataset":{"name":"two-moons"}}"#,
            "version",
        ),
        (r#"{"n":2.5,"dataset":{"name":"checkerboard"}}"#, "n"),
    ] {
        assert_field(&err(json), field);
    }
}

#[test]
fn invalid_json_is_an_error_without_a_field() {
    let e = err(r#"{"dataset":{"name":"two-moons""#);
    assert_eq!(e.field, "");
    assert!(e.message.contains("JSON"), "message `{}`", e.message);
}

#[test]
fn unknown_dataset_names_the_bad_name_and_valid_ones() {
    let e = err(r#"{"dataset":{"name":"spiral-galaxy"}}"#);
    assert!(
        e.message.contains("spiral-galaxy"),
        "message `{}` should mention the bad name",
        e.message
    );
    assert!(
        e.message.contains("checkerboard"),
        "message `{}` should list the valid names",
        e.message
    );
}

#[test]
fn missing_dataset_is_an_error() {
    let e = err(r#"{"n":10}"#);
    assert!(
        e.message.contains("dataset"),
        "message `{}` should name the missing key",
        e.message
    );
}

#[test]
fn unknown_versions_are_rejected_naming_version() {
    for v in [0u32, 2, 99] {
        let e = err(&format!(
            r#"{{"version":{v},"dataset":{{"name":"two-moons"}}}}"#
        ));
        assert_eq!(e.field, "version", "version {v}");
        assert!(
            e.message.contains(&v.to_string()),
            "message `{}` should repeat the version",
            e.message
        );
    }
    assert_eq!(
        ok(r#"{"version":1,"dataset":{"name":"two-moons"}}"#).version,
        1
    );
}

#[test]
fn validated_configs_round_trip_through_json() {
    let configs = [
        r#"{"dataset":{"name":"two-moons","noise":0.37},"n":123,"seed":77}"#,
        r#"{"dataset":{"name":"checkerboard"}}"#,
        r#"{"dataset":{"name":"gmm","components":[{"weight":1,"mean":[-2,0],"std":[0.5,0.5]},{"weight":3,"mean":[1,2],"std":[0.3,0.8]}]},"seed":4294967295}"#,
        r#"{"dataset":{"name":"points","points":[[0.1,0.2],[-0.3,0.4]],"jitter":0.01}}"#,
        r#"{"dataset":{"name":"rings","radii":[0.7,1.9],"noise":0.123}}"#,
        r#"{"dataset":{"name":"modes-1d","modes":[-1.5,0.25,3],"std":0.2}}"#,
        r#"{"dataset":{"name":"gaussian","dim":1},"n":1000000}"#,
    ];
    for json in configs {
        let c = ok(json);
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(ok(&text), c, "{json} → {text} does not load back equal");
    }
}

#[test]
fn every_catalog_default_round_trips_through_json() {
    for entry in DatasetConfig::catalog() {
        let c = DataConfig {
            dataset: entry.defaults.clone(),
            ..DataConfig::default()
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(
            ok(&text),
            c,
            "catalog entry {}: {text} does not load back equal",
            entry.name
        );
    }
}

#[test]
fn serialized_keys_are_camel_case_tagged_by_name() {
    let c = DataConfig {
        dataset: DatasetConfig::Gmm {
            components: vec![Component {
                weight: 1.0,
                mean: vec![0.0],
                std: vec![1.0],
            }],
        },
        ..DataConfig::default()
    };
    let v: serde_json::Value = serde_json::to_value(&c).unwrap();
    assert_eq!(v["dataset"]["name"], "gmm");
    assert_eq!(v["version"], CONFIG_VERSION);
    let v = serde_json::to_value(DatasetConfig::EightGaussians { std: 0.5 }).unwrap();
    assert_eq!(v["name"], "eight-gaussians");
}

/// A QLAE dataset is tagged by `kind`; a bad parameter is named, not the tag (it named
/// `data.kind` for every one of them).
#[test]
fn a_bad_qlae_dataset_parameter_is_named_not_its_tag() {
    use genlab::qlae::config::QlaeConfig;
    for (json, field) in [
        (r#"{"data":{"kind":"sprites","size":"x"}}"#, "data.size"),
        (
            r#"{"data":{"kind":"sprites","xPositions":[1]}}"#,
            "data.xPositions",
        ),
        (
            r#"{"data":{"kind":"shapes3d","wallHues":-1}}"#,
            "data.wallHues",
        ),
    ] {
        let e = from_json::<QlaeConfig>(json).unwrap_err();
        assert_eq!(e.field, field, "{json}: {e}");
    }
}

/// A whole number too large for its field is "out of range", not serde's "invalid type".
#[test]
fn a_number_too_large_for_its_field_is_out_of_range() {
    let e = err(r#"{"dataset":{"name":"checkerboard"},"n":1e100}"#);
    assert_eq!(e.field, "n");
    assert_eq!(
        e.message,
        "1e+100 is out of range: too large for a whole number"
    );
    // a fraction is still a type error
    let e = err(r#"{"dataset":{"name":"checkerboard"},"n":2.5}"#);
    assert!(e.message.contains("invalid type: floating point"), "{e}");
}
