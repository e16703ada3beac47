//! The interpolant core against closed forms and known properties: γγ̇ and the path
//! derivatives against finite differences, the exact score against ∇log ρ_t, the exact drift
//! against the continuity equation, and the samplers against the target law (energy distance
//! within 2× its noise floor, the lab's quality bar).
use genlab::data::gmm::{Component, GaussianMixture};
use genlab::data::Density;
use genlab::interpolant::exact::ExactFields;
use genlab::interpolant::gamma::Gamma;
use genlab::interpolant::path::Path;
use genlab::interpolant::sampler::{integrate, step, Direction, Method};
use genlab::metrics::energy::{energy_distance, noise_floor};
use genlab::rng::Rng;

const GAMMAS: [Gamma; 6] = [
    Gamma::Brownian,
    Gamma::ABrownian { a: 2.0 },
    Gamma::Bsquared,
    Gamma::Sinesquared,
    Gamma::Sigmoid,
    Gamma::Zero,
];
const PATHS: [Path; 6] = [
    Path::Linear,
    Path::Trig,
    Path::EncodingDecoding,
    Path::OneSidedLinear,
    Path::OneSidedTrig,
    Path::Mirror,
];

fn gmm(components: &[(f32, [f32; 2], [f32; 2])]) -> GaussianMixture {
    GaussianMixture::new(
        components
            .iter()
            .map(|(w, m, s)| Component {
                weight: *w,
                mean: m.to_vec(),
                std: s.to_vec(),
            })
            .collect(),
    )
}

/// Two components → three: a small but asymmetric pair of mixtures.
fn pair() -> (GaussianMixture, GaussianMixture) {
    let rho0 = gmm(&[
        (1.0, [-2.0, 0.0], [0.4, 0.6]),
        (2.0, [1.5, 1.0], [0.5, 0.3]),
    ]);
    let rho1 = gmm(&[
        (1.0, [0.0, 3.0], [0.3, 0.3]),
        (1.0, [3.0, -2.0], [0.5, 0.4]),
        (1.0, [-3.0, -2.0], [0.4, 0.5]),
    ]);
    (rho0, rho1)
}

#[test]
fn gamma_gamma_dot_matches_finite_differences() {
    let h = 1e-6;
    for g in GAMMAS {
        for k in 1..20 {
            let t = k as f64 / 20.0;
            let fd = (g.gamma(t + h).powi(2) - g.gamma(t - h).powi(2)) / (4.0 * h); // d(γ²/2)/dt
            let closed = g.gamma_gamma_dot(t);
            assert!(
                (fd - closed).abs() < 1e-6 * (1.0 + closed.abs()),
                "{g:?} at t = {t}: {closed} vs {fd}"
            );
            let gd = (g.gamma(t + h) - g.gamma(t - h)) / (2.0 * h);
            assert!(
                (gd - g.gamma_dot(t)).abs() < 1e-5 * (1.0 + gd.abs()),
                "{g:?} γ̇ at t = {t}"
            );
        }
    }
}

#[test]
fn gamma_vanishes_at_both_ends() {
    for g in GAMMAS {
        assert!(
            g.gamma(0.0).abs() < 1e-12 && g.gamma(1.0).abs() < 1e-12,
            "{g:?}"
        );
    }
}

#[test]
fn path_derivatives_match_finite_differences() {
    let h = 1e-6;
    for p in PATHS {
        for g in [Gamma::Brownian, Gamma::Sinesquared] {
            for k in 1..20 {
                let t = k as f64 / 20.0;
                if p == Path::EncodingDecoding && (t - 0.5).abs() < 0.01 {
                    continue; // the indicator switches at ½
                }
                let (lo, hi, c) = (
                    p.coefficients(g, t - h),
                    p.coefficients(g, t + h),
                    p.coefficients(g, t),
                );
                let (fa, fb) = ((hi.a - lo.a) / (2.0 * h), (hi.b - lo.b) / (2.0 * h));
                assert!(
                    (fa - c.a_dot).abs() < 1e-5,
                    "{p:?}/{g:?} ȧ at {t}: {} vs {fa}",
                    c.a_dot
                );
                assert!(
                    (fb - c.b_dot).abs() < 1e-5,
                    "{p:?}/{g:?} ḃ at {t}: {} vs {fb}",
                    c.b_dot
                );
            }
        }
    }
}

