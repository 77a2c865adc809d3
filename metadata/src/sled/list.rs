//! The ordered range scans listing runs on: one bucket's rows of the `objects` tree, and of the
//! `versions` tree for version listing.
//!
//! Keys are stored as `bucket id ++ key`, so a bucket is one contiguous range in S3 (byte) order
//! and a seek is a new sled range iterator, lazy (no batch is fetched ahead). It owns only the
//! scan; the listing rules are the shared `crate::list`. It must not write, and must not decode
//! values.

use std::ops::Bound;

use super::SledBackend;
use crate::backend::{ObjectRows, VersionsFrom};
use crate::codec::{
    key_versions_prefix, object_key, prefix_successor, split_escaped, version_key, versions_prefix,
    BUCKET_ID_LEN,
};
use crate::error::StorageExt;

impl SledBackend {
    /// Rows of bucket `bucket` from `lower` on whose key starts with `prefix`, lazily.
    pub(crate) fn scan_rows<'a>(&'a self, bucket: u64, lower: Bound<&[u8]>, prefix: &[u8]) -> ObjectRows<'a> {
        let full_prefix = object_key(bucket, prefix);
        let lower = match lower {
            Bound::Included(k) => Bound::Included(object_key(bucket, k)),
            Bound::Excluded(k) => Bound::Excluded(object_key(bucket, k)),
            Bound::Unbounded => Bound::Included(full_prefix.clone()),
        };
        let rows = self
            .objects
            .range((lower, Bound::Unbounded))
            .map(StorageExt::storage)
            .take_while(move |item| match item {
                Ok((k, _)) => k.starts_with(&full_prefix),
                Err(_) => true,
            })
            .map(|item| item.map(|(k, v)| (k[BUCKET_ID_LEN..].to_vec(), v.to_vec())));
        Box::new(rows)
    }

    /// Rows (key, encoded record) of bucket `bucket`'s versions from `from` on whose key starts
    /// with `prefix`, lazily.
    pub(crate) fn scan_version_rows<'a>(
        &'a self,
        bucket: u64,
        from: VersionsFrom<'_>,
        prefix: &[u8],
    ) -> ObjectRows<'a> {
        let full_prefix = versions_prefix(bucket, prefix);
        let lower = match from {
            VersionsFrom::Key(k) => Bound::Included(versions_prefix(bucket, k)),
            VersionsFrom::AfterKey(k) => match prefix_successor(&key_versions_prefix(bucket, k)) {
                Some(next) => Bound::Included(next),
                None => return Box::new(std::iter::empty()),
            },
            VersionsFrom::After(k, seq, id) => Bound::Excluded(version_key(bucket, k, seq, id)),
        };
        let lower = match lower {
            Bound::Included(l) if l < full_prefix => Bound::Included(full_prefix.clone()),
            other => other,
        };
        let rows = self
            .versions
            .range((lower, Bound::Unbounded))
            .map(StorageExt::storage)
            .take_while(move |item| match item {
                Ok((k, _)) => k.starts_with(&full_prefix),
                Err(_) => true,
            })
            .map(|item| {
                let (k, v) = item?;
                let (key, _) = split_escaped(&k[BUCKET_ID_LEN..])?;
                Ok((key, v.to_vec()))
            });
        Box::new(rows)
    }
}
