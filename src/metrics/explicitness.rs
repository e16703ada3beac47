//! InfoE of InfoMEC (Hsu et al. 2023, NeurIPS), as the authors compute it: for each
//! source, an unpenalised multinomial logistic regression with balanced class weights predicts
//! the source from the latents (one-hot codes when discrete, standardised values when
//! continuous); CE is its in-sample log-loss (unweighted), H_null the same for an intercept-only
//! model, and InfoE = mean over sources of (H_null − CE) / H_null. The fit is L-BFGS with the
//! authors' scikit-learn settings: at most 100 iterations, gradient tolerance 10⁻⁴.
use super::information::label_encode;

const MAX_ITER: usize = 100;
const TOLERANCE: f64 = 1e-4;
const MEMORY: usize = 10;

/// The regression's inputs: one-hot codes (one active feature per latent, as indices) or dense
/// standardised values (n × f, row-major).
pub enum Features {
    OneHot {
        active: Vec<Vec<usize>>,
        width: usize,
    },
    Dense {
        values: Vec<f64>,
        width: usize,
    },
}

impl Features {
    /// From latent columns: one-hot when `discrete`, else standardised.
    pub fn new(latents: &[Vec<f64>], discrete: bool) -> Self {
        let n = latents.first().map_or(0, Vec::len);
        if discrete {
            let mut offset = 0;
            let mut active = vec![Vec::with_capacity(latents.len()); n];
            for z in latents {
                let (labels, k) = label_encode(z);
                for (row, l) in active.iter_mut().zip(labels) {
                    row.push(offset + l);
                }
                offset += k;
            }
            Features::OneHot {
                active,
                width: offset,
            }
        } else {
            let mut values = vec![0.0; n * latents.len()];
            for (j, z) in latents.iter().enumerate() {
                let mean = z.iter().sum::<f64>() / n as f64;
                let std = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
                for (i, v) in z.iter().enumerate() {
                    values[i * latents.len() + j] = (v - mean) / if std > 0.0 { std } else { 1.0 };
                }
            }
            Features::Dense {
                values,
                width: latents.len(),
            }
        }
    }

    fn width(&self) -> usize {
        match self {
            Features::OneHot { width, .. } | Features::Dense { width, .. } => *width,
        }
    }

    /// out[c] += Σ_f W[c][f] x[i][f] for row i (W is classes × width, row-major).
    fn logits(&self, i: usize, w: &[f64], out: &mut [f64]) {
        let f = self.width();
        match self {
            Features::OneHot { active, .. } => {
                for (c, o) in out.iter_mut().enumerate() {
                    *o += active[i].iter().map(|a| w[c * f + a]).sum::<f64>();
                }
            }
            Features::Dense { values, .. } => {
                let x = &values[i * f..(i + 1) * f];
                for (c, o) in out.iter_mut().enumerate() {
                    *o += x
                        .iter()
                        .zip(&w[c * f..(c + 1) * f])
                        .map(|(a, b)| a * b)
                        .sum::<f64>();
                }
            }
        }
    }

    /// grad[c][f] += g[c] x[i][f].
    fn accumulate(&self, i: usize, g: &[f64], grad: &mut [f64]) {
        let f = self.width();
        match self {
            Features::OneHot { active, .. } => {
                for (c, gc) in g.iter().enumerate() {
                    for a in &active[i] {
                        grad[c * f + a] += gc;
                    }
                }
            }
            Features::Dense { values, .. } => {
                let x = &values[i * f..(i + 1) * f];
                for (c, gc) in g.iter().enumerate() {
                    for (gf, xf) in grad[c * f..(c + 1) * f].iter_mut().zip(x) {
                        *gf += gc * xf;
                    }
                }
            }
        }
    }
}

/// The class probabilities of row i for parameters θ = [W (classes × width), b (classes)].
fn probabilities(x: &Features, i: usize, theta: &[f64], classes: usize, p: &mut [f64]) {
    let f = x.width();
    p.copy_from_slice(&theta[classes * f..]);
    x.logits(i, theta, p);
    let max = p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in p.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in p.iter_mut() {
        *v /= sum;
    }
}

