//! The ROC of a detector's score against true labels, its AUROC, and the best operating point
//! that keeps a given share of negatives (the hallucination detector's headline: the most
//! hallucinations removed while ≥ 96% of in-support samples are kept, Aithal et al. 2024).
//!
//! ```
//! use genlab::metrics::roc::{auroc, roc};
//! // a score that ranks every positive above every negative separates perfectly
//! let curve = roc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]);
//! assert_eq!(auroc(&curve), 1.0);
//! ```
use serde::Serialize;

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
