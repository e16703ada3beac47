//! InfoMEC's information estimates and InfoM/InfoC on hand-built cases with known answers.
use genlab::metrics::infomec::{active_latents, modularity};
use genlab::metrics::information::{
    digamma, entropy, label_encode, mutual_information, mutual_information_cd,
};
use genlab::rng::Rng;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn digamma_matches_known_values() {
    let euler = 0.577_215_664_901_532_9;
    assert!(close(digamma(1.0), -euler, 1e-12), "{}", digamma(1.0));
    assert!(close(
        digamma(0.5),
        -euler - 2.0 * std::f64::consts::LN_2,
        1e-12
    ));
    assert!(close(digamma(10.0), 2.251_752_589_066_721, 1e-12));
    // ψ(x + 1) = ψ(x) + 1/x
    for x in [0.3, 2.7, 15.0, 1000.5] {
        assert!(close(digamma(x + 1.0), digamma(x) + 1.0 / x, 1e-12), "{x}");
    }
}

#[test]
fn plug_in_information_of_known_tables() {
    let (labels, k) = label_encode(&[3.0, 1.0, 2.0, 3.0, 1.0, 2.0]);
    assert_eq!((labels.clone(), k), (vec![2, 0, 1, 2, 0, 1], 3));
    assert!(close(entropy(&labels, k), 3f64.ln(), 1e-12));
    // a product design: a and b independent, so I = 0 exactly
    let a: Vec<usize> = (0..90).map(|i| i % 3).collect();
    let b: Vec<usize> = (0..90).map(|i| (i / 3) % 5).collect();
    assert!(close(mutual_information(&a, 3, &b, 5), 0.0, 1e-12));
    // a function of b: I(a; b) = H(a)
    let f: Vec<usize> = b.iter().map(|x| x % 2).collect();
    let h = entropy(&f, 2);
    assert!(close(mutual_information(&f, 2, &b, 5), h, 1e-12));
}

