//! Object writes, deletes and versions in SQL: the `objects` and `versions` statements of a change
//! of one key, planned by the shared `crate::versions` rules.
//!
//! Owns [`change_key`], the one path of every object write (put, complete, delete, delete of a
//! version): inside the caller's transaction it locks the bucket row `FOR SHARE` (reading its
//! versioning state, which `set_bucket_versioning`'s `FOR UPDATE` cannot change under it), takes
//! the key's transaction-scoped advisory lock (so writers of one key, new or not, go one at a
//! time), reads the [`KeyView`], plans, and applies the plan. It also owns the version reads and
//! the ordered scan of `versions` for `crate::list`. It must not list by itself.

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use deadpool_postgres::GenericClient;

use super::namespace::{account, queue_blobs};
use super::{exec, get, row, rows, sql_id, sql_limit, transaction, with_client, PgBackend};
use crate::backend::VersionsFrom;
use crate::codec::{decode, encode, prefix_successor};
use crate::stored::StoredBucket;
use crate::versions::{self, stored_id, Current, KeyView, LockCheck, Plan};
use crate::{Committed, Deleted, Error, ObjectRecord, PutCondition, Result, Versioning};

/// Largest batch a version scan fetches in one round trip.
const MAX_SCAN_BATCH: usize = 1000;

/// What a change of a key must read besides the mode and the current record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    /// A write or a delete: the `null` version.
    Write,
    /// The delete of one version: the newest versions and the target.
    Version,
}

/// The advisory lock key of `key` in `bucket` (a 64-bit hash; a collision only serialises two
/// keys' writers).
fn key_lock(bucket: u64, key: &[u8]) -> i64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bucket.hash(&mut h);
    key.hash(&mut h);
    i64::from_ne_bytes(h.finish().to_ne_bytes())
}

/// A `versions` row's order stamp as stored (bigint).
fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// Inside a transaction: locks bucket `id` `FOR SHARE` and returns its versioning state
/// (`NoSuchBucket` if it does not exist).
pub(super) async fn lock_bucket_mode(tx: &impl GenericClient, id: u64) -> Result<Versioning> {
    let r = row(
        tx,
        "SELECT value FROM buckets WHERE id = $1 FOR SHARE",
        &[&sql_id(id)],
    )
    .await?
    .ok_or(Error::NoSuchBucket)?;
    Ok(decode::<StoredBucket>("bucket", get::<&[u8]>(&r, 0)?)?.versioning)
}

/// Decodes `value` columns.
fn records(found: &[tokio_postgres::Row]) -> Result<Vec<ObjectRecord>> {
    found
        .iter()
        .map(|r| decode("version", get::<&[u8]>(r, 0)?))
        .collect()
}

/// Up to `max` versions of `key` in `versions`, newest first.
async fn newest(tx: &impl GenericClient, bucket: u64, key: &[u8], max: usize) -> Result<Vec<ObjectRecord>> {
    let found = rows(
        tx,
        "SELECT value FROM versions WHERE bucket_id = $1 AND key = $2 \
         ORDER BY seq DESC, version_id LIMIT $3",
        &[&sql_id(bucket), &key, &sql_limit(max)],
    )
    .await?;
    records(&found)
}

