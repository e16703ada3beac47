//! Each dataset sampler against its definition (the doc comments in `src/data/*.rs`).
//!
//! Moments are checked against closed forms with fixed seeds and 200,000 draws; a moment
//! passes when it lies within 5 standard errors, the standard error estimated from the same
//! sample (for a variance, from the fourth central moment). Log-densities are checked to
//! integrate to 1, against formulas written out by hand, and against the sampler's own
//! histogram. `DataSession` is checked for chunking, seeding and counting.
use genlab::config::from_json;
use genlab::data::checkerboard::Checkerboard;
use genlab::data::density_grid::density_grid;
use genlab::data::gmm::{Component, GaussianMixture};
use genlab::data::library::DatasetConfig;
use genlab::data::session::{DataConfig, DataSession};
use genlab::data::Density;
use genlab::rng::Rng;
use std::f64::consts::PI;

mod common;
use common::*;

const N: usize = 200_000;

// ---------------------------------------------------------------- helpers

fn build(cfg: &DatasetConfig) -> Box<dyn Density> {
    cfg.build()
        .unwrap_or_else(|e| panic!("{cfg:?} does not build: {e}"))
}

/// `n` points of `cfg` from `Rng::new(seed)`, row-major.
fn draw(cfg: &DatasetConfig, n: usize, seed: u64) -> Vec<f32> {
    build(cfg).sample(n, &mut Rng::new(seed))
}

/// Coordinate `k` of every row, in f64.
fn column(points: &[f32], dim: usize, k: usize) -> Vec<f64> {
    points.chunks_exact(dim).map(|p| p[k] as f64).collect()
}

/// |x|² of every row, in f64.
fn sq_norms(points: &[f32], dim: usize) -> Vec<f64> {
    points
        .chunks_exact(dim)
        .map(|p| p.iter().map(|v| (*v as f64).powi(2)).sum())
        .collect()
}

fn assert_mean(label: &str, xs: &[f64], expect: f64) {
    assert_within(&format!("{label} mean"), mean(xs), expect, se_mean(xs));
}

fn assert_variance(label: &str, xs: &[f64], expect: f64) {
    assert_within(
        &format!("{label} variance"),
        variance(xs),
        expect,
        se_variance(xs),
    );
}

/// A count out of `n` that should be Binomial(n, p).
fn assert_count(label: &str, count: usize, n: usize, p: f64) {
    let se = (n as f64 * p * (1.0 - p)).sqrt();
    assert_within(label, count as f64, n as f64 * p, se);
}

/// Checks mean and per-coordinate variance of every coordinate.
fn assert_moments(label: &str, cfg: &DatasetConfig, seed: u64, means: &[f64], vars: &[f64]) {
    let dim = means.len();
    let x = draw(cfg, N, seed);
    assert_eq!(x.len(), N * dim, "{label}: sample length");
    for k in 0..dim {
        let c = column(&x, dim, k);
        assert_mean(&format!("{label} coordinate {k}"), &c, means[k]);
        assert_variance(&format!("{label} coordinate {k}"), &c, vars[k]);
    }
}

/// Index of the nearest of `modes`, and its distance.
fn nearest(p: &[f32], modes: &[[f64; 2]]) -> (usize, f64) {
    modes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                i,
                ((p[0] as f64 - m[0]).powi(2) + (p[1] as f64 - m[1]).powi(2)).sqrt(),
            )
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
}

/// Every point lies within 6σ of its nearest mode; each mode gets about 1/K of the points.
fn assert_modes(label: &str, cfg: &DatasetConfig, modes: &[[f64; 2]], sigma: f64, seed: u64) {
    let x = draw(cfg, N, seed);
    let mut counts = vec![0usize; modes.len()];
    for p in x.chunks_exact(2) {
        let (i, d) = nearest(p, modes);
        assert!(
            d <= 6.0 * sigma,
            "{label}: point {p:?} is {d} from its nearest mode {:?}; allowed 6σ = {}",
            modes[i],
            6.0 * sigma
        );
        counts[i] += 1;
    }
    for (i, c) in counts.iter().enumerate() {
        assert_count(
            &format!("{label}: points at mode {:?}", modes[i]),
            *c,
            N,
            1.0 / modes.len() as f64,
        );
    }
}

/// `extent` widened by 10% of its width on every side.
fn widen(e: [(f32, f32); 2]) -> [(f32, f32); 2] {
    e.map(|(lo, hi)| {
        let m = 0.1 * (hi - lo);
        (lo - m, hi + m)
    })
}

