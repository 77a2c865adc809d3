//! The blob's `user.s3.meta` xattr: its one type ([`BlobMeta`]), its writer
//! ([`BlobMeta::to_bytes`]) and its reader ([`BlobMeta::parse`], [`BlobMeta::role`]).
//!
//! The xattr carries enough of an object's record to rebuild the registry from the volume
//! (`gateway reindex`). It is JSON, at most [`META_XATTR_MAX`] bytes: when the whole would not
//! fit, user metadata is dropped first, then tags. Every field but `v`, `bucket` and `key` is
//! optional when read, so xattrs written by older gateways still parse, and a field added
//! later must be optional too. It comes in three shapes:
//!
//! - the blob of a PUT, POST or Copy: `v`, `bucket`, `key`, `size`, `etag`, `mtime_ms`, and
//!   when set `content_type`, `meta` (the `x-amz-meta-*` pairs), `tags` (the object's tags) and,
//!   in a versioned bucket, `version_id` and `seq`;
//! - a part of an unfinished upload: `v`, `bucket`, `key`, `part`, `size` (the part's);
//! - a part of a completed upload: the first shape for the whole object, plus `part`, `index`
//!   (its 0-based position in the object), `parts` (their count) and `part_size`.
//!
//! This module only encodes and decodes: it does no I/O (the store reads and writes the
//! xattr) and gives the fields no S3 meaning beyond their shape.

use serde::{Deserialize, Serialize};

use super::META_XATTR_MAX;

/// Format version written in `v`.
pub const VERSION: u8 = 1;

/// The blob xattr. Every field but `v`, `bucket` and `key` is optional; the shape decides the
/// meaning (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlobMeta {
    /// Format version ([`VERSION`]).
    pub v: u8,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Object size (for an unfinished part: the part's size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Object ETag, unquoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Object mtime, milliseconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime_ms: Option<u64>,
    /// Content-Type as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `x-amz-meta-*` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub meta: Vec<(String, String)>,
    /// The object's tags, in order (absent in xattrs written before tagging existed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Part number (parts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
    /// Position of this part in the completed object (0-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Number of parts of the completed object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
    /// Size of this part blob (completed parts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// The object version's id (`null` for the null version), when its bucket was versioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The version's order stamp (see `metadata::ObjectRecord::seq`), with `version_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// What a blob is, according to its xattr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobRole {
    /// The single blob of a PUT or Copy.
    Object,
    /// A part of an upload that was never completed (or whose Complete did not get to mark it).
    UnfinishedPart,
    /// Part `index` of `parts` of a completed multipart object.
    CompletedPart,
}

impl BlobMeta {
    /// The xattr of an object's blob (the first shape); content type, user metadata and tags
    /// are set on the result.
    pub fn object(bucket: &str, key: &str, size: u64, etag: &str, mtime_ms: u64) -> BlobMeta {
        BlobMeta {
            v: VERSION,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: Some(size),
            etag: Some(etag.to_owned()),
            mtime_ms: Some(mtime_ms),
            ..BlobMeta::default()
        }
    }

    /// The xattr of a part of an unfinished upload.
    pub fn unfinished_part(bucket: &str, key: &str, part: u32, size: u64) -> BlobMeta {
        BlobMeta {
            v: VERSION,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: Some(size),
            part: Some(part),
            ..BlobMeta::default()
        }
    }

    /// This object xattr, for part `part` sitting at `index` of the `parts` blobs of a
    /// completed multipart object.
    #[must_use]
    pub fn completed_part(mut self, part: u32, index: u32, parts: u32, part_size: u64) -> BlobMeta {
        self.part = Some(part);
        self.index = Some(index);
        self.parts = Some(parts);
        self.part_size = Some(part_size);
        self
    }

    /// The xattr value: JSON of at most [`META_XATTR_MAX`] bytes. User metadata is dropped if
    /// the whole would not fit, then tags (the rest is small and bounded).
    pub fn to_bytes(&self) -> Vec<u8> {
        let encode = |m: &BlobMeta| serde_json::to_vec(m).unwrap_or_default();
        let full = encode(self);
        if full.len() <= META_XATTR_MAX {
            return full;
        }
        let mut m = self.clone();
        m.meta.clear();
        let without_meta = encode(&m);
        if without_meta.len() <= META_XATTR_MAX {
            return without_meta;
        }
        m.tags.clear();
        encode(&m)
    }

