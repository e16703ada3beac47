//! The shipped hallucination presets (`www/models/halluc/`): every weights file loads and samples,
//! and the trained 2D models interpolate the way the paper reports: hallucinations lie on
//! segments between modes, and on the diamond lattice between nearest neighbours only.
use genlab::halluc::presets::{preset, PRESETS};
use genlab::halluc::session::Session;
use std::path::PathBuf;

/// The preset's session with its shipped weights, after sampling `n` chains.
fn shipped(name: &str, n: usize) -> Session {
    let mut config = preset(name).unwrap();
    config.n = n;
    let steps = config.train.steps;
    let mut session = Session::new(config).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("www/models/halluc/{name}.safetensors"));
    session.load_weights(&std::fs::read(&path).unwrap(), steps).unwrap();
    session.sample_all().unwrap();
    session
}

/// For each hallucinated sample near the segment between its two nearest modes (within 30% of
/// their distance): whether those two modes are nearest neighbours on the lattice. Also returns
/// how many hallucinated samples there were.
fn segments(s: &Session) -> (usize, Vec<bool>) {
    let modes: Vec<[f32; 2]> = s.data.components.iter().map(|c| [c.mean[0], c.mean[1]]).collect();
    let dist = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let spacing = modes.iter().enumerate().flat_map(|(i, a)| modes[i + 1..].iter().map(move |b| dist(*a, *b))).fold(f32::INFINITY, f32::min);
    let labels = s.labels();
    let mut out = vec![];
    for (p, _) in s.run.samples.chunks_exact(2).zip(&labels).filter(|(_, h)| **h) {
        let p = [p[0], p[1]];
        let mut order: Vec<usize> = (0..modes.len()).collect();
        order.sort_by(|i, j| dist(p, modes[*i]).total_cmp(&dist(p, modes[*j])));
        let (a, b) = (modes[order[0]], modes[order[1]]);
        let ab = dist(a, b);
        let t = ((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / (ab * ab);
        let foot = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        if (0.0..=1.0).contains(&t) && dist(p, foot) < 0.3 * ab {
            out.push(ab < 1.1 * spacing);
        }
    }
    (labels.iter().filter(|h| **h).count(), out)
}

#[test]
fn every_shipped_preset_loads_and_samples() {
    for (name, _) in PRESETS {
        let s = shipped(name, 30);
        assert_eq!(s.run.variance.len(), 30, "{name}");
        assert!(s.run.samples.iter().chain(&s.run.variance).all(|v| v.is_finite()), "{name}");
    }
}

#[test]
fn the_grid_model_hallucinates_between_neighbouring_modes() {
    let s = shipped("grid25", 2000);
    let (hallucinated, on_segments) = segments(&s);
    let rate = hallucinated as f64 / 2000.0;
    let neighbours = on_segments.iter().filter(|n| **n).count();
    eprintln!("grid25: {hallucinated} hallucinated ({:.1}%), {} near a segment, {neighbours} of them between neighbours", 100.0 * rate, on_segments.len());
    assert!(rate > 0.01, "hallucination rate {rate}: the exact denoiser's is 0");
    assert!(on_segments.len() as f64 >= 0.7 * hallucinated as f64, "most hallucinations lie between two modes");
}

#[test]
fn the_diamond_model_interpolates_only_between_nearest_neighbours() {
    let s = shipped("diamond25", 2000);
    let (hallucinated, on_segments) = segments(&s);
    let neighbours = on_segments.iter().filter(|n| **n).count();
    eprintln!("diamond25: {hallucinated} hallucinated, {} near a segment, {neighbours} of them between nearest neighbours", on_segments.len());
    assert!(on_segments.len() >= 10, "enough interpolated samples to judge");
    assert!(neighbours as f64 >= 0.9 * on_segments.len() as f64, "{neighbours} of {}", on_segments.len());
}
