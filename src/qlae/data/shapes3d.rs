//! Shapes3D-lite: a small colour scene (floor, two back walls meeting in a corner, one object
//! standing on the floor in the middle), RGB, CHW.
//!
//! Factors, in Shapes3D's order:
//! - `floorHue`, `wallHue`, `objectHue`: hue i/count over [0, 1) (Shapes3D: 0, 0.1, …, 0.9),
//!   coloured as HSV with full saturation and value, then shaded (a multiple of that colour);
//! - `scale`: object size factor evenly spaced over [0.75, 1.25] (1 when there is one value);
//! - `shape`: cube, cylinder, sphere, capsule (the first `shapes` of them);
//! - `orientation`: camera azimuth evenly spaced over [−30°, 30°] (0 when there is one value).
//!
//! The object is drawn as the orthographic view of a 3D solid from a camera 23.6° above the
//! horizon (a cube shows its lighter top face, a cylinder its elliptical top), diffusely lit
//! by a light fixed in the world; it casts a soft shadow on the floor. Turning the camera moves
//! the room's corner and tilts the floor lines, turns the cube and the lying capsule, and
//! moves the light across every object, so each azimuth changes the image for every shape.
//! The room is drawn flat: the floor brightens towards the viewer, the two walls are lit
//! differently so the corner shows even when floor and wall share a hue.
//!
//! Pixels average 3 × 3 samples (one where the pixel is plain wall or floor). The bottom corners always show floor and the top corners
//! wall, at every setting.
//!
//! ```
//! use genlab::qlae::data::shapes3d::Shapes3dConfig;
//! let c = Shapes3dConfig::default();
//! let mut img = vec![0.0; 3 * 32 * 32];
//! c.render(&[0, 3, 6, 4, 2, 7], &mut img); // a red floor, a green wall, a blue sphere
//! assert!(img.iter().all(|p| (0.0..=1.0).contains(p)));
//! ```
use super::{check_values, linspace, Factor};
use crate::config::{check_range, ConfigError};
use serde::{Deserialize, Serialize};

/// Shape names, in factor-value order.
pub const SHAPES: [&str; 4] = ["cube", "cylinder", "sphere", "capsule"];
/// Largest camera azimuth, in degrees, either way.
pub const MAX_AZIMUTH_DEG: f32 = 30.0;

/// Samples per pixel side.
const SUB: usize = 3;
/// Height (fraction of the side, from the top) of the floor line at the room's corner.
const HORIZON: f32 = 0.5;
/// How far the corner moves sideways at the largest azimuth (fraction of the side).
const CORNER_SHIFT: f32 = 0.3;
/// Slope of the floor lines at azimuth 0, and its change at the largest azimuth.
const SLOPE: f32 = 0.22;
const SLOPE_SHIFT: f32 = 0.1;
/// Height of the object's base point (fraction of the side, from the top).
const BASE: f32 = 0.8;
/// The object's half width at scale 1, as a fraction of the side (the object's unit length).
const UNIT: f32 = 0.15;
/// Sine and cosine of the camera's elevation.
const SIN_E: f32 = 0.4;
const COS_E: f32 = 0.916_515_1; // √(1 − 0.4²)
/// The yaw of the cube and capsule at azimuth 0, in degrees.
const YAW0_DEG: f32 = 20.0;
/// Light direction in the world (towards the light): up, left, front; unit length.
const LIGHT: [f32; 3] = [-0.465_2, 0.775_4, 0.426_5];
const AMBIENT: f32 = 0.35;
const DIFFUSE: f32 = 0.65;
/// Capsule radius and half length of its axis, in units.
const CAPSULE_R: f32 = 0.6;
const CAPSULE_HALF: f32 = 1.0;
/// The shadow's radius on the floor (units) and how much light it leaves.
const SHADOW_R: f32 = 1.3;
const SHADOW_LIGHT: f32 = 0.6;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Shapes3dConfig {
    /// Image side in pixels (16 to 64).
    pub size: usize,
    /// Number of floor hues (1 to 32).
    pub floor_hues: usize,
    /// Number of wall hues (1 to 32).
    pub wall_hues: usize,
    /// Number of object hues (1 to 32).
    pub object_hues: usize,
    /// Number of object scales (1 to 32).
    pub scales: usize,
    /// Number of shapes, the first of cube, cylinder, sphere, capsule (1 to 4).
    pub shapes: usize,
    /// Number of camera azimuths (1 to 32).
    pub orientations: usize,
}

