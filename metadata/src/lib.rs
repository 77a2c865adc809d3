//! The gateway's registry: bucket and object metadata, multipart state, the blob garbage queue,
//! per-bucket counters and the event history, behind a typed, blocking API over one of two
//! engines: an embedded sled database (the default, one gateway) or PostgreSQL (several gateways
//! on one namespace).
//!
//! The registry is the namespace: listings, ETags, user metadata and multipart state are answered
//! from it, while object bytes live in blob files on the volume, referenced by path. This crate must
//! not do I/O on blobs and must not know HTTP or S3 wire formats. Its API is blocking (the gateway
//! calls it from its own blocking pool); the PostgreSQL engine drives its async client on a
//! runtime of its own, which the caller never sees. Engine types never appear in the API: an
//! engine swap goes through [`Registry::export`] / [`Registry::import`].
//!
//! Layout: `backend` is the operation-level engine trait; `sled` and `postgres` implement it
//! (their module docs give the trees and the tables); `list` (listing over an ordered range scan)
//! and `export` (the stream format) are shared by both, as are the record types and their
//! versioned `MessagePack` encoding (`codec`, `stored`, `types`).

mod backend;
mod codec;
mod error;
mod export;
mod list;
mod postgres;
mod sled;
mod stats;
mod stored;
mod types;
mod versions;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use crate::sled::{DEFAULT_CACHE_BYTES, LOCK_WAIT};
pub use error::{BoxError, Error, Result};
pub use stats::{BucketStats, STATS_SHARDS};
pub use types::{
    BlobRef, BucketInit, BucketRecord, Committed, Deleted, EventEntry, Intent, ListEntry, ListPage,
    ListQuery, ObjectRecord, PartRecord, PutCondition, Upload, UploadRecord, VersionEntry, VersionPage,
    VersionQuery, Versioning,
};
pub use versions::{is_version_id, new_version, LockCheck, NULL_VERSION};

use backend::Backend;

/// Where a registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryLocation {
    /// An embedded sled database in this directory (one process at a time).
    Sled {
        /// The directory.
        dir: PathBuf,
        /// sled's page cache, bytes (see [`DEFAULT_CACHE_BYTES`]).
        cache_bytes: u64,
    },
    /// A PostgreSQL database, by `postgres://` URL (several hosts and
    /// `target_session_attrs=read-write` follow a failover).
    Postgres(String),
}

impl fmt::Display for RegistryLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryLocation::Sled { dir, .. } => write!(f, "{}", dir.display()),
            RegistryLocation::Postgres(url) => f.write_str(&postgres::redact(url)),
        }
    }
}

/// Handle on an open registry. Cheap to clone (an `Arc` inside); `Send + Sync`. Every method
/// blocks on disk or network I/O and belongs on a blocking thread.
#[derive(Clone)]
pub struct Registry {
    backend: Arc<dyn Backend>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Registry>();
};

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("engine", &self.backend.summary())
            .finish_non_exhaustive()
    }
}

/// Iterator over every blob referenced by an object or a part (see [`Registry::referenced_blobs`]).
pub struct ReferencedBlobs {
    inner: backend::BlobIter,
}

impl Iterator for ReferencedBlobs {
    type Item = Result<BlobRef>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl Registry {
    /// Opens (creating it if missing) the sled registry stored in directory `dir`.
    ///
    /// Only one process may hold a sled registry open. After the last handle in this process is
    /// dropped, sled's background threads may keep the directory's lock for a moment, so a lock
    /// conflict is retried for up to [`LOCK_WAIT`] before failing with [`Error::Storage`].
    ///
    /// A bucket left marked "being deleted" by a crash during [`Registry::delete_bucket`] is restored:
    /// that delete was never acknowledged. A registry written before the per-bucket counters
    /// existed gets them here, from one scan of its objects ([`Registry::bucket_stats`]).
    pub fn open(dir: &Path) -> Result<Registry> {
        Self::open_with_cache(dir, DEFAULT_CACHE_BYTES)
    }

    /// Like [`Registry::open`], with sled's page cache bounded to about `cache_bytes`. sled's
    /// own default (1 GiB) lets a gateway's resident set grow with every page it ever touched:
    /// measured 72 -> 715 MiB over one `make bench` run on a registry of 1,010,000 records.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Registry> {
        Ok(Self::with_backend(Arc::new(sled::SledBackend::open(
            dir,
            cache_bytes,
        )?)))
    }

