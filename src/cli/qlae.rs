//! `genlab qlae …`: the latent-quantization lab on the command line, from the lab's config JSON.
use super::budget::check_memory;
use super::progress::{train_steps, write_weights};
use super::source::{BenchArgs, ConfigSource, LearnedSource, PresetName, TrainOutput};
use super::UsageError;
use crate::budget::Budget as _;
use crate::lab::{Lab as _, Trainer as _};
use crate::qlae::config::QlaeConfig;
use crate::qlae::eval::evaluate;
use crate::qlae::presets::{preset, PRESETS};
use crate::qlae::preview::Preview;
use crate::qlae::session::Session;
use crate::qlae::train::Trainer;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum QlaeCommand {
    /// Print a preset's config JSON.
    Config(PresetName),
    /// Train the autoencoder; writes safetensors weights (progress on stderr).
    Train {
        #[command(flatten)]
        run: TrainOutput,
        /// Also print InfoMEC and PSNR to stderr every this many steps.
        #[arg(long)]
        eval_every: Option<usize>,
        /// Override the config's seed (weights, batches and held-out images).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Speed: training steps/s on a fresh network, and the time to score it.
    Bench(BenchArgs),
    /// InfoM, InfoE, InfoC, PSNR and the NMI matrix of trained weights, as JSON.
    Eval {
        #[command(flatten)]
        source: LearnedSource,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// A preset's first pictures as JSON (`NAME.preview.json`), which the page paints while
    /// the weights download.
    Preview {
        #[command(flatten)]
        source: LearnedSource,
        /// Where to write the JSON.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

pub fn run(command: QlaeCommand) -> Result<(), UsageError> {
    match command {
        QlaeCommand::Config(name) => name.print(preset),
        QlaeCommand::Train {
            run: TrainOutput { source, out, force },
            eval_every,
            seed,
        } => {
            let mut config: QlaeConfig = source.load(PRESETS)?;
            config.seed = seed.unwrap_or(config.seed);
            check_memory(&config.estimate(), force)?;
            let mut trainer = Trainer::new(&config)?;
            let step = |k: usize| {
                let losses = trainer.step()?;
                if eval_every.is_some_and(|e| e > 0 && k.is_multiple_of(e)) {
                    let e = evaluate(trainer.model(), &config)?;
                    eprintln!(
                        "step {k}  InfoM {:.3}  InfoE {:.3}  InfoC {:.3}  PSNR {:.2} dB",
                        e.infom, e.infoe, e.infoc, e.psnr
                    );
                }
                Ok(losses)
            };
            let trained = train_steps(config.train.steps, step, |l| {
                format!(
                    "loss {:.5}  bce {:.5}  quantization {:.5}  commitment {:.5}  kl {:.5}",
                    l.total, l.reconstruction, l.quantization, l.commitment, l.kl
                )
            });
            write_weights(trained, trainer.weights(), &out, |bytes, finished| {
                source.write_trained("qlae", &out, bytes, finished && seed.is_none())
            })
        }
        QlaeCommand::Bench(BenchArgs { source, json }) => bench(&source, json),
        QlaeCommand::Eval { source, seed } => {
            let e = learned(&source, seed)?.evaluate().map_err(UsageError)?;
            println!("{}", serde_json::to_string_pretty(&e).expect("serialises"));
            Ok(())
        }
        QlaeCommand::Preview { source, out } => {
            let preview = Preview::of(&learned(&source, None)?).map_err(UsageError)?;
            let json = serde_json::to_string(&preview).expect("serialises");
            std::fs::write(&out, json)
                .map_err(|e| UsageError(format!("cannot write {}: {e}", out.display())))
        }
    }
}

/// A session of `source`'s config (its seed replaced by `seed`) holding its trained weights.
fn learned(source: &LearnedSource, seed: Option<u64>) -> Result<Session, UsageError> {
    let mut config: QlaeConfig = source.load(PRESETS)?;
    config.seed = seed.unwrap_or(config.seed);
    let steps = config.train.steps;
    let mut session = Session::new(config)?;
    let (path, bytes) = source.read_weights("qlae", "make one with `genlab qlae train`")?;
    session
        .load_weights(&bytes, steps)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    Ok(session)
}

/// Training steps the benchmark times.
const BENCH_TRAIN_STEPS: usize = 100;

/// Times training steps on a fresh network, then one evaluation.
fn bench(source: &ConfigSource, json: bool) -> Result<(), UsageError> {
    let config: QlaeConfig = source.load(PRESETS)?;
    let mut trainer = Trainer::new(&config)?;
    trainer.step()?; // warm-up
    let start = std::time::Instant::now();
    for _ in 0..BENCH_TRAIN_STEPS {
        trainer.step()?;
    }
    let train_per_s = BENCH_TRAIN_STEPS as f64 / start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    evaluate(trainer.model(), &config).map_err(|e| UsageError(e.to_string()))?;
    let eval_seconds = start.elapsed().as_secs_f64();
    if json {
        let report = serde_json::json!({ "runtime": "native", "trainStepsPerSec": train_per_s, "batch": config.train.batch, "evalSeconds": eval_seconds, "evalSize": config.eval_size });
        println!("{report}");
    } else {
        println!("native: {train_per_s:.1} train steps/s (batch {}); scoring {} images in {eval_seconds:.2} s", config.train.batch, config.eval_size);
    }
    Ok(())
}
