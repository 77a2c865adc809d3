//! `gateway reindex`: rebuilds an EMPTY registry from the blobs' `user.s3.meta` xattrs.
//!
//! Walks every bucket directory of the blob root and reads each blob's xattr (shapes in
//! `crate::store::meta`). Objects come back with size, ETag, mtime, Content-Type, user
//! metadata and tags (what the xattr carries; other stored headers and checksums are not on
//! the volume).
//! A simple blob is one candidate; the parts a Complete marked form one candidate once all
//! `parts` positions are present with the recorded sizes. When several candidates claim the
//! same bucket and key, the newest mtime wins (ties: the larger ETag, then path) and the others'
//! blobs are queued for the GC sweep of the next gateway, except in a versioned bucket: blobs
//! whose xattr names a version (`version_id`, `seq`) all come back as that key's versions, in
//! their order, with the newest of the others as the `null` version, and the bucket comes back
//! versioned (enabled). Delete markers have no blob and do not come back. Parts of unfinished uploads, blobs
//! without a usable xattr and incomplete multipart sets are reported and left alone (`fsck`
//! then sees them as orphans).
//!
//! Owners: each bucket directory carries the bucket's record (`user.s3.bucket`, see
//! `store::bucket_xattr`), so a bucket goes back to its owner, with its region and creation
//! time; a bucket whose directories carry no record (created before the record existed) goes
//! to `--owner`. Buckets whose record is live are recreated even when they hold no object.
//! In-progress multipart uploads are not recreated (their ids were the registry's): their
//! parts are reported, and `fsck` lists them apart from other orphans and keeps them until the
//! operator asks for their deletion.
//!
//! Bucket ids: blob directories are named by the bucket id of the registry that wrote them,
//! which is gone. Records reference blobs by path, never by id, so the rebuilt records keep the
//! blobs where they are, and the buckets get new ids in the new registry: first every id up to
//! the largest directory id is reserved (`Registry::reserve_ids_through`), so a new id never
//! names an existing directory, then each bucket is created and its fan-out directories are
//! made for the new id, where every later write of that bucket goes. A reindexed bucket thus
//! spans its old directory (the recovered blobs, until they are overwritten or deleted and
//! swept) and its new one; the old directory then stays empty, and `fsck --repair` removes it.
//!
//! Owns the rebuild; must not write a registry that holds anything (refused) and must not
//! delete or move a blob (losers are only queued).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use clap::Args;
use metadata::{BlobRef, ObjectRecord, PutCondition, Registry};
use serde::Serialize;

use super::{first, BlobMeta, BlobRole, EXIT_CLEAN, EXIT_ERROR, EXIT_PROBLEMS};
use crate::config::{Config, ServeArgs};
use crate::store::bucket_xattr::BucketXattr;
use crate::store::scan::{BlobFile, FileKind};
use crate::store::BlobStore;

