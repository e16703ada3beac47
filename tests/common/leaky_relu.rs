//! The check that GenLab's LeakyReLU op (`nn::leaky_relu`) gives candle-nn's `leaky_relu` bit
//! for bit, forward and backward, natively (`tests/nn.rs`) and in the browser (`tests/wasm.rs`).
use candle_core::{Device, Tensor, Var};
use genlab::nn::leaky_relu::leaky_relu;
use genlab::rng::Rng;

/// Equal bits, or both NaN (wasm leaves a NaN's sign and payload open).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Zeros of both signs, subnormals, the extremes, infinities and NaN, each against incoming
/// gradients of both signs, zeros of both signs and a subnormal; then `n` Gaussian inputs (a
/// tenth of them exact zeros, where candle splits the gradient) against Gaussian gradients.
fn inputs(n: usize) -> (Vec<f32>, Vec<f32>) {
    let edges = [
        0.0,
        -0.0,
        1e-40,
        -1e-40,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        1.0,
        -1.0,
        f32::MAX,
        f32::MIN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ];
    let grads = [1.5f32, -2.25, 0.0, -0.0, 1e-40, -3e38];
    let (mut xs, mut gs) = (vec![], vec![]);
    for x in edges {
        for g in grads {
            xs.push(x);
            gs.push(g);
        }
    }
    let mut rng = Rng::new(9);
    let zs = rng.normal_vec(n);
    xs.extend(
        zs.iter()
            .enumerate()
            .map(|(i, z)| if i % 10 == 3 { 0.0 } else { 3.0 * z }),
    );
    gs.extend(rng.normal_vec(n));
    (xs, gs)
}

/// `leaky_relu(x, slope)` and the gradient of Σ w·leaky_relu(x, slope) (x's only consumer, as in
/// every GenLab network that uses it) against candle-nn's, for the labs' slopes.
pub fn assert_leaky_relu_matches_candle(n: usize) {
    let (xs, ws) = inputs(n);
    let dev = Device::Cpu;
    let w = Tensor::from_slice(&ws, ws.len(), &dev).unwrap();
    for slope in [0.01f64, 0.02] {
        let x = Var::from_slice(&xs, xs.len(), &dev).unwrap();
        let ours = leaky_relu(&x, slope).unwrap();
        let theirs = candle_nn::ops::leaky_relu(&x, slope).unwrap();
        let grad = |y: &Tensor| {
            let grads = (y * &w).unwrap().sum_all().unwrap().backward().unwrap();
            grads.get(&x).unwrap().to_vec1::<f32>().unwrap()
        };
        let values = |t: &Tensor| t.to_vec1::<f32>().unwrap();
        for (what, got, want) in [
            ("leaky_relu", values(&ours), values(&theirs)),
            ("leaky_relu's gradient", grad(&ours), grad(&theirs)),
        ] {
            assert_eq!(got.len(), want.len());
            for (i, (g, c)) in got.iter().zip(&want).enumerate() {
                assert!(
                    same(*g, *c),
                    "{what}, slope {slope}, at x = {:e}, g = {:e}: {g:e} ≠ candle's {c:e}",
                    xs[i],
                    ws[i]
                );
            }
        }
    }
}
