//! Learned fields against the closed forms: the antithetic losses' minimisers are the exact
//! drift and score, so a trained model on a Gaussian-mixture pair must come close to them (the
//! lab's bar: relative L2 ≤ 10% averaged over t ∈ [0.1, 0.9]); and the training machinery
//! (step decay, divergence guard, seeded reproducibility, autodiff divergence).
use genlab::config::from_json;
use genlab::interpolant::compare::{default_times, field_error};
use genlab::interpolant::config::InterpolantConfig;
use genlab::interpolant::sampler::Fields;
use genlab::interpolant::train::Trainer;
use genlab::lab::Trainer as _;
use genlab::nn::guard::TrainError;
use genlab::rng::Rng;
use std::time::Instant;

fn config(extra: &str) -> InterpolantConfig {
    let json = format!(
        r#"{{"rho0":{{"name":"gmm","components":[{{"weight":1,"mean":[-2,0],"std":[0.5,0.5]}},{{"weight":1,"mean":[2,0],"std":[0.5,0.5]}}]}},
            "rho1":{{"name":"gmm","components":[{{"weight":1,"mean":[0,2],"std":[0.4,0.4]}},{{"weight":2,"mean":[0,-2],"std":[0.4,0.4]}}]}}{extra}}}"#
    );
    from_json(&json).unwrap()
}

fn train(cfg: &InterpolantConfig) -> Trainer {
    let mut t = Trainer::new(cfg).unwrap();
    let start = Instant::now();
    for _ in 0..cfg.train.steps {
        t.step().unwrap();
    }
    eprintln!(
        "{} steps in {:.1} s",
        cfg.train.steps,
        start.elapsed().as_secs_f64()
    );
    t
}

fn error_of(cfg: &InterpolantConfig, t: &Trainer) -> (f64, f64) {
    let exact = cfg.exact_fields().unwrap();
    let (rho0, rho1) = (cfg.source().build().unwrap(), cfg.rho1.build().unwrap());
    let e = field_error(
        t.model(),
        &exact,
        rho0.as_ref(),
        rho1.as_ref(),
        cfg.path,
        cfg.gamma,
        &default_times(),
        2000,
        &mut Rng::new(9),
    );
    eprintln!("relative L2: drift {:.4}, score {:.4}", e.drift, e.score);
    (e.drift, e.score)
}

