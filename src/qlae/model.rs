//! The autoencoder of Hsu et al. 2023 in its three latent spaces (QLAE, AE, β-VAE), sharing one
//! encoder and one decoder so that only the latent space differs between runs.
//!
//! Encoder (the authors' `ImageEncoder`): 4×4 stride-2 convolutions, each followed by instance
//! norm and LeakyReLU(0.01), then dense ReLU layers and a linear head to the latents (twice as
//! many outputs for the VAE's mean and softplus σ). Decoder (the authors' `StyleImageDecoder`,
//! with nearest upsampling + 3×3 convolution in place of the transposed convolution): dense ReLU
//! layers map z to a style vector w; a learned constant map (initialised 0.1) goes through
//! blocks of upsample ×2 → conv → LeakyReLU → instance norm → x·s + b with (s, b) = ReLU(W·w);
//! a final 3×3 convolution gives pixel logits. Empty channel lists select MLP nets.
use super::config::{DenseNorm, ModelKind, QlaeConfig};
use super::quantizer::{Quantized, Quantizer};
use crate::nn::conv::{instance_norm, upsample_nearest, Conv2d};
use crate::nn::layer_norm::LayerNorm;
use crate::nn::mlp::linear;
use crate::nn::params::{Group, Params};
use crate::rng::Rng;
use candle_core::{Device, Module, Result, Tensor};
use candle_nn::Linear;

/// LeakyReLU's slope in the authors' conv blocks (JAX's default).
const LEAKY_SLOPE: f64 = 0.01;

fn leaky(x: &Tensor) -> Result<Tensor> {
    crate::nn::leaky_relu::leaky_relu(x, LEAKY_SLOPE)
}

/// A dense layer with its optional LayerNorm.
struct Dense {
    linear: Linear,
    norm: Option<LayerNorm>,
}

fn dense_stack(
    prefix: &str,
    input: usize,
    widths: &[usize],
    norm: DenseNorm,
    params: &mut Params,
    rng: &mut Rng,
) -> Result<(Vec<Dense>, usize)> {
    let mut layers = Vec::new();
    let mut width = input;
    for (i, &w) in widths.iter().enumerate() {
        let linear = linear(&format!("{prefix}.{i}"), width, w, params, rng)?;
        let norm = match norm {
            DenseNorm::None => None,
            DenseNorm::Layer => Some(LayerNorm::with_scale_group(
                &format!("{prefix}.{i}.norm"),
                w,
                Group::Decay,
                params,
            )?),
        };
        layers.push(Dense { linear, norm });
        width = w;
    }
    Ok((layers, width))
}

/// Each layer's ReLU(norm(W·x + b)).
fn relu_stack(layers: &[Dense], mut x: Tensor) -> Result<Tensor> {
    for layer in layers {
        let h = layer.linear.forward(&x)?;
        x = match &layer.norm {
            Some(norm) => norm.forward_leaky(&h, 0.0)?,
            None => h.relu()?,
        };
    }
    Ok(x)
}

struct Encoder {
    convs: Vec<Conv2d>,
    dense: Vec<Dense>,
    head: Linear,
}

impl Encoder {
    fn new(
        config: &QlaeConfig,
        outputs: usize,
        params: &mut Params,
        rng: &mut Rng,
    ) -> Result<Self> {
        let (mut channels, mut side) = (config.data.channels(), config.data.size());
        let mut convs = Vec::new();
        for (i, &c) in config.encoder.channels.iter().enumerate() {
            convs.push(Conv2d::new(
                &format!("encoder.conv.{i}"),
                channels,
                c,
                4,
                2,
                1,
                params,
                rng,
            )?);
            (channels, side) = (c, side / 2);
        }
        let (dense, width) = dense_stack(
            "encoder.dense",
            channels * side * side,
            &config.encoder.dense,
            config.encoder.norm,
            params,
            rng,
        )?;
        let head = linear("encoder.head", width, outputs, params, rng)?;
        Ok(Self { convs, dense, head })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for conv in &self.convs {
            h = instance_norm(&conv.forward(&h)?, LEAKY_SLOPE as f32)?;
        }
        self.head
            .forward(&relu_stack(&self.dense, h.flatten_from(1)?)?)
    }
}

struct StyleBlock {
    conv: Conv2d,
    modulation: Linear,
}

enum Decoder {
    Style {
        dense: Vec<Dense>,
        input_map: Tensor,
        blocks: Vec<StyleBlock>,
        out: Conv2d,
    },
    Mlp {
        dense: Vec<Dense>,
        out: Linear,
        shape: (usize, usize),
    },
}

impl Decoder {
    fn new(
        config: &QlaeConfig,
        latents: usize,
        params: &mut Params,
        rng: &mut Rng,
    ) -> Result<Self> {
        let (channels, side) = (config.data.channels(), config.data.size());
        let (dense, width) = dense_stack(
            "decoder.dense",
            latents,
            &config.decoder.dense,
            config.decoder.norm,
            params,
            rng,
        )?;
        let widths = &config.decoder.channels;
        if widths.is_empty() {
            let out = linear("decoder.out", width, channels * side * side, params, rng)?;
            return Ok(Self::Mlp {
                dense,
                out,
                shape: (channels, side),
            });
        }
        let start = side >> widths.len();
        let input_map = params.add(
            "decoder.input_map",
            Tensor::full(0.1f32, (1, widths[0], start, start), &Device::Cpu)?,
            Group::Decay,
        )?;
        let mut previous = widths[0];
        let mut blocks = Vec::new();
        for (i, &c) in widths.iter().enumerate() {
            let conv = Conv2d::new(
                &format!("decoder.block.{i}.conv"),
                previous,
                c,
                3,
                1,
                1,
                params,
                rng,
            )?;
            let modulation = linear(
                &format!("decoder.block.{i}.style"),
                width,
                2 * c,
                params,
                rng,
            )?;
            blocks.push(StyleBlock { conv, modulation });
            previous = c;
        }
        let out = Conv2d::new("decoder.out", previous, channels, 3, 1, 1, params, rng)?;
        Ok(Self::Style {
            dense,
            input_map,
            blocks,
            out,
        })
    }

