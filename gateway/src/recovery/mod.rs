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
//! This module owns the blob xattr as the tools read it ([`BlobMeta`]), opening the registry
//! exclusively, and the exit statuses. It must not be called from async code: the tools call
//! gfapi and the registry directly, blocking, and `main` runs them outside any runtime.
//!
//! The xattr (JSON, at most `store::META_XATTR_MAX` bytes; user metadata is dropped first when
//! the whole would not fit) comes in three shapes:
//!
//! - the blob of a PUT, POST or Copy: `v`, `bucket`, `key`, `size`, `etag`, `mtime_ms`, and
//!   when set `content_type` and `meta` (the `x-amz-meta-*` pairs);
//! - a part of an unfinished upload: `v`, `bucket`, `key`, `part`, `size` (the part's);
//! - a part of a completed upload: the first shape for the whole object, plus `part`, `index`
//!   (its 0-based position in the object), `parts` (their count) and `part_size`.
//!
//! Complete rewrites its parts' xattrs after the registry commit and before answering, so an
//! acknowledged multipart object can be rebuilt.

pub mod fsck;
pub mod reindex;

use std::path::Path;

use serde::Deserialize;

/// Exit status: nothing to report.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: problems found (or left after a repair).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit status: bad usage, or the registry or volume could not be used.
pub const EXIT_ERROR: u8 = 2;

/// The blob xattr, as the tools read it: every field optional, the shape decides the meaning
/// (see the module doc).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlobMeta {
    /// Format version (1).
    pub v: u8,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Object size (for an unfinished part: the part's size).
    pub size: Option<u64>,
    /// Object ETag, unquoted.
    pub etag: Option<String>,
    /// Object mtime, milliseconds since the Unix epoch.
    pub mtime_ms: Option<u64>,
    /// Content-Type as sent.
    pub content_type: Option<String>,
    /// `x-amz-meta-*` pairs.
    pub meta: Vec<(String, String)>,
    /// Part number (parts only).
    pub part: Option<u32>,
    /// Position of this part in the completed object (0-based).
    pub index: Option<u32>,
    /// Number of parts of the completed object.
    pub parts: Option<u32>,
    /// Size of this part blob (completed parts).
    pub part_size: Option<u64>,
}

/// What a blob is, according to its xattr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobRole {
    /// The single blob of a PUT or Copy.
    Object,
    /// A part of an upload that was never completed (or whose Complete did not get to mark it).
    UnfinishedPart,
    /// Part `index` of `parts` of a completed multipart object.
    CompletedPart,
}

impl BlobMeta {
    /// Parses an xattr value; `Err` says why it is unusable.
    pub fn parse(raw: &[u8]) -> Result<BlobMeta, String> {
        let m: BlobMeta = serde_json::from_slice(raw).map_err(|e| format!("unreadable user.s3.meta: {e}"))?;
        if m.v != 1 {
            return Err(format!("user.s3.meta version {} is unknown", m.v));
        }
        if m.bucket.is_empty() || m.key.is_empty() {
            return Err("user.s3.meta names no bucket or key".to_owned());
        }
        Ok(m)
    }

    /// The blob's role, or `None` if the fields match no known shape.
    pub fn role(&self) -> Option<BlobRole> {
        let object = self.etag.is_some() && self.size.is_some() && self.mtime_ms.is_some();
        match (self.part, object) {
            (None, true) => Some(BlobRole::Object),
            (Some(_), false) if self.size.is_some() => Some(BlobRole::UnfinishedPart),
            (Some(_), true) if self.index.is_some() && self.parts.is_some() && self.part_size.is_some() => {
                Some(BlobRole::CompletedPart)
            }
            _ => None,
        }
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
    fn xattr_shapes() {
        let obj = br#"{"v":1,"bucket":"b","key":"k","size":3,"etag":"e","mtime_ms":5,"meta":[["a","b"]]}"#;
        let m = BlobMeta::parse(obj).unwrap();
        assert_eq!(m.role(), Some(BlobRole::Object));
        assert_eq!(m.meta, [("a".to_owned(), "b".to_owned())]);
        let part = br#"{"v":1,"bucket":"b","key":"k","part":2,"size":3}"#;
        assert_eq!(
            BlobMeta::parse(part).unwrap().role(),
            Some(BlobRole::UnfinishedPart)
        );
        let done = br#"{"v":1,"bucket":"b","key":"k","size":9,"etag":"e-2","mtime_ms":5,
            "part":2,"index":1,"parts":2,"part_size":4}"#;
        assert_eq!(
            BlobMeta::parse(done).unwrap().role(),
            Some(BlobRole::CompletedPart)
        );
        let odd = br#"{"v":1,"bucket":"b","key":"k","part":2,"etag":"x"}"#;
        assert_eq!(BlobMeta::parse(odd).unwrap().role(), None);
        assert!(BlobMeta::parse(br#"{"v":2,"bucket":"b","key":"k"}"#).is_err());
        assert!(BlobMeta::parse(b"garbage").is_err());
        assert!(BlobMeta::parse(br#"{"v":1,"bucket":"","key":"k"}"#).is_err());
    }

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
