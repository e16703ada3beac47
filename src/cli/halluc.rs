//! `genlab halluc …`: the hallucination lab on the command line, from the lab's config JSON.
//! `--exact` uses the closed-form denoiser of the data mixture (the perfect model) instead of
//! trained weights.
use super::budget::check_memory;
use super::progress::{train_steps, write_weights};
use super::source::{
    read_weights_file, ConfigSource, Draw, LearnedSource, PresetName, TrainOutput,
};
use super::{write_rows, UsageError};
use crate::budget::Budget as _;
use crate::halluc::config::{DenoiserMode, HallucConfig};
use crate::halluc::presets::{preset, PRESETS};
use crate::halluc::recursive::{recursive, Filter, FILTERS};
use crate::halluc::session::Session;
use crate::halluc::train::Trainer;
use crate::lab::{Lab, Trainer as _};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum HallucCommand {
    /// Print a preset's config JSON.
    Config(PresetName),
    /// Train the noise network; writes safetensors weights (progress on stderr).
    Train {
        #[command(flatten)]
        run: TrainOutput,
        /// Start from these weights instead of a fresh network (the optimiser and the
        /// learning-rate schedule start afresh): a second, fine-tuning stage.
        #[arg(long)]
        init: Option<PathBuf>,
    },
    /// Sample with x̂₀ trajectories: CSV x[,y],variance,hallucinated.
    Sample {
        #[command(flatten)]
        model: ModelSource,
    },
    /// The detection report: JSON with the hallucination rate, AUROC and the best operating point.
    Report {
        #[command(flatten)]
        model: ModelSource,
    },
    /// Recursive training: each generation trains on the last one's samples, with no filter,
    /// the variance filter and a random filter; JSON rate per filter per generation.
    Recursive {
        #[command(flatten)]
        source: ConfigSource,
        /// Generations, the first trained on the data.
        #[arg(long, default_value_t = 5)]
        generations: usize,
        /// Run only these filters' lines (comma-separated), e.g. one per process: each line is
        /// the same as in a run of all three.
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = FILTERS)]
        filter: Vec<Filter>,
        /// Train even when the run's estimated memory exceeds what this machine has free.
        #[arg(long)]
        force: bool,
    },
    /// Speed: training steps/s, and the time to sample n whole chains recording x̂₀ (to the
    /// first streamed chunk, and to the end).
    Bench {
        #[command(flatten)]
        source: LearnedSource,
        #[command(flatten)]
        draw: Draw,
        /// Print one JSON line.
        #[arg(long)]
        json: bool,
    },
}

/// Training steps the benchmark times.
const BENCH_TRAIN_STEPS: usize = 50;

/// The config and its weights (or `--exact`), and the sample count and seed.
#[derive(clap::Args)]
pub struct ModelSource {
    #[command(flatten)]
    source: LearnedSource,
    /// Use the exact denoiser of the data mixture.
    #[arg(long)]
    exact: bool,
    #[command(flatten)]
    draw: Draw,
}

impl ModelSource {
    /// The session after its sampling run (with --n/--seed/--exact applied).
    fn run(&self) -> Result<Session, UsageError> {
        let mut config: HallucConfig = self.source.load(PRESETS)?;
        config.n = self.draw.n.unwrap_or(config.n);
        config.seed = self.draw.seed.unwrap_or(config.seed);
        if self.exact {
            config.denoiser = DenoiserMode::Exact;
        }
        crate::config::Validate::validate(&config)?;
        let steps = config.train.steps;
        let mut session = Session::new(config)?;
        if session.trainable() {
            let (path, bytes) = self.source.read_weights(
                "halluc",
                "make one with `genlab halluc train`, or use --exact",
            )?;
            session
                .load_weights(&bytes, steps)
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        }
        session.sample_all().map_err(UsageError)?;
        Ok(session)
    }
}