/// `gateway reindex` flags: the `serve` configuration flags plus these.
#[derive(Args, Debug, Clone)]
pub struct ReindexArgs {
    /// Configuration, as for `gateway serve`; --registry-dir must hold no data.
    #[command(flatten)]
    pub config: ServeArgs,
    /// Owner id of recreated buckets whose directories record no owner [default: the first
    /// configured user's owner id].
    #[arg(long)]
    pub owner: Option<String>,
    /// Print the report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// A recreated bucket.
#[derive(Debug, Clone, Serialize)]
pub struct ReindexedBucket {
    /// Bucket name.
    pub name: String,
    /// Its id in the new registry (16 hex): the directory later writes go to.
    pub new_id: String,
    /// The old ids (16 hex) of the directories its recovered blobs are in.
    pub old_dirs: Vec<String>,
    /// Objects recovered into it.
    pub objects: u64,
    /// Owner id it was given.
    pub owner: String,
    /// Where the owner came from: `volume` (the bucket directory's record) or `default`
    /// (`--owner`, or the first user's).
    pub owner_from: &'static str,
}

/// A blob reindex could not use.
#[derive(Debug, Clone, Serialize)]
pub struct Unused {
    /// Path on the volume.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// A part of an upload that never completed (left alone).
#[derive(Debug, Clone, Serialize)]
pub struct UnfinishedPart {
    /// Path on the volume.
    pub path: String,
    /// Bucket named by the xattr.
    pub bucket: String,
    /// Key named by the xattr.
    pub key: String,
    /// Part number.
    pub part: u32,
    /// Size in bytes.
    pub size: u64,
}

/// The result of a reindex.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReindexReport {
    /// Volume name.
    pub volume: String,
    /// Blob root on the volume.
    pub blob_root: String,
    /// Registry directory rebuilt.
    pub registry_dir: String,
    /// Owner id given to buckets whose directories record none.
    pub owner: String,
    /// Buckets recreated.
    pub buckets: Vec<ReindexedBucket>,
    /// Objects recreated.
    pub objects: u64,
    /// Of which multipart.
    pub multipart_objects: u64,
    /// Blobs of superseded candidates (older versions of a key), queued for GC.
    pub superseded_queued: Vec<String>,
    /// Parts of unfinished uploads (left alone).
    pub unfinished_parts: Vec<UnfinishedPart>,
    /// Blobs that could not be used: no or garbled xattr, size differing from the xattr's,
    /// incomplete multipart sets (left alone).
    pub unusable: Vec<Unused>,
    /// Temp files met (ignored; the sweep or `fsck --repair` removes them).
    pub temps: u64,
    /// Directories that could not be read, registry writes that failed.
    pub errors: Vec<String>,
}

impl ReindexReport {
    /// The process exit status: 2 if a directory could not be read or a write failed, else 1
    /// if some blobs could not be used, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            EXIT_ERROR
        } else if !self.unusable.is_empty() {
            EXIT_PROBLEMS
        } else {
            EXIT_CLEAN
        }
    }

    /// A short human summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "reindex: volume {}, blob root {}, into registry {} (owner {})",
            self.volume, self.blob_root, self.registry_dir, self.owner
        );
        let _ = writeln!(
            s,
            "recreated {} buckets, {} objects ({} multipart)",
            self.buckets.len(),
            self.objects,
            self.multipart_objects
        );
        for b in first(&self.buckets, 20) {
            let _ = writeln!(
                s,
                "  {}: {} objects, owner {} (from {}), id {} (blobs in old directories {})",
                b.name,
                b.objects,
                b.owner,
                b.owner_from,
                b.new_id,
                b.old_dirs.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "superseded versions queued for GC: {}",
            self.superseded_queued.len()
        );
        let _ = writeln!(
            s,
            "parts of unfinished uploads (left alone): {}",
            self.unfinished_parts.len()
        );
        let _ = writeln!(s, "unusable blobs (left alone): {}", self.unusable.len());
        for u in first(&self.unusable, 10) {
            let _ = writeln!(s, "  {}: {}", u.path, u.reason);
        }
        if self.temps > 0 {
            let _ = writeln!(s, "temp files ignored: {}", self.temps);
        }
        for e in &self.errors {
            let _ = writeln!(s, "error: {e}");
        }
        s
    }
}

/// One way to rebuild an object.
#[derive(Debug, Clone)]
struct Candidate {
    rec: ObjectRecord,
    old_dir: u64,
    /// The blob was written in a versioned bucket (its xattr names the version).
    versioned: bool,
}

impl Candidate {
    /// Ordering of candidates of one key: newest mtime, then larger ETag, then path.
    fn rank(&self) -> (u64, &str, &str) {
        (
            self.rec.mtime_ms,
            self.rec.etag.as_str(),
            self.rec.blobs.first().map_or("", |b| b.path.as_str()),
        )
    }
}

/// The parts a Complete marked as one object, as found so far.
#[derive(Debug, Default)]
struct PartSet {
    meta: BlobMeta,
    old_dir: u64,
    slots: BTreeMap<u32, BlobRef>,
    duplicate: Vec<String>,
}

