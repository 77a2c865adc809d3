//! `gateway fsck`: compares the registry with the blobs on the volume.
//!
//! Reports (1) registry entries (objects, parts of in-progress uploads) whose blobs are missing
//! or of another size than recorded, (2) orphans: blobs under the store's root that no object,
//! no part and no GC queue entry references, (3) temp files (`.tmp.*`, interrupted writes) with
//! their age, (4) intents of blobs whose write never committed (`store::intents`: a gateway killed
//! between a blob's rename and its commit; the gateway's next start deletes those blobs too), and
//! for information bucket directories no bucket uses any more and entries the
//! gateway never writes. Orphans whose xattr says they are parts of an unfinished upload (what
//! `reindex` leaves of the uploads it cannot recreate) are listed apart, as `orphan_parts`: they
//! may be the only copy of data a client is still uploading, so `--repair` keeps them unless
//! `--delete-orphan-parts` is given too. `--repair` deletes orphans and temp files older than
//! `--min-age-secs` (default an hour), the blobs of intents (ending the intents), and the empty
//! fan-out directories of unused bucket directories. It never
//! deletes, queues or rewrites anything a record or the GC queue references, and leaves records
//! with missing blobs alone (a brick may come back; deleting the record loses the metadata).
//! When no blob under the root is referenced at all, it refuses to repair: that is the mark of
//! a wrong `--registry-dir` or `--blob-root`, and every blob would look like an orphan.
//!
//! A gateway with several volumes (`[[volumes]]`): fsck checks the default volume and the
//! buckets on it.
//!
//! Owns the comparison and the report; must not run while a gateway serves the registry
//! ([`super::open_registry`] takes its lock) and must not decide S3 semantics.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use clap::Args;
use metadata::{ListEntry, ListQuery, Registry};
use serde::Serialize;

use super::{first, secs, BlobMeta, BlobRole, EXIT_CLEAN, EXIT_ERROR, EXIT_PROBLEMS};
use crate::config::{Config, ServeArgs};
use crate::store::scan::FileKind;
use crate::store::BlobStore;

/// `gateway fsck` flags: the `serve` configuration flags plus these.
#[derive(Args, Debug, Clone)]
pub struct FsckArgs {
    /// Configuration, as for `gateway serve`.
    #[command(flatten)]
    pub config: ServeArgs,
    /// Delete orphan blobs and temp files older than --min-age-secs.
    #[arg(long)]
    pub repair: bool,
    /// With --repair: also delete orphan parts of unfinished uploads (listed apart; kept
    /// without this flag so the operator sees them first).
    #[arg(long, requires = "repair")]
    pub delete_orphan_parts: bool,
    /// Minimum age (seconds since last modification) of what --repair deletes.
    #[arg(long, default_value_t = 3600)]
    pub min_age_secs: u64,
    /// Print the report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// What [`check`] does besides looking.
#[derive(Debug, Clone, Copy)]
pub struct FsckOptions {
    /// Delete orphans and temp files at least `min_age` old.
    pub repair: bool,
    /// See `repair`.
    pub min_age: Duration,
    /// With `repair`: also delete orphan parts of unfinished uploads.
    pub delete_orphan_parts: bool,
}

/// A registry entry whose blob is not as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct BadBlob {
    /// `object` or `part`.
    pub entry: &'static str,
    /// Bucket name.
    pub bucket: String,
    /// Object key (lossy UTF-8).
    pub key: String,
    /// Upload id, for a part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    /// Part number, for a part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
    /// The blob.
    pub path: String,
    /// Size the record says.
    pub expected_size: u64,
    /// Size on the volume; `None`: missing.
    pub actual_size: Option<u64>,
    /// `missing`, `short` or `long`.
    pub problem: &'static str,
}

/// A file nothing references: an orphan blob or a temp file.
#[derive(Debug, Clone, Serialize)]
pub struct Stray {
    /// Path on the volume.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Seconds since its last modification.
    pub age_secs: u64,
    /// Bucket named by its xattr (orphans with a readable xattr).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Key named by its xattr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Deleted by `--repair`.
    pub removed: bool,
}

/// A bucket directory on the volume whose id is no bucket's in the registry (left by a deleted
/// bucket, or by the registry a `reindex` replaced: then it still holds referenced blobs).
#[derive(Debug, Clone, Serialize)]
pub struct UnusedDir {
    /// The id (16 hex) naming the directory.
    pub id: String,
    /// Its path.
    pub path: String,
    /// Gone after `--repair` (it held no file).
    pub removed: bool,
}