/// Riemann sum of the density over `extent` on a `w × w` grid (`w` cells in 1D).
fn mass(d: &dyn Density, extent: [(f32, f32); 2], w: usize) -> f64 {
    let v = density_grid(d, extent, w, w, &mut Rng::new(0));
    let dx = (extent[0].1 - extent[0].0) as f64 / w as f64;
    let cell = if d.dim() == 1 {
        dx
    } else {
        dx * (extent[1].1 - extent[1].0) as f64 / w as f64
    };
    v.iter().map(|p| *p as f64).sum::<f64>() * cell
}

fn gmm_example() -> DatasetConfig {
    DatasetConfig::Gmm {
        components: vec![
            Component {
                weight: 1.0,
                mean: vec![-2.0, 0.0],
                std: vec![0.5, 0.5],
            },
            Component {
                weight: 3.0,
                mean: vec![1.0, 2.0],
                std: vec![0.3, 0.8],
            },
        ],
    }
}

fn points_example() -> Vec<[f32; 2]> {
    vec![[-1.0, -1.0], [0.0, 1.0], [1.0, -1.0]]
}

/// The 25 grid modes 2·(i, j)/√(σ² + 8), written out independently of `gmm.rs`.
fn grid_modes(std: f64) -> Vec<[f64; 2]> {
    let s = (std * std + 8.0).sqrt();
    (-2..=2)
        .flat_map(|i| (-2..=2).map(move |j| [2.0 * i as f64 / s, 2.0 * j as f64 / s]))
        .collect()
}

/// The 25 diamond modes (i + j, j − i)/√(σ² + 8).
fn diamond_modes(std: f64) -> Vec<[f64; 2]> {
    let s = (std * std + 8.0).sqrt();
    (-2..=2)
        .flat_map(|i| (-2..=2).map(move |j| [(i + j) as f64 / s, (j - i) as f64 / s]))
        .collect()
}

/// The eight ring modes 2·(cos kπ/4, sin kπ/4)/√(σ² + 2).
fn ring_modes(std: f64) -> Vec<[f64; 2]> {
    let s = (std * std + 2.0).sqrt();
    (0..8)
        .map(|k| {
            [
                2.0 * (PI / 4.0 * k as f64).cos() / s,
                2.0 * (PI / 4.0 * k as f64).sin() / s,
            ]
        })
        .collect()
}

fn data_config(json: &str) -> DataConfig {
    from_json(json).unwrap_or_else(|e| panic!("{json} does not load: {e}"))
}

// ---------------------------------------------------------------- moments

#[test]
fn gaussian_2d_has_zero_mean_and_unit_variance() {
    assert_moments(
        "gaussian 2D",
        &DatasetConfig::Gaussian { dim: 2 },
        1,
        &[0.0, 0.0],
        &[1.0, 1.0],
    );
}

#[test]
fn gaussian_1d_has_zero_mean_and_unit_variance() {
    assert_moments(
        "gaussian 1D",
        &DatasetConfig::Gaussian { dim: 1 },
        2,
        &[0.0],
        &[1.0],
    );
}

#[test]
fn gmm_moments_match_mixture_formulas() {
    // mean Σ p μ, per-coordinate variance Σ p (σ² + μ²) − mean², p = (1/4, 3/4)
    let p = [0.25, 0.75];
    let mu = [[-2.0, 0.0], [1.0, 2.0]];
    let sd = [[0.5, 0.5], [0.3, 0.8]];
    let means: Vec<f64> = (0..2).map(|d| p[0] * mu[0][d] + p[1] * mu[1][d]).collect();
    let vars: Vec<f64> = (0..2)
        .map(|d| {
            (0..2)
                .map(|k| p[k] * (sd[k][d] * sd[k][d] + mu[k][d] * mu[k][d]))
                .sum::<f64>()
                - means[d] * means[d]
        })
        .collect();
    assert_moments("gmm", &gmm_example(), 3, &means, &vars);
}

#[test]
fn eight_gaussians_are_normalised_to_unit_variance() {
    // E μ_x² = ½ · 4/s², plus σ²/s², with s² = σ² + 2: exactly 1
    assert_moments(
        "eight-gaussians",
        &DatasetConfig::EightGaussians { std: 0.02 },
        4,
        &[0.0, 0.0],
        &[1.0, 1.0],
    );
}

