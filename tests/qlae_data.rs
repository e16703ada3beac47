//! The procedural image datasets of the latent-quantization lab against their definitions
//! (the doc comments in `src/qlae/data/*.rs`): seeding, uniform factor draws, pixel range and
//! layout, that every factor shows in the image, the sprites' geometry, the Shapes3D-lite
//! colours, and config validation and serde.
use genlab::qlae::data::shapes3d::{hue, hue_rgb, Shapes3dConfig};
use genlab::qlae::data::sprites::{SpritesConfig, RADIUS};
use genlab::qlae::data::ImageData;
use genlab::rng::Rng;

// ---------------------------------------------------------------- helpers

fn sprites() -> ImageData {
    ImageData::Sprites(SpritesConfig::default())
}

fn shapes3d() -> ImageData {
    ImageData::Shapes3d(Shapes3dConfig::default())
}

fn both() -> [ImageData; 2] {
    [sprites(), shapes3d()]
}

fn render(data: &ImageData, values: &[usize]) -> Vec<f32> {
    let s = data.size();
    let mut out = vec![f32::NAN; data.channels() * s * s];
    data.render(values, &mut out);
    out
}

fn l1(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

fn mass(img: &[f32]) -> f32 {
    img.iter().sum()
}

/// (column, row) centroid of a one-channel image, pixel centres at j + 0.5.
fn centroid(img: &[f32], s: usize) -> (f32, f32) {
    let (mut mx, mut my) = (0.0, 0.0);
    for (k, p) in img.iter().enumerate() {
        mx += p * ((k % s) as f32 + 0.5);
        my += p * ((k / s) as f32 + 0.5);
    }
    let m = mass(img);
    (mx / m, my / m)
}

/// The RGB of pixel (row, col) of a CHW image.
fn rgb(img: &[f32], s: usize, row: usize, col: usize) -> [f32; 3] {
    let k = row * s + col;
    [img[k], img[s * s + k], img[2 * s * s + k]]
}

/// Panics unless `pixel` is a shade in [lo, 1] of the full colour of `hue`.
fn assert_hue(label: &str, pixel: [f32; 3], h: f32, lo: f32) {
    let want = hue_rgb(h);
    let v = pixel.iter().cloned().fold(0.0, f32::max);
    assert!(
        v >= lo && v <= 1.0,
        "{label}: brightness {v} outside [{lo}, 1] ({pixel:?})"
    );
    for c in 0..3 {
        assert!(
            (pixel[c] / v - want[c]).abs() < 1e-3,
            "{label}: pixel {pixel:?} is not a shade of hue {h} = {want:?}"
        );
    }
}

// ---------------------------------------------------------------- sampling

#[test]
fn sample_is_deterministic_from_the_seed() {
    for data in both() {
        let a = data.sample(40, &mut Rng::new(5));
        let b = data.sample(40, &mut Rng::new(5));
        assert_eq!(a.factors, b.factors, "{}", data.name());
        assert_eq!(a.pixels, b.pixels, "{}", data.name());
        let c = data.sample(40, &mut Rng::new(6));
        assert_ne!(
            a.factors,
            c.factors,
            "{}: seeds 5 and 6 give the same factors",
            data.name()
        );
        assert_ne!(
            a.pixels,
            c.pixels,
            "{}: seeds 5 and 6 give the same pixels",
            data.name()
        );
        // The images are those of the drawn factors.
        assert_eq!(
            data.images(a.factors.clone()).pixels,
            a.pixels,
            "{}",
            data.name()
        );
    }
}

#[test]
fn factor_values_are_in_range_and_drawn_uniformly() {
    for data in both() {
        let n = 3000;
        let batch = data.sample(n, &mut Rng::new(11));
        let factors = data.factors();
        assert_eq!(batch.k, factors.len());
        assert_eq!(batch.factors.len(), n * factors.len());
        for (f, factor) in factors.iter().enumerate() {
            let mut hist = vec![0usize; factor.count];
            for i in 0..n {
                let v = batch.factor_row(i)[f];
                assert!(
                    v < factor.count,
                    "{} {}: value {v} ≥ count {}",
                    data.name(),
                    factor.name,
                    factor.count
                );
                hist[v] += 1;
            }
            let p = 1.0 / factor.count as f64;
            let (expect, se) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
            for (v, &h) in hist.iter().enumerate() {
                assert!(
                    h > 0,
                    "{} {}: value {v} never drawn in {n}",
                    data.name(),
                    factor.name
                );
                assert!(
                    (h as f64 - expect).abs() <= 5.0 * se,
                    "{} {}: value {v} drawn {h} times, expected {expect:.0} ± {se:.1}",
                    data.name(),
                    factor.name
                );
            }
        }
    }
}

#[test]
fn pixels_are_in_unit_range_and_the_tensor_matches() {
    for data in both() {
        let batch = data.sample(24, &mut Rng::new(3));
        let (c, s) = (data.channels(), data.size());
        assert_eq!((batch.n, batch.channels, batch.size), (24, c, s));
        assert_eq!(batch.pixels.len(), 24 * c * s * s);
        assert!(
            batch.pixels.iter().all(|p| (0.0..=1.0).contains(p)),
            "{}: a pixel outside [0, 1]",
            data.name()
        );
        for i in 0..batch.n {
            assert!(
                mass(batch.image(i)) > 1.0,
                "{}: image {i} is blank",
                data.name()
            );
        }
        let t = batch.tensor().unwrap();
        assert_eq!(t.dims(), &[24, c, s, s]);
        assert_eq!(t.dtype(), candle_core::DType::F32);
        assert_eq!(
            t.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            batch.pixels
        );
        let third = t
            .get(3)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(third, batch.image(3));
    }
}

#[test]
fn other_sizes_and_counts_render() {
    let data = ImageData::Sprites(SpritesConfig {
        size: 64,
        scales: 1,
        orientations: 1,
        x_positions: 2,
        y_positions: 64,
    });
    data.validate().unwrap();
    let batch = data.sample(8, &mut Rng::new(1));
    assert_eq!(batch.tensor().unwrap().dims(), &[8, 1, 64, 64]);
    let data = ImageData::Shapes3d(Shapes3dConfig {
        size: 16,
        floor_hues: 1,
        wall_hues: 32,
        object_hues: 3,
        scales: 1,
        shapes: 2,
        orientations: 1,
    });
    data.validate().unwrap();
    let batch = data.sample(8, &mut Rng::new(1));
    assert!(batch.pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    assert!((0..8).all(|i| batch.factor_row(i)[4] < 2));
}

#[test]
#[should_panic(expected = "out of range")]
fn render_refuses_an_out_of_range_value() {
    render(&sprites(), &[3, 0, 0, 0, 0]);
}

// ---------------------------------------------------------------- every factor shows

/// Changing factor `f` of `base` to each other value changes the image by more than `min`
/// (sum of absolute pixel differences).
fn assert_factor_shows(data: &ImageData, base: &[usize], f: usize, min: f32) {
    let factor = &data.factors()[f];
    let img = render(data, base);
    for v in 0..factor.count {
        if v == base[f] {
            continue;
        }
        let mut other = base.to_vec();
        other[f] = v;
        let d = l1(&img, &render(data, &other));
        assert!(
            d > min,
            "{}: {} {} → {v} from {base:?} changes the image by only {d}",
            data.name(),
            factor.name,
            base[f]
        );
    }
}

#[test]
fn every_sprites_factor_changes_the_image() {
    let data = sprites();
    for shape in 0..3 {
        for f in [0, 1, 3, 4] {
            assert_factor_shows(&data, &[shape, 1, 1, 3, 5], f, 2.0);
        }
    }
    // Orientation, for the heart (the square and ellipse repeat by symmetry).
    assert_factor_shows(&data, &[2, 3, 0, 4, 4], 2, 2.0);
    assert_factor_shows(&data, &[2, 0, 3, 4, 4], 2, 1.0);
}

#[test]
fn every_shapes3d_factor_changes_the_image() {
    let data = shapes3d();
    for shape in 0..4 {
        for f in 0..6 {
            assert_factor_shows(&data, &[2, 5, 8, 3, shape, 7], f, 3.0);
        }
        // Orientation also at the ends and for the smallest object.
        assert_factor_shows(&data, &[2, 5, 8, 0, shape, 0], 5, 3.0);
    }
}

// ---------------------------------------------------------------- sprites geometry

#[test]
fn sprite_centroid_follows_x_right_and_y_down() {
    let c = SpritesConfig::default();
    let data = ImageData::Sprites(c.clone());
    let s = c.size;
    for shape in 0..3 {
        for (f, count) in [(3, c.x_positions), (4, c.y_positions)] {
            let mut last: Option<(f32, f32)> = None;
            for v in 0..count {
                let mut values = [shape, 2, 1, 3, 4];
                values[f] = v;
                let (cx, cy) = centroid(&render(&data, &values), s);
                if shape < 2 {
                    // Symmetric shapes: the centroid is the sprite's position (up to the 4 × 4 sampling).
                    let (ex, ey) = (
                        c.position(values[3], c.x_positions),
                        c.position(values[4], c.y_positions),
                    );
                    assert!(
                        (cx - ex).abs() < 0.15 && (cy - ey).abs() < 0.15,
                        "shape {shape}: centroid ({cx}, {cy}) vs position ({ex}, {ey})"
                    );
                }
                if let Some((lx, ly)) = last {
                    let (along, across) = if f == 3 {
                        (cx - lx, cy - ly)
                    } else {
                        (cy - ly, cx - lx)
                    };
                    assert!(along > 1.0, "shape {shape}: factor {f} {v}: centroid moved by {along} (want > 1 px right/down)");
                    assert!(
                        across.abs() < 0.15,
                        "shape {shape}: factor {f} {v}: centroid moved across by {across}"
                    );
                }
                last = Some((cx, cy));
            }
        }
    }
}

#[test]
fn sprite_mass_grows_with_scale_as_its_square() {
    let c = SpritesConfig::default();
    let data = ImageData::Sprites(c.clone());
    for shape in 0..3 {
        let masses: Vec<f32> = (0..c.scales)
            .map(|v| mass(&render(&data, &[shape, v, 1, 4, 4])))
            .collect();
        for v in 1..c.scales {
            assert!(
                masses[v] > masses[v - 1],
                "shape {shape}: mass {masses:?} does not grow with scale"
            );
        }
        // Scale 0.5 → 1 quadruples the area.
        let ratio = masses[c.scales - 1] / masses[0];
        assert!(
            (ratio - 4.0).abs() < 0.25,
            "shape {shape}: mass ratio {ratio} between scales 1 and 0.5"
        );
    }
    // The square's area at scale 1: its diagonal spans the sprite circle, side √2 · RADIUS · 32.
    let side = std::f32::consts::SQRT_2 * RADIUS * 32.0;
    let square = mass(&render(&data, &[0, 3, 0, 4, 4]));
    assert!(
        (square - side * side).abs() < 0.02 * side * side,
        "square mass {square} vs {}",
        side * side
    );
}

#[test]
fn sprite_square_repeats_at_90_degrees_and_the_heart_does_not() {
    let data = sprites(); // 8 orientations: value 2 is 90°, value 1 is 45°
    for (x, y) in [(0, 0), (3, 5), (7, 7)] {
        let at = |shape: usize, o: usize| render(&data, &[shape, 3, o, x, y]);
        let square = at(0, 0);
        assert!(
            l1(&square, &at(0, 2)) < 0.2,
            "square at 0° and 90° differ by {}",
            l1(&square, &at(0, 2))
        );
        assert!(l1(&square, &at(0, 4)) < 0.2, "square at 0° and 180° differ");
        assert!(
            l1(&square, &at(0, 1)) > 5.0,
            "square at 0° and 45° look alike"
        );
        assert!(
            l1(&at(1, 0), &at(1, 4)) < 0.2,
            "ellipse at 0° and 180° differ"
        );
        assert!(
            l1(&at(1, 0), &at(1, 2)) > 5.0,
            "ellipse at 0° and 90° look alike"
        );
        assert!(
            l1(&at(2, 0), &at(2, 2)) > 5.0,
            "heart at 0° and 90° look alike"
        );
    }
}

#[test]
fn sprite_heart_points_down_at_orientation_0() {
    // The heart's lobes (top) are wider than its point (bottom): more mass above the centre.
    let c = SpritesConfig::default();
    let data = ImageData::Sprites(c.clone());
    let img = render(&data, &[2, 3, 0, 4, 4]);
    let s = c.size;
    let cy = c.position(4, c.y_positions);
    let above: f32 = img
        .iter()
        .enumerate()
        .filter(|(k, _)| ((k / s) as f32 + 0.5) < cy)
        .map(|(_, p)| p)
        .sum();
    let below = mass(&img) - above;
    assert!(
        above > 1.2 * below,
        "heart mass above {above}, below {below}"
    );
}

// ---------------------------------------------------------------- shapes3d colours

#[test]
fn shapes3d_corners_show_floor_and_wall_hues() {
    let c = Shapes3dConfig::default();
    let data = ImageData::Shapes3d(c.clone());
    let s = c.size;
    let batch = data.sample(300, &mut Rng::new(21));
    for i in 0..batch.n {
        let (img, row) = (batch.image(i), batch.factor_row(i));
        let (floor, wall) = (hue(row[0], c.floor_hues), hue(row[1], c.wall_hues));
        assert_hue(
            &format!("{row:?} bottom left"),
            rgb(img, s, s - 1, 0),
            floor,
            0.9,
        );
        assert_hue(
            &format!("{row:?} bottom right"),
            rgb(img, s, s - 1, s - 1),
            floor,
            0.9,
        );
        assert_hue(&format!("{row:?} top left"), rgb(img, s, 0, 0), wall, 0.6);
        assert_hue(
            &format!("{row:?} top right"),
            rgb(img, s, 0, s - 1),
            wall,
            0.6,
        );
    }
    // Hue 0 is red, as in Shapes3D.
    assert_eq!(hue_rgb(0.0), [1.0, 0.0, 0.0]);
    assert_eq!(hue_rgb(hue(4, 12)), [0.0, 1.0, 0.0]);
}

#[test]
fn shapes3d_object_hue_changes_only_the_middle() {
    let c = Shapes3dConfig::default();
    let data = ImageData::Shapes3d(c.clone());
    let s = c.size;
    for shape in 0..4 {
        for orientation in [0, 7, 14] {
            let a = render(&data, &[1, 6, 0, 7, shape, orientation]);
            let b = render(&data, &[1, 6, 5, 7, shape, orientation]);
            let mut changed = 0;
            for row in 0..s {
                for col in 0..s {
                    let (pa, pb) = (rgb(&a, s, row, col), rgb(&b, s, row, col));
                    if (0..3).any(|k| (pa[k] - pb[k]).abs() > 1e-6) {
                        changed += 1;
                        let dx = (col as f32 + 0.5) / s as f32 - 0.5;
                        let y = (row as f32 + 0.5) / s as f32;
                        assert!(
                            dx.abs() < 0.35 && y > 0.2 && y < 0.97,
                            "shape {shape} orientation {orientation}: object hue changed pixel ({row}, {col})"
                        );
                    }
                }
            }
            assert!(
                changed > 40,
                "shape {shape} orientation {orientation}: object covers only {changed} pixels"
            );
        }
    }
}

#[test]
fn shapes3d_object_pixels_have_the_object_hue() {
    // The pixel at the middle of the object is a shade of the object's hue.
    let c = Shapes3dConfig::default();
    let data = ImageData::Shapes3d(c.clone());
    let s = c.size;
    for shape in 0..4 {
        for h in 0..c.object_hues {
            let img = render(&data, &[0, 0, h, 4, shape, 7]);
            // The middle column, a little above the base line (0.8 of the side).
            let row = (0.75 * s as f32) as usize;
            assert_hue(
                &format!("shape {shape} hue {h}"),
                rgb(&img, s, row, s / 2),
                hue(h, c.object_hues),
                0.3,
            );
        }
    }
}

// ---------------------------------------------------------------- config

#[test]
fn validate_names_the_field() {
    assert!(sprites().validate().is_ok());
    assert!(shapes3d().validate().is_ok());
    let sprite = |f: &dyn Fn(&mut SpritesConfig)| {
        let mut c = SpritesConfig::default();
        f(&mut c);
        ImageData::Sprites(c).validate().unwrap_err()
    };
    let e = sprite(&|c| c.size = 0);
    assert_eq!(
        (e.field.as_str(), e.to_string().as_str()),
        ("size", "size: 0 is out of range; allowed 16 to 64")
    );
    assert_eq!(sprite(&|c| c.size = 65).field, "size");
    assert_eq!(sprite(&|c| c.scales = 17).field, "scales");
    assert_eq!(sprite(&|c| c.scales = 0).field, "scales");
    assert_eq!(sprite(&|c| c.orientations = 0).field, "orientations");
    assert_eq!(sprite(&|c| c.orientations = 65).field, "orientations");
    assert_eq!(sprite(&|c| c.x_positions = 1).field, "xPositions");
    assert_eq!(sprite(&|c| c.y_positions = 65).field, "yPositions");

    let shapes = |f: &dyn Fn(&mut Shapes3dConfig)| {
        let mut c = Shapes3dConfig::default();
        f(&mut c);
        ImageData::Shapes3d(c).validate().unwrap_err()
    };
    assert_eq!(shapes(&|c| c.size = 15).field, "size");
    assert_eq!(shapes(&|c| c.floor_hues = 0).field, "floorHues");
    assert_eq!(shapes(&|c| c.wall_hues = 33).field, "wallHues");
    assert_eq!(shapes(&|c| c.object_hues = 0).field, "objectHues");
    assert_eq!(shapes(&|c| c.scales = 33).field, "scales");
    let e = shapes(&|c| c.shapes = 5);
    assert_eq!(e.to_string(), "shapes: 5 is out of range; allowed 1 to 4");
    assert_eq!(shapes(&|c| c.orientations = 0).field, "orientations");
}

#[test]
fn serde_round_trips_and_fills_defaults() {
    for data in both() {
        let json = serde_json::to_value(&data).unwrap();
        assert_eq!(json["kind"], data.name());
        assert_eq!(json["size"], 32);
        let back: ImageData = serde_json::from_value(json).unwrap();
        assert_eq!(back, data);
        let bare: ImageData =
            serde_json::from_str(&format!(r#"{{"kind": "{}"}}"#, data.name())).unwrap();
        assert_eq!(bare, data);
    }
    let json = serde_json::to_value(shapes3d()).unwrap();
    for key in [
        "floorHues",
        "wallHues",
        "objectHues",
        "scales",
        "shapes",
        "orientations",
    ] {
        assert!(json.get(key).is_some(), "shapes3d JSON lacks {key}: {json}");
    }
    let json = serde_json::to_value(sprites()).unwrap();
    for key in ["scales", "orientations", "xPositions", "yPositions"] {
        assert!(json.get(key).is_some(), "sprites JSON lacks {key}: {json}");
    }
    let some: ImageData =
        serde_json::from_str(r#"{"kind": "shapes3d", "size": 48, "shapes": 2}"#).unwrap();
    assert_eq!(
        some,
        ImageData::Shapes3d(Shapes3dConfig {
            size: 48,
            shapes: 2,
            ..Default::default()
        })
    );
    assert_eq!(some.factors()[4].count, 2);
}

#[test]
fn unknown_kind_fails_to_deserialize() {
    let e = serde_json::from_str::<ImageData>(r#"{"kind": "dsprites"}"#).unwrap_err();
    assert!(e.to_string().contains("dsprites"), "{e}");
    assert!(serde_json::from_str::<ImageData>(r#"{"size": 32}"#).is_err());
}

#[test]
fn factor_names_and_counts_follow_the_originals() {
    let names = |d: &ImageData| {
        d.factors()
            .iter()
            .map(|f| (f.name, f.count))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&sprites()),
        [
            ("shape", 3),
            ("scale", 4),
            ("orientation", 8),
            ("x", 8),
            ("y", 8)
        ]
    );
    assert_eq!(
        names(&shapes3d()),
        [
            ("floorHue", 10),
            ("wallHue", 10),
            ("objectHue", 10),
            ("scale", 8),
            ("shape", 4),
            ("orientation", 15)
        ]
    );
    assert_eq!((sprites().channels(), shapes3d().channels()), (1, 3));
}
