//! Buckets, objects, their counters and the range scan of listings, in SQL.
//!
//! Owns the statements on `buckets`, `objects` and `bucket_stats`, and the two steps every
//! object write shares with multipart completion ([`lock_live_bucket`], [`write_row`],
//! [`queue_blobs`], [`account`]). The lock order is bucket row (`FOR SHARE`, or `FOR UPDATE` to
//! delete it), then object row, then queue and counters, so transactions do not deadlock on each
//! other in the common cases (the rare one is retried). It must not list (the shared
//! `crate::list` does, over [`Scan`]).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ops::Bound;

use deadpool_postgres::GenericClient;

use super::{exec, get, id_of, row, rows, sql_id, sql_limit, transaction, with_client, PgBackend};
use crate::codec::{decode, encode, prefix_successor};
use crate::stats::shard;
use crate::stored::StoredBucket;
use crate::{BlobRef, BucketInit, BucketRecord, BucketStats, Error, ObjectRecord, Result};

/// Largest batch a scan fetches in one round trip.
const MAX_SCAN_BATCH: usize = 1000;

/// Inside a transaction: locks bucket `id` `FOR SHARE` (a delete then waits for this transaction,
/// and this one fails if the delete committed first); `NoSuchBucket` if it does not exist.
pub(super) async fn lock_live_bucket(tx: &impl GenericClient, id: u64) -> Result<()> {
    match row(
        tx,
        "SELECT 1 FROM buckets WHERE id = $1 FOR SHARE",
        &[&sql_id(id)],
    )
    .await?
    {
        Some(_) => Ok(()),
        None => Err(Error::NoSuchBucket),
    }
}

/// Inside a transaction: the current record of an object, locked `FOR UPDATE`.
async fn lock_object(tx: &impl GenericClient, bucket: i64, key: &[u8]) -> Result<Option<ObjectRecord>> {
    let r = row(
        tx,
        "SELECT value FROM objects WHERE bucket_id = $1 AND key = $2 FOR UPDATE",
        &[&bucket, &key],
    )
    .await?;
    r.map(|r| decode("object", get::<&[u8]>(&r, 0)?)).transpose()
}

/// Inside a transaction: appends `blobs` to the GC queue, except those whose path is in `keep`
/// or already queued by this call.
pub(super) async fn queue_blobs<'a>(
    tx: &impl GenericClient,
    blobs: impl IntoIterator<Item = &'a BlobRef>,
    keep: &HashSet<&str>,
) -> Result<()> {
    let mut queued = HashSet::new();
    for blob in blobs {
        if keep.contains(blob.path.as_str()) || !queued.insert(blob.path.as_str()) {
            continue;
        }
        exec(
            tx,
            "INSERT INTO gc (id, value) VALUES (nextval('registry_ids'), $1)",
            &[&encode(blob)?],
        )
        .await?;
    }
    Ok(())
}

/// Inside a transaction that replaced `old` by `new` as object `key` of bucket `bucket`: moves
/// the counters of the key's shard (nothing when count and size are unchanged).
pub(super) async fn account(
    tx: &impl GenericClient,
    bucket: u64,
    key: &[u8],
    old: Option<&ObjectRecord>,
    new: Option<&ObjectRecord>,
) -> Result<()> {
    if old.map(|o| o.size) == new.map(|n| n.size) {
        return Ok(());
    }
    let size = |r: Option<&ObjectRecord>| r.map_or(0, |r| i64::try_from(r.size).unwrap_or(i64::MAX));
    let objects = i64::from(new.is_some()) - i64::from(old.is_some());
    let bytes = size(new).saturating_sub(size(old));
    exec(
        tx,
        "INSERT INTO bucket_stats (bucket_id, shard, objects, bytes) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (bucket_id, shard) DO UPDATE SET \
         objects = GREATEST(bucket_stats.objects + EXCLUDED.objects, 0), \
         bytes = GREATEST(bucket_stats.bytes + EXCLUDED.bytes, 0)",
        &[&sql_id(bucket), &i16::from(shard(key)), &objects, &bytes],
    )
    .await?;
    Ok(())
}