#[test]
fn eight_gaussians_points_sit_on_the_eight_modes() {
    let s = (0.02f64 * 0.02 + 2.0).sqrt();
    assert_modes(
        "eight-gaussians",
        &DatasetConfig::EightGaussians { std: 0.02 },
        &ring_modes(0.02),
        0.02 / s,
        5,
    );
}

#[test]
fn grid25_is_normalised_to_unit_variance() {
    // Var(2i) = 8 for i uniform on {−2..2}; (8 + σ²)/(σ² + 8) = 1
    assert_moments(
        "grid25",
        &DatasetConfig::Grid25 { std: 0.05 },
        6,
        &[0.0, 0.0],
        &[1.0, 1.0],
    );
}

#[test]
fn grid25_points_sit_on_the_25_modes_in_equal_shares() {
    let s = (0.05f64 * 0.05 + 8.0).sqrt();
    assert_modes(
        "grid25",
        &DatasetConfig::Grid25 { std: 0.05 },
        &grid_modes(0.05),
        0.05 / s,
        7,
    );
}

#[test]
fn diamond25_variance_is_half_the_grids() {
    // Var(i + j) = 4, so per coordinate (4 + σ²)/(σ² + 8) ≈ 0.50016
    let v = (4.0 + 0.05f64 * 0.05) / (0.05 * 0.05 + 8.0);
    assert!((v - 0.50016).abs() < 1e-5);
    assert_moments(
        "diamond25",
        &DatasetConfig::Diamond25 { std: 0.05 },
        8,
        &[0.0, 0.0],
        &[v, v],
    );
}

#[test]
fn named_mixtures_put_their_modes_where_the_paper_does() {
    // modes and per-mode std of each named mixture against the independently written formulas
    let cases = [
        (
            "grid25",
            GaussianMixture::grid25(0.05),
            grid_modes(0.05),
            0.05 / (0.05f64 * 0.05 + 8.0).sqrt(),
        ),
        (
            "diamond25",
            GaussianMixture::diamond25(0.05),
            diamond_modes(0.05),
            0.05 / (0.05f64 * 0.05 + 8.0).sqrt(),
        ),
        (
            "eight-gaussians",
            GaussianMixture::eight_gaussians(0.02),
            ring_modes(0.02),
            0.02 / (0.02f64 * 0.02 + 2.0).sqrt(),
        ),
    ];
    for (label, g, modes, sigma) in cases {
        assert_eq!(g.components.len(), modes.len(), "{label}: number of modes");
        for m in &modes {
            assert!(
                g.components
                    .iter()
                    .any(|c| (c.mean[0] as f64 - m[0]).abs() < 1e-6
                        && (c.mean[1] as f64 - m[1]).abs() < 1e-6),
                "{label}: no mode at {m:?}"
            );
        }
        for c in &g.components {
            assert!(
                c.std.iter().all(|s| (*s as f64 - sigma).abs() < 1e-7),
                "{label}: mode std {:?}, expected {sigma}",
                c.std
            );
        }
        let p = 1.0 / modes.len() as f32;
        assert!(
            g.weights().iter().all(|w| (w - p).abs() < 1e-7),
            "{label}: weights {:?} not equal",
            g.weights()
        );
    }
}

#[test]
fn diamond25_vertices_are_at_four_over_s_on_the_axes() {
    let g = GaussianMixture::diamond25(0.05);
    let s = (0.05f32 * 0.05 + 8.0).sqrt();
    for v in [[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0], [0.0, -4.0]] {
        let target = [v[0] / s, v[1] / s];
        assert!(
            g.components
                .iter()
                .any(|c| (c.mean[0] - target[0]).abs() < 1e-6
                    && (c.mean[1] - target[1]).abs() < 1e-6),
            "no diamond mode at {target:?}"
        );
    }
    let reach = g
        .components
        .iter()
        .map(|c| c.mean[0].abs() + c.mean[1].abs())
        .fold(0.0, f32::max);
    assert!(
        (reach - 4.0 / s).abs() < 1e-6,
        "farthest mode has |x|+|y| = {reach}, expected 4/s = {}",
        4.0 / s
    );
}

#[test]
fn diamond25_points_sit_on_the_25_modes_in_equal_shares() {
    let s = (0.05f64 * 0.05 + 8.0).sqrt();
    assert_modes(
        "diamond25",
        &DatasetConfig::Diamond25 { std: 0.05 },
        &diamond_modes(0.05),
        0.05 / s,
        9,
    );
}