#[test]
fn nearest_neighbour_information_of_separated_and_independent_data() {
    let mut rng = Rng::new(1);
    let n = 4000;
    let d: Vec<usize> = (0..n).map(|i| i % 4).collect();
    // well-separated classes: I(c; d) = H(d) = ln 4
    let c: Vec<f64> = d
        .iter()
        .map(|l| *l as f64 * 10.0 + rng.normal() as f64 * 0.5)
        .collect();
    let separated = mutual_information_cd(&c, &d, 10, &mut rng);
    assert!(close(separated, 4f64.ln(), 0.03), "separated: {separated}");
    // independent: close to 0
    let noise: Vec<f64> = (0..n).map(|_| rng.normal() as f64).collect();
    let independent = mutual_information_cd(&noise, &d, 10, &mut rng);
    assert!(independent < 0.02, "independent: {independent}");
    // overlapping classes: the exact value for two unit Gaussians 2 apart, equal weights, is
    // H(d) − E[H(d | c)] ≈ 0.2654 nats (numerical integration below)
    let d2: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let c2: Vec<f64> = d2
        .iter()
        .map(|l| 2.0 * *l as f64 + rng.normal() as f64)
        .collect();
    let exact = {
        let pdf =
            |x: f64, m: f64| (-(x - m) * (x - m) / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let (mut h, dx) = (0.0, 1e-3);
        let mut x = -10.0;
        while x < 12.0 {
            let (p0, p1) = (0.5 * pdf(x, 0.0), 0.5 * pdf(x, 2.0));
            let p = p0 + p1;
            h += dx * -(p0 * (p0 / p).ln() + p1 * (p1 / p).ln());
            x += dx;
        }
        2f64.ln() - h
    };
    let estimate = mutual_information_cd(&c2, &d2, 10, &mut rng);
    assert!(
        close(estimate, exact, 0.03),
        "estimate {estimate} vs exact {exact}"
    );
}

/// Three independent uniform sources with 4, 5 and 6 values, as columns.
fn sources(n: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    [4usize, 5, 6]
        .iter()
        .map(|k| (0..n).map(|_| rng.below(*k) as f64).collect())
        .collect()
}

#[test]
fn latents_equal_to_the_sources_score_one_even_permuted() {
    let mut rng = Rng::new(2);
    let s = sources(3000, &mut rng);
    let m = modularity(&s, &s, true, &mut rng);
    assert!(
        close(m.infom, 1.0, 0.02) && close(m.infoc, 1.0, 0.02),
        "{m:?}"
    );
    for i in 0..3 {
        assert!(close(m.nmi[i][i], 1.0, 1e-9));
    }
    // permuted and relabelled latents (each a bijection of one source) plus a constant latent
    let mut permuted = vec![
        s[2].iter().map(|v| 7.0 - v).collect::<Vec<_>>(),
        vec![0.5; 3000],
        s[0].clone(),
        s[1].iter().map(|v| v * 3.0).collect(),
    ];
    let p = modularity(&s, &permuted, true, &mut rng);
    assert_eq!(p.active_latents, vec![true, false, true, true]);
    assert!(
        close(p.infom, 1.0, 0.02) && close(p.infoc, 1.0, 0.02),
        "{p:?}"
    );
    // continuous latents: the sources plus small noise
    permuted.remove(1);
    let noisy: Vec<Vec<f64>> = s
        .iter()
        .map(|c| c.iter().map(|v| v + 0.05 * rng.normal() as f64).collect())
        .collect();
    let c = modularity(&s, &noisy, false, &mut rng);
    assert!(c.infom > 0.9 && c.infoc > 0.9, "{c:?}");
}

#[test]
fn independent_noise_and_entangled_latents_score_low() {
    let mut rng = Rng::new(3);
    let s = sources(3000, &mut rng);
    let noise: Vec<Vec<f64>> = (0..6)
        .map(|_| (0..3000).map(|_| rng.below(10) as f64).collect())
        .collect();
    let m = modularity(&s, &noise, true, &mut rng);
    assert!(m.nmi.iter().flatten().all(|v| *v < 0.02), "{:?}", m.nmi);
    // one latent holding two sources at once: its NMI row entries are both 1, so it is not modular
    let entangled = vec![
        s[0].iter()
            .zip(&s[1])
            .map(|(a, b)| a * 10.0 + b)
            .collect::<Vec<f64>>(),
        s[2].clone(),
    ];
    let e = modularity(&s, &entangled, true, &mut rng);
    assert!(close(e.nmi[0][0], 1.0, 1e-9) && close(e.nmi[1][0], 1.0, 1e-9));
    assert!(e.infom < 0.9, "{e:?}");
    assert!(
        e.infoc > 0.95,
        "each source still lives in one latent: {e:?}"
    );
}

#[test]
fn active_latents_follow_the_range_rules() {
    let z = vec![vec![0.0, 1.0], vec![0.0, 0.04], vec![2.0, 2.0]];
    assert_eq!(active_latents(&z, false), vec![true, false, false]);
    assert_eq!(active_latents(&z, true), vec![true, true, false]);
}

#[test]
fn infoe_is_one_when_separable_and_zero_when_not() {
    use genlab::metrics::explicitness::infoe;
    let mut rng = Rng::new(4);
    let s = sources(2000, &mut rng);
    // each source recoverable from the latents: separable, so the log-loss falls to about 0
    let separable = infoe(&s, &s, true);
    assert!(separable > 0.95, "separable: {separable}");
    // latents independent of the sources: nothing to predict with
    let noise: Vec<Vec<f64>> = (0..3)
        .map(|_| (0..2000).map(|_| rng.normal() as f64).collect())
        .collect();
    let unseparable = infoe(&s, &noise, false);
    assert!(unseparable.abs() < 0.02, "unseparable: {unseparable}");
}