impl Default for Shapes3dConfig {
    fn default() -> Self {
        Self {
            size: 32,
            floor_hues: 10,
            wall_hues: 10,
            object_hues: 10,
            scales: 8,
            shapes: 4,
            orientations: 15,
        }
    }
}

impl Shapes3dConfig {
    /// `floorHue`, `wallHue`, `objectHue`, `scale`, `shape`, `orientation`.
    pub fn factors(&self) -> Vec<Factor> {
        [
            ("floorHue", self.floor_hues),
            ("wallHue", self.wall_hues),
            ("objectHue", self.object_hues),
            ("scale", self.scales),
            ("shape", self.shapes),
            ("orientation", self.orientations),
        ]
        .map(|(name, count)| Factor { name, count })
        .into()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("size", self.size, 16, 64)?;
        check_range("floorHues", self.floor_hues, 1, 32)?;
        check_range("wallHues", self.wall_hues, 1, 32)?;
        check_range("objectHues", self.object_hues, 1, 32)?;
        check_range("scales", self.scales, 1, 32)?;
        check_range("shapes", self.shapes, 1, SHAPES.len())?;
        check_range("orientations", self.orientations, 1, 32)
    }

    /// The object scale of value `i`: evenly spaced over [0.75, 1.25], 1 for a single value.
    pub fn scale(&self, i: usize) -> f32 {
        linspace(i, self.scales, 0.75, 1.25, 1.0)
    }

    /// The camera azimuth of value `i`, in degrees: evenly spaced over [−30, 30], 0 for one.
    pub fn azimuth_deg(&self, i: usize) -> f32 {
        linspace(i, self.orientations, -MAX_AZIMUTH_DEG, MAX_AZIMUTH_DEG, 0.0)
    }

    /// Renders `values` (in [`Shapes3dConfig::factors`] order) into `out` (3 × S × S, RGB).
    pub fn render(&self, values: &[usize], out: &mut [f32]) {
        check_values(&self.factors(), values);
        let s = self.size;
        let plane = s * s;
        assert_eq!(
            out.len(),
            3 * plane,
            "a 3×{s}×{s} image needs {} values, got {}",
            3 * plane,
            out.len()
        );
        let scene = Scene::new(self, values);
        let step = 1.0 / SUB as f32;
        let inv_s = 1.0 / s as f32;
        let weight = 1.0 / (SUB * SUB) as f32;
        for py in 0..s {
            let (v0, v1) = (py as f32 * inv_s, (py + 1) as f32 * inv_s);
            for px in 0..s {
                let (u0, u1) = (px as f32 * inv_s, (px + 1) as f32 * inv_s);
                let rgb = if scene.is_plain(u0, u1, v0, v1) {
                    // Plain wall, or floor whose shade is linear in v: the centre sample is the
                    // mean of the subpixel samples.
                    let (colour, shade) =
                        scene.sample((px as f32 + 0.5) * inv_s, (py as f32 + 0.5) * inv_s);
                    colour.map(|c| c * shade)
                } else {
                    let mut acc = [0.0f32; 3];
                    for j in 0..SUB {
                        let v = (py as f32 + (j as f32 + 0.5) * step) * inv_s;
                        for i in 0..SUB {
                            let u = (px as f32 + (i as f32 + 0.5) * step) * inv_s;
                            let (colour, shade) = scene.sample(u, v);
                            for c in 0..3 {
                                acc[c] += colour[c] * shade;
                            }
                        }
                    }
                    acc.map(|a| a * weight)
                };
                let k = py * s + px;
                for c in 0..3 {
                    out[c * plane + k] = rgb[c].clamp(0.0, 1.0);
                }
            }
        }
    }
}

/// The fully saturated, full-value colour of hue `h` ∈ [0, 1) (HSV with s = v = 1).
pub fn hue_rgb(h: f32) -> [f32; 3] {
    let h6 = (h - h.floor()) * 6.0;
    let sector = (h6 as usize).min(5);
    let f = h6 - sector as f32;
    match sector {
        0 => [1.0, f, 0.0],
        1 => [1.0 - f, 1.0, 0.0],
        2 => [0.0, 1.0, f],
        3 => [0.0, 1.0 - f, 1.0],
        4 => [f, 0.0, 1.0],
        _ => [1.0, 0.0, 1.0 - f],
    }
}

