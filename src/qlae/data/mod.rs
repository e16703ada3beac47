//! Procedural image datasets with exact ground-truth factors, standing in for dSprites and
//! Shapes3D (which cannot be downloaded here).
//!
//! - [`sprites`]: dSprites-style white shapes on black (square, ellipse, heart) with scale,
//!   orientation and position factors; one channel.
//! - [`shapes3d`]: Shapes3D-lite colour scenes (floor, walls, one object) with the six
//!   Shapes3D factors in Shapes3D's order; three channels.
//!
//! Every image is a pure function of its factor values: rendering is deterministic, done in
//! plain Rust (bit-identical on native and in wasm: trigonometry goes through `libm`), and
//! anti-aliased by supersampling so that pixel values are area coverages in [0, 1]. Images are
//! laid out CHW; a batch is `n × C × S × S`. Factor values are indices `0..count`; each
//! dataset's factor list ([`ImageData::factors`]) has a fixed order.
//!
//! In JSON a dataset is an object tagged by `kind`, its settings optional:
//! `{"kind": "sprites", "size": 32, "scales": 4}` or `{"kind": "shapes3d"}`.
//!
//! ```
//! use genlab::qlae::data::{sprites::SpritesConfig, ImageData};
//! use genlab::rng::Rng;
//! let data = ImageData::Sprites(SpritesConfig::default());
//! assert!(data.validate().is_ok());
//! let names: Vec<&str> = data.factors().iter().map(|f| f.name).collect();
//! assert_eq!(names, ["shape", "scale", "orientation", "x", "y"]);
//!
//! let batch = data.sample(4, &mut Rng::new(1));
//! assert_eq!(batch.pixels.len(), 4 * 1 * 32 * 32);
//! assert_eq!(batch.tensor().unwrap().dims(), &[4, 1, 32, 32]);
//! // The same factors always give the same image.
//! let again = data.images(batch.factor_row(2).to_vec());
//! assert_eq!(again.image(0), batch.image(2));
//! ```
use crate::config::{ConfigError, Validate};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

pub mod shapes3d;
pub mod sprites;

/// Which procedural dataset, with its settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ImageData {
    Sprites(sprites::SpritesConfig),
    Shapes3d(shapes3d::Shapes3dConfig),
}

impl Default for ImageData {
    fn default() -> Self {
        Self::Sprites(sprites::SpritesConfig::default())
    }
}

/// One ground-truth factor: its name and how many values it takes (`0..count`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    pub name: &'static str,
    pub count: usize,
}

impl ImageData {
    /// The `kind` tag: `"sprites"` or `"shapes3d"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sprites(_) => "sprites",
            Self::Shapes3d(_) => "shapes3d",
        }
    }

    /// Colour channels: 1 (sprites) or 3 (shapes3d, RGB).
    pub fn channels(&self) -> usize {
        match self {
            Self::Sprites(_) => 1,
            Self::Shapes3d(_) => 3,
        }
    }

    /// The image side in pixels.
    pub fn size(&self) -> usize {
        match self {
            Self::Sprites(c) => c.size,
            Self::Shapes3d(c) => c.size,
        }
    }

    /// The factors' names and value counts, in the dataset's fixed order.
    pub fn factors(&self) -> Vec<Factor> {
        match self {
            Self::Sprites(c) => c.factors(),
            Self::Shapes3d(c) => c.factors(),
        }
    }

    /// Renders one image (CHW, values in [0, 1]) into `out` (length `C·S·S`).
    /// `values[i] < factors()[i].count`; panics otherwise.
    pub fn render(&self, values: &[usize], out: &mut [f32]) {
        match self {
            Self::Sprites(c) => c.render(values, out),
            Self::Shapes3d(c) => c.render(values, out),
        }
    }

    /// Checks the settings. Field paths are relative to the dataset (`size`, `scales`); the
    /// caller prefixes its own path (`data.`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            Self::Sprites(c) => c.validate(),
            Self::Shapes3d(c) => c.validate(),
        }
    }

    /// `n` images whose factor values are drawn uniformly and independently from `rng`
    /// (image by image, factor by factor in [`ImageData::factors`] order).
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Images {
        let counts: Vec<usize> = self.factors().iter().map(|f| f.count).collect();
        let mut factors = Vec::with_capacity(n * counts.len());
        for _ in 0..n {
            factors.extend(counts.iter().map(|&c| rng.below(c)));
        }
        self.images(factors)
    }

    /// The images for the given factor rows (row-major `n × K`, K = number of factors).
    pub fn images(&self, factors: Vec<usize>) -> Images {
        let k = self.factors().len();
        assert_eq!(
            factors.len() % k,
            0,
            "factor rows of {k} values expected, got {} values",
            factors.len()
        );
        let n = factors.len() / k;
        let (channels, size) = (self.channels(), self.size());
        let len = channels * size * size;
        let mut pixels = vec![0.0; n * len];
        for (row, out) in factors.chunks_exact(k).zip(pixels.chunks_exact_mut(len)) {
            self.render(row, out);
        }
        Images {
            n,
            channels,
            size,
            pixels,
            factors,
            k,
        }
    }
}

impl Validate for ImageData {
    fn validate(&self) -> Result<(), ConfigError> {
        ImageData::validate(self)
    }
}

/// Panics unless `values` has one in-range value per factor.
fn check_values(factors: &[Factor], values: &[usize]) {
    assert_eq!(
        values.len(),
        factors.len(),
        "{} factor values expected, got {}",
        factors.len(),
        values.len()
    );
    for (f, &v) in factors.iter().zip(values) {
        assert!(
            v < f.count,
            "factor {} = {v} is out of range 0..{}",
            f.name,
            f.count
        );
    }
}

/// `count` evenly spaced values over [lo, hi] (both ends included); `mid` when `count` is 1.
fn linspace(i: usize, count: usize, lo: f32, hi: f32, mid: f32) -> f32 {
    if count <= 1 {
        mid
    } else {
        lo + (hi - lo) * i as f32 / (count - 1) as f32
    }
}

/// A batch of images with their ground-truth factor values.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    pub n: usize,
    pub channels: usize,
    /// Image side in pixels.
    pub size: usize,
    /// `n × C × S × S`, values in [0, 1].
    pub pixels: Vec<f32>,
    /// `n × K`, row-major.
    pub factors: Vec<usize>,
    /// Number of factors per image.
    pub k: usize,
}

impl Images {
    /// The pixels as a `(n, C, S, S)` f32 tensor on the CPU.
    pub fn tensor(&self) -> candle_core::Result<candle_core::Tensor> {
        candle_core::Tensor::from_slice(
            &self.pixels,
            (self.n, self.channels, self.size, self.size),
            &candle_core::Device::Cpu,
        )
    }

    /// Image `i` (CHW).
    pub fn image(&self, i: usize) -> &[f32] {
        let len = self.channels * self.size * self.size;
        &self.pixels[i * len..(i + 1) * len]
    }

    /// The factor values of image `i`.
    pub fn factor_row(&self, i: usize) -> &[usize] {
        &self.factors[i * self.k..(i + 1) * self.k]
    }
}