/// Runs reindex for a configuration: opens (creating it) its registry, refuses one that holds
/// anything, and rebuilds it from the blob store on `vol`. `owner`: see [`ReindexArgs`].
pub fn run(config: &Config, vol: gfapi::Volume, owner: Option<String>) -> Result<ReindexReport, String> {
    let owner = match owner {
        Some(o) => o,
        None => config
            .users
            .first()
            .map(|u| u.owner().to_owned())
            .ok_or("no --owner given and no user configured to take the owner id from")?,
    };
    let registry = super::open_configured(config, false)?;
    let store = BlobStore::open(vol, &config.blob_root).map_err(|e| format!("opening the blob root: {e}"))?;
    let mut report = rebuild(&registry, &store, &owner, &config.region)?;
    report.registry_dir = config.registry_location().to_string();
    Ok(report)
}

/// True if the registry holds no bucket, object, part or GC entry.
fn is_empty(registry: &Registry) -> metadata::Result<bool> {
    Ok(registry.list_buckets(None, None, 1)?.0.is_empty()
        && registry.referenced_blobs().next().is_none()
        && registry.gc_pending(1)?.is_empty())
}

/// The candidates found on the volume, before anything is written.
#[derive(Debug, Default)]
struct Found {
    /// Per (bucket, key): the simple blobs, then the complete part sets.
    candidates: HashMap<(String, String), Vec<Candidate>>,
    /// Per (bucket, key, ETag, mtime): the marked parts of one completed object.
    sets: HashMap<(String, String, String, u64), PartSet>,
}

/// What comes back per bucket name: per key, its versions oldest first (one when unversioned);
/// and the blobs of the superseded candidates.
type Resolved = (BTreeMap<String, Vec<(String, Vec<Candidate>)>>, Vec<BlobRef>);

/// Rebuilds the empty `registry` from `store` (see the module doc).
pub fn rebuild(
    registry: &Registry,
    store: &BlobStore,
    owner: &str,
    region: &str,
) -> Result<ReindexReport, String> {
    if !is_empty(registry).map_err(|e| reg_err(&e))? {
        return Err("the registry is not empty: reindex only fills an empty registry \
                    (give a fresh --registry-dir)"
            .to_owned());
    }
    let mut report = ReindexReport {
        volume: store.volume().name().to_owned(),
        blob_root: store.root().to_owned(),
        owner: owner.to_owned(),
        ..ReindexReport::default()
    };
    let dirs = store
        .bucket_dirs()
        .map_err(|e| format!("reading {}/blobs: {e}", store.root()))?;
    let mut ids = dirs.ids;
    ids.sort_unstable();
    let mut found = Found::default();
    let mut records = BTreeMap::new();
    for &id in &ids {
        collect(store, id, &mut found, &mut report);
        match store.read_bucket_xattr(id) {
            Ok(Some(x)) => {
                records.insert(id, x);
            }
            Ok(None) => {}
            Err(e) => report
                .errors
                .push(format!("reading the bucket record of directory {id:016x}: {e}")),
        }
    }
    let (mut buckets, losers) = resolve(found, &mut report);
    // Live buckets without objects come back too.
    for x in records.values().filter(|x| !x.deleted) {
        buckets.entry(x.name.clone()).or_default();
    }
    // Ids above every directory's first, so no new bucket id names an existing directory.
    if let Some(&max) = ids.last() {
        registry.reserve_ids_through(max).map_err(|e| reg_err(&e))?;
    }
    write(registry, store, (owner, region), &records, buckets, &mut report);
    for chunk in losers.chunks(1000) {
        match registry.gc_enqueue(chunk) {
            Ok(()) => report
                .superseded_queued
                .extend(chunk.iter().map(|b| b.path.clone())),
            Err(e) => report.errors.push(format!("queueing superseded blobs: {e}")),
        }
    }
    registry.flush().map_err(|e| reg_err(&e))?;
    Ok(report)
}

