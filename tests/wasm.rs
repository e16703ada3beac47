//! The core inside a browser: run by `wasm-bindgen-test-runner` in headless Chromium
//! (`make test-wasm`). What differs in wasm is checked here: determinism of the seeded
//! streams, training through candle's wasm kernels, safetensors bytes without a filesystem,
//! the binding's error path for a bad config, each lab's session run twice bit for bit, and the
//! browser's own kernels (`nn::panels`, and `nn::expf` inside `nn::silu`), and the convolution.
#![cfg(target_arch = "wasm32")]

use candle_core::{DType, Device, Module, Tensor};
use genlab::bench::BenchWorkload;
use genlab::config::from_json;
use genlab::data::session::{DataConfig, DataSession};
use genlab::nn::dense::Dense;
use genlab::nn::mlp::{Activation, Mlp, MlpConfig};
use genlab::nn::params::Params;
use genlab::rng::Rng;
use genlab::wasm::{DataLab, HallucLab, InterpolantLab};
use wasm_bindgen::JsValue;

#[path = "common/leaky_relu.rs"]
mod leaky_relu_check;
#[path = "common/silu.rs"]
mod silu_check;

/// A small result as its JSON text.
fn stringify(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).unwrap().into()
}

/// The named Float32Arrays of a bulk result, in the order of `names`.
fn named_arrays(value: &JsValue, names: &[&str]) -> Vec<Vec<f32>> {
    let field = |name: &str| js_sys::Reflect::get(value, &JsValue::from_str(name)).unwrap();
    names
        .iter()
        .map(|n| js_sys::Float32Array::from(field(n)).to_vec())
        .collect()
}
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn config(json: &str) -> DataConfig {
    from_json(json).expect("valid config")
}

/// The browser's panel kernel against a direct f64 x Wᵀ + b, on shapes with row and column
/// remainders (m not a multiple of 4, n not of 8) and on the samplers' 128 × 128.
#[wasm_bindgen_test]
fn dense_layers_match_a_direct_matmul() {
    let mut rng = Rng::new(3);
    for (m, k, n) in [
        (1, 1, 1),
        (7, 5, 11),
        (9, 3, 2),
        (13, 128, 128),
        (4, 130, 8),
    ] {
        let x = rng.normal_vec(m * k);
        let w = rng.normal_vec(n * k);
        let b = rng.normal_vec(n);
        let weight = Tensor::from_vec(w.clone(), (n, k), &Device::Cpu).unwrap();
        let bias = Tensor::from_vec(b.clone(), n, &Device::Cpu).unwrap();
        let y = Dense::from_linear(&candle_nn::Linear::new(weight, Some(bias)))
            .unwrap()
            .forward(&x)
            .unwrap();
        assert_eq!(y.len(), m * n);
        for r in 0..m {
            for j in 0..n {
                let direct = b[j] as f64
                    + (0..k)
                        .map(|p| x[r * k + p] as f64 * w[j * k + p] as f64)
                        .sum::<f64>();
                let tol = 1e-5
                    * (1.0
                        + (0..k)
                            .map(|p| (x[r * k + p] * w[j * k + p]).abs() as f64)
                            .sum::<f64>());
                assert!(
                    (y[r * n + j] as f64 - direct).abs() <= tol,
                    "{m}×{k}×{n} at ({r}, {j}): {} against {direct}",
                    y[r * n + j]
                );
            }
        }
    }
}

