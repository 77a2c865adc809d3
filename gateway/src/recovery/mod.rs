//! The offline recovery tools, run by `gateway fsck` and `gateway reindex` while no gateway
//! serves the registry (they take its lock, so a running gateway makes them refuse, and a
//! gateway started meanwhile refuses to start).
//!
//! - [`fsck`] compares the registry with the volume: records whose blobs are missing or short,
//!   blobs nothing references (orphans), temp files of interrupted writes; `--repair` removes
//!   the orphans and old temp files (orphan parts of unfinished uploads only when asked), never
//!   anything a record or the GC queue references.
//! - [`reindex`] rebuilds an empty registry from the `user.s3.meta` xattrs of the blobs and the
//!   `user.s3.bucket` records of the bucket directories (owners).
//!
//! - [`transfer`] is `gateway registry export` / `import`: the whole registry to a file and back,
//!   which is how a namespace moves between sled and PostgreSQL.
//!
//! On PostgreSQL nothing locks other gateways out: stop them before fsck --repair, reindex or
//! import (export reads one consistent snapshot and may run beside them).
//!
//! This module owns opening the registry (exclusively, for sled) and the exit statuses; the blob xattr
//! the tools read is `crate::store::meta` (re-exported here). It must not be called from async
//! code: the tools call gfapi and the registry directly, blocking, and `main` runs them outside
//! any runtime.

pub mod fsck;
pub mod reindex;
pub mod transfer;

use std::path::Path;

pub use crate::store::meta::{BlobMeta, BlobRole};

/// Exit status: nothing to report.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: problems found (or left after a repair).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit status: bad usage, or the registry or volume could not be used.
pub const EXIT_ERROR: u8 = 2;

/// Opens the registry `config` names for a tool: sled through [`open_registry`], PostgreSQL by
/// its URL (`must_exist` is moot there: the schema is created or migrated at open).
pub fn open_configured(
    config: &crate::config::Config,
    must_exist: bool,
) -> Result<metadata::Registry, String> {
    match config.registry_location() {
        metadata::RegistryLocation::Sled { dir, .. } => open_registry(&dir, must_exist),
        location @ metadata::RegistryLocation::Postgres(_) => metadata::Registry::open_location(&location)
            .map_err(|e| format!("opening the registry at {location}: {}", describe(&e))),
    }
}

/// Opens the registry in `dir` for a tool, exclusively. `must_exist`: refuse a directory that
/// holds no registry instead of creating one. A registry held by a running gateway is refused
/// with a message that says so.
pub fn open_registry(dir: &Path, must_exist: bool) -> Result<metadata::Registry, String> {
    if must_exist && !dir.join("db").exists() {
        return Err(format!("no registry in {}", dir.display()));
    }
    if !must_exist {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    metadata::Registry::open(dir).map_err(|e| match &e {
        metadata::Error::Storage(s) if s.to_string().contains("could not acquire lock") => format!(
            "the registry in {} is locked: a gateway (or another fsck/reindex) is using it; \
             stop it first",
            dir.display()
        ),
        other => format!("opening the registry in {}: {}", dir.display(), describe(other)),
    })
}

/// A registry error with its cause (`Error::Storage` alone only says "registry storage error").
fn describe(e: &metadata::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Keeps at most `n` items of a list for the human summary.
fn first<T>(items: &[T], n: usize) -> &[T] {
    &items[..items.len().min(n)]
}

/// Whole seconds of a duration, for reports.
fn secs(d: std::time::Duration) -> u64 {
    d.as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_registry_is_refused_and_a_held_one_names_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        assert!(open_registry(&dir.path().join("none"), true).is_err());
        let reg = open_registry(&dir.path().join("r"), false).unwrap();
        let e = open_registry(&dir.path().join("r"), true).unwrap_err();
        assert!(e.contains("locked"), "{e}");
        drop(reg);
    }
}