#[test]
fn checkerboard_samples_lie_on_the_squares() {
    let x = draw(&DatasetConfig::Checkerboard, N, 10);
    for p in x.chunks_exact(2) {
        assert!(
            Checkerboard::contains(p),
            "checkerboard sample {p:?} is not on a square"
        );
    }
}

#[test]
fn checkerboard_samples_lie_on_the_squares_over_a_full_size_session() {
    // The largest session the Data view allows (n = 10⁶), with the default seed 0. Every
    // point must be on a square (density 1/32), never on a square's open edge. U[0, 1) can
    // return 1 − 2⁻²⁴, and u − 2 or u + 1 then rounds in f32 to an integer, i.e. onto the
    // excluded edge (y = −2, 0 or 4): about 3 in 2²⁶ draws.
    let cfg = data_config(r#"{"dataset":{"name":"checkerboard"},"n":1000000,"seed":0}"#);
    let mut s = DataSession::new(cfg).unwrap();
    let x = s.next_chunk(1_000_000);
    let outside: Vec<(usize, &[f32])> = x
        .chunks_exact(2)
        .enumerate()
        .filter(|(_, p)| !Checkerboard::contains(p))
        .collect();
    assert!(
        outside.is_empty(),
        "checkerboard sampler (src/data/checkerboard.rs:38) produced {} point(s) off the squares, where log_density is -inf; first (index, point): {:?}",
        outside.len(),
        outside.first()
    );
}

#[test]
fn checkerboard_moments_match_closed_form() {
    // x = 2·U[−2, 2): Var 16/3. y = 2·(U[0,1) − 2·B(½) + B'(½)): Var 4·(1/12 + 1 + 1/4) = 16/3.
    assert_moments(
        "checkerboard",
        &DatasetConfig::Checkerboard,
        11,
        &[0.0, 0.0],
        &[16.0 / 3.0, 16.0 / 3.0],
    );
}

#[test]
fn checkerboard_fills_eight_alternating_squares_uniformly() {
    let x = draw(&DatasetConfig::Checkerboard, N, 12);
    // side-2 squares of [−4, 4]², indexed 0..4 on each axis
    let mut cells: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 16];
    for p in x.chunks_exact(2) {
        let i = ((p[0] / 2.0).floor() + 2.0) as usize;
        let j = ((p[1] / 2.0).floor() + 2.0) as usize;
        assert!(i < 4 && j < 4, "point {p:?} outside [−4, 4]²");
        cells[j * 4 + i].push([p[0] as f64, p[1] as f64]);
    }
    for j in 0..4 {
        for i in 0..4 {
            let pts = &cells[j * 4 + i];
            let centre = [2.0 * i as f64 - 3.0, 2.0 * j as f64 - 3.0];
            // a checkerboard: a square is occupied exactly when i + j is even
            if (i + j) % 2 == 1 {
                assert!(
                    pts.is_empty(),
                    "square centred at {centre:?} should be empty, has {} points",
                    pts.len()
                );
                continue;
            }
            let label = format!("square centred at {centre:?}");
            assert_count(&label, pts.len(), N, 1.0 / 8.0);
            for d in 0..2 {
                let c: Vec<f64> = pts.iter().map(|p| p[d]).collect();
                // uniform on a side-2 interval: mean at the centre, variance 1/3
                assert_mean(&format!("{label}, coordinate {d}"), &c, centre[d]);
                assert_variance(&format!("{label}, coordinate {d}"), &c, 1.0 / 3.0);
            }
        }
    }
}

#[test]
fn two_moons_moments_match_closed_form() {
    // before ×2 and centring: upper (cos θ, sin θ), lower (1 − cos θ, ½ − sin θ), θ ~ U[0, π].
    // E cos = 0, E sin = 2/π, E cos² = E sin² = ½ ⇒ Var x = ¾, Var y = (5/4 − 2/π)/2 − 1/16.
    let s2 = 0.1f64 * 0.1;
    let vx = 4.0 * (0.75 + s2);
    let vy = 4.0 * ((1.25 - 2.0 / PI) / 2.0 - 1.0 / 16.0 + s2);
    assert_moments(
        "two-moons",
        &DatasetConfig::TwoMoons { noise: 0.1 },
        13,
        &[0.0, 0.0],
        &[vx, vy],
    );
}

