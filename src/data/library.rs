//! The named densities a config can ask for, with their parameters and bounds.
//!
//! In JSON a dataset is an object tagged by `name`, parameters optional:
//! `{"name": "two-moons", "noise": 0.1}`. [`DatasetConfig::catalog`] lists every name with
//! its defaults, which the page uses to build its picker and the CLI to list valid choices.
//!
//! ```
//! use genlab::data::library::DatasetConfig;
//! for entry in DatasetConfig::catalog() {
//!     // every entry's JSON round-trips and carries a `name` the loader accepts
//!     let json = serde_json::to_value(&entry.defaults).unwrap();
//!     let back: DatasetConfig = serde_json::from_value(json.clone()).unwrap();
//!     assert_eq!(back, entry.defaults);
//!     assert_eq!(json["name"], entry.defaults.name());
//!     assert_eq!(DatasetConfig::by_name(entry.name).unwrap(), entry.defaults);
//! }
//! ```
use super::checkerboard::Checkerboard;
use super::gmm::{Component, GaussianMixture};
use super::moons::TwoMoons;
use super::rings::Rings;
use super::spirals::TwoSpirals;
use super::Density;
use crate::config::{check_positive, check_range, ConfigError, Validate};
use serde::{Deserialize, Serialize};

/// Largest number of mixture components or drawn points a config may hold.
pub const MAX_COMPONENTS: usize = 4096;
/// Largest |coordinate| of a mode or a drawn point.
pub const MAX_COORD: f32 = 1.0e3;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum DatasetConfig {
    /// N(0, I) in 1 or 2 dimensions.
    Gaussian {
        #[serde(default = "two")]
        dim: usize,
    },
    /// A Gaussian mixture from explicit components (diagonal covariances).
    #[serde(rename_all = "camelCase")]
    Gmm { components: Vec<Component> },
    /// Eight modes on a ring (hallucination paper's `Gaussian8`).
    #[serde(rename_all = "camelCase")]
    EightGaussians {
        #[serde(default = "std_002")]
        std: f32,
    },
    /// The hallucination paper's 5×5 grid, normalised as the authors do.
    Grid25 {
        #[serde(default = "std_005")]
        std: f32,
    },
    /// The 45°-rotated 25-mode grid.
    Diamond25 {
        #[serde(default = "std_005")]
        std: f32,
    },
    /// The stochastic-interpolants checkerboard.
    Checkerboard,
    TwoMoons {
        #[serde(default = "noise_01")]
        noise: f32,
    },
    TwoSpirals {
        #[serde(default = "noise_01")]
        noise: f32,
    },
    Rings {
        #[serde(default = "default_radii")]
        radii: Vec<f32>,
        #[serde(default = "noise_008")]
        noise: f32,
    },
    /// A 1D mixture of equal modes, e.g. {1, 2, 3} with std 0.05.
    #[serde(rename = "modes-1d")]
    Modes1d {
        #[serde(default = "default_modes")]
        modes: Vec<f32>,
        #[serde(default = "std_005")]
        std: f32,
    },
    /// A user-drawn point set: pick a point, add N(0, jitter²) noise.
    Points {
        #[serde(default = "default_points")]
        points: Vec<[f32; 2]>,
        #[serde(default = "std_005")]
        jitter: f32,
    },
}

fn two() -> usize {
    2
}
fn std_002() -> f32 {
    0.02
}
fn std_005() -> f32 {
    0.05
}
fn noise_01() -> f32 {
    0.1
}
fn noise_008() -> f32 {
    0.08
}
fn default_radii() -> Vec<f32> {
    vec![1.0, 2.0, 3.0]
}
fn default_points() -> Vec<[f32; 2]> {
    vec![[-1.0, -1.0], [0.0, 1.0], [1.0, -1.0]]
}
fn default_modes() -> Vec<f32> {
    vec![1.0, 2.0, 3.0]
}

/// One entry of the catalog shown in pickers and error messages.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    pub name: &'static str,
    pub label: &'static str,
    pub dim: usize,
    pub description: &'static str,
    /// The dataset with default parameters.
    pub defaults: DatasetConfig,
}

