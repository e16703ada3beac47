//! Information estimates for InfoMEC (Hsu et al. 2023), in nats: the plug-in mutual information
//! of two discrete variables (scikit-learn's `mutual_info_score`), and the k-nearest-neighbour
//! estimate of I(continuous; discrete) of Ross (2014), as scikit-learn's `mutual_info_classif`
//! computes it for one feature (the authors' choice for continuous latents, k = 10).
use crate::rng::Rng;

/// Values relabelled 0..k in sorted order of the distinct values (scikit-learn's
/// `LabelEncoder`); returns the labels and k.
pub fn label_encode(values: &[f64]) -> (Vec<usize>, usize) {
    let mut distinct: Vec<f64> = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let labels = values
        .iter()
        .map(|v| distinct.partition_point(|d| d.total_cmp(v).is_lt()))
        .collect();
    (labels, distinct.len())
}

/// Plug-in entropy of labels in 0..k.
pub fn entropy(labels: &[usize], k: usize) -> f64 {
    mutual_information(labels, k, labels, k)
}

/// Plug-in mutual information Σ p(a,b) log p(a,b) / (p(a) p(b)) of two label vectors.
pub fn mutual_information(a: &[usize], ka: usize, b: &[usize], kb: usize) -> f64 {
    let n = a.len() as f64;
    let mut joint = vec![0usize; ka * kb];
    let (mut pa, mut pb) = (vec![0usize; ka], vec![0usize; kb]);
    for (&x, &y) in a.iter().zip(b) {
        joint[x * kb + y] += 1;
        pa[x] += 1;
        pb[y] += 1;
    }
    let mut mi = 0.0;
    for x in 0..ka {
        for y in 0..kb {
            let c = joint[x * kb + y] as f64;
            if c > 0.0 {
                mi += c / n * (c * n / (pa[x] as f64 * pb[y] as f64)).ln();
            }
        }
    }
    mi.max(0.0)
}

/// The digamma function ψ (recurrence up to x ≥ 10, then the asymptotic series).
pub fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    shift + x.ln()
        - 0.5 / x
        - f * (1.0 / 12.0 - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f / 132.0))))
}

/// Ross's estimate of I(c; d) for a continuous `c` and labels `d`, with `k` neighbours: for each
/// point, the distance r to its k-th nearest neighbour of the same label and the number m of
/// points of any label strictly closer than r (itself included);
/// I = ψ(n) + ⟨ψ(k)⟩ − ⟨ψ(n_label)⟩ − ⟨ψ(m)⟩, clipped at 0. Points alone in their label are
/// left out. Like scikit-learn, `c` is first scaled by its standard deviation and jittered by
/// 10⁻¹⁰·max(1, mean |c|) times seeded noise, which breaks ties.
pub fn mutual_information_cd(c: &[f64], d: &[usize], k: usize, rng: &mut Rng) -> f64 {
    let n = c.len();
    let mean = c.iter().sum::<f64>() / n as f64;
    let std = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let scaled: Vec<f64> = c
        .iter()
        .map(|v| if std > 0.0 { v / std } else { *v })
        .collect();
    let jitter = 1e-10 * (scaled.iter().map(|v| v.abs()).sum::<f64>() / n as f64).max(1.0);
    let c: Vec<f64> = scaled
        .iter()
        .map(|v| v + jitter * rng.normal() as f64)
        .collect();
    let labels = d.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups: Vec<Vec<f64>> = vec![vec![]; labels];
    for (v, l) in c.iter().zip(d) {
        groups[*l].push(*v);
    }
    for g in &mut groups {
        g.sort_by(f64::total_cmp);
    }
    // the neighbour counts, too, see only points whose label occurs more than once
    let mut all: Vec<f64> = c
        .iter()
        .zip(d)
        .filter(|(_, l)| groups[**l].len() > 1)
        .map(|(v, _)| *v)
        .collect();
    all.sort_by(f64::total_cmp);
    let (mut sum_k, mut sum_label, mut sum_m, mut counted) = (0.0, 0.0, 0.0, 0usize);
    for (v, l) in c.iter().zip(d) {
        let group = &groups[*l];
        if group.len() < 2 {
            continue;
        }
        let kk = k.min(group.len() - 1);
        let r = kth_neighbour_distance(group, *v, kk);
        // strictly closer than r: the radius just below it
        let radius = next_down(r);
        // compare distances as computed for r (v + radius could round onto the k-th neighbour)
        let m = all.partition_point(|x| *x <= *v || *x - v <= radius)
            - all.partition_point(|x| *x < *v && v - *x > radius);
        sum_k += digamma(kk as f64);
        sum_label += digamma(group.len() as f64);
        sum_m += digamma(m as f64);
        counted += 1;
    }
    if counted == 0 {
        return 0.0;
    }
    let n = counted as f64;
    (digamma(n) + (sum_k - sum_label - sum_m) / n).max(0.0)
}

/// Distance from `v` (a member of the sorted `group`) to its k-th nearest other member.
fn kth_neighbour_distance(group: &[f64], v: f64, k: usize) -> f64 {
    let at = group.partition_point(|x| *x < v);
    // step outwards from v's position, skipping v itself once
    let (mut lo, mut hi) = (at as isize - 1, at + 1);
    let mut last = 0.0;
    for _ in 0..k {
        let left = if lo >= 0 {
            v - group[lo as usize]
        } else {
            f64::INFINITY
        };
        let right = if hi < group.len() {
            group[hi] - v
        } else {
            f64::INFINITY
        };
        if left <= right {
            last = left;
            lo -= 1;
        } else {
            last = right;
            hi += 1;
        }
    }
    last
}

/// The largest f64 below `x` (for x > 0), as numpy's `nextafter(x, 0)`.
fn next_down(x: f64) -> f64 {
    if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        x
    }
}