#[test]
fn two_spirals_have_zero_mean_and_known_second_moment() {
    let noise = 0.1f64;
    let x = draw(
        &DatasetConfig::TwoSpirals {
            noise: noise as f32,
        },
        N,
        14,
    );
    assert_mean("two-spirals x", &column(&x, 2, 0), 0.0);
    assert_mean("two-spirals y", &column(&x, 2, 1), 0.0);
    // r = 3√u ⇒ E r² = 9/2; the noise adds 2σ²
    assert_mean(
        "two-spirals |x|²",
        &sq_norms(&x, 2),
        4.5 + 2.0 * noise * noise,
    );
}

#[test]
fn rings_have_zero_mean_and_known_second_moment() {
    for (radii, noise, seed) in [
        (vec![1.0f32, 2.0, 3.0], 0.08f32, 15),
        (vec![0.5, 2.5], 0.3, 16),
    ] {
        let x = draw(
            &DatasetConfig::Rings {
                radii: radii.clone(),
                noise,
            },
            N,
            seed,
        );
        let label = format!("rings {radii:?} σ={noise}");
        assert_mean(&format!("{label} x"), &column(&x, 2, 0), 0.0);
        assert_mean(&format!("{label} y"), &column(&x, 2, 1), 0.0);
        let expect = radii
            .iter()
            .map(|r| (*r as f64).powi(2) + (noise as f64).powi(2))
            .sum::<f64>()
            / radii.len() as f64;
        assert_mean(&format!("{label} |x|²"), &sq_norms(&x, 2), expect);
    }
}

#[test]
fn modes_1d_moments_match_closed_form() {
    // uniform on {1, 2, 3}: mean 2, variance 2/3; plus σ²
    let cfg = DatasetConfig::Modes1d {
        modes: vec![1.0, 2.0, 3.0],
        std: 0.05,
    };
    assert_moments("modes-1d", &cfg, 17, &[2.0], &[2.0 / 3.0 + 0.05 * 0.05]);
}

#[test]
fn points_moments_are_the_points_moments_plus_jitter() {
    let pts = points_example();
    let jitter = 0.05f64;
    let means: Vec<f64> = (0..2)
        .map(|d| pts.iter().map(|p| p[d] as f64).sum::<f64>() / 3.0)
        .collect();
    let vars: Vec<f64> = (0..2)
        .map(|d| {
            pts.iter()
                .map(|p| (p[d] as f64 - means[d]).powi(2))
                .sum::<f64>()
                / 3.0
                + jitter * jitter
        })
        .collect();
    assert_moments(
        "points",
        &DatasetConfig::Points {
            points: pts,
            jitter: jitter as f32,
        },
        18,
        &means,
        &vars,
    );
}

// ---------------------------------------------------------------- log-densities

/// Every analytic density, with a grid resolution fine enough for its narrowest mode.
fn analytic_densities() -> Vec<(&'static str, DatasetConfig, usize)> {
    vec![
        ("gaussian 1D", DatasetConfig::Gaussian { dim: 1 }, 4000),
        ("gaussian 2D", DatasetConfig::Gaussian { dim: 2 }, 400),
        ("gmm", gmm_example(), 400),
        (
            "eight-gaussians",
            DatasetConfig::EightGaussians { std: 0.02 },
            700,
        ),
        ("grid25", DatasetConfig::Grid25 { std: 0.05 }, 700),
        ("diamond25", DatasetConfig::Diamond25 { std: 0.05 }, 700),
        ("checkerboard", DatasetConfig::Checkerboard, 800),
        (
            "rings",
            DatasetConfig::Rings {
                radii: vec![1.0, 2.0, 3.0],
                noise: 0.08,
            },
            800,
        ),
        (
            "rings, wide noise",
            DatasetConfig::Rings {
                radii: vec![0.5],
                noise: 0.4,
            },
            800,
        ),
        (
            "modes-1d",
            DatasetConfig::Modes1d {
                modes: vec![1.0, 2.0, 3.0],
                std: 0.05,
            },
            4000,
        ),
        (
            "points",
            DatasetConfig::Points {
                points: points_example(),
                jitter: 0.05,
            },
            700,
        ),
    ]
}

#[test]
fn every_log_density_integrates_to_one() {
    for (label, cfg, w) in analytic_densities() {
        let d = build(&cfg);
        assert!(
            d.log_density(&[0.1, 0.2][..d.dim()]).is_some(),
            "{label} has no log-density"
        );
        let m = mass(d.as_ref(), widen(d.extent()), w);
        assert!(
            (m - 1.0).abs() < 1e-2,
            "{label}: exp(log_density) integrates to {m} over its widened extent; expected 1"
        );
    }
}

