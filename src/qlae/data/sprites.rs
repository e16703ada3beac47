//! dSprites-style sprites: one white shape on black, one channel.
//!
//! Factors, in dSprites' order:
//! - `shape`: square, ellipse, heart (always 3);
//! - `scale`: `scales` values evenly spaced over [0.5, 1] (1.0 when there is one);
//! - `orientation`: `orientations` angles k·2π/count, counter-clockwise;
//! - `x`, `y`: `xPositions` / `yPositions` positions evenly spaced over [0, 1], mapped to the
//!   image so that the largest sprite stays fully inside at every orientation. `x` grows to
//!   the right and `y` grows **downwards** (image row order).
//!
//! At scale 1 every shape fits a circle of diameter 0.44 × the image side about its centre
//! ([`RADIUS`]; the ellipse's long axis and the square's diagonal span it), about as large as
//! dSprites' sprites and large enough that the smallest heart still reads as a heart at 32 px.
//! The heart is the classic (x² + y² − 1)³ − x²y³ ≤ 0, point down at orientation 0, centred at
//! the centre of its bounding box.
//!
//! As in dSprites, orientation spans the full circle for every shape, so the square (90°
//! symmetry) and the ellipse (180°) repeat images: with 8 orientations the square shows 2
//! distinct images (0° and 45°) and the ellipse 4; only the heart has 8.
//!
//! Pixels are area coverages estimated from 4 × 4 subpixel samples, so edges are smooth.
//!
//! ```
//! use genlab::qlae::data::sprites::SpritesConfig;
//! let c = SpritesConfig::default();
//! let mut img = vec![0.0; 32 * 32];
//! c.render(&[2, 3, 0, 4, 4], &mut img); // a large upright heart near the middle
//! assert!(img.iter().all(|p| (0.0..=1.0).contains(p)));
//! ```
use super::{check_values, linspace, Factor};
use crate::config::{check_range, ConfigError};
use serde::{Deserialize, Serialize};
use std::f32::consts::PI;

/// Shape names, in factor-value order.
pub const SHAPES: [&str; 3] = ["square", "ellipse", "heart"];
/// The radius, as a fraction of the image side, of the circle that holds any shape at scale 1.
pub const RADIUS: f32 = 0.22;
/// Subpixel samples per pixel side.
const SUB: usize = 4;

/// The square's half side, so that its corners touch the unit circle.
const SQUARE_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// The ellipse's semi-minor axis (semi-major 1, along the orientation direction).
const ELLIPSE_MINOR: f32 = 0.5;
/// The heart curve's largest distance from its bounding-box centre (0, HEART_CY), and that
/// centre's height: (x² + y² − 1)³ = x²y³ spans x ∈ [−1.139, 1.139], y ∈ [−1, 1.236].
const HEART_R: f32 = 1.337;
const HEART_CY: f32 = 0.118;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SpritesConfig {
    /// Image side in pixels (16 to 64).
    pub size: usize,
    /// Number of scale values (1 to 16).
    pub scales: usize,
    /// Number of orientations over the full circle (1 to 64).
    pub orientations: usize,
    /// Number of horizontal positions (2 to 64).
    pub x_positions: usize,
    /// Number of vertical positions (2 to 64).
    pub y_positions: usize,
}

impl Default for SpritesConfig {
    fn default() -> Self {
        Self {
            size: 32,
            scales: 4,
            orientations: 8,
            x_positions: 8,
            y_positions: 8,
        }
    }
}

impl SpritesConfig {
    /// `shape`, `scale`, `orientation`, `x`, `y`.
    pub fn factors(&self) -> Vec<Factor> {
        [
            ("shape", SHAPES.len()),
            ("scale", self.scales),
            ("orientation", self.orientations),
            ("x", self.x_positions),
            ("y", self.y_positions),
        ]
        .map(|(name, count)| Factor { name, count })
        .into()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("size", self.size, 16, 64)?;
        check_range("scales", self.scales, 1, 16)?;
        check_range("orientations", self.orientations, 1, 64)?;
        check_range("xPositions", self.x_positions, 2, 64)?;
        check_range("yPositions", self.y_positions, 2, 64)
    }

    /// The scale of value `i`: evenly spaced over [0.5, 1], or 1 when there is one value.
    pub fn scale(&self, i: usize) -> f32 {
        linspace(i, self.scales, 0.5, 1.0, 1.0)
    }

    /// The orientation of value `i` in radians, counter-clockwise: i·2π/count.
    pub fn orientation(&self, i: usize) -> f32 {
        2.0 * PI * i as f32 / self.orientations as f32
    }

    /// The centre, in pixels from the left/top edge, of position `i` of `count` along one
    /// axis: evenly spaced over the range that keeps the largest sprite inside (with half a
    /// pixel to spare).
    pub fn position(&self, i: usize, count: usize) -> f32 {
        let s = self.size as f32;
        let margin = RADIUS * s + 0.5;
        linspace(i, count, margin, s - margin, 0.5 * s)
    }

    /// Renders `values` (`shape`, `scale`, `orientation`, `x`, `y`) into `out` (S × S).
    pub fn render(&self, values: &[usize], out: &mut [f32]) {
        check_values(&self.factors(), values);
        let s = self.size;
        assert_eq!(
            out.len(),
            s * s,
            "a {s}×{s} image needs {} values, got {}",
            s * s,
            out.len()
        );
        out.fill(0.0);
        let shape = values[0];
        let r = self.scale(values[1]) * RADIUS * s as f32;
        let theta = self.orientation(values[2]);
        let (cx, cy) = (
            self.position(values[3], self.x_positions),
            self.position(values[4], self.y_positions),
        );
        let (c, sn) = (libm::cosf(theta), libm::sinf(theta));
        let inv = 1.0 / r;
        let span = |centre: f32| {
            (
                (centre - r).floor().max(0.0) as usize,
                ((centre + r).ceil().max(0.0) as usize).min(s),
            )
        };
        let ((x0, x1), (y0, y1)) = (span(cx), span(cy));
        let step = 1.0 / SUB as f32;
        let weight = step * step;
        for py in y0..y1 {
            for px in x0..x1 {
                let mut hits = 0u32;
                for j in 0..SUB {
                    // Shape coordinates have v pointing up.
                    let vy = (cy - (py as f32 + (j as f32 + 0.5) * step)) * inv;
                    for i in 0..SUB {
                        let vx = (px as f32 + (i as f32 + 0.5) * step - cx) * inv;
                        // Rotate the sample by −θ: the shape turns by +θ.
                        let u = c * vx + sn * vy;
                        let v = c * vy - sn * vx;
                        hits += inside(shape, u, v) as u32;
                    }
                }
                out[py * s + px] = hits as f32 * weight;
            }
        }
    }
}

/// Whether (u, v) (v up, unit = the shape's radius at this scale) lies in `shape` at
/// orientation 0.
fn inside(shape: usize, u: f32, v: f32) -> bool {
    match shape {
        0 => u.abs() <= SQUARE_HALF && v.abs() <= SQUARE_HALF,
        1 => u * u + (v / ELLIPSE_MINOR) * (v / ELLIPSE_MINOR) <= 1.0,
        _ => {
            let (x, y) = (u * HEART_R, v * HEART_R + HEART_CY);
            let a = x * x + y * y - 1.0;
            a * a * a <= x * x * y * y * y
        }
    }
}
