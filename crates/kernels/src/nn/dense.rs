//! Inference-only `Linear` layers on plain slices, for the samplers' hot loops.
//!
//! y = x Wᵀ + b as one matmul that accumulates into a buffer pre-filled with the bias: natively
//! one `gemm` call (candle's own kernels, threaded), in wasm GenLab's panel kernel
//! ([`super::panels`]).
//! The candle path allocates and zero-fills every output, then adds the bias and applies the
//! activation in two more broadcasting passes; profiled on the interpolant sampler, those
//! passes took as long as the matmuls themselves. Results match the candle path (tested in
//! `tests/nn.rs`); training keeps candle for autograd.
use candle_core::Result;

/// A `Linear` layer's weight (fan_out × fan_in, row-major, as in candle) and bias.
pub struct Dense {
    #[cfg(not(target_arch = "wasm32"))]
    weight: Vec<f32>,
    #[cfg(target_arch = "wasm32")]
    weight: super::panels::Panels,
    bias: Vec<f32>,
    fan_in: usize,
}

impl Dense {
    /// Copies a candle `Linear`'s parameters (weight shape fan_out × fan_in).
    pub fn from_linear(layer: &candle_nn::Linear) -> Result<Self> {
        let (fan_out, fan_in) = layer.weight().dims2()?;
        let weight = layer.weight().flatten_all()?.to_vec1::<f32>()?;
        let bias = match layer.bias() {
            Some(b) => b.to_vec1::<f32>()?,
            None => vec![0.0; fan_out],
        };
        Self::new(&weight, bias, fan_in)
    }

    /// A layer from a row-major weight (`bias.len()` × `fan_in`) and its bias.
    pub fn new(weight: &[f32], bias: Vec<f32>, fan_in: usize) -> Result<Self> {
        let fan_out = bias.len();
        if weight.len() != fan_out * fan_in {
            candle_core::bail!(
                "dense layer: a weight of {} values is not {fan_out} × {fan_in}",
                weight.len()
            );
        }
        #[cfg(target_arch = "wasm32")]
        let weight = super::panels::Panels::new(weight, fan_out, fan_in);
        #[cfg(not(target_arch = "wasm32"))]
        let weight = weight.to_vec();
        Ok(Self {
            weight,
            bias,
            fan_in,
        })
    }

    pub fn fan_out(&self) -> usize {
        self.bias.len()
    }

    /// x Wᵀ + b for the `x.len() / fan_in` rows of `x` (row-major).
    pub fn forward(&self, x: &[f32]) -> Result<Vec<f32>> {
        let k = self.fan_in;
        if k == 0 || !x.len().is_multiple_of(k) {
            candle_core::bail!("dense layer: {} inputs are not rows of {k}", x.len());
        }
        let mut y: Vec<f32> = Vec::with_capacity(x.len() / k * self.fan_out());
        for _ in 0..x.len() / k {
            y.extend_from_slice(&self.bias);
        }
        self.accumulate(x, &mut y)?;
        Ok(y)
    }

    /// y += x Wᵀ (no bias) for the rows of `x`, into a `y` the caller has filled, e.g. with a
    /// bias plus a residual.
    pub fn accumulate(&self, x: &[f32], y: &mut [f32]) -> Result<()> {
        let (k, n) = (self.fan_in, self.fan_out());
        if k == 0 || !x.len().is_multiple_of(k) || y.len() != x.len() / k * n {
            candle_core::bail!(
                "dense layer: {} inputs and {} outputs are not rows of {k} and {n}",
                x.len(),
                y.len()
            );
        }
        let m = x.len() / k;
        if m == 0 || n == 0 {
            return Ok(());
        }
        #[cfg(target_arch = "wasm32")]
        self.weight.accumulate(x, y);
        #[cfg(not(target_arch = "wasm32"))]
        {
            use super::matmul::{candle_threads, matmul};
            matmul(
                candle_threads(),
                (m, n, k),
                y,
                true,
                x,
                (1, k),
                &self.weight,
                (k, 1),
            );
        }
        Ok(())
    }

    /// The bias, e.g. to pre-fill an output for [`Dense::accumulate`].
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }
}
