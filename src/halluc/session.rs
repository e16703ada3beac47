//! One hallucination-lab run, shared by the page and the CLI: the data mixture, the noise
//! prediction (trained or exact), and a sampling run that goes in chunks so the page can stream
//! samples in: 25, 50, 100, 200, then [`CHUNK`] at a time, so the first ones finish within about
//! a second. Each chunk draws from its own random stream, so the samples depend only on the
//! config and seed. The run records xₜ and x̂₀ at every `stride`-th reverse
//! step and at every step of the detector's window, for the scrubber and the trajectories.
use super::config::{DenoiserMode, HallucConfig};
use super::exact::{Denoiser, ExactDenoiser};
use super::model::FrozenNoiseNet;
use super::report::{labels, mode_sigma, report, Report};
use super::sampler::sample;
use super::schedule::Schedule;
use super::train::Trainer;
use crate::config::{ConfigError, Validate};
use crate::data::gmm::GaussianMixture;
use crate::lab::Lab;
use crate::rng::{streams, Rng};
use rayon::prelude::*;

/// Samples per chunk of a sampling run, after the first four smaller ones.
pub const CHUNK: usize = 250;
const FIRST_CHUNK: usize = 25;

/// The chunks that double from [`FIRST_CHUNK`] before they reach [`CHUNK`].
const RAMP: u64 = 4;

/// The size of chunk `index`: 25, 50, 100, 200, then [`CHUNK`].
fn chunk_size(index: u64) -> usize {
    if index < RAMP {
        FIRST_CHUNK << index
    } else {
        CHUNK
    }
}

/// The first sample of chunk `index`.
fn chunk_start(index: u64) -> usize {
    let ramp = FIRST_CHUNK * ((1 << index.min(RAMP)) - 1);
    ramp + CHUNK * index.saturating_sub(RAMP) as usize
}

/// The first chunk that starts at or after sample `done`.
fn chunk_at(done: usize) -> u64 {
    let ramp_end = chunk_start(RAMP);
    if done > ramp_end {
        return RAMP + (done - ramp_end).div_ceil(CHUNK) as u64;
    }
    (0..=RAMP)
        .find(|&i| chunk_start(i) >= done)
        .expect("chunk_start(RAMP) ≥ done")
}
/// Recorded reverse steps outside the window: about this many, evenly spaced.
pub const RECORDED_STEPS: usize = 100;
/// Only the first this-many samples keep their recorded steps (memory: 17 MB at 2D).
pub const MAX_RECORDED: usize = 10_000;

/// xₜ and x̂₀ of the recorded samples at reverse step `t`.
#[derive(Debug)]
pub struct Frame {
    pub t: usize,
    pub x: Vec<f32>,
    pub x0: Vec<f32>,
}

/// One chunk of a sampling run: its samples, variances and recorded steps.
#[derive(Debug)]
pub struct Chunk {
    pub index: u64,
    pub samples: Vec<f32>,
    pub variance: Vec<f32>,
    pub frames: Vec<Frame>,
}

impl Chunk {
    /// Its numbers in one buffer (to pass between workers): the samples, the variances, then
    /// xₜ and x̂₀ of each recorded step.
    pub fn to_flat(&self) -> Vec<f32> {
        let frames = self.frames.iter().flat_map(|f| f.x.iter().chain(&f.x0));
        self.samples
            .iter()
            .chain(&self.variance)
            .chain(frames)
            .copied()
            .collect()
    }
}

/// A sampling run in progress or done.
#[derive(Default)]
pub struct Run {
    pub samples: Vec<f32>,
    pub variance: Vec<f32>,
    pub frames: Vec<Frame>,
}

pub struct Session {
    config: HallucConfig,
    data: GaussianMixture,
    schedule: Schedule,
    trainer: Option<Trainer>,
    /// The network samples with: the trainer's averaged weights, rebuilt after training.
    net: Option<FrozenNoiseNet>,
    exact: ExactDenoiser,
    run: Run,
}

impl Session {
    pub fn dim(&self) -> usize {
        self.data.components[0].mean.len()
    }

    /// The data mixture.
    pub fn data(&self) -> &GaussianMixture {
        &self.data
    }

    /// The mode centres (one row of dim per mode) and σ of a mode.
    pub fn modes(&self) -> (Vec<f32>, f64) {
        let centres = self
            .data
            .components
            .iter()
            .flat_map(|c| c.mean.iter().copied());
        (centres.collect(), mode_sigma(&self.data))
    }