#[test]
fn extent_holds_nearly_all_the_mass() {
    for (label, cfg, w) in analytic_densities() {
        let d = build(&cfg);
        let m = mass(d.as_ref(), d.extent(), w);
        assert!(
            m > 0.99 && m < 1.01,
            "{label}: mass inside extent() is {m}; expected nearly 1"
        );
    }
}

#[test]
fn gaussian_2d_log_density_matches_formula() {
    let d = build(&DatasetConfig::Gaussian { dim: 2 });
    for x in [[0.0f32, 0.0], [1.0, -2.0], [0.3, 0.7], [-3.0, 2.5]] {
        let expect = -0.5 * ((x[0] as f64).powi(2) + (x[1] as f64).powi(2)) - (2.0 * PI).ln();
        let got = d.log_density(&x).unwrap() as f64;
        assert!(
            (got - expect).abs() < 1e-5,
            "log N(x; 0, I) at {x:?}: got {got}, expected {expect}"
        );
    }
}

#[test]
fn gaussian_1d_log_density_matches_formula() {
    let d = build(&DatasetConfig::Gaussian { dim: 1 });
    for x in [0.0f32, 1.0, -2.5] {
        let expect = -0.5 * (x as f64).powi(2) - 0.5 * (2.0 * PI).ln();
        let got = d.log_density(&[x]).unwrap() as f64;
        assert!(
            (got - expect).abs() < 1e-5,
            "log N(x; 0, 1) at {x}: got {got}, expected {expect}"
        );
    }
}

#[test]
fn mixture_log_density_matches_hand_computation() {
    // 1D: ¼ N(−1, 0.5²) + ¾ N(2, 1.5²)
    let d = build(&DatasetConfig::Gmm {
        components: vec![
            Component {
                weight: 1.0,
                mean: vec![-1.0],
                std: vec![0.5],
            },
            Component {
                weight: 3.0,
                mean: vec![2.0],
                std: vec![1.5],
            },
        ],
    });
    let normal =
        |x: f64, m: f64, s: f64| (-0.5 * ((x - m) / s).powi(2)).exp() / (s * (2.0 * PI).sqrt());
    for x in [-1.0f32, 0.0, 0.5, 3.0, -4.0] {
        let xf = x as f64;
        let expect = (0.25 * normal(xf, -1.0, 0.5) + 0.75 * normal(xf, 2.0, 1.5)).ln();
        let got = d.log_density(&[x]).unwrap() as f64;
        assert!(
            (got - expect).abs() < 1e-5,
            "1D mixture at {x}: got {got}, expected {expect}"
        );
    }
    // 2D diagonal: ¼ N((−2,0), diag(.5², .5²)) + ¾ N((1,2), diag(.3², .8²))
    let d = build(&gmm_example());
    for x in [[-2.0f32, 0.0], [1.0, 2.0], [0.0, 1.0], [-0.5, 0.5]] {
        let (a, b) = (x[0] as f64, x[1] as f64);
        let expect = (0.25 * normal(a, -2.0, 0.5) * normal(b, 0.0, 0.5)
            + 0.75 * normal(a, 1.0, 0.3) * normal(b, 2.0, 0.8))
        .ln();
        let got = d.log_density(&x).unwrap() as f64;
        assert!(
            (got - expect).abs() < 1e-4,
            "2D mixture at {x:?}: got {got}, expected {expect}"
        );
    }
}

#[test]
fn grid25_density_at_a_mode_is_one_25th_of_a_peak() {
    // modes are 40σ apart, so at a mode only its own component counts: (1/25)/(2πσ_eff²)
    let std = 0.05f64;
    let s = (std * std + 8.0).sqrt();
    let se = std / s;
    let d = build(&DatasetConfig::Grid25 { std: std as f32 });
    for m in [[0.0, 0.0], [2.0 / s, -4.0 / s], [4.0 / s, 4.0 / s]] {
        let expect = (1.0 / 25.0 / (2.0 * PI * se * se)).ln();
        let got = d.log_density(&[m[0] as f32, m[1] as f32]).unwrap() as f64;
        assert!(
            (got - expect).abs() < 1e-3,
            "grid25 at mode {m:?}: got {got}, expected {expect}"
        );
    }
}

