//! The detection report (`papers.md` §2): a sample is hallucinated when its distance to the
//! nearest mode exceeds k·σ_mode (the authors' code has no label; k is a setting). For a
//! threshold τ on the trajectory variance, samples above τ are removed; the report gives the
//! share of hallucinations removed and of in-support samples kept, the ROC curve, its AUROC,
//! and the best operating point.
use serde::Serialize;

/// Distance from each point (n × dim) to the nearest of `modes`.
pub fn nearest_mode_distance(points: &[f32], dim: usize, modes: &[Vec<f32>]) -> Vec<f32> {
    points
        .chunks_exact(dim)
        .map(|p| {
            modes
                .iter()
                .map(|m| {
                    p.iter()
                        .zip(m)
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f32>()
                        .sqrt()
                })
                .fold(f32::INFINITY, f32::min)
        })
        .collect()
}

/// One threshold's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Operating {
    pub threshold: f32,
    /// Share of hallucinated samples with variance above the threshold.
    pub removed: f64,
    /// Share of in-support samples with variance at or below it.
    pub kept: f64,
}

/// The ROC of `score` (higher = more suspicious) against `hallucinated`: one operating point per
/// distinct score, from removing nothing to removing everything.
pub fn roc(score: &[f32], hallucinated: &[bool]) -> Vec<Operating> {
    let positives = hallucinated.iter().filter(|h| **h).count().max(1) as f64;
    let negatives = hallucinated.iter().filter(|h| !**h).count().max(1) as f64;
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|a, b| score[*b].total_cmp(&score[*a]));
    let mut out = vec![Operating {
        threshold: f32::INFINITY,
        removed: 0.0,
        kept: 1.0,
    }];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (rank, &i) in order.iter().enumerate() {
        if hallucinated[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let next_differs = order.get(rank + 1).is_none_or(|&j| score[j] != score[i]);
        if next_differs {
            // removing every sample scoring ≥ score[i]: the threshold sits just below it
            let threshold = order.get(rank + 1).map_or(f32::NEG_INFINITY, |&j| score[j]);
            out.push(Operating {
                threshold,
                removed: tp / positives,
                kept: 1.0 - fp / negatives,
            });
        }
    }
    out
}

/// Area under the ROC (trapezoids over false-positive rate 1 − kept).
pub fn auroc(curve: &[Operating]) -> f64 {
    curve
        .windows(2)
        .map(|w| ((1.0 - w[1].kept) - (1.0 - w[0].kept)) * (w[0].removed + w[1].removed) / 2.0)
        .sum()
}

/// The operating point that removes the most hallucinations while keeping at least `min_kept`
/// of the in-support samples.
pub fn best_at_kept(curve: &[Operating], min_kept: f64) -> Operating {
    curve
        .iter()
        .filter(|o| o.kept >= min_kept)
        .cloned()
        .max_by(|a, b| a.removed.total_cmp(&b.removed))
        .unwrap_or(curve[0])
}