/// Writes the keys of bucket `b`: each key's versions oldest first, the bucket put in the state
/// each version was written in (enabled for a version with an id, suspended for the null
/// version), and left enabled when it held versions. Returns how many keys were written.
fn write_objects(
    registry: &Registry,
    b: &metadata::BucketRecord,
    objects: &[(String, Vec<Candidate>)],
    report: &mut ReindexReport,
) -> u64 {
    let mut state = metadata::Versioning::Unversioned;
    let mut count = 0;
    for (key, versions) in objects {
        let mut ok = true;
        for c in versions {
            let want = match (c.versioned, c.rec.version_id.is_empty()) {
                (false, _) if state == metadata::Versioning::Unversioned => state,
                (false, _) | (true, true) => metadata::Versioning::Suspended,
                (true, false) => metadata::Versioning::Enabled,
            };
            if want != state {
                if let Err(e) = registry.set_bucket_versioning(&b.name, want) {
                    report.errors.push(format!("versioning of {}: {e}", b.name));
                }
                state = want;
            }
            match registry.put_object(b.id, key.as_bytes(), &c.rec, &PutCondition::None) {
                Ok(_) if !c.rec.parts.is_empty() => report.multipart_objects += 1,
                Ok(_) => {}
                Err(e) => {
                    ok = false;
                    report.errors.push(format!("writing {}/{key}: {e}", b.name));
                }
            }
        }
        count += u64::from(ok);
    }
    if state == metadata::Versioning::Suspended {
        if let Err(e) = registry.set_bucket_versioning(&b.name, metadata::Versioning::Enabled) {
            report.errors.push(format!("versioning of {}: {e}", b.name));
        }
    }
    count
}

fn reg_err(e: &metadata::Error) -> String {
    format!("registry: {}", super::describe(e))
}

/// Reads the xattr of every blob of bucket directory `id` into `found`.
fn collect(store: &BlobStore, id: u64, found: &mut Found, report: &mut ReindexReport) {
    let mut files = Vec::new();
    for e in store.walk_bucket(id, &mut |f| files.push(f)) {
        report.errors.push(format!("reading {}: {}", e.path, e.error));
    }
    for f in files {
        match f.kind {
            FileKind::Temp => report.temps += 1,
            FileKind::Unexpected => {}
            FileKind::Blob => {
                let meta = match store.read_meta(&f.path) {
                    Ok(raw) => BlobMeta::parse(&raw),
                    Err(e) => Err(format!("no readable user.s3.meta: {e}")),
                };
                match meta {
                    Ok(m) => classify(f, m, id, found, report),
                    Err(reason) => report.unusable.push(Unused { path: f.path, reason }),
                }
            }
        }
    }
}

/// Files one blob by the role its xattr gives it.
fn classify(f: BlobFile, meta: BlobMeta, id: u64, found: &mut Found, report: &mut ReindexReport) {
    let unusable = |reason: String| Unused {
        path: f.path.clone(),
        reason,
    };
    match meta.role() {
        None => report
            .unusable
            .push(unusable("user.s3.meta matches no known shape".to_owned())),
        Some(BlobRole::UnfinishedPart) => report.unfinished_parts.push(UnfinishedPart {
            path: f.path.clone(),
            bucket: meta.bucket,
            key: meta.key,
            part: meta.part.unwrap_or(0),
            size: f.size,
        }),
        Some(BlobRole::Object) => {
            let size = meta.size.unwrap_or(0);
            if size != f.size {
                report.unusable.push(unusable(format!(
                    "{} bytes on the volume, {size} in user.s3.meta",
                    f.size
                )));
                return;
            }
            let rec = ObjectRecord {
                size,
                etag: meta.etag.unwrap_or_default(),
                mtime_ms: meta.mtime_ms.unwrap_or(0),
                content_type: meta.content_type,
                user_meta: meta.meta,
                tags: meta.tags,
                blobs: vec![BlobRef {
                    path: f.path.clone(),
                    size,
                    volume: report.volume.clone(),
                }],
                ..ObjectRecord::default()
            };
            let (rec, versioned) = with_version(rec, meta.version_id, meta.seq);
            found
                .candidates
                .entry((meta.bucket, meta.key))
                .or_default()
                .push(Candidate {
                    rec,
                    old_dir: id,
                    versioned,
                });
        }
        Some(BlobRole::CompletedPart) => {
            let part_size = meta.part_size.unwrap_or(0);
            if part_size != f.size {
                report.unusable.push(unusable(format!(
                    "part of {} bytes on the volume, {part_size} in user.s3.meta",
                    f.size
                )));
                return;
            }
            let index = meta.index.unwrap_or(0);
            let set_key = (
                meta.bucket.clone(),
                meta.key.clone(),
                meta.etag.clone().unwrap_or_default(),
                meta.mtime_ms.unwrap_or(0),
            );
            let set = found.sets.entry(set_key).or_insert_with(|| PartSet {
                meta,
                old_dir: id,
                ..PartSet::default()
            });
            match set.slots.entry(index) {
                Entry::Occupied(_) => set.duplicate.push(f.path),
                Entry::Vacant(v) => {
                    v.insert(BlobRef {
                        path: f.path,
                        size: part_size,
                        volume: report.volume.clone(),
                    });
                }
            }
        }
    }
}

