//! Multipart uploads: create, upload parts, list, abort, complete.
//!
//! Owns the `uploads`, `upload_index` and `parts` trees. Every change that drops a reference to a
//! part blob (a replaced part, an abort, the parts a completion did not use) queues that blob for
//! GC in the same transaction. It must not copy or read bytes (completion only writes one object
//! record that references the part blobs in order) and must not validate S3 part-list rules (part
//! numbering, minimum sizes: the gateway does).
//!
//! Abort and complete must remove every part of the upload, but sled transactions cannot range-scan.
//! So they read the upload's `parts_version` and scan its part keys outside the transaction, then
//! inside it re-read the version: every `put_part` bumps it, so a part added in between makes the
//! transaction abort as stale and the whole step is retried.

use std::collections::HashSet;
use std::ops::Bound;

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use super::buckets::tx_live_bucket;
use super::intents::tx_end_intents;
use super::objects::Needs;
use super::stats::tx_remove_bucket;
use super::{abort, finish, tx_decode, tx_encode, Abort, SledBackend, TxResult};
use crate::codec::{decode, escape_into, TERMINATOR};
use crate::error::StorageExt;
use crate::stored::{new_upload_id, valid_upload_id, StoredUpload, UPLOAD_ID_LEN};
use crate::versions;
use crate::{Committed, Error, ObjectRecord, PartRecord, PutCondition, Result, Upload, UploadRecord};

/// `upload_index` key: bucket id ++ escaped key ++ terminator ++ upload id (sorts by key, then by
/// upload id, i.e. by initiation order).
pub(crate) fn index_key(bucket: u64, key: &[u8], upload_id: &str) -> Vec<u8> {
    let mut out = bucket.to_be_bytes().to_vec();
    escape_into(&mut out, key);
    out.extend_from_slice(&TERMINATOR);
    out.extend_from_slice(upload_id.as_bytes());
    out
}

/// `parts` key: upload id ++ part number (big-endian).
pub(crate) fn part_key(upload_id: &str, part: u32) -> Vec<u8> {
    let mut out = upload_id.as_bytes().to_vec();
    out.extend_from_slice(&part.to_be_bytes());
    out
}

/// Inside a transaction: the upload, which must still exist with the snapshot's parts version.
fn tx_current_upload(uploads: &TransactionalTree, id: &str, version: u64) -> TxResult<StoredUpload, Abort> {
    let Some(v) = uploads.get(id.as_bytes())? else {
        return abort(Error::NoSuchUpload);
    };
    let stored: StoredUpload = tx_decode("upload", &v)?;
    if stored.parts_version != version {
        return Err(ConflictableTransactionError::Abort(Abort::Stale));
    }
    Ok(stored)
}

impl SledBackend {
    /// Starts a multipart upload of `rec.key` in bucket `bucket` and returns its id (URL-safe,
    /// unique, unguessable). Fails with `NoSuchBucket` if the bucket is missing or being deleted.
    pub fn create_upload(&self, bucket: u64, rec: &UploadRecord) -> Result<String> {
        let i = self;
        finish(
            (&i.bucket_ids, &i.buckets, &i.uploads, &i.upload_index).transaction(
                |(ids, buckets, uploads, index)| {
                    tx_live_bucket(ids, buckets, bucket)?;
                    let id = new_upload_id(self.next_id(uploads)?);
                    let stored = StoredUpload {
                        bucket,
                        record: rec.clone(),
                        parts_version: 0,
                    };
                    uploads.insert(id.as_bytes(), tx_encode::<_, Error>(&stored)?)?;
                    index.insert(index_key(bucket, &rec.key, &id), &[][..])?;
                    Ok(id)
                },
            ),
        )
    }

    fn load_upload(&self, id: &str) -> Result<Option<StoredUpload>> {
        if !valid_upload_id(id) {
            return Ok(None);
        }
        match self.uploads.get(id.as_bytes()).storage()? {
            Some(v) => Ok(Some(decode("upload", &v)?)),
            None => Ok(None),
        }
    }