#[test]
fn learned_b_and_eta_match_the_exact_fields() {
    let cfg = config(r#","train":{"steps":2000,"batch":500,"decayEvery":700,"lr":0.003}"#);
    let t = train(&cfg);
    let (drift, score) = error_of(&cfg, &t);
    assert!(
        drift <= 0.10 && score <= 0.10,
        "drift {drift}, score {score}"
    );
}

/// A tiny, fast config for the machinery tests.
fn tiny(extra: &str) -> InterpolantConfig {
    config(&format!(
        r#","model":{{"width":16,"depth":2}},"train":{{"batch":64,"steps":20{extra}}}"#
    ))
}

#[test]
fn the_same_seed_trains_to_the_same_losses_and_weights() {
    let cfg = tiny("");
    let run = || {
        let mut t = Trainer::new(&cfg).unwrap();
        let losses: Vec<_> = (0..10).map(|_| t.step().unwrap()).collect();
        (losses, t.weights().unwrap())
    };
    let (a, wa) = run();
    let (b, wb) = run();
    assert_eq!(a, b);
    assert_eq!(wa, wb);
    let mut other = cfg.clone();
    other.seed = 1;
    let mut t = Trainer::new(&other).unwrap();
    assert_ne!(
        t.step().unwrap(),
        a[0],
        "another seed draws other weights and batches"
    );
}

#[test]
fn step_decay_multiplies_the_learning_rate() {
    let cfg = tiny(r#","lr":0.01,"decayEvery":100,"decayFactor":0.5"#).train;
    assert_eq!(cfg.lr_at(0), 0.01);
    assert_eq!(cfg.lr_at(99), 0.01);
    assert_eq!(cfg.lr_at(100), 0.005);
    assert_eq!(cfg.lr_at(250), 0.0025);
}

#[test]
fn a_huge_learning_rate_diverges_with_a_message_and_keeps_the_last_good_weights() {
    let cfg = tiny(r#","lr":10"#);
    let mut t = Trainer::new(&cfg).unwrap();
    let mut err = None;
    for _ in 0..200 {
        match t.step() {
            Ok(_) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let err = err.expect("lr 10 must diverge within 200 steps");
    assert!(matches!(err, TrainError::Diverged { .. }), "{err:?}");
    assert!(err.to_string().contains("last good weights"), "{err}");
    // the restored weights give finite fields
    let (b, s) = t.model().eval(0.5, &[0.1, 0.2, -1.0, 0.5], true);
    assert!(
        b.iter().chain(&s).all(|v| v.is_finite()),
        "restored fields {b:?} {s:?}"
    );
}

#[test]
fn learned_divergence_matches_finite_differences() {
    let cfg = tiny(r#","lr":0.01"#);
    let mut t = Trainer::new(&cfg).unwrap();
    for _ in 0..20 {
        t.step().unwrap();
    }
    let x = [0.3f32, -0.7, 1.2, 0.4, -2.0, 1.5];
    let div = t.model().divergence(0.4, &x);
    let h = 1e-2f32;
    for p in 0..3 {
        let mut fd = 0.0;
        for d in 0..2 {
            let mut plus = x[2 * p..2 * p + 2].to_vec();
            let mut minus = plus.clone();
            plus[d] += h;
            minus[d] -= h;
            let bp = t.model().eval(0.4, &plus, false).0;
            let bm = t.model().eval(0.4, &minus, false).0;
            fd += (bp[d] - bm[d]) / (2.0 * h);
        }
        assert!(
            (div[p] - fd).abs() < 2e-2 * (1.0 + fd.abs()),
            "point {p}: autodiff {} vs finite differences {fd}",
            div[p]
        );
    }
}

#[test]
fn bad_training_settings_name_their_field() {
    let bad = |extra: &str| {
        from_json::<InterpolantConfig>(&format!(
            r#"{{"rho0":{{"name":"gaussian"}},"rho1":{{"name":"checkerboard"}}{extra}}}"#
        ))
        .unwrap_err()
        .field
    };
    assert_eq!(bad(r#","train":{"batch":0}"#), "train.batch");
    assert_eq!(bad(r#","train":{"lr":-1}"#), "train.lr");
    assert_eq!(bad(r#","model":{"width":0}"#), "model.width");
    assert_eq!(bad(r#","fields":"exact""#), "rho1");
    assert_eq!(
        bad(r#","gamma":{"kind":"zero"},"model":{"drift":"v"}"#),
        "model.drift"
    );
    assert_eq!(
        bad(r#","gamma":{"kind":"zero"},"sampler":{"method":"sde-heun","epsilon":1}"#),
        "sampler.epsilon"
    );
    assert_eq!(bad(r#","sampler":{"start":[1]}"#), "sampler.start");
}

#[test]
fn weights_round_trip_and_a_mismatched_file_is_refused() {
    let cfg = tiny("");
    let mut a = Trainer::new(&cfg).unwrap();
    a.step().unwrap();
    let bytes = a.weights().unwrap();
    let mut other = cfg.clone();
    other.seed = 5;
    let mut b = Trainer::new(&other).unwrap();
    b.load_weights(&bytes, 1).unwrap();
    let x = [0.5f32, 0.5];
    assert_eq!(a.model().eval(0.3, &x, true), b.model().eval(0.3, &x, true));
    let mut wide = cfg.clone();
    wide.model.width = 17;
    let mut c = Trainer::new(&wide).unwrap();
    let err = c.load_weights(&bytes, 1).unwrap_err().to_string();
    assert!(err.contains("shape"), "{err}");
    assert!(c.load_weights(b"garbage", 1).is_err());
}
