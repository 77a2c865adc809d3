//! Objects and their versions: read, conditional put, conditional delete, delete of one version.
//!
//! Owns the `objects` and `versions` tree writes. A change of a key is planned by the shared
//! `crate::versions` rules from a [`KeyView`] read under the key's lock (sled transactions cannot
//! range-scan, and the view needs the key's newest versions), then applied in one sled
//! transaction over the object, its versions, its bucket (which must be live, in the versioning
//! state the plan assumed), the GC queue and the bucket's counters (`stats`). Every writer of a
//! key holds its lock, so inside the transaction only the bucket state and the current record
//! need checking: if either moved, the step is planned again. It must not free blobs (only queue
//! them) and must not list (see `list`).

use std::collections::HashSet;
use std::sync::{MutexGuard, PoisonError};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use super::buckets::tx_live_bucket;
use super::intents::tx_end_intents;
use super::stats::tx_account;
use super::{abort, finish, tx_decode, tx_encode, Abort, SledBackend, TxResult};
use crate::codec::{decode, key_versions_prefix, object_key, version_key};
use crate::error::StorageExt;
use crate::stored::StoredBucket;
use crate::versions::{self, stored_id, Current, KeyView, LockCheck, Plan};
use crate::{BlobRef, Committed, Deleted, Error, ObjectRecord, PutCondition, Result, Versioning};

/// How many stripes of key locks a registry has.
pub(crate) const KEY_LOCKS: usize = 64;

/// What a key's view must include besides the mode and the current record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    /// A write or a delete: the `null` version.
    Write,
    /// The delete of version `label`: the newest versions and that one.
    Version,
}

impl SledBackend {
    /// Holds the lock of `key` in `bucket` (a stripe shared with other keys).
    pub(crate) fn lock_key(&self, bucket: u64, key: &[u8]) -> MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bucket.hash(&mut h);
        key.hash(&mut h);
        let stripe = usize::try_from(h.finish() % KEY_LOCKS as u64).unwrap_or(0);
        self.key_locks[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Inside a transaction: appends `blobs` to the GC queue, except those whose path is in `keep`
    /// or already queued by this call.
    pub(crate) fn tx_queue_blobs<'a, E: From<Error>>(
        &self,
        gc: &TransactionalTree,
        blobs: impl IntoIterator<Item = &'a BlobRef>,
        keep: &HashSet<&str>,
    ) -> TxResult<(), E> {
        let mut queued = HashSet::new();
        for blob in blobs {
            if keep.contains(blob.path.as_str()) || !queued.insert(blob.path.as_str()) {
                continue;
            }
            let id = self.next_id(gc)?;
            gc.insert(&id.to_be_bytes(), tx_encode::<_, E>(blob)?)?;
        }
        Ok(())
    }

    /// The record of `key` in bucket `bucket`, if any.
    pub fn get_object(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        match self.objects.get(object_key(bucket, key)).storage()? {
            Some(v) => Ok(Some(decode("object", &v)?)),
            None => Ok(None),
        }
    }

    /// The versioning state of bucket `bucket` (`NoSuchBucket` if it is gone).
    fn bucket_mode(&self, bucket: u64) -> Result<Versioning> {
        let name = self
            .bucket_ids
            .get(bucket.to_be_bytes())
            .storage()?
            .ok_or(Error::NoSuchBucket)?;
        let name: String = decode("bucket id entry", &name)?;
        let v = self
            .buckets
            .get(name.as_bytes())
            .storage()?
            .ok_or(Error::NoSuchBucket)?;
        Ok(decode::<StoredBucket>("bucket", &v)?.versioning)
    }

    /// Up to `max` versions of `key` in `versions`, newest first.
    fn newest_versions(&self, bucket: u64, key: &[u8], max: usize) -> Result<Vec<ObjectRecord>> {
        let mut out = Vec::new();
        for item in self
            .versions
            .scan_prefix(key_versions_prefix(bucket, key))
            .take(max)
        {
            let (_, v) = item.storage()?;
            out.push(decode("version", &v)?);
        }
        Ok(out)
    }