    /// The upload `id`, if it is in progress.
    pub fn get_upload(&self, id: &str) -> Result<Option<Upload>> {
        Ok(self.load_upload(id)?.map(|s| Upload {
            id: id.to_owned(),
            bucket: s.bucket,
            record: s.record,
        }))
    }

    /// Stores part `part` of upload `upload_id` and returns the part it replaced, whose blob (unless
    /// `rec` reuses it) is queued for GC in the same transaction. Fails with `NoSuchUpload`.
    pub fn put_part(&self, upload_id: &str, part: u32, rec: &PartRecord) -> Result<Option<PartRecord>> {
        if !valid_upload_id(upload_id) {
            return Err(Error::NoSuchUpload);
        }
        let key = part_key(upload_id, part);
        let value = crate::codec::encode(rec)?;
        let keep = HashSet::from([rec.blob.path.as_str()]);
        let i = self;
        finish(
            (&i.uploads, &i.parts, &i.gc, &i.intents).transaction(|(uploads, parts, gc, intents)| {
                let Some(v) = uploads.get(upload_id.as_bytes())? else {
                    return abort(Error::NoSuchUpload);
                };
                tx_end_intents(intents, [rec.blob.path.as_str()])?;
                let mut stored: StoredUpload = tx_decode("upload", &v)?;
                stored.parts_version += 1;
                uploads.insert(upload_id.as_bytes(), tx_encode::<_, Error>(&stored)?)?;
                let old = parts.insert(key.as_slice(), value.as_slice())?;
                let old = old
                    .map(|v| tx_decode::<PartRecord, Error>("part", &v))
                    .transpose()?;
                if let Some(old) = &old {
                    self.tx_queue_blobs::<Error>(gc, [&old.blob], &keep)?;
                }
                Ok(old)
            }),
        )
    }

