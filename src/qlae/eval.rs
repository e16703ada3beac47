//! Evaluation (Hsu et al. 2023): InfoM, InfoE, InfoC and the NMI matrix between the true
//! factors and the latents of `evalSize` held-out images (code indices with the plug-in
//! estimator for QLAE; continuous z, the VAE's mean, with the k-NN estimator otherwise), and
//! reconstruction PSNR = −10·log10 mean (σ(logits) − x)², averaged over images.
use super::config::QlaeConfig;
use super::data::Images;
use super::model::Autoencoder;
use crate::metrics::{explicitness::infoe, infomec::modularity};
use crate::rng::{streams, Rng};
use candle_core::{DType, Result, Tensor, D};
use serde::Serialize;

/// Images per forward pass during evaluation.
const CHUNK: usize = 250;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    pub infom: f64,
    pub infoe: f64,
    pub infoc: f64,
    pub psnr: f64,
    /// Rows: factors; columns: latents.
    pub nmi: Vec<Vec<f64>>,
    pub active_latents: Vec<bool>,
    pub factors: Vec<&'static str>,
    /// Whether the latents were scored as discrete codes.
    pub discrete: bool,
}

/// The random stream of the evaluation images (apart from the training batches).
pub fn eval_stream(seed: u64) -> Rng {
    Rng::new(seed).stream(streams::indexed(streams::DATA, 1))
}

/// Per-image PSNR in dB of sigmoid(logits) against x (both batch × …).
pub fn psnr(logits: &Tensor, x: &Tensor) -> Result<Vec<f32>> {
    let error = (candle_nn::ops::sigmoid(logits)? - x)?
        .sqr()?
        .flatten_from(1)?
        .mean(D::Minus1)?;
    Ok(error
        .to_vec1::<f32>()?
        .into_iter()
        .map(|mse| -10.0 * mse.max(1e-12).log10())
        .collect())
}

/// The config's held-out images (`evalSize` of them, apart from every training batch).
pub fn eval_images(config: &QlaeConfig) -> Images {
    config
        .data
        .sample(config.eval_size, &mut eval_stream(config.seed))
}

/// Scores `model` on the config's held-out images.
pub fn evaluate(model: &Autoencoder, config: &QlaeConfig) -> Result<Evaluation> {
    evaluate_on(model, config, &eval_images(config))
}

/// Scores `model` on `images`.
pub fn evaluate_on(
    model: &Autoencoder,
    config: &QlaeConfig,
    images: &Images,
) -> Result<Evaluation> {
    let n = images.n;
    let discrete = model.quantizer().is_some();
    let (latents, total_psnr) = encode(model, &images.tensor()?)?;
    let factors = config.data.factors();
    let sources: Vec<Vec<f64>> = (0..factors.len())
        .map(|k| (0..n).map(|i| images.factor_row(i)[k] as f64).collect())
        .collect();
    let m = modularity(
        &sources,
        &latents,
        discrete,
        &mut Rng::new(config.seed).stream(streams::SAMPLER),
    );
    Ok(Evaluation {
        infom: m.infom,
        infoe: infoe(&sources, &latents, discrete),
        infoc: m.infoc,
        psnr: total_psnr / n as f64,
        nmi: m.nmi,
        active_latents: m.active_latents,
        factors: factors.iter().map(|f| f.name).collect(),
        discrete,
    })
}

/// The latents the metrics score, one column per latent (code indices for QLAE, else z), of the
/// images `all` (`n × C × S × S`), and their summed PSNR.
pub fn encode(model: &Autoencoder, all: &Tensor) -> Result<(Vec<Vec<f64>>, f64)> {
    let n = all.dim(0)?;
    let mut latents = vec![Vec::with_capacity(n); model.latents()];
    let mut total_psnr = 0.0f64;
    for start in (0..n).step_by(CHUNK) {
        let x = all.narrow(0, start, CHUNK.min(n - start))?;
        let out = model.forward(&x, None)?;
        total_psnr += psnr(&out.logits, &x)?
            .iter()
            .map(|&p| p as f64)
            .sum::<f64>();
        let z = match &out.quantized {
            Some(q) => q.indices.to_dtype(DType::F32)?,
            None => out.z.clone(),
        };
        for row in z.to_vec2::<f32>()? {
            for (column, v) in latents.iter_mut().zip(row) {
                column.push(v as f64);
            }
        }
    }
    Ok((latents, total_psnr))
}
