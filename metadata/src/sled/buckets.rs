//! Buckets: create, look up, list by name, delete.
//!
//! Owns the `buckets` (name -> record) and `bucket_ids` (id -> name) trees and the rule that keeps
//! a delete from racing a write: a bucket is first marked `deleting` in a transaction, and every
//! transaction that adds an object or an upload checks that mark (see [`SledBackend::delete_bucket`]).
//! It must not validate S3 bucket naming rules (the gateway does) nor touch objects beyond the
//! emptiness check.

use std::ops::Bound;

use sled::transaction::TransactionalTree;
use sled::Transactional;

use super::{abort, finish, tx_decode, tx_encode, SledBackend, TxResult};
use crate::codec::decode;
use crate::error::StorageExt;
use crate::stored::StoredBucket;
use crate::{BucketInit, BucketRecord, Error, Result, Versioning};

/// Inside a transaction: fails with `NoSuchBucket` unless bucket `id` exists and is not being
/// deleted. Every transaction that adds records under a bucket calls this, which is what makes the
/// `deleting` mark a barrier (sled transactions are serialisable).
pub(crate) fn tx_live_bucket<E: From<Error>>(
    bucket_ids: &TransactionalTree,
    buckets: &TransactionalTree,
    id: u64,
) -> TxResult<Versioning, E> {
    let Some(name) = bucket_ids.get(id.to_be_bytes())? else {
        return abort(Error::NoSuchBucket);
    };
    let name: String = tx_decode("bucket id entry", &name)?;
    let Some(value) = buckets.get(name.as_bytes())? else {
        return abort(Error::Corrupt(format!(
            "bucket id {id} names missing bucket {name:?}"
        )));
    };
    let bucket: StoredBucket = tx_decode("bucket", &value)?;
    if bucket.deleting || bucket.id != id {
        return abort(Error::NoSuchBucket);
    }
    Ok(bucket.versioning)
}

impl SledBackend {
    /// Creates bucket `name`, atomically. If the name is taken (by anyone: names are global) this
    /// fails with [`Error::BucketAlreadyExists`] carrying the existing owner, so the caller can
    /// answer `BucketAlreadyOwnedByYou` or `BucketAlreadyExists`.
    #[cfg(test)]
    pub fn create_bucket(&self, name: &str, owner: &str, region: &str, now_ms: u64) -> Result<BucketRecord> {
        self.create_bucket_on(name, owner, region, "", now_ms, &BucketInit::default())
    }

    /// [`SledBackend::create_bucket`] for a bucket whose blobs live on `volume` (empty: the
    /// gateway's default volume).
    pub fn create_bucket_on(
        &self,
        name: &str,
        owner: &str,
        region: &str,
        volume: &str,
        now_ms: u64,
        init: &BucketInit,
    ) -> Result<BucketRecord> {
        let i = self;
        finish((&i.buckets, &i.bucket_ids).transaction(|(buckets, ids)| {
            if let Some(v) = buckets.get(name.as_bytes())? {
                let existing: StoredBucket = tx_decode("bucket", &v)?;
                return abort(Error::BucketAlreadyExists {
                    owner: existing.owner,
                });
            }
            let stored = StoredBucket {
                id: self.next_id(ids)?,
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
            buckets.insert(name.as_bytes(), tx_encode::<_, Error>(&stored)?)?;
            ids.insert(&stored.id.to_be_bytes(), tx_encode::<_, Error>(&stored.name)?)?;
            Ok(stored.to_record())
        }))
    }

    /// Replaces the tag set of bucket `name` (empty: removes it), atomically. Fails with
    /// `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn set_bucket_tags(&self, name: &str, tags: &[(String, String)]) -> Result<()> {
        self.modify_bucket(name, &|b| b.tags = tags.to_vec())
    }

    /// Changes bucket `name`'s stored record with `change`, atomically (tags, versioning,
    /// configuration documents). Fails with `NoSuchBucket` if it is missing or being deleted.
    pub(crate) fn modify_bucket(&self, name: &str, change: &dyn Fn(&mut StoredBucket)) -> Result<()> {
        finish(self.buckets.transaction(|buckets| {
            let Some(v) = buckets.get(name.as_bytes())? else {
                return abort(Error::NoSuchBucket);
            };
            let mut bucket: StoredBucket = tx_decode("bucket", &v)?;
            if bucket.deleting {
                return abort(Error::NoSuchBucket);
            }
            change(&mut bucket);
            buckets.insert(name.as_bytes(), tx_encode::<_, Error>(&bucket)?)?;
            Ok(())
        }))
    }