impl DatasetConfig {
    /// The `name` tag of this dataset.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Gaussian { .. } => "gaussian",
            Self::Gmm { .. } => "gmm",
            Self::EightGaussians { .. } => "eight-gaussians",
            Self::Grid25 { .. } => "grid25",
            Self::Diamond25 { .. } => "diamond25",
            Self::Checkerboard => "checkerboard",
            Self::TwoMoons { .. } => "two-moons",
            Self::TwoSpirals { .. } => "two-spirals",
            Self::Rings { .. } => "rings",
            Self::Modes1d { .. } => "modes-1d",
            Self::Points { .. } => "points",
        }
    }

    /// Every dataset with its default parameters, in picker order.
    pub fn catalog() -> Vec<CatalogEntry> {
        let e = |name, label, dim, description, defaults| CatalogEntry {
            name,
            label,
            dim,
            description,
            defaults,
        };
        vec![
            e("gaussian", "Standard Gaussian", 2, "N(0, I).", Self::Gaussian { dim: 2 }),
            e("eight-gaussians", "8 Gaussians", 2, "Eight modes on a ring, normalised as in the hallucination paper's code.", Self::EightGaussians { std: 0.02 }),
            e("grid25", "25-mode grid", 2, "Modes 2·(i, j), i, j ∈ {−2…2}, σ = 0.05, all divided by √(σ² + 8) (Aithal et al.).", Self::Grid25 { std: 0.05 }),
            e("diamond25", "25-mode diamond", 2, "The grid rotated 45°, same σ and divisor (Aithal et al.).", Self::Diamond25 { std: 0.05 }),
            e("checkerboard", "Checkerboard", 2, "Eight squares on [−4, 4]², the stochastic-interpolants authors' sampler.", Self::Checkerboard),
            e("two-moons", "Two moons", 2, "Interleaved half circles with Gaussian noise.", Self::TwoMoons { noise: 0.1 }),
            e("two-spirals", "Two spirals", 2, "Two interleaved spiral arms with Gaussian noise.", Self::TwoSpirals { noise: 0.1 }),
            e("rings", "Concentric rings", 2, "Rings of radius 1, 2, 3 with radial Gaussian noise.", Self::Rings { radii: default_radii(), noise: 0.08 }),
            e("gmm", "Gaussian mixture", 2, "Explicit weighted components.", Self::Gmm { components: Self::example_components() }),
            e("points", "Drawn points", 2, "Your own points, each blurred by a small Gaussian.", Self::Points { points: default_points(), jitter: 0.05 }),
            e("modes-1d", "1D modes", 1, "Equal modes {1, 2, 3}, σ = 0.05 (Aithal et al.).", Self::Modes1d { modes: default_modes(), std: 0.05 }),
            e("gaussian-1d", "1D Gaussian", 1, "N(0, 1) on the line.", Self::Gaussian { dim: 1 }),
        ]
    }

    fn example_components() -> Vec<Component> {
        vec![
            Component {
                weight: 1.0,
                mean: vec![-2.0, 0.0],
                std: vec![0.5, 0.5],
            },
            Component {
                weight: 2.0,
                mean: vec![2.0, 1.0],
                std: vec![0.3, 0.8],
            },
        ]
    }

    /// The comma-separated list of valid names, for error messages.
    pub fn names() -> String {
        Self::catalog()
            .iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The dataset with default parameters for `name` (a catalog name).
    pub fn by_name(name: &str) -> Result<Self, ConfigError> {
        Self::catalog()
            .into_iter()
            .find(|e| e.name == name)
            .map(|e| e.defaults)
            .ok_or_else(|| {
                ConfigError::new(
                    "dataset",
                    format!("unknown dataset `{name}`; valid: {}", Self::names()),
                )
            })
    }

    /// The density as a Gaussian mixture, when it is one (the exact interpolant fields need
    /// that); `None` for the checkerboard, moons, spirals and rings.
    pub fn gaussian_mixture(&self) -> Option<GaussianMixture> {
        self.validate().ok()?;
        Some(match self {
            Self::Gaussian { dim } => GaussianMixture::standard(*dim),
            Self::Gmm { components } => GaussianMixture::new(components.clone()),
            Self::EightGaussians { std } => GaussianMixture::eight_gaussians(*std),
            Self::Grid25 { std } => GaussianMixture::grid25(*std),
            Self::Diamond25 { std } => GaussianMixture::diamond25(*std),
            Self::Modes1d { modes, std } => GaussianMixture::modes_1d(modes, *std),
            Self::Points { points, jitter } => {
                let means: Vec<Vec<f32>> = points.iter().map(|p| p.to_vec()).collect();
                GaussianMixture::isotropic(&means, *jitter)
            }
            Self::Checkerboard
            | Self::TwoMoons { .. }
            | Self::TwoSpirals { .. }
            | Self::Rings { .. } => return None,
        })
    }

    /// The density this config describes. Validates first.
    pub fn build(&self) -> Result<Box<dyn Density>, ConfigError> {
        self.validate()?;
        if let Some(mixture) = self.gaussian_mixture() {
            return Ok(Box::new(mixture));
        }
        Ok(match self {
            Self::Checkerboard => Box::new(Checkerboard),
            Self::TwoMoons { noise } => Box::new(TwoMoons { noise: *noise }),
            Self::TwoSpirals { noise } => Box::new(TwoSpirals { noise: *noise }),
            Self::Rings { radii, noise } => Box::new(Rings {
                radii: radii.clone(),
                noise: *noise,
            }),
            _ => unreachable!("every other dataset is a Gaussian mixture"),
        })
    }
}

