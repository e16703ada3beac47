//! `genlab halluc …`: the hallucination lab on the command line, from the lab's config JSON.
//! `--exact` uses the closed-form denoiser of the data mixture (the perfect model) instead of
//! trained weights.
use super::{write_rows, UsageError};
use crate::config::from_json;
use crate::halluc::config::HallucConfig;
use crate::halluc::exact::{Denoiser, ExactDenoiser};
use crate::halluc::model::NoiseNet;
use crate::halluc::report::{labels, report};
use crate::halluc::sampler::{sample, Chain};
use crate::halluc::train::Trainer;
use crate::rng::{streams, Rng};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum HallucCommand {
    /// Train the noise network; writes safetensors weights (progress on stderr).
    Train {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        out: PathBuf,
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
}

/// The config, the weights (or `--exact`), and the sample count and seed.
#[derive(clap::Args)]
pub struct ModelSource {
    #[arg(long)]
    config: PathBuf,
    #[arg(long, conflicts_with = "exact")]
    model: Option<PathBuf>,
    /// Use the exact denoiser of the data mixture.
    #[arg(long)]
    exact: bool,
    #[arg(long)]
    n: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
}

fn load(path: &PathBuf) -> Result<HallucConfig, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    Ok(from_json(&text)?)
}

impl ModelSource {
    /// The config (with --n/--seed applied) and the chain it samples.
    fn run(&self) -> Result<(HallucConfig, Chain), UsageError> {
        let mut config = load(&self.config)?;
        config.n = self.n.unwrap_or(config.n);
        config.seed = self.seed.unwrap_or(config.seed);
        crate::config::Validate::validate(&config)?;
        let schedule = config.schedule();
        let data = config.data.gaussian_mixture().expect("validated: a mixture");
        let denoiser: Box<dyn Denoiser> = if self.exact {
            Box::new(ExactDenoiser { data, schedule: schedule.clone() })
        } else {
            let path = self.model.as_ref().ok_or_else(|| UsageError("give --model M.safetensors or --exact".into()))?;
            let bytes = std::fs::read(path).map_err(|e| UsageError(format!("cannot read weights {}: {e}", path.display())))?;
            let dim = config.data.build()?.dim();
            let mut net = NoiseNet::new(dim, config.train.width, &mut Rng::new(0)).map_err(|e| UsageError(e.to_string()))?;
            net.params.load_safetensors(&bytes).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            Box::new(net)
        };
        let mut rng = Rng::new(config.seed).stream(streams::SAMPLER);
        let chain = sample(denoiser.as_ref(), &schedule, config.n, config.window, &mut rng, |_, _, _| {});
        Ok((config, chain))
    }
}

pub fn run(command: HallucCommand) -> Result<(), UsageError> {
    match command {
        HallucCommand::Train { config, out } => {
            let config = load(&config)?;
            let mut trainer = Trainer::new(&config)?;
            let total = config.train.steps;
            let started = std::time::Instant::now();
            for k in 1..=total {
                let loss = trainer.step().map_err(UsageError)?;
                if k % (total / 20).max(1) == 0 || k == total {
                    eprintln!(
                        "step {k}/{total}  loss {loss:.5}  lr {:.2e}  {:.1} steps/s",
                        trainer.learning_rate(),
                        k as f64 / started.elapsed().as_secs_f64()
                    );
                }
            }
            let bytes = trainer.weights().map_err(|e| UsageError(e.to_string()))?;
            std::fs::write(&out, bytes).map_err(|e| UsageError(format!("cannot write {}: {e}", out.display())))
        }
        HallucCommand::Sample { model } => {
            let (config, chain) = model.run()?;
            let data = config.data.gaussian_mixture().expect("validated: a mixture");
            let dim = data.components[0].mean.len();
            let flags = labels(&chain.samples, &data, config.k);
            let rows: Vec<f32> = chain
                .samples
                .chunks_exact(dim)
                .zip(&chain.variance)
                .zip(&flags)
                .flat_map(|((x, v), h)| x.iter().copied().chain([*v, if *h { 1.0 } else { 0.0 }]).collect::<Vec<_>>())
                .collect();
            write_rows(&rows, dim + 2, if dim == 1 { "x,variance,hallucinated" } else { "x,y,variance,hallucinated" })
        }
        HallucCommand::Report { model } => {
            let (config, chain) = model.run()?;
            let data = config.data.gaussian_mixture().expect("validated: a mixture");
            let r = report(&chain.samples, &chain.variance, &data, config.k);
            println!("{}", serde_json::to_string_pretty(&r).expect("serialises"));
            Ok(())
        }
    }
}
