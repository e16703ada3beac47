//! `genlab metrics …`: metrics on data from files.
use super::table::read_columns;
use super::UsageError;
use crate::metrics::explicitness::infoe;
use crate::metrics::infomec::modularity;
use crate::rng::Rng;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum MetricsCommand {
    /// InfoMEC of latents against ground-truth sources: JSON with infom, infoe, infoc, the NMI
    /// matrix (rows: sources, columns: latents) and the active latents.
    Infomec {
        /// CSV of the sources (one column per source; values are class labels).
        #[arg(long)]
        sources: PathBuf,
        /// CSV of the latents (one column per latent), row for row with the sources.
        #[arg(long)]
        latents: PathBuf,
        /// The latents are discrete codes (plug-in estimates, one-hot regression).
        #[arg(long)]
        discrete: bool,
    },
}

pub fn run(command: MetricsCommand) -> Result<(), UsageError> {
    match command {
        MetricsCommand::Infomec {
            sources,
            latents,
            discrete,
        } => {
            let (s, z) = (read_columns(&sources)?, read_columns(&latents)?);
            if s[0].len() != z[0].len() {
                return Err(UsageError(format!(
                    "{} has {} rows but {} has {}",
                    sources.display(),
                    s[0].len(),
                    latents.display(),
                    z[0].len()
                )));
            }
            if s[0].len() < 2 {
                return Err(UsageError("InfoMEC needs at least 2 rows".into()));
            }
            // the k-NN estimator's tie-breaking jitter is seeded, so the result is reproducible
            let m = modularity(&s, &z, discrete, &mut Rng::new(0));
            let json = serde_json::json!({
                "infom": m.infom, "infoe": infoe(&s, &z, discrete), "infoc": m.infoc, "nmi": m.nmi, "active_latents": m.active_latents,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&json).expect("serialises")
            );
            Ok(())
        }
    }
}
