//! Seeded fuzzing of what users send the core: weights files (truncations, bit flips, header
//! edits, extreme values) and configs (type swaps, extremes, deletions), a few hundred cases per
//! lab. A weights file must be refused with an error, or loaded and then give finite outputs; a
//! config must parse or be refused with an error naming the field that was changed (or the list
//! holding it). Never a panic. `make fuzz` runs many more cases (`GENLAB_FUZZ_CASES`).
use genlab::config::{from_json, ConfigError, Validate};
use genlab::lab::Lab;
use genlab::rng::Rng;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Cases per lab and kind: a few hundred in `make test`, more from `GENLAB_FUZZ_CASES`.
fn cases(default: usize) -> usize {
    std::env::var("GENLAB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn shipped(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/www/models/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// f32 values a corrupt or hostile file might hold.
const EXTREMES: [f32; 7] = [
    f32::MAX,
    -3e38,
    1e20,
    -1e10,
    f32::NAN,
    f32::INFINITY,
    f32::MIN_POSITIVE,
];

/// One mutation of a safetensors file: the 8-byte header length, the JSON header, then data.
fn mutate_weights(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let header = 8 + u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    match rng.below(6) {
        0 => b.truncate(rng.below(b.len())),
        1 => {
            let i = rng.below(b.len());
            b[i] ^= 1 << rng.below(8);
        }
        2 => {
            // a digit of the header (an offset or a shape) becomes another
            let digits: Vec<usize> = (8..header).filter(|&i| b[i].is_ascii_digit()).collect();
            let i = digits[rng.below(digits.len())];
            b[i] = b'0' + rng.below(10) as u8;
        }
        3 => {
            // an extreme value at an aligned place in the data
            let i = header + 4 * rng.below((b.len() - header) / 4);
            let v = EXTREMES[rng.below(EXTREMES.len())];
            b[i..i + 4].copy_from_slice(&v.to_le_bytes());
        }
        4 => {
            // the header length itself
            let v = [0u64, 1, u64::MAX, (b.len() as u64) * 2][rng.below(4)];
            b[..8].copy_from_slice(&v.to_le_bytes());
        }
        _ => {
            let i = rng.below(b.len());
            b.splice(i..i, (0..1 + rng.below(16)).map(|_| rng.below(256) as u8));
        }
    }
    b
}

/// Loads `n` mutations of `file` into `lab`; whatever loads must pass `outputs_finite`.
fn fuzz_weights<L: Lab>(lab: &mut L, file: &str, seed: u64, outputs_finite: impl Fn(&L) -> bool) {
    let original = shipped(file);
    let mut rng = Rng::new(seed);
    let (mut loaded, mut refused) = (0, 0);
    for case in 0..cases(200) {
        let bytes = mutate_weights(&original, &mut rng);
        match lab.load_weights(&bytes, 0) {
            Ok(()) => {
                loaded += 1;
                assert!(
                    outputs_finite(lab),
                    "{file} case {case}: loaded, but its outputs are not finite"
                );
            }
            Err(e) => {
                refused += 1;
                assert!(
                    !e.to_string().is_empty(),
                    "{file} case {case}: an empty message"
                );
            }
        }
    }
    // both branches are exercised, or the test checks less than it says
    assert!(
        loaded > 0 && refused > 0,
        "{file}: {loaded} loaded, {refused} refused"
    );
}

fn finite(v: &[f32]) -> bool {
    v.iter().all(|x| x.is_finite())
}

#[test]
fn mutated_interpolant_weights_are_refused_or_give_finite_fields() {
    use genlab::interpolant::{presets::preset, session::Session};
    let mut s = Session::new(preset("checkerboard").unwrap()).unwrap();
    let probe = Rng::new(9).uniform_vec(64, -4.0, 4.0);
    fuzz_weights(&mut s, "si/checkerboard.safetensors", 1, |s| {
        [0.0, 0.5, 1.0].iter().all(|&t| {
            let (b, _) = s.drift(t, &probe);
            finite(&b)
        })
    });
}

#[test]
fn mutated_hallucination_weights_are_refused_or_give_finite_noise() {
    use genlab::halluc::{presets::preset, session::Session};
    let mut config = preset("grid25").unwrap();
    config.train_size = 100;
    let mut s = Session::new(config.clone()).unwrap();
    let probe = Rng::new(9).uniform_vec(64, -3.0, 3.0);
    let steps = config.schedule.steps;
    fuzz_weights(&mut s, "halluc/grid25.safetensors", 2, |s| {
        let net = s.trainer().unwrap().sampling_net().unwrap();
        let net = net.freeze(steps).unwrap();
        [0, steps / 2, steps - 1]
            .iter()
            .all(|&t| finite(&net.infer(t, &probe).unwrap()))
    });
}

#[test]
fn mutated_qlae_weights_are_refused_or_give_finite_images() {
    use genlab::qlae::{presets::preset, session::Session};
    let mut config = preset("sprites-qlae").unwrap();
    config.eval_size = 20;
    let mut s = Session::new(config).unwrap();
    fuzz_weights(&mut s, "qlae/sprites-qlae.safetensors", 3, |s| {
        finite(&s.reconstructions(4).unwrap())
    });
}

/// Values a careless or hostile config might hold in place of a number.
fn odd_value(rng: &mut Rng) -> Value {
    let v = [
        "null",
        "true",
        "\"x\"",
        "[]",
        "{}",
        "-1",
        "0",
        "1e300",
        "-1e300",
        "1e20",
        "18446744073709551616",
        "0.5",
        "4294967296",
    ];
    serde_json::from_str(v[rng.below(v.len())]).unwrap()
}

/// Every leaf of `value` as (dotted path, value).
fn leaves(value: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{path}.{i}"), out);
            }
        }
        _ => out.push((path, value.clone())),
    }
}