#[test]
fn paths_join_the_endpoints() {
    for p in [
        Path::Linear,
        Path::Trig,
        Path::EncodingDecoding,
        Path::OneSidedLinear,
        Path::OneSidedTrig,
    ] {
        let (c0, c1) = (
            p.coefficients(Gamma::Brownian, 0.0),
            p.coefficients(Gamma::Brownian, 1.0),
        );
        assert!(
            (c0.a - 1.0).abs() < 1e-12 && c0.b.abs() < 1e-12,
            "{p:?} at 0"
        );
        assert!(
            c1.a.abs() < 1e-12 && (c1.b - 1.0).abs() < 1e-12,
            "{p:?} at 1"
        );
    }
    let m = Path::Mirror.coefficients(Gamma::Brownian, 0.3);
    assert_eq!((m.a, m.b), (0.0, 1.0));
    assert_eq!(
        Path::OneSidedLinear
            .coefficients(Gamma::Brownian, 0.3)
            .gamma,
        0.0,
        "one-sided: no γz"
    );
}

#[test]
fn exact_score_is_the_gradient_of_log_rho_t() {
    let (rho0, rho1) = pair();
    for p in [
        Path::Linear,
        Path::Trig,
        Path::EncodingDecoding,
        Path::OneSidedLinear,
        Path::Mirror,
    ] {
        let f = ExactFields::new(rho0.clone(), rho1.clone(), p, Gamma::Brownian);
        for &t in &[0.1, 0.35, 0.6, 0.9] {
            for x in [[0.3f32, -0.7], [-1.5, 1.2], [2.0, 2.5]] {
                let (_, s) = f.drift_and_score(t, &x);
                let h = 1e-3f32;
                for d in 0..2 {
                    let (mut xp, mut xm) = (x, x);
                    xp[d] += h;
                    xm[d] -= h;
                    let fd = (f.log_density(t, &xp) - f.log_density(t, &xm)) / (2.0 * h as f64);
                    assert!(
                        (fd - s[d] as f64).abs() < 2e-3 * (1.0 + fd.abs()),
                        "{p:?} t={t} x={x:?} d={d}: s={} fd={fd}",
                        s[d]
                    );
                }
            }
        }
    }
}

#[test]
fn exact_drift_satisfies_the_continuity_equation() {
    // ∂t ρ_t + ∇·(ρ_t b) = 0, checked by central differences in t and x.
    let (rho0, rho1) = pair();
    for p in [Path::Linear, Path::Trig, Path::OneSidedTrig, Path::Mirror] {
        for g in [Gamma::Brownian, Gamma::Bsquared] {
            let f = ExactFields::new(rho0.clone(), rho1.clone(), p, g);
            let rho = |t: f64, x: [f32; 2]| f.log_density(t, &x).exp();
            let flux =
                |t: f64, x: [f32; 2], d: usize| rho(t, x) * f.drift_and_score(t, &x).0[d] as f64;
            for &t in &[0.2, 0.5, 0.8] {
                for x in [[0.0f32, 0.5], [-1.0, -1.0], [1.0, 1.5]] {
                    let (ht, hx) = (1e-4, 1e-2f32);
                    let dt = (rho(t + ht, x) - rho(t - ht, x)) / (2.0 * ht);
                    let mut div = 0.0;
                    for d in 0..2 {
                        let (mut xp, mut xm) = (x, x);
                        xp[d] += hx;
                        xm[d] -= hx;
                        div += (flux(t, xp, d) - flux(t, xm, d)) / (2.0 * hx as f64);
                    }
                    let scale = dt.abs().max(div.abs()).max(1e-4);
                    assert!(
                        (dt + div).abs() < 2e-2 * scale,
                        "{p:?}/{g:?} t={t} x={x:?}: ∂tρ={dt:e} ∇·(ρb)={div:e}"
                    );
                }
            }
        }
    }
}

/// Energy distance of `samples` to fresh target draws, and the noise floor at that size.
fn score_against(target: &GaussianMixture, samples: &[f32], rng: &mut Rng) -> (f64, f64) {
    let n = samples.len() / 2;
    let d = energy_distance(samples, &target.sample(n, rng), 2);
    (d, noise_floor(target, n, 3, rng))
}

const N: usize = 5000;

