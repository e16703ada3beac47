//! The latent-quantization core: quantizer gradients, losses against closed forms, the clipped
//! optimiser against a hand-computed Adam, model shapes and parameter groups, training and PSNR.
use candle_core::{Device, Tensor, Var};
use genlab::config::{from_json, Validate};
use genlab::lab::Trainer as _;
use genlab::nn::optim::GroupedAdamW;
use genlab::nn::params::{Group, Params};
use genlab::qlae::config::{DenseNorm, ModelKind, QlaeConfig};
use genlab::qlae::eval::psnr;
use genlab::qlae::model::Autoencoder;
use genlab::qlae::quantizer::{commitment_loss, quantization_loss, Quantizer, CODEBOOKS};
use genlab::qlae::train::{binary_cross_entropy, kl_divergence, Trainer};
use genlab::rng::Rng;

fn dev() -> Device {
    Device::Cpu
}

fn small(model: ModelKind) -> QlaeConfig {
    let mut c: QlaeConfig = from_json(
        r#"{"data": {"kind": "sprites", "size": 16}, "encoder": {"channels": [8, 8], "dense": [32]},
        "decoder": {"channels": [8, 8], "dense": [32]}, "train": {"batch": 16}, "evalSize": 100}"#,
    )
    .unwrap();
    c.model = model;
    c
}

#[test]
fn codebooks_start_on_linspace_and_quantize_to_the_nearest_value() {
    let mut p = Params::new();
    let q = Quantizer::new(3, 10, &mut p).unwrap();
    let row = q.codebooks.to_vec2::<f32>().unwrap()[2].clone();
    for (i, v) in row.iter().enumerate() {
        assert!((v - (-0.5 + i as f32 / 9.0)).abs() < 1e-6);
    }
    let z = Tensor::new(&[[-3.0f32, 0.06, 0.05], [0.5, -0.12, 0.4]], &dev()).unwrap();
    let out = q.forward(&z).unwrap();
    // nearest of −0.5 + i/9: −3 → 0; 0.06 → 5 (0.0556); 0.05 → 5; 0.5 → 9; −0.12 → 3 (−0.1667)? |−0.12+0.1667| = 0.047 vs |−0.12+0.0556| = 0.064 → 3; 0.4 → 8
    assert_eq!(
        out.indices.to_vec2::<u32>().unwrap(),
        vec![vec![0, 5, 5], vec![9, 3, 8]]
    );
    let expected: Vec<f32> = [0u32, 5, 5, 9, 3, 8]
        .iter()
        .map(|&i| -0.5 + i as f32 / 9.0)
        .collect();
    let got: Vec<f32> = out
        .straight_through
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-6, "{got:?}");
    }
    assert_eq!(p.group(Group::NoDecay).len(), 1, "codebooks must not decay");
}