    /// The sampling run so far.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Freezes the trained network for sampling, once per set of weights.
    fn freeze(&mut self) -> Result<(), String> {
        if let (Some(trainer), None) = (&self.trainer, &self.net) {
            self.net = Some(
                trainer
                    .sampling_net()
                    .and_then(|n| Ok(n.freeze(self.schedule.steps())?))
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(())
    }

    /// The frozen network after [`Self::freeze`], or the exact denoiser.
    fn denoiser(&self) -> &(dyn Denoiser + Sync) {
        match (&self.trainer, &self.net) {
            (Some(_), Some(net)) => net,
            _ => &self.exact,
        }
    }

    /// Starts a fresh sampling run of `config.n` samples.
    pub fn start_sampling(&mut self) {
        self.run = Run::default();
    }

    /// Samples taken so far in this run.
    pub fn sampled(&self) -> usize {
        self.run.variance.len()
    }

    /// The chunks of a run of `config.n` samples.
    pub fn chunk_count(&self) -> usize {
        chunk_at(self.config.n) as usize
    }

    /// The samples chunk `index` holds: (first, count); count is 0 past the run's end.
    pub fn chunk_span(&self, index: u64) -> (usize, usize) {
        let start = chunk_start(index).min(self.config.n);
        (start, chunk_size(index).min(self.config.n - start))
    }

    /// Samples chunk `index` of the run without adding it. Chunks are independent (each has
    /// its own random stream), so any session with this config and these weights makes the
    /// same chunk, in any order: the page spreads them over workers and [`Self::append`]s them.
    pub fn sample_chunk_at(&mut self, index: u64) -> Result<Chunk, String> {
        self.freeze()?;
        Ok(self.chunk(index))
    }

    /// Chunk `index`, after [`Self::freeze`].
    fn chunk(&self, index: u64) -> Chunk {
        let (first, count) = self.chunk_span(index);
        let mut rng = Rng::new(self.config.seed).stream(streams::indexed(streams::SAMPLER, index));
        let record = first < MAX_RECORDED;
        let (schedule, window) = (self.schedule.clone(), self.config.window);
        let is_recorded = self.recording();
        let recorded = |t: usize| record && is_recorded(t);
        let den = self.denoiser();
        let mut frames = Vec::new();
        let chain = sample(den, &schedule, count, window, &mut rng, |t, x, x0| {
            if recorded(t) {
                frames.push(Frame {
                    t,
                    x: x.to_vec(),
                    x0: x0.to_vec(),
                });
            }
        });
        Chunk {
            index,
            samples: chain.samples,
            variance: chain.variance,
            frames,
        }
    }

    /// Which reverse steps are recorded: every `stride`-th and all of the window.
    fn recording(&self) -> impl Fn(usize) -> bool {
        let (stride, window) = (
            (self.schedule.steps() / RECORDED_STEPS).max(1),
            self.config.window,
        );
        move |t| t % stride == 0 || t < window
    }

    /// A chunk from [`Chunk::to_flat`]'s numbers; a length that does not fit is refused.
    pub fn chunk_from_flat(&self, index: u64, flat: &[f32]) -> Result<Chunk, String> {
        let (first, count) = self.chunk_span(index);
        let dim = self.dim();
        let is_recorded = self.recording();
        let steps: Vec<usize> = if first < MAX_RECORDED {
            (0..self.schedule.steps())
                .rev()
                .filter(|t| is_recorded(*t))
                .collect()
        } else {
            vec![]
        };
        let expected = count * (dim + 1) + steps.len() * 2 * count * dim;
        if flat.len() != expected {
            return Err(format!(
                "chunk {index}: {} numbers, expected {expected}",
                flat.len()
            ));
        }
        let (samples, rest) = flat.split_at(count * dim);
        let (variance, mut rest) = rest.split_at(count);
        let frames = steps
            .into_iter()
            .map(|t| {
                let (x, after) = rest.split_at(count * dim);
                let (x0, after) = after.split_at(count * dim);
                rest = after;
                Frame {
                    t,
                    x: x.to_vec(),
                    x0: x0.to_vec(),
                }
            })
            .collect();
        Ok(Chunk {
            index,
            samples: samples.to_vec(),
            variance: variance.to_vec(),
            frames,
        })
    }

    /// Adds the run's next chunk; a chunk out of order is refused.
    pub fn append(&mut self, chunk: Chunk) -> Result<(), String> {
        let (first, count) = self.chunk_span(chunk.index);
        if first != self.sampled() || chunk.variance.len() != count {
            return Err(format!(
                "chunk {} does not follow the {} samples so far",
                chunk.index,
                self.sampled()
            ));
        }
        if self.run.frames.is_empty() {
            self.run.frames = chunk.frames;
        } else {
            for (run, frame) in self.run.frames.iter_mut().zip(chunk.frames) {
                run.x.extend(frame.x);
                run.x0.extend(frame.x0);
            }
        }
        self.run.samples.extend(chunk.samples);
        self.run.variance.extend(chunk.variance);
        Ok(())
    }

    /// Samples and adds the next chunk; returns its (samples, variance). Empty when the run is
    /// done.
    pub fn sample_chunk(&mut self) -> Result<(Vec<f32>, Vec<f32>), String> {
        if self.sampled() >= self.config.n {
            return Ok((vec![], vec![]));
        }
        let index = chunk_at(self.sampled());
        let chunk = self.sample_chunk_at(index)?;
        let out = (chunk.samples.clone(), chunk.variance.clone());
        self.append(chunk)?;
        Ok(out)
    }

    /// Runs the whole sampling run.
    pub fn sample_all(&mut self) -> Result<(), String> {
        self.start_sampling();
        self.sample_rest()
    }

    /// Samples the run's remaining chunks on every thread (rayon's; the current thread alone in
    /// the single-threaded wasm build) and appends them in order: chunks are independent, so the
    /// run is the same whatever the thread count.
    pub fn sample_rest(&mut self) -> Result<(), String> {
        self.freeze()?;
        let (next, count) = (chunk_at(self.sampled()), self.chunk_count() as u64);
        let chunks: Vec<Chunk> = (next..count)
            .into_par_iter()
            .map(|index| self.chunk(index))
            .collect();
        chunks.into_iter().try_for_each(|chunk| self.append(chunk))
    }

    /// Whether each sample so far is hallucinated (beyond k·σ of every mode).
    pub fn labels(&self) -> Vec<bool> {
        labels(&self.run.samples, &self.data, self.config.k)
    }

    pub fn report(&self) -> Report {
        report(
            &self.run.samples,
            &self.run.variance,
            &self.data,
            self.config.k,
        )
    }

    /// Sample `i`'s x̂₀ at every recorded step (rows of dim), with the steps.
    pub fn trajectory(&self, i: usize) -> (Vec<usize>, Vec<f32>) {
        let d = self.dim();
        let frames = self.run.frames.iter().filter(|f| f.x0.len() >= (i + 1) * d);
        frames.map(|f| (f.t, &f.x0[i * d..(i + 1) * d])).fold(
            (vec![], vec![]),
            |(mut ts, mut xs), (t, x)| {
                ts.push(t);
                xs.extend_from_slice(x);
                (ts, xs)
            },
        )
    }

    /// `[x0, x1, y0, y1]` around the modes (with room for the chain's early spread).
    pub fn extent(&self) -> [f32; 4] {
        let d = self.dim();
        let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
        for c in &self.data.components {
            for k in 0..d {
                lo[k] = lo[k].min(c.mean[k]);
                hi[k] = hi[k].max(c.mean[k]);
            }
        }
        let pad = |k: usize| 0.25 * (hi[k] - lo[k]).max(0.5);
        if d == 1 {
            [lo[0] - pad(0), hi[0] + pad(0), 0.0, 1.0]
        } else {
            [
                lo[0] - pad(0),
                hi[0] + pad(0),
                lo[1] - pad(1),
                hi[1] + pad(1),
            ]
        }
    }
}

impl Lab for Session {
    type Config = HallucConfig;
    type Trainer = Trainer;
    const EXACT: &'static str = "the exact denoiser";

    fn new(config: HallucConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let data = config
            .data
            .gaussian_mixture()
            .expect("validated: a mixture");
        let schedule = config.schedule();
        let trainer = match config.denoiser {
            DenoiserMode::Learned => Some(Trainer::new(&config)?),
            DenoiserMode::Exact => None,
        };
        let exact = ExactDenoiser {
            data: data.clone(),
            schedule: schedule.clone(),
        };
        Ok(Self {
            config,
            data,
            schedule,
            trainer,
            net: None,
            exact,
            run: Run::default(),
        })
    }

    fn config(&self) -> &HallucConfig {
        &self.config
    }

    fn trainer(&self) -> Option<&Trainer> {
        self.trainer.as_ref()
    }

    fn trainer_mut(&mut self) -> Option<&mut Trainer> {
        self.trainer.as_mut()
    }

    /// The sampling network is built from the weights; the next sample builds it again.
    fn weights_changed(&mut self) {
        self.net = None;
    }
}
