//! The check that GenLab's SiLU op (`nn::silu`) gives candle's `silu` bit for bit, forward and
//! backward, natively (`tests/nn.rs`) and in the browser, where its e^x is the four-lane port of
//! wasm's `expf` (`tests/wasm.rs`).
use candle_core::{Device, Tensor, Var};
use genlab::nn::silu::silu;
use genlab::rng::Rng;

/// Inputs that reach every branch of `expf` at −x: its edges and one float either side, the
/// extremes, zeros, subnormals and NaN, then `n` Gaussian values of scale 40; 1 + 3 + …, so the
/// count is not a multiple of four.
fn inputs(n: usize) -> Vec<f32> {
    let edges = [
        0x3900_0000u32,
        0x3eb1_7218,
        0x3f85_1592,
        0x42ae_ac50,
        0x42b1_7218,
        0x42cf_f1b5,
    ];
    let mut xs = vec![
        0.0,
        -0.0,
        1e-40,
        -1e-40,
        f32::MIN_POSITIVE,
        1.0,
        -1.0,
        f32::NAN,
    ];
    xs.extend([
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
        88.5,
        -88.5,
        104.0,
        -104.0,
    ]);
    for bits in edges {
        for b in [bits - 1, bits, bits + 1] {
            xs.extend([f32::from_bits(b), -f32::from_bits(b)]);
        }
    }
    let mut rng = Rng::new(7);
    xs.extend(rng.normal_vec(n).into_iter().map(|z| 40.0 * z));
    xs.push(0.5);
    xs
}

/// Equal bits, or both NaN (wasm leaves a NaN's sign and payload open).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn assert_same(what: &str, xs: &[f32], got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for ((x, g), w) in xs.iter().zip(got).zip(want) {
        assert!(
            same(*g, *w),
            "{what} at x = {x:e} ({:#x}): {g:e} ≠ candle's {w:e}",
            x.to_bits()
        );
    }
}

/// `silu(x)`, its slice form and the gradient of Σ w·silu(x) + Σ v·x (x has a second consumer, so
/// the gradients are summed as in any network) against candle's.
pub fn assert_silu_matches_candle(n: usize) {
    let xs = inputs(n);
    let dev = Device::Cpu;
    let x = Var::from_slice(&xs, xs.len(), &dev).unwrap();
    let mut rng = Rng::new(8);
    let mut weights = || Tensor::from_vec(rng.normal_vec(xs.len()), xs.len(), &dev).unwrap();
    let (w, v) = (weights(), weights());
    let loss = |y: &Tensor| {
        ((y * &w).unwrap().sum_all().unwrap() + (x.as_tensor() * &v).unwrap().sum_all().unwrap())
            .unwrap()
    };
    let (ours, theirs) = (silu(&x).unwrap(), x.silu().unwrap());
    let values = |t: &Tensor| t.to_vec1::<f32>().unwrap();
    assert_same("silu", &xs, &values(&ours), &values(&theirs));
    let mut in_place = xs.clone();
    genlab::nn::silu::silu_in_place(&mut in_place);
    assert_same("silu_in_place", &xs, &in_place, &values(&theirs));
    let grad = |y: &Tensor| values(loss(y).backward().unwrap().get(&x).unwrap());
    assert_same("silu's gradient", &xs, &grad(&ours), &grad(&theirs));
}
