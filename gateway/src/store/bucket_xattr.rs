//! The bucket's record on the volume: the `user.s3.bucket` xattr of its blob directory
//! (`<root>/blobs/<bucket id>`), written at CreateBucket, so a registry rebuilt by
//! `gateway reindex` gives each bucket back to its owner (tenancy survives the loss of the
//! registry) and recreates empty buckets too.
//!
//! Owns the xattr's format (JSON: `v`, `name`, `owner`, `region`, `created_ms`, `deleted`) and
//! its reading and writing. DeleteBucket overwrites it with `deleted: true` before removing the
//! directories (gfapi offers no removexattr here, and a directory that still holds blobs queued
//! for GC outlives the bucket). It must not touch the blobs' own `user.s3.meta` xattr, nor
//! decide who may use a bucket (the registry's record does; this is only its backup).

use std::io;

use serde::{Deserialize, Serialize};

use super::BlobStore;

/// Name of the xattr on a bucket's blob directory.
pub const BUCKET_XATTR: &str = "user.s3.bucket";

/// What the bucket directory's xattr records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketXattr {
    /// Format version (1).
    pub v: u8,
    /// Bucket name.
    pub name: String,
    /// Owner id the bucket belongs to.
    pub owner: String,
    /// Region it was created in.
    pub region: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Set when the bucket was deleted (the directory may outlive it until its blobs are swept).
    pub deleted: bool,
}

impl BucketXattr {
    /// The record of a live bucket.
    pub fn new(name: &str, owner: &str, region: &str, created_ms: u64) -> BucketXattr {
        BucketXattr {
            v: 1,
            name: name.to_owned(),
            owner: owner.to_owned(),
            region: region.to_owned(),
            created_ms,
            deleted: false,
        }
    }

    /// Encodes the value.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a value; `Err` says why it is unusable.
    pub fn parse(raw: &[u8]) -> Result<BucketXattr, String> {
        let x: BucketXattr =
            serde_json::from_slice(raw).map_err(|e| format!("unreadable {BUCKET_XATTR}: {e}"))?;
        if x.v != 1 {
            return Err(format!("{BUCKET_XATTR} version {} is unknown", x.v));
        }
        if x.name.is_empty() || x.owner.is_empty() {
            return Err(format!("{BUCKET_XATTR} names no bucket or owner"));
        }
        Ok(x)
    }
}

impl BlobStore {
    /// Writes (or replaces) the bucket record on bucket `bucket_id`'s directory.
    pub fn write_bucket_xattr(&self, bucket_id: u64, x: &BucketXattr) -> io::Result<()> {
        self.vol
            .setxattr(self.bucket_dir(bucket_id), BUCKET_XATTR, &x.encode(), 0)
    }

    /// Reads the bucket record of directory `bucket_id`: `Ok(None)` if it has none (a bucket
    /// created before the record existed) or the value is unusable.
    pub fn read_bucket_xattr(&self, bucket_id: u64) -> io::Result<Option<BucketXattr>> {
        match self.vol.getxattr(self.bucket_dir(bucket_id), BUCKET_XATTR) {
            Ok(raw) => Ok(BucketXattr::parse(&raw).ok()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENODATA)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_values() {
        let x = BucketXattr::new("photos", "team-a", "us-east-1", 42);
        assert_eq!(BucketXattr::parse(&x.encode()).unwrap(), x);
        let gone = BucketXattr {
            deleted: true,
            ..x.clone()
        };
        assert!(BucketXattr::parse(&gone.encode()).unwrap().deleted);
        assert!(BucketXattr::parse(b"garbage").is_err());
        assert!(BucketXattr::parse(br#"{"v":2,"name":"b","owner":"o"}"#).is_err());
        assert!(BucketXattr::parse(br#"{"v":1,"name":"b","owner":""}"#).is_err());
        // Fields added later do not break older readers.
        let more = br#"{"v":1,"name":"b","owner":"o","future":1}"#;
        assert_eq!(BucketXattr::parse(more).unwrap().owner, "o");
    }
}
