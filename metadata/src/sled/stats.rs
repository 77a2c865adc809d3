//! Per-bucket usage: how many objects a bucket holds and their bytes, kept as the records change
//! rather than counted by a scan.
//!
//! Owns the `stats` tree: bucket id (u64 BE) ++ shard (u8) -> [`BucketStats`] of the objects of
//! that bucket whose key falls in that shard ([`shard`]: a fixed hash of the key, mod
//! [`STATS_SHARDS`]). Writers of different keys mostly touch different rows; writers of one key
//! are serialised by the object row already. Every transaction that adds, replaces or removes an
//! object record calls [`tx_account`] inside itself, so the counters move atomically with the
//! records. Parts of uploads in progress are not counted: only objects. A registry written before
//! the tree existed has no `stats` flag in `meta`; [`SledBackend::open`] then rebuilds the tree with
//! one scan of `objects` ([`SledBackend::rebuild_stats`], also run after an import). This module
//! must not scan `objects` anywhere else, and the shard hash must never change (a row counts
//! what was added to it, so a key must land in the same row when it is removed).

use std::collections::BTreeMap;

use sled::transaction::TransactionalTree;

use super::{tx_decode, tx_encode, SledBackend, TxResult};
use crate::codec::{decode, encode, read_u64, BUCKET_ID_LEN};
use crate::error::StorageExt;
use crate::stats::{shard, STATS_SHARDS};
use crate::{BucketStats, Error, ObjectRecord, Result};

/// `meta` key present (value 1u32) once the `stats` tree is complete.
pub(crate) const META_STATS: &[u8] = b"stats";

/// `stats` key: bucket id (big-endian) ++ shard.
pub(crate) fn stats_key(bucket: u64, shard: u8) -> [u8; BUCKET_ID_LEN + 1] {
    let mut out = [0u8; BUCKET_ID_LEN + 1];
    out[..BUCKET_ID_LEN].copy_from_slice(&bucket.to_be_bytes());
    out[BUCKET_ID_LEN] = shard;
    out
}

/// Inside a transaction that replaced `old` by `new` as object `key` of bucket `bucket` (either
/// may be `None`: a new key, a delete): moves that bucket's counters accordingly. A row that
/// falls to zero is removed. Writes nothing when the count and size are unchanged, so such a
/// rewrite does not contend on the row.
pub(crate) fn tx_account<E: From<Error>>(
    stats: &TransactionalTree,
    bucket: u64,
    key: &[u8],
    old: Option<&ObjectRecord>,
    new: Option<&ObjectRecord>,
) -> TxResult<(), E> {
    if old.map(|o| o.size) == new.map(|n| n.size) {
        return Ok(());
    }
    let row = stats_key(bucket, shard(key));
    let current = match stats.get(row)? {
        Some(v) => tx_decode::<BucketStats, E>("bucket stats", &v)?,
        None => BucketStats::default(),
    };
    let next = current.changed(old, new);
    if next == BucketStats::default() {
        stats.remove(&row[..])?;
    } else {
        stats.insert(&row[..], tx_encode::<_, E>(&next)?)?;
    }
    Ok(())
}

/// Inside a transaction: removes every row of bucket `bucket`.
pub(crate) fn tx_remove_bucket<E>(stats: &TransactionalTree, bucket: u64) -> TxResult<(), E> {
    for s in 0..STATS_SHARDS {
        stats.remove(&stats_key(bucket, s)[..])?;
    }
    Ok(())
}

impl SledBackend {
    /// Objects and bytes of bucket `bucket` (zero for an unknown bucket), from its counters:
    /// [`STATS_SHARDS`] rows, whatever the bucket holds.
    pub fn bucket_stats(&self, bucket: u64) -> Result<BucketStats> {
        let mut total = BucketStats::default();
        for item in self.stats.scan_prefix(bucket.to_be_bytes()) {
            let (_, v) = item.storage()?;
            total.add(decode("bucket stats", &v)?);
        }
        Ok(total)
    }

    /// Objects and bytes of every bucket that holds something, by bucket id (a bucket missing
    /// from the map is empty). One pass over the counters, not over the objects.
    pub fn all_bucket_stats(&self) -> Result<BTreeMap<u64, BucketStats>> {
        let mut out: BTreeMap<u64, BucketStats> = BTreeMap::new();
        for item in &self.stats {
            let (k, v) = item.storage()?;
            let bucket = read_u64("bucket stats key", &k)?;
            out.entry(bucket).or_default().add(decode("bucket stats", &v)?);
        }
        Ok(out)
    }