    /// Parses an xattr value; `Err` says why it is unusable.
    pub fn parse(raw: &[u8]) -> Result<BlobMeta, String> {
        let m: BlobMeta = serde_json::from_slice(raw).map_err(|e| format!("unreadable user.s3.meta: {e}"))?;
        if m.v != VERSION {
            return Err(format!("user.s3.meta version {} is unknown", m.v));
        }
        if m.bucket.is_empty() || m.key.is_empty() {
            return Err("user.s3.meta names no bucket or key".to_owned());
        }
        Ok(m)
    }

    /// The blob's role, or `None` if the fields match no known shape.
    pub fn role(&self) -> Option<BlobRole> {
        let object = self.etag.is_some() && self.size.is_some() && self.mtime_ms.is_some();
        match (self.part, object) {
            (None, true) => Some(BlobRole::Object),
            (Some(_), false) if self.size.is_some() => Some(BlobRole::UnfinishedPart),
            (Some(_), true) if self.index.is_some() && self.parts.is_some() && self.part_size.is_some() => {
                Some(BlobRole::CompletedPart)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn round_trip_every_shape() {
        let mut obj = BlobMeta::object("b", "k", 3, "e", 5);
        obj.content_type = Some("text/plain".into());
        obj.meta = pairs(&[("a", "b")]);
        obj.tags = pairs(&[("t", "1"), ("u", "")]);
        let back = BlobMeta::parse(&obj.to_bytes()).unwrap();
        assert_eq!(back, obj);
        assert_eq!(back.role(), Some(BlobRole::Object));

        let part = BlobMeta::unfinished_part("b", "k", 2, 3);
        let back = BlobMeta::parse(&part.to_bytes()).unwrap();
        assert_eq!(back, part);
        assert_eq!(back.role(), Some(BlobRole::UnfinishedPart));

        let done = obj.clone().completed_part(2, 1, 2, 4);
        let back = BlobMeta::parse(&done.to_bytes()).unwrap();
        assert_eq!(back, done);
        assert_eq!(back.role(), Some(BlobRole::CompletedPart));
    }

    /// Xattrs written before this module existed (and before tags) still parse.
    #[test]
    fn old_xattrs_parse() {
        let obj = br#"{"v":1,"bucket":"b","key":"k","size":3,"etag":"e","mtime_ms":5,"meta":[["a","b"]]}"#;
        let m = BlobMeta::parse(obj).unwrap();
        assert_eq!(m.role(), Some(BlobRole::Object));
        assert_eq!(m.meta, pairs(&[("a", "b")]));
        assert!(m.tags.is_empty());
        // The old part writer (serde_json::json!) sorted its fields.
        let part = br#"{"bucket":"b","key":"k","part":2,"size":3,"v":1}"#;
        assert_eq!(
            BlobMeta::parse(part).unwrap().role(),
            Some(BlobRole::UnfinishedPart)
        );
        let done = br#"{"v":1,"bucket":"b","key":"k","size":9,"etag":"e-2","mtime_ms":5,
            "part":2,"index":1,"parts":2,"part_size":4}"#;
        assert_eq!(
            BlobMeta::parse(done).unwrap().role(),
            Some(BlobRole::CompletedPart)
        );
        let odd = br#"{"v":1,"bucket":"b","key":"k","part":2,"etag":"x"}"#;
        assert_eq!(BlobMeta::parse(odd).unwrap().role(), None);
        assert!(BlobMeta::parse(br#"{"v":2,"bucket":"b","key":"k"}"#).is_err());
        assert!(BlobMeta::parse(b"garbage").is_err());
        assert!(BlobMeta::parse(br#"{"v":1,"bucket":"","key":"k"}"#).is_err());
    }

    #[test]
    fn oversized_drops_meta_then_tags() {
        let mut m = BlobMeta::object("b", "k", 1, "e", 1);
        m.tags = pairs(&[("t", "1")]);
        m.meta = vec![("big".into(), "x".repeat(META_XATTR_MAX))];
        let back = BlobMeta::parse(&m.to_bytes()).unwrap();
        assert!(back.meta.is_empty());
        assert_eq!(back.tags, pairs(&[("t", "1")]));

        m.tags = (0..10).map(|i| (format!("k{i}"), "文".repeat(256))).collect();
        let bytes = m.to_bytes();
        assert!(bytes.len() <= META_XATTR_MAX);
        let back = BlobMeta::parse(&bytes).unwrap();
        assert!(back.meta.is_empty() && back.tags.is_empty());
        assert_eq!(back.role(), Some(BlobRole::Object));
    }
}