    /// Opens a fresh sled registry in a temporary location that is removed when the last handle
    /// drops (for tests).
    pub fn open_temporary() -> Result<Registry> {
        Ok(Self::with_backend(Arc::new(sled::SledBackend::temporary()?)))
    }

    /// Opens the PostgreSQL registry at `url` (`postgres://user@host1,host2/db?...`), applying
    /// the schema migrations it lacks (under an advisory lock, so gateways starting together
    /// do not race). Several processes may hold it open at once: that is its purpose. A server
    /// that cannot be reached fails with [`Error::Unavailable`].
    pub fn open_url(url: &str) -> Result<Registry> {
        Ok(Self::with_backend(Arc::new(postgres::PgBackend::open(url)?)))
    }

    /// Opens the registry at `location`.
    pub fn open_location(location: &RegistryLocation) -> Result<Registry> {
        match location {
            RegistryLocation::Sled { dir, cache_bytes } => Self::open_with_cache(dir, *cache_bytes),
            RegistryLocation::Postgres(url) => Self::open_url(url),
        }
    }

    fn with_backend(backend: Arc<dyn Backend>) -> Registry {
        Registry { backend }
    }

    /// Makes every id handed out from now on (buckets, uploads, GC entries) greater than `id`, and
    /// records that durably with the next flush. `gateway reindex` uses it so that the bucket ids of
    /// a rebuilt registry never coincide with the ids that name the existing blob directories.
    pub fn reserve_ids_through(&self, id: u64) -> Result<()> {
        self.backend.reserve_ids_through(id)
    }

    /// Creates bucket `name`, atomically. If the name is taken (by anyone: names are global) this
    /// fails with [`Error::BucketAlreadyExists`] carrying the existing owner, so the caller can
    /// answer `BucketAlreadyOwnedByYou` or `BucketAlreadyExists`.
    pub fn create_bucket(&self, name: &str, owner: &str, region: &str, now_ms: u64) -> Result<BucketRecord> {
        self.create_bucket_on(name, owner, region, "", now_ms)
    }

    /// [`Registry::create_bucket`] for a bucket whose blobs live on `volume` (empty: the
    /// gateway's default volume).
    pub fn create_bucket_on(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        volume: &str,
        now_ms: u64,
    ) -> Result<BucketRecord> {
        self.create_bucket_with(name, owner, region, volume, now_ms, &BucketInit::default())
    }

    /// [`Registry::create_bucket_on`] with an initial versioning state and configuration
    /// documents, all in the one creating transaction.
    pub fn create_bucket_with(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        volume: &str,
        now_ms: u64,
        init: &BucketInit,
    ) -> Result<BucketRecord> {
        self.backend
            .create_bucket(name, owner, region, volume, now_ms, init)
    }