#[wasm_bindgen_test]
fn panel_linear_trains_to_candles_bits() {
    use candle_core::Var;
    use genlab::nn::bias::add_bias;
    use genlab::nn::linear;
    let mut rng = Rng::new(4);
    let dev = Device::Cpu;
    // the labs' shapes (W1, the interpolants' and QLAE's MLPs) and each edge of where the
    // panel kernel is used: k of 3 and 512, two rows or columns, 17 × 16 outputs; and batches
    // that ∂W sums in blocks: 1,000 in two of 500, 700 in 512 and 188 (outputs ≤ 64 × 64)
    for (m, k, n) in [
        (1000, 100, 80),
        (700, 48, 48),
        (1024, 3, 256),
        (1024, 256, 256),
        (1024, 256, 2),
        (500, 48, 48),
        (64, 512, 256),
        (2, 3, 129),
        (129, 512, 2),
        (17, 100, 16),
        (255, 77, 9),
    ] {
        assert!(
            genlab::nn::matmul::panels_sum_as_gemm(m, n, k),
            "{m}×{k}×{n}"
        );
        let var = |rows, cols, rng: &mut Rng| {
            Var::from_vec(rng.normal_vec(rows * cols), (rows, cols), &dev).unwrap()
        };
        let (x, w) = (var(m, k, &mut rng), var(n, k, &mut rng));
        let b = Var::from_vec(rng.normal_vec(n), n, &dev).unwrap();
        let r = Tensor::from_vec(rng.normal_vec(m * n), (m, n), &dev).unwrap();
        let ours = linear::forward(&x, &w, &b).unwrap();
        let candle = add_bias(&x.matmul(&w.t().unwrap()).unwrap(), &b).unwrap();
        let bits = |t: &Tensor| -> Vec<u32> {
            let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            v.iter().map(|v| v.to_bits()).collect()
        };
        let same = |what: &str, a: &Tensor, c: &Tensor| {
            let (a, c) = (bits(a), bits(c));
            let first = a.iter().zip(&c).position(|(a, c)| a != c);
            assert!(
                first.is_none(),
                "{m}×{k}×{n}: {what} differs first at {first:?}"
            );
        };
        same("the output", &ours, &candle);
        let grads = |y: &Tensor| (y * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let (g1, g2) = (grads(&ours), grads(&candle));
        for (name, v) in [("x", &x), ("W", &w), ("b", &b)] {
            same(
                &format!("{name}'s gradient"),
                g1.get(v).unwrap(),
                g2.get(v).unwrap(),
            );
        }
    }
}

/// `nn::matmul`'s panel kernel against gemm, bit for bit, on the products a convolution makes
/// (y = W·columns, ∂columns = Wᵀ·g, ∂W += g·columnsᵀ with columns read transposed) and on depths
/// gemm sums in blocks: 1,024 in two of 512, 700 in 350s (outputs over 64 × 64) and in 512 and
/// 188 (at most 64 × 64), accumulating onto what dst held.
#[wasm_bindgen_test]
fn panel_matmul_sums_as_gemm() {
    use genlab::nn::matmul::{gemm_matmul, matmul, panels_sum_in_blocks};
    let mut rng = Rng::new(9);
    let none = gemm::Parallelism::None;
    // (m, n, k, lhs transposed, rhs transposed, accumulate)
    for (m, n, k, lhs_t, rhs_t, accumulate) in [
        (16, 1024, 27, false, false, false),
        (32, 256, 144, false, false, false),
        (3, 1024, 144, false, false, false),
        (144, 1024, 32, true, false, false),
        (288, 256, 16, true, false, false),
        (16, 27, 1024, false, true, true),
        (32, 288, 1024, false, true, true),
        (32, 144, 700, false, true, true),
        (16, 48, 700, false, true, true),
        (100, 80, 1000, true, false, false),
    ] {
        assert!(panels_sum_in_blocks(m, n, k));
        let (lhs, rhs) = (rng.normal_vec(m * k), rng.normal_vec(k * n));
        let lhs_strides = if lhs_t { (m, 1) } else { (1, k) };
        let rhs_strides = if rhs_t { (k, 1) } else { (1, n) };
        let start = rng.normal_vec(m * n);
        let (mut ours, mut want) = (start.clone(), start);
        matmul(
            none,
            (m, n, k),
            &mut ours,
            accumulate,
            &lhs,
            lhs_strides,
            &rhs,
            rhs_strides,
        );
        gemm_matmul(
            none,
            (m, n, k),
            &mut want,
            accumulate,
            &lhs,
            lhs_strides,
            &rhs,
            rhs_strides,
        );
        let first = ours
            .iter()
            .zip(&want)
            .position(|(a, b)| a.to_bits() != b.to_bits());
        assert!(first.is_none(), "{m}×{k}×{n}: differs first at {first:?}");
    }
}

/// QLAE-sized convolutions in the browser against direct loops in f64 (candle's conv2d, which
/// `tests/nn.rs` compares with natively, is left out of the browser core): the output of
/// x ⋆ W + b, and the gradients of Σ r ⊙ y: ∂W = Σ r·x over the taps, ∂x = Σ r·W, ∂b = Σ r.
/// Four samples, so that a thread's reused column buffer meets a second sample.
#[wasm_bindgen_test]
fn convolution_matches_direct_loops() {
    use candle_core::Var;
    use genlab::nn::conv::Conv2d;
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (c_in, c_out, k, s, p, side) in [
        (16, 32, 4, 2, 1, 16),
        (32, 16, 3, 1, 1, 8),
        (3, 16, 4, 2, 1, 32),
    ] {
        let mut params = Params::new();
        let conv = Conv2d::new("c", c_in, c_out, k, s, p, &mut params, &mut Rng::new(3)).unwrap();
        let (w, b) = (
            flat(params.get("c.weight").unwrap()),
            flat(params.get("c.bias").unwrap()),
        );
        let batch = 4;
        let xs = Rng::new(4).normal_vec(batch * c_in * side * side);
        let x = Var::from_vec(xs.clone(), (batch, c_in, side, side), &Device::Cpu).unwrap();
        let y = conv.forward(x.as_tensor()).unwrap();
        let out = (side + 2 * p - k) / s + 1;
        let r = Rng::new(5).normal_vec(batch * c_out * out * out);
        let rt = Tensor::from_vec(r.clone(), y.shape(), &Device::Cpu).unwrap();
        let grads = (&y * &rt).unwrap().sum_all().unwrap().backward().unwrap();
        let (mut want_y, mut want_dx, mut want_dw) = (
            vec![0f64; r.len()],
            vec![0f64; xs.len()],
            vec![0f64; w.len()],
        );
        let mut want_db = vec![0f64; c_out];
        let taps = |n: usize, oi: usize, oj: usize| {
            (0..c_in)
                .flat_map(move |c| (0..k).flat_map(move |ki| (0..k).map(move |kj| (c, ki, kj))))
                .filter_map(move |(c, ki, kj)| {
                    let (i, j) = ((oi * s + ki).checked_sub(p)?, (oj * s + kj).checked_sub(p)?);
                    (i < side && j < side).then(|| {
                        (
                            ((n * c_in + c) * side + i) * side + j,
                            (c * k + ki) * k + kj,
                        )
                    })
                })
        };
        for n in 0..batch {
            for o in 0..c_out {
                for (oi, oj) in (0..out).flat_map(|oi| (0..out).map(move |oj| (oi, oj))) {
                    let yi = ((n * c_out + o) * out + oi) * out + oj;
                    want_y[yi] = b[o] as f64;
                    want_db[o] += r[yi] as f64;
                    for (xi, tap) in taps(n, oi, oj) {
                        let wi = o * c_in * k * k + tap;
                        want_y[yi] += xs[xi] as f64 * w[wi] as f64;
                        want_dx[xi] += r[yi] as f64 * w[wi] as f64;
                        want_dw[wi] += r[yi] as f64 * xs[xi] as f64;
                    }
                }
            }
        }
        let check = |what: &str, got: Vec<f32>, want: &[f64]| {
            let worst = got
                .iter()
                .zip(want)
                .map(|(g, w)| (*g as f64 - w).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-3, "{what}, {c_in}→{c_out} k={k}: off by {worst}");
        };
        check("output", flat(&y), &want_y);
        check("∂x", flat(grads.get(&x).unwrap()), &want_dx);
        check(
            "∂W",
            flat(grads.get(params.get("c.weight").unwrap()).unwrap()),
            &want_dw,
        );
        check(
            "∂b",
            flat(grads.get(params.get("c.bias").unwrap()).unwrap()),
            &want_db,
        );
    }
}

#[wasm_bindgen_test]
fn four_lane_exp_is_wasms_expf_bit_for_bit() {
    use core::arch::wasm32::*;
    use genlab::nn::expf::exp4;
    // every 251st float, both signs, NaNs and infinities included, plus every float in the
    // stretch where e^x turns subnormal (expf's scalbnf in two steps), and, both signs, every
    // float near the edges of exp4's fast lanes (2⁻¹⁴, 87) and of expf's k = 0 and k = ±1
    let mut bits: Vec<u32> = (0..u32::MAX / 251).map(|i| i * 251).collect();
    bits.extend(0xc2ae_ac50u32..0xc2ae_ac50 + 100_000);
    for edge in [0x3900_0000u32, 0x42ae_0000, 0x3eb1_7218, 0x3f85_1592] {
        for sign in [0, 0x8000_0000] {
            bits.extend((edge - 2_000..edge + 2_000).map(|b| b | sign));
        }
    }
    for quad in bits.chunks_exact(4) {
        let x = u32x4(quad[0], quad[1], quad[2], quad[3]);
        let mut got = [0f32; 4];
        // SAFETY: `got` holds exactly four f32.
        unsafe { v128_store(got.as_mut_ptr() as *mut v128, exp4(x)) };
        for (&b, g) in quad.iter().zip(got) {
            let want = f32::from_bits(b).exp();
            assert!(
                g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                "exp({:e} = {b:#x}): {g:e} ≠ {want:e}",
                f32::from_bits(b)
            );
        }
    }
}

#[wasm_bindgen_test]
fn leaky_relu_op_is_bit_identical_to_candles_forward_and_gradient() {
    leaky_relu_check::assert_leaky_relu_matches_candle(100_001);
}

#[wasm_bindgen_test]
fn silu_op_is_bit_identical_to_candles_forward_and_gradient() {
    silu_check::assert_silu_matches_candle(100_001);
}

#[wasm_bindgen_test]
fn same_seed_gives_bit_identical_points() {
    for name in [
        "checkerboard",
        "two-moons",
        "grid25",
        "rings",
        "two-spirals",
    ] {
        let c = config(&format!(
            r#"{{"dataset":{{"name":"{name}"}},"n":3000,"seed":11}}"#
        ));
        let a = DataSession::new(c.clone()).unwrap().next_chunk(usize::MAX);
        let b = DataSession::new(c).unwrap().next_chunk(usize::MAX);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&a),
            bits(&b),
            "{name}: same seed must give the same bits"
        );
        assert!(a.iter().all(|x| x.is_finite()), "{name}: finite samples");
    }
}

