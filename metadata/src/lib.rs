//! The gateway's registry: bucket and object metadata, multipart state and the blob garbage queue,
//! in an embedded sled database behind a typed, blocking API.
//!
//! The registry is the namespace: listings, ETags, user metadata and multipart state are answered
//! from it, while object bytes live in blob files on the volume, referenced by path. This crate must
//! not do I/O on blobs, must not know HTTP or S3 wire formats, must not use an async runtime (the
//! gateway calls it from its own blocking pool), and must not expose sled types (sled is beta; an
//! engine swap goes through [`Registry::export`] / [`Registry::import`]).
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

mod buckets;
mod codec;
mod error;
mod events;
mod export;
mod flush;
mod gc;
mod list;
mod multipart;
mod objects;
mod stats;
mod types;

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError, TransactionalTree,
};

pub use error::{Error, Result};
pub use events::EventEntry;
pub use gc::ReferencedBlobs;
pub use stats::{BucketStats, STATS_SHARDS};
pub use types::{
    BlobRef, BucketRecord, ListEntry, ListPage, ListQuery, ObjectRecord, PartRecord, PutCondition, Upload,
    UploadRecord,
};

use codec::{decode, encode};
use error::StorageExt;

/// Layout version of the trees (not of the values: those carry their own version byte). A registry
/// written with another layout is refused at open.
const SCHEMA: u32 = 1;
const META_SCHEMA: &[u8] = b"schema";
const META_ID_BASE: &[u8] = b"id_base";

/// Handle on an open registry. Cheap to clone (an `Arc` inside); `Send + Sync`. Every method
/// blocks on disk I/O and belongs on a blocking thread.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

/// The database and its trees (see the module doc for the layout).
struct Inner {
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
    /// Added to sled's `generate_id` so ids stay above every id an import brought in (a fresh
    /// database's counter starts at zero).
    id_base: AtomicU64,
    flush: flush::FlushGate,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Registry>();
};

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("buckets", &self.inner.buckets.len())
            .field("objects", &self.inner.objects.len())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// Opens (creating it if missing) the registry stored in directory `dir`.
    ///
    /// Only one process may hold a registry open. After the last handle in this process is dropped,
    /// sled's background threads may keep the directory's lock for a moment, so a lock conflict is
    /// retried for up to [`LOCK_WAIT`] before failing with [`Error::Storage`].
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
        Self::from_config(&sled::Config::new().path(dir).cache_capacity(cache_bytes))
    }

    /// Opens a fresh registry in a temporary location that is removed when the last handle drops
    /// (for tests).
    pub fn open_temporary() -> Result<Registry> {
        Self::from_config(&sled::Config::new().temporary(true))
    }

    fn from_config(config: &sled::Config) -> Result<Registry> {
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
        let inner = Inner {
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
            id_base: AtomicU64::new(0),
            flush: flush::FlushGate::default(),
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
        let registry = Registry {
            inner: Arc::new(inner),
        };
        registry.restore_deleting_buckets()?;
        registry.ensure_stats()?;
        Ok(registry)
    }

    /// Makes every id handed out from now on (buckets, uploads, GC entries) greater than `id`, and
    /// records that durably with the next flush. `gateway reindex` uses it so that the bucket ids of
    /// a rebuilt registry never coincide with the ids that name the existing blob directories.
    pub fn reserve_ids_through(&self, id: u64) -> Result<()> {
        let base = self
            .inner
            .id_base
            .load(Ordering::SeqCst)
            .max(id.saturating_add(1));
        self.inner.meta.insert(META_ID_BASE, encode(&base)?).storage()?;
        self.inner.id_base.store(base, Ordering::SeqCst);
        Ok(())
    }

    /// A new id, unique within this registry, from inside a transaction.
    fn next_id(&self, tree: &TransactionalTree) -> sled::Result<u64> {
        Ok(self.inner.id_base.load(Ordering::SeqCst) + tree.generate_id()?)
    }
}

/// How long [`Registry::open`] waits for a registry lock held by sled's background threads.
pub const LOCK_WAIT: Duration = Duration::from_secs(3);

/// The page cache [`Registry::open`] gives sled, bytes. sled counts a page at its encoded size;
/// in memory it takes about 2.5 times that (measured: 16 MiB of cache holds ~40 MiB). 16 MiB
/// lists a page from a 1,000,000-object bucket as fast as 64 MiB did (bench: 460 vs 460 pages/s
/// at one client), and a gateway on that registry rests at 137 MiB instead of 215.
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// True if sled failed to open because another handle holds the database's file lock (sled reports
/// it only as an `Other` I/O error with this message).
fn lock_busy(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().starts_with("could not acquire lock"))
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
        Err(TransactionError::Storage(e)) => Err(Error::Storage(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_object_record_is_an_error_not_a_panic() {
        let reg = Registry::open_temporary().unwrap();
        let b = reg.create_bucket("b", "o", "r", 1).unwrap();
        reg.inner
            .objects
            .insert(codec::object_key(b.id, b"k"), vec![9u8, 1, 2])
            .unwrap();
        assert!(matches!(reg.get_object(b.id, b"k"), Err(Error::Corrupt(_))));
        let q = ListQuery {
            max: 10,
            ..ListQuery::default()
        };
        assert!(matches!(reg.list_objects(b.id, &q), Err(Error::Corrupt(_))));
        let put = reg.put_object(b.id, b"k", &ObjectRecord::default(), &PutCondition::None);
        assert!(matches!(put, Err(Error::Corrupt(_))));
        assert!(reg
            .referenced_blobs()
            .any(|r| matches!(r, Err(Error::Corrupt(_)))));
    }

    #[test]
    fn reserved_ids_stay_above_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let reg = Registry::open(dir.path()).unwrap();
            reg.reserve_ids_through(41).unwrap();
            assert!(reg.create_bucket("a", "o", "r", 1).unwrap().id > 41);
            reg.reserve_ids_through(7).unwrap(); // never lowers the base
            assert!(reg.create_bucket("b", "o", "r", 1).unwrap().id > 41);
            reg.flush().unwrap();
        }
        let reg = Registry::open(dir.path()).unwrap();
        assert!(reg.create_bucket("c", "o", "r", 1).unwrap().id > 41);
    }

    #[test]
    fn unknown_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let reg = Registry::open(dir.path()).unwrap();
            reg.inner
                .meta
                .insert(META_SCHEMA, encode(&99u32).unwrap())
                .unwrap();
            reg.flush().unwrap();
        }
        assert!(matches!(Registry::open(dir.path()), Err(Error::Corrupt(_))));
    }

    #[test]
    fn crash_during_delete_bucket_restores_the_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let reg = Registry::open(dir.path()).unwrap();
            let b = reg.create_bucket("b", "o", "r", 1).unwrap();
            reg.mark_deleting("b").unwrap();
            let put = reg.put_object(b.id, b"k", &ObjectRecord::default(), &PutCondition::None);
            assert!(matches!(put, Err(Error::NoSuchBucket)));
            reg.flush().unwrap();
            b.id
        };
        let reg = Registry::open(dir.path()).unwrap();
        reg.put_object(id, b"k", &ObjectRecord::default(), &PutCondition::None)
            .unwrap();
    }
}
