//! Recursive training (Aithal et al. 2024, model collapse): generation 0 trains on the data; each
//! later generation trains a fresh network on the previous generation's samples (the same count,
//! `trainSize`). Three filters pick those samples: none; variance (draw 2.5% extra and drop the
//! 2.5% with the highest trajectory variance); random (draw 2.5% extra and drop 2.5% at random).
//! Generation 0 is shared by the three. The hallucination rate of each generation's samples
//! (before filtering) is tracked.
use super::config::HallucConfig;
use super::report::labels;
use super::sampler::sample;
use super::train::Trainer;
use crate::config::ConfigError;
use crate::lab::Trainer as _;
use crate::rng::{streams, Rng};
use serde::Serialize;

/// Share of extra samples drawn and then dropped by the variance and random filters.
pub const DROP: f64 = 0.025;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Filter {
    None,
    Variance,
    Random,
}

pub const FILTERS: [Filter; 3] = [Filter::None, Filter::Variance, Filter::Random];

/// One filter's hallucination rate per generation (index 0: trained on the data).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lineage {
    pub filter: Filter,
    pub hallucination_rate: Vec<f64>,
}

/// Which of `n_drawn` samples survive `filter`, keeping `keep` of them (in drawn order).
pub fn survivors(filter: Filter, variance: &[f32], keep: usize, rng: &mut Rng) -> Vec<usize> {
    let n = variance.len();
    let mut order: Vec<usize> = (0..n).collect();
    match filter {
        Filter::None => {}
        Filter::Variance => order.sort_by(|a, b| variance[*a].total_cmp(&variance[*b])),
        Filter::Random => {
            // Fisher–Yates with the seeded stream
            for i in (1..n).rev() {
                order.swap(i, rng.below(i + 1));
            }
        }
    }
    let mut kept: Vec<usize> = order.into_iter().take(keep).collect();
    kept.sort_unstable();
    kept
}

/// Trains `config.train.steps` steps on `data` and samples `count` chains; returns (samples,
/// variance). `tag` separates the random streams of each generation and filter.
fn generation(
    config: &HallucConfig,
    data: Vec<f32>,
    dim: usize,
    count: usize,
    tag: u64,
) -> Result<(Vec<f32>, Vec<f32>), String> {
    let mut cfg = config.clone();
    cfg.seed = config.seed.wrapping_add(tag);
    let mut trainer =
        Trainer::with_data(&cfg, data, dim).map_err(|e: ConfigError| e.to_string())?;
    for _ in 0..config.train.steps {
        trainer.step().map_err(|e| e.to_string())?;
    }
    let net = trainer
        .sampling_net()
        .and_then(|n| Ok(n.freeze(config.schedule.steps)?))
        .map_err(|e| e.to_string())?;
    let mut rng = Rng::new(config.seed).stream(streams::indexed(streams::SAMPLER, 1000 + tag));
    let chain = sample(
        &net,
        &config.schedule(),
        count,
        config.window,
        &mut rng,
        |_, _, _| {},
    );
    Ok((chain.samples, chain.variance))
}

/// Recursive training one generation at a time (the page runs it between other work): the
/// shared generation 0 first, then generations 1.. of each filter in turn.
pub struct Recursion {
    config: HallucConfig,
    generations: usize,
    mixture: crate::data::gmm::GaussianMixture,
    dim: usize,
    /// The filters run, as indices into [`FILTERS`] (their random streams depend on the index,
    /// so a line run alone reproduces the same line run with the others).
    filters: Vec<usize>,
    /// Generation 0's samples and variances, shared by the filters.
    first: Option<(Vec<f32>, Vec<f32>)>,
    /// The position in `filters` and the generation the next call runs.
    filter: usize,
    generation: usize,
    /// The last generation's samples and variances in the current filter's line.
    current: (Vec<f32>, Vec<f32>),
    lineages: Vec<Lineage>,
}

/// Most generations a recursion may run.
pub const MAX_GENERATIONS: usize = 20;

