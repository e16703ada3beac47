//! `genlab si …`: the stochastic-interpolants lab on the command line, from the same config
//! JSON (or preset name) as the page: exact fields for Gaussian-mixture endpoints, or learned
//! ones from `--model` weights (a preset's shipped weights by default).
use super::budget::check_memory;
use super::progress::{train_steps, write_weights};
use super::source::{BenchArgs, Draw, LearnedSource, PresetName, TrainOutput};
use super::table::read_points;
use super::{write_rows, UsageError};
use crate::budget::Budget as _;
use crate::interpolant::config::FieldsMode;
use crate::interpolant::config::InterpolantConfig;
use crate::interpolant::presets::{preset, PRESETS};
use crate::interpolant::session::Session;
use crate::interpolant::train::Trainer;
use crate::lab::{Lab, Trainer as _};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SiCommand {
    /// Print a preset's config JSON.
    Config(PresetName),
    /// Train the drift and score networks; writes safetensors weights (progress on stderr).
    Train {
        #[command(flatten)]
        run: TrainOutput,
        /// Train this many steps instead of the config's train.steps.
        #[arg(long)]
        steps: Option<usize>,
    },
    /// Carry n particles from ρ₀ to ρ₁ (or back) and print where they end: CSV x,y (x in 1D).
    Sample {
        #[command(flatten)]
        source: LearnedSource,
        #[command(flatten)]
        draw: Draw,
    },
    /// The drift b and score s at time t at each point of a CSV file: CSV bx,by,sx,sy.
    Field {
        #[command(flatten)]
        source: LearnedSource,
        #[arg(long)]
        t: f64,
        /// CSV of points (x,y per row, or x in 1D); a header row is optional.
        #[arg(long)]
        points: PathBuf,
    },
    /// Speed of the lab: training steps/s, sampler frames/s (one step of every particle), and
    /// the training time until ≥ 90% of SDE samples land inside a checkerboard target.
    Bench(BenchArgs),
    /// Sample and score the result: JSON with the energy distance to the target, its noise
    /// floor, the ODE log-likelihood and (checkerboard target) the share inside the squares.
    Eval {
        #[command(flatten)]
        source: LearnedSource,
        #[command(flatten)]
        draw: Draw,
    },
}

impl LearnedSource {
    /// A session for `config`, with the weights loaded when the fields are learned.
    fn session(&self, config: InterpolantConfig) -> Result<Session, UsageError> {
        let learned = config.fields == FieldsMode::Learned;
        let steps = config.train.steps;
        let mut session = Session::new(config)?;
        if learned {
            let (path, bytes) = self.read_weights("si", "make one with `genlab si train`")?;
            session
                .load_weights(&bytes, steps)
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        }
        Ok(session)
    }
}

pub fn run(command: SiCommand) -> Result<(), UsageError> {
    match command {
        SiCommand::Config(name) => name.print(preset),
        SiCommand::Train {
            run: TrainOutput { source, out, force },
            steps,
        } => {
            let mut config = source.load::<InterpolantConfig>(PRESETS)?;
            config.fields = FieldsMode::Learned;
            config.train.steps = steps.unwrap_or(config.train.steps);
            crate::config::Validate::validate(&config)?;
            check_memory(&config.estimate(), force)?;
            let mut trainer = Trainer::new(&config)?;
            let trained = train_steps(
                config.train.steps,
                |_| trainer.step(),
                |l| format!("drift loss {:.4}  score loss {:.4}", l.drift, l.score),
            );
            write_weights(trained, trainer.weights(), &out, |bytes, finished| {
                source.write_trained("si", &out, bytes, finished && steps.is_none())
            })
        }
        SiCommand::Sample { source, draw } => {
            let config = source.load::<InterpolantConfig>(PRESETS)?;
            let session = sampled(&source, config, &draw)?;
            write_rows(
                session.particles(),
                session.dim(),
                if session.dim() == 1 { "x" } else { "x,y" },
            )
        }
        SiCommand::Field { source, t, points } => {
            let config = source.load::<InterpolantConfig>(PRESETS)?;
            if !(0.0..=1.0).contains(&t) {
                return Err(UsageError(format!(
                    "t: {t} is out of range; allowed 0 to 1"
                )));
            }
            let session = source.session(config)?;
            let dim = session.dim();
            let x = read_points(&points, dim)?;
            let (b, s) = session.fields().eval(t, &x, true);
            let rows: Vec<f32> = b
                .chunks_exact(dim)
                .zip(s.chunks_exact(dim))
                .flat_map(|(b, s)| [b, s].concat())
                .collect();
            write_rows(&rows, 2 * dim, if dim == 1 { "b,s" } else { "bx,by,sx,sy" })
        }
        SiCommand::Bench(BenchArgs { source, json }) => {
            bench(&source.load::<InterpolantConfig>(PRESETS)?, json)
        }
        SiCommand::Eval { source, draw } => {
            let config = source.load::<InterpolantConfig>(PRESETS)?;
            let session = sampled(&source, config, &draw)?;
            let metrics = session.metrics(1000);
            let inside = inside_fraction(session.config(), session.particles())?;
            let json = serde_json::json!({
                "energy_distance": metrics.energy_distance,
                "energy_distance_floor": metrics.energy_distance_floor,
                "log_likelihood": metrics.log_likelihood,
                "log_likelihood_exact": metrics.log_likelihood_exact,
                "inside_fraction": inside,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json).expect("serialises")
            );
            Ok(())
        }
    }
}

