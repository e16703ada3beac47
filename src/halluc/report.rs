//! The detection report of one sampled set (Aithal et al. 2024): labels from the distance to the
//! nearest mode (> k·σ_mode is a hallucination), the hallucination rate, the ROC of the
//! trajectory variance with its AUROC, the best operating point at ≥ 96% kept (the paper's
//! headline: > 95% removed while 96% kept), and how the rate moves with k.
use super::detect::nearest_mode_distance;
use crate::data::gmm::GaussianMixture;
use crate::metrics::roc::{auroc, best_at_kept, roc, Operating};
use serde::Serialize;

/// The paper's share of in-support samples kept at its headline operating point.
pub const HEADLINE_KEPT: f64 = 0.96;
/// The k values of the sensitivity table.
pub const K_VALUES: [f64; 5] = [2.0, 3.0, 4.0, 6.0, 8.0];

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub k: f64,
    pub samples: usize,
    pub hallucination_rate: f64,
    /// None when every sample has the same label (no curve to measure).
    pub auroc: Option<f64>,
    /// The most hallucinations removed while keeping ≥ 96% of in-support samples (None, as
    /// for the AUROC, when one label is absent).
    pub best: Option<Operating>,
    /// (k, hallucination rate) for the sensitivity table.
    pub rate_by_k: Vec<(f64, f64)>,
    /// The ROC curve, thinned to at most [`ROC_POINTS`] + 1 points (empty with one label).
    pub roc: Vec<Operating>,
}

/// Points kept of the ROC curve for plotting.
pub const ROC_POINTS: usize = 200;

/// σ of a mode: the mean of its per-dimension standard deviations.
pub fn mode_sigma(data: &GaussianMixture) -> f64 {
    let c = &data.components[0];
    c.std.iter().map(|s| *s as f64).sum::<f64>() / c.std.len() as f64
}

/// Whether each sample lies beyond k·σ_mode of every mode.
pub fn labels(samples: &[f32], data: &GaussianMixture, k: f64) -> Vec<bool> {
    let dim = data.components[0].mean.len();
    let modes: Vec<Vec<f32>> = data.components.iter().map(|c| c.mean.clone()).collect();
    let limit = (k * mode_sigma(data)) as f32;
    nearest_mode_distance(samples, dim, &modes)
        .into_iter()
        .map(|d| d > limit)
        .collect()
}

pub fn report(samples: &[f32], variance: &[f32], data: &GaussianMixture, k: f64) -> Report {
    let hallucinated = labels(samples, data, k);
    let rate = |h: &[bool]| h.iter().filter(|x| **x).count() as f64 / h.len().max(1) as f64;
    let curve = roc(variance, &hallucinated);
    let both = hallucinated.contains(&true) && hallucinated.contains(&false);
    Report {
        k,
        samples: variance.len(),
        hallucination_rate: rate(&hallucinated),
        auroc: both.then(|| auroc(&curve)),
        best: both.then(|| best_at_kept(&curve, HEADLINE_KEPT)),
        rate_by_k: K_VALUES
            .iter()
            .map(|&k| (k, rate(&labels(samples, data, k))))
            .collect(),
        roc: if both {
            thin(&curve, ROC_POINTS)
        } else {
            vec![]
        },
    }
}

/// At most `points` + 1 evenly spaced points of `curve`, its ends included.
fn thin(curve: &[Operating], points: usize) -> Vec<Operating> {
    if curve.len() <= points + 1 {
        return curve.to_vec();
    }
    (0..=points)
        .map(|i| curve[i * (curve.len() - 1) / points])
        .collect()
}