/// The version of `key` in `versions` whose S3 id is `label`.
async fn find(tx: &impl GenericClient, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>> {
    let found = rows(
        tx,
        "SELECT value FROM versions WHERE bucket_id = $1 AND key = $2 AND version_id = $3 LIMIT 1",
        &[&sql_id(bucket), &key, &stored_id(label)],
    )
    .await?;
    Ok(records(&found)?.into_iter().next())
}

/// The current record of `key`, locked `FOR UPDATE`.
async fn lock_current(tx: &impl GenericClient, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
    let r = row(
        tx,
        "SELECT value FROM objects WHERE bucket_id = $1 AND key = $2 FOR UPDATE",
        &[&sql_id(bucket), &key],
    )
    .await?;
    r.map(|r| decode("object", get::<&[u8]>(&r, 0)?)).transpose()
}

/// Inside a transaction: the change of one key (see the module doc). `plan` turns the view into
/// the plan and the result; `intents`: blob paths whose intents end with the change.
pub(super) async fn change_key<T>(
    tx: &impl GenericClient,
    bucket: u64,
    key: &[u8],
    needs: Needs,
    label: &str,
    intents: &[&str],
    plan: impl FnOnce(KeyView) -> Result<(Plan, T)>,
) -> Result<T> {
    let mode = lock_bucket_mode(tx, bucket).await?;
    exec(tx, "SELECT pg_advisory_xact_lock($1)", &[&key_lock(bucket, key)]).await?;
    let mut view = KeyView {
        mode,
        current: lock_current(tx, bucket, key).await?,
        ..KeyView::default()
    };
    if mode != Versioning::Unversioned {
        match needs {
            Needs::Write => {
                view.newest = newest(tx, bucket, key, 1).await?;
                if mode == Versioning::Suspended {
                    view.null_version = find(tx, bucket, key, versions::NULL_VERSION).await?;
                }
            }
            Needs::Version => {
                view.newest = newest(tx, bucket, key, 2).await?;
                view.target = find(tx, bucket, key, label).await?;
            }
        }
    }
    let current = view.current.clone();
    let (plan, out) = plan(view)?;
    apply(tx, bucket, key, current.as_ref(), &plan).await?;
    if !intents.is_empty() {
        exec(tx, "DELETE FROM intents WHERE path = ANY($1)", &[&intents]).await?;
    }
    Ok(out)
}

/// Inside a transaction holding the key's lock: applies `plan` over `current`.
async fn apply(
    tx: &impl GenericClient,
    bucket: u64,
    key: &[u8],
    current: Option<&ObjectRecord>,
    plan: &Plan,
) -> Result<()> {
    let b = sql_id(bucket);
    for rec in &plan.remove {
        exec(
            tx,
            "DELETE FROM versions WHERE bucket_id = $1 AND key = $2 AND seq = $3 AND version_id = $4",
            &[&b, &key, &sql_seq(rec.seq), &rec.version_id],
        )
        .await?;
    }
    for rec in &plan.add {
        exec(
            tx,
            "INSERT INTO versions (bucket_id, key, seq, version_id, value) VALUES ($1, $2, $3, $4, $5)",
            &[&b, &key, &sql_seq(rec.seq), &rec.version_id, &encode(rec)?],
        )
        .await?;
    }
    match &plan.current {
        Current::Set(rec) => {
            exec(
                tx,
                "INSERT INTO objects (bucket_id, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (bucket_id, key) DO UPDATE SET value = EXCLUDED.value",
                &[&b, &key, &encode(rec)?],
            )
            .await?;
        }
        Current::Remove if current.is_some() => {
            exec(
                tx,
                "DELETE FROM objects WHERE bucket_id = $1 AND key = $2",
                &[&b, &key],
            )
            .await?;
        }
        _ => {}
    }
    queue_blobs(tx, &plan.garbage, &HashSet::new()).await?;
    account(tx, bucket, key, current, plan.new_current(current)).await
}

impl PgBackend {
    /// See `Registry::put_object`.
    pub(super) fn write_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        let paths: Vec<&str> = rec.blobs.iter().map(|b| b.path.as_str()).collect();
        transaction!(self, |tx| {
            change_key(&tx, bucket, key, Needs::Write, "", &paths, |view| {
                versions::plan_put(view, rec.clone(), cond)
            })
            .await
        })
    }

    /// See `Registry::delete_object`.
    pub(super) fn remove_object(&self, bucket: u64, key: &[u8], cond: &PutCondition) -> Result<Deleted> {
        let now_ms = versions::next_seq() / 1000;
        transaction!(self, |tx| {
            change_key(&tx, bucket, key, Needs::Write, "", &[], |view| {
                versions::plan_delete(view, cond, now_ms)
            })
            .await
        })
    }

    /// See `Registry::delete_version`.
    pub(super) fn remove_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: &str,
        lock: LockCheck,
    ) -> Result<Option<ObjectRecord>> {
        transaction!(self, |tx| {
            change_key(&tx, bucket, key, Needs::Version, label, &[], |view| {
                versions::plan_delete_version(view, label, lock)
            })
            .await
        })
    }

    /// See `Registry::update_version`.
    pub(super) fn change_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: Option<&str>,
        change: &(dyn Fn(&mut ObjectRecord) -> Result<()> + Sync),
    ) -> Result<Option<ObjectRecord>> {
        transaction!(self, |tx| {
            lock_bucket_mode(&tx, bucket).await?;
            exec(&tx, "SELECT pg_advisory_xact_lock($1)", &[&key_lock(bucket, key)]).await?;
            let b = sql_id(bucket);
            let current = lock_current(&tx, bucket, key).await?;
            let in_objects = match (label, &current) {
                (None, Some(_)) => true,
                (None, None) => return Ok(None),
                (Some(l), Some(c)) => c.version_id == stored_id(l),
                (Some(_), None) => false,
            };
            let mut rec = if in_objects {
                current.ok_or(Error::NoSuchVersion)?
            } else {
                match find(&tx, bucket, key, label.unwrap_or_default()).await? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            };
            if rec.delete_marker {
                return Ok(None);
            }
            change(&mut rec)?;
            if in_objects {
                exec(
                    &tx,
                    "UPDATE objects SET value = $3 WHERE bucket_id = $1 AND key = $2",
                    &[&b, &key, &encode(&rec)?],
                )
                .await?;
            } else {
                exec(
                    &tx,
                    "UPDATE versions SET value = $5 WHERE bucket_id = $1 AND key = $2 AND seq = $3 \
                     AND version_id = $4",
                    &[&b, &key, &sql_seq(rec.seq), &rec.version_id, &encode(&rec)?],
                )
                .await?;
            }
            Ok(Some(rec))
        })
    }

    /// See `Registry::get_version`.
    pub(super) fn version(&self, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>> {
        with_client!(self, |c| {
            if let Some(r) = row(
                &c,
                "SELECT value FROM objects WHERE bucket_id = $1 AND key = $2",
                &[&sql_id(bucket), &key],
            )
            .await?
            {
                let cur: ObjectRecord = decode("object", get::<&[u8]>(&r, 0)?)?;
                if cur.version_id == stored_id(label) {
                    return Ok(Some(cur));
                }
            }
            find(&c, bucket, key, label).await
        })
    }

    /// See `Registry::latest_version`.
    pub(super) fn latest(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        with_client!(self, |c| {
            if let Some(r) = row(
                &c,
                "SELECT value FROM objects WHERE bucket_id = $1 AND key = $2",
                &[&sql_id(bucket), &key],
            )
            .await?
            {
                return Ok(Some(decode("object", get::<&[u8]>(&r, 0)?)?));
            }
            Ok(newest(&c, bucket, key, 1).await?.into_iter().next())
        })
    }
}

