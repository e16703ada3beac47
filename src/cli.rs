//! `genlab`: the command-line front end over the same core as the page.
//! (`src/bin/genlab.rs` only calls [`main`].)
mod budget;
mod halluc;
mod malloc;
mod metrics;
mod pipe;
mod progress;
mod qlae;
mod si;
mod source;
mod table;
mod threads;

pub use malloc::Reporting as Allocator;

use crate::bench::{BenchWorkload, BATCH, FORWARD_POINTS};
use crate::config::{from_json, preset_note, ConfigError};
use crate::data::library::DatasetConfig;
use crate::data::session::{DataConfig, DataSession};
use crate::nn::guard::TrainError;
use crate::serve::{ServeOptions, Site};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "genlab",
    version,
    about = "Train and sample small generative models: the GenLab core on the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (www/ and the wasm build in pkg/).
    Serve {
        #[arg(long, default_value = "www")]
        dir: PathBuf,
        /// The wasm-bindgen output, served at /pkg/ (omit when `dir` already holds pkg/).
        #[arg(long)]
        pkg: Option<PathBuf>,
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Send COOP/COEP headers: the pages are cross-origin isolated and run the threaded core.
        #[arg(long)]
        isolate: bool,
        /// Connections served at once [default: from the open-file limit, 480 under 1,024].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: Option<u32>,
    },
    /// The density library.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// The stochastic-interpolants lab.
    Si {
        #[command(subcommand)]
        command: si::SiCommand,
    },
    /// The diffusion-hallucination lab.
    Halluc {
        #[command(subcommand)]
        command: halluc::HallucCommand,
    },
    /// The latent-quantization lab.
    Qlae {
        #[command(subcommand)]
        command: qlae::QlaeCommand,
    },
    /// Metrics on data from files.
    Metrics {
        #[command(subcommand)]
        command: metrics::MetricsCommand,
    },
    /// List every lab's presets with what each shows.
    Presets,
    /// Time the shared workload (MLP 3→256×3→2, SiLU, AdamW, batch 1024; forward over 5,000 points).
    Bench {
        #[arg(long)]
        json: bool,
        /// Training steps to time.
        #[arg(long, default_value_t = 30)]
        steps: usize,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Draw samples to stdout.
    Sample {
        /// A dataset name (see `genlab data list`).
        #[arg(long)]
        dataset: Option<String>,
        #[arg(long)]
        n: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// A Data config JSON file (the page's config); flags override its values.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// List the datasets with their default parameters.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

/// A failure the user can fix: printed as one line, exit status 2.
pub struct UsageError(String);

impl From<ConfigError> for UsageError {
    fn from(e: ConfigError) -> Self {
        Self(e.to_string())
    }
}

impl From<TrainError> for UsageError {
    fn from(e: TrainError) -> Self {
        Self(e.to_string())
    }
}

pub fn main() -> ExitCode {
    malloc::keep_freed_memory();
    threads::configure();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One line: clap's first line, plus its list of valid choices when it has one.
            let text = e.render().to_string();
            let mut line = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .to_string();
            if let Some(choices) = text.lines().find(|l| l.contains("possible values")) {
                line = format!("{line} {}", choices.trim());
            }
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
    if !matches!(cli.command, Command::Serve { .. }) {
        pipe::end_quietly_on_closed_stdout();
    }
    let result = match cli.command {
        Command::Serve {
            dir,
            pkg,
            port,
            host,
            isolate,
            max_connections,
        } => serve(ServeOptions {
            dir,
            pkg,
            host,
            port,
            isolate,
            max_connections: max_connections.map(|n| n as usize),
            ..ServeOptions::default()
        }),
        Command::Data {
            command: DataCommand::List,
        } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&DatasetConfig::catalog())
                    .expect("catalog serialises")
            );
            Ok(())
        }
        Command::Data {
            command:
                DataCommand::Sample {
                    dataset,
                    n,
                    seed,
                    config,
                    format,
                },
        } => sample(dataset, n, seed, config, format),
        Command::Si { command } => si::run(command),
        Command::Halluc { command } => halluc::run(command),
        Command::Qlae { command } => qlae::run(command),
        Command::Metrics { command } => metrics::run(command),
        Command::Presets => {
            presets();
            Ok(())
        }
        Command::Bench { json, steps } => bench(json, steps.max(1)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(UsageError(message)) => {
            eprintln!("genlab: {message}");
            ExitCode::from(2)
        }
    }
}

