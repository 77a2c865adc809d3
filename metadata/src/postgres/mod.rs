//! The PostgreSQL engine: the registry in a PostgreSQL database that several gateways share.
//!
//! Owns the connection pool (deadpool over tokio-postgres: maintained, async, multi-host URLs
//! with `target_session_attrs=read-write` so a gateway follows a failover), the private tokio
//! runtime that drives it (the `Backend` API is blocking: each call is `block_on` from the
//! caller's blocking thread, never from an executor thread), the schema migrations
//! (`metadata/migrations/*.sql`, `migrate`), the mapping of PostgreSQL failures to registry
//! errors, and the SQL of every operation. It must not implement listing or the export stream
//! format (`crate::list`, `crate::export` are shared with sled) and must not use PL/pgSQL or
//! other non-portable SQL beyond sequences and `FOR UPDATE / FOR SHARE / SKIP LOCKED`.
//!
//! Tables (`0001_init.sql`): `buckets` (id, name bytea unique, owner, value), `objects`
//! (bucket_id, key bytea, value), `uploads` (id, bucket_id, key, value), `parts` (upload_id,
//! part, value), `gc` (id, value, claimed_until), `bucket_stats` (bucket_id, shard, objects,
//! bytes), `events` (id, received, body), `intents` (`0002`), `versions` (bucket_id, key, seq,
//! version_id, value; `0003`); sequences `registry_ids` (bucket, upload and queue ids)
//! and `event_ids`. Values are the versioned `MessagePack` records of `codec`.
//!
//! Concurrency, all transactions at READ COMMITTED: a write under a bucket locks the bucket row
//! `FOR SHARE`, then takes the key's advisory lock (so `If-None-Match: *` has exactly one
//! winner, and a version is never lost between two writers), then the object row `FOR UPDATE`
//! (`versions`). `delete_bucket` locks the bucket row `FOR UPDATE`, which waits for the writes
//! holding it and excludes new ones, then checks emptiness. Multipart: `put_part` locks its upload
//! `FOR SHARE`, complete and abort lock it `FOR UPDATE`, so a completion sees every part that
//! landed before it. The GC queue is claimed with `FOR UPDATE SKIP LOCKED` and a lease column.
//! Serialization failures and deadlocks (40001, 40P01) rerun the transaction a bounded number of
//! times; a lost or refused connection is [`Error::Unavailable`].

mod migrate;
mod multipart;
mod namespace;
mod queue;
mod transfer;
mod versions;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::backend::{Backend, BlobIter, ObjectRows, VersionsFrom};
use crate::export::Record;
use crate::versions::LockCheck;
use crate::{
    BlobRef, BucketInit, BucketRecord, BucketStats, Committed, Deleted, Error, EventEntry, Intent,
    ObjectRecord, PartRecord, PutCondition, Result, Upload, UploadRecord, Versioning,
};

/// How many times a transaction that hit a serialization failure or a deadlock is run again.
const MAX_RETRIES: u32 = 8;
/// Connections per process.
const POOL_SIZE: usize = 16;
/// Longest wait for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// Longest wait for a new connection (per host tried).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The runtime and the pool, shared by the backend and its long-lived iterators.
struct Shared {
    /// `Some` until dropped: taken in `Drop` to shut down without blocking (the last handle may
    /// be dropped on an executor thread, where a blocking shutdown would panic).
    rt: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// The URL without its password, for messages.
    location: String,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Shared {
    /// Runs `fut` to completion on the private runtime, from the caller's (blocking) thread.
    fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        match &self.rt {
            Some(rt) => rt.block_on(fut),
            None => unreachable!("the runtime is only taken when the backend is dropped"),
        }
    }

