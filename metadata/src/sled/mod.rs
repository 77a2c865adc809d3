//! The sled engine: the registry in an embedded sled database, one process at a time (the
//! default; `make run` and a single gateway use it).
//!
//! Owns the trees below and every sled transaction; the operations are the `Backend` methods,
//! each one sled transaction over the trees it touches. It must not expose sled types outside
//! this module (sled is beta; an engine swap goes through export/import), must not use an async
//! runtime, and must not implement listing or the export stream format itself (`list` and
//! `export` are shared with the PostgreSQL engine).
//!
//! Trees (all values are a format version byte followed by named `MessagePack`, see `codec`):
//!
//! | tree           | key                                             | value                     |
//! |----------------|-------------------------------------------------|---------------------------|
//! | `buckets`      | bucket name                                     | bucket (+ `deleting` flag) |
//! | `bucket_ids`   | bucket id (u64 BE)                              | bucket name               |
//! | `objects`      | bucket id (u64 BE) ++ key bytes                 | [`ObjectRecord`]          |
//! | `uploads`      | upload id                                       | bucket id, [`UploadRecord`], parts version |
//! | `upload_index` | bucket id ++ escaped key ++ `00 00` ++ upload id | empty                     |
//! | `parts`        | upload id ++ part number (u32 BE)               | [`PartRecord`]            |
//! | `gc`           | queue id (u64 BE)                               | [`BlobRef`]               |
//! | `meta`         | `schema`, `id_base`, `stats`                    | u32, u64, u32 (1: `stats` is complete) |
//! | `events`       | event id (u64 BE)                               | receive time, body (`events`) |
//! | `stats`        | bucket id (u64 BE) ++ shard (u8)                | [`BucketStats`] (`stats`)  |
//! | `intents`      | blob path                                       | [`crate::Intent`] (`intents`) |
//! | `versions`     | bucket id ++ escaped key ++ `00 00` ++ !seq (u64 BE) ++ version id | [`ObjectRecord`] (`objects`) |

mod buckets;
mod events;
mod export;
mod flush;
mod gc;
mod intents;
mod list;
mod multipart;
mod objects;
mod stats;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError, TransactionalTree,
};

use crate::backend::{Backend, BlobIter, ObjectRows, VersionsFrom};
use crate::codec::{decode, encode};
use crate::error::StorageExt;
use crate::export::Record;
use crate::versions::LockCheck;
use crate::{
    BlobRef, BucketInit, BucketRecord, BucketStats, Committed, Deleted, Error, EventEntry, Intent,
    ObjectRecord, PartRecord, PutCondition, Result, Upload, UploadRecord, Versioning,
};

/// Layout version of the trees (not of the values: those carry their own version byte). A registry
/// written with another layout is refused at open.
const SCHEMA: u32 = 1;
const META_SCHEMA: &[u8] = b"schema";
const META_ID_BASE: &[u8] = b"id_base";

/// The sled engine: the database and its trees (see the module doc for the layout).
pub(crate) struct SledBackend {
    db: sled::Db,
    buckets: sled::Tree,
    bucket_ids: sled::Tree,
    objects: sled::Tree,
    uploads: sled::Tree,
    upload_index: sled::Tree,
    parts: sled::Tree,
    gc: sled::Tree,
    meta: sled::Tree,
    events: sled::Tree,
    stats: sled::Tree,
    intents: sled::Tree,
    versions: sled::Tree,
    /// Writers of one key take its stripe (see `objects`).
    key_locks: Vec<Mutex<()>>,
    /// Added to sled's `generate_id` so ids stay above every id an import brought in (a fresh
    /// database's counter starts at zero).
    id_base: AtomicU64,
    flush: flush::FlushGate,
    /// GC entries claimed by [`SledBackend::gc_claim`] and until when (one process holds a
    /// sled registry, so claims need not be stored).
    gc_claims: Mutex<HashMap<u64, Instant>>,
}

impl SledBackend {
    /// Opens (creating it if missing) the registry in directory `dir`, with sled's page cache
    /// bounded to about `cache_bytes` (see `Registry::open`).
    pub(crate) fn open(dir: &Path, cache_bytes: u64) -> Result<SledBackend> {
        Self::from_config(&sled::Config::new().path(dir).cache_capacity(cache_bytes))
    }

    /// A fresh registry in a temporary location removed when dropped (for tests).
    pub(crate) fn temporary() -> Result<SledBackend> {
        Self::from_config(&sled::Config::new().temporary(true))
    }