#[test]
fn checkerboard_density_is_one_32nd_on_squares_and_zero_off() {
    let on = (1.0f32 / 32.0).ln();
    // (i, j) squares with i + j even (see the sampler test) at centres (2i − 3, 2j − 3)
    for (x, inside) in [
        ([-3.0f32, -3.0], true),
        ([-1.0, -1.0], true),
        ([1.0, -3.0], true),
        ([3.0, 3.0], true),
        ([-3.0, 1.0], true),
        ([-3.0, -1.0], false),
        ([3.0, -3.0], false),
        ([1.0, 3.0], false),
        ([5.0, 1.0], false),
    ] {
        let lp = Checkerboard.log_density(&x).unwrap();
        assert_eq!(
            lp,
            if inside { on } else { f32::NEG_INFINITY },
            "checkerboard log-density at {x:?}"
        );
        assert_eq!(
            Checkerboard::contains(&x),
            inside,
            "Checkerboard::contains({x:?})"
        );
    }
}

#[test]
fn rings_density_integrates_to_one_third_over_each_annulus() {
    // independent radial integral: ∫ 2πρ p(ρ) dρ over an annulus around one radius
    let d = build(&DatasetConfig::Rings {
        radii: vec![1.0, 2.0, 3.0],
        noise: 0.08,
    });
    for r in [1.0f64, 2.0, 3.0] {
        let (lo, hi, steps) = (r - 0.5, r + 0.5, 20_000);
        let h = (hi - lo) / steps as f64;
        let m: f64 = (0..steps)
            .map(|i| {
                let rho = lo + (i as f64 + 0.5) * h;
                2.0 * PI * rho * (d.log_density(&[rho as f32, 0.0]).unwrap() as f64).exp() * h
            })
            .sum();
        assert!(
            (m - 1.0 / 3.0).abs() < 1e-3,
            "mass of the annulus around r = {r} is {m}; expected 1/3"
        );
    }
}

#[test]
fn sampler_histogram_matches_log_density() {
    // For each analytic density: the share of draws in each cell of a coarse 8×8 grid over the
    // extent equals the Riemann mass of exp(log_density) over that cell (binomial, 5 SE).
    const COARSE: usize = 8;
    const FINE: usize = 80; // fine cells per coarse cell (per axis)
    let n = 100_000;
    for (seed, (label, cfg, _)) in analytic_densities().into_iter().enumerate() {
        let d = build(&cfg);
        let dim = d.dim();
        let e = d.extent();
        let (nx, ny) = (COARSE, if dim == 1 { 1 } else { COARSE });
        let fine = density_grid(
            d.as_ref(),
            e,
            COARSE * FINE,
            COARSE * FINE,
            &mut Rng::new(0),
        );
        let dx = (e[0].1 - e[0].0) as f64 / (COARSE * FINE) as f64;
        let dy = if dim == 1 {
            1.0
        } else {
            (e[1].1 - e[1].0) as f64 / (COARSE * FINE) as f64
        };
        let mut expect = vec![0.0f64; nx * ny];
        let w = COARSE * FINE;
        for (idx, p) in fine.iter().enumerate() {
            let (fi, fj) = (idx % w, idx / w);
            // density_grid rows run top (y max) to bottom
            let (ci, cj) = (fi / FINE, if dim == 1 { 0 } else { ny - 1 - fj / FINE });
            expect[cj * nx + ci] += *p as f64 * dx * dy;
        }
        let x = d.sample(n, &mut Rng::new(100 + seed as u64));
        let mut counts = vec![0usize; nx * ny];
        for p in x.chunks_exact(dim) {
            let ci = ((p[0] - e[0].0) as f64 / (e[0].1 - e[0].0) as f64 * nx as f64).floor();
            let cj = if dim == 1 {
                0.0
            } else {
                ((p[1] - e[1].0) as f64 / (e[1].1 - e[1].0) as f64 * ny as f64).floor()
            };
            if ci >= 0.0 && cj >= 0.0 && (ci as usize) < nx && (cj as usize) < ny {
                counts[cj as usize * nx + ci as usize] += 1;
            }
        }
        for (k, (c, p)) in counts.iter().zip(&expect).enumerate() {
            let se = (n as f64 * p * (1.0 - p)).sqrt() + 1.0; // +1 for cells of ~zero mass
            assert_within(
                &format!("{label}: draws in coarse cell {k}"),
                *c as f64,
                n as f64 * p,
                se,
            );
        }
    }
}

