//! InfoM and InfoC of InfoMEC (Hsu et al. 2023, NeurIPS), exactly as the authors' metric:
//! NMI[i][j] = I(source i; latent j) / H(source i), with the plug-in estimate for discrete
//! latents and Ross's k-NN estimate (k = 10) on standardised continuous latents; active latents
//! (discrete: range > 0; continuous: range > max range / 20);
//! InfoM = (mean over active j of max_i NMI / Σ_i NMI − 1/K) / (1 − 1/K) with K sources;
//! InfoC = (mean over i of max_j NMI / Σ_j NMI over active j − 1/L) / (1 − 1/L) with L active.
use super::information::{entropy, label_encode, mutual_information, mutual_information_cd};
use crate::rng::Rng;
use serde::Serialize;

/// Neighbours of the k-NN estimator (the authors' setting).
pub const NEIGHBOURS: usize = 10;

#[derive(Clone, Debug, Serialize)]
pub struct Modularity {
    pub infom: f64,
    pub infoc: f64,
    /// Rows: sources; columns: latents.
    pub nmi: Vec<Vec<f64>>,
    pub active_latents: Vec<bool>,
}

/// The NMI matrix for `sources` and `latents` given as columns of equal length.
pub fn nmi(
    sources: &[Vec<f64>],
    latents: &[Vec<f64>],
    discrete: bool,
    rng: &mut Rng,
) -> Vec<Vec<f64>> {
    let encoded_latents: Vec<(Vec<usize>, usize)> = if discrete {
        latents.iter().map(|z| label_encode(z)).collect()
    } else {
        vec![]
    };
    let standardised: Vec<Vec<f64>> = if discrete {
        vec![]
    } else {
        latents.iter().map(|z| standardise(z)).collect()
    };
    sources
        .iter()
        .map(|s| {
            let (labels, k) = label_encode(s);
            let h = entropy(&labels, k);
            (0..latents.len())
                .map(|j| {
                    let mi = if discrete {
                        let (z, kz) = &encoded_latents[j];
                        mutual_information(&labels, k, z, *kz)
                    } else {
                        mutual_information_cd(&standardised[j], &labels, NEIGHBOURS, rng)
                    };
                    if h > 0.0 {
                        mi / h
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// (x − mean) / std (population std; a constant column stays centred at 0).
fn standardise(z: &[f64]) -> Vec<f64> {
    let n = z.len() as f64;
    let mean = z.iter().sum::<f64>() / n;
    let std = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    z.iter()
        .map(|v| (v - mean) / if std > 0.0 { std } else { 1.0 })
        .collect()
}

/// Which latents count: discrete, any spread; continuous, a range above 1/20 of the largest.
pub fn active_latents(latents: &[Vec<f64>], discrete: bool) -> Vec<bool> {
    let ranges: Vec<f64> = latents
        .iter()
        .map(|z| {
            z.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                - z.iter().cloned().fold(f64::INFINITY, f64::min)
        })
        .collect();
    let largest = ranges.iter().cloned().fold(0.0, f64::max);
    ranges
        .iter()
        .map(|r| {
            if discrete {
                *r > 0.0
            } else {
                *r > largest / 20.0
            }
        })
        .collect()
}

/// InfoM, InfoC, the NMI matrix and the active latents.
pub fn modularity(
    sources: &[Vec<f64>],
    latents: &[Vec<f64>],
    discrete: bool,
    rng: &mut Rng,
) -> Modularity {
    let nmi = nmi(sources, latents, discrete, rng);
    let active = active_latents(latents, discrete);
    let columns: Vec<usize> = (0..latents.len()).filter(|j| active[*j]).collect();
    let ratio = |values: &mut dyn Iterator<Item = f64>| {
        let (mut max, mut sum) = (0.0f64, 0.0);
        for v in values {
            max = max.max(v);
            sum += v;
        }
        max / sum
    };
    let k = sources.len() as f64;
    let l = columns.len() as f64;
    let m = columns
        .iter()
        .map(|&j| ratio(&mut nmi.iter().map(|row| row[j])))
        .sum::<f64>()
        / l;
    let c = nmi
        .iter()
        .map(|row| ratio(&mut columns.iter().map(|&j| row[j])))
        .sum::<f64>()
        / k;
    Modularity {
        infom: (m - 1.0 / k) / (1.0 - 1.0 / k),
        infoc: (c - 1.0 / l) / (1.0 - 1.0 / l),
        nmi,
        active_latents: active,
    }
}