/// The result of one fsck run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FsckReport {
    /// Volume name.
    pub volume: String,
    /// Blob root on the volume.
    pub blob_root: String,
    /// Registry directory.
    pub registry_dir: String,
    /// Buckets in the registry.
    pub buckets: u64,
    /// Objects in the registry.
    pub objects: u64,
    /// In-progress multipart uploads.
    pub uploads: u64,
    /// Parts of those uploads.
    pub parts: u64,
    /// Blobs queued for the garbage sweep.
    pub gc_queued: u64,
    /// Intents of blobs whose writes never committed (a gateway killed between a blob's rename
    /// and its commit, see `store::intents`): a problem, as the registry is quiescent, but not
    /// orphans: the gateway's next start deletes their blobs, and so does `--repair`.
    pub intents: u64,
    /// How many of those `--repair` deleted.
    pub intents_removed: u64,
    /// Files met under the blob root.
    pub files_scanned: u64,
    /// Registry entries whose blob is missing or of the wrong size.
    pub bad_blobs: Vec<BadBlob>,
    /// Blobs no record references (other than `orphan_parts`).
    pub orphans: Vec<Stray>,
    /// Blobs no record references whose xattr says they are parts of an unfinished upload
    /// (kept by `--repair` unless `--delete-orphan-parts`).
    pub orphan_parts: Vec<Stray>,
    /// Temp files of interrupted writes.
    pub temps: Vec<Stray>,
    /// Bucket directories of no registry bucket (information, not a problem).
    pub unused_bucket_dirs: Vec<UnusedDir>,
    /// Entries under the blob root the gateway does not write (information; never touched).
    pub unexpected: Vec<String>,
    /// Whether `--repair` ran.
    pub repair: bool,
    /// Minimum age of what `--repair` deletes, seconds.
    pub min_age_secs: u64,
    /// Whether `--delete-orphan-parts` was given.
    pub delete_orphan_parts: bool,
    /// Problems left: bad blobs, and orphans, orphan parts, temp files and intents not removed.
    pub problems: u64,
    /// What could not be checked or repaired (unreadable directories, failed deletes).
    pub errors: Vec<String>,
}

impl FsckReport {
    /// The process exit status: 2 if something could not be checked or repaired, else 1 if
    /// problems are left, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            EXIT_ERROR
        } else if self.problems > 0 {
            EXIT_PROBLEMS
        } else {
            EXIT_CLEAN
        }
    }

    /// A short human summary (at most 10 examples per kind).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "fsck: volume {}, blob root {}, registry {}",
            self.volume, self.blob_root, self.registry_dir
        );
        let _ = writeln!(
            s,
            "registry: {} buckets, {} objects, {} uploads in progress ({} parts), {} blobs queued for GC, \
             {} intents of uncommitted blobs ({} removed)",
            self.buckets,
            self.objects,
            self.uploads,
            self.parts,
            self.gc_queued,
            self.intents,
            self.intents_removed
        );
        let _ = writeln!(s, "volume: {} files under the blob root", self.files_scanned);
        let _ = writeln!(s, "missing or damaged blobs: {}", self.bad_blobs.len());
        for b in first(&self.bad_blobs, 10) {
            let actual = b.actual_size.map_or_else(|| "none".to_owned(), |a| a.to_string());
            let _ = writeln!(
                s,
                "  {} {} {}/{}: {} (recorded {} bytes, found {actual})",
                b.problem, b.entry, b.bucket, b.key, b.path, b.expected_size
            );
        }
        let parts_label = if self.repair && !self.delete_orphan_parts {
            "orphan parts of unfinished uploads (kept: --delete-orphan-parts removes them)"
        } else {
            "orphan parts of unfinished uploads"
        };
        for (what, list) in [
            ("orphan blobs", &self.orphans),
            (parts_label, &self.orphan_parts),
            ("temp files", &self.temps),
        ] {
            let removed = list.iter().filter(|o| o.removed).count();
            let oldest = list.iter().map(|o| o.age_secs).max().unwrap_or(0);
            let _ = write!(s, "{what}: {}", list.len());
            if !list.is_empty() {
                let _ = write!(s, " (oldest {oldest}s");
                if self.repair {
                    let _ = write!(s, ", removed {removed}");
                }
                s.push(')');
            }
            s.push('\n');
            for o in first(list, 10) {
                let owner = match (&o.bucket, &o.key) {
                    (Some(b), Some(k)) => format!(" [{b}/{k}]"),
                    _ => String::new(),
                };
                let gone = if o.removed { " removed" } else { "" };
                let _ = writeln!(
                    s,
                    "  {} {} bytes, {}s old{owner}{gone}",
                    o.path, o.size, o.age_secs
                );
            }
        }
        if !self.unused_bucket_dirs.is_empty() {
            let _ = writeln!(
                s,
                "bucket directories of no bucket (information): {}",
                self.unused_bucket_dirs.len()
            );
        }
        if !self.unexpected.is_empty() {
            let _ = writeln!(s, "unexpected entries (left alone): {}", self.unexpected.len());
            for u in first(&self.unexpected, 10) {
                let _ = writeln!(s, "  {u}");
            }
        }
        for e in &self.errors {
            let _ = writeln!(s, "error: {e}");
        }
        let _ = writeln!(
            s,
            "result: {}",
            match self.exit_code() {
                EXIT_CLEAN => "clean".to_owned(),
                EXIT_PROBLEMS => format!("{} problems", self.problems),
                _ => "incomplete (errors above)".to_owned(),
            }
        );
        s
    }
}