    fn from_config(config: &sled::Config) -> Result<SledBackend> {
        let deadline = Instant::now() + LOCK_WAIT;
        let db = loop {
            match config.open() {
                Err(e) if lock_busy(&e) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other.storage()?,
            }
        };
        let tree = |name: &str| db.open_tree(name).storage();
        let inner = SledBackend {
            buckets: tree("buckets")?,
            bucket_ids: tree("bucket_ids")?,
            objects: tree("objects")?,
            uploads: tree("uploads")?,
            upload_index: tree("upload_index")?,
            parts: tree("parts")?,
            gc: tree("gc")?,
            meta: tree("meta")?,
            events: tree("events")?,
            stats: tree("stats")?,
            intents: tree("intents")?,
            versions: tree("versions")?,
            key_locks: (0..objects::KEY_LOCKS).map(|_| Mutex::new(())).collect(),
            id_base: AtomicU64::new(0),
            flush: flush::FlushGate::default(),
            gc_claims: Mutex::new(HashMap::new()),
            db,
        };
        match inner.meta.get(META_SCHEMA).storage()? {
            Some(v) => {
                let schema: u32 = decode("registry schema", &v)?;
                if schema != SCHEMA {
                    return Err(Error::Corrupt(format!(
                        "registry schema {schema} is not supported (this build reads {SCHEMA})"
                    )));
                }
            }
            None => {
                inner.meta.insert(META_SCHEMA, encode(&SCHEMA)?).storage()?;
            }
        }
        if let Some(v) = inner.meta.get(META_ID_BASE).storage()? {
            inner.id_base.store(decode("id base", &v)?, Ordering::SeqCst);
        }
        inner.restore_deleting_buckets()?;
        inner.ensure_stats()?;
        Ok(inner)
    }

    /// See `Registry::reserve_ids_through`; recorded durably with the next flush.
    pub(crate) fn reserve_ids_through(&self, id: u64) -> Result<()> {
        let base = self.id_base.load(Ordering::SeqCst).max(id.saturating_add(1));
        self.meta.insert(META_ID_BASE, encode(&base)?).storage()?;
        self.id_base.store(base, Ordering::SeqCst);
        Ok(())
    }

    /// A new id, unique within this registry, from inside a transaction.
    fn next_id(&self, tree: &TransactionalTree) -> sled::Result<u64> {
        Ok(self.id_base.load(Ordering::SeqCst) + tree.generate_id()?)
    }
}

/// How long `Registry::open` waits for a registry lock held by sled's background threads.
pub const LOCK_WAIT: Duration = Duration::from_secs(3);

/// The page cache `Registry::open` gives sled, bytes. sled counts a page at its encoded size;
/// in memory it takes about 2.5 times that (measured: 16 MiB of cache holds ~40 MiB). 16 MiB
/// lists a page from a 1,000,000-object bucket as fast as 64 MiB did (bench: 460 vs 460 pages/s
/// at one client), and a gateway on that registry rests at 137 MiB instead of 215.
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// True if sled failed to open because another handle holds the database's file lock (sled reports
/// it only as an `Other` I/O error with this message).
fn lock_busy(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().starts_with("could not acquire lock"))
}

/// Why a transaction aborted: a real error, or a stale snapshot taken outside it (retry).
pub(crate) enum Abort {
    Error(Error),
    Stale,
}

impl From<Error> for Abort {
    fn from(e: Error) -> Self {
        Abort::Error(e)
    }
}

/// What a transaction closure returns.
type TxResult<T, E = Error> = ConflictableTransactionResult<T, E>;

/// Aborts a transaction with `e`.
fn abort<T, E: From<Error>>(e: Error) -> TxResult<T, E> {
    Err(ConflictableTransactionError::Abort(E::from(e)))
}

/// Decodes a value inside a transaction; corrupt data aborts it.
fn tx_decode<T: serde::de::DeserializeOwned, E: From<Error>>(what: &str, bytes: &[u8]) -> TxResult<T, E> {
    decode(what, bytes).map_err(|e| ConflictableTransactionError::Abort(E::from(e)))
}

/// Encodes a value inside a transaction.
fn tx_encode<T: serde::Serialize, E: From<Error>>(value: &T) -> TxResult<Vec<u8>, E> {
    encode(value).map_err(|e| ConflictableTransactionError::Abort(E::from(e)))
}

/// Turns a finished transaction into our result.
fn finish<T>(r: std::result::Result<T, TransactionError<Error>>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(Error::Storage(Box::new(e))),
    }
}

impl Backend for SledBackend {
    fn summary(&self) -> String {
        format!(
            "sled: {} buckets, {} objects",
            self.buckets.len(),
            self.objects.len()
        )
    }