    /// Looks bucket `name` up. A bucket whose delete is in progress is still returned.
    pub fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        match self.buckets.get(name.as_bytes()).storage()? {
            Some(v) => Ok(Some(decode::<StoredBucket>("bucket", &v)?.to_record())),
            None => Ok(None),
        }
    }

    /// Lists buckets in name order, only `owner`'s when given, starting after name `start_after`,
    /// at most `max`. Returns the page and whether more buckets follow. With an owner filter the
    /// scan reads other owners' buckets too (bucket counts are small; no owner index).
    pub fn list_buckets(
        &self,
        owner: Option<&str>,
        start_after: Option<&str>,
        max: usize,
    ) -> Result<(Vec<BucketRecord>, bool)> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok((out, false));
        }
        let lower = start_after.map_or(Bound::Unbounded, |s| Bound::Excluded(s.as_bytes().to_vec()));
        for item in self.buckets.range((lower, Bound::Unbounded)) {
            let (_, v) = item.storage()?;
            let bucket: StoredBucket = decode("bucket", &v)?;
            if owner.is_some_and(|o| o != bucket.owner) {
                continue;
            }
            if out.len() == max {
                return Ok((out, true));
            }
            out.push(bucket.to_record());
        }
        Ok((out, false))
    }

    /// Deletes bucket `name` if it holds no objects, and returns its record. In-progress multipart
    /// uploads do not keep it (AWS deletes them with the bucket): they are aborted, and their part
    /// blobs queued for GC, in the same transaction that removes the bucket.
    ///
    /// Race with concurrent writes, in three steps: (1) a transaction marks the bucket `deleting`
    /// (a second concurrent delete gets [`Error::OperationAborted`]); from then on every write
    /// transaction that adds an object or an upload sees the mark and fails with `NoSuchBucket`,
    /// and every write that committed earlier is visible. (2) Outside any transaction, look for one
    /// object key under the bucket id. (3) No object: one transaction removes the bucket, its
    /// counters and its uploads (see [`SledBackend::tx_remove_bucket_with_uploads`]); an object: a
    /// transaction clears the mark and this returns [`Error::BucketNotEmpty`]. A crash between
    /// (1) and (3) leaves the mark, which [`SledBackend::open`] clears (the delete was never
    /// acknowledged).
    pub fn delete_bucket(&self, name: &str) -> Result<BucketRecord> {
        let bucket = self.mark_deleting(name)?;
        let removed = match self.bucket_has_objects(bucket.id) {
            Ok(false) if self.bucket_has_versions(bucket.id)? => Err(Error::BucketNotEmpty),
            Ok(false) => self.remove_bucket_with_uploads(name, bucket.id),
            Ok(true) => Err(Error::BucketNotEmpty),
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => Ok(bucket.to_record()),
            Err(e) => {
                // Best effort: the first error is the one worth reporting; a failed restore is
                // repaired at the next open.
                let _ = self.set_deleting(name, bucket.id, false);
                Err(e)
            }
        }
    }

    /// Step (1) of [`SledBackend::delete_bucket`]: marks the bucket `deleting`, returns it.
    pub(crate) fn mark_deleting(&self, name: &str) -> Result<StoredBucket> {
        finish(self.buckets.transaction(|buckets| {
            let Some(v) = buckets.get(name.as_bytes())? else {
                return abort(Error::NoSuchBucket);
            };
            let mut bucket: StoredBucket = tx_decode("bucket", &v)?;
            if bucket.deleting {
                return abort(Error::OperationAborted);
            }
            bucket.deleting = true;
            buckets.insert(name.as_bytes(), tx_encode::<_, Error>(&bucket)?)?;
            Ok(bucket)
        }))
    }

    /// Sets or clears the `deleting` mark of bucket `name` if it is still bucket `id`.
    fn set_deleting(&self, name: &str, id: u64, deleting: bool) -> Result<()> {
        finish(self.buckets.transaction(|buckets| {
            if let Some(v) = buckets.get(name.as_bytes())? {
                let mut bucket: StoredBucket = tx_decode("bucket", &v)?;
                if bucket.id == id && bucket.deleting != deleting {
                    bucket.deleting = deleting;
                    buckets.insert(name.as_bytes(), tx_encode::<_, Error>(&bucket)?)?;
                }
            }
            Ok(())
        }))
    }

    /// True if an object is stored under bucket `id`.
    fn bucket_has_objects(&self, id: u64) -> Result<bool> {
        Ok(self
            .objects
            .scan_prefix(id.to_be_bytes())
            .next()
            .transpose()
            .storage()?
            .is_some())
    }

    /// Clears `deleting` marks left by a crash in the middle of [`SledBackend::delete_bucket`].
    pub(crate) fn restore_deleting_buckets(&self) -> Result<()> {
        let mut stuck = Vec::new();
        for item in &self.buckets {
            let (_, v) = item.storage()?;
            let bucket: StoredBucket = decode("bucket", &v)?;
            if bucket.deleting {
                stuck.push(bucket);
            }
        }
        for bucket in stuck {
            self.set_deleting(&bucket.name, bucket.id, false)?;
        }
        Ok(())
    }
}