    fn forward(&self, z: &Tensor) -> Result<Tensor> {
        let batch = z.dim(0)?;
        match self {
            Self::Mlp {
                dense,
                out,
                shape: (c, s),
            } => out
                .forward(&relu_stack(dense, z.clone())?)?
                .reshape((batch, *c, *s, *s)),
            Self::Style {
                dense,
                input_map,
                blocks,
                out,
            } => {
                let w = relu_stack(dense, z.clone())?;
                let (_, c0, s0, _) = input_map.dims4()?;
                let mut x = input_map.broadcast_as((batch, c0, s0, s0))?.contiguous()?;
                for block in blocks {
                    x = instance_norm(&leaky(&block.conv.forward(&upsample_nearest(&x)?)?)?, 1.0)?;
                    let style = block.modulation.forward(&w)?.relu()?;
                    let c = x.dim(1)?;
                    let scale = style.narrow(1, 0, c)?.reshape((batch, c, 1, 1))?;
                    let shift = style.narrow(1, c, c)?.reshape((batch, c, 1, 1))?;
                    x = x.broadcast_mul(&scale)?.broadcast_add(&shift)?;
                }
                out.forward(&x)
            }
        }
    }
}

/// How the encoder's outputs become the decoder's input.
enum Latent {
    Quantized(Quantizer),
    Continuous,
    Gaussian,
}

/// One forward pass.
pub struct Outputs {
    /// The encoder's continuous latents (the VAE's mean).
    pub z: Tensor,
    /// The quantizer's outputs (QLAE only).
    pub quantized: Option<Quantized>,
    /// The VAE's posterior standard deviations.
    pub sigma: Option<Tensor>,
    /// Pixel logits (batch × C × S × S).
    pub logits: Tensor,
}

pub struct Autoencoder {
    pub params: Params,
    pub kind: ModelKind,
    encoder: Encoder,
    latent: Latent,
    decoder: Decoder,
    latents: usize,
}

impl Autoencoder {
    pub fn new(config: &QlaeConfig, rng: &mut Rng) -> Result<Self> {
        let mut params = Params::new();
        let latents = config.latent_count();
        let outputs = if config.model == ModelKind::Vae {
            2 * latents
        } else {
            latents
        };
        let encoder = Encoder::new(config, outputs, &mut params, rng)?;
        let latent = match config.model {
            ModelKind::Qlae => {
                Latent::Quantized(Quantizer::new(latents, config.values, &mut params)?)
            }
            ModelKind::Ae => Latent::Continuous,
            ModelKind::Vae => Latent::Gaussian,
        };
        let decoder = Decoder::new(config, latents, &mut params, rng)?;
        Ok(Self {
            params,
            kind: config.model,
            encoder,
            latent,
            decoder,
            latents,
        })
    }

    pub fn latents(&self) -> usize {
        self.latents
    }

    pub fn quantizer(&self) -> Option<&Quantizer> {
        match &self.latent {
            Latent::Quantized(q) => Some(q),
            _ => None,
        }
    }

    /// Encodes, passes the latent space and decodes. `noise` draws the VAE's reparameterised
    /// sample (training); without it the VAE decodes its mean.
    pub fn forward(&self, x: &Tensor, noise: Option<&mut Rng>) -> Result<Outputs> {
        let (z, quantized, sigma, decoder_input) = self.encode_full(x, noise)?;
        let logits = self.decoder.forward(&decoder_input)?;
        Ok(Outputs {
            z,
            quantized,
            sigma,
            logits,
        })
    }

    /// The latents the metrics read: code indices for QLAE, z (the mean for the VAE) otherwise.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        let (z, quantized, _, _) = self.encode_full(x, None)?;
        match quantized {
            Some(q) => Ok(q.indices),
            None => Ok(z),
        }
    }

    /// Pixel logits for given decoder inputs (batch × n_z), e.g. codebook values.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        self.decoder.forward(z)
    }

    #[allow(clippy::type_complexity)]
    fn encode_full(
        &self,
        x: &Tensor,
        noise: Option<&mut Rng>,
    ) -> Result<(Tensor, Option<Quantized>, Option<Tensor>, Tensor)> {
        let pre = self.encoder.forward(x)?;
        match &self.latent {
            Latent::Quantized(quantizer) => {
                let q = quantizer.forward(&pre)?;
                let input = q.straight_through.clone();
                Ok((pre, Some(q), None, input))
            }
            Latent::Continuous => Ok((pre.clone(), None, None, pre)),
            Latent::Gaussian => {
                let n = self.latents;
                let mu = pre.narrow(1, 0, n)?;
                // softplus(s) = log(1 + exp(s)), written stably as relu(s) + log(1 + exp(−|s|))
                let s = pre.narrow(1, n, n)?;
                let sigma = (s.relu()? + (s.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
                let input = match noise {
                    Some(rng) => (&mu + (rng.normal_tensor(mu.shape(), &Device::Cpu)? * &sigma)?)?,
                    None => mu.clone(),
                };
                Ok((mu, None, Some(sigma), input))
            }
        }
    }
}