/// Each lab's presets, a line each: the name the CLI and links take, and what it shows.
fn presets() {
    let labs = [
        ("si", crate::interpolant::presets::PRESETS),
        ("halluc", crate::halluc::presets::PRESETS),
        ("qlae", crate::qlae::presets::PRESETS),
    ];
    for (lab, presets) in labs {
        println!("{lab}");
        for (name, _) in presets {
            let see = preset_note(presets, name).map_or(String::new(), |n| n.see);
            println!("  {name:<20} {see}");
        }
    }
}

fn serve(opts: ServeOptions) -> Result<(), UsageError> {
    let site = Site::bind(opts).map_err(UsageError)?;
    println!("{}", site.url());
    let _ = std::io::stdout().flush();
    site.run().map_err(UsageError)
}

fn sample(
    dataset: Option<String>,
    n: Option<usize>,
    seed: Option<u64>,
    config: Option<PathBuf>,
    format: Format,
) -> Result<(), UsageError> {
    let mut config = match config {
        Some(path) => {
            let text = source::read_text_file(&path, "config", source::MAX_CONFIG_FILE)?;
            from_json::<DataConfig>(&text)?
        }
        None => DataConfig::default(),
    };
    if let Some(name) = dataset {
        config.dataset = DatasetConfig::by_name(&name)?;
    }
    config.n = n.unwrap_or(config.n);
    config.seed = seed.unwrap_or(config.seed);
    let mut session = DataSession::new(config)?;
    let dim = session.density().dim();
    let points = session.next_chunk(usize::MAX);
    match format {
        Format::Csv => write_rows(&points, dim, if dim == 1 { "x" } else { "x,y" }),
        Format::Json => {
            let rows: Vec<&[f32]> = points.chunks_exact(dim).collect();
            println!(
                "{}",
                serde_json::to_string(&rows).expect("points serialise")
            );
            Ok(())
        }
    }
}

/// Writes `values` as CSV to stdout, `width` per row, under `header`. A closed pipe
/// (`| head`) is not an error worth a message.
fn write_rows(values: &[f32], width: usize, header: &str) -> Result<(), UsageError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut written = writeln!(out, "{header}");
    for row in values.chunks_exact(width) {
        let row: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        written = written.and_then(|_| writeln!(out, "{}", row.join(",")));
    }
    let _ = written.and_then(|_| out.flush());
    Ok(())
}

fn bench(json: bool, steps: usize) -> Result<(), UsageError> {
    let fail = |e: candle_core::Error| UsageError(format!("benchmark failed: {e}"));
    let mut w = BenchWorkload::new(0).map_err(fail)?;
    for _ in 0..3 {
        w.train_step().map_err(fail)?;
        w.forward().map_err(fail)?;
    }
    let start = Instant::now();
    for _ in 0..steps {
        w.train_step().map_err(fail)?;
    }
    let train_s = start.elapsed().as_secs_f64();
    let reps = 10;
    let start = Instant::now();
    for _ in 0..reps {
        w.forward().map_err(fail)?;
    }
    let forward_s = start.elapsed().as_secs_f64();
    let steps_per_s = steps as f64 / train_s;
    let samples_per_s = (reps * FORWARD_POINTS) as f64 / forward_s;
    if json {
        println!(
            "{}",
            serde_json::json!({"runtime": "native", "stepsPerSec": steps_per_s, "samplesPerSec": samples_per_s,
                "batch": BATCH, "forwardPoints": FORWARD_POINTS, "steps": steps})
        );
    } else {
        println!("native candle: {steps_per_s:.2} train steps/s (batch {BATCH}), {samples_per_s:.0} forward samples/s");
    }
    Ok(())
}