/// Hue `i` of `count`: i / count.
pub fn hue(i: usize, count: usize) -> f32 {
    i as f32 / count as f32
}

/// A convex polygon on screen as inward edge half-planes a·X + b·Y + c ≥ 0.
#[derive(Clone, Copy, Default)]
struct Quad {
    edges: [[f32; 3]; 4],
    shade: f32,
}

impl Quad {
    fn new(p: [[f32; 2]; 4], shade: f32) -> Self {
        let area: f32 = (0..4)
            .map(|i| p[i][0] * p[(i + 1) % 4][1] - p[(i + 1) % 4][0] * p[i][1])
            .sum();
        let sign = if area >= 0.0 { 1.0 } else { -1.0 };
        let mut edges = [[0.0; 3]; 4];
        for i in 0..4 {
            let (a, b) = (p[i], p[(i + 1) % 4]);
            // (b − a) × (q − a) ≥ 0 for q on the inner side of a counter-clockwise polygon.
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            edges[i] = [-dy * sign, dx * sign, (dy * a[0] - dx * a[1]) * sign];
        }
        Self { edges, shade }
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        self.edges.iter().all(|e| e[0] * x + e[1] * y + e[2] >= 0.0)
    }
}

/// Everything one image needs, worked out once per image.
struct Scene {
    floor: [f32; 3],
    wall: [f32; 3],
    object: [f32; 3],
    corner: f32,
    slope_left: f32,
    slope_right: f32,
    wall_left: f32,
    wall_right: f32,
    /// Object unit in image sides (UNIT × scale).
    unit: f32,
    shape: usize,
    /// Light direction in the camera frame (x right, y up, z towards the camera).
    light: [f32; 3],
    /// Object yaw in the camera frame, cosine and sine.
    yaw: (f32, f32),
    /// The cube's visible faces (top and up to two sides).
    faces: [Quad; 3],
    n_faces: usize,
    /// Shadow centre (screen units) and inverse radii.
    shadow: [f32; 4],
    /// Image-fraction boxes [u0, u1, v0, v1] around the object and its shadow.
    object_box: [f32; 4],
    shadow_box: [f32; 4],
    inv_unit: f32,
}

/// Screen position (X right, Y up, in units) of a camera-frame point.
fn project(p: [f32; 3]) -> [f32; 2] {
    [p[0], p[1] * COS_E - p[2] * SIN_E]
}

