//! One hallucination-lab run, shared by the page and the CLI: the data mixture, the noise
//! prediction (trained or exact), and a sampling run that goes in chunks so the page can stream
//! samples in: 25, 50, 100, 200, then [`CHUNK`] at a time, so the first ones finish within about
//! a second. Each chunk draws from its own random stream, so the samples depend only on the
//! config and seed. The run records xₜ and x̂₀ at every `stride`-th reverse
//! step and at every step of the detector's window, for the scrubber and the trajectories.
use super::config::{DenoiserMode, HallucConfig};
use super::exact::{Denoiser, ExactDenoiser};
use super::model::NoiseNet;
use super::report::{labels, report, Report};
use super::sampler::sample;
use super::schedule::Schedule;
use super::train::Trainer;
use crate::config::{ConfigError, Validate};
use crate::data::gmm::GaussianMixture;
use crate::rng::{streams, Rng};

/// Samples per chunk of a sampling run, after the first four smaller ones.
pub const CHUNK: usize = 250;
const FIRST_CHUNK: usize = 25;

/// The index and size of the chunk that starts after `done` samples.
fn chunk_at(done: usize) -> (u64, usize) {
    let (mut index, mut start, mut size) = (0, 0, FIRST_CHUNK);
    while start < done {
        start += size;
        index += 1;
        size = (2 * size).min(CHUNK);
    }
    (index, size)
}
/// Recorded reverse steps outside the window: about this many, evenly spaced.
pub const RECORDED_STEPS: usize = 100;
/// Only the first this-many samples keep their recorded steps (memory: 17 MB at 2D).
pub const MAX_RECORDED: usize = 10_000;

/// xₜ and x̂₀ of the recorded samples at reverse step `t`.
pub struct Frame {
    pub t: usize,
    pub x: Vec<f32>,
    pub x0: Vec<f32>,
}

/// A sampling run in progress or done.
#[derive(Default)]
pub struct Run {
    pub samples: Vec<f32>,
    pub variance: Vec<f32>,
    pub frames: Vec<Frame>,
}

pub struct Session {
    pub config: HallucConfig,
    pub data: GaussianMixture,
    pub schedule: Schedule,
    pub trainer: Option<Trainer>,
    /// The network samples with: the trainer's averaged weights, rebuilt after training.
    net: Option<NoiseNet>,
    exact: ExactDenoiser,
    pub run: Run,
}

impl Session {
    pub fn new(config: HallucConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let data = config.data.gaussian_mixture().expect("validated: a mixture");
        let schedule = config.schedule();
        let trainer = match config.denoiser {
            DenoiserMode::Learned => Some(Trainer::new(&config)?),
            DenoiserMode::Exact => None,
        };
        let exact = ExactDenoiser { data: data.clone(), schedule: schedule.clone() };
        Ok(Self { config, data, schedule, trainer, net: None, exact, run: Run::default() })
    }

    pub fn dim(&self) -> usize {
        self.data.components[0].mean.len()
    }

    /// `k` training steps; their losses. A divergence stops with its message (weights kept).
    pub fn train(&mut self, k: usize) -> Result<Vec<f32>, String> {
        let trainer = self.trainer.as_mut().ok_or("the exact denoiser has nothing to train")?;
        self.net = None;
        (0..k).map(|_| trainer.step()).collect()
    }

    /// Loads safetensors weights (e.g. a shipped preset's) as `steps` steps of training.
    pub fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), String> {
        let trainer = self.trainer.as_mut().ok_or("the exact denoiser takes no weights")?;
        trainer.load_weights(bytes, steps).map_err(|e| e.to_string())?;
        self.net = None;
        Ok(())
    }

    fn denoiser(&mut self) -> Result<&dyn Denoiser, String> {
        let Some(trainer) = &self.trainer else { return Ok(&self.exact) };
        if self.net.is_none() {
            self.net = Some(trainer.sampling_net().map_err(|e| e.to_string())?);
        }
        Ok(self.net.as_ref().expect("just built"))
    }

    /// Starts a fresh sampling run of `config.n` samples.
    pub fn start_sampling(&mut self) {
        self.run = Run::default();
    }

    /// Samples taken so far in this run.
    pub fn sampled(&self) -> usize {
        self.run.variance.len()
    }

    /// Samples the next chunk; returns its (samples, variance). Empty when the run is done.
    pub fn sample_chunk(&mut self) -> Result<(Vec<f32>, Vec<f32>), String> {
        let done = self.sampled();
        let (index, size) = chunk_at(done);
        let count = size.min(self.config.n - done);
        if count == 0 {
            return Ok((vec![], vec![]));
        }
        let mut rng = Rng::new(self.config.seed).stream(streams::indexed(streams::SAMPLER, index));
        let record = done < MAX_RECORDED;
        let (schedule, window) = (self.schedule.clone(), self.config.window);
        // the recorded steps: every `stride`-th and all of the window
        let stride = (schedule.steps() / RECORDED_STEPS).max(1);
        let den = self.denoiser()?;
        let mut frames = Vec::new();
        let chain = sample(den, &schedule, count, window, &mut rng, |t, x, x0| {
            if record && (t % stride == 0 || t < window) {
                frames.push(Frame { t, x: x.to_vec(), x0: x0.to_vec() });
            }
        });
        if record {
            if self.run.frames.is_empty() {
                self.run.frames = frames;
            } else {
                for (run, chunk) in self.run.frames.iter_mut().zip(frames) {
                    run.x.extend(chunk.x);
                    run.x0.extend(chunk.x0);
                }
            }
        }
        self.run.samples.extend(&chain.samples);
        self.run.variance.extend(&chain.variance);
        Ok((chain.samples, chain.variance))
    }

    /// Runs the whole sampling run.
    pub fn sample_all(&mut self) -> Result<(), String> {
        self.start_sampling();
        while self.sampled() < self.config.n {
            self.sample_chunk()?;
        }
        Ok(())
    }

    /// Whether each sample so far is hallucinated (beyond k·σ of every mode).
    pub fn labels(&self) -> Vec<bool> {
        labels(&self.run.samples, &self.data, self.config.k)
    }

    pub fn report(&self) -> Report {
        report(&self.run.samples, &self.run.variance, &self.data, self.config.k)
    }

    /// Sample `i`'s x̂₀ at every recorded step (rows of dim), with the steps.
    pub fn trajectory(&self, i: usize) -> (Vec<usize>, Vec<f32>) {
        let d = self.dim();
        let frames = self.run.frames.iter().filter(|f| f.x0.len() >= (i + 1) * d);
        frames.map(|f| (f.t, &f.x0[i * d..(i + 1) * d])).fold((vec![], vec![]), |(mut ts, mut xs), (t, x)| {
            ts.push(t);
            xs.extend_from_slice(x);
            (ts, xs)
        })
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
            [lo[0] - pad(0), hi[0] + pad(0), lo[1] - pad(1), hi[1] + pad(1)]
        }
    }
}