#[wasm_bindgen_test]
fn chunked_stream_equals_one_call() {
    let c = config(r#"{"dataset":{"name":"eight-gaussians"},"n":1000,"seed":4}"#);
    let all = DataSession::new(c.clone()).unwrap().next_chunk(1000);
    let mut s = DataSession::new(c).unwrap();
    let mut parts = Vec::new();
    while s.remaining() > 0 {
        parts.extend(s.next_chunk(77));
    }
    assert_eq!(all, parts);
}

#[wasm_bindgen_test]
fn seeded_weights_are_identical_and_training_lowers_the_loss() {
    let cfg = MlpConfig {
        input: 3,
        hidden: vec![16, 16],
        output: 2,
        activation: Activation::Silu,
    };
    let (mut p1, mut p2) = (Params::new(), Params::new());
    Mlp::new(&cfg, "m", &mut p1, &mut Rng::new(9)).unwrap();
    Mlp::new(&cfg, "m", &mut p2, &mut Rng::new(9)).unwrap();
    assert_eq!(p1.to_safetensors().unwrap(), p2.to_safetensors().unwrap());

    let mut w = BenchWorkload::new(1).unwrap();
    let first = w.train_step().unwrap();
    let mut last = first;
    for _ in 0..15 {
        last = w.train_step().unwrap();
    }
    assert!(
        last < 0.8 * first,
        "loss {first} → {last}: AdamW should make progress in 16 steps"
    );
    assert!(w.forward().unwrap().is_finite());
}

#[wasm_bindgen_test]
fn safetensors_bytes_round_trip() {
    let cfg = MlpConfig {
        input: 2,
        hidden: vec![8],
        output: 1,
        activation: Activation::Tanh,
    };
    let mut a = Params::new();
    let net_a = Mlp::new(&cfg, "net", &mut a, &mut Rng::new(1)).unwrap();
    let mut b = Params::new();
    let net_b = Mlp::new(&cfg, "net", &mut b, &mut Rng::new(2)).unwrap();
    let x = Tensor::ones((4, 2), DType::F32, &Device::Cpu).unwrap();
    let ya = net_a.forward(&x).unwrap().to_vec2::<f32>().unwrap();
    assert_ne!(ya, net_b.forward(&x).unwrap().to_vec2::<f32>().unwrap());
    b.load_safetensors(&a.to_safetensors().unwrap()).unwrap();
    assert_eq!(ya, net_b.forward(&x).unwrap().to_vec2::<f32>().unwrap());
    let err = b.load_safetensors(&[1, 2, 3]).unwrap_err().to_string();
    assert!(err.contains("safetensors"), "{err}");
}

#[wasm_bindgen_test]
fn binding_rejects_a_bad_config_and_serves_a_good_one() {
    assert!(DataLab::new(r#"{"dataset":{"name":"checkerboard"},"n":0}"#).is_err());
    assert!(DataLab::new("not json").is_err());
    let mut lab = DataLab::new(r#"{"dataset":{"name":"modes-1d"},"n":10}"#).unwrap();
    assert_eq!(lab.dim(), 1);
    assert_eq!(lab.next_chunk(4).len(), 4);
    assert_eq!(lab.remaining(), 6);
    let grid = lab.density_grid(0.0, 4.0, 0.0, 1.0, 400, 1);
    let mass: f32 = grid.iter().sum::<f32>() * 4.0 / 400.0;
    assert!((mass - 1.0).abs() < 1e-2, "1D density integrates to {mass}");
}

#[wasm_bindgen_test]
fn every_catalog_name_loads_through_the_binding() {
    for entry in genlab::data::library::DatasetConfig::catalog() {
        let json = serde_json::json!({ "dataset": entry.defaults, "n": 5 }).to_string();
        let mut lab =
            DataLab::new(&json).unwrap_or_else(|_| panic!("{} does not load", entry.name));
        assert_eq!(lab.dim(), entry.dim, "{}", entry.name);
        assert_eq!(lab.next_chunk(5).len(), 5 * entry.dim, "{}", entry.name);
    }
}

/// The interpolants lab in wasm: the same config trains to bit-identical losses and moves the
/// particles to bit-identical places (the link promise), and the learned fields stay finite.
#[wasm_bindgen_test]
fn interpolant_lab_trains_and_samples_deterministically() {
    let json = r#"{"rho0":{"name":"gaussian"},"rho1":{"name":"eight-gaussians"},"model":{"width":16,"depth":2},
        "train":{"batch":64,"steps":20},"sampler":{"method":"sde-heun","epsilon":0.5,"steps":10},"n":200,"seed":3}"#;
    let run = || {
        let mut lab = InterpolantLab::new(json).unwrap();
        let losses = stringify(&lab.train(20).unwrap());
        lab.advance(usize::MAX, 0.5);
        (losses, lab.particles(), lab.weights().unwrap())
    };
    let (la, pa, wa) = run();
    let (lb, pb, wb) = run();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    // one {drift, score} per step; JSON prints each f32 (widened to f64) exactly
    assert_eq!(la, lb, "same losses");
    assert_eq!(la.matches(r#""drift":"#).count(), 20, "{la}");
    assert_eq!(la.matches(r#""score":"#).count(), 20, "{la}");
    assert_eq!(bits(&pa), bits(&pb), "same particles");
    assert_eq!(wa, wb, "same weights");
    assert_eq!(pa.len(), 400);
    assert!(pa.iter().all(|v| v.is_finite()));
    let mut other = InterpolantLab::new(json).unwrap();
    other.load_weights(&wa, 20).unwrap();
    assert_eq!(other.trained_steps(), 20);
    other.advance(usize::MAX, 0.5);
    assert_eq!(
        bits(&other.particles()),
        bits(&pa),
        "loaded weights sample the same particles"
    );
    assert!(other.load_weights(b"not weights", 0).is_err());
}

#[wasm_bindgen_test]
fn halluc_lab_trains_and_samples_deterministically() {
    let json = r#"{"data":{"name":"grid25"},"trainSize":500,"schedule":{"steps":50},"train":{"width":16,"batch":64,"steps":10,"ema":0.9},"n":60,"seed":5}"#;
    let run = || {
        let mut lab = HallucLab::new(json).unwrap();
        let losses = stringify(&lab.train(10).unwrap());
        lab.start_sampling();
        let mut chunks = vec![];
        loop {
            let chunk = named_arrays(
                &lab.sample_chunk().unwrap(),
                &["points", "variance", "labels"],
            );
            if chunk[0].is_empty() {
                break;
            }
            chunks.push(chunk);
        }
        (
            losses,
            chunks,
            lab.weights().unwrap(),
            stringify(&lab.report().unwrap()),
        )
    };
    let (la, ca, wa, ra) = run();
    let (lb, cb, wb, rb) = run();
    let bits = |v: &[Vec<f32>]| v.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(la, lb, "same losses");
    assert_eq!(la.matches(',').count(), 9, "ten losses: {la}");
    assert_eq!(ca.len(), 2, "chunks of 25 and 35 (of 50)");
    for (a, b) in ca.iter().zip(&cb) {
        assert_eq!(bits(a), bits(b), "same samples, variances and labels");
    }
    // each chunk: 2D points, their variances, 0/1 labels
    assert_eq!(
        [ca[0][0].len(), ca[0][1].len(), ca[0][2].len()],
        [50, 25, 25]
    );
    assert!(ca[0][2].iter().all(|l| *l == 0.0 || *l == 1.0));
    assert_eq!(wa, wb, "same weights");
    assert_eq!(ra, rb);
    assert!(ra.contains(r#""samples":60"#), "{ra}");
    assert!(ra.contains(r#""hallucinationRate":"#), "camelCase: {ra}");
    let mut other = HallucLab::new(json).unwrap();
    other.load_weights(&wa, 10).unwrap();
    assert_eq!(other.trained_steps(), 10);
    other.start_sampling();
    let first = named_arrays(
        &other.sample_chunk().unwrap(),
        &["points", "variance", "labels"],
    );
    assert_eq!(
        bits(&first),
        bits(&ca[0]),
        "loaded weights sample the same chain"
    );
    assert!(other.load_weights(b"not weights", 0).is_err());
    assert!(HallucLab::new(r#"{"window":1}"#).is_err());
}