    /// Sets (`Some`) or removes (`None`) bucket `name`'s configuration document of `kind`,
    /// atomically. Fails with `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn set_bucket_config(&self, name: &str, kind: &str, value: Option<&str>) -> Result<()> {
        self.backend.set_bucket_config(name, kind, value)
    }

    /// Replaces the tag set of bucket `name` (empty: removes it), atomically. Fails with
    /// `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn set_bucket_tags(&self, name: &str, tags: &[(String, String)]) -> Result<()> {
        self.backend.set_bucket_tags(name, tags)
    }

    /// Sets the versioning state of bucket `name` (`Enabled` or `Suspended`: a bucket never goes
    /// back to `Unversioned`, which this refuses with [`Error::Corrupt`]). Fails with
    /// `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn set_bucket_versioning(&self, name: &str, state: Versioning) -> Result<()> {
        if state == Versioning::Unversioned {
            return Err(Error::Corrupt(
                "a bucket cannot go back to unversioned".to_owned(),
            ));
        }
        self.backend.set_bucket_versioning(name, state)
    }

    /// Looks bucket `name` up. A bucket whose delete is in progress is still returned.
    pub fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        self.backend.get_bucket(name)
    }

    /// Lists buckets in name order, only `owner`'s when given, starting after name `start_after`,
    /// at most `max`. Returns the page and whether more buckets follow.
    pub fn list_buckets(
        &self,
        owner: Option<&str>,
        start_after: Option<&str>,
        max: usize,
    ) -> Result<(Vec<BucketRecord>, bool)> {
        self.backend.list_buckets(owner, start_after, max)
    }

    /// Deletes bucket `name` if it holds no objects, and returns its record. In-progress multipart
    /// uploads do not keep it (AWS deletes them with the bucket): they are aborted, and their part
    /// blobs queued for GC, atomically with the bucket's removal. A write racing the delete either
    /// commits first (and the delete fails with [`Error::BucketNotEmpty`]) or fails with
    /// [`Error::NoSuchBucket`]: no object is ever orphaned. A concurrent second delete fails with
    /// [`Error::OperationAborted`] (sled) or waits for the first (PostgreSQL).
    pub fn delete_bucket(&self, name: &str) -> Result<BucketRecord> {
        self.backend.delete_bucket(name)
    }

    /// The current record of `key` in bucket `bucket`, if any (none when its latest version is a
    /// delete marker).
    pub fn get_object(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        self.backend.get_object(bucket, key)
    }

    /// Writes `rec` as the new version of `key` in bucket `bucket` if `cond` holds on the current
    /// record, atomically, giving it a version id and order stamp (`rec`'s are ignored) by the
    /// bucket's versioning state:
    ///
    /// - unversioned: `rec` replaces the current record, whose blobs (except any `rec` still
    ///   references) are queued for GC;
    /// - enabled: `rec` gets a new id, and the current record becomes a noncurrent version;
    /// - suspended: `rec` is the `null` version, replacing the old `null` version (current or not,
    ///   its blobs queued for GC); a current version with an id becomes noncurrent.
    ///
    /// The intents of `rec`'s blobs end in the same transaction ([`Intent`]). Fails with
    /// `NoSuchBucket` if the bucket is missing or being deleted, `PreconditionFailed` if `cond`
    /// does not hold.
    pub fn put_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        self.backend.put_object(bucket, key, rec, cond)
    }

    /// Replaces the tags of the object `key` currently in bucket `bucket` and returns its
    /// updated record (`None`: no such key). The read and the write are one transaction over
    /// the current record, so a concurrent overwrite or delete is never clobbered. Nothing else
    /// of the record changes (ETag, mtime, blobs). Fails with `NoSuchBucket` if the bucket is
    /// missing or being deleted.
    pub fn set_object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>> {
        self.backend.set_object_tags(bucket, key, tags)
    }

    /// Deletes `key` from bucket `bucket` if `cond` holds on the current record, atomically: in an
    /// unversioned bucket the object goes and its blobs are queued for GC; in a versioned one a
    /// delete marker becomes the latest version (with a new id when enabled; as the `null`
    /// version when suspended, destroying the old `null` version). Deleting a missing key is not
    /// an error (a versioned bucket still gets its marker). Fails with `NoSuchBucket` if the
    /// bucket is missing or being deleted, `PreconditionFailed` if `cond` does not hold.
    pub fn delete_object(&self, bucket: u64, key: &[u8], cond: &PutCondition) -> Result<Deleted> {
        self.backend.delete_object(bucket, key, cond)
    }

    /// Deletes version `version_id` (S3 form: `null` names the null version) of `key` for good,
    /// atomically, queueing its blobs for GC; when it was the latest, the next newest version
    /// becomes current (unless it is a delete marker). Returns the removed version (`None`: no
    /// such version, not an error, as in S3). A version object lock protects at `lock.now_ms`
    /// ([`ObjectRecord::locked`]) stays, and the call fails with [`Error::ObjectLocked`].
    pub fn delete_version(
        &self,
        bucket: u64,
        key: &[u8],
        version_id: &str,
        lock: LockCheck,
    ) -> Result<Option<ObjectRecord>> {
        self.backend.delete_version(bucket, key, version_id, lock)
    }

    /// Changes version `version_id` (S3 form; `None`: the current record) of `key` in place with
    /// `change`, atomically with the other writers of the key, and returns the changed record
    /// (`None`: no such version or no current record). `change` may run more than once (engine
    /// retries) and must give the same result each time; an error it returns is returned and
    /// nothing changes. For metadata a version carries beside its bytes (object lock, tags):
    /// its blobs, ETag, size and version id must not change. Delete markers are not changed
    /// (`None`).
    pub fn update_version(
        &self,
        bucket: u64,
        key: &[u8],
        version_id: Option<&str>,
        change: &(dyn Fn(&mut ObjectRecord) -> Result<()> + Sync),
    ) -> Result<Option<ObjectRecord>> {
        self.backend.update_version(bucket, key, version_id, change)
    }

    /// Version `version_id` (S3 form) of `key`, current or not, delete markers included.
    pub fn get_version(&self, bucket: u64, key: &[u8], version_id: &str) -> Result<Option<ObjectRecord>> {
        self.backend.get_version(bucket, key, version_id)
    }

    /// The latest version of `key`: the current record, else the delete marker that hides it
    /// (`delete_marker` set), else `None`.
    pub fn latest_version(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        self.backend.latest_version(bucket, key)
    }

    /// Starts a multipart upload of `rec.key` in bucket `bucket` and returns its id (URL-safe,
    /// unique, unguessable). Fails with `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn create_upload(&self, bucket: u64, rec: &UploadRecord) -> Result<String> {
        self.backend.create_upload(bucket, rec)
    }

    /// The upload `id`, if it is in progress.
    pub fn get_upload(&self, id: &str) -> Result<Option<Upload>> {
        if !stored::valid_upload_id(id) {
            return Ok(None);
        }
        self.backend.get_upload(id)
    }

    /// Stores part `part` of upload `upload_id` and returns the part it replaced, whose blob (unless
    /// `rec` reuses it) is queued for GC in the same transaction, and the intent of `rec`'s blob
    /// ends. Fails with `NoSuchUpload`.
    pub fn put_part(&self, upload_id: &str, part: u32, rec: &PartRecord) -> Result<Option<PartRecord>> {
        if !stored::valid_upload_id(upload_id) {
            return Err(Error::NoSuchUpload);
        }
        self.backend.put_part(upload_id, part, rec)
    }

    /// Parts of upload `upload_id` numbered above `after`, in order, at most `max`, and whether more
    /// follow. Fails with `NoSuchUpload`.
    pub fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        max: usize,
    ) -> Result<(Vec<(u32, PartRecord)>, bool)> {
        if !stored::valid_upload_id(upload_id) {
            return Err(Error::NoSuchUpload);
        }
        self.backend.list_parts(upload_id, after, max)
    }

    /// In-progress uploads of bucket `bucket` whose key starts with `prefix`, ordered by key then by
    /// initiation, at most `max`, and whether more follow. Markers as in `ListMultipartUploads`: with
    /// only `key_marker`, uploads of keys after it; with both, also the uploads of `key_marker` whose
    /// id sorts after `upload_id_marker`. (No delimiter support.)
    pub fn list_uploads(
        &self,
        bucket: u64,
        prefix: &[u8],
        key_marker: Option<&[u8]>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> Result<(Vec<Upload>, bool)> {
        if max == 0 {
            return Ok((Vec::new(), false));
        }
        self.backend
            .list_uploads(bucket, prefix, key_marker, upload_id_marker, max)
    }

    /// Aborts upload `upload_id`: removes it and its parts and queues every part blob for GC, in one
    /// transaction. Fails with `NoSuchUpload`.
    pub fn abort_upload(&self, upload_id: &str) -> Result<()> {
        if !stored::valid_upload_id(upload_id) {
            return Err(Error::NoSuchUpload);
        }
        self.backend.abort_upload(upload_id)
    }

    /// Completes upload `upload_id` as object `rec` (whose blobs are the chosen parts' blobs, in
    /// order) if `cond` holds on the current object, atomically: writes the object as
    /// [`Registry::put_object`] does, removes the upload and its parts, and queues for GC the
    /// blobs of parts `rec` does not use. Fails with `NoSuchUpload`, `NoSuchBucket` or
    /// `PreconditionFailed` (then nothing changes).
    pub fn complete_upload(
        &self,
        upload_id: &str,
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        if !stored::valid_upload_id(upload_id) {
            return Err(Error::NoSuchUpload);
        }
        self.backend.complete_upload(upload_id, rec, cond)
    }

    /// Up to `max` queued garbage blobs, oldest first, with their queue ids, claimed or not (a
    /// look at the queue: sweepers use [`Registry::gc_claim`]). Entries stay queued until
    /// [`Registry::gc_done`].
    pub fn gc_pending(&self, max: usize) -> Result<Vec<(u64, BlobRef)>> {
        self.backend.gc_pending(max)
    }

    /// Claims up to `max` queued garbage blobs, oldest first, for `lease`: until the lease runs
    /// out no other claim (from this process or, on PostgreSQL, any gateway) gets them. The
    /// claimer deletes the files and calls [`Registry::gc_done`]; a claimer that dies loses
    /// nothing, its entries are handed out again once the lease has run out (so deleting a
    /// missing file must be treated as success).
    pub fn gc_claim(&self, max: usize, lease: Duration) -> Result<Vec<(u64, BlobRef)>> {
        self.backend.gc_claim(max, lease)
    }

    /// Ends the claims on the given queue entries early (their blobs could not be deleted now),
    /// so the next claim, by anyone, gets them again. Unknown ids are ignored.
    pub fn gc_release(&self, ids: &[u64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.backend.gc_release(ids)
    }

    /// How many blobs are queued for deletion (a metrics scrape, not a hot path).
    pub fn gc_queue_len(&self) -> Result<usize> {
        self.backend.gc_queue_len()
    }

    /// Removes the given queue entries (their blobs have been deleted). Unknown ids are ignored.
    pub fn gc_done(&self, ids: &[u64]) -> Result<()> {
        self.backend.gc_done(ids)
    }

    /// Queues blobs that no record references, e.g. a blob written for a request whose registry
    /// commit then failed. Never pass a blob that a record may reference.
    pub fn gc_enqueue(&self, blobs: &[BlobRef]) -> Result<()> {
        self.backend.gc_enqueue(blobs)
    }

    /// Records that the blob `intent.blob` is about to get its final name (see [`Intent`]). The
    /// intent is durable once [`Registry::flush`] returns (at once on PostgreSQL). Recording it
    /// again replaces it.
    pub fn intent_begin(&self, intent: &Intent) -> Result<()> {
        self.backend.intent_begin(intent)
    }

    /// Removes the intent of the blob at `path`, if any (its write failed and the file is gone).
    pub fn intent_end(&self, path: &str) -> Result<()> {
        self.backend.intent_end(path)
    }

    /// Every recorded intent (writes in flight, and the traces of writers that died).
    pub fn intents(&self) -> Result<Vec<Intent>> {
        self.backend.intents()
    }

    /// Every blob referenced by an object or by a part of an in-progress upload, for `fsck`: a file
    /// on the volume that is neither here nor in the GC queue is an orphan. The iteration is not a
    /// snapshot: run it against a quiescent registry, or re-check candidates before deleting.
    pub fn referenced_blobs(&self) -> ReferencedBlobs {
        ReferencedBlobs {
            inner: self.backend.referenced_blobs(),
        }
    }

    /// Appends an event received at `received` (Unix seconds) and returns its id (> 0).
    pub fn append_event(&self, received: u64, body: &[u8]) -> Result<u64> {
        self.backend.append_event(received, body)
    }

    /// Up to `limit` events with an id greater than `after`, oldest first (`after` 0: from the
    /// oldest kept).
    pub fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventEntry>> {
        self.backend.events_since(after, limit)
    }

    /// The id of the newest kept event (0 if none).
    pub fn last_event_id(&self) -> Result<u64> {
        self.backend.last_event_id()
    }

    /// Drops the oldest events beyond `max_count`, and every event received more than `max_age`
    /// ago. Returns how many were dropped.
    pub fn trim_events(&self, max_count: usize, max_age: Duration) -> Result<usize> {
        self.backend.trim_events(max_count, max_age)
    }

    /// Objects and bytes of bucket `bucket` (zero for an unknown bucket), from its counters:
    /// [`STATS_SHARDS`] rows, whatever the bucket holds.
    pub fn bucket_stats(&self, bucket: u64) -> Result<BucketStats> {
        self.backend.bucket_stats(bucket)
    }

    /// Objects and bytes of every bucket that holds something, by bucket id (a bucket missing
    /// from the map is empty). One pass over the counters, not over the objects.
    pub fn all_bucket_stats(&self) -> Result<BTreeMap<u64, BucketStats>> {
        self.backend.all_bucket_stats()
    }

    /// Makes every write that returned before this call durable. Call it before acknowledging a
    /// write. sled: group commit (concurrent callers share one flush). PostgreSQL: a no-op, every
    /// write is a committed transaction already.
    pub fn flush(&self) -> Result<()> {
        self.backend.flush()
    }

    /// How many storage flushes [`Registry::flush`] has run since open (a metric: fewer than the
    /// number of `flush` calls when callers shared them; always 0 on PostgreSQL).
    pub fn flush_count(&self) -> u64 {
        self.backend.flush_count()
    }
}
