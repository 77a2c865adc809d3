//! The ordered range scan listing runs on: one bucket's rows of the `objects` tree.
//!
//! Keys are stored as `bucket id ++ key`, so a bucket is one contiguous range in S3 (byte) order
//! and a seek is a new sled range iterator, lazy (no batch is fetched ahead). It owns only the
//! scan; the listing rules are the shared `crate::list`. It must not write, and must not decode
//! values.

use std::ops::Bound;

use super::SledBackend;
use crate::backend::ObjectRows;
use crate::codec::{object_key, BUCKET_ID_LEN};
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
}