    /// The version of `key` in `versions` whose S3 id is `label` (`null` included).
    pub(crate) fn find_version(&self, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>> {
        let id = stored_id(label);
        if let Some(seq) = versions::seq_of(id) {
            return match self.versions.get(version_key(bucket, key, seq, id)).storage()? {
                Some(v) => Ok(Some(decode("version", &v)?)),
                None => Ok(None),
            };
        }
        if !id.is_empty() {
            return Ok(None);
        }
        // The null version: at most one per key, found by walking the key's versions.
        for item in self.versions.scan_prefix(key_versions_prefix(bucket, key)) {
            let (_, v) = item.storage()?;
            let rec: ObjectRecord = decode("version", &v)?;
            if rec.version_id.is_empty() {
                return Ok(Some(rec));
            }
        }
        Ok(None)
    }

    /// Reads what planning a change of `key` needs (the caller holds the key's lock).
    pub(super) fn read_view(&self, bucket: u64, key: &[u8], needs: Needs, label: &str) -> Result<KeyView> {
        let mode = self.bucket_mode(bucket)?;
        let mut view = KeyView {
            mode,
            current: self.get_object(bucket, key)?,
            ..KeyView::default()
        };
        if mode == Versioning::Unversioned {
            return Ok(view);
        }
        match needs {
            Needs::Write => {
                view.newest = self.newest_versions(bucket, key, 1)?;
                if mode == Versioning::Suspended {
                    view.null_version = self.find_version(bucket, key, versions::NULL_VERSION)?;
                }
            }
            Needs::Version => {
                view.newest = self.newest_versions(bucket, key, 2)?;
                view.target = self.find_version(bucket, key, label)?;
            }
        }
        Ok(view)
    }

    /// Inside a transaction: checks that the bucket is live in state `mode` and that `objects`
    /// still holds `current` for `key` (else the plan is stale), then applies `plan`. `keep`:
    /// blobs the plan must not queue even if listed (the new record's).
    #[allow(clippy::too_many_arguments, reason = "the trees of one transaction")]
    pub(crate) fn tx_apply(
        &self,
        trees: (
            &TransactionalTree,
            &TransactionalTree,
            &TransactionalTree,
            &TransactionalTree,
        ),
        gc: &TransactionalTree,
        stats: &TransactionalTree,
        bucket: u64,
        key: &[u8],
        mode: Versioning,
        current: Option<&ObjectRecord>,
        plan: &Plan,
    ) -> TxResult<(), Abort> {
        let (objects, versions, ids, buckets) = trees;
        if tx_live_bucket::<Abort>(ids, buckets, bucket)? != mode {
            return Err(ConflictableTransactionError::Abort(Abort::Stale));
        }
        let tree_key = object_key(bucket, key);
        let now = objects
            .get(&tree_key)?
            .map(|v| tx_decode::<ObjectRecord, Abort>("object", &v))
            .transpose()?;
        if now.as_ref() != current {
            return Err(ConflictableTransactionError::Abort(Abort::Stale));
        }
        for rec in &plan.remove {
            versions.remove(version_key(bucket, key, rec.seq, &rec.version_id))?;
        }
        for rec in &plan.add {
            versions.insert(
                version_key(bucket, key, rec.seq, &rec.version_id),
                tx_encode::<_, Abort>(rec)?,
            )?;
        }
        match &plan.current {
            Current::Set(rec) => {
                objects.insert(tree_key.as_slice(), tx_encode::<_, Abort>(rec)?)?;
            }
            Current::Remove => {
                objects.remove(tree_key.as_slice())?;
            }
            Current::Keep => {}
        }
        self.tx_queue_blobs::<Abort>(gc, &plan.garbage, &HashSet::new())?;
        tx_account::<Abort>(stats, bucket, key, current, plan.new_current(current))?;
        Ok(())
    }

    /// Plans with `plan` and applies it (ending the intents of `intent_paths`) until the plan
    /// is not stale. The caller holds the key's lock.
    fn plan_and_apply<T>(
        &self,
        bucket: u64,
        key: &[u8],
        needs: Needs,
        label: &str,
        intent_paths: &[&str],
        plan: impl Fn(KeyView) -> Result<(Plan, T)>,
    ) -> Result<T> {
        let i = self;
        loop {
            let view = self.read_view(bucket, key, needs, label)?;
            let mode = view.mode;
            let current = view.current.clone();
            let (plan, out) = plan(view)?;
            let r = (
                &i.objects,
                &i.versions,
                &i.bucket_ids,
                &i.buckets,
                &i.gc,
                &i.stats,
                &i.intents,
            )
                .transaction(|(objects, versions, ids, buckets, gc, stats, intents)| {
                    self.tx_apply(
                        (objects, versions, ids, buckets),
                        gc,
                        stats,
                        bucket,
                        key,
                        mode,
                        current.as_ref(),
                        &plan,
                    )?;
                    tx_end_intents::<Abort>(intents, intent_paths.iter().copied())
                });
            match r {
                Ok(()) => return Ok(out),
                Err(TransactionError::Abort(Abort::Stale)) => {}
                Err(TransactionError::Abort(Abort::Error(e))) => return Err(e),
                Err(TransactionError::Storage(e)) => return Err(Error::Storage(Box::new(e))),
            }
        }
    }

    /// Writes `rec` as the new version of `key` if `cond` holds (see `Registry::put_object`).
    pub fn put_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        let paths: Vec<&str> = rec.blobs.iter().map(|b| b.path.as_str()).collect();
        let _lock = self.lock_key(bucket, key);
        self.plan_and_apply(bucket, key, Needs::Write, "", &paths, |view| {
            versions::plan_put(view, rec.clone(), cond)
        })
    }