/// A blob a registry entry expects.
struct Expected {
    entry: &'static str,
    bucket: String,
    key: String,
    upload_id: Option<String>,
    part: Option<u32>,
    path: String,
    size: u64,
}

/// Runs fsck for a configuration: opens its registry (refusing one a gateway holds) and the
/// blob store on `vol`, then [`check`]s. `Err`: nothing could be checked (exit status 2).
pub fn run(config: &Config, vol: gfapi::Volume, opts: FsckOptions) -> Result<FsckReport, String> {
    let registry = super::open_configured(config, true)?;
    let store = BlobStore::open(vol, &config.blob_root).map_err(|e| format!("opening the blob root: {e}"))?;
    let mut report = check(&registry, &store, opts)?;
    report.registry_dir = config.registry_location().to_string();
    Ok(report)
}

/// Compares `registry` with `store` and repairs if asked (see the module doc). The registry
/// must be quiescent (no gateway using it).
pub fn check(registry: &Registry, store: &BlobStore, opts: FsckOptions) -> Result<FsckReport, String> {
    let mut report = FsckReport {
        volume: store.volume().name().to_owned(),
        blob_root: store.root().to_owned(),
        repair: opts.repair,
        min_age_secs: opts.min_age.as_secs(),
        ..FsckReport::default()
    };
    let refs = references(registry, &mut report).map_err(|e| reg_err(&e))?;
    let (expected, bucket_ids) = expectations(registry, &mut report).map_err(|e| reg_err(&e))?;
    let present = walk(store, &refs, &bucket_ids, &mut report)?;
    compare(store, expected, &present, &mut report);
    report.delete_orphan_parts = opts.repair && opts.delete_orphan_parts;
    let unreferenced = report.orphans.len() + report.orphan_parts.len();
    if opts.repair && present.is_empty() && unreferenced > 0 {
        // Every blob an orphan: far more likely a wrong --registry-dir or --blob-root than a
        // store whose every object is gone. Deleting would lose everything.
        report.errors.push(format!(
            "refusing to repair: none of the {unreferenced} blobs under {} is referenced by this \
             registry (wrong --registry-dir or --blob-root?)",
            store.root()
        ));
    } else if opts.repair {
        repair(store, opts, &mut report);
        end_intents(registry, store, &mut report);
    }
    report.problems = report.bad_blobs.len() as u64
        + report.orphans.iter().filter(|o| !o.removed).count() as u64
        + report.orphan_parts.iter().filter(|o| !o.removed).count() as u64
        + report.temps.iter().filter(|o| !o.removed).count() as u64
        + (report.intents - report.intents_removed);
    Ok(report)
}

fn reg_err(e: &metadata::Error) -> String {
    format!("reading the registry: {}", super::describe(e))
}

/// `--repair`: deletes the blobs of this store's intents and ends the intents (the registry is
/// quiescent, so every intent is a dead writer's).
fn end_intents(registry: &Registry, store: &BlobStore, report: &mut FsckReport) {
    let intents = match registry.intents() {
        Ok(i) => i,
        Err(e) => return report.errors.push(reg_err(&e)),
    };
    for i in intents.iter().filter(|i| i.blob.volume == store.volume().name()) {
        let path = &i.blob.path;
        match store
            .delete(path)
            .map_err(|e| e.to_string())
            .and_then(|()| registry.intent_end(path).map_err(|e| reg_err(&e)))
        {
            Ok(()) => report.intents_removed += 1,
            Err(e) => report
                .errors
                .push(format!("removing the blob of intent {path}: {e}")),
        }
    }
}

