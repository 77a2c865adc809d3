//! `gateway registry export` and `gateway registry import`: the whole registry to a file and
//! back, in the engine-independent stream of `metadata::Registry::export`. This is how a
//! namespace moves from sled to PostgreSQL and back: export from one configuration, import with
//! the other. It owns only the file handling and the messages; it must not touch blobs (they stay
//! where they are: the records name them by path) and must not write into a registry that holds
//! anything (`import` refuses).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::config::{Config, ServeArgs};

/// `gateway registry ...`.
#[derive(Args, Debug)]
pub struct RegistryArgs {
    /// What to do.
    #[command(subcommand)]
    pub op: RegistryOp,
}

/// The registry subcommands.
#[derive(Subcommand, Debug)]
pub enum RegistryOp {
    /// Write every bucket, object, upload, part and GC entry of the configured registry to a file.
    Export {
        /// Configuration, as for `gateway serve` (which registry).
        #[command(flatten)]
        config: ServeArgs,
        /// The file to write.
        #[arg(long = "out")]
        out: PathBuf,
    },
    /// Load a file written by `export` into the configured registry, which must be empty.
    Import {
        /// Configuration, as for `gateway serve` (which registry).
        #[command(flatten)]
        config: ServeArgs,
        /// The file to read.
        #[arg(long = "in")]
        input: PathBuf,
    },
}

/// Exports the registry of `config` to `out` (written to a temp file, then renamed, so a failed
/// export never leaves a truncated file under the name). Returns the number of records.
pub fn export(config: &Config, out: &Path) -> Result<u64, String> {
    let registry = super::open_configured(config, true)?;
    let tmp = out.with_extension("partial");
    let file = File::create(&tmp).map_err(|e| format!("creating {}: {e}", tmp.display()))?;
    let mut w = BufWriter::new(file);
    let count = registry
        .export(&mut w)
        .map_err(|e| format!("exporting the registry: {}", super::describe(&e)))?;
    let file = w
        .into_inner()
        .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    file.sync_all()
        .map_err(|e| format!("syncing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, out).map_err(|e| format!("renaming to {}: {e}", out.display()))?;
    Ok(count)
}

/// Imports `input` into the (empty) registry of `config`. Returns the number of records.
pub fn import(config: &Config, input: &Path) -> Result<u64, String> {
    let registry = super::open_configured(config, false)?;
    let file = File::open(input).map_err(|e| format!("opening {}: {e}", input.display()))?;
    let count = registry
        .import(&mut BufReader::with_capacity(1 << 20, file))
        .map_err(|e| format!("importing {}: {}", input.display(), super::describe(&e)))?;
    registry
        .flush()
        .map_err(|e| format!("flushing the registry: {}", super::describe(&e)))?;
    Ok(count)
}

/// Runs a `gateway registry` subcommand; prints what was done. Exit status as the other tools.
pub fn run(args: &RegistryArgs) -> u8 {
    let (config, result, verb) = match &args.op {
        RegistryOp::Export { config, out } => match Config::load_offline(config) {
            Ok(c) => {
                let r = export(&c, out);
                (c, r, format!("exported to {}", out.display()))
            }
            Err(e) => return usage(&e),
        },
        RegistryOp::Import { config, input } => match Config::load_offline(config) {
            Ok(c) => {
                let r = import(&c, input);
                (c, r, format!("imported from {}", input.display()))
            }
            Err(e) => return usage(&e),
        },
    };
    match result {
        Ok(n) => {
            let mut out = std::io::stdout();
            let _ = writeln!(
                out,
                "{n} records {verb} (registry {})",
                config.registry_location()
            );
            super::EXIT_CLEAN
        }
        Err(e) => usage(&e),
    }
}

fn usage(e: &str) -> u8 {
    eprintln!("gateway: {e}");
    super::EXIT_ERROR
}
