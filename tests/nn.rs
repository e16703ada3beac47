//! Neural-network blocks: seeded initialisation, AdamW with decay groups, safetensors I/O,
//! time embeddings, the divergence guard and the benchmark workload.
//!
//! Initial weights are checked against PyTorch's Linear init (U[−1/√fan_in, 1/√fan_in], so
//! variance 1/(3·fan_in)); the optimiser against AdamW's one-step closed form; embeddings
//! against their formulas evaluated independently in f64.
use candle_core::{DType, Device, Module, Tensor};
use genlab::bench::BenchWorkload;
use genlab::nn::embedding::{sinusoidal, FourierFeatures};
use genlab::nn::mlp::{Activation, Mlp, MlpConfig};
use genlab::nn::optim::GroupedAdamW;
use genlab::nn::params::{Group, Params};
use genlab::rng::Rng;

mod common;
use common::*;
#[path = "common/leaky_relu.rs"]
mod leaky_relu_check;
#[path = "common/silu.rs"]
mod silu_check;

// ---------------------------------------------------------------- helpers

fn cfg(input: usize, hidden: &[usize], output: usize, activation: Activation) -> MlpConfig {
    MlpConfig {
        input,
        hidden: hidden.to_vec(),
        output,
        activation,
    }
}

fn build(c: &MlpConfig, seed: u64) -> (Params, Mlp) {
    let mut p = Params::new();
    let mlp = Mlp::new(c, "net", &mut p, &mut Rng::new(seed)).unwrap();
    (p, mlp)
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// Every parameter's name and values.
fn snapshot(p: &Params) -> Vec<(String, Vec<f32>)> {
    p.names()
        .map(|n| (n.to_string(), flat(p.get(n).unwrap())))
        .collect()
}

fn mse(pred: &Tensor, y: &Tensor) -> Tensor {
    (pred - y).unwrap().sqr().unwrap().mean_all().unwrap()
}

fn scalar(t: &Tensor) -> f32 {
    t.to_scalar::<f32>().unwrap()
}

/// The gradients of `Σ y ⊙ weights`: a loss whose gradient differs in every entry of `y`.
fn weighted_grads(y: Tensor, weights: &Tensor) -> candle_core::backprop::GradStore {
    (y * weights)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap()
}

/// A fixed batch of inputs, `n × dim`, uniform on [−2, 2).
fn inputs(n: usize, dim: usize, seed: u64) -> Tensor {
    Rng::new(seed)
        .uniform_tensor((n, dim), -2.0, 2.0, &Device::Cpu)
        .unwrap()
}

// ---------------------------------------------------------------- initialisation

#[test]
fn same_seed_gives_identical_weights() {
    let c = cfg(3, &[16, 16], 2, Activation::Silu);
    let (a, _) = build(&c, 11);
    let (b, _) = build(&c, 11);
    assert_eq!(a.to_safetensors().unwrap(), b.to_safetensors().unwrap());
    assert_eq!(snapshot(&a), snapshot(&b));
}

#[test]
fn different_seeds_give_different_weights() {
    let c = cfg(3, &[16, 16], 2, Activation::Silu);
    let (a, b) = (snapshot(&build(&c, 11).0), snapshot(&build(&c, 12).0));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        let same = x.iter().zip(y).filter(|(u, v)| u == v).count();
        assert!(
            same < x.len() / 4 + 1,
            "{name}: seeds 11 and 12 share {same} of {} values",
            x.len()
        );
    }
}

#[test]
fn parameters_are_named_grouped_and_counted() {
    let c = cfg(3, &[8, 5], 2, Activation::Relu);
    let (p, _) = build(&c, 0);
    let names: Vec<&str> = p.names().collect();
    assert_eq!(
        names,
        [
            "net.0.weight",
            "net.0.bias",
            "net.1.weight",
            "net.1.bias",
            "net.2.weight",
            "net.2.bias"
        ]
    );
    assert_eq!(p.count(), 3 * 8 + 8 + 8 * 5 + 5 + 5 * 2 + 2);
    assert_eq!(
        p.get("net.1.weight").unwrap().dims(),
        &[5, 8],
        "Linear weight is [fan_out, fan_in]"
    );
    // weights decay, biases do not
    let decay: usize = p.group(Group::Decay).iter().map(|v| v.elem_count()).sum();
    let no_decay: usize = p.group(Group::NoDecay).iter().map(|v| v.elem_count()).sum();
    assert_eq!(decay, 3 * 8 + 8 * 5 + 5 * 2);
    assert_eq!(no_decay, 8 + 5 + 2);
}