#[test]
fn two_moons_histogram_density_integrates_to_about_one() {
    let d = build(&DatasetConfig::TwoMoons { noise: 0.1 });
    assert!(
        d.log_density(&[0.0, 0.0]).is_none(),
        "two-moons should have no closed-form density"
    );
    let m = mass(d.as_ref(), d.extent(), 200);
    assert!(
        (0.98..=1.0 + 1e-3).contains(&m),
        "two-moons histogram mass inside its extent is {m}; expected in [0.98, 1.001]"
    );
}

// ---------------------------------------------------------------- sessions and catalog

#[test]
fn session_chunks_equal_one_shot_sampling() {
    let json = r#"{"dataset":{"name":"two-moons"},"n":1000,"seed":42}"#;
    let all = DataSession::new(data_config(json))
        .unwrap()
        .next_chunk(1000);
    assert_eq!(all.len(), 2000);
    for chunk in [1usize, 7, 100, 333, 999, 1000, 5000] {
        let mut s = DataSession::new(data_config(json)).unwrap();
        let mut got = Vec::new();
        while s.remaining() > 0 {
            got.extend(s.next_chunk(chunk));
        }
        assert_eq!(got, all, "chunks of {chunk} differ from one call");
    }
}

#[test]
fn session_same_seed_same_points_different_seed_different_points() {
    for name in ["checkerboard", "grid25", "two-spirals", "modes-1d"] {
        let points = |seed: u64| {
            let json = format!(r#"{{"dataset":{{"name":"{name}"}},"n":500,"seed":{seed}}}"#);
            DataSession::new(data_config(&json))
                .unwrap()
                .next_chunk(500)
        };
        assert_eq!(
            points(9),
            points(9),
            "{name}: seed 9 twice gives different points"
        );
        let (a, b) = (points(9), points(10));
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(
            same < a.len() / 10,
            "{name}: seeds 9 and 10 agree on {same} of {} coordinates",
            a.len()
        );
    }
}

#[test]
fn session_remaining_counts_down_and_stops_at_n() {
    let mut s = DataSession::new(data_config(
        r#"{"dataset":{"name":"rings"},"n":10,"seed":1}"#,
    ))
    .unwrap();
    assert_eq!(s.remaining(), 10);
    assert_eq!(s.next_chunk(3).len(), 3 * 2);
    assert_eq!(s.remaining(), 7);
    assert_eq!(s.next_chunk(0).len(), 0);
    assert_eq!(s.remaining(), 7);
    assert_eq!(
        s.next_chunk(100).len(),
        7 * 2,
        "a chunk past the end is cut at n"
    );
    assert_eq!(s.remaining(), 0);
    assert!(s.next_chunk(5).is_empty(), "no points after n");
    assert_eq!(s.remaining(), 0);
}

#[test]
fn session_uses_a_stream_independent_of_the_plain_seed() {
    // the session draws from stream DATA of the seed, i.e. what Density::sample gives with that rng
    let cfg = data_config(r#"{"dataset":{"name":"gaussian"},"n":50,"seed":3}"#);
    let got = DataSession::new(cfg.clone()).unwrap().next_chunk(50);
    let expect =
        build(&cfg.dataset).sample(50, &mut Rng::new(3).stream(genlab::rng::streams::DATA));
    assert_eq!(got, expect);
}

#[test]
fn every_catalog_entry_builds_and_samples_finite_points_of_its_dim() {
    let catalog = DatasetConfig::catalog();
    assert!(catalog.len() >= 11);
    for entry in catalog {
        let d = entry
            .defaults
            .build()
            .unwrap_or_else(|e| panic!("catalog entry {} does not build: {e}", entry.name));
        assert_eq!(
            d.dim(),
            entry.dim,
            "catalog entry {} declares dim {} but samples dim {}",
            entry.name,
            entry.dim,
            d.dim()
        );
        let x = d.sample(2000, &mut Rng::new(1));
        assert_eq!(x.len(), 2000 * entry.dim, "{}: sample length", entry.name);
        assert!(
            x.iter().all(|v| v.is_finite()),
            "{}: non-finite sample",
            entry.name
        );
        let e = d.extent();
        assert!(
            e[0].0 < e[0].1 && e[1].0 < e[1].1,
            "{}: empty extent {e:?}",
            entry.name
        );
        // by_name finds the entry again
        assert_eq!(
            DatasetConfig::by_name(entry.name).unwrap(),
            entry.defaults,
            "by_name({})",
            entry.name
        );
    }
}