/// Every referenced blob path: objects and parts (whatever bucket they claim), the GC queue, and
/// the intents of uncommitted blobs.
fn references(registry: &Registry, report: &mut FsckReport) -> metadata::Result<HashSet<String>> {
    let mut refs = HashSet::new();
    for intent in registry.intents()? {
        report.intents += 1;
        refs.insert(intent.blob.path);
    }
    for blob in registry.referenced_blobs() {
        refs.insert(blob?.path);
    }
    for (_, blob) in registry.gc_pending(usize::MAX)? {
        report.gc_queued += 1;
        refs.insert(blob.path);
    }
    Ok(refs)
}

/// What each bucket's entries expect, with names for the report, and the live bucket ids.
fn expectations(
    registry: &Registry,
    report: &mut FsckReport,
) -> metadata::Result<(Vec<Expected>, HashSet<u64>)> {
    let mut expected = Vec::new();
    let mut bucket_ids = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let (page, more) = registry.list_buckets(None, after.as_deref(), 1000)?;
        for b in &page {
            bucket_ids.insert(b.id);
            // Buckets of other volumes (`[[volumes]]`) have their blobs elsewhere; an empty
            // volume is the default one, which fsck checks.
            if !b.volume.is_empty() && b.volume != report.volume {
                continue;
            }
            report.buckets += 1;
            expect_bucket(registry, b, &mut expected, report)?;
        }
        after = page.last().map(|b| b.name.clone());
        if !more || after.is_none() {
            break;
        }
    }
    Ok((expected, bucket_ids))
}

/// Walks the blob root: temp files, orphans (with the bucket and key their xattr names),
/// unexpected entries and unused bucket directories go into the report; returns the sizes of
/// the referenced blobs found.
fn walk(
    store: &BlobStore,
    refs: &HashSet<String>,
    bucket_ids: &HashSet<u64>,
    report: &mut FsckReport,
) -> Result<HashMap<String, u64>, String> {
    let dirs = store
        .bucket_dirs()
        .map_err(|e| format!("reading {}/blobs: {e}", store.root()))?;
    report.unexpected = dirs.unexpected;
    let now = SystemTime::now();
    let mut present: HashMap<String, u64> = HashMap::new();
    let mut ids = dirs.ids;
    ids.sort_unstable();
    for id in ids {
        let errors = store.walk_bucket(id, &mut |f| {
            report.files_scanned += 1;
            let stray = |f: crate::store::scan::BlobFile| Stray {
                age_secs: secs(f.age(now)),
                path: f.path,
                size: f.size,
                bucket: None,
                key: None,
                removed: false,
            };
            match f.kind {
                FileKind::Unexpected => report.unexpected.push(f.path),
                FileKind::Temp => report.temps.push(stray(f)),
                FileKind::Blob if refs.contains(&f.path) => {
                    present.insert(f.path, f.size);
                }
                FileKind::Blob => report.orphans.push(stray(f)),
            }
        });
        for e in errors {
            report.errors.push(format!("reading {}: {}", e.path, e.error));
        }
        if !bucket_ids.contains(&id) {
            report.unused_bucket_dirs.push(UnusedDir {
                id: format!("{id:016x}"),
                path: format!("{}/blobs/{id:016x}", store.root()),
                removed: false,
            });
        }
    }
    for mut o in std::mem::take(&mut report.orphans) {
        let meta = store
            .read_meta(&o.path)
            .map_err(|e| e.to_string())
            .and_then(|raw| BlobMeta::parse(&raw));
        let mut part = false;
        if let Ok(m) = meta {
            part = m.role() == Some(BlobRole::UnfinishedPart);
            o.bucket = Some(m.bucket);
            o.key = Some(m.key);
        }
        if part {
            report.orphan_parts.push(o);
        } else {
            report.orphans.push(o);
        }
    }
    Ok(present)
}