    /// A pooled connection.
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// The PostgreSQL engine (see the module doc).
pub(crate) struct PgBackend {
    shared: Arc<Shared>,
}

/// Runs `$body` (an async block body using `$tx`, returning `Result<T>`) in one transaction,
/// rerunning it on serialization failures and deadlocks.
macro_rules! transaction {
    ($backend:expr, |$tx:ident| $body:block) => {{
        let shared = &$backend.shared;
        shared.block_on(async {
            let mut attempt = 0u32;
            loop {
                let mut client = shared.client().await?;
                let outcome = {
                    let $tx = client.transaction().await.map_err($crate::postgres::pg)?;
                    let r: $crate::Result<_> = async { $body }.await;
                    match r {
                        Ok(v) => $tx.commit().await.map_err($crate::postgres::pg).map(|()| v),
                        Err(e) => {
                            let _ = $tx.rollback().await;
                            Err(e)
                        }
                    }
                };
                match outcome {
                    Err(e) if $crate::postgres::retryable(&e) && attempt < $crate::postgres::MAX_RETRIES => {
                        attempt += 1;
                    }
                    other => break other,
                }
            }
        })
    }};
}

/// Runs `$body` with a pooled connection `$c`, outside any explicit transaction (single reads).
macro_rules! with_client {
    ($backend:expr, |$c:ident| $body:block) => {{
        let shared = &$backend.shared;
        shared.block_on(async {
            let $c = shared.client().await?;
            let r: $crate::Result<_> = async { $body }.await;
            r
        })
    }};
}

pub(crate) use {transaction, with_client};

/// Maps a PostgreSQL error: a lost, refused or read-only connection is [`Error::Unavailable`],
/// the rest [`Error::Storage`].
pub(crate) fn pg(e: tokio_postgres::Error) -> Error {
    let unavailable = match e.as_db_error() {
        Some(db) => {
            let code = db.code();
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                    SqlState::READ_ONLY_SQL_TRANSACTION,
                ]
                .contains(code)
        }
        // Not an error the server sent: the connection broke, timed out or was never made
        // (row decoding failures are ours and say so).
        None => !e.to_string().contains("error deserializing"),
    };
    if unavailable {
        Error::Unavailable(Box::new(e))
    } else {
        Error::Storage(Box::new(e))
    }
}

/// Maps a pool error (a connection could not be had).
fn pool_error(e: PoolError) -> Error {
    match e {
        PoolError::Backend(e) => pg(e),
        other => Error::Unavailable(Box::new(other)),
    }
}

/// True if `e` is a serialization failure or a deadlock: the transaction may simply run again.
pub(crate) fn retryable(e: &Error) -> bool {
    let Error::Storage(source) = e else {
        return false;
    };
    source
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|c| *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// `url` with its password hidden.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{hosts}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Statement parameters.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs a cached prepared statement, returns its rows.
pub(crate) async fn rows(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
    let st = c.prepare_cached(sql).await.map_err(pg)?;
    c.query(&st, params).await.map_err(pg)
}

/// Runs a cached prepared statement, returns its first row if any.
pub(crate) async fn row(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
    let st = c.prepare_cached(sql).await.map_err(pg)?;
    c.query_opt(&st, params).await.map_err(pg)
}

/// Runs a cached prepared statement, returns the number of rows it changed.
pub(crate) async fn exec(c: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<u64> {
    let st = c.prepare_cached(sql).await.map_err(pg)?;
    c.execute(&st, params).await.map_err(pg)
}

/// Column `i` of `row`.
pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T> {
    row.try_get(i).map_err(pg)
}

/// A registry id as stored (ids are far below `i64::MAX`; a larger one reads back as corrupt).
pub(crate) fn sql_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// A stored id.
pub(crate) fn id_of(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Corrupt(format!("negative id {v}")))
}

/// A row limit.
pub(crate) fn sql_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgBackend {
    /// Connects to `url`, migrates the schema, and returns the engine.
    pub(crate) fn open(url: &str) -> Result<PgBackend> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| {
            Error::Storage(format!("registry URL {}: {e}", redact(url)).into())
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("glusters3");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("registry-pg")
            .enable_all()
            .build()
            .map_err(|e| Error::Storage(Box::new(e)))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT * 3))
            .build()
            .map_err(|e| Error::Storage(Box::new(e)))?;
        let backend = PgBackend {
            shared: Arc::new(Shared {
                rt: Some(rt),
                pool,
                location: redact(url),
            }),
        };
        backend.shared.block_on(async {
            let mut client = backend.shared.client().await?;
            migrate::run(&mut client).await
        })?;
        Ok(backend)
    }
}

impl Backend for PgBackend {
    fn summary(&self) -> String {
        format!("postgres: {}", self.shared.location)
    }

    fn reserve_ids_through(&self, id: u64) -> Result<()> {
        self.reserve_ids(id)
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
        self.modify_bucket(name, &|b| b.tags = tags.to_vec())
    }

    fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        self.bucket(name)
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
        self.buckets_page(owner, start_after, max)
    }

    fn delete_bucket(&self, name: &str) -> Result<BucketRecord> {
        self.remove_bucket(name)
    }

    fn get_object(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        self.object(bucket, key)
    }

    fn put_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        self.write_object(bucket, key, rec, cond)
    }

    fn set_object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>> {
        self.object_tags(bucket, key, tags)
    }

    fn delete_object(&self, bucket: u64, key: &[u8], cond: &PutCondition) -> Result<Deleted> {
        self.remove_object(bucket, key, cond)
    }

    fn delete_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: &str,
        lock: LockCheck,
    ) -> Result<Option<ObjectRecord>> {
        self.remove_version(bucket, key, label, lock)
    }

    fn update_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: Option<&str>,
        change: &(dyn Fn(&mut ObjectRecord) -> Result<()> + Sync),
    ) -> Result<Option<ObjectRecord>> {
        self.change_version(bucket, key, label, change)
    }

    fn get_version(&self, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>> {
        self.version(bucket, key, label)
    }

    fn latest_version(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        self.latest(bucket, key)
    }

    fn scan_versions<'a>(
        &'a self,
        bucket: u64,
        from: VersionsFrom<'_>,
        prefix: &[u8],
        batch: usize,
    ) -> Result<ObjectRows<'a>> {
        Ok(Box::new(versions::VersionScan::new(
            self, bucket, from, prefix, batch,
        )))
    }

    fn scan_objects<'a>(
        &'a self,
        bucket: u64,
        lower: Bound<&[u8]>,
        prefix: &[u8],
        batch: usize,
    ) -> Result<ObjectRows<'a>> {
        Ok(Box::new(namespace::Scan::new(self, bucket, lower, prefix, batch)))
    }

    fn create_upload(&self, bucket: u64, rec: &UploadRecord) -> Result<String> {
        self.new_upload(bucket, rec)
    }

    fn get_upload(&self, id: &str) -> Result<Option<Upload>> {
        self.upload(id)
    }

    fn put_part(&self, upload_id: &str, part: u32, rec: &PartRecord) -> Result<Option<PartRecord>> {
        self.write_part(upload_id, part, rec)
    }

    fn list_parts(&self, upload_id: &str, after: u32, max: usize) -> Result<(Vec<(u32, PartRecord)>, bool)> {
        self.parts_page(upload_id, after, max)
    }

    fn list_uploads(
        &self,
        bucket: u64,
        prefix: &[u8],
        key_marker: Option<&[u8]>,
        upload_id_marker: Option<&str>,
        max: usize,
    ) -> Result<(Vec<Upload>, bool)> {
        self.uploads_page(bucket, prefix, key_marker, upload_id_marker, max)
    }

    fn abort_upload(&self, upload_id: &str) -> Result<()> {
        self.abort(upload_id)
    }

    fn complete_upload(&self, upload_id: &str, rec: &ObjectRecord, cond: &PutCondition) -> Result<Committed> {
        self.complete(upload_id, rec, cond)
    }

    fn gc_pending(&self, max: usize) -> Result<Vec<(u64, BlobRef)>> {
        self.queue_head(max)
    }

    fn gc_claim(&self, max: usize, lease: Duration) -> Result<Vec<(u64, BlobRef)>> {
        self.queue_claim(max, lease)
    }

    fn gc_release(&self, ids: &[u64]) -> Result<()> {
        self.queue_release(ids)
    }

    fn gc_queue_len(&self) -> Result<usize> {
        self.queue_len()
    }

    fn gc_done(&self, ids: &[u64]) -> Result<()> {
        self.queue_done(ids)
    }

    fn gc_enqueue(&self, blobs: &[BlobRef]) -> Result<()> {
        self.queue_add(blobs)
    }

    fn referenced_blobs(&self) -> BlobIter {
        Box::new(queue::Referenced::new(self.shared.clone()))
    }

    fn intent_begin(&self, intent: &Intent) -> Result<()> {
        self.intent_put(intent)
    }

    fn intent_end(&self, path: &str) -> Result<()> {
        self.intent_remove(path)
    }

    fn intents(&self) -> Result<Vec<Intent>> {
        self.intent_all()
    }

    fn append_event(&self, received: u64, body: &[u8]) -> Result<u64> {
        self.event_append(received, body)
    }

    fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventEntry>> {
        self.events_after(after, limit)
    }

    fn last_event_id(&self) -> Result<u64> {
        self.event_last()
    }

    fn trim_events(&self, max_count: usize, max_age: Duration) -> Result<usize> {
        self.events_trim(max_count, max_age)
    }

    fn bucket_stats(&self, bucket: u64) -> Result<BucketStats> {
        self.stats_of(bucket)
    }

    fn all_bucket_stats(&self) -> Result<BTreeMap<u64, BucketStats>> {
        self.stats_all()
    }

    fn export_records(&self, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        self.export_all(sink)
    }

    fn import_records(&self, next: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<()> {
        self.import_all(next)
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn flush_count(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h1:5432,h2/db?target_session_attrs=read-write"),
            "postgres://u:***@h1:5432,h2/db?target_session_attrs=read-write"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("host=h user=u"), "host=h user=u");
    }
}