#[test]
fn weights_lie_within_pytorch_bound_with_uniform_variance() {
    // fan_in 2, 300, 200: bound 1/√f, variance of U[−b, b] is b²/3 = 1/(3f)
    let c = cfg(2, &[300, 200], 1, Activation::Tanh);
    let (p, _) = build(&c, 5);
    for (layer, fan_in) in [(0, 2usize), (1, 300), (2, 200)] {
        let bound = 1.0 / (fan_in as f64).sqrt();
        for kind in ["weight", "bias"] {
            let name = format!("net.{layer}.{kind}");
            let v: Vec<f64> = flat(p.get(&name).unwrap())
                .iter()
                .map(|x| *x as f64)
                .collect();
            for x in &v {
                assert!(
                    x.abs() <= bound,
                    "{name}: {x} outside ±1/√{fan_in} = ±{bound}"
                );
            }
            if v.len() >= 200 {
                assert_within(
                    &format!("{name} mean"),
                    mean(&v),
                    0.0,
                    (variance(&v) / v.len() as f64).sqrt(),
                );
                assert_within(
                    &format!("{name} variance"),
                    variance(&v),
                    1.0 / (3.0 * fan_in as f64),
                    se_variance(&v),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- optimiser

#[test]
fn small_mlp_fits_a_smooth_function() {
    // y = sin(x₀) + x₁ on 256 fixed points; 300 AdamW steps at lr 1e-2 cut the loss below 5%
    let c = cfg(2, &[32, 32], 1, Activation::Tanh);
    let (p, mlp) = build(&c, 3);
    let x = inputs(256, 2, 4);
    let y = (x.narrow(1, 0, 1).unwrap().sin().unwrap() + x.narrow(1, 1, 1).unwrap()).unwrap();
    let mut opt = GroupedAdamW::new(&p, 1e-2, 0.0).unwrap();
    let initial = scalar(&mse(&mlp.forward(&x).unwrap(), &y));
    for _ in 0..300 {
        opt.backward_step(&mse(&mlp.forward(&x).unwrap(), &y))
            .unwrap();
    }
    let last = scalar(&mse(&mlp.forward(&x).unwrap(), &y));
    assert!(
        initial > 0.1,
        "initial loss {initial} is suspiciously small"
    );
    assert!(
        last < 0.05 * initial,
        "loss went from {initial} to {last} in 300 steps; expected below 5%"
    );
}

#[test]
fn inference_path_matches_the_candle_forward_for_every_activation() {
    for act in [
        Activation::Relu,
        Activation::Silu,
        Activation::Tanh,
        Activation::Gelu,
        Activation::LeakyRelu,
    ] {
        let (_, mlp) = build(&cfg(3, &[40, 33, 40], 2, act), 5);
        let x = inputs(301, 3, 6);
        let want = flat(&mlp.forward(&x).unwrap());
        let got = mlp.infer(&flat(&x)).unwrap();
        assert_eq!(got.len(), want.len());
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{act:?}: largest difference {worst}");
    }
    let (_, mlp) = build(&cfg(3, &[8], 2, Activation::Relu), 5);
    assert!(mlp.infer(&[0.0; 4]).is_err(), "4 values are not rows of 3");
    assert!(mlp.infer(&[]).unwrap().is_empty());
}

#[test]
fn leaky_relu_op_is_bit_identical_to_candles_forward_and_gradient() {
    leaky_relu_check::assert_leaky_relu_matches_candle(100_001);
}

#[test]
fn silu_op_is_bit_identical_to_candles_forward_and_gradient() {
    silu_check::assert_silu_matches_candle(100_001);
}

#[test]
fn fused_step_is_bit_identical_to_candles_adamw_with_clip_and_groups() {
    // the reference: candle's own AdamW per group, the decay group's gradients clamped first
    use candle_nn::{AdamW, Optimizer, ParamsAdamW};
    let (lr, wd, clip) = (3e-2f64, 0.1f64, 0.05f64);
    let c = cfg(3, &[24, 24], 2, Activation::Silu);
    let (p_ref, mlp_ref) = build(&c, 12);
    let (p, mlp) = build(&c, 12);
    let adamw = |group, weight_decay| {
        AdamW::new(
            p_ref.group(group),
            ParamsAdamW {
                lr,
                weight_decay,
                ..ParamsAdamW::default()
            },
        )
        .unwrap()
    };
    let (mut decay, mut no_decay) = (adamw(Group::Decay, wd), adamw(Group::NoDecay, 0.0));
    let mut opt = GroupedAdamW::new(&p, lr, wd).unwrap().with_clip(clip);
    let (x, y) = (inputs(64, 3, 13), inputs(64, 2, 14));
    for step in 0..12 {
        let mut grads = mse(&mlp_ref.forward(&x).unwrap(), &y).backward().unwrap();
        for var in p_ref.group(Group::Decay) {
            let g = grads.remove(&var).unwrap().clamp(-clip, clip).unwrap();
            grads.insert(&var, g);
        }
        decay.step(&grads).unwrap();
        no_decay.step(&grads).unwrap();
        opt.backward_step(&mse(&mlp.forward(&x).unwrap(), &y))
            .unwrap();
        for ((name, want), (_, got)) in snapshot(&p_ref).iter().zip(&snapshot(&p)) {
            let differ = want
                .iter()
                .zip(got)
                .filter(|(a, b)| a.to_bits() != b.to_bits())
                .count();
            assert_eq!(
                differ,
                0,
                "step {step}, {name}: {differ} of {} values differ from candle's AdamW",
                want.len()
            );
        }
    }
    let moved = snapshot(&p)
        .iter()
        .zip(&snapshot(&build(&c, 12).0))
        .any(|((_, a), (_, b))| a != b);
    assert!(moved, "training left every parameter where it started");
}

#[test]
fn moments_are_flushed_below_f32s_normal_range_and_the_steps_stay_candles() {
    // One gradient of 10⁻¹⁵, then zeros: m crosses the subnormal range near step 500, v near
    // step 11,400. Ours flushes them to 0; θ still matches candle's AdamW bit for bit.
    use candle_nn::{AdamW, Optimizer, ParamsAdamW};
    let (lr, wd) = (1e-3, 0.1);
    let (mut p, mut p_ref) = (Params::new(), Params::new());
    let w = p
        .add(
            "w",
            Tensor::new(&[0.5f32], &Device::Cpu).unwrap(),
            Group::Decay,
        )
        .unwrap();
    let w_ref = p_ref
        .add(
            "w",
            Tensor::new(&[0.5f32], &Device::Cpu).unwrap(),
            Group::Decay,
        )
        .unwrap();
    let mut opt = GroupedAdamW::new(&p, lr, wd).unwrap();
    let mut reference = AdamW::new(
        p_ref.group(Group::Decay),
        ParamsAdamW {
            lr,
            weight_decay: wd,
            ..ParamsAdamW::default()
        },
    )
    .unwrap();
    let (mut saw_m, mut saw_v) = (false, false);
    for step in 0..12_000 {
        let scale = Tensor::new(if step == 0 { 1e-15f32 } else { 0.0 }, &Device::Cpu).unwrap();
        opt.backward_step(&w.sum_all().unwrap().mul(&scale).unwrap())
            .unwrap();
        reference
            .backward_step(&w_ref.sum_all().unwrap().mul(&scale).unwrap())
            .unwrap();
        let (m, v) = opt.moments().next().unwrap();
        assert!(
            m[0] == 0.0 || m[0].is_normal(),
            "step {step}: m = {:e}",
            m[0]
        );
        assert!(
            v[0] == 0.0 || v[0].is_normal(),
            "step {step}: v = {:e}",
            v[0]
        );
        (saw_m, saw_v) = (saw_m || m[0] == 0.0, saw_v || v[0] == 0.0);
        let (a, b) = (
            w.to_vec1::<f32>().unwrap()[0],
            w_ref.to_vec1::<f32>().unwrap()[0],
        );
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "step {step}: θ {a} vs candle's {b}"
        );
    }
    assert!(saw_m && saw_v, "both moments reached 0");
}

/// Σ of every parameter's values, times `scale`: a loss whose gradient is `scale` everywhere.
/// The scale is a tensor, not an `affine`, because candle's backprop drops a `× 0.0` affine
/// from the graph, and then no parameter gets a gradient (nor, in AdamW, any update).
fn linear_loss(p: &Params, scale: f32) -> Tensor {
    let sums: Vec<Tensor> = p
        .names()
        .map(|n| p.get(n).unwrap().sum_all().unwrap())
        .collect();
    let scale = Tensor::new(scale, &Device::Cpu).unwrap();
    Tensor::stack(&sums, 0)
        .unwrap()
        .sum_all()
        .unwrap()
        .mul(&scale)
        .unwrap()
}

#[test]
fn weight_decay_scales_only_the_decay_group() {
    // zero gradient: AdamW leaves θ·(1 − ηλ) for decay params and θ for the rest
    let (lr, wd) = (0.1f64, 0.5f64);
    let c = cfg(3, &[8], 2, Activation::Silu);
    let (p, _) = build(&c, 7);
    let before = snapshot(&p);
    let mut opt = GroupedAdamW::new(&p, lr, wd).unwrap();
    opt.backward_step(&linear_loss(&p, 0.0)).unwrap();
    let after = snapshot(&p);
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        let decays = name.ends_with("weight");
        let factor = if decays { 1.0 - lr * wd } else { 1.0 };
        for (x0, x1) in b.iter().zip(a) {
            let expect = *x0 as f64 * factor;
            assert!(
                (*x1 as f64 - expect).abs() <= 1e-6 * expect.abs().max(1e-6),
                "{name} ({}): {x0} became {x1}; expected ×{factor} = {expect}",
                if decays { "decay" } else { "no decay" }
            );
        }
    }
}

#[test]
fn first_adam_step_moves_every_parameter_by_the_learning_rate() {
    // step 1: m̂ = g, v̂ = g², so θ ← θ(1 − ηλ) − η·g/(|g| + ε) = θ(1 − ηλ) − η for g = 1
    let (lr, wd) = (0.01f64, 0.1f64);
    let c = cfg(2, &[4], 1, Activation::Gelu);
    let (p, _) = build(&c, 8);
    let before = snapshot(&p);
    let mut opt = GroupedAdamW::new(&p, lr, wd).unwrap();
    opt.backward_step(&linear_loss(&p, 1.0)).unwrap();
    for ((name, b), (_, a)) in before.iter().zip(&snapshot(&p)) {
        let factor = if name.ends_with("weight") {
            1.0 - lr * wd
        } else {
            1.0
        };
        for (x0, x1) in b.iter().zip(a) {
            let expect = *x0 as f64 * factor - lr;
            assert!(
                (*x1 as f64 - expect).abs() < 1e-6,
                "{name}: {x0} became {x1}; expected {expect}"
            );
        }
    }
}

#[test]
fn set_learning_rate_changes_the_step_size() {
    let c = cfg(2, &[4], 1, Activation::Relu);
    let (p, _) = build(&c, 9);
    let before = snapshot(&p);
    let mut opt = GroupedAdamW::new(&p, 0.5, 0.0).unwrap();
    opt.set_learning_rate(0.002);
    opt.backward_step(&linear_loss(&p, 1.0)).unwrap();
    for ((name, b), (_, a)) in before.iter().zip(&snapshot(&p)) {
        for (x0, x1) in b.iter().zip(a) {
            assert!(
                ((x0 - x1) as f64 - 0.002).abs() < 1e-6,
                "{name}: moved by {} instead of 0.002",
                x0 - x1
            );
        }
    }
}

// ---------------------------------------------------------------- safetensors

fn forward(mlp: &Mlp, x: &Tensor) -> Vec<f32> {
    flat(&mlp.forward(x).unwrap())
}

#[test]
fn safetensors_round_trip_reproduces_the_model() {
    let c = cfg(2, &[16, 16], 3, Activation::LeakyRelu);
    let (a, mlp_a) = build(&c, 1);
    let (mut b, mlp_b) = build(&c, 2);
    let x = inputs(50, 2, 3);
    assert_ne!(
        forward(&mlp_a, &x),
        forward(&mlp_b, &x),
        "two seeds should start as different models"
    );
    b.load_safetensors(&a.to_safetensors().unwrap()).unwrap();
    assert_eq!(
        forward(&mlp_a, &x),
        forward(&mlp_b, &x),
        "loaded model computes something else"
    );
    assert_eq!(snapshot(&a), snapshot(&b));
}

#[test]
fn garbage_bytes_are_rejected_and_change_nothing() {
    let c = cfg(2, &[8], 1, Activation::Tanh);
    let (mut p, _) = build(&c, 1);
    let before = snapshot(&p);
    for bytes in [&b"not a weights file"[..], &[], &[255u8; 64]] {
        let e = p
            .load_safetensors(bytes)
            .expect_err("garbage should not load")
            .to_string();
        assert!(
            e.contains("safetensors"),
            "error `{e}` should say it is not a safetensors file"
        );
    }
    assert_eq!(snapshot(&p), before);
}

#[test]
fn other_hidden_width_is_rejected_naming_tensor_and_shapes() {
    let (wide, _) = build(&cfg(2, &[32], 1, Activation::Tanh), 1);
    let (mut narrow, _) = build(&cfg(2, &[16], 1, Activation::Tanh), 2);
    let before = snapshot(&narrow);
    let e = narrow
        .load_safetensors(&wide.to_safetensors().unwrap())
        .expect_err("shape mismatch")
        .to_string();
    for part in ["net.0.weight", "[32, 2]", "[16, 2]"] {
        assert!(e.contains(part), "error `{e}` should mention {part}");
    }
    assert_eq!(
        snapshot(&narrow),
        before,
        "a failed load changed the parameters"
    );
}

#[test]
fn mismatch_in_a_later_tensor_leaves_earlier_ones_unchanged() {
    // same first layer, different output width: net.0.* would fit, net.1.weight does not
    let (src, _) = build(&cfg(2, &[8], 3, Activation::Tanh), 1);
    let (mut dst, _) = build(&cfg(2, &[8], 1, Activation::Tanh), 2);
    let before = snapshot(&dst);
    let e = dst
        .load_safetensors(&src.to_safetensors().unwrap())
        .expect_err("shape mismatch")
        .to_string();
    assert!(
        e.contains("net.1.weight"),
        "error `{e}` should name net.1.weight"
    );
    assert_eq!(
        snapshot(&dst),
        before,
        "a failed load changed the parameters that did fit"
    );
}

#[test]
fn missing_tensor_is_rejected_naming_it() {
    let c = cfg(2, &[8], 1, Activation::Tanh);
    let (src, _) = build(&c, 1);
    let (mut dst, _) = build(&c, 2);
    dst.zeros("net.extra", &[4], Group::NoDecay).unwrap();
    let before = snapshot(&dst);
    let e = dst
        .load_safetensors(&src.to_safetensors().unwrap())
        .expect_err("missing tensor")
        .to_string();
    assert!(
        e.contains("net.extra"),
        "error `{e}` should name the missing tensor"
    );
    assert_eq!(
        snapshot(&dst),
        before,
        "a failed load changed the parameters"
    );
}

#[test]
fn non_f32_tensor_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f64.safetensors");
    let w = Tensor::new(&[1.0f64, 2.0], &Device::Cpu).unwrap();
    candle_core::safetensors::save(&std::collections::HashMap::from([("w", w)]), &file).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let mut p = Params::new();
    p.zeros("w", &[2], Group::Decay).unwrap();
    let e = p
        .load_safetensors(&bytes)
        .expect_err("f64 tensor")
        .to_string();
    assert!(
        e.contains("`w`") && e.contains("f32"),
        "error `{e}` should name the tensor and the expected dtype"
    );
    assert_eq!(flat(p.get("w").unwrap()), [0.0, 0.0]);
}

#[test]
fn non_finite_values_are_rejected_and_change_nothing() {
    let mut src = Params::new();
    src.add(
        "a",
        Tensor::new(&[5.0f32, 6.0], &Device::Cpu).unwrap(),
        Group::Decay,
    )
    .unwrap();
    src.add(
        "b",
        Tensor::new(&[1.0f32, f32::NAN, 2.0], &Device::Cpu).unwrap(),
        Group::Decay,
    )
    .unwrap();
    let mut dst = Params::new();
    dst.zeros("a", &[2], Group::Decay).unwrap();
    dst.zeros("b", &[3], Group::Decay).unwrap();
    let e = dst
        .load_safetensors(&src.to_safetensors().unwrap())
        .expect_err("NaN weights")
        .to_string();
    assert!(
        e.contains("`b`") && e.contains("NaN"),
        "error `{e}` should name the tensor and say NaN"
    );
    assert_eq!(
        flat(dst.get("a").unwrap()),
        [0.0, 0.0],
        "a failed load changed a tensor that was fine"
    );
}

#[test]
fn duplicate_parameter_names_are_rejected() {
    let mut p = Params::new();
    p.zeros("w", &[2], Group::Decay).unwrap();
    let e = p
        .zeros("w", &[3], Group::NoDecay)
        .expect_err("duplicate")
        .to_string();
    assert!(e.contains("`w`"), "error `{e}`");
    assert_eq!(p.count(), 2);
}

// ---------------------------------------------------------------- embeddings

#[test]
fn sinusoidal_embedding_matches_formula() {
    let (dim, max_period) = (10usize, 10_000.0f64);
    let ts = [0.0f32, 1.0, 2.5, 17.0, 999.0];
    let t = Tensor::new(&ts, &Device::Cpu).unwrap();
    let e = sinusoidal(&t, dim, max_period as f32).unwrap();
    assert_eq!(e.dims(), &[ts.len(), dim]);
    let e = e.to_vec2::<f32>().unwrap();
    let half = dim / 2;
    for (row, t) in e.iter().zip(ts) {
        let t = t as f64;
        for k in 0..half {
            let w = max_period.powf(-(k as f64) / half as f64);
            let tol = 2e-6 * (1.0 + t);
            let (s, c) = ((t * w).sin(), (t * w).cos());
            assert!(
                (row[k] as f64 - s).abs() < tol,
                "t={t} k={k}: sin column {} vs {s}",
                row[k]
            );
            assert!(
                (row[half + k] as f64 - c).abs() < tol,
                "t={t} k={k}: cos column {} vs {c}",
                row[half + k]
            );
        }
    }
}

#[test]
fn fourier_features_are_seeded() {
    let t = Tensor::new(&[0.0f32, 0.3, -1.7], &Device::Cpu).unwrap();
    let a = FourierFeatures::new(16, 2.0, &mut Rng::new(4))
        .unwrap()
        .forward(&t)
        .unwrap();
    let b = FourierFeatures::new(16, 2.0, &mut Rng::new(4))
        .unwrap()
        .forward(&t)
        .unwrap();
    let c = FourierFeatures::new(16, 2.0, &mut Rng::new(5))
        .unwrap()
        .forward(&t)
        .unwrap();
    assert_eq!(a.dims(), &[3, 16]);
    assert_eq!(flat(&a), flat(&b));
    assert_ne!(flat(&a), flat(&c));
}

#[test]
fn fourier_features_are_unit_cos_sin_pairs() {
    let dim = 64;
    let t = Tensor::new(&[0.0f32, 0.05, 1.0, -3.2, 10.0], &Device::Cpu).unwrap();
    let e = FourierFeatures::new(dim, 1.5, &mut Rng::new(6))
        .unwrap()
        .forward(&t)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let half = dim / 2;
    // at t = 0: cos 0 = 1 then sin 0 = 0
    assert!(
        e[0][..half].iter().all(|v| *v == 1.0) && e[0][half..].iter().all(|v| *v == 0.0),
        "row t=0: {:?}",
        e[0]
    );
    for row in &e {
        for j in 0..half {
            let (c, s) = (row[j] as f64, row[half + j] as f64);
            assert!(c.abs() <= 1.0 && s.abs() <= 1.0);
            assert!(
                (c * c + s * s - 1.0).abs() < 1e-5,
                "pair {j}: cos² + sin² = {}",
                c * c + s * s
            );
        }
    }
}

#[test]
fn fourier_frequencies_are_normal_with_the_given_sigma() {
    // recover B_j = atan2(sin, cos)/(2πt) at a t small enough that |2πB_j t| < π
    let (dim, sigma, t) = (2 * 50_000, 3.0f64, 0.01f32);
    let e = FourierFeatures::new(dim, sigma as f32, &mut Rng::new(7))
        .unwrap()
        .forward(&Tensor::new(&[t], &Device::Cpu).unwrap())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let half = dim / 2;
    let b: Vec<f64> = (0..half)
        .map(|j| {
            (e[0][half + j] as f64).atan2(e[0][j] as f64) / (2.0 * std::f64::consts::PI * t as f64)
        })
        .collect();
    assert_within(
        "Fourier frequency mean",
        mean(&b),
        0.0,
        (variance(&b) / half as f64).sqrt(),
    );
    assert_within(
        "Fourier frequency variance",
        variance(&b),
        sigma * sigma,
        se_variance(&b),
    );
}

// ---------------------------------------------------------------- bench workload

#[test]
fn bench_workload_training_reduces_its_loss() {
    let mut w = BenchWorkload::new(0).unwrap();
    let first = w.train_step().unwrap();
    let mut last = first;
    for _ in 0..20 {
        last = w.train_step().unwrap();
    }
    assert!(first.is_finite() && last.is_finite());
    assert!(
        last < 0.9 * first,
        "bench loss went from {first} to {last} in 20 steps"
    );
    assert!(w.forward().unwrap().is_finite());
}

#[test]
fn bench_workload_is_seeded() {
    let a = BenchWorkload::new(3).unwrap().forward().unwrap();
    let b = BenchWorkload::new(3).unwrap().forward().unwrap();
    let c = BenchWorkload::new(4).unwrap().forward().unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn f32_dtype_throughout() {
    let (p, mlp) = build(&cfg(2, &[4], 1, Activation::Silu), 0);
    assert!(p.names().all(|n| p.get(n).unwrap().dtype() == DType::F32));
    assert_eq!(mlp.forward(&inputs(3, 2, 0)).unwrap().dtype(), DType::F32);
}

/// The im2col convolution against candle's own conv2d, values and gradients, for the strides,
/// kernels and paddings the QLAE nets use, odd sizes, an image no larger than its kernel, and
/// padding wider than the first taps.
#[test]
fn conv2d_matches_candles_conv_in_value_and_gradient() {
    use genlab::nn::conv::Conv2d;
    for (c_in, c_out, k, s, p, side) in [
        (3, 5, 4, 2, 1, 8),
        (2, 4, 3, 1, 1, 6),
        (2, 3, 3, 2, 0, 7),
        (1, 2, 1, 1, 0, 5),
        (2, 3, 4, 2, 1, 2),
        (1, 2, 5, 3, 2, 7),
        (2, 2, 3, 2, 2, 5),
    ] {
        let mut params = Params::new();
        let conv = Conv2d::new("c", c_in, c_out, k, s, p, &mut params, &mut Rng::new(3)).unwrap();
        let (w, b) = (
            params.get("c.weight").unwrap().clone(),
            params.get("c.bias").unwrap().clone(),
        );
        let x = candle_core::Var::from_tensor(
            &Rng::new(4)
                .normal_tensor((2, c_in, side, side), &Device::Cpu)
                .unwrap(),
        )
        .unwrap();
        let weights = Rng::new(5)
            .normal_tensor(conv.forward(x.as_tensor()).unwrap().shape(), &Device::Cpu)
            .unwrap();
        let ours = conv.forward(x.as_tensor()).unwrap();
        let reference = x
            .as_tensor()
            .conv2d(&w, p, s, 1, 1)
            .unwrap()
            .broadcast_add(&b.reshape((1, (), 1, 1)).unwrap())
            .unwrap();
        assert_eq!(ours.dims(), reference.dims());
        assert!(
            max_abs_diff(&ours, &reference) < 1e-4,
            "value k={k} s={s} p={p}"
        );
        let (g1, g2) = (
            weighted_grads(ours, &weights),
            weighted_grads(reference, &weights),
        );
        for t in [x.as_tensor(), &w, &b] {
            assert!(
                max_abs_diff(g1.get(t).unwrap(), g2.get(t).unwrap()) < 1e-3,
                "gradient k={k} s={s} p={p}"
            );
        }
    }
}

#[test]
fn upsampling_matches_candles_nearest_upsampling() {
    let x = Rng::new(1)
        .normal_tensor((2, 3, 4, 5), &Device::Cpu)
        .unwrap();
    let v = candle_core::Var::from_tensor(&x).unwrap();
    let ours = genlab::nn::conv::upsample_nearest(v.as_tensor()).unwrap();
    let reference = v.as_tensor().upsample_nearest2d(8, 10).unwrap();
    assert_eq!(max_abs_diff(&ours, &reference), 0.0);
    let weights = Rng::new(9)
        .normal_tensor((2, 3, 8, 10), &Device::Cpu)
        .unwrap();
    let g1 = (ours * &weights)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let g2 = (reference * &weights)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    assert!(
        max_abs_diff(
            g1.get(v.as_tensor()).unwrap(),
            g2.get(v.as_tensor()).unwrap()
        ) < 1e-5
    );
}

#[test]
fn instance_norm_gives_each_channel_zero_mean_and_unit_variance() {
    let x = (Rng::new(2)
        .normal_tensor((2, 3, 6, 6), &Device::Cpu)
        .unwrap()
        * 4.0)
        .unwrap()
        + 7.0;
    let y = genlab::nn::conv::instance_norm(&x.unwrap(), 1.0)
        .unwrap()
        .reshape((6, 36))
        .unwrap();
    for row in y.to_vec2::<f32>().unwrap() {
        let mean = row.iter().sum::<f32>() / 36.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 36.0;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "{mean} {var}"
        );
    }
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// The fused instance norm + LeakyReLU against the same computed with stock candle ops, in value
/// and gradient.
#[test]
fn fused_instance_norm_matches_stock_ops() {
    let v = candle_core::Var::from_tensor(
        &Rng::new(6)
            .normal_tensor((2, 3, 5, 5), &Device::Cpu)
            .unwrap(),
    )
    .unwrap();
    let x = v.as_tensor();
    let flat = x.reshape((2, 3, 25)).unwrap();
    let centred = flat.broadcast_sub(&flat.mean_keepdim(2).unwrap()).unwrap();
    let var = centred.sqr().unwrap().mean_keepdim(2).unwrap();
    let normed = centred
        .broadcast_div(&(var + 1e-6).unwrap().sqrt().unwrap())
        .unwrap()
        .reshape((2, 3, 5, 5))
        .unwrap();
    let reference = candle_nn::ops::leaky_relu(&normed, 0.01).unwrap();
    let ours = genlab::nn::conv::instance_norm(x, 0.01).unwrap();
    assert!(max_abs_diff(&ours, &reference) < 1e-5);
    let weights = Rng::new(7)
        .normal_tensor((2, 3, 5, 5), &Device::Cpu)
        .unwrap();
    let g1 = (ours * &weights)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let g2 = (reference * &weights)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    assert!(max_abs_diff(g1.get(x).unwrap(), g2.get(x).unwrap()) < 1e-4);
}

/// A loss that cannot be negative diverges above RISE× its first value (and the absolute rule
/// does not look at that); loaded weights give the rule a new first loss.
#[test]
fn the_relative_rule_measures_a_loss_against_its_first_value() {
    use genlab::nn::guard::{DivergenceGuard, Rule, TrainError, RISE};
    let mut p = Params::new();
    p.uniform("w", &[2], 1.0, Group::Decay, &mut Rng::new(1))
        .unwrap();
    let mut opt = GroupedAdamW::new(&p, 0.01, 0.0).unwrap();
    let mut relative = DivergenceGuard::new(&p, Rule::Relative).unwrap();
    let mut absolute = DivergenceGuard::new(&p, Rule::Absolute).unwrap();
    for guard in [&mut relative, &mut absolute] {
        guard.check(0, 2.0, &p, &mut opt).unwrap();
        guard.check(1, 0.5, &p, &mut opt).unwrap();
        guard.check(2, 0.99 * RISE * 2.0, &p, &mut opt).unwrap();
    }
    let high = 1.01 * RISE * 2.0;
    assert_eq!(
        relative.check(3, high, &p, &mut opt),
        Err(TrainError::Diverged {
            step: 3,
            loss: high
        })
    );
    absolute.check(3, high, &p, &mut opt).unwrap();
    // after loading weights the first loss is theirs: 0.01 makes 1.5 a blow-up
    relative.reset(&p).unwrap();
    relative.check(10, 0.01, &p, &mut opt).unwrap();
    assert!(relative.check(11, 1.5, &p, &mut opt).is_err());
}

/// The divergence guard restores the snapshot of the last multiple of SNAPSHOT_EVERY (not the
/// step before the blow-up) and restarts the optimiser: its moments are zero again, so the
/// next step is a first Adam step from the restored weights.
#[test]
fn the_divergence_guard_restores_the_last_snapshot_and_restarts_the_moments() {
    use genlab::nn::guard::{DivergenceGuard, Rule, TrainError, SNAPSHOT_EVERY};
    let mut p = Params::new();
    let w = p
        .uniform("w", &[4], 1.0, Group::Decay, &mut Rng::new(3))
        .unwrap();
    let mut opt = GroupedAdamW::new(&p, 0.01, 0.0).unwrap();
    let mut guard = DivergenceGuard::new(&p, Rule::Absolute).unwrap();
    let loss = |w: &Tensor| w.sqr().unwrap().sum_all().unwrap();
    let mut at_snapshot = vec![];
    for step in 0..SNAPSHOT_EVERY + 7 {
        let l = loss(&w);
        guard
            .check(step, l.to_scalar::<f32>().unwrap(), &p, &mut opt)
            .unwrap();
        if step == SNAPSHOT_EVERY {
            at_snapshot = w.to_vec1::<f32>().unwrap();
        }
        opt.backward_step(&l).unwrap();
    }
    assert!(opt.moments().any(|(m, _)| m.iter().any(|v| *v != 0.0)));
    let err = guard
        .check(SNAPSHOT_EVERY + 7, 2e8, &p, &mut opt)
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::Diverged {
            step: SNAPSHOT_EVERY + 7,
            loss: 2e8
        }
    );
    assert!(
        err.to_string().contains("step 57 (loss 200000000)"),
        "{err}"
    );
    assert_eq!(w.to_vec1::<f32>().unwrap(), at_snapshot);
    assert!(opt
        .moments()
        .all(|(m, v)| m.iter().chain(v).all(|x| *x == 0.0)));
    // a fresh optimiser from the restored weights takes the very same next step
    let mut fresh = GroupedAdamW::new(&p, 0.01, 0.0).unwrap();
    let before = w.to_vec1::<f32>().unwrap();
    opt.backward_step(&loss(&w)).unwrap();
    let after_restarted = w.to_vec1::<f32>().unwrap();
    p.restore(&[Tensor::new(before.as_slice(), &Device::Cpu).unwrap()])
        .unwrap();
    fresh.backward_step(&loss(&w)).unwrap();
    assert_eq!(w.to_vec1::<f32>().unwrap(), after_restarted);
}

/// `p`'s tensors with the values `value(name, tensor)` gives, as a safetensors file.
fn file_with(p: &Params, value: impl Fn(&str, &Tensor) -> Tensor) -> Vec<u8> {
    let mut file = Params::new();
    for name in p.names() {
        let t = value(name, p.get(name).unwrap());
        file.add(name, t, Group::Decay).unwrap();
    }
    file.to_safetensors().unwrap()
}

/// Finite but absurd weights (10²⁰, 3·10³⁸: the model would sample NaN) are refused, naming
/// the tensor and the bound, and change nothing; the largest shipped weight (6.8) loads.
#[test]
fn absurd_finite_weights_are_rejected_and_change_nothing() {
    use genlab::nn::params::MAX_WEIGHT;
    let (mut p, _) = build(&cfg(2, &[8], 1, Activation::Tanh), 1);
    let before = snapshot(&p);
    for bad in [1e20f32, 3e38, -2.0 * MAX_WEIGHT] {
        let bytes = file_with(&p, |name, t| {
            let mut v = flat(t);
            if name == "net.0.weight" {
                v[0] = bad;
            }
            Tensor::from_vec(v, t.dims(), &Device::Cpu).unwrap()
        });
        let e = p
            .load_safetensors(&bytes)
            .expect_err("absurd weights")
            .to_string();
        assert!(e.contains("net.0.weight") && e.contains("1e4"), "{e}");
        assert_eq!(snapshot(&p), before);
    }
    let shipped_largest = file_with(&p, |_, t| (t.ones_like().unwrap() * 6.8).unwrap());
    p.load_safetensors(&shipped_largest).unwrap();
}

/// Tensors the model does not have are ignored (only the model's own are copied out).
#[test]
fn extra_tensors_in_a_weights_file_are_ignored() {
    let (a, _) = build(&cfg(2, &[8], 1, Activation::Tanh), 1);
    let (mut b, _) = build(&cfg(2, &[8], 1, Activation::Tanh), 2);
    let mut file = Params::new();
    for name in a.names() {
        file.add(name, a.get(name).unwrap().clone(), Group::Decay)
            .unwrap();
    }
    file.zeros("extra.big", &[1000, 1000], Group::Decay)
        .unwrap();
    b.load_safetensors(&file.to_safetensors().unwrap()).unwrap();
    assert_eq!(snapshot(&b), snapshot(&a));
}

// ---------------------------------------------------------------- the bias op

/// `add_bias` is `broadcast_add` bit for bit, forward and backward, on shapes from one row to
/// a batch of 1,024 and on images (bias per channel; its gradient is summed in a plain loop
/// instead of by candle's reduction).
#[test]
fn add_bias_matches_broadcast_add_bit_for_bit() {
    use candle_core::Var;
    use genlab::nn::bias::add_bias;
    let shapes: [&[usize]; 7] = [
        &[1, 1],
        &[3, 7],
        &[500, 48],
        &[1024, 256],
        &[37, 1],
        &[64, 16, 8, 8],
        &[3, 5, 7, 2],
    ];
    for (k, dims) in shapes.into_iter().enumerate() {
        let (n, d) = (dims[0], dims[1]);
        let size: usize = dims.iter().product();
        let x = inputs(1, size, 10 + k as u64).reshape(dims).unwrap();
        let x = Var::from_tensor(&x).unwrap();
        let b = Var::from_tensor(&inputs(1, d, 20 + k as u64).reshape(d).unwrap()).unwrap();
        let weights = inputs(1, size, 30 + k as u64).reshape(dims).unwrap();
        let ours = add_bias(&x, &b).unwrap();
        // (1, d) or (1, d, 1, 1), as the layers shaped it for broadcast_add
        let along_1: Vec<usize> = (0..dims.len())
            .map(|i| if i == 1 { d } else { 1 })
            .collect();
        let theirs = x.broadcast_add(&b.reshape(along_1).unwrap()).unwrap();
        assert_eq!(flat(&ours), flat(&theirs), "forward {dims:?}");
        let (g1, g2) = (
            weighted_grads(ours, &weights),
            weighted_grads(theirs, &weights),
        );
        for v in [&x, &b] {
            let (a, e) = (flat(g1.get(v).unwrap()), flat(g2.get(v).unwrap()));
            assert!(
                a.iter().zip(&e).all(|(a, e)| a.to_bits() == e.to_bits()),
                "gradient {dims:?} ({n}×{d}×…)"
            );
        }
    }
}

// ---------------------------------------------------------------- threads

/// gemm splits a product's output between threads, never its sums, so every element has the
/// same bits on one thread and on three (at gemm's default threshold, these products thread).
#[test]
fn slice_matmul_bits_do_not_depend_on_threads() {
    use gemm::Parallelism;
    use genlab::nn::matmul::matmul;
    for (k, &(m, n, depth)) in [
        (1024, 256, 256),
        (500, 48, 48),
        (300, 700, 1100),
        (37, 2048, 513),
    ]
    .iter()
    .enumerate()
    {
        let lhs = flat(&inputs(m, depth, 40 + k as u64));
        let rhs = flat(&inputs(depth, n, 50 + k as u64));
        let product = |parallelism| {
            let mut dst = vec![0f32; m * n];
            matmul(
                parallelism,
                (m, n, depth),
                &mut dst,
                false,
                &lhs,
                (1, depth),
                &rhs,
                (1, n),
            );
            dst
        };
        let (one, three) = (product(Parallelism::None), product(Parallelism::Rayon(3)));
        assert!(
            one.iter()
                .zip(&three)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{m}×{n}×{depth}: bits differ between 1 and 3 threads"
        );
    }
}
