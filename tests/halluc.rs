//! The DDPM core of the hallucination lab against closed forms: the schedule's ᾱ, x̂₀ recovery
//! from a known ε, the posterior mean's consistency, the exact mixture denoiser against finite
//! differences of log pₜ, the reverse chain with the exact denoiser landing on the data, the
//! trajectory variance against a direct computation, and the ROC machinery on known cases.
use genlab::data::gmm::GaussianMixture;
use genlab::data::Density;
use genlab::halluc::detect::nearest_mode_distance;
use genlab::halluc::exact::{Denoiser, ExactDenoiser};
use genlab::halluc::sampler::{sample, trajectory_variance};
use genlab::halluc::schedule::Schedule;
use genlab::lab::Trainer as _;
use genlab::metrics::energy::{energy_distance, noise_floor};
use genlab::metrics::roc::{auroc, best_at_kept, roc};
use genlab::rng::Rng;

fn paper() -> Schedule {
    Schedule::linear(1000, 0.001, 0.2)
}

#[test]
fn alpha_bar_is_the_product_of_one_minus_beta() {
    let s = paper();
    assert_eq!(s.steps(), 1000);
    assert!((s.beta[0] - 0.001).abs() < 1e-15 && (s.beta[999] - 0.2).abs() < 1e-15);
    for t in [0, 1, 10, 100, 500, 999] {
        let log: f64 = (0..=t)
            .map(|k| (1.0 - (0.001 + 0.199 * k as f64 / 999.0)).ln())
            .sum();
        assert!(
            (s.alpha_bar[t] - log.exp()).abs() <= 1e-12 * (1.0 + log.exp()),
            "t = {t}"
        );
    }
    assert!(s.alpha_bar.windows(2).all(|w| w[1] < w[0]), "ᾱ decreases");
}

#[test]
fn x0_is_recovered_from_the_true_noise() {
    let s = paper();
    for t in [0, 5, 50, 200] {
        for (x0, eps) in [(1.5, -0.3), (-2.0, 1.1), (0.0, 0.7)] {
            let ab: f64 = s.alpha_bar[t];
            let x_t = ab.sqrt() * x0 + (1.0 - ab).sqrt() * eps;
            assert!((s.predict_x0(t, x_t, eps) - x0).abs() < 1e-9, "t = {t}");
        }
    }
}

#[test]
fn the_posterior_mean_at_the_forward_mean_is_the_earlier_forward_mean() {
    // E[xₜ | x₀] = √ᾱₜ x₀, and μ̃ is linear, so μ̃(x₀, √ᾱₜ x₀) = √ᾱₜ₋₁ x₀
    let s = paper();
    for t in 1..1000 {
        let x0 = 1.7;
        let m = s.posterior_mean(t, x0, s.alpha_bar[t].sqrt() * x0);
        assert!((m - s.alpha_bar[t - 1].sqrt() * x0).abs() < 1e-9, "t = {t}");
    }
    assert!(
        (s.posterior_mean(0, 0.25, 9.0) - 0.25).abs() < 1e-12,
        "the last step returns x̂₀"
    );
    assert_eq!(s.sigma(0), 0.0);
    assert!((s.sigma(10) - s.beta[10].sqrt()).abs() < 1e-15);
}

/// log pₜ(x) of the noised mixture, computed directly.
fn log_pt(data: &GaussianMixture, ab: f64, x: &[f64]) -> f64 {
    let w = data.weights();
    let terms: Vec<f64> = data
        .components
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let mut l = (w[k] as f64).ln();
            for (d, xd) in x.iter().enumerate() {
                let var = ab * (c.std[d] as f64).powi(2) + 1.0 - ab;
                l += -0.5
                    * ((xd - ab.sqrt() * c.mean[d] as f64).powi(2) / var
                        + (2.0 * std::f64::consts::PI * var).ln());
            }
            l
        })
        .collect();
    let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