#[test]
fn exact_ode_rk4_carries_rho0_to_rho1() {
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0.clone(), rho1.clone(), Path::Linear, Gamma::Brownian);
    let mut rng = Rng::new(1);
    let mut x = rho0.sample(N, &mut rng);
    integrate(
        &f,
        Method::Rk4,
        0.0,
        Direction::Forward,
        100,
        &mut x,
        &mut rng,
    );
    let (d, floor) = score_against(&rho1, &x, &mut rng);
    assert!(
        d <= 2.0 * floor,
        "energy distance {d:.2e} vs noise floor {floor:.2e}"
    );
}

#[test]
fn exact_sde_carries_rho0_to_rho1_for_several_noise_levels() {
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0.clone(), rho1.clone(), Path::Linear, Gamma::Brownian);
    for eps in [0.5, 2.0] {
        let mut rng = Rng::new(2);
        let mut x = rho0.sample(N, &mut rng);
        integrate(
            &f,
            Method::SdeHeun,
            eps,
            Direction::Forward,
            200,
            &mut x,
            &mut rng,
        );
        let (d, floor) = score_against(&rho1, &x, &mut rng);
        assert!(
            d <= 2.0 * floor,
            "ε = {eps}: energy distance {d:.2e} vs noise floor {floor:.2e}"
        );
    }
}

#[test]
fn exact_backward_runs_carry_rho1_to_rho0() {
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0.clone(), rho1.clone(), Path::Trig, Gamma::Brownian);
    for (method, eps) in [(Method::Rk4, 0.0), (Method::EulerMaruyama, 1.0)] {
        let mut rng = Rng::new(3);
        let mut x = rho1.sample(N, &mut rng);
        integrate(&f, method, eps, Direction::Backward, 200, &mut x, &mut rng);
        let (d, floor) = score_against(&rho0, &x, &mut rng);
        assert!(
            d <= 2.0 * floor,
            "{method:?}: energy distance {d:.2e} vs noise floor {floor:.2e}"
        );
    }
}

#[test]
fn one_sided_path_starts_from_the_standard_normal() {
    let (_, rho1) = pair();
    let f = ExactFields::new(
        GaussianMixture::standard(2),
        rho1.clone(),
        Path::OneSidedLinear,
        Gamma::Brownian,
    );
    let mut rng = Rng::new(4);
    let mut x = GaussianMixture::standard(2).sample(N, &mut rng);
    integrate(
        &f,
        Method::Rk4,
        0.0,
        Direction::Forward,
        100,
        &mut x,
        &mut rng,
    );
    let (d, floor) = score_against(&rho1, &x, &mut rng);
    assert!(
        d <= 2.0 * floor,
        "energy distance {d:.2e} vs noise floor {floor:.2e}"
    );
}

#[test]
fn a_sampler_that_ignores_the_fields_fails_the_bar() {
    // The bar can fail: leaving the samples at ρ₀ is far outside 2× the floor.
    let (rho0, rho1) = pair();
    let mut rng = Rng::new(5);
    let x = rho0.sample(N, &mut rng);
    let (d, floor) = score_against(&rho1, &x, &mut rng);
    assert!(d > 20.0 * floor, "{d:.2e} vs {floor:.2e}");
}

#[test]
fn euler_maruyama_without_noise_is_euler() {
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0.clone(), rho1, Path::Linear, Gamma::Brownian);
    let x0 = rho0.sample(50, &mut Rng::new(6));
    let (mut a, mut b) = (x0.clone(), x0);
    step(&f, Method::Euler, 0.0, &mut a, 0.2, 0.21, &mut Rng::new(7));
    step(
        &f,
        Method::EulerMaruyama,
        0.0,
        &mut b,
        0.2,
        0.21,
        &mut Rng::new(8),
    );
    assert_eq!(a, b);
}