impl Recursion {
    /// All three filters; checks the generation count (1 to [`MAX_GENERATIONS`]) and that the
    /// data is a mixture.
    pub fn new(config: &HallucConfig, generations: usize) -> Result<Self, String> {
        Self::with_filters(config, generations, &FILTERS)
    }

    /// Only `filters` (in [`FILTERS`] order, each once), so lines can run in separate processes.
    pub fn with_filters(
        config: &HallucConfig,
        generations: usize,
        filters: &[Filter],
    ) -> Result<Self, String> {
        let filters: Vec<usize> = (0..FILTERS.len())
            .filter(|i| filters.contains(&FILTERS[*i]))
            .collect();
        if filters.is_empty() {
            return Err("filters: choose at least one of none, variance, random".into());
        }
        if !(1..=MAX_GENERATIONS).contains(&generations) {
            return Err(format!(
                "generations: {generations} is out of range; allowed 1 to {MAX_GENERATIONS}"
            ));
        }
        let mixture = config
            .data
            .gaussian_mixture()
            .ok_or("recursive training needs mixture data")?;
        let dim = mixture.components[0].mean.len();
        Ok(Self {
            config: config.clone(),
            generations,
            mixture,
            dim,
            lineages: filters
                .iter()
                .map(|&i| Lineage {
                    filter: FILTERS[i],
                    hallucination_rate: vec![],
                })
                .collect(),
            filters,
            first: None,
            filter: 0,
            generation: 0,
            current: (vec![], vec![]),
        })
    }

    /// Runs the next generation; `None` when every filter has all its generations. Returns the
    /// filter, the generation and the hallucination rate of that generation's samples.
    pub fn next_generation(&mut self) -> Option<Result<(Filter, usize, f64), String>> {
        if self.filter >= self.filters.len() {
            return None;
        }
        Some(self.run_next())
    }

    fn run_next(&mut self) -> Result<(Filter, usize, f64), String> {
        let (config, dim, n) = (&self.config, self.dim, self.config.train_size);
        let extra = n + (n as f64 * DROP).round() as usize;
        let (line, g) = (self.filter, self.generation);
        let f = self.filters[line];
        if g == 0 {
            if self.first.is_none() {
                let density = config.data.build().map_err(|e| e.to_string())?;
                let data = density.sample(n, &mut Rng::new(config.seed).stream(streams::DATA));
                self.first = Some(generation(config, data, dim, extra, 0)?);
            }
            self.current = self.first.clone().expect("made above");
        } else {
            let tag = (f * self.generations + g) as u64;
            let mut keep_rng =
                Rng::new(config.seed).stream(streams::indexed(streams::TRAINING, 1000 + tag));
            let (samples, variance) = &self.current;
            let kept = survivors(FILTERS[f], variance, n, &mut keep_rng);
            let data: Vec<f32> = kept
                .iter()
                .flat_map(|&i| samples[i * dim..(i + 1) * dim].iter().copied())
                .collect();
            self.current = generation(config, data, dim, extra, tag)?;
        }
        // the rate of what this generation's model draws (the first n of its samples)
        let h = labels(&self.current.0[..n * dim], &self.mixture, config.k);
        let rate = h.iter().filter(|x| **x).count() as f64 / h.len().max(1) as f64;
        self.lineages[line].hallucination_rate.push(rate);
        self.generation += 1;
        if self.generation == self.generations {
            (self.filter, self.generation) = (line + 1, 0);
        }
        Ok((FILTERS[f], g, rate))
    }

    /// Each filter's rates so far.
    pub fn lineages(&self) -> &[Lineage] {
        &self.lineages
    }
}

/// Runs `generations` generations for each of `filters`; `progress(filter, generation, rate)`
/// hears of each one as it ends.
pub fn recursive(
    config: &HallucConfig,
    generations: usize,
    filters: &[Filter],
    mut progress: impl FnMut(Filter, usize, f64),
) -> Result<Vec<Lineage>, String> {
    let mut recursion = Recursion::with_filters(config, generations, filters)?;
    while let Some(step) = recursion.next_generation() {
        let (filter, g, rate) = step?;
        progress(filter, g, rate);
    }
    Ok(recursion.lineages().to_vec())
}