/// Rotates (x, z) about the vertical axis by the angle with cosine `c`, sine `s`.
fn yaw_rotate(p: [f32; 3], (c, s): (f32, f32)) -> [f32; 3] {
    [p[0] * c + p[2] * s, p[1], -p[0] * s + p[2] * c]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

impl Scene {
    fn new(cfg: &Shapes3dConfig, values: &[usize]) -> Self {
        let azimuth = cfg.azimuth_deg(values[5]);
        let a = azimuth / MAX_AZIMUTH_DEG;
        let phi = azimuth.to_radians();
        // Turning the camera by φ turns the world (light, objects) by −φ in the camera frame.
        let world = (libm::cosf(-phi), libm::sinf(-phi));
        let yaw_angle = YAW0_DEG.to_radians() - phi;
        let yaw = (libm::cosf(yaw_angle), libm::sinf(yaw_angle));
        let light = yaw_rotate(LIGHT, world);
        let shape = values[4];
        let mut scene = Scene {
            floor: hue_rgb(hue(values[0], cfg.floor_hues)),
            wall: hue_rgb(hue(values[1], cfg.wall_hues)),
            object: hue_rgb(hue(values[2], cfg.object_hues)),
            corner: 0.5 - CORNER_SHIFT * a,
            slope_left: SLOPE + SLOPE_SHIFT * a,
            slope_right: SLOPE - SLOPE_SHIFT * a,
            wall_left: 0.9 + 0.08 * a,
            wall_right: 0.72 - 0.08 * a,
            unit: UNIT * cfg.scale(values[3]),
            shape,
            light,
            yaw,
            faces: [Quad::default(); 3],
            n_faces: 0,
            shadow: [0.0; 4],
            object_box: [0.0; 4],
            shadow_box: [0.0; 4],
            inv_unit: 0.0,
        };
        scene.inv_unit = 1.0 / scene.unit;
        // The object's extent on screen, in units: [X0, X1, Y0, Y1].
        let extent = match shape {
            0 => scene.cube_faces(),
            1 => [-1.0, 1.0, -SIN_E, 2.0 * COS_E + SIN_E],
            2 => [-1.0, 1.0, COS_E - 1.0, COS_E + 1.0],
            _ => {
                let (ex, ey) = scene.capsule_axis();
                let cy = CAPSULE_R * COS_E;
                [
                    -ex.abs() - CAPSULE_R,
                    ex.abs() + CAPSULE_R,
                    cy - ey.abs() - CAPSULE_R,
                    cy + ey.abs() + CAPSULE_R,
                ]
            }
        };
        scene.object_box = scene.screen_box(extent);
        // The shadow falls away from the light.
        let (sx, sz) = (-light[0] / light[1] * 0.5, -light[2] / light[1] * 0.5);
        let r = if shape == 3 { SHADOW_R * 1.2 } else { SHADOW_R };
        let (cy, ry) = (-sz * SIN_E, r * SIN_E);
        scene.shadow = [sx, cy, 1.0 / r, 1.0 / ry];
        scene.shadow_box = scene.screen_box([sx - r, sx + r, cy - ry, cy + ry]);
        scene
    }

    /// The image-fraction box [u0, u1, v0, v1] of a screen box [X0, X1, Y0, Y1] in units.
    fn screen_box(&self, [x0, x1, y0, y1]: [f32; 4]) -> [f32; 4] {
        let pad = 1e-4;
        [
            0.5 + x0 * self.unit - pad,
            0.5 + x1 * self.unit + pad,
            BASE - y1 * self.unit - pad,
            BASE - y0 * self.unit + pad,
        ]
    }

    /// Half the capsule's projected axis (X, Y), in units.
    fn capsule_axis(&self) -> (f32, f32) {
        let (c, s) = self.yaw;
        (CAPSULE_HALF * c, CAPSULE_HALF * s * SIN_E)
    }

    /// Whether the pixel box [u0, u1] × [v0, v1] is all wall on one side of the corner, or all
    /// floor away from the shadow, with no object: then one sample gives the pixel.
    fn is_plain(&self, u0: f32, u1: f32, v0: f32, v1: f32) -> bool {
        let meets = |b: [f32; 4]| u1 >= b[0] && u0 <= b[1] && v1 >= b[2] && v0 <= b[3];
        if meets(self.object_box)
            || meets(self.shadow_box)
            || (u0 <= self.corner && u1 >= self.corner)
        {
            return false;
        }
        let slope = if u1 < self.corner {
            self.slope_left
        } else {
            self.slope_right
        };
        let (a, b) = (
            HORIZON + slope * (u0 - self.corner).abs(),
            HORIZON + slope * (u1 - self.corner).abs(),
        );
        v0 > a.max(b) || v1 < a.min(b)
    }

    fn lit(&self, normal: [f32; 3]) -> f32 {
        AMBIENT + DIFFUSE * dot(normal, self.light).max(0.0)
    }

    /// The top face and the sides facing the camera of the cube [−1, 1] × [0, 2] × [−1, 1];
    /// returns its screen extent [X0, X1, Y0, Y1] in units.
    fn cube_faces(&mut self) -> [f32; 4] {
        let ring = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
        let at = |xz: [f32; 2], y: f32| yaw_rotate([xz[0], y, xz[1]], self.yaw);
        let top = ring.map(|xz| project(at(xz, 2.0)));
        let mut faces = [Quad::default(); 3];
        faces[0] = Quad::new(top, self.lit([0.0, 1.0, 0.0]));
        let mut n = 1;
        for k in 0..4 {
            let (p, q) = (ring[k], ring[(k + 1) % 4]);
            let normal = yaw_rotate([(p[0] + q[0]) / 2.0, 0.0, (p[1] + q[1]) / 2.0], self.yaw);
            if normal[2] > 1e-4 && n < 3 {
                let quad = [
                    project(at(p, 0.0)),
                    project(at(q, 0.0)),
                    project(at(q, 2.0)),
                    project(at(p, 2.0)),
                ];
                faces[n] = Quad::new(quad, self.lit(normal));
                n += 1;
            }
        }
        self.faces = faces;
        self.n_faces = n;
        let mut extent = [f32::MAX, f32::MIN, f32::MAX, f32::MIN];
        for y in [0.0, 2.0] {
            for xz in ring {
                let [x, y] = project(at(xz, y));
                extent = [
                    extent[0].min(x),
                    extent[1].max(x),
                    extent[2].min(y),
                    extent[3].max(y),
                ];
            }
        }
        extent
    }

    /// The base colour and its shade at image point (u, v) (fractions of the side, v down).
    #[inline(always)]
    fn sample(&self, u: f32, v: f32) -> ([f32; 3], f32) {
        let x = (u - 0.5) * self.inv_unit;
        let y = (BASE - v) * self.inv_unit;
        let b = self.object_box;
        if u >= b[0] && u <= b[1] && v >= b[2] && v <= b[3] {
            if let Some(shade) = self.object_shade(x, y) {
                return (self.object, shade);
            }
        }
        let left = u < self.corner;
        let slope = if left {
            self.slope_left
        } else {
            self.slope_right
        };
        if v > HORIZON + slope * (u - self.corner).abs() {
            let mut shade = 0.55 + 0.45 * ((v - HORIZON) / (1.0 - HORIZON)).clamp(0.0, 1.0);
            let [cx, cy, irx, iry] = self.shadow;
            let (dx, dy) = ((x - cx) * irx, (y - cy) * iry);
            if dx * dx + dy * dy <= 1.0 {
                shade *= SHADOW_LIGHT;
            }
            (self.floor, shade)
        } else {
            (
                self.wall,
                if left {
                    self.wall_left
                } else {
                    self.wall_right
                },
            )
        }
    }

    /// The object's shade at screen point (X, Y) in units (Y up from the base), if it is there.
    fn object_shade(&self, x: f32, y: f32) -> Option<f32> {
        match self.shape {
            0 => self.faces[..self.n_faces]
                .iter()
                .find(|q| q.contains(x, y))
                .map(|q| q.shade),
            1 => {
                // Cylinder of radius 1 and height 2: the top ellipse, then the front of the side.
                let top = 2.0 * COS_E;
                let (dy, dx2) = ((y - top) / SIN_E, x * x);
                if dx2 + dy * dy <= 1.0 {
                    return Some(self.lit([0.0, 1.0, 0.0]));
                }
                if dx2 > 1.0 {
                    return None;
                }
                let depth = (1.0 - dx2).sqrt();
                let lo = -depth * SIN_E;
                (y >= lo && y <= lo + top).then(|| self.lit([x, 0.0, depth]))
            }
            2 => {
                // Sphere of radius 1 resting on the floor.
                let dy = y - COS_E;
                let r2 = x * x + dy * dy;
                (r2 <= 1.0).then(|| self.lit(view_normal(x, dy, (1.0 - r2).sqrt())))
            }
            _ => {
                // Capsule lying on the floor, its axis along the yawed x axis.
                let (ex, ey) = self.capsule_axis();
                let cy = CAPSULE_R * COS_E;
                // Nearest point of the projected axis from (−ex, cy − ey) to (ex, cy + ey).
                let (qx, qy) = (x + ex, y - cy + ey);
                let len2 = (4.0 * (ex * ex + ey * ey)).max(1e-6);
                let t = ((qx * 2.0 * ex + qy * 2.0 * ey) / len2).clamp(0.0, 1.0);
                let (rx, ry) = (qx - t * 2.0 * ex, qy - t * 2.0 * ey);
                let r2 = (rx * rx + ry * ry) / (CAPSULE_R * CAPSULE_R);
                (r2 <= 1.0).then(|| {
                    self.lit(view_normal(
                        rx / CAPSULE_R,
                        ry / CAPSULE_R,
                        (1.0 - r2).sqrt(),
                    ))
                })
            }
        }
    }
}

/// The camera-frame normal with screen components (x right, y up) and `z` towards the viewer.
fn view_normal(x: f32, y: f32, z: f32) -> [f32; 3] {
    // Screen up is (0, cos e, −sin e); towards the viewer is (0, sin e, cos e).
    [x, y * COS_E + z * SIN_E, -y * SIN_E + z * COS_E]
}