/// A bucket row's record.
fn bucket_record(r: &tokio_postgres::Row) -> Result<StoredBucket> {
    decode("bucket", get::<&[u8]>(r, 0)?)
}

impl PgBackend {
    /// See `Registry::reserve_ids_through`.
    pub(super) fn reserve_ids(&self, id: u64) -> Result<()> {
        with_client!(self, |c| {
            row(
                &c,
                "SELECT setval('registry_ids', GREATEST($1, (SELECT last_value FROM registry_ids)))",
                &[&sql_id(id)],
            )
            .await?;
            Ok(())
        })
    }

    /// See `Registry::create_bucket_on`.
    pub(super) fn create_bucket_on(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        volume: &str,
        now_ms: u64,
        init: &BucketInit,
    ) -> Result<BucketRecord> {
        transaction!(self, |tx| {
            loop {
                let id_row = row(&tx, "SELECT nextval('registry_ids')", &[]).await?;
                let id = id_of(id_row.map_or(Ok(0), |r| get::<i64>(&r, 0))?)?;
                let stored = StoredBucket {
                    id,
                    name: name.to_owned(),
                    owner: owner.to_owned(),
                    region: region.to_owned(),
                    created_ms: now_ms,
                    deleting: false,
                    tags: Vec::new(),
                    volume: volume.to_owned(),
                    versioning: init.versioning,
                    configs: init.configs.clone(),
                };
                let inserted = exec(
                    &tx,
                    "INSERT INTO buckets (id, name, owner, value) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (name) DO NOTHING",
                    &[&sql_id(id), &name.as_bytes(), &owner, &encode(&stored)?],
                )
                .await?;
                if inserted == 1 {
                    return Ok(stored.to_record());
                }
                if let Some(r) = row(
                    &tx,
                    "SELECT owner FROM buckets WHERE name = $1",
                    &[&name.as_bytes()],
                )
                .await?
                {
                    return Err(Error::BucketAlreadyExists { owner: get(&r, 0)? });
                }
                // The holder of the name deleted it meanwhile: try again.
            }
        })
    }

    /// See `Registry::set_bucket_tags`.
    /// Changes bucket `name`'s stored record with `change` (tags, versioning, configuration
    /// documents), under its row lock.
    pub(super) fn modify_bucket(
        &self,
        name: &str,
        change: &(dyn Fn(&mut StoredBucket) + Sync),
    ) -> Result<()> {
        transaction!(self, |tx| {
            let r = row(
                &tx,
                "SELECT value FROM buckets WHERE name = $1 FOR UPDATE",
                &[&name.as_bytes()],
            )
            .await?
            .ok_or(Error::NoSuchBucket)?;
            let mut bucket = bucket_record(&r)?;
            change(&mut bucket);
            exec(
                &tx,
                "UPDATE buckets SET value = $2 WHERE name = $1",
                &[&name.as_bytes(), &encode(&bucket)?],
            )
            .await?;
            Ok(())
        })
    }