pub fn run(command: HallucCommand) -> Result<(), UsageError> {
    match command {
        HallucCommand::Config(name) => name.print(preset),
        HallucCommand::Train {
            run: TrainOutput { source, out, force },
            init,
        } => {
            let config: HallucConfig = source.load(PRESETS)?;
            check_memory(&config.estimate(), force)?;
            let mut trainer = Trainer::new(&config)?;
            if let Some(path) = &init {
                let bytes = read_weights_file(path)?;
                trainer
                    .load_weights(&bytes, 0)
                    .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            }
            let trained = train_steps(
                config.train.steps,
                |_| Ok((trainer.learning_rate(), trainer.step()?)),
                |(lr, loss)| format!("loss {loss:.5}  lr {lr:.2e}"),
            );
            write_weights(trained, trainer.weights(), &out, |bytes, finished| {
                source.write_trained("halluc", &out, bytes, finished && init.is_none())
            })
        }
        HallucCommand::Sample { model } => {
            let session = model.run()?;
            let dim = session.dim();
            let flags = session.labels();
            let run = session.run();
            let rows: Vec<f32> = run
                .samples
                .chunks_exact(dim)
                .zip(&run.variance)
                .zip(&flags)
                .flat_map(|((x, v), h)| {
                    x.iter()
                        .copied()
                        .chain([*v, if *h { 1.0 } else { 0.0 }])
                        .collect::<Vec<_>>()
                })
                .collect();
            write_rows(
                &rows,
                dim + 2,
                if dim == 1 {
                    "x,variance,hallucinated"
                } else {
                    "x,y,variance,hallucinated"
                },
            )
        }
        HallucCommand::Report { model } => {
            let session = model.run()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&session.report()).expect("serialises")
            );
            Ok(())
        }
        HallucCommand::Bench { source, draw, json } => bench(&source, &draw, json),
        HallucCommand::Recursive {
            source,
            generations,
            filter,
            force,
        } => {
            let config: HallucConfig = source.load(PRESETS)?;
            check_memory(&config.estimate(), force)?;
            let lineages = recursive(&config, generations, &filter, |filter, g, rate| {
                eprintln!(
                    "{filter:?} filter, generation {g}: {:.2}% hallucinated",
                    100.0 * rate
                );
            })
            .map_err(UsageError)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&lineages).expect("serialises")
            );
            Ok(())
        }
    }
}

/// Times training on a fresh network, then sampling with the preset's weights (or --model).
fn bench(source: &LearnedSource, draw: &Draw, json: bool) -> Result<(), UsageError> {
    let mut config: HallucConfig = source.load(PRESETS)?;
    config.n = draw.n.unwrap_or(config.n);
    config.seed = draw.seed.unwrap_or(config.seed);
    config.denoiser = DenoiserMode::Learned;
    let steps = config.train.steps;
    let mut session = Session::new(config.clone())?;
    let start = std::time::Instant::now();
    session.train(BENCH_TRAIN_STEPS)?;
    let train_per_s = BENCH_TRAIN_STEPS as f64 / start.elapsed().as_secs_f64();
    let mut session = Session::new(config.clone())?;
    let (_, bytes) = source.read_weights("halluc", "make one with `genlab halluc train`")?;
    session.load_weights(&bytes, steps)?;
    session.start_sampling();
    let start = std::time::Instant::now();
    session.sample_chunk().map_err(UsageError)?;
    let first = start.elapsed().as_secs_f64();
    session.sample_rest().map_err(UsageError)?;
    let total = start.elapsed().as_secs_f64();
    if json {
        let report = serde_json::json!({
            "runtime": "native", "trainStepsPerSec": train_per_s, "samples": config.n, "reverseSteps": config.schedule.steps,
            "firstChunkSeconds": first, "sampleSeconds": total,
        });
        println!("{report}");
    } else {
        println!("native: {train_per_s:.1} train steps/s (batch {}); {} samples × {} steps in {total:.1} s (first chunk {first:.2} s)", config.train.batch, config.n, config.schedule.steps);
    }
    Ok(())
}
