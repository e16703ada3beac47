//! `genlab si …`: the stochastic-interpolants lab on the command line, from the same config
//! JSON (or preset name) as the page. Today the fields are the exact ones for Gaussian-mixture
//! endpoints; `--model` joins when training lands.
use super::{write_rows, UsageError};
use crate::config::from_json;
use crate::interpolant::config::InterpolantConfig;
use crate::interpolant::presets::{preset, PRESETS};
use crate::interpolant::sampler::{integrate, Direction};
use crate::rng::{streams, Rng};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SiCommand {
    /// Print a preset's config JSON.
    Config {
        #[arg(long)]
        preset: String,
    },
    /// Carry n particles from ρ₀ to ρ₁ (or back) and print where they end: CSV x,y (x in 1D).
    Sample {
        #[command(flatten)]
        source: ConfigSource,
        #[arg(long)]
        n: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// The drift b and score s at time t at each point of a CSV file: CSV bx,by,sx,sy.
    Field {
        #[command(flatten)]
        source: ConfigSource,
        #[arg(long)]
        t: f64,
        /// CSV of points (x,y per row, or x in 1D); a header row is optional.
        #[arg(long)]
        points: PathBuf,
    },
}

/// `--config C.json` or `--preset NAME`.
#[derive(clap::Args)]
pub struct ConfigSource {
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    #[arg(long)]
    preset: Option<String>,
}

impl ConfigSource {
    fn load(&self) -> Result<InterpolantConfig, UsageError> {
        match (&self.config, &self.preset) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
                Ok(from_json(&text)?)
            }
            (None, Some(name)) => Ok(preset(name)?),
            (None, None) => Err(UsageError("give --config C.json or --preset NAME".into())),
        }
    }
}

/// The preset names, for `genlab presets`.
pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

pub fn run(command: SiCommand) -> Result<(), UsageError> {
    match command {
        SiCommand::Config { preset: name } => {
            println!("{}", serde_json::to_string_pretty(&preset(&name)?).expect("config serialises"));
            Ok(())
        }
        SiCommand::Sample { source, n, seed } => {
            let mut config = source.load()?;
            config.n = n.unwrap_or(config.n);
            config.seed = seed.unwrap_or(config.seed);
            crate::config::Validate::validate(&config)?;
            let points = sample(&config)?;
            write_rows(&points, config.dim(), if config.dim() == 1 { "x" } else { "x,y" })
        }
        SiCommand::Field { source, t, points } => {
            let config = source.load()?;
            if !(0.0..=1.0).contains(&t) {
                return Err(UsageError(format!("t: {t} is out of range; allowed 0 to 1")));
            }
            let fields = config.exact_fields()?;
            let dim = config.dim();
            let x = read_points(&points, dim)?;
            let (b, s) = fields.drift_and_score(t, &x);
            let rows: Vec<f32> = b.chunks_exact(dim).zip(s.chunks_exact(dim)).flat_map(|(b, s)| [b, s].concat()).collect();
            write_rows(&rows, 2 * dim, if dim == 1 { "b,s" } else { "bx,by,sx,sy" })
        }
    }
}

/// Draws the start points (ρ₀ going forward, ρ₁ going backward) and integrates.
pub fn sample(config: &InterpolantConfig) -> Result<Vec<f32>, UsageError> {
    let fields = config.exact_fields()?;
    let start = match config.sampler.direction {
        Direction::Forward => config.source(),
        Direction::Backward => config.rho1.clone(),
    };
    let mut x = start.build()?.sample(config.n, &mut Rng::new(config.seed).stream(streams::DATA));
    let s = &config.sampler;
    integrate(&fields, s.method, s.epsilon, s.direction, s.steps, &mut x, &mut Rng::new(config.seed).stream(streams::SAMPLER));
    Ok(x)
}

/// Reads `dim` numbers per row; a first row that does not parse is taken as a header.
fn read_points(path: &PathBuf, dim: usize) -> Result<Vec<f32>, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let values: Result<Vec<f32>, _> = line.split(',').map(|v| v.trim().parse::<f32>()).collect();
        match values {
            Ok(v) if v.len() == dim && v.iter().all(|x| x.is_finite()) => out.extend(v),
            Err(_) if i == 0 => continue,
            _ => return Err(UsageError(format!("{} line {}: expected {dim} finite numbers", path.display(), i + 1))),
        }
    }
    Ok(out)
}
