//! The hallucination label (Aithal et al. 2024): a sample is hallucinated when its distance to
//! the nearest mode exceeds k·σ_mode (the authors' code has no label; k is a setting). The
//! detector's ROC against these labels is [`crate::metrics::roc`].

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
