//! Arguments every lab's commands share: where the config comes from (`--config C.json` or
//! `--preset NAME`), where trained weights go (`--out`), for commands that use learned weights
//! also where those come from (`--model`, by default the preset's shipped file), and
//! `--n/--seed` overrides.
use super::UsageError;
use crate::config::{from_json, preset, ConfigError, Validate};
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// `--n N --seed S`: override the config's sample count and seed.
#[derive(clap::Args)]
pub struct Draw {
    #[arg(long)]
    pub n: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `--preset NAME` of a `config` subcommand.
#[derive(clap::Args)]
pub struct PresetName {
    #[arg(long)]
    preset: String,
}

impl PresetName {
    /// Prints the preset's config (every default filled in) as JSON.
    pub fn print<C: serde::Serialize>(
        &self,
        load: impl Fn(&str) -> Result<C, ConfigError>,
    ) -> Result<(), UsageError> {
        let config = load(&self.preset)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&config).expect("config serialises")
        );
        Ok(())
    }
}

/// A `bench` subcommand's config and output form.
#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub source: ConfigSource,
    /// Print one JSON line.
    #[arg(long)]
    pub json: bool,
}

/// A `train` subcommand's config and the file its weights go to.
#[derive(clap::Args)]
pub struct TrainOutput {
    #[command(flatten)]
    pub source: ConfigSource,
    /// Where the trained weights (safetensors) are written.
    #[arg(long)]
    pub out: PathBuf,
    /// Train even when the run's estimated memory exceeds what this machine has free.
    #[arg(long)]
    pub force: bool,
}

/// `--config C.json` or `--preset NAME`.
#[derive(clap::Args)]
pub struct ConfigSource {
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    #[arg(long)]
    preset: Option<String>,
}

/// The config and the weights of a learned model. Only commands that use weights take
/// `--model`, so a command that trains afresh rejects it instead of ignoring it.
#[derive(clap::Args)]
pub struct LearnedSource {
    #[command(flatten)]
    source: ConfigSource,
    /// Trained weights (safetensors); with --preset, defaults to the preset's shipped file.
    #[arg(long)]
    model: Option<PathBuf>,
}

impl ConfigSource {
    /// The config, from the file or from the lab's `presets`.
    pub fn load<T: DeserializeOwned + Validate>(
        &self,
        presets: &[(&str, &str)],
    ) -> Result<T, UsageError> {
        match (&self.config, &self.preset) {
            (Some(path), _) => {
                let text = read_text_file(path, "config", MAX_CONFIG_FILE)?;
                Ok(from_json(&text)?)
            }
            (None, Some(name)) => Ok(preset(presets, name)?),
            (None, None) => Err(UsageError("give --config C.json or --preset NAME".into())),
        }
    }

    /// Writes trained `weights` to `out`; when they follow the preset's own recipe
    /// (`own_recipe`: no seed, step or start-weights override), says whether they reproduce it.
    pub fn write_trained(
        &self,
        lab: &str,
        out: &std::path::Path,
        weights: &[u8],
        own_recipe: bool,
    ) -> Result<(), UsageError> {
        std::fs::write(out, weights)
            .map_err(|e| UsageError(format!("cannot write {}: {e}", out.display())))?;
        if own_recipe {
            self.report_reproduction(lab, weights);
        }
        Ok(())
    }

    /// After `LAB train --preset NAME` with the preset's own settings: one stderr line saying
    /// whether `weights` equal the preset's shipped file (nothing when no file ships).
    fn report_reproduction(&self, lab: &str, weights: &[u8]) {
        let Some(name) = &self.preset else { return };
        let shipped = shipped_weights(lab, name);
        let Ok(bytes) = std::fs::read(&shipped) else {
            return;
        };
        let shown = shipped
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&shipped)
            .display()
            .to_string();
        if bytes == weights {
            eprintln!("reproduced: the weights equal the shipped {shown} bit for bit");
        } else {
            let here = l1_data_cache()
                .map(|c| format!(" (this CPU's: {c})"))
                .unwrap_or_default();
            eprintln!(
                "not bit for bit: the weights differ from the shipped {shown}. Natively, a matmul that sums over more \
                 than 512 terms rounds by the CPU's L1 data cache{here}; see docs/reproducing.md"
            );
        }
    }
}

impl LearnedSource {
    /// The config, as [`ConfigSource::load`].
    pub fn load<T: DeserializeOwned + Validate>(
        &self,
        presets: &[(&str, &str)],
    ) -> Result<T, UsageError> {
        self.source.load(presets)
    }

    /// The weights file's path and bytes: --model, else the preset's shipped file under
    /// `www/models/LAB/`; `hint` says how to make one.
    pub fn read_weights(&self, lab: &str, hint: &str) -> Result<(PathBuf, Vec<u8>), UsageError> {
        let path = self
            .model
            .clone()
            .or_else(|| {
                self.source
                    .preset
                    .as_ref()
                    .map(|name| shipped_weights(lab, name))
            })
            .ok_or_else(|| {
                UsageError(format!(
                    "a learned model needs --model M.safetensors ({hint})"
                ))
            })?;
        let bytes = read_weights_file(&path)?;
        Ok((path, bytes))
    }
}

/// This CPU's L1 data cache as Linux reports it ("48K, 12-way"), when it does.
fn l1_data_cache() -> Option<String> {
    std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let read = |f: &str| {
                std::fs::read_to_string(entry.path().join(f))
                    .ok()
                    .map(|s| s.trim().to_string())
            };
            if read("level")? != "1" || read("type")? != "Data" {
                return None;
            }
            Some(format!(
                "{}, {}-way",
                read("size")?,
                read("ways_of_associativity")?
            ))
        })
}

/// A weights file's bytes, or a message naming it.
pub fn read_weights_file(path: &std::path::Path) -> Result<Vec<u8>, UsageError> {
    let cannot =
        |e: std::io::Error| UsageError(format!("cannot read weights {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_WEIGHTS_FILE {
        return Err(UsageError(format!(
            "{} is {size} bytes; a weights file may be at most {MAX_WEIGHTS_FILE} (1 GiB)",
            path.display()
        )));
    }
    std::fs::read(path).map_err(cannot)
}

/// A text file's contents, refused by its size before it is read (`what` names the kind
/// in the message) so a wrong path to a huge file cannot exhaust memory.
pub fn read_text_file(
    path: &std::path::Path,
    what: &str,
    limit: u64,
) -> Result<String, UsageError> {
    let cannot = |e: std::io::Error| UsageError(format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > limit {
        return Err(UsageError(format!(
            "{} is {size} bytes; a {what} file may be at most {limit} ({} MiB)",
            path.display(),
            limit >> 20
        )));
    }
    std::fs::read_to_string(path).map_err(cannot)
}

/// The largest config file read: the page's import limit (the largest preset is a few kB).
pub const MAX_CONFIG_FILE: u64 = 1 << 20;

/// The largest CSV read: the page's import limit (16 MiB holds about a million 2-D points).
pub const MAX_CSV_FILE: u64 = 16 << 20;

/// The largest weights file read (the largest shipped one is 6.9 MB); a bigger file is
/// refused before it is read, with a message, instead of exhausting memory.
pub const MAX_WEIGHTS_FILE: u64 = 1 << 30;

/// Where a preset's weights ship: `www/models/LAB/NAME.safetensors` in the source tree.
pub fn shipped_weights(lab: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("www/models")
        .join(lab)
        .join(format!("{name}.safetensors"))
}