    fn reserve_ids_through(&self, id: u64) -> Result<()> {
        SledBackend::reserve_ids_through(self, id)
    }

    fn create_bucket(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        volume: &str,
        now_ms: u64,
        init: &BucketInit,
    ) -> Result<BucketRecord> {
        self.create_bucket_on(name, owner, region, volume, now_ms, init)
    }

    fn set_bucket_config(&self, name: &str, kind: &str, value: Option<&str>) -> Result<()> {
        self.modify_bucket(name, &|b| b.set_config(kind, value))
    }

    fn set_bucket_tags(&self, name: &str, tags: &[(String, String)]) -> Result<()> {
        SledBackend::set_bucket_tags(self, name, tags)
    }

    fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        SledBackend::get_bucket(self, name)
    }

    fn set_bucket_versioning(&self, name: &str, state: Versioning) -> Result<()> {
        self.modify_bucket(name, &|b| b.versioning = state)
    }

    fn list_buckets(
        &self,
        owner: Option<&str>,
        start_after: Option<&str>,
        max: usize,
    ) -> Result<(Vec<BucketRecord>, bool)> {
        SledBackend::list_buckets(self, owner, start_after, max)
    }

    fn delete_bucket(&self, name: &str) -> Result<BucketRecord> {
        SledBackend::delete_bucket(self, name)
    }

    fn get_object(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        SledBackend::get_object(self, bucket, key)
    }

    fn put_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        SledBackend::put_object(self, bucket, key, rec, cond)
    }

    fn set_object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>> {
        SledBackend::set_object_tags(self, bucket, key, tags)
    }

    fn delete_object(&self, bucket: u64, key: &[u8], cond: &PutCondition) -> Result<Deleted> {
        SledBackend::delete_object(self, bucket, key, cond)
    }

    fn delete_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: &str,
        lock: LockCheck,
    ) -> Result<Option<ObjectRecord>> {
        SledBackend::delete_version(self, bucket, key, label, lock)
    }

    fn update_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: Option<&str>,
        change: &(dyn Fn(&mut ObjectRecord) -> Result<()> + Sync),
    ) -> Result<Option<ObjectRecord>> {
        SledBackend::update_version(self, bucket, key, label, change)
    }

    fn get_version(&self, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>> {
        SledBackend::get_version(self, bucket, key, label)
    }

    fn latest_version(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        SledBackend::latest_version(self, bucket, key)
    }

    fn scan_versions<'a>(
        &'a self,
        bucket: u64,
        from: VersionsFrom<'_>,
        prefix: &[u8],
        _batch: usize,
    ) -> Result<ObjectRows<'a>> {
        Ok(self.scan_version_rows(bucket, from, prefix))
    }

    fn scan_objects<'a>(
        &'a self,
        bucket: u64,
        lower: Bound<&[u8]>,
        prefix: &[u8],
        _batch: usize,
    ) -> Result<ObjectRows<'a>> {
        Ok(self.scan_rows(bucket, lower, prefix))
    }

    fn create_upload(&self, bucket: u64, rec: &UploadRecord) -> Result<String> {
        SledBackend::create_upload(self, bucket, rec)
    }

    fn get_upload(&self, id: &str) -> Result<Option<Upload>> {
        SledBackend::get_upload(self, id)
    }

    fn put_part(&self, upload_id: &str, part: u32, rec: &PartRecord) -> Result<Option<PartRecord>> {
        SledBackend::put_part(self, upload_id, part, rec)
    }

    fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> Result<(Vec<(u32, PartRecord)>, bool)> {
        SledBackend::list_parts(self, upload_id, after, max)
    }

    fn list_uploads(
        &self,
        bucket: u64,
        prefix: &[u8],
        key_marker: Option<&[u8]>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> Result<(Vec<Upload>, bool)> {
        SledBackend::list_uploads(self, bucket, prefix, key_marker, upload_id_marker, max)
    }

    fn abort_upload(&self, upload_id: &str) -> Result<()> {
        SledBackend::abort_upload(self, upload_id)
    }

    fn complete_upload(&self, upload_id: &str, rec: &ObjectRecord, cond: &PutCondition) -> Result<Committed> {
        SledBackend::complete_upload(self, upload_id, rec, cond)
    }

    fn gc_pending(&self, max: usize) -> Result<Vec<(u64, BlobRef)>> {
        SledBackend::gc_pending(self, max)
    }

    fn gc_claim(&self, max: usize, lease: Duration) -> Result<Vec<(u64, BlobRef)>> {
        SledBackend::gc_claim(self, max, lease)
    }

    fn gc_release(&self, ids: &[u64]) -> Result<()> {
        SledBackend::gc_release(self, ids);
        Ok(())
    }

    fn gc_queue_len(&self) -> Result<usize> {
        SledBackend::gc_queue_len(self)
    }

    fn gc_done(&self, ids: &[u64]) -> Result<()> {
        SledBackend::gc_done(self, ids)
    }

    fn gc_enqueue(&self, blobs: &[BlobRef]) -> Result<()> {
        SledBackend::gc_enqueue(self, blobs)
    }

    fn referenced_blobs(&self) -> BlobIter {
        SledBackend::referenced_blobs(self)
    }

    fn intent_begin(&self, intent: &Intent) -> Result<()> {
        SledBackend::intent_begin(self, intent)
    }

    fn intent_end(&self, path: &str) -> Result<()> {
        SledBackend::intent_end(self, path)
    }

    fn intents(&self) -> Result<Vec<Intent>> {
        SledBackend::intents(self)
    }

    fn append_event(&self, received: u64, body: &[u8]) -> Result<u64> {
        SledBackend::append_event(self, received, body)
    }

    fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventEntry>> {
        SledBackend::events_since(self, after, limit)
    }

    fn last_event_id(&self) -> Result<u64> {
        SledBackend::last_event_id(self)
    }

    fn trim_events(&self, max_count: usize, max_age: Duration) -> Result<usize> {
        SledBackend::trim_events(self, max_count, max_age)
    }

    fn bucket_stats(&self, bucket: u64) -> Result<BucketStats> {
        SledBackend::bucket_stats(self, bucket)
    }

    fn all_bucket_stats(&self) -> Result<BTreeMap<u64, BucketStats>> {
        SledBackend::all_bucket_stats(self)
    }

    fn export_records(&self, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        SledBackend::export_records(self, sink)
    }

    fn import_records(&self, next: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<()> {
        SledBackend::import_records(self, next)
    }

    fn flush(&self) -> Result<()> {
        SledBackend::flush(self)
    }

    fn flush_count(&self) -> u64 {
        SledBackend::flush_count(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::codec;

    #[test]
    fn corrupt_object_record_is_an_error_not_a_panic() {
        let reg = SledBackend::temporary().unwrap();
        let b = reg.create_bucket("b", "o", "r", 1).unwrap();
        reg.objects
            .insert(codec::object_key(b.id, b"k"), vec![9u8, 1, 2])
            .unwrap();
        assert!(matches!(reg.get_object(b.id, b"k"), Err(Error::Corrupt(_))));
        let q = crate::ListQuery {
            max: 10,
            ..crate::ListQuery::default()
        };
        let reg = Arc::new(reg);
        let registry = crate::Registry::with_backend(reg.clone());
        assert!(matches!(registry.list_objects(b.id, &q), Err(Error::Corrupt(_))));
        let put = reg.put_object(b.id, b"k", &ObjectRecord::default(), &PutCondition::None);
        assert!(matches!(put, Err(Error::Corrupt(_))));
        assert!(registry
            .referenced_blobs()
            .any(|r| matches!(r, Err(Error::Corrupt(_)))));
    }

    #[test]
    fn reserved_ids_stay_above_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
            reg.reserve_ids_through(41).unwrap();
            assert!(reg.create_bucket("a", "o", "r", 1).unwrap().id > 41);
            reg.reserve_ids_through(7).unwrap(); // never lowers the base
            assert!(reg.create_bucket("b", "o", "r", 1).unwrap().id > 41);
            reg.flush().unwrap();
        }
        let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
        assert!(reg.create_bucket("c", "o", "r", 1).unwrap().id > 41);
    }

    #[test]
    fn unknown_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
            reg.meta.insert(META_SCHEMA, encode(&99u32).unwrap()).unwrap();
            reg.flush().unwrap();
        }
        assert!(matches!(
            SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES),
            Err(Error::Corrupt(_))
        ));
    }

    #[test]
    fn crash_during_delete_bucket_restores_the_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
            let b = reg.create_bucket("b", "o", "r", 1).unwrap();
            reg.mark_deleting("b").unwrap();
            let put = reg.put_object(b.id, b"k", &ObjectRecord::default(), &PutCondition::None);
            assert!(matches!(put, Err(Error::NoSuchBucket)));
            reg.flush().unwrap();
            b.id
        };
        let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
        reg.put_object(id, b"k", &ObjectRecord::default(), &PutCondition::None)
            .unwrap();
    }
}
