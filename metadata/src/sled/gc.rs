//! The blob garbage queue and the inventory of referenced blobs.
//!
//! Owns the `gc` tree: blobs that no record references any more, appended in the same transaction
//! that dropped the reference, consumed by the gateway's sweeper (delete the file, then
//! [`SledBackend::gc_done`]). It must not delete files itself, and must never queue a blob that a
//! record still references.

use std::collections::HashSet;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use super::{finish, SledBackend};
use crate::backend::BlobIter;
use crate::codec::{decode, read_u64};
use crate::error::StorageExt;
use crate::{BlobRef, ObjectRecord, PartRecord, Result};

/// Iterator over every blob referenced by an object or a part (see [`SledBackend::referenced_blobs`]).
struct ReferencedBlobs {
    /// `objects`, then `versions` (records of one shape).
    objects: std::iter::Chain<sled::Iter, sled::Iter>,
    parts: sled::Iter,
    pending: std::vec::IntoIter<BlobRef>,
}

impl Iterator for ReferencedBlobs {
    type Item = Result<BlobRef>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(blob) = self.pending.next() {
                return Some(Ok(blob));
            }
            if let Some(item) = self.objects.next() {
                match item
                    .storage()
                    .and_then(|(_, v)| decode::<ObjectRecord>("object", &v))
                {
                    Ok(rec) => self.pending = rec.blobs.into_iter(),
                    Err(e) => return Some(Err(e)),
                }
                continue;
            }
            let item = self.parts.next()?;
            return Some(
                item.storage()
                    .and_then(|(_, v)| decode::<PartRecord>("part", &v))
                    .map(|p| p.blob),
            );
        }
    }
}

impl SledBackend {
    /// Up to `max` queued garbage blobs, oldest first, with their queue ids. Entries stay queued
    /// until [`SledBackend::gc_done`], so a crashed sweeper loses nothing (deleting a missing file must
    /// therefore be treated as success).
    pub fn gc_pending(&self, max: usize) -> Result<Vec<(u64, BlobRef)>> {
        let mut out = Vec::new();
        for item in self.gc.iter().take(max) {
            let (k, v) = item.storage()?;
            out.push((read_u64("gc queue key", &k)?, decode("gc entry", &v)?));
        }
        Ok(out)
    }

    /// How many blobs are queued for deletion (walks the queue: for a metrics scrape, not a
    /// hot path).
    pub fn gc_queue_len(&self) -> Result<usize> {
        let mut n = 0;
        for item in self.gc.iter().keys() {
            item.storage()?;
            n += 1;
        }
        Ok(n)
    }

    /// Removes the given queue entries (their blobs have been deleted). Unknown ids are ignored.
    pub fn gc_done(&self, ids: &[u64]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.remove(&id.to_be_bytes());
        }
        self.gc.apply_batch(batch).storage()?;
        let mut claims = self.gc_claims.lock().unwrap_or_else(PoisonError::into_inner);
        for id in ids {
            claims.remove(id);
        }
        Ok(())
    }

    /// Queues blobs that no record references, e.g. a blob written for a request whose registry
    /// commit then failed. Never pass a blob that a record may reference.
    pub fn gc_enqueue(&self, blobs: &[BlobRef]) -> Result<()> {
        finish(
            self.gc
                .transaction(|gc| self.tx_queue_blobs(gc, blobs, &HashSet::new())),
        )
    }

    /// Every blob referenced by an object, a noncurrent version or a part of an in-progress upload, for `fsck`: a file
    /// on the volume that is neither here nor in the GC queue is an orphan. The iteration is not a
    /// snapshot: run it against a quiescent registry, or re-check candidates before deleting.
    pub fn referenced_blobs(&self) -> BlobIter {
        Box::new(ReferencedBlobs {
            objects: self.objects.iter().chain(self.versions.iter()),
            parts: self.parts.iter(),
            pending: Vec::new().into_iter(),
        })
    }

    /// Ends the claims on `ids`.
    pub fn gc_release(&self, ids: &[u64]) {
        let mut claims = self.gc_claims.lock().unwrap_or_else(PoisonError::into_inner);
        for id in ids {
            claims.remove(id);
        }
    }

    /// Claims up to `max` entries not claimed by a lease still running, oldest first.
    pub fn gc_claim(&self, max: usize, lease: Duration) -> Result<Vec<(u64, BlobRef)>> {
        let mut claims = self.gc_claims.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        claims.retain(|_, until| *until > now);
        let mut out = Vec::new();
        for item in &self.gc {
            if out.len() == max {
                break;
            }
            let (k, v) = item.storage()?;
            let id = read_u64("gc queue key", &k)?;
            if claims.contains_key(&id) {
                continue;
            }
            out.push((id, decode("gc entry", &v)?));
        }
        for (id, _) in &out {
            claims.insert(*id, now + lease);
        }
        Ok(out)
    }
}