    /// See `Registry::get_bucket`.
    pub(super) fn bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        with_client!(self, |c| {
            let r = row(
                &c,
                "SELECT value FROM buckets WHERE name = $1",
                &[&name.as_bytes()],
            )
            .await?;
            r.map(|r| bucket_record(&r).map(|b| b.to_record())).transpose()
        })
    }

    /// See `Registry::list_buckets`.
    pub(super) fn buckets_page(
        &self,
        owner: Option<&str>,
        start_after: Option<&str>,
        max: usize,
    ) -> Result<(Vec<BucketRecord>, bool)> {
        if max == 0 {
            return Ok((Vec::new(), false));
        }
        let after = start_after.unwrap_or_default().as_bytes();
        let found = with_client!(self, |c| {
            rows(
                &c,
                "SELECT value FROM buckets WHERE name > $1 AND ($2::text IS NULL OR owner = $2) \
                 ORDER BY name LIMIT $3",
                &[&after, &owner, &sql_limit(max.saturating_add(1))],
            )
            .await
        })?;
        let mut out = found
            .iter()
            .map(|r| bucket_record(r).map(|b| b.to_record()))
            .collect::<Result<Vec<_>>>()?;
        let more = out.len() > max;
        out.truncate(max);
        Ok((out, more))
    }

    /// See `Registry::delete_bucket`: the bucket row locked `FOR UPDATE` waits for every write
    /// holding it `FOR SHARE` and keeps new ones out; then emptiness is checked (seeing those
    /// writes), the uploads are locked (waiting for parts being stored) and removed with their
    /// parts, whose blobs are queued, and the bucket and its counters go.
    pub(super) fn remove_bucket(&self, name: &str) -> Result<BucketRecord> {
        transaction!(self, |tx| {
            let r = row(
                &tx,
                "SELECT value FROM buckets WHERE name = $1 FOR UPDATE",
                &[&name.as_bytes()],
            )
            .await?
            .ok_or(Error::NoSuchBucket)?;
            let bucket = bucket_record(&r)?;
            let id = sql_id(bucket.id);
            if row(
                &tx,
                "SELECT 1 FROM objects WHERE bucket_id = $1 \
                 UNION ALL SELECT 1 FROM versions WHERE bucket_id = $1 LIMIT 1",
                &[&id],
            )
            .await?
            .is_some()
            {
                return Err(Error::BucketNotEmpty);
            }
            rows(
                &tx,
                "SELECT id FROM uploads WHERE bucket_id = $1 FOR UPDATE",
                &[&id],
            )
            .await?;
            let parts = rows(
                &tx,
                "DELETE FROM parts WHERE upload_id IN (SELECT id FROM uploads WHERE bucket_id = $1) \
                 RETURNING value",
                &[&id],
            )
            .await?;
            let blobs = parts
                .iter()
                .map(|r| decode::<crate::PartRecord>("part", get::<&[u8]>(r, 0)?).map(|p| p.blob))
                .collect::<Result<Vec<_>>>()?;
            queue_blobs(&tx, &blobs, &HashSet::new()).await?;
            exec(&tx, "DELETE FROM uploads WHERE bucket_id = $1", &[&id]).await?;
            exec(&tx, "DELETE FROM bucket_stats WHERE bucket_id = $1", &[&id]).await?;
            exec(&tx, "DELETE FROM buckets WHERE id = $1", &[&id]).await?;
            Ok(bucket.to_record())
        })
    }

    /// See `Registry::get_object`.
    pub(super) fn object(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        with_client!(self, |c| {
            let r = row(
                &c,
                "SELECT value FROM objects WHERE bucket_id = $1 AND key = $2",
                &[&sql_id(bucket), &key],
            )
            .await?;
            r.map(|r| decode("object", get::<&[u8]>(&r, 0)?)).transpose()
        })
    }

    /// See `Registry::set_object_tags`.
    pub(super) fn object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>> {
        transaction!(self, |tx| {
            lock_live_bucket(&tx, bucket).await?;
            let Some(mut rec) = lock_object(&tx, sql_id(bucket), key).await? else {
                return Ok(None);
            };
            if rec.tags != tags {
                rec.tags = tags.to_vec();
                exec(
                    &tx,
                    "UPDATE objects SET value = $3 WHERE bucket_id = $1 AND key = $2",
                    &[&sql_id(bucket), &key, &encode(&rec)?],
                )
                .await?;
            }
            Ok(Some(rec))
        })
    }

    /// See `Registry::bucket_stats`.
    pub(super) fn stats_of(&self, bucket: u64) -> Result<BucketStats> {
        let found = with_client!(self, |c| {
            rows(
                &c,
                "SELECT objects, bytes FROM bucket_stats WHERE bucket_id = $1",
                &[&sql_id(bucket)],
            )
            .await
        })?;
        let mut total = BucketStats::default();
        for r in &found {
            total.add(stats_row(r, 0)?);
        }
        Ok(total)
    }

    /// See `Registry::all_bucket_stats`.
    pub(super) fn stats_all(&self) -> Result<BTreeMap<u64, BucketStats>> {
        let found = with_client!(self, |c| {
            rows(&c, "SELECT bucket_id, objects, bytes FROM bucket_stats", &[]).await
        })?;
        let mut out: BTreeMap<u64, BucketStats> = BTreeMap::new();
        for r in &found {
            out.entry(id_of(get(r, 0)?)?).or_default().add(stats_row(r, 1)?);
        }
        out.retain(|_, s| *s != BucketStats::default());
        Ok(out)
    }
}