    /// Replaces the tags of the object `key` currently in bucket `bucket` and returns its
    /// updated record (`None`: no such key). The read and the write are one transaction over
    /// the current record (under the key's lock), so a concurrent overwrite or delete is never
    /// clobbered. Nothing else of the record changes (ETag, mtime, blobs). Fails with
    /// `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn set_object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>> {
        let tree_key = object_key(bucket, key);
        let i = self;
        let _lock = self.lock_key(bucket, key);
        finish(
            (&i.objects, &i.bucket_ids, &i.buckets).transaction(|(objects, ids, buckets)| {
                tx_live_bucket::<Error>(ids, buckets, bucket)?;
                let Some(v) = objects.get(&tree_key)? else {
                    return Ok(None);
                };
                let mut rec = tx_decode::<ObjectRecord, Error>("object", &v)?;
                if rec.tags == tags {
                    return Ok(Some(rec));
                }
                rec.tags = tags.to_vec();
                objects.insert(tree_key.as_slice(), tx_encode::<_, Error>(&rec)?)?;
                Ok(Some(rec))
            }),
        )
    }

    /// Deletes `key` if `cond` holds (see `Registry::delete_object`).
    pub fn delete_object(&self, bucket: u64, key: &[u8], cond: &PutCondition) -> Result<Deleted> {
        let now_ms = crate::versions::next_seq() / 1000;
        let _lock = self.lock_key(bucket, key);
        self.plan_and_apply(bucket, key, Needs::Write, "", &[], |view| {
            versions::plan_delete(view, cond, now_ms)
        })
    }

    /// Deletes version `label` of `key` for good (see `Registry::delete_version`).
    pub fn delete_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: &str,
        lock: LockCheck,
    ) -> Result<Option<ObjectRecord>> {
        let _lock = self.lock_key(bucket, key);
        self.plan_and_apply(bucket, key, Needs::Version, label, &[], |view| {
            versions::plan_delete_version(view, label, lock)
        })
    }

    /// Changes version `label` (`None`: the current record) of `key` in place (see
    /// `Registry::update_version`).
    pub fn update_version(
        &self,
        bucket: u64,
        key: &[u8],
        label: Option<&str>,
        change: &(dyn Fn(&mut ObjectRecord) -> Result<()> + Sync),
    ) -> Result<Option<ObjectRecord>> {
        let _lock = self.lock_key(bucket, key);
        let current = self.get_object(bucket, key)?;
        // Where the version lives: `objects` (the current record) or `versions`.
        let (tree, tree_key) = match (label, &current) {
            (None, Some(_)) => (&self.objects, object_key(bucket, key)),
            (None, None) => return Ok(None),
            (Some(l), Some(c)) if c.version_id == stored_id(l) => (&self.objects, object_key(bucket, key)),
            (Some(l), _) => match self.find_version(bucket, key, l)? {
                Some(v) => (&self.versions, version_key(bucket, key, v.seq, &v.version_id)),
                None => return Ok(None),
            },
        };
        let i = self;
        finish(
            (tree, &i.bucket_ids, &i.buckets).transaction(|(tree, ids, buckets)| {
                tx_live_bucket::<Error>(ids, buckets, bucket)?;
                let Some(v) = tree.get(&tree_key)? else {
                    return Ok(None);
                };
                let mut rec = tx_decode::<ObjectRecord, Error>("object", &v)?;
                if rec.delete_marker {
                    return Ok(None);
                }
                if let Err(e) = change(&mut rec) {
                    return abort(e);
                }
                tree.insert(tree_key.as_slice(), tx_encode::<_, Error>(&rec)?)?;
                Ok(Some(rec))
            }),
        )
    }

    /// Version `label` of `key`, current or not (see `Registry::get_version`).
    pub fn get_version(&self, bucket: u64, key: &[u8], label: &str) -> Result<Option<ObjectRecord>> {
        if let Some(cur) = self.get_object(bucket, key)? {
            if cur.version_id == stored_id(label) {
                return Ok(Some(cur));
            }
        }
        self.find_version(bucket, key, label)
    }

    /// The latest version of `key`: the current record, else the newest version (a delete
    /// marker) if any.
    pub fn latest_version(&self, bucket: u64, key: &[u8]) -> Result<Option<ObjectRecord>> {
        if let Some(cur) = self.get_object(bucket, key)? {
            return Ok(Some(cur));
        }
        Ok(self.newest_versions(bucket, key, 1)?.into_iter().next())
    }

    /// True if bucket `id` holds any version in `versions`.
    pub(crate) fn bucket_has_versions(&self, id: u64) -> Result<bool> {
        Ok(self
            .versions
            .scan_prefix(id.to_be_bytes())
            .next()
            .transpose()
            .storage()?
            .is_some())
    }
}