/// The weighted mean cross-entropy (1/n) Σ wᵢ (−log p_{yᵢ}) and its gradient.
fn objective(
    x: &Features,
    y: &[usize],
    weight: &[f64],
    classes: usize,
    theta: &[f64],
) -> (f64, Vec<f64>) {
    let (n, f) = (y.len(), x.width());
    let mut grad = vec![0.0; theta.len()];
    let mut p = vec![0.0; classes];
    let mut loss = 0.0;
    for i in 0..n {
        probabilities(x, i, theta, classes, &mut p);
        let w = weight[y[i]];
        loss -= w * p[y[i]].max(1e-300).ln();
        p[y[i]] -= 1.0;
        for v in p.iter_mut() {
            *v *= w;
        }
        x.accumulate(i, &p, &mut grad);
        for (gb, v) in grad[classes * f..].iter_mut().zip(&p) {
            *gb += v;
        }
    }
    let scale = 1.0 / n as f64;
    grad.iter_mut().for_each(|g| *g *= scale);
    (loss * scale, grad)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// L-BFGS on the objective from θ = 0, with a backtracking (Armijo) line search.
fn fit(x: &Features, y: &[usize], weight: &[f64], classes: usize) -> Vec<f64> {
    let mut theta = vec![0.0; classes * (x.width() + 1)];
    let (mut value, mut grad) = objective(x, y, weight, classes, &theta);
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = vec![];
    for _ in 0..MAX_ITER {
        if grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) <= TOLERANCE {
            break;
        }
        // two-loop recursion for the direction −H∇
        let mut q = grad.clone();
        let mut alphas = vec![];
        for (s, t, rho) in history.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(t).for_each(|(qi, ti)| *qi -= a * ti);
            alphas.push(a);
        }
        if let Some((s, t, _)) = history.last() {
            let gamma = dot(s, t) / dot(t, t);
            q.iter_mut().for_each(|v| *v *= gamma);
        }
        for ((s, t, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(t, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let direction: Vec<f64> = q.iter().map(|v| -v).collect();
        let slope = dot(&grad, &direction);
        if slope >= 0.0 {
            break;
        }
        let mut step = if history.is_empty() {
            1.0 / grad.iter().map(|g| g * g).sum::<f64>().sqrt().max(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..40 {
            let trial: Vec<f64> = theta
                .iter()
                .zip(&direction)
                .map(|(t, d)| t + step * d)
                .collect();
            let (v, g) = objective(x, y, weight, classes, &trial);
            if v <= value + 1e-4 * step * slope {
                accepted = Some((trial, v, g));
                break;
            }
            step *= 0.5;
        }
        let Some((next, v, g)) = accepted else { break };
        let s: Vec<f64> = next.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let t: Vec<f64> = g.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let st = dot(&s, &t);
        if st > 1e-12 {
            history.push((s, t, 1.0 / st));
            if history.len() > MEMORY {
                history.remove(0);
            }
        }
        (theta, value, grad) = (next, v, g);
    }
    theta
}

/// The unweighted in-sample log-loss of a balanced-weight fit of y (labels 0..classes).
pub fn log_loss(x: &Features, y: &[usize], classes: usize) -> f64 {
    let n = y.len() as f64;
    let mut counts = vec![0usize; classes];
    for l in y {
        counts[*l] += 1;
    }
    // scikit-learn's 'balanced': n / (classes · count)
    let weight: Vec<f64> = counts
        .iter()
        .map(|c| {
            if *c > 0 {
                n / (classes as f64 * *c as f64)
            } else {
                0.0
            }
        })
        .collect();
    let theta = fit(x, y, &weight, classes);
    let mut p = vec![0.0; classes];
    (0..y.len())
        .map(|i| {
            probabilities(x, i, &theta, classes, &mut p);
            -p[y[i]].clamp(1e-15, 1.0 - 1e-15).ln()
        })
        .sum::<f64>()
        / n
}

/// InfoE for source columns and latent columns.
pub fn infoe(sources: &[Vec<f64>], latents: &[Vec<f64>], discrete: bool) -> f64 {
    let features = Features::new(latents, discrete);
    let n = latents.first().map_or(0, Vec::len);
    let null = Features::Dense {
        values: vec![],
        width: 0,
    };
    let terms: Vec<f64> = sources
        .iter()
        .map(|s| {
            let (y, classes) = label_encode(s);
            let h_null = log_loss(&null, &y, classes);
            let ce = log_loss(&features, &y, classes);
            debug_assert_eq!(y.len(), n);
            (h_null - ce) / h_null
        })
        .collect();
    terms.iter().sum::<f64>() / terms.len() as f64
}
