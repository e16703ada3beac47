//! Helpers shared by the integration tests: sample statistics and the check that an
//! estimate lies within Z standard errors of its closed form.
#![allow(dead_code)] // each test file uses its own subset

/// Allowed deviation of an estimate, in standard errors.
pub const Z: f64 = 5.0;

pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Population variance (divides by n).
pub fn variance(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64
}

/// Standard error of the sample mean.
pub fn se_mean(xs: &[f64]) -> f64 {
    (variance(xs) / xs.len() as f64).sqrt()
}

/// Standard error of the sample variance: √((m₄ − σ⁴)/n).
pub fn se_variance(xs: &[f64]) -> f64 {
    let (m, v) = (mean(xs), variance(xs));
    let m4 = xs.iter().map(|x| (x - m).powi(4)).sum::<f64>() / xs.len() as f64;
    ((m4 - v * v).max(0.0) / xs.len() as f64).sqrt()
}

pub fn assert_within(label: &str, estimate: f64, expect: f64, se: f64) {
    assert!(
        (estimate - expect).abs() <= Z * se,
        "{label}: estimate {estimate:.6} vs closed form {expect:.6}; off by {:.2} standard errors (se {se:.2e})",
        (estimate - expect) / se
    );
}