/// The ordered scan of one bucket's versions for `crate::list`: each round trip is one `SELECT
/// ... WHERE bucket_id = $1 AND (key, -seq, version_id) > (...) ORDER BY key, seq DESC,
/// version_id LIMIT n`, batches doubling as the caller reads on.
pub(super) struct VersionScan<'a> {
    backend: &'a PgBackend,
    bucket: i64,
    /// Rows strictly after this (key, -seq, id) position; `None` id: from the key on (with
    /// `inclusive`) or after all its versions.
    after: (Vec<u8>, i64, String),
    /// True until the first fetch when the scan starts at a key (all its versions included).
    inclusive: bool,
    upper: Option<Vec<u8>>,
    batch: usize,
    buf: VecDeque<(Vec<u8>, Vec<u8>)>,
    exhausted: bool,
}

impl<'a> VersionScan<'a> {
    pub(super) fn new(
        backend: &'a PgBackend,
        bucket: u64,
        from: VersionsFrom<'_>,
        prefix: &[u8],
        batch: usize,
    ) -> Self {
        let (after, inclusive) = match from {
            VersionsFrom::Key(k) => ((k.max(prefix).to_vec(), i64::MIN, String::new()), true),
            // -seq is at most 0 for stored stamps; i64::MAX sorts after every version of the key.
            VersionsFrom::AfterKey(k) => ((k.to_vec(), i64::MAX, String::new()), false),
            VersionsFrom::After(k, seq, id) => ((k.to_vec(), -sql_seq(seq), id.to_owned()), false),
        };
        VersionScan {
            backend,
            bucket: sql_id(bucket),
            after,
            inclusive,
            upper: prefix_successor(prefix),
            batch: batch.clamp(1, MAX_SCAN_BATCH),
            buf: VecDeque::new(),
            exhausted: false,
        }
    }

    fn fetch(&mut self) -> Result<()> {
        let limit = sql_limit(self.batch);
        let (bucket, upper) = (self.bucket, self.upper.clone());
        let (key, neg_seq, id) = self.after.clone();
        let op = if self.inclusive { ">=" } else { ">" };
        let found = with_client!(self.backend, |c| {
            let sql = format!(
                "SELECT key, value, seq, version_id FROM versions WHERE bucket_id = $1 \
                 AND key >= $2 AND (key, -seq, version_id) {op} ($2, $3, $4) AND key < $5 \
                 ORDER BY key, seq DESC, version_id LIMIT $6"
            );
            // No upper bound: every key sorts below a byte string longer than any key.
            let upper = upper.unwrap_or_else(|| vec![0xFF; 1100]);
            rows(&c, &sql, &[&bucket, &key, &neg_seq, &id, &upper, &limit]).await
        })?;
        self.inclusive = false;
        self.exhausted = found.len() < self.batch;
        for r in &found {
            let key: Vec<u8> = get(r, 0)?;
            self.after = (key.clone(), -get::<i64>(r, 2)?, get(r, 3)?);
            self.buf.push_back((key, get(r, 1)?));
        }
        self.batch = (self.batch * 2).min(MAX_SCAN_BATCH);
        Ok(())
    }
}

impl Iterator for VersionScan<'_> {
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