#[test]
fn the_exact_denoiser_is_minus_sqrt_one_minus_alpha_bar_times_the_score() {
    let data = GaussianMixture::grid25(0.05);
    let den = ExactDenoiser {
        data: data.clone(),
        schedule: paper(),
    };
    let h = 1e-5;
    for t in [0, 3, 20, 100] {
        let ab = den.schedule.alpha_bar[t];
        for p in [[0.3f32, -0.2], [0.7, 0.7], [-1.1, 0.05]] {
            let eps = den.eps(t, &p);
            for d in 0..2 {
                let mut plus = [p[0] as f64, p[1] as f64];
                let mut minus = plus;
                plus[d] += h;
                minus[d] -= h;
                let score = (log_pt(&data, ab, &plus) - log_pt(&data, ab, &minus)) / (2.0 * h);
                let expect = -(1.0 - ab).sqrt() * score;
                assert!(
                    (eps[d] as f64 - expect).abs() < 1e-3 * (1.0 + expect.abs()),
                    "t = {t}, {p:?}, d = {d}: {} vs {expect}",
                    eps[d]
                );
            }
        }
    }
}

#[test]
fn the_reverse_chain_with_the_exact_denoiser_lands_on_the_data() {
    let data = GaussianMixture::modes_1d(&[1.0, 2.0, 3.0], 0.05);
    let den = ExactDenoiser {
        data: data.clone(),
        schedule: paper(),
    };
    let mut rng = Rng::new(1);
    let n = 3000;
    let mut steps = 0;
    let chain = sample(&den, &den.schedule, n, 10, &mut rng, |_, _, _| steps += 1);
    assert_eq!(steps, 1000);
    // each mode gets a third of the samples, centred on the mode; the spread is the data's 0.05
    // widened a little by the reverse variance σₜ² = βₜ (the paper's choice, not the posterior's)
    for m in [1.0f32, 2.0, 3.0] {
        let near: Vec<f64> = chain
            .samples
            .iter()
            .filter(|x| (**x - m).abs() < 0.25)
            .map(|x| *x as f64)
            .collect();
        let share = near.len() as f64 / n as f64;
        assert!((share - 1.0 / 3.0).abs() < 0.04, "mode {m}: share {share}");
        let mean = near.iter().sum::<f64>() / near.len() as f64;
        let std = (near.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / near.len() as f64).sqrt();
        assert!((mean - m as f64).abs() < 0.01, "mode {m}: mean {mean}");
        assert!((0.045..0.07).contains(&std), "mode {m}: std {std}");
    }
    let target = data.sample(n, &mut rng);
    let ed = energy_distance(&chain.samples, &target, 1);
    let floor = noise_floor(&data, n, 1, &mut rng);
    assert!(ed < 10.0 * floor, "energy distance {ed}, floor {floor}");
    // the perfect model hallucinates (almost) nothing: few samples beyond 4σ of every mode
    let modes = vec![vec![1.0], vec![2.0], vec![3.0]];
    let far = nearest_mode_distance(&chain.samples, 1, &modes)
        .iter()
        .filter(|d| **d > 0.2)
        .count();
    assert!(far < n / 100, "{far} of {n} samples far from every mode");
    assert_eq!(chain.variance.len(), n);
    assert!(chain.variance.iter().all(|v| v.is_finite() && *v >= 0.0));
}

#[test]
fn trajectory_variance_is_the_population_variance_averaged_over_dimensions() {
    // two samples in 2D over a window of 4 steps
    let window = vec![
        vec![0.0, 1.0, 5.0, 5.0],
        vec![2.0, 1.0, 5.0, 5.0],
        vec![0.0, 3.0, 5.0, 5.0],
        vec![2.0, 3.0, 5.0, 5.0],
    ];
    let v = trajectory_variance(&window, 2);
    // sample 0: dim 0 takes 0,2,0,2 (variance 1), dim 1 takes 1,1,3,3 (variance 1) → 1; sample 1 is constant
    assert_eq!(v, vec![1.0, 0.0]);
}