/// The counts at columns `at`, `at + 1` of a `bucket_stats` row.
fn stats_row(r: &tokio_postgres::Row, at: usize) -> Result<BucketStats> {
    let n = |i| get::<i64>(r, i).map(|v| u64::try_from(v).unwrap_or(0));
    Ok(BucketStats {
        objects: n(at)?,
        bytes: n(at + 1)?,
    })
}

/// The ordered range scan of one bucket's objects for `crate::list`: a seek is one `SELECT ...
/// WHERE bucket_id = $1 AND key >= $2 [AND key < successor(prefix)] ORDER BY key LIMIT n`, the
/// first with the caller's batch size, the next ones (if the caller reads on) twice as large.
pub(super) struct Scan<'a> {
    backend: &'a PgBackend,
    bucket: i64,
    lower: Bound<Vec<u8>>,
    upper: Option<Vec<u8>>,
    batch: usize,
    buf: VecDeque<(Vec<u8>, Vec<u8>)>,
    exhausted: bool,
}

impl<'a> Scan<'a> {
    pub(super) fn new(
        backend: &'a PgBackend,
        bucket: u64,
        lower: Bound<&[u8]>,
        prefix: &[u8],
        batch: usize,
    ) -> Self {
        let lower = match lower {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Included(prefix.to_vec()),
        };
        Scan {
            backend,
            bucket: sql_id(bucket),
            lower,
            upper: prefix_successor(prefix),
            batch: batch.clamp(1, MAX_SCAN_BATCH),
            buf: VecDeque::new(),
            exhausted: false,
        }
    }

    /// Fetches the next batch after the last row read.
    fn fetch(&mut self) -> Result<()> {
        let (op, from) = match &self.lower {
            Bound::Included(k) => (">=", k.clone()),
            Bound::Excluded(k) => (">", k.clone()),
            Bound::Unbounded => (">=", Vec::new()),
        };
        let limit = sql_limit(self.batch);
        let (bucket, upper) = (self.bucket, self.upper.clone());
        let found = with_client!(self.backend, |c| {
            match &upper {
                Some(upper) => {
                    let sql = format!(
                        "SELECT key, value FROM objects WHERE bucket_id = $1 AND key {op} $2 AND key < $3 \
                         ORDER BY key LIMIT $4"
                    );
                    rows(&c, &sql, &[&bucket, &from, upper, &limit]).await
                }
                None => {
                    let sql = format!(
                        "SELECT key, value FROM objects WHERE bucket_id = $1 AND key {op} $2 ORDER BY key LIMIT $3"
                    );
                    rows(&c, &sql, &[&bucket, &from, &limit]).await
                }
            }
        })?;
        self.exhausted = found.len() < self.batch;
        for r in &found {
            self.buf.push_back((get(r, 0)?, get(r, 1)?));
        }
        if let Some((last, _)) = self.buf.back() {
            self.lower = Bound::Excluded(last.clone());
        }
        self.batch = (self.batch * 2).min(MAX_SCAN_BATCH);
        Ok(())
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() && !self.exhausted {
            if let Err(e) = self.fetch() {
                self.exhausted = true;
                return Some(Err(e));
            }
        }
        self.buf.pop_front().map(Ok)
    }
}