fn set(value: &mut Value, path: &str, new: Option<Value>) {
    let (parent, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    let mut at = value;
    for key in parent.split('.').filter(|k| !k.is_empty()) {
        at = match at {
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            other => &mut other[key],
        };
    }
    match (at, new) {
        (Value::Object(map), None) => {
            map.remove(last);
        }
        (Value::Object(map), Some(v)) => {
            map.insert(last.to_string(), v);
        }
        (Value::Array(items), Some(v)) => items[last.parse::<usize>().unwrap()] = v,
        (Value::Array(items), None) => {
            items.remove(last.parse::<usize>().unwrap());
        }
        _ => unreachable!("{path}"),
    }
}

/// Mutates one numeric leaf of each preset's config at a time: a config that parses must
/// validate, and a refused one must name a field (the changed one when it holds no number).
fn fuzz_config<C: DeserializeOwned + Validate + serde::Serialize>(configs: Vec<C>, seed: u64) {
    let mut rng = Rng::new(seed);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases(300) {
        let mut value = serde_json::to_value(&configs[rng.below(configs.len())]).unwrap();
        let mut all = vec![];
        leaves(&value, String::new(), &mut all);
        let numbers: Vec<_> = all.into_iter().filter(|(_, v)| v.is_number()).collect();
        let (path, _) = &numbers[rng.below(numbers.len())];
        let (new, deleted) = match rng.below(5) {
            0 => (None, true),
            _ => (Some(odd_value(&mut rng)), false),
        };
        let not_a_number = new.as_ref().is_some_and(|v| !v.is_number());
        set(&mut value, path, new);
        let json = value.to_string();
        match from_json::<C>(&json) {
            Ok(config) => {
                accepted += 1;
                config.validate().unwrap();
            }
            Err(ConfigError { field, message }) => {
                refused += 1;
                assert!(!message.is_empty(), "case {case}: {json}");
                // the changed field, or the list holding it (serde names a list, not its item)
                let names_it = field == *path || path.starts_with(&format!("{field}."));
                if not_a_number && !deleted {
                    assert!(
                        names_it && !field.is_empty(),
                        "case {case}: {path} changed, {field}: {message}\n{json}"
                    );
                }
            }
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn mutated_interpolant_configs_parse_or_name_the_field() {
    use genlab::interpolant::presets::{preset, PRESETS};
    fuzz_config(PRESETS.iter().map(|(n, _)| preset(n).unwrap()).collect(), 4);
}

#[test]
fn mutated_hallucination_configs_parse_or_name_the_field() {
    use genlab::halluc::presets::{preset, PRESETS};
    fuzz_config(PRESETS.iter().map(|(n, _)| preset(n).unwrap()).collect(), 5);
}

#[test]
fn mutated_qlae_configs_parse_or_name_the_field() {
    use genlab::qlae::presets::{preset, PRESETS};
    fuzz_config(PRESETS.iter().map(|(n, _)| preset(n).unwrap()).collect(), 6);
}
