//! Contract tests for the registry, through its public API only (one integration binary).
//!
//! Owns the behavioural checks: bucket and object semantics, listing against a model, multipart,
//! the GC queue, concurrency, durability, export/import and the per-bucket counters. Must not
//! reach into an engine.
//!
//! One suite, both engines: [`registry`] is a temporary sled registry, or, when
//! `GLUSTERS3_TEST_POSTGRES` holds a base URL (`make test` sets it, from `scripts/pg-up.sh`), a
//! PostgreSQL registry in a schema of its own (`pg`). A few tests are engine-specific and say so.

mod buckets;
mod durability;
mod export;
mod intents;
mod listing;
mod multipart;
mod objects;
mod pg;
mod stats;
mod tags;
mod versions;

use metadata::{BlobRef, ObjectRecord, Registry};

/// A fresh empty registry: sled in a temporary directory, or PostgreSQL in a new schema when
/// `GLUSTERS3_TEST_POSTGRES` is set.
pub(crate) fn registry() -> Registry {
    match pg::base_url() {
        Some(base) => Registry::open_url(&pg::fresh_schema(&base)).expect("open PostgreSQL registry"),
        None => Registry::open_temporary().expect("open temporary registry"),
    }
}

/// An object record with one blob at `path`.
pub(crate) fn object(etag: &str, path: &str) -> ObjectRecord {
    ObjectRecord {
        size: 3,
        etag: etag.to_owned(),
        mtime_ms: 42,
        content_type: Some("text/plain".to_owned()),
        user_meta: vec![("colour".to_owned(), "blue".to_owned())],
        checksums: vec![("CRC32".to_owned(), "AAAAAA==".to_owned())],
        blobs: vec![blob(path)],
        ..ObjectRecord::default()
    }
}

/// A blob reference of size 3.
pub(crate) fn blob(path: &str) -> BlobRef {
    BlobRef {
        path: path.to_owned(),
        size: 3,
        volume: String::new(),
    }
}

/// Paths of the queued garbage blobs, in queue order.
pub(crate) fn gc_paths(reg: &Registry) -> Vec<String> {
    reg.gc_pending(usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, b)| b.path)
        .collect()
}