    /// Parts of upload `upload_id` numbered above `after`, in order, at most `max`, and whether more
    /// follow. Fails with `NoSuchUpload`.
    pub fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        max: usize,
    ) -> Result<(Vec<(u32, PartRecord)>, bool)> {
        if self.load_upload(upload_id)?.is_none() {
            return Err(Error::NoSuchUpload);
        }
        let mut out = Vec::new();
        if max == 0 {
            return Ok((out, false));
        }
        let range = (
            Bound::Excluded(part_key(upload_id, after)),
            Bound::Included(part_key(upload_id, u32::MAX)),
        );
        for item in self.parts.range(range) {
            let (k, v) = item.storage()?;
            if out.len() == max {
                return Ok((out, true));
            }
            let number = k
                .get(UPLOAD_ID_LEN..)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| Error::Corrupt("part key of the wrong length".to_owned()))?;
            out.push((number, decode("part", &v)?));
        }
        Ok((out, false))
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
        let mut out = Vec::new();
        if max == 0 {
            return Ok((out, false));
        }
        let mut scan_prefix = bucket.to_be_bytes().to_vec();
        escape_into(&mut scan_prefix, prefix);
        let mut lower = Bound::Included(scan_prefix.clone());
        if let Some(km) = key_marker {
            // Upload ids are hex, so 0xFF sorts after every upload of `km`.
            let mut marker = index_key(bucket, km, "");
            marker.extend_from_slice(upload_id_marker.map_or(&[0xFF][..], str::as_bytes));
            if marker > scan_prefix {
                lower = Bound::Excluded(marker);
            }
        }
        for item in self.upload_index.range((lower, Bound::Unbounded)) {
            let (k, _) = item.storage()?;
            if !k.starts_with(&scan_prefix) {
                break;
            }
            if out.len() == max {
                return Ok((out, true));
            }
            let id = k
                .len()
                .checked_sub(UPLOAD_ID_LEN)
                .and_then(|at| std::str::from_utf8(&k[at..]).ok())
                .filter(|id| valid_upload_id(id))
                .ok_or_else(|| Error::Corrupt("upload index key without an upload id".to_owned()))?;
            let upload = self
                .get_upload(id)?
                .ok_or_else(|| Error::Corrupt(format!("upload index names missing upload {id}")))?;
            out.push(upload);
        }
        Ok((out, false))
    }

    /// Snapshot for abort/complete: the upload's parts version, then its part keys.
    fn snapshot_parts(&self, id: &str) -> Result<(u64, Vec<Vec<u8>>)> {
        let stored = self.load_upload(id)?.ok_or(Error::NoSuchUpload)?;
        let mut keys = Vec::new();
        for item in self.parts.scan_prefix(id.as_bytes()) {
            keys.push(item.storage()?.0.to_vec());
        }
        Ok((stored.parts_version, keys))
    }

    /// Runs `step` until it does not abort as stale (see the module doc).
    fn retry_stale<T>(
        &self,
        id: &str,
        step: impl Fn(u64, &[Vec<u8>]) -> std::result::Result<T, TransactionError<Abort>>,
    ) -> Result<T> {
        loop {
            let (version, keys) = self.snapshot_parts(id)?;
            match step(version, &keys) {
                Ok(v) => return Ok(v),
                Err(TransactionError::Abort(Abort::Stale)) => {}
                Err(TransactionError::Abort(Abort::Error(e))) => return Err(e),
                Err(TransactionError::Storage(e)) => return Err(Error::Storage(Box::new(e))),
            }
        }
    }

    /// Inside a transaction: removes the parts and returns their blobs.
    fn tx_take_parts(parts: &TransactionalTree, keys: &[Vec<u8>]) -> TxResult<Vec<PartRecord>, Abort> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(v) = parts.remove(key.as_slice())? {
                out.push(tx_decode("part", &v)?);
            }
        }
        Ok(out)
    }

    /// Aborts upload `upload_id`: removes it and its parts and queues every part blob for GC, in one
    /// transaction. Fails with `NoSuchUpload`.
    pub fn abort_upload(&self, upload_id: &str) -> Result<()> {
        let i = self;
        self.retry_stale(upload_id, |version, keys| {
            (&i.uploads, &i.upload_index, &i.parts, &i.gc).transaction(|(uploads, index, parts, gc)| {
                let stored = tx_current_upload(uploads, upload_id, version)?;
                let taken = Self::tx_take_parts(parts, keys)?;
                self.tx_queue_blobs::<Abort>(gc, taken.iter().map(|p| &p.blob), &HashSet::new())?;
                uploads.remove(upload_id.as_bytes())?;
                index.remove(index_key(stored.bucket, &stored.record.key, upload_id))?;
                Ok(())
            })
        })
    }

    /// Completes upload `upload_id` as object `rec` (whose blobs are the chosen parts' blobs, in
    /// order) if `cond` holds on the current object, atomically: writes the object (and counts
    /// it in the bucket's `stats`), removes the upload and its parts, and queues for GC the
    /// replaced object's blobs and the blobs of parts `rec` does not use. Returns the replaced
    /// object. Fails with `NoSuchUpload`, `NoSuchBucket` or `PreconditionFailed` (then nothing
    /// changes).
    pub fn complete_upload(
        &self,
        upload_id: &str,
        rec: &ObjectRecord,
        cond: &PutCondition,
    ) -> Result<Committed> {
        let upload = self.get_upload(upload_id)?.ok_or(Error::NoSuchUpload)?;
        let (bucket, key) = (upload.bucket, upload.record.key);
        let keep: HashSet<&str> = rec.blobs.iter().map(|b| b.path.as_str()).collect();
        let i = self;
        let _lock = self.lock_key(bucket, &key);
        loop {
            let view = self.read_view(bucket, &key, Needs::Write, "")?;
            let mode = view.mode;
            let current = view.current.clone();
            let (plan, committed) = versions::plan_put(view, rec.clone(), cond)?;
            let (version, keys) = self.snapshot_parts(upload_id)?;
            let r = (
                &i.objects,
                &i.versions,
                &i.bucket_ids,
                &i.buckets,
                &i.gc,
                &i.uploads,
                &i.upload_index,
                &i.parts,
                &i.stats,
            )
                .transaction(
                    |(objects, versions, ids, buckets, gc, uploads, index, parts, stats)| {
                        tx_current_upload(uploads, upload_id, version)?;
                        self.tx_apply(
                            (objects, versions, ids, buckets),
                            gc,
                            stats,
                            bucket,
                            &key,
                            mode,
                            current.as_ref(),
                            &plan,
                        )?;
                        let taken = Self::tx_take_parts(parts, &keys)?;
                        self.tx_queue_blobs::<Abort>(gc, taken.iter().map(|p| &p.blob), &keep)?;
                        uploads.remove(upload_id.as_bytes())?;
                        index.remove(index_key(bucket, &key, upload_id))?;
                        Ok(())
                    },
                );
            match r {
                Ok(()) => return Ok(committed),
                Err(TransactionError::Abort(Abort::Stale)) => {}
                Err(TransactionError::Abort(Abort::Error(e))) => return Err(e),
                Err(TransactionError::Storage(e)) => return Err(Error::Storage(Box::new(e))),
            }
        }
    }

    /// Step (3) of [`SledBackend::delete_bucket`], for bucket `name` (id `id`, already marked
    /// `deleting`, so no upload can start in it any more): in one transaction, removes the bucket,
    /// its counters (`stats`), every upload in it and their parts, and queues the part blobs for
    /// GC. Uploads are listed
    /// and their parts scanned outside the transaction (sled transactions cannot range-scan); a
    /// part added or an upload finished in between makes the snapshot stale and the step is
    /// retried, as for abort.
    pub(crate) fn remove_bucket_with_uploads(&self, name: &str, id: u64) -> Result<()> {
        let i = self;
        loop {
            let mut snapshot = Vec::new();
            for item in i.upload_index.scan_prefix(id.to_be_bytes()) {
                let (k, _) = item.storage()?;
                let upload_id = k
                    .len()
                    .checked_sub(UPLOAD_ID_LEN)
                    .and_then(|at| std::str::from_utf8(&k[at..]).ok())
                    .filter(|u| valid_upload_id(u))
                    .ok_or_else(|| Error::Corrupt("upload index key without an upload id".to_owned()))?
                    .to_owned();
                // An upload gone since the index scan was finished or aborted: retry below sees it.
                let (version, parts) = match self.snapshot_parts(&upload_id) {
                    Ok(s) => s,
                    Err(Error::NoSuchUpload) => (u64::MAX, Vec::new()),
                    Err(e) => return Err(e),
                };
                snapshot.push((upload_id, k.to_vec(), version, parts));
            }
            let result = (
                &i.buckets,
                &i.bucket_ids,
                &i.uploads,
                &i.upload_index,
                &i.parts,
                &i.gc,
                &i.stats,
            )
                .transaction(|(buckets, ids, uploads, index, parts, gc, stats)| {
                    for (upload_id, index_key, version, keys) in &snapshot {
                        match uploads.get(upload_id.as_bytes())? {
                            Some(v)
                                if tx_decode::<StoredUpload, Abort>("upload", &v)?.parts_version
                                    == *version => {}
                            _ => return Err(ConflictableTransactionError::Abort(Abort::Stale)),
                        }
                        let taken = Self::tx_take_parts(parts, keys)?;
                        self.tx_queue_blobs::<Abort>(gc, taken.iter().map(|p| &p.blob), &HashSet::new())?;
                        uploads.remove(upload_id.as_bytes())?;
                        index.remove(index_key.as_slice())?;
                    }
                    buckets.remove(name.as_bytes())?;
                    ids.remove(&id.to_be_bytes())?;
                    tx_remove_bucket::<Abort>(stats, id)?;
                    Ok(())
                });
            match result {
                Ok(()) => return Ok(()),
                Err(TransactionError::Abort(Abort::Stale)) => {}
                Err(TransactionError::Abort(Abort::Error(e))) => return Err(e),
                Err(TransactionError::Storage(e)) => return Err(Error::Storage(Box::new(e))),
            }
        }
    }
}