fn check_coords(field: &str, values: &[f32]) -> Result<(), ConfigError> {
    for (i, v) in values.iter().enumerate() {
        check_range(&format!("{field}[{i}]"), *v, -MAX_COORD, MAX_COORD)?;
    }
    Ok(())
}

fn check_count(field: &str, n: usize) -> Result<(), ConfigError> {
    check_range(field, n, 1, MAX_COMPONENTS).map_err(|_| {
        ConfigError::new(
            field,
            format!("has {n} entries; allowed 1 to {MAX_COMPONENTS}"),
        )
    })
}

impl Validate for DatasetConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        self.validate_parameters().map_err(|e| e.within("dataset"))
    }
}

impl DatasetConfig {
    /// The checks behind [`Validate::validate`], with field paths relative to the dataset: a
    /// config holding a dataset under another key roots them with [`ConfigError::within`].
    pub fn validate_parameters(&self) -> Result<(), ConfigError> {
        match self {
            Self::Gaussian { dim } => check_range("dim", *dim, 1, 2),
            Self::Gmm { components } => {
                check_count("components", components.len())?;
                let dim = components[0].mean.len();
                check_range("components[0].mean", dim, 1, 2).map_err(|_| {
                    ConfigError::new(
                        "components[0].mean",
                        format!("has {dim} coordinates; allowed 1 or 2"),
                    )
                })?;
                for (k, c) in components.iter().enumerate() {
                    let f = format!("components[{k}]");
                    if c.mean.len() != dim || c.std.len() != dim {
                        return Err(ConfigError::new(
                            &f,
                            format!("mean and std must both have {dim} entries, like component 0"),
                        ));
                    }
                    check_range(&format!("{f}.weight"), c.weight, 0.0, 1.0e6)?;
                    check_coords(&format!("{f}.mean"), &c.mean)?;
                    for (i, s) in c.std.iter().enumerate() {
                        check_positive(&format!("{f}.std[{i}]"), *s, 100.0)?;
                    }
                }
                if components.iter().map(|c| c.weight).sum::<f32>() <= 0.0 {
                    return Err(ConfigError::new(
                        "components",
                        "the weights sum to 0; give at least one a positive weight",
                    ));
                }
                Ok(())
            }
            Self::EightGaussians { std } | Self::Grid25 { std } | Self::Diamond25 { std } => {
                check_positive("std", *std, 1.0)
            }
            Self::Checkerboard => Ok(()),
            Self::TwoMoons { noise } | Self::TwoSpirals { noise } => {
                check_positive("noise", *noise, 1.0)
            }
            Self::Rings { radii, noise } => {
                check_count("radii", radii.len())?;
                for (i, r) in radii.iter().enumerate() {
                    check_positive(&format!("radii[{i}]"), *r, 100.0)?;
                }
                check_positive("noise", *noise, 10.0)
            }
            Self::Modes1d { modes, std } => {
                check_count("modes", modes.len())?;
                check_coords("modes", modes)?;
                check_positive("std", *std, 100.0)
            }
            Self::Points { points, jitter } => {
                check_count("points", points.len())?;
                for (i, p) in points.iter().enumerate() {
                    check_coords(&format!("points[{i}]"), p)?;
                }
                check_positive("jitter", *jitter, 10.0)
            }
        }
    }
}