#[test]
fn roc_and_auroc_on_known_cases() {
    let labels = [true, true, false, false, false];
    let perfect = roc(&[0.9, 0.8, 0.1, 0.2, 0.3], &labels);
    assert!((auroc(&perfect) - 1.0).abs() < 1e-12);
    let best = best_at_kept(&perfect, 0.96);
    assert_eq!((best.removed, best.kept), (1.0, 1.0));
    assert!(
        best.threshold >= 0.3 && best.threshold < 0.8,
        "threshold {}",
        best.threshold
    );
    let reversed = roc(&[0.1, 0.2, 0.9, 0.8, 0.7], &labels);
    assert!(auroc(&reversed).abs() < 1e-12);
    let tied = roc(&[0.5; 5], &labels);
    assert!(
        (auroc(&tied) - 0.5).abs() < 1e-12,
        "all ties: {}",
        auroc(&tied)
    );
    // one positive below two negatives: pairs ranked right = 1·3 + 1·1 of 6
    let mixed = roc(&[0.9, 0.4, 0.5, 0.6, 0.1], &labels);
    assert!(
        (auroc(&mixed) - 4.0 / 6.0).abs() < 1e-12,
        "{}",
        auroc(&mixed)
    );
    assert_eq!(
        nearest_mode_distance(&[0.0, 0.0, 3.0, 4.0], 2, &[vec![0.0, 1.0], vec![3.0, 0.0]]),
        vec![1.0, 4.0]
    );
}

#[test]
fn the_paper_network_has_about_67k_parameters() {
    let net = genlab::halluc::model::NoiseNet::new(2, 128, &mut Rng::new(0)).unwrap();
    // t_proj, l1, lt, l2: 128·128 + 128 each; x_proj 2·128; three LayerNorms 2·128; out 128·2 + 2
    assert_eq!(
        net.params.count(),
        4 * (128 * 128 + 128) + 2 * 128 + 3 * 256 + 128 * 2 + 2
    );
    let eps = net.freeze(1000).unwrap().eps(500, &[0.1, -0.2, 0.3, 0.4]);
    assert_eq!(eps.len(), 4);
    assert!(eps.iter().all(|v| v.is_finite()));
}

/// The sampler's slice path against the candle forward, with the shipped grid25 weights (so
/// every bias, scale and shift is trained, not its zero or unit start).
#[test]
fn inference_path_matches_the_candle_forward_with_trained_weights() {
    use candle_core::{Device, Tensor};
    let mut net = genlab::halluc::model::NoiseNet::new(2, 128, &mut Rng::new(0)).unwrap();
    let before = net.freeze(1000).unwrap().infer(500, &[0.1, -0.2]).unwrap();
    net.params
        .load_safetensors(&std::fs::read("www/models/halluc/grid25.safetensors").unwrap())
        .unwrap();
    let frozen = net.freeze(1000).unwrap();
    let x = Rng::new(4).normal_vec(2 * 301);
    for t in [0usize, 9, 500, 999] {
        let xs = Tensor::from_slice(&x, (301, 2), &Device::Cpu).unwrap();
        let want = net
            .forward(&xs, &Tensor::full(t as f32, 1, &Device::Cpu).unwrap())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let got = frozen.infer(t, &x).unwrap();
        assert_eq!(got.len(), want.len());
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "t = {t}: largest relative difference {worst}");
    }
    assert_ne!(
        before,
        frozen.infer(500, &[0.1, -0.2]).unwrap(),
        "loading the weights changed nothing"
    );
    assert!(frozen.infer(0, &[]).unwrap().is_empty());
    assert!(
        frozen.infer(1000, &[0.1, -0.2]).is_err(),
        "step 1000 is past the frozen 1000"
    );
}