/// The session with its particles carried through the whole grid.
fn sampled(
    source: &LearnedSource,
    mut config: InterpolantConfig,
    draw: &Draw,
) -> Result<Session, UsageError> {
    config.n = draw.n.unwrap_or(config.n);
    config.seed = draw.seed.unwrap_or(config.seed);
    let epsilon = config.sampler.epsilon;
    let mut session = source.session(config)?;
    session.advance(usize::MAX, epsilon);
    Ok(session)
}

/// Share of 2D points inside the checkerboard's squares (None for other targets).
fn inside_fraction(config: &InterpolantConfig, points: &[f32]) -> Result<Option<f64>, UsageError> {
    if config.rho1.name() != "checkerboard" {
        return Ok(None);
    }
    let target = config.rho1.build()?;
    let k = points
        .chunks_exact(2)
        .filter(|p| target.log_density(p).is_some_and(f32::is_finite))
        .count();
    Ok(Some(k as f64 / (points.len() / 2) as f64))
}

/// Trains in chunks of 250 steps, sampling after each, until the config's steps are done.
fn bench(config: &InterpolantConfig, json: bool) -> Result<(), UsageError> {
    const CHUNK: usize = 250;
    let mut config = config.clone();
    config.fields = FieldsMode::Learned;
    let mut session = Session::new(config.clone())?;
    let epsilon = config.sampler.epsilon;
    let (mut train_s, mut sample_s, mut frames) = (0.0, 0.0, 0usize);
    let mut to_90 = None;
    let mut inside = None;
    let mut steps = 0;
    while steps < config.train.steps {
        let k = CHUNK.min(config.train.steps - steps);
        let start = std::time::Instant::now();
        session.train(k).map_err(|e| UsageError(e.to_string()))?;
        train_s += start.elapsed().as_secs_f64();
        steps += k;
        let start = std::time::Instant::now();
        session.reset_particles();
        frames += session.advance(usize::MAX, epsilon);
        sample_s += start.elapsed().as_secs_f64();
        inside = inside_fraction(&config, session.particles())?;
        if to_90.is_none() && inside.is_some_and(|f| f >= 0.9) {
            to_90 = Some((steps, train_s));
        }
    }
    let (steps_per_s, frames_per_s) = (steps as f64 / train_s, frames as f64 / sample_s);
    if json {
        let report = serde_json::json!({
            "runtime": "native", "trainStepsPerSec": steps_per_s, "framesPerSec": frames_per_s, "particles": config.n,
            "stepsTo90": to_90.map(|t| t.0), "secondsTo90": to_90.map(|t| t.1), "finalInside": inside,
        });
        println!("{report}");
    } else {
        println!("native: {steps_per_s:.1} train steps/s, {frames_per_s:.1} sampler frames/s with {} particles", config.n);
        match to_90 {
            Some((k, secs)) => println!("≥ 90% inside after {k} steps, {secs:.1} s of training"),
            None => println!("never ≥ 90% inside (last: {inside:?})"),
        }
    }
    Ok(())
}
