//! The engine interface under [`Registry`](crate::Registry): one method per registry operation,
//! not a key-value interface, so that each engine keeps an operation atomic its own way (sled
//! transactions over several trees; PostgreSQL transactions with row locks and SQL conditions).
//!
//! Owns the [`Backend`] trait and the few shapes that cross it (raw object rows for listing,
//! export records). Listing and the export stream format are engine-independent and live in
//! `list` and `export`, over [`Backend::scan_objects`] and [`Backend::export_records`] /
//! [`Backend::import_records`]. This module must not hold engine code, and the trait must stay
//! blocking (an engine with an async client drives it on its own runtime).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::Duration;

use crate::export::Record;
use crate::versions::LockCheck;
use crate::{
    BlobRef, BucketInit, BucketRecord, BucketStats, Committed, Deleted, EventEntry, Intent, ObjectRecord,
    PartRecord, PutCondition, Result, Upload, UploadRecord, Versioning,
};

/// Object rows of one bucket in key order: (key without the bucket, encoded [`ObjectRecord`]).
pub(crate) type ObjectRows<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a>;

/// Where a scan of `versions` starts (see [`Backend::scan_versions`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum VersionsFrom<'a> {
    /// The versions of every key from this one on.
    Key(&'a [u8]),
    /// The versions of the keys after this one.
    AfterKey(&'a [u8]),
    /// The versions of this key older than the version (order stamp, stored id), then those of
    /// the keys after it.
    After(&'a [u8], u64, &'a str),
}

/// Every referenced blob, see [`Backend::referenced_blobs`].
pub(crate) type BlobIter = Box<dyn Iterator<Item = Result<BlobRef>> + Send>;

/// A registry engine. Every method blocks; semantics are those of the `Registry` method of the
/// same name (the integration suite runs against every engine).
#[allow(
    missing_docs,
    reason = "each method is documented on the Registry method it backs"
)]
pub(crate) trait Backend: Send + Sync {
    /// A one-line description for `Debug` (engine and size or location).
    fn summary(&self) -> String;

    fn reserve_ids_through(&self, id: u64) -> Result<()>;

    fn create_bucket(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        volume: &str,
        now_ms: u64,
        init: &BucketInit,
    ) -> Result<BucketRecord>;
    fn set_bucket_config(&self, name: &str, kind: &str, value: Option<&str>) -> Result<()>;
    fn set_bucket_tags(&self, name: &str, tags: &[(String, String)]) -> Result<()>;
    fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>>;
    fn set_bucket_versioning(&self, name: &str, state: Versioning) -> Result<()>;
    fn list_buckets(
        &self,
        owner: Option<&str>,
        start_after: Option<&str>,
        max: usize,
    ) -> Result<(Vec<BucketRecord>, bool)>;
    fn delete_bucket(&self, name: &str) -> Result<BucketRecord>;

    fn get_object(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>>;
    fn put_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed>;
    fn set_object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>>;
    fn delete_object(&self, bucket: u64, key: &[u8], cond: &PutCondition) -> Result<Deleted>;
    fn delete_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: &str,
        lock: LockCheck,
    ) -> Result<Option<ObjectRecord>>;
    fn update_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: Option<&str>,
        change: &(dyn Fn(&mut ObjectRecord) -> Result<()> + Sync),
    ) -> Result<Option<ObjectRecord>>;
    fn get_version(&self, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>>;
    fn latest_version(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>>;
    /// The ordered range scan of `versions` that version listing runs on: rows (key, encoded
    /// record) of bucket `bucket` from `from` on whose key starts with `prefix`, by key, then
    /// newest first. `batch` as for [`Backend::scan_objects`].
    fn scan_versions<'a>(
        &'a self,
        bucket: u64,
        from: VersionsFrom<'_>,
        prefix: &[u8],
        batch: usize,
    ) -> Result<ObjectRows<'a>>;
    /// The ordered range-scan primitive of listing: rows of bucket `bucket` from `lower` on
    /// whose key starts with `prefix`, in key order. `batch` is how many rows the caller expects
    /// to read before it seeks elsewhere or stops (an engine that fetches in round trips fetches
    /// that many first); the iterator must still go on past it if read further.
    fn scan_objects<'a>(
        &'a self,
        bucket: u64,
        lower: Bound<&[u8]>,
        prefix: &[u8],
        batch: usize,
    ) -> Result<ObjectRows<'a>>;

    fn create_upload(&self, bucket: u64, rec: &UploadRecord) -> Result<String>;
    fn get_upload(&self, id: &str) -> Result<Option<Upload>>;
    fn put_part(&self, upload_id: &str, part: u32, rec: &PartRecord) -> Result<Option<PartRecord>>;
    fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> Result<(Vec<(u32, PartRecord)>, bool)>;
    fn list_uploads(
        &self,
        bucket: u64,
        prefix: &[u8],
        key_marker: Option<&[u8]>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> Result<(Vec<Upload>, bool)>;
    fn abort_upload(&self, upload_id: &str) -> Result<()>;
    fn complete_upload(&self, upload_id: &str, rec: &ObjectRecord, cond: &PutCondition) -> Result<Committed>;

    fn gc_pending(&self, max: usize) -> Result<Vec<(u64, BlobRef)>>;
    fn gc_claim(&self, max: usize, lease: Duration) -> Result<Vec<(u64, BlobRef)>>;
    fn gc_release(&self, ids: &[u64]) -> Result<()>;
    fn gc_queue_len(&self) -> Result<usize>;
    fn gc_done(&self, ids: &[u64]) -> Result<()>;
    fn gc_enqueue(&self, blobs: &[BlobRef]) -> Result<()>;
    fn referenced_blobs(&self) -> BlobIter;

    fn intent_begin(&self, intent: &Intent) -> Result<()>;
    fn intent_end(&self, path: &str) -> Result<()>;
    fn intents(&self) -> Result<Vec<Intent>>;

    fn append_event(&self, received: u64, body: &[u8]) -> Result<u64>;
    fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventEntry>>;
    fn last_event_id(&self) -> Result<u64>;
    fn trim_events(&self, max_count: usize, max_age: Duration) -> Result<usize>;

    fn bucket_stats(&self, bucket: u64) -> Result<BucketStats>;
    fn all_bucket_stats(&self) -> Result<BTreeMap<u64, BucketStats>>;

    /// Hands every bucket, object, version, upload, part and GC entry to `sink`, in that order.
    fn export_records(&self, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()>;
    /// Fills an empty registry ([`crate::Error::ImportTargetNotEmpty`] otherwise) with the
    /// records `next` yields until `Ok(None)`, keeps later ids above every imported id, and
    /// recomputes the counters.
    fn import_records(&self, next: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<()>;

    fn flush(&self) -> Result<()>;
    fn flush_count(&self) -> u64;
}
