//! The shipped hallucination presets (`www/models/halluc/`): every weights file loads and samples,
//! and the trained 2D models interpolate the way the paper reports: hallucinations lie on
//! segments between modes, and on the diamond lattice between nearest neighbours only; on the
//! grid the trajectory variance reaches the paper's headline.
use genlab::halluc::presets::{preset, PRESETS};
use genlab::halluc::session::Session;
use genlab::lab::Lab;
use std::path::PathBuf;

/// The preset's session with its shipped weights, after sampling `n` chains.
fn shipped(name: &str, n: usize) -> Session {
    let mut config = preset(name).unwrap();
    config.n = n;
    let steps = config.train.steps;
    let mut session = Session::new(config).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("www/models/halluc/{name}.safetensors"));
    session
        .load_weights(&std::fs::read(&path).unwrap(), steps)
        .unwrap();
    session.sample_all().unwrap();
    session
}

/// For each point lying near a segment between two modes at most 1.5 lattice spacings apart
/// (nearest neighbours, or the lattice's diagonal pairs): whether the nearest such segment joins
/// nearest neighbours. Near means within 0.3 spacings, the foot of the perpendicular on the segment.
fn on_neighbour_segments(points: &[[f32; 2]], modes: &[[f32; 2]]) -> Vec<bool> {
    let dist = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let spacing = modes
        .iter()
        .enumerate()
        .flat_map(|(i, a)| modes[i + 1..].iter().map(move |b| dist(*a, *b)))
        .fold(f32::INFINITY, f32::min);
    let pairs: Vec<([f32; 2], [f32; 2])> = modes
        .iter()
        .enumerate()
        .flat_map(|(i, a)| modes[i + 1..].iter().map(move |b| (*a, *b)))
        .filter(|(a, b)| dist(*a, *b) < 1.5 * spacing)
        .collect();
    points
        .iter()
        .filter_map(|p| {
            let (d, ab) = pairs
                .iter()
                .filter_map(|(a, b)| {
                    let ab = dist(*a, *b);
                    let t =
                        ((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / (ab * ab);
                    let foot = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
                    (0.0..=1.0).contains(&t).then(|| (dist(*p, foot), ab))
                })
                .min_by(|x, y| x.0.total_cmp(&y.0))?;
            (d < 0.3 * spacing).then_some(ab < 1.1 * spacing)
        })
        .collect()
}

/// The share on nearest-neighbour segments, for the hallucinated samples and for uniform points
/// over the lattice patch the modes span (the chance level of the same classification).
fn neighbour_shares(s: &Session) -> (usize, usize, f64, f64) {
    let modes: Vec<[f32; 2]> = s
        .data()
        .components
        .iter()
        .map(|c| [c.mean[0], c.mean[1]])
        .collect();
    let hallucinated: Vec<[f32; 2]> = s
        .run()
        .samples
        .chunks_exact(2)
        .zip(s.labels())
        .filter(|(_, h)| *h)
        .map(|(p, _)| [p[0], p[1]])
        .collect();
    let share = |v: &[bool]| v.iter().filter(|n| **n).count() as f64 / v.len().max(1) as f64;
    let model = on_neighbour_segments(&hallucinated, &modes);
    // both layouts list mode (i, j), i, j ∈ −2..2, at index 5(i + 2) + (j + 2): the lattice basis
    // is u = m[5] − m[0], v = m[1] − m[0] and the centre m[12]
    let (u, v, o) = (
        [modes[5][0] - modes[0][0], modes[5][1] - modes[0][1]],
        [modes[1][0] - modes[0][0], modes[1][1] - modes[0][1]],
        modes[12],
    );
    let mut rng = genlab::rng::Rng::new(0);
    let uniform: Vec<[f32; 2]> = (0..20_000)
        .map(|_| {
            let (a, b) = (rng.uniform_in(-2.0, 2.0), rng.uniform_in(-2.0, 2.0));
            [o[0] + a * u[0] + b * v[0], o[1] + a * u[1] + b * v[1]]
        })
        .collect();
    (
        hallucinated.len(),
        model.len(),
        share(&model),
        share(&on_neighbour_segments(&uniform, &modes)),
    )
}

#[test]
fn every_shipped_preset_loads_and_samples() {
    for (name, _) in PRESETS {
        let s = shipped(name, 30);
        assert_eq!(s.run().variance.len(), 30, "{name}");
        assert!(
            s.run()
                .samples
                .iter()
                .chain(&s.run().variance)
                .all(|v| v.is_finite()),
            "{name}"
        );
    }
}

/// The shipped grid model on 10,000 chains (seed 0): it hallucinates, between neighbouring
/// modes, and the paper's headline holds at its window (K = 5): a threshold on the trajectory
/// variance removes ≥ 95% of the hallucinations while keeping ≥ 96% of the in-support samples,
/// counted here from the samples themselves at the report's best threshold.
#[test]
fn the_grid_model_hallucinates_between_neighbouring_modes_and_the_variance_catches_them() {
    let n = 10_000;
    let s = shipped("grid25", n);
    let (hallucinated, near, share, chance) = neighbour_shares(&s);
    let rate = hallucinated as f64 / n as f64;
    eprintln!("grid25: {hallucinated} hallucinated ({:.1}%), {near} near a segment, {:.0}% of them between nearest neighbours (chance {:.0}%)", 100.0 * rate, 100.0 * share, 100.0 * chance);
    assert!(
        rate > 0.005,
        "hallucination rate {rate}: the exact denoiser's is 0"
    );
    assert!(
        near as f64 >= 0.9 * hallucinated as f64,
        "most hallucinations lie between two modes"
    );
    assert!(share > chance + 0.2, "{share} vs chance {chance}");

    let tau = s.report().best.expect("both labels occur").threshold;
    let labels = s.labels();
    let count = |hallucinated: bool, removed: bool| {
        s.run()
            .variance
            .iter()
            .zip(&labels)
            .filter(|(v, h)| **h == hallucinated && (**v > tau) == removed)
            .count() as f64
    };
    let removed = count(true, true) / (count(true, true) + count(true, false));
    let kept = count(false, false) / (count(false, false) + count(false, true));
    eprintln!("grid25 at K = {}: τ = {tau:.3e} removes {:.1}% of hallucinations, keeps {:.1}% of in-support samples", s.config().window, 100.0 * removed, 100.0 * kept);
    assert!(
        removed >= 0.95 && kept >= 0.96,
        "the paper's headline: removed {removed}, kept {kept}"
    );
}

#[test]
fn the_diamond_model_interpolates_mostly_between_nearest_neighbours() {
    let s = shipped("diamond25", 2000);
    let (hallucinated, near, share, chance) = neighbour_shares(&s);
    eprintln!("diamond25: {hallucinated} hallucinated, {near} near a segment, {:.0}% of them between nearest neighbours (chance {:.0}%)", 100.0 * share, 100.0 * chance);
    assert!(near >= 20, "enough interpolated samples to judge");
    assert!(share > chance + 0.2, "{share} vs chance {chance}");
}

/// The shipped recursive-training result (`www/models/halluc/1d-1245-recursive.lineages.json`,
/// the output of `genlab halluc recursive --preset 1d-1245-recursive`): the three filters from one
/// shared generation 0, and the paper's finding, the variance filter ending below the random one.
#[test]
fn the_shipped_recursive_result_has_the_variance_filter_below_the_random_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("www/models/halluc/1d-1245-recursive.lineages.json");
    let lineages: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rates = |i: usize| -> Vec<f64> {
        lineages[i]["hallucinationRate"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_f64().unwrap())
            .collect()
    };
    let filters: Vec<&str> = lineages
        .iter()
        .map(|l| l["filter"].as_str().unwrap())
        .collect();
    assert_eq!(filters, ["none", "variance", "random"]);
    let (none, variance, random) = (rates(0), rates(1), rates(2));
    assert_eq!(none.len(), 5, "the paper's five generations");
    assert!(variance.len() == 5 && random.len() == 5);
    assert!(
        none[0] == variance[0] && none[0] == random[0],
        "generation 0 is shared"
    );
    assert!(none
        .iter()
        .chain(&variance)
        .chain(&random)
        .all(|r| (0.0..=1.0).contains(r)));
    eprintln!(
        "hallucinated per generation: none {none:?}, variance {variance:?}, random {random:?}"
    );
    assert!(
        variance[4] < random[4],
        "variance filter {} against random {} at generation 4",
        variance[4],
        random[4]
    );
}