#[test]
fn gradients_flow_as_the_paper_says() {
    let mut p = Params::new();
    let q = Quantizer::new(2, 5, &mut p).unwrap();
    let codebooks = p.get(CODEBOOKS).unwrap().clone();
    let z = Var::new(&[[0.1f32, -0.3], [0.4, 0.2]], &dev()).unwrap();
    let out = q.forward(z.as_tensor()).unwrap();
    let abs_sum = |t: Option<&Tensor>| {
        t.map(|g| {
            g.abs()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        })
        .unwrap_or(0.0)
    };

    // the decoder's input: gradient 1 to z, none to the codebooks
    let g = out.straight_through.sum_all().unwrap().backward().unwrap();
    assert_eq!(
        g.get(z.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        vec![1.0; 4]
    );
    assert_eq!(abs_sum(g.get(&codebooks)), 0.0);

    // quantization: codebooks only
    let g = quantization_loss(z.as_tensor(), &out.quantized)
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(abs_sum(g.get(z.as_tensor())), 0.0);
    assert!(abs_sum(g.get(&codebooks)) > 0.0);

    // commitment: encoder only, d/dz mean (z − q)² = 2 (z − q) / n
    let g = commitment_loss(z.as_tensor(), &out.quantized)
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(abs_sum(g.get(&codebooks)), 0.0);
    let dz: Vec<f32> = g
        .get(z.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let zq: Vec<f32> = (z.as_tensor() - &out.quantized)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    for (d, e) in dz.iter().zip(&zq) {
        assert!((d - 2.0 * e / 4.0).abs() < 1e-6);
    }
}

#[test]
fn losses_match_their_closed_forms() {
    let logits = Tensor::new(&[[-2.0f32, 0.0, 3.0, 100.0, -100.0]], &dev()).unwrap();
    let x = Tensor::new(&[[0.0f32, 1.0, 0.25, 0.0, 0.0]], &dev()).unwrap();
    let got = binary_cross_entropy(&logits, &x)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    let bce = |l: f64, x: f64| -> f64 {
        let s = 1.0 / (1.0 + (-l).exp());
        -(x * s.max(1e-300).ln() + (1.0 - x) * (1.0 - s).max(1e-300).ln())
    };
    // saturated logits: exactly l for x = 0 at l = 100 (log(1 − σ(100)) underflows in f64 too)
    let expected =
        (bce(-2.0, 0.0) + bce(0.0, 1.0) + bce(3.0, 0.25) + 100.0 + bce(-100.0, 0.0)) / 5.0;
    assert!((got as f64 - expected).abs() < 1e-4, "{got} vs {expected}");

    let mu = Tensor::new(&[[0.5f32, -1.0]], &dev()).unwrap();
    let sigma = Tensor::new(&[[1.0f32, 0.5]], &dev()).unwrap();
    let kl = kl_divergence(&mu, &sigma)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap() as f64;
    let one = |m: f64, s: f64| -s.ln() + 0.5 * (m * m + s * s - 1.0);
    assert!((kl - (one(0.5, 1.0) + one(-1.0, 0.5)) / 2.0).abs() < 1e-6);
}

#[test]
fn the_bce_gradient_is_sigma_minus_x_and_never_subnormal() {
    // d/dl of the mean BCE is (σ(l) − x)/n. Where that is comfortably normal in f32 the gradient
    // must equal it; where the softplus tail's share exp(−|l|)/n would be subnormal (l = −86, −90
    // with x = 0, n = 9) it must be exactly 0, never a subnormal that slows every later op.
    let ls = [
        -2.0f32, 0.5, -25.0, -60.0, -77.0, -86.0, 40.0, -90.0, 90.0, -90.0,
    ];
    let xs = [0.0f32, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
    let logits = Var::new(&ls[..], &dev()).unwrap();
    let x = Tensor::new(&xs[..], &dev()).unwrap();
    let grads = binary_cross_entropy(logits.as_tensor(), &x)
        .unwrap()
        .backward()
        .unwrap();
    let g = grads.get(&logits).unwrap().to_vec1::<f32>().unwrap();
    let n = ls.len() as f64;
    for ((&l, &xv), &gv) in ls.iter().zip(&xs).zip(&g) {
        assert!(gv == 0.0 || gv.is_normal(), "l = {l}: {gv:e} is subnormal");
        let want = (1.0 / (1.0 + (-(l as f64)).exp()) - xv as f64) / n;
        if want.abs() > 1e-36 {
            assert!(
                (gv as f64 - want).abs() <= 1e-5 * want.abs(),
                "l = {l}, x = {xv}: {gv:e} vs {want:e}"
            );
        }
    }
    assert_eq!(
        (g[5], g[7]),
        (0.0, 0.0),
        "σ(−86)/n and σ(−90)/n are below f32's normal range"
    );
}

/// Two Adam steps (β1 0.9, β2 0.999, ε 1e-8) on gradients g1, g2, by hand.
fn adam(w0: f64, g: [f64; 2], lr: f64) -> f64 {
    let (mut m, mut v, mut w) = (0.0, 0.0, w0);
    for (t, g) in g.iter().enumerate() {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        let (mh, vh) = (
            m / (1.0 - 0.9f64.powi(t as i32 + 1)),
            v / (1.0 - 0.999f64.powi(t as i32 + 1)),
        );
        w -= lr * mh / (vh.sqrt() + 1e-8);
    }
    w
}

#[test]
fn the_clip_limits_each_weight_gradient_element_but_not_biases() {
    let mut p = Params::new();
    let w = p
        .add(
            "w",
            Tensor::new(&[0.0f32, 0.0], &dev()).unwrap(),
            Group::Decay,
        )
        .unwrap();
    let b = p
        .add("b", Tensor::new(&[0.0f32], &dev()).unwrap(), Group::NoDecay)
        .unwrap();
    let mut opt = GroupedAdamW::new(&p, 0.1, 0.0).unwrap().with_clip(1.0);
    let c = [[10.0f32, 0.5], [-0.5, 3.0]];
    let cb = [8.0f32, -2.0];
    for (ct, cbt) in c.iter().zip(cb) {
        let loss = ((&w * Tensor::new(ct, &dev()).unwrap())
            .unwrap()
            .sum_all()
            .unwrap()
            + (&b * cbt as f64).unwrap().sum_all().unwrap())
        .unwrap();
        opt.backward_step(&loss).unwrap();
    }
    let got = w.to_vec1::<f32>().unwrap();
    let clipped = [adam(0.0, [1.0, -0.5], 0.1), adam(0.0, [0.5, 1.0], 0.1)];
    let unclipped = adam(0.0, [10.0, -0.5], 0.1);
    assert!(
        (got[0] as f64 - clipped[0]).abs() < 1e-5,
        "{got:?} vs {clipped:?}"
    );
    assert!((got[1] as f64 - clipped[1]).abs() < 1e-5);
    assert!(
        (clipped[0] - unclipped).abs() > 1e-3,
        "the test must tell clipping apart"
    );
    let bias = b.to_vec1::<f32>().unwrap()[0] as f64;
    assert!(
        (bias - adam(0.0, [8.0, -2.0], 0.1)).abs() < 1e-5,
        "biases are not clipped"
    );
}

#[test]
fn every_model_and_decoder_gives_pixel_logits() {
    for kind in [ModelKind::Qlae, ModelKind::Ae, ModelKind::Vae] {
        for mlp in [false, true] {
            let mut c = small(kind);
            if mlp {
                c.encoder.channels.clear();
                c.decoder.channels.clear();
            }
            let m = Autoencoder::new(&c, &mut Rng::new(0)).unwrap();
            let x = c.data.sample(3, &mut Rng::new(1)).tensor().unwrap();
            let out = m.forward(&x, Some(&mut Rng::new(2))).unwrap();
            assert_eq!(out.logits.dims(), &[3, 1, 16, 16], "{kind:?} mlp={mlp}");
            assert_eq!(out.z.dims(), &[3, c.latent_count()]);
            assert_eq!(out.quantized.is_some(), kind == ModelKind::Qlae);
            assert_eq!(out.sigma.is_some(), kind == ModelKind::Vae);
            assert_eq!(m.encode(&x).unwrap().dims(), &[3, c.latent_count()]);
        }
    }
}

#[test]
fn layer_norm_makes_a_dense_layer_blind_to_its_scale_and_decays_only_its_gain() {
    // Scaling the first dense layer's W and b by 3 changes z, unless a LayerNorm follows it
    // (then only through its ε = 10⁻⁵ beside the pre-activations' variance).
    let mut gaps = vec![];
    for norm in [DenseNorm::None, DenseNorm::Layer] {
        let mut c = small(ModelKind::Ae);
        c.encoder.channels.clear();
        c.encoder.norm = norm;
        c.decoder.norm = norm;
        let m = Autoencoder::new(&c, &mut Rng::new(0)).unwrap();
        let x = c.data.sample(3, &mut Rng::new(1)).tensor().unwrap();
        let before = m
            .encode(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let scaled: Vec<Tensor> = m
            .params
            .names()
            .zip(m.params.snapshot().unwrap())
            .map(|(name, v)| {
                if name.starts_with("encoder.dense.0.") && !name.contains("norm") {
                    (v * 3.0).unwrap()
                } else {
                    v
                }
            })
            .collect();
        m.params.restore(&scaled).unwrap();
        let after = m
            .encode(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let gap = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        gaps.push(gap);
        let is_decayed = |name: &str| {
            let t = m.params.get(name).unwrap();
            m.params
                .group(Group::Decay)
                .iter()
                .any(|v| v.as_tensor().id() == t.id())
        };
        let gains = m
            .params
            .names()
            .filter(|n| n.ends_with("norm.weight"))
            .count();
        assert_eq!(
            gains,
            if norm == DenseNorm::Layer { 2 } else { 0 },
            "one per dense layer: encoder [32] and decoder [32]"
        );
        for name in m.params.names().filter(|n| n.contains(".norm.")) {
            assert_eq!(
                is_decayed(name),
                name.ends_with("weight"),
                "{name}: the authors decay all but biases and codebooks"
            );
        }
    }
    assert!(
        gaps[0] > 1e-2 && gaps[1] < gaps[0] / 100.0,
        "largest change of z without and with the norm: {gaps:?}"
    );
}

#[test]
fn the_vae_decodes_its_mean_without_noise_and_a_sample_with_it() {
    let c = small(ModelKind::Vae);
    let m = Autoencoder::new(&c, &mut Rng::new(0)).unwrap();
    let x = c.data.sample(4, &mut Rng::new(1)).tensor().unwrap();
    let a = m
        .forward(&x, None)
        .unwrap()
        .logits
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let b = m
        .forward(&x, None)
        .unwrap()
        .logits
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let s = m
        .forward(&x, Some(&mut Rng::new(5)))
        .unwrap()
        .logits
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, s);
}

#[test]
fn training_lowers_the_reconstruction_loss_and_is_reproducible() {
    let c = small(ModelKind::Qlae);
    let run = || {
        let mut t = Trainer::new(&c).unwrap();
        (0..80)
            .map(|_| t.step().unwrap().reconstruction)
            .collect::<Vec<f32>>()
    };
    let a = run();
    assert_eq!(a, run(), "the same config and seed give the same losses");
    let head: f32 = a[..10].iter().sum::<f32>() / 10.0;
    let tail: f32 = a[70..].iter().sum::<f32>() / 10.0;
    assert!(tail < 0.8 * head, "bce {head} → {tail}");
}

#[test]
fn the_learning_rate_is_constant_unless_lr_end_sets_a_cosine() {
    let mut c = small(ModelKind::Qlae);
    c.train.steps = 4;
    let mut constant = Trainer::new(&c).unwrap();
    c.train.lr_end = Some(1e-5);
    let mut cosine = Trainer::new(&c).unwrap();
    let mut lrs = vec![];
    for _ in 0..4 {
        assert_eq!(constant.learning_rate(), 1e-3, "the paper's constant lr");
        lrs.push(cosine.learning_rate());
        constant.step().unwrap();
        cosine.step().unwrap();
    }
    // 1e-5 + (1e-3 − 1e-5)·(1 + cos(π·s/4))/2 for s = 0..3
    let expected = [
        1e-3,
        1e-5 + 9.9e-4 * (1.0 + 0.5f64.sqrt()) / 2.0,
        5.05e-4,
        1e-5 + 9.9e-4 * (1.0 - 0.5f64.sqrt()) / 2.0,
    ];
    for (got, want) in lrs.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{lrs:?}");
    }
    assert_eq!(cosine.learning_rate(), 1e-5, "lrEnd at the last step");
    assert_ne!(
        constant.model().params.to_safetensors().unwrap(),
        cosine.model().params.to_safetensors().unwrap(),
        "the optimiser follows it"
    );
}

#[test]
fn psnr_matches_its_definition() {
    let x = Tensor::new(&[[0.0f32, 1.0, 1.0, 0.0]], &dev()).unwrap();
    // σ(0) = 0.5 everywhere: mse 0.25, PSNR = 10·log10(4) ≈ 6.02 dB
    let p = psnr(
        &Tensor::zeros((1, 4), candle_core::DType::F32, &dev()).unwrap(),
        &x,
    )
    .unwrap();
    assert!((p[0] - 6.0206).abs() < 1e-3, "{p:?}");
    let sharp = Tensor::new(&[[-20.0f32, 20.0, 20.0, -20.0]], &dev()).unwrap();
    assert!(psnr(&sharp, &x).unwrap()[0] > 100.0);
}

#[test]
fn bad_settings_name_their_field() {
    let mut c = QlaeConfig::default();
    assert!(c.validate().is_ok());
    assert_eq!(c.latent_count(), 10, "2 × the 5 sprite factors");
    assert_eq!(c.weight_decay(), 0.1);
    c.model = ModelKind::Ae;
    assert_eq!(c.weight_decay(), 0.001);
    c.encoder.channels = vec![8; 6];
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .starts_with("encoder.channels"),
        "32 px cannot halve 6 times"
    );
    let c = QlaeConfig {
        values: 1,
        ..QlaeConfig::default()
    };
    assert!(c.validate().unwrap_err().to_string().starts_with("values"));
    let mut c = QlaeConfig::default();
    c.train.batch = 0;
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .starts_with("train.batch"));
    let mut c = QlaeConfig::default();
    c.train.lr_end = Some(0.01);
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .starts_with("train.lrEnd"),
        "above lr"
    );
    let e = from_json::<QlaeConfig>(r#"{"decoder": {"norm": "batch"}}"#).unwrap_err();
    assert_eq!(e.field, "decoder.norm", "{e}");
    assert_eq!(
        from_json::<QlaeConfig>(r#"{"decoder": {"norm": "layer"}}"#)
            .unwrap()
            .decoder
            .norm,
        DenseNorm::Layer
    );
    let e = from_json::<QlaeConfig>(r#"{"data": {"kind": "sprites", "size": 3}}"#)
        .map(|c| c.validate());
    let message = match e {
        Ok(r) => r.unwrap_err().to_string(),
        Err(e) => e.to_string(),
    };
    assert!(message.starts_with("data"), "{message}");
}

#[test]
fn a_corrupt_or_mismatched_weights_file_is_refused_with_its_reason() {
    let mut t = Trainer::new(&small(ModelKind::Qlae)).unwrap();
    let e = t.load_weights(b"garbage", 10).unwrap_err().to_string();
    assert!(e.contains("not a valid safetensors"), "{e}");
    let other = Trainer::new(&small(ModelKind::Ae)).unwrap();
    let e = t
        .load_weights(&other.model().params.to_safetensors().unwrap(), 10)
        .unwrap_err()
        .to_string();
    assert!(e.contains(CODEBOOKS), "{e}");
}

/// Weights within the per-value range can still overflow a deep network: every tensor of an
/// AE with four dense layers each way (no norm) scaled to a largest |w| of 9,000, below the 10⁴
/// bound, turns its outputs into infinities. The probe batch refuses them and nothing changes.
#[test]
fn in_range_weights_that_overflow_the_network_are_refused_and_change_nothing() {
    let config: QlaeConfig = from_json(
        r#"{"data": {"kind": "sprites"}, "model": "ae",
            "encoder": {"dense": [64, 64, 64, 64]}, "decoder": {"dense": [64, 64, 64, 64]}}"#,
    )
    .unwrap();
    let mut t = Trainer::new(&config).unwrap();
    let good = t.weights().unwrap();
    t.load_weights(&good, 7).unwrap();
    let file = safetensors::SafeTensors::deserialize(&good).unwrap();
    let scaled: Vec<(String, Tensor)> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let values: Vec<f32> = view
                .data()
                .chunks(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            let largest = values.iter().fold(0f32, |m, v| m.max(v.abs()));
            let k = if largest > 0.0 { 9e3 / largest } else { 1.0 };
            let scaled: Vec<f32> = values.iter().map(|v| v * k).collect();
            (
                name,
                Tensor::from_vec(scaled, view.shape(), &dev()).unwrap(),
            )
        })
        .collect();
    let bytes = safetensors::serialize(scaled.iter().map(|(n, t)| (n.as_str(), t)), None).unwrap();
    let e = t.load_weights(&bytes, 99).unwrap_err().to_string();
    assert!(e.contains("probe batch"), "{e}");
    assert_eq!(t.weights().unwrap(), good, "the old weights are kept");
    assert_eq!(t.steps(), 7, "the old step count is kept");
}
