//! The latent-quantization lab's config: data, model (QLAE, AE or β-VAE), network sizes,
//! losses, optimiser, evaluation and seed. Loss weights and optimiser follow Hsu et al. 2023
//! (λ_quantize = λ_commit = 0.01, AdamW lr 10⁻³ with weight decay 0.1 for QLAE, 0.001 for the
//! AE, element-wise gradient clip 1). The networks and the training budget are browser-sized
//! (the paper: 12-layer conv encoder, style decoder, batch 128 for 200k steps at 64×64).
use super::data::sprites::SpritesConfig;
use super::data::ImageData;
use crate::config::{
    check_lr_end, check_positive, check_range, check_version, ConfigError, Validate,
    CONFIG_VERSION, MAX_SEED,
};
use serde::{Deserialize, Serialize};

/// The latent space: the paper's quantized latents, or the two baselines.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Per-dimension scalar codebooks with the straight-through estimator.
    #[default]
    Qlae,
    /// Continuous latents, no regulariser but weight decay.
    Ae,
    /// Diagonal Gaussian latents with β·KL to N(0, I).
    Vae,
}

/// The encoder: stride-2 convolutions (the paper's kind) or an MLP over the pixels (the
/// default: measured natively on one core, MLPs train at ≈ 42 steps/s at batch 64, the
/// smallest conv encoder + style decoder at ≈ 2–3).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EncoderConfig {
    /// Channels of the 4×4 stride-2 convolutions; empty means an MLP encoder.
    pub channels: Vec<usize>,
    /// Widths of the dense layers before the latent head.
    pub dense: Vec<usize>,
    /// Normalisation after each dense layer, before its ReLU.
    #[serde(skip_serializing_if = "DenseNorm::is_none")]
    pub norm: DenseNorm,
}

/// The decoder: the paper's style decoder (a learned constant map, upsampled by 2 and convolved
/// per block, each block modulated by scales and biases computed from z) or an MLP.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct DecoderConfig {
    /// Channels of the style blocks (each doubles the side); empty means an MLP decoder.
    pub channels: Vec<usize>,
    /// Widths of the dense layers from z (to the style vector w, or to the pixels).
    pub dense: Vec<usize>,
    /// Normalisation after each dense layer, before its ReLU.
    #[serde(skip_serializing_if = "DenseNorm::is_none")]
    pub norm: DenseNorm,
}

/// The authors' `DenseBlock` norm: none (their conv nets' dense layers) or LayerNorm (their
/// all-dense `DenseEncoder` and `DenseDecoder`), applied between a dense layer and its ReLU.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DenseNorm {
    #[default]
    None,
    Layer,
}

impl DenseNorm {
    fn is_none(&self) -> bool {
        *self == Self::None
    }
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self {
            channels: vec![],
            dense: vec![256, 256],
            norm: DenseNorm::None,
        }
    }
}
impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            channels: vec![],
            dense: vec![256, 256],
            norm: DenseNorm::None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TrainConfig {
    pub batch: usize,
    pub steps: usize,
    pub lr: f64,
    /// When set, the learning rate follows a cosine from `lr` down to this over the run
    /// (our choice; the paper keeps lr constant, which is the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_end: Option<f64>,
    /// AdamW weight decay on weights; absent means the paper's: 0.1 (QLAE), 0.001 (AE, β-VAE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// Element-wise gradient clip on the weights (biases and codebooks are not clipped).
    pub clip: f64,
    /// λ of the quantization term (the only gradient the codebook values get).
    pub quantization: f64,
    /// λ of the commitment term (moves the encoder towards its codes).
    pub commitment: f64,
    /// β of the β-VAE's KL term.
    pub beta: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            batch: 64,
            steps: 5000,
            lr: 1e-3,
            lr_end: None,
            weight_decay: None,
            clip: 1.0,
            quantization: 0.01,
            commitment: 0.01,
            beta: 3.0,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct QlaeConfig {
    pub version: u32,
    pub data: ImageData,
    pub model: ModelKind,
    /// Number of latents; absent means the paper's 2 × the number of factors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latents: Option<usize>,
    /// Values per scalar codebook (the paper: 10, initialised linspace(−0.5, 0.5)).
    pub values: usize,
    pub encoder: EncoderConfig,
    pub decoder: DecoderConfig,
    pub train: TrainConfig,
    /// Images the metrics are computed on (the paper: 10,000).
    pub eval_size: usize,
    pub seed: u64,
}

impl Default for QlaeConfig {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            data: ImageData::Sprites(SpritesConfig::default()),
            model: ModelKind::Qlae,
            latents: None,
            values: 10,
            encoder: EncoderConfig::default(),
            decoder: DecoderConfig::default(),
            train: TrainConfig::default(),
            eval_size: 2000,
            seed: 0,
        }
    }
}

impl QlaeConfig {
    /// The number of latents in use.
    pub fn latent_count(&self) -> usize {
        self.latents.unwrap_or(2 * self.data.factors().len())
    }

    /// The AdamW weight decay in use.
    pub fn weight_decay(&self) -> f64 {
        self.train.weight_decay.unwrap_or(match self.model {
            ModelKind::Qlae => 0.1,
            ModelKind::Ae | ModelKind::Vae => 0.001,
        })
    }
}

impl Validate for QlaeConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        check_version(self.version)?;
        self.data.validate().map_err(|e| e.within("data"))?;
        check_range("latents", self.latent_count(), 1, 64)?;
        check_range("values", self.values, 2, 64)?;
        let side = self.data.size();
        for (field, channels) in [
            ("encoder.channels", &self.encoder.channels),
            ("decoder.channels", &self.decoder.channels),
        ] {
            check_range(field, channels.len(), 0, 6)?;
            if channels.iter().any(|&c| c == 0 || c > 512) {
                return Err(ConfigError::new(
                    field,
                    "every layer needs 1 to 512 channels",
                ));
            }
            if !side.is_multiple_of(1 << channels.len()) {
                return Err(ConfigError::new(
                    field,
                    format!(
                        "{} stride-2 layers need an image side divisible by {}; it is {side}",
                        channels.len(),
                        1 << channels.len()
                    ),
                ));
            }
        }
        for (field, dense) in [
            ("encoder.dense", &self.encoder.dense),
            ("decoder.dense", &self.decoder.dense),
        ] {
            check_range(field, dense.len(), 0, 4)?;
            if dense.iter().any(|&w| w == 0 || w > 4096) {
                return Err(ConfigError::new(
                    field,
                    "every dense layer needs a width of 1 to 4096",
                ));
            }
        }
        if !self.decoder.channels.is_empty() && self.decoder.dense.is_empty() {
            return Err(ConfigError::new(
                "decoder.dense",
                "the style decoder needs at least one dense layer to compute its style vector",
            ));
        }
        check_range("train.batch", self.train.batch, 1, 4096)?;
        check_range("train.steps", self.train.steps, 1, 10_000_000)?;
        check_positive("train.lr", self.train.lr as f32, 10.0)?;
        check_lr_end(self.train.lr, self.train.lr_end)?;
        check_range("train.weightDecay", self.weight_decay(), 0.0, 10.0)?;
        check_positive("train.clip", self.train.clip as f32, 1e6)?;
        check_range("train.quantization", self.train.quantization, 0.0, 100.0)?;
        check_range("train.commitment", self.train.commitment, 0.0, 100.0)?;
        check_range("train.beta", self.train.beta, 0.0, 1000.0)?;
        check_range("evalSize", self.eval_size, 20, 100_000)?;
        check_range("seed", self.seed, 0, MAX_SEED)
    }
}