/// Checks each expected blob against the walk; blobs outside the walked root are looked up
/// one by one.
fn compare(
    store: &BlobStore,
    expected: Vec<Expected>,
    present: &HashMap<String, u64>,
    report: &mut FsckReport,
) {
    for e in expected {
        let actual = match present.get(&e.path) {
            Some(s) => Some(*s),
            None => match store.blob_size(&e.path) {
                Ok(s) => s,
                Err(err) => {
                    report.errors.push(format!("stat {}: {err}", e.path));
                    continue;
                }
            },
        };
        let problem = match actual {
            None => "missing",
            Some(a) if a < e.size => "short",
            Some(a) if a > e.size => "long",
            Some(_) => continue,
        };
        report.bad_blobs.push(BadBlob {
            entry: e.entry,
            bucket: e.bucket,
            key: e.key,
            upload_id: e.upload_id,
            part: e.part,
            path: e.path,
            expected_size: e.size,
            actual_size: actual,
            problem,
        });
    }
}

/// Lists what bucket `b`'s objects and upload parts expect on the volume.
fn expect_bucket(
    registry: &Registry,
    b: &metadata::BucketRecord,
    out: &mut Vec<Expected>,
    report: &mut FsckReport,
) -> metadata::Result<()> {
    let mut q = ListQuery {
        max: 1000,
        ..ListQuery::default()
    };
    loop {
        let page = registry.list_objects(b.id, &q)?;
        for entry in &page.entries {
            if let ListEntry::Object(key, rec) = entry {
                report.objects += 1;
                let key = String::from_utf8_lossy(key).into_owned();
                for blob in &rec.blobs {
                    out.push(Expected {
                        entry: "object",
                        bucket: b.name.clone(),
                        key: key.clone(),
                        upload_id: None,
                        part: None,
                        path: blob.path.clone(),
                        // An encrypted object's blobs hold sealed chunks: 16 bytes more per 64 KiB.
                        size: if rec.sse.is_some() {
                            crate::s3::sse::sealed_len(blob.size)
                        } else {
                            blob.size
                        },
                    });
                }
            }
        }
        match page.entries.last() {
            Some(last) if page.truncated => q.start_after = Some(last.marker().to_vec()),
            _ => break,
        }
    }
    let (mut key_marker, mut id_marker): (Option<Vec<u8>>, Option<String>) = (None, None);
    loop {
        let (uploads, more) =
            registry.list_uploads(b.id, b"", key_marker.as_deref(), id_marker.as_deref(), 1000)?;
        for u in &uploads {
            report.uploads += 1;
            let key = String::from_utf8_lossy(&u.record.key).into_owned();
            let mut after = 0;
            loop {
                let (parts, more_parts) = match registry.list_parts(&u.id, after, 1000) {
                    Ok(p) => p,
                    Err(metadata::Error::NoSuchUpload) => break,
                    Err(e) => return Err(e),
                };
                for (n, p) in &parts {
                    report.parts += 1;
                    out.push(Expected {
                        entry: "part",
                        bucket: b.name.clone(),
                        key: key.clone(),
                        upload_id: Some(u.id.clone()),
                        part: Some(*n),
                        path: p.blob.path.clone(),
                        size: if p.sse_nonce.is_some() {
                            crate::s3::sse::sealed_len(p.blob.size)
                        } else {
                            p.blob.size
                        },
                    });
                }
                match parts.last() {
                    Some((n, _)) if more_parts => after = *n,
                    _ => break,
                }
            }
        }
        match uploads.last() {
            Some(u) if more => {
                key_marker = Some(u.record.key.clone());
                id_marker = Some(u.id.clone());
            }
            _ => break,
        }
    }
    Ok(())
}

/// Deletes orphans and temp files at least `min_age` old (orphan parts only with
/// `delete_orphan_parts`), and the empty fan-out directories of unused bucket directories.
fn repair(store: &BlobStore, opts: FsckOptions, report: &mut FsckReport) {
    let min = opts.min_age.as_secs();
    let parts: &mut [Stray] = if opts.delete_orphan_parts {
        &mut report.orphan_parts
    } else {
        &mut []
    };
    for stray in report
        .orphans
        .iter_mut()
        .chain(parts.iter_mut())
        .chain(report.temps.iter_mut())
    {
        if stray.age_secs < min {
            continue;
        }
        match store.delete(&stray.path) {
            Ok(()) => stray.removed = true,
            Err(e) => report.errors.push(format!("deleting {}: {e}", stray.path)),
        }
    }
    for dir in &mut report.unused_bucket_dirs {
        let Ok(id) = u64::from_str_radix(&dir.id, 16) else {
            continue;
        };
        if let Err(e) = store.remove_bucket_dirs(id) {
            report.errors.push(format!("removing {}: {e}", dir.path));
            continue;
        }
        dir.removed = matches!(store.blob_size(&dir.path), Ok(None));
    }
}