#[test]
fn ode_methods_converge_at_their_order() {
    // Error against a fine RK4 reference shrinks ~2× (Euler), ~4× (Heun), ~16× (RK4) when the
    // step count doubles.
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0.clone(), rho1, Path::Linear, Gamma::Brownian);
    let x0 = rho0.sample(200, &mut Rng::new(9));
    let run = |method, steps| {
        let mut x = x0.clone();
        integrate(
            &f,
            method,
            0.0,
            Direction::Forward,
            steps,
            &mut x,
            &mut Rng::new(0),
        );
        x
    };
    let reference = run(Method::Rk4, 2000);
    let err = |x: &[f32]| {
        x.iter()
            .zip(&reference)
            .map(|(a, b)| ((a - b) as f64).abs())
            .fold(0.0, f64::max)
    };
    for (method, order) in [
        (Method::Euler, 1.0),
        (Method::Heun, 2.0),
        (Method::Rk4, 4.0),
    ] {
        let (e1, e2) = (err(&run(method, 40)), err(&run(method, 80)));
        let rate = (e1 / e2).log2();
        assert!(
            rate > order - 0.5,
            "{method:?}: observed order {rate:.2}, expected ≈ {order}"
        );
    }
}

#[test]
fn exact_divergence_matches_finite_differences() {
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0, rho1, Path::Trig, Gamma::Brownian);
    for &t in &[0.1, 0.5, 0.85] {
        for x in [[0.3f32, -0.7], [-1.5, 1.2], [2.0, 2.5]] {
            let h = 1e-3f32;
            let mut fd = 0.0;
            for d in 0..2 {
                let (mut xp, mut xm) = (x, x);
                xp[d] += h;
                xm[d] -= h;
                fd += (f.drift_and_score(t, &xp).0[d] - f.drift_and_score(t, &xm).0[d]) as f64
                    / (2.0 * h as f64);
            }
            let div = f.divergence(t, &x)[0] as f64;
            assert!(
                (div - fd).abs() < 1e-2 * (1.0 + fd.abs()),
                "t={t} x={x:?}: {div} vs {fd}"
            );
        }
    }
}

#[test]
fn ode_log_likelihood_recovers_the_exact_log_density() {
    // Change of variables along the exact flow must reproduce log ρ_t at the far end.
    let (rho0, rho1) = pair();
    let f = ExactFields::new(rho0, rho1.clone(), Path::Linear, Gamma::Brownian);
    let x = rho1.sample(20, &mut Rng::new(10));
    let t_min = genlab::interpolant::sampler::T_MIN;
    let t_max = genlab::interpolant::sampler::T_MAX;
    let ll = genlab::interpolant::sampler::log_likelihood(&f, &x, 200, |p| f.log_density(t_min, p));
    for (p, l) in x.chunks_exact(2).zip(&ll) {
        let exact = f.log_density(t_max, p);
        assert!(
            (l - exact).abs() < 1e-2,
            "x={p:?}: ODE log-likelihood {l} vs exact {exact}"
        );
    }
    // and it is not a constant: the points differ in density
    let spread =
        ll.iter().cloned().fold(f64::MIN, f64::max) - ll.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 0.5, "spread {spread}");
}

#[test]
fn the_cosine_schedule_carries_the_sde_onto_narrow_modes_where_uniform_steps_fail() {
    use genlab::interpolant::sampler::{spaced_grid, Schedule};
    let rho0 = GaussianMixture::standard(2);
    let rho1 = gmm(&[
        (1.0, [1.0, 2.0], [0.05, 0.05]),
        (1.0, [-1.5, 0.5], [0.05, 0.05]),
    ]);
    let f = ExactFields::new(rho0.clone(), rho1, Path::Linear, Gamma::Brownian);
    let near = |schedule| {
        let mut rng = Rng::new(4);
        let mut x = rho0.sample(500, &mut rng);
        let grid = spaced_grid(100, Direction::Forward, schedule);
        assert!((grid[0] - 1e-4).abs() < 1e-12 && (grid[100] - (1.0 - 1e-4)).abs() < 1e-12);
        for w in grid.windows(2) {
            step(&f, Method::SdeHeun, 0.5, &mut x, w[0], w[1], &mut rng);
        }
        let hits = x.chunks_exact(2).filter(|p| {
            let d = |a: f32, b: f32| ((p[0] - a).powi(2) + (p[1] - b).powi(2)).sqrt();
            d(1.0, 2.0).min(d(-1.5, 0.5)) < 0.3
        });
        hits.count() as f64 / 500.0
    };
    let (uniform, cosine) = (near(Schedule::Uniform), near(Schedule::Cosine));
    assert!(cosine > 0.95, "cosine schedule: {cosine} near the modes");
    assert!(
        uniform < 0.5,
        "uniform steps are expected to fail here (the control): {uniform}"
    );
}
