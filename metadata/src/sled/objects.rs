//! Objects: read, conditional put, conditional delete.
//!
//! Owns the `objects` tree writes and the compare-and-swap rule: each write is one sled transaction
//! over the object, its bucket (which must be live), the GC queue and the bucket's counters
//! (`stats`), so a condition, the write, the queueing of replaced blobs and the count are atomic. It must not free blobs (only queue them) and
//! must not list (see `list`).

use std::collections::HashSet;

use sled::transaction::TransactionalTree;
use sled::Transactional;

use super::buckets::tx_live_bucket;
use super::intents::tx_end_intents;
use super::stats::tx_account;
use super::{abort, finish, tx_decode, tx_encode, SledBackend, TxResult};
use crate::codec::{decode, object_key};
use crate::error::StorageExt;
use crate::stored::check_condition;
use crate::{BlobRef, Error, ObjectRecord, PutCondition, Result};

impl SledBackend {
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

    /// Writes `rec` as `key` in bucket `bucket` if `cond` holds, atomically, and returns the record
    /// it replaced. The replaced record's blobs (except any `rec` still references) are queued for
    /// GC in the same transaction, and the intents of its blobs end (`intents`). Fails with
    /// `NoSuchBucket` if the bucket is missing or being
    /// deleted, `PreconditionFailed` if `cond` does not hold.
    pub fn put_object(
        &self,
        bucket: u64,
        key: &[u8],
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Option<ObjectRecord>> {
        let tree_key = object_key(bucket, key);
        let value = crate::codec::encode(rec)?;
        let keep: HashSet<&str> = rec.blobs.iter().map(|b| b.path.as_str()).collect();
        let i = self;
        finish(
            (&i.objects, &i.bucket_ids, &i.buckets, &i.gc, &i.stats, &i.intents).transaction(
                |(objects, ids, buckets, gc, stats, intents)| {
                    tx_live_bucket(ids, buckets, bucket)?;
                    let old = objects
                        .get(&tree_key)?
                        .map(|v| tx_decode::<ObjectRecord, Error>("object", &v))
                        .transpose()?;
                    if let Err(e) = check_condition(cond, old.as_ref()) {
                        return abort(e);
                    }
                    objects.insert(tree_key.as_slice(), value.as_slice())?;
                    tx_end_intents(intents, keep.iter().copied())?;
                    if let Some(old) = &old {
                        self.tx_queue_blobs::<Error>(gc, &old.blobs, &keep)?;
                    }
                    tx_account::<Error>(stats, bucket, key, old.as_ref(), Some(rec))?;
                    Ok(old)
                },
            ),
        )
    }

    /// Replaces the tags of the object `key` currently in bucket `bucket` and returns its
    /// updated record (`None`: no such key). The read and the write are one transaction over
    /// the current record, so a concurrent overwrite or delete is never clobbered: either it
    /// commits first and these tags go to the new object (or find no key), or it commits after
    /// and replaces the tagged record. Nothing else of the record changes (ETag, mtime, blobs).
    /// Fails with `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn set_object_tags(
        &self,
        bucket: u64,
        key: &[u8],
        tags: &[(String, String)],
    ) -> Result<Option<ObjectRecord>> {
        let tree_key = object_key(bucket, key);
        let i = self;
        finish(
            (&i.objects, &i.bucket_ids, &i.buckets).transaction(|(objects, ids, buckets)| {
                tx_live_bucket(ids, buckets, bucket)?;
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

    /// Deletes `key` from bucket `bucket` if `cond` holds, atomically, queueing its blobs for GC, and
    /// returns the deleted record (`None`: nothing to delete, which is not an error unless `cond`
    /// requires the object). Fails with `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn delete_object(
        &self,
        bucket: u64,
        key: &[u8],
        cond: &PutCondition,
    ) -> Result<Option<ObjectRecord>> {
        let tree_key = object_key(bucket, key);
        let i = self;
        finish(
            (&i.objects, &i.bucket_ids, &i.buckets, &i.gc, &i.stats).transaction(
                |(objects, ids, buckets, gc, stats)| {
                    tx_live_bucket(ids, buckets, bucket)?;
                    let old = objects
                        .get(&tree_key)?
                        .map(|v| tx_decode::<ObjectRecord, Error>("object", &v))
                        .transpose()?;
                    if let Err(e) = check_condition(cond, old.as_ref()) {
                        return abort(e);
                    }
                    if let Some(old) = &old {
                        objects.remove(tree_key.as_slice())?;
                        self.tx_queue_blobs::<Error>(gc, &old.blobs, &HashSet::new())?;
                        tx_account::<Error>(stats, bucket, key, Some(old), None)?;
                    }
                    Ok(old)
                },
            ),
        )
    }
}