/// The fused LayerNorm + LeakyReLU op against the same formula in stock candle ops (forward),
/// and its hand-written gradients (x, γ, β) against central finite differences.
#[test]
fn fused_layer_norm_matches_stock_ops_and_finite_differences() {
    use candle_core::{Device, Tensor, D};
    use genlab::nn::{layer_norm::LayerNorm, params::Params};
    let dev = &Device::Cpu;
    let mut p = Params::new();
    let ln = LayerNorm::new("ln", 4, &mut p).unwrap();
    let (gamma, beta) = (
        p.get("ln.weight").unwrap().clone(),
        p.get("ln.bias").unwrap().clone(),
    );
    p.restore(&[
        Tensor::new(&[1.5f32, -0.7, 0.9, 2.0], dev).unwrap(),
        Tensor::new(&[0.1f32, -0.3, 0.2, 0.0], dev).unwrap(),
    ])
    .unwrap();
    let x0 = vec![0.3f32, -1.2, 2.0, 0.5, -0.4, 0.1, 0.8, -2.2];
    let weights = Tensor::new(&[[1.0f32, -2.0, 0.5, 3.0], [0.7, 1.1, -1.3, 0.4]], dev).unwrap();
    for slope in [0.02f32, 1.0] {
        let x = Tensor::from_vec(x0.clone(), (2, 4), dev).unwrap();
        // stock ops: LReLU(γ (x − μ)/√(var + 1e-5) + β)
        let c = x
            .broadcast_sub(&x.mean_keepdim(D::Minus1).unwrap())
            .unwrap();
        let var = c.sqr().unwrap().mean_keepdim(D::Minus1).unwrap();
        let z = c
            .broadcast_div(&(var + 1e-5).unwrap().sqrt().unwrap())
            .unwrap()
            .broadcast_mul(&gamma)
            .unwrap()
            .broadcast_add(&beta)
            .unwrap();
        let stock = candle_nn::ops::leaky_relu(&z, slope as f64)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let fused = ln
            .forward_leaky(&x, slope)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (a, b) in stock.iter().zip(&fused) {
            assert!(
                (a - b).abs() < 1e-5,
                "slope {slope}: stock {a} vs fused {b}"
            );
        }
        let loss = |x: &Tensor| {
            ln.forward_leaky(x, slope)
                .unwrap()
                .mul(&weights)
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let xv = candle_core::Var::from_tensor(&x).unwrap();
        let grads = loss(xv.as_tensor()).backward().unwrap();
        let h = 1e-3f32;
        // ∂x by finite differences
        let gx = grads
            .get(xv.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for i in 0..8 {
            let at = |d: f32| {
                let mut v = x0.clone();
                v[i] += d;
                loss(&Tensor::from_vec(v, (2, 4), dev).unwrap())
                    .to_scalar::<f32>()
                    .unwrap()
            };
            let fd = (at(h) - at(-h)) / (2.0 * h);
            assert!(
                (gx[i] - fd).abs() < 1e-2 * (1.0 + fd.abs()),
                "slope {slope} d/dx{i}: {} vs {fd}",
                gx[i]
            );
        }
        // ∂γ and ∂β by finite differences on the parameters
        for (which, param) in [(0usize, &gamma), (1, &beta)] {
            let g = grads.get(param).unwrap().to_vec1::<f32>().unwrap();
            let base = [
                gamma.to_vec1::<f32>().unwrap(),
                beta.to_vec1::<f32>().unwrap(),
            ];
            for j in 0..4 {
                let at = |d: f32| {
                    let mut v = base.clone();
                    v[which][j] += d;
                    p.restore(&[
                        Tensor::new(v[0].as_slice(), dev).unwrap(),
                        Tensor::new(v[1].as_slice(), dev).unwrap(),
                    ])
                    .unwrap();
                    let value = loss(&x).to_scalar::<f32>().unwrap();
                    p.restore(&[
                        Tensor::new(base[0].as_slice(), dev).unwrap(),
                        Tensor::new(base[1].as_slice(), dev).unwrap(),
                    ])
                    .unwrap();
                    value
                };
                let fd = (at(h) - at(-h)) / (2.0 * h);
                assert!(
                    (g[j] - fd).abs() < 1e-2 * (1.0 + fd.abs()),
                    "slope {slope} param {which}[{j}]: {} vs {fd}",
                    g[j]
                );
            }
        }
    }
}

/// A LayerNorm of width `d` with Gaussian γ and β, its parameter store, and γ and β.
fn random_layer_norm(
    d: usize,
    rng: &mut genlab::rng::Rng,
) -> (
    genlab::nn::layer_norm::LayerNorm,
    genlab::nn::params::Params,
    Vec<f32>,
    Vec<f32>,
) {
    use candle_core::{Device, Tensor};
    let mut p = genlab::nn::params::Params::new();
    let ln = genlab::nn::layer_norm::LayerNorm::new("ln", d, &mut p).unwrap();
    let (gamma, beta) = (rng.normal_vec(d), rng.normal_vec(d));
    p.restore(&[
        Tensor::new(gamma.as_slice(), &Device::Cpu).unwrap(),
        Tensor::new(beta.as_slice(), &Device::Cpu).unwrap(),
    ])
    .unwrap();
    (ln, p, gamma, beta)
}

/// LayerNorm sums several rows side by side for speed; each row's sums must still run in order,
/// so its output has the bits of the row-at-a-time formula (the shipped weights were trained
/// with it), for row counts that do and do not fill the side-by-side blocks.
#[test]
fn layer_norm_gives_the_bits_of_summing_one_row_at_a_time() {
    use candle_core::{Device, Tensor};
    let dev = &Device::Cpu;
    let mut rng = genlab::rng::Rng::new(7);
    for (rows, d) in [(13usize, 128usize), (8, 5), (3, 1), (17, 64)] {
        let (ln, _, gamma, beta) = random_layer_norm(d, &mut rng);
        let x: Vec<f32> = rng
            .normal_vec(rows * d)
            .iter()
            .map(|v| 3.0 * v + 0.5)
            .collect();
        let slope = 0.02f32;
        let want: Vec<u32> = x
            .chunks_exact(d)
            .flat_map(|row| {
                let mean = row.iter().sum::<f32>() / d as f32;
                let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
                let r = 1.0 / (var + 1e-5).sqrt();
                let z: Vec<f32> = row
                    .iter()
                    .zip(&gamma)
                    .zip(&beta)
                    .map(|((v, g), b)| (v - mean) * r * g + b)
                    .collect();
                z.into_iter()
                    .map(move |z| if z > 0.0 { z } else { slope * z }.to_bits())
            })
            .collect();
        let differ = |v: Vec<f32>| {
            v.len().abs_diff(want.len())
                + v.iter()
                    .zip(&want)
                    .filter(|(a, b)| a.to_bits() != **b)
                    .count()
        };
        assert_eq!(
            differ(ln.freeze().unwrap().forward_leaky(&x, slope).unwrap()),
            0,
            "{rows} rows of {d}: inference differs"
        );
        let t = Tensor::from_vec(x.clone(), (rows, d), dev).unwrap();
        let fused = ln
            .forward_leaky(&t, slope)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(
            differ(fused),
            0,
            "{rows} rows of {d}: the training op differs"
        );
    }
}

/// The LayerNorm gradient sums several rows side by side too; ∂x, ∂γ and ∂β must have the bits
/// of the row-at-a-time formula (links to runs trained in the page replay with it), for row
/// counts that do and do not fill the side-by-side blocks, and both slopes.
#[test]
fn layer_norm_gradient_gives_the_bits_of_one_row_at_a_time() {
    use candle_core::{Device, Tensor, Var};
    let dev = &Device::Cpu;
    let mut rng = genlab::rng::Rng::new(11);
    for (rows, d, slope) in [
        (13usize, 128usize, 0.02f32),
        (8, 5, 0.02),
        (3, 1, 1.0),
        (17, 64, 1.0),
    ] {
        let (ln, p, gamma, _) = random_layer_norm(d, &mut rng);
        let x: Vec<f32> = rng
            .normal_vec(rows * d)
            .iter()
            .map(|v| 2.0 * v - 0.3)
            .collect();
        let weights = rng.normal_vec(rows * d);
        // the loss Σ w·y, so the output gradient is w
        let xv = Var::from_vec(x.clone(), (rows, d), dev).unwrap();
        let y = ln.forward_leaky(xv.as_tensor(), slope).unwrap();
        let yv = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let w = Tensor::from_vec(weights.clone(), (rows, d), dev).unwrap();
        let grads = y.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
        let got = |t: &Tensor| {
            grads
                .get(t)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        let (gx, gg, gb) = (
            got(xv.as_tensor()),
            got(p.get("ln.weight").unwrap()),
            got(p.get("ln.bias").unwrap()),
        );
        // one row at a time, each sum in order from 0
        let (mut want_x, mut want_g, mut want_b) = (vec![], vec![0f32; d], vec![0f32; d]);
        for ((row, yr), wr) in x.chunks(d).zip(yv.chunks(d)).zip(weights.chunks(d)) {
            let mean = row.iter().sum::<f32>() / d as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
            let r = 1.0 / (var + 1e-5).sqrt();
            let xhat: Vec<f32> = row.iter().map(|v| (v - mean) * r).collect();
            let gz: Vec<f32> = yr
                .iter()
                .zip(wr)
                .map(|(y, w)| if *y > 0.0 { *w } else { slope * w })
                .collect();
            let gxhat: Vec<f32> = gz.iter().zip(&gamma).map(|(g, c)| g * c).collect();
            let (mut mean_g, mut mean_gx) = (0f32, 0f32);
            for j in 0..d {
                want_g[j] += gz[j] * xhat[j];
                want_b[j] += gz[j];
                mean_g += gxhat[j];
                mean_gx += gxhat[j] * xhat[j];
            }
            let (mean_g, mean_gx) = (mean_g / d as f32, mean_gx / d as f32);
            want_x.extend((0..d).map(|j| r * (gxhat[j] - mean_g - xhat[j] * mean_gx)));
        }
        for (name, have, want) in [("x", gx, want_x), ("γ", gg, want_g), ("β", gb, want_b)] {
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&have),
                bits(&want),
                "{rows} rows of {d}, slope {slope}: ∂{name} differs"
            );
        }
    }
}

#[test]
fn training_lowers_the_noise_prediction_loss() {
    let config: genlab::halluc::config::HallucConfig = genlab::config::from_json(
        r#"{"data":{"name":"modes-1d","modes":[1,2,3],"std":0.05},"trainSize":2000,"train":{"width":32,"batch":256}}"#,
    )
    .unwrap();
    let mut t = genlab::halluc::train::Trainer::new(&config).unwrap();
    let losses: Vec<f32> = (0..300).map(|_| t.step().unwrap()).collect();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (first, last) = (mean(&losses[..30]), mean(&losses[270..]));
    assert!(last < 0.8 * first, "loss {first} → {last}");
    // the same seed trains to the same losses
    let mut again = genlab::halluc::train::Trainer::new(&config).unwrap();
    assert_eq!(again.step().unwrap(), losses[0]);
}

#[test]
fn bad_settings_name_their_field() {
    let field = |json: &str| {
        genlab::config::from_json::<genlab::halluc::config::HallucConfig>(json)
            .unwrap_err()
            .field
    };
    assert_eq!(field(r#"{"data":{"name":"checkerboard"}}"#), "data");
    assert_eq!(field(r#"{"window":1}"#), "window");
    assert_eq!(field(r#"{"train":{"batch":0}}"#), "train.batch");
    assert_eq!(field(r#"{"schedule":{"betaEnd":2}}"#), "schedule.betaEnd");
    assert_eq!(field(r#"{"data":{"name":"grid25","std":-1}}"#), "data.std");
}