/// Turns complete part sets into candidates and picks the winner of each key.
fn resolve(mut found: Found, report: &mut ReindexReport) -> Resolved {
    for ((bucket, key, _, _), set) in found.sets {
        let n = set.meta.parts.unwrap_or(0);
        let size = set.meta.size.unwrap_or(0);
        let complete = n > 0
            && set.slots.len() == n as usize
            && set.slots.keys().copied().eq(0..n)
            && set.slots.values().map(|b| b.size).sum::<u64>() == size;
        for d in set.duplicate {
            report.unusable.push(Unused {
                path: d,
                reason: format!("a second blob for one part position of {bucket}/{key}"),
            });
        }
        if !complete {
            for b in set.slots.values() {
                report.unusable.push(Unused {
                    path: b.path.clone(),
                    reason: format!(
                        "part of {bucket}/{key} (ETag {}): {} of {n} parts found or sizes differ",
                        set.meta.etag.as_deref().unwrap_or(""),
                        set.slots.len()
                    ),
                });
            }
            continue;
        }
        let rec = ObjectRecord {
            size,
            etag: set.meta.etag.unwrap_or_default(),
            mtime_ms: set.meta.mtime_ms.unwrap_or(0),
            content_type: set.meta.content_type,
            user_meta: set.meta.meta,
            tags: set.meta.tags,
            parts: set.slots.values().map(|b| b.size).collect(),
            blobs: set.slots.into_values().collect(),
            ..ObjectRecord::default()
        };
        let (rec, versioned) = with_version(rec, set.meta.version_id, set.meta.seq);
        found
            .candidates
            .entry((bucket, key))
            .or_default()
            .push(Candidate {
                rec,
                old_dir: set.old_dir,
                versioned,
            });
    }
    let mut buckets: BTreeMap<String, Vec<(String, Vec<Candidate>)>> = BTreeMap::new();
    let mut losers = Vec::new();
    for ((bucket, key), mut list) in found.candidates {
        list.sort_by(|a, b| b.rank().cmp(&a.rank()));
        let (kept, lost) = keep(list);
        for l in lost {
            losers.extend(l.rec.blobs);
        }
        if !kept.is_empty() {
            buckets.entry(bucket).or_default().push((key, kept));
        }
    }
    (buckets, losers)
}

/// The version a blob's xattr names, set on its record; and whether it names one.
fn with_version(mut rec: ObjectRecord, version_id: Option<String>, seq: Option<u64>) -> (ObjectRecord, bool) {
    match (version_id, seq) {
        (Some(v), Some(seq)) if metadata::is_version_id(&v) => {
            rec.version_id = if v == metadata::NULL_VERSION {
                String::new()
            } else {
                v
            };
            rec.seq = seq;
            (rec, true)
        }
        _ => (rec, false),
    }
}