    /// At open: rebuilds the counters if the registry predates them (no flag in `meta`).
    pub(crate) fn ensure_stats(&self) -> Result<()> {
        if self.meta.get(META_STATS).storage()?.is_none() {
            self.rebuild_stats()?;
        }
        Ok(())
    }

    /// Recomputes the `stats` tree from one scan of `objects`, then sets the flag. Not safe
    /// against concurrent writers: only for [`SledBackend::open`] (no other handle yet) and
    /// [`SledBackend::import`] (into a registry nobody else uses yet). A crash before the flag is
    /// set just means the next open rebuilds again.
    pub(crate) fn rebuild_stats(&self) -> Result<()> {
        let i = self;
        i.meta.remove(META_STATS).storage()?;
        i.stats.clear().storage()?;
        let mut rows: BTreeMap<[u8; BUCKET_ID_LEN + 1], BucketStats> = BTreeMap::new();
        for item in &i.objects {
            let (k, v) = item.storage()?;
            let bucket = read_u64("object key", &k)?;
            let rec: ObjectRecord = decode("object", &v)?;
            let row = rows
                .entry(stats_key(bucket, shard(&k[BUCKET_ID_LEN..])))
                .or_default();
            *row = row.changed(None, Some(&rec));
        }
        let mut batch = sled::Batch::default();
        for (k, v) in &rows {
            batch.insert(&k[..], encode(v)?);
        }
        i.stats.apply_batch(batch).storage()?;
        i.meta.insert(META_STATS, encode(&1u32)?).storage()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sled::DEFAULT_CACHE_BYTES;
    use crate::{PutCondition, UploadRecord};

    fn sized(size: u64) -> ObjectRecord {
        ObjectRecord {
            size,
            ..ObjectRecord::default()
        }
    }

    /// A registry written before the `stats` tree existed (no rows, no flag) is counted at the
    /// next open; a registry with the flag is not rescanned.
    #[test]
    fn old_registry_is_rebuilt_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = {
            let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
            let a = reg.create_bucket("a", "o", "r", 1).unwrap().id;
            let b = reg.create_bucket("b", "o", "r", 1).unwrap().id;
            for (i, key) in ["x", "y", "z/1", "z/2"].iter().enumerate() {
                let size = 10 * (i as u64 + 1);
                reg.put_object(a, key.as_bytes(), &sized(size), &PutCondition::None)
                    .unwrap();
            }
            reg.put_object(b, b"k", &sized(7), &PutCondition::None).unwrap();
            // An upload in progress is not an object.
            reg.create_upload(
                b,
                &UploadRecord {
                    key: b"u".to_vec(),
                    ..UploadRecord::default()
                },
            )
            .unwrap();
            // Make it look old.
            reg.stats.clear().unwrap();
            reg.meta.remove(META_STATS).unwrap();
            assert_eq!(reg.bucket_stats(a).unwrap(), BucketStats::default());
            reg.flush().unwrap();
            (a, b)
        };
        {
            let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
            assert_eq!(
                reg.bucket_stats(a).unwrap(),
                BucketStats {
                    objects: 4,
                    bytes: 100
                }
            );
            assert_eq!(reg.bucket_stats(b).unwrap(), BucketStats { objects: 1, bytes: 7 });
            assert!(reg.meta.get(META_STATS).unwrap().is_some());
            // Flag set: a stray row is not "repaired" by a rescan at the next open.
            reg.stats
                .insert(
                    stats_key(b, 0),
                    encode(&BucketStats { objects: 1, bytes: 1 }).unwrap(),
                )
                .unwrap();
            reg.flush().unwrap();
        }
        let reg = SledBackend::open(dir.path(), DEFAULT_CACHE_BYTES).unwrap();
        assert_eq!(reg.bucket_stats(b).unwrap().objects, 2);
    }

    #[test]
    fn fresh_registry_has_the_flag() {
        let reg = SledBackend::temporary().unwrap();
        assert!(reg.meta.get(META_STATS).unwrap().is_some());
        assert!(reg.all_bucket_stats().unwrap().is_empty());
    }

    #[test]
    fn corrupt_row_is_an_error_not_a_panic() {
        let reg = SledBackend::temporary().unwrap();
        let b = reg.create_bucket("b", "o", "r", 1).unwrap().id;
        reg.stats.insert(stats_key(b, shard(b"k")), vec![9u8, 1]).unwrap();
        assert!(matches!(reg.bucket_stats(b), Err(Error::Corrupt(_))));
        assert!(matches!(reg.all_bucket_stats(), Err(Error::Corrupt(_))));
        let put = reg.put_object(b, b"k", &sized(1), &PutCondition::None);
        assert!(matches!(put, Err(Error::Corrupt(_))));
        assert_eq!(reg.get_object(b, b"k").unwrap(), None, "nothing written");
    }
}
