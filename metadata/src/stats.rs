//! Per-bucket usage: how many objects a bucket holds and their bytes, kept as the records change
//! rather than counted by a scan, in every engine.
//!
//! Owns [`BucketStats`] and the shard rule shared by the engines: a bucket's counters are
//! [`STATS_SHARDS`] rows, one per [`shard`] of the object keys (a fixed hash of the key), so
//! writers of different keys mostly touch different rows. Each engine moves the row of a key in
//! the same transaction that adds, replaces or removes its object. Parts of uploads in progress
//! are not counted: only objects. The shard hash must never change (a row counts what was added
//! to it, so a key must land in the same row when it is removed). This module must not touch a
//! database.

use serde::{Deserialize, Serialize};

use crate::ObjectRecord;

/// Rows per bucket in the `stats` tree.
pub const STATS_SHARDS: u8 = 16;

/// What a bucket holds: completed objects and the sum of their sizes (uploads in progress and
/// their parts are not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketStats {
    /// Number of objects.
    pub objects: u64,
    /// Sum of the objects' sizes, bytes.
    pub bytes: u64,
}

impl BucketStats {
    /// Adds `other`, saturating.
    pub fn add(&mut self, other: BucketStats) {
        self.objects = self.objects.saturating_add(other.objects);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }

    /// These counts after `old` (the record replaced or removed, if any) gave way to `new` (the
    /// record written, if any). Never underflows.
    pub(crate) fn changed(mut self, old: Option<&ObjectRecord>, new: Option<&ObjectRecord>) -> BucketStats {
        if let Some(new) = new {
            self.objects = self.objects.saturating_add(1);
            self.bytes = self.bytes.saturating_add(new.size);
        }
        if let Some(old) = old {
            self.objects = self.objects.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(old.size);
        }
        self
    }
}

/// The shard of object key `key`: 32-bit FNV-1a of the key, mod [`STATS_SHARDS`]. Stable by
/// construction (see the module doc): do not change it.
pub(crate) fn shard(key: &[u8]) -> u8 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    // The remainder is below STATS_SHARDS, which fits in a u8.
    u8::try_from(h % u32::from(STATS_SHARDS)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(size: u64) -> ObjectRecord {
        ObjectRecord {
            size,
            ..ObjectRecord::default()
        }
    }

    #[test]
    fn shard_is_fixed_and_spread() {
        // Pinned values: the hash is part of the stored layout.
        assert_eq!(shard(b""), 5); // 0x811c9dc5 % 16
        assert_eq!(shard(b"a"), 12); // 0xe40c292c % 16
        let mut seen = [false; STATS_SHARDS as usize];
        for i in 0..200u32 {
            seen[usize::from(shard(format!("key-{i}").as_bytes()))] = true;
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }

    #[test]
    fn changed_never_underflows() {
        let s = BucketStats { objects: 0, bytes: 5 };
        assert_eq!(
            s.changed(Some(&sized(9)), None),
            BucketStats::default(),
            "saturates at zero"
        );
        assert_eq!(
            s.changed(Some(&sized(9)), Some(&sized(10))),
            BucketStats { objects: 0, bytes: 6 }
        );
    }
}