/// Of one key's candidates (newest first), those that come back, oldest first, and the rest:
/// without versions, the newest; with versions, every version with an id (once) and the newest
/// of the others (a key has one `null` version).
fn keep(list: Vec<Candidate>) -> (Vec<Candidate>, Vec<Candidate>) {
    let (mut kept, mut lost) = (Vec::new(), Vec::new());
    let versioned = list.iter().any(|c| c.versioned);
    let mut ids = std::collections::HashSet::new();
    let mut null_kept = false;
    for c in list {
        let with_id = versioned && !c.rec.version_id.is_empty();
        if with_id && ids.insert(c.rec.version_id.clone()) {
            kept.push(c);
        } else if !with_id && !null_kept {
            null_kept = true;
            kept.push(c);
        } else {
            lost.push(c);
        }
    }
    kept.sort_by_key(|c| {
        if c.rec.seq == 0 {
            c.rec.mtime_ms * 1000
        } else {
            c.rec.seq
        }
    });
    (kept, lost)
}

/// The record that decides bucket `name`'s owner: the newest directory's (ids grow) that
/// names it and is live, else the newest that names it at all.
fn bucket_record<'a>(records: &'a BTreeMap<u64, BucketXattr>, name: &str) -> Option<&'a BucketXattr> {
    let named = || records.values().rev().filter(|x| x.name == name);
    named().find(|x| !x.deleted).or_else(|| named().next())
}

/// Creates the buckets (with their directories under the new ids, and their records there)
/// and the objects. `default`: owner and region of buckets without a record.
fn write(
    registry: &Registry,
    store: &BlobStore,
    default: (&str, &str),
    records: &BTreeMap<u64, BucketXattr>,
    buckets: BTreeMap<String, Vec<(String, Vec<Candidate>)>>,
    report: &mut ReindexReport,
) {
    for (name, objects) in buckets {
        let oldest = objects
            .iter()
            .flat_map(|(_, v)| v.iter().map(|c| c.rec.mtime_ms))
            .min()
            .unwrap_or(0);
        let (owner, region, created, owner_from) = match bucket_record(records, &name) {
            Some(x) => (x.owner.as_str(), x.region.as_str(), x.created_ms, "volume"),
            None => (default.0, default.1, oldest, "default"),
        };
        let region = if region.is_empty() { default.1 } else { region };
        let b = match registry.create_bucket_on(&name, owner, region, store.volume().name(), created) {
            Ok(b) => b,
            Err(e) => {
                report.errors.push(format!("creating bucket {name}: {e}"));
                continue;
            }
        };
        let record = BucketXattr::new(&name, owner, region, created);
        let dirs = store
            .create_bucket_dirs(b.id)
            .and_then(|()| store.write_bucket_xattr(b.id, &record));
        if let Err(e) = dirs {
            report
                .errors
                .push(format!("creating the directories of bucket {name}: {e}"));
        }
        let mut old_dirs: Vec<String> = objects
            .iter()
            .flat_map(|(_, v)| v.iter().map(|c| format!("{:016x}", c.old_dir)))
            .collect();
        old_dirs.sort_unstable();
        old_dirs.dedup();
        let count = write_objects(registry, &b, &objects, report);
        report.objects += count;
        report.buckets.push(ReindexedBucket {
            name,
            new_id: format!("{:016x}", b.id),
            old_dirs,
            objects: count,
            owner: owner.to_owned(),
            owner_from,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_live_record_decides_the_owner() {
        let rec = |name: &str, owner: &str, deleted: bool| BucketXattr {
            deleted,
            ..BucketXattr::new(name, owner, "r", 1)
        };
        let records: BTreeMap<u64, BucketXattr> = [
            (3, rec("b", "alice", false)),
            (5, rec("b", "bob", false)),
            (7, rec("b", "carol", true)),
            (9, rec("other", "dave", false)),
            (11, rec("gone", "erin", true)),
            (12, rec("gone", "frank", true)),
        ]
        .into_iter()
        .collect();
        // Deleted and recreated: the live record wins over a newer deleted one.
        assert_eq!(bucket_record(&records, "b").unwrap().owner, "bob");
        assert_eq!(bucket_record(&records, "other").unwrap().owner, "dave");
        // Only deleted records (objects of it were found): the newest one.
        assert_eq!(bucket_record(&records, "gone").unwrap().owner, "frank");
        assert_eq!(bucket_record(&records, "none"), None);
    }
}
