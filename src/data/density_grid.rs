//! A density evaluated on a regular grid, for heatmaps (2D) and density curves (1D).
//!
//! Exact where the density is analytic; otherwise a histogram of [`HISTOGRAM_SAMPLES`] draws
//! from a fixed stream of the seed, smoothed by a 3×3 box filter, in density units.
//! 2D grids are row-major with row 0 at the top (y = y_max), as a canvas draws them.
//!
//! ```
//! use genlab::data::{density_grid::density_grid, gmm::GaussianMixture};
//! use genlab::rng::Rng;
//! let g = GaussianMixture::standard(2);
//! let v = density_grid(&g, [(-5.0, 5.0), (-5.0, 5.0)], 50, 50, &mut Rng::new(0));
//! let mass: f32 = v.iter().sum::<f32>() * 0.2 * 0.2;
//! assert!((mass - 1.0).abs() < 1e-2);
//! ```
use super::Density;
use crate::rng::Rng;

/// Draws used to estimate a density with no closed form.
pub const HISTOGRAM_SAMPLES: usize = 200_000;

/// Density values at the centres of a `w × h` grid over `extent` (`h` is ignored in 1D).
pub fn density_grid(
    d: &dyn Density,
    extent: [(f32, f32); 2],
    w: usize,
    h: usize,
    rng: &mut Rng,
) -> Vec<f32> {
    let h = if d.dim() == 1 { 1 } else { h };
    let (x0, x1) = extent[0];
    let (y0, y1) = extent[1];
    let (dx, dy) = ((x1 - x0) / w as f32, (y1 - y0) / h as f32);
    let centre = |i: usize, j: usize| [x0 + (i as f32 + 0.5) * dx, y1 - (j as f32 + 0.5) * dy];
    if d.is_analytic() {
        let mut out = Vec::with_capacity(w * h);
        for j in 0..h {
            for i in 0..w {
                let p = centre(i, j);
                out.push(d.log_density(&p[..d.dim()]).map_or(0.0, f32::exp));
            }
        }
        return out;
    }
    let mut counts = vec![0.0f32; w * h];
    let mut p = [0.0f32; 2];
    for _ in 0..HISTOGRAM_SAMPLES {
        d.sample_one(rng, &mut p[..d.dim()]);
        let i = ((p[0] - x0) / dx).floor();
        let j = if d.dim() == 1 {
            0.0
        } else {
            ((y1 - p[1]) / dy).floor()
        };
        if i >= 0.0 && j >= 0.0 && (i as usize) < w && (j as usize) < h {
            counts[j as usize * w + i as usize] += 1.0;
        }
    }
    let cell = if d.dim() == 1 { dx } else { dx * dy };
    let scale = 1.0 / (HISTOGRAM_SAMPLES as f32 * cell);
    box_blur(&counts, w, h)
        .into_iter()
        .map(|c| c * scale)
        .collect()
}

/// Mean over each cell's 3×3 (3 in 1D) neighbourhood, clipped at the borders.
fn box_blur(v: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for j in 0..h {
        for i in 0..w {
            let (mut sum, mut n) = (0.0, 0.0);
            for jj in j.saturating_sub(1)..(j + 2).min(h) {
                for ii in i.saturating_sub(1)..(i + 2).min(w) {
                    sum += v[jj * w + ii];
                    n += 1.0;
                }
            }
            out[j * w + i] = sum / n;
        }
    }
    out
}
