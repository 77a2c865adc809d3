//! The stored forms of buckets and uploads shared by every engine and by the export stream.
//!
//! Owns [`StoredBucket`] and [`StoredUpload`] (versioned `MessagePack` values, see `codec`),
//! the shape of upload ids and the rule of conditional writes ([`check_condition`]). It must not touch any database.

use serde::{Deserialize, Serialize};

use crate::{BucketRecord, Error, ObjectRecord, PutCondition, Result, UploadRecord, Versioning};

/// Length of an upload id: 32 lowercase hex digits (a 64-bit sequence number, then 64 random bits).
pub(crate) const UPLOAD_ID_LEN: usize = 32;

/// True if `id` has the shape of an id this registry hands out.
pub(crate) fn valid_upload_id(id: &str) -> bool {
    id.len() == UPLOAD_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A new upload id from sequence number `seq`.
pub(crate) fn new_upload_id(seq: u64) -> String {
    format!("{seq:016x}{:016x}", rand::random::<u64>())
}

/// The stored form of a bucket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct StoredBucket {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) region: String,
    pub(crate) created_ms: u64,
    /// sled only: set while a delete checks emptiness: writes into the bucket then fail with
    /// `NoSuchBucket`. Always clear in PostgreSQL and in export streams.
    pub(crate) deleting: bool,
    /// The bucket's tag set (empty: none). Absent in records written before tagging: empty.
    pub(crate) tags: Vec<(String, String)>,
    /// The volume of its blobs. Absent in records written before several volumes: empty, the
    /// default volume.
    pub(crate) volume: String,
    /// Versioning state. Absent in records written before versioning: unversioned.
    pub(crate) versioning: Versioning,
    /// Configuration documents by kind, sorted. Absent in older records: none.
    pub(crate) configs: Vec<(String, String)>,
}

impl StoredBucket {
    /// Sets (`Some`) or removes (`None`) the configuration document of `kind`.
    pub(crate) fn set_config(&mut self, kind: &str, value: Option<&str>) {
        self.configs.retain(|(k, _)| k != kind);
        if let Some(v) = value {
            self.configs.push((kind.to_owned(), v.to_owned()));
            self.configs.sort();
        }
    }
}

impl StoredBucket {
    /// The public record.
    pub(crate) fn to_record(&self) -> BucketRecord {
        BucketRecord {
            id: self.id,
            name: self.name.clone(),
            owner: self.owner.clone(),
            region: self.region.clone(),
            created_ms: self.created_ms,
            tags: self.tags.clone(),
            volume: self.volume.clone(),
            versioning: self.versioning,
            configs: self.configs.clone(),
        }
    }
}

/// The stored form of an upload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct StoredUpload {
    pub(crate) bucket: u64,
    pub(crate) record: UploadRecord,
    /// sled only: bumped by every `put_part` (see the sled `multipart` module doc).
    pub(crate) parts_version: u64,
}

/// Checks `cond` against the current record (`None`: the key does not exist).
pub(crate) fn check_condition(cond: &PutCondition, current: Option<&ObjectRecord>) -> Result<()> {
    let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
    let ok = match cond {
        PutCondition::None => true,
        PutCondition::IfNoneMatchAny => current.is_none(),
        PutCondition::IfMatch(etag) => {
            let etag = unquote(etag);
            current.is_some_and(|c| etag == "*" || c.etag == etag)
        }
        PutCondition::IfNoneMatch(etag) => {
            let etag = unquote(etag);
            current.is_none_or(|c| etag != "*" && c.etag != etag)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::PreconditionFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(etag: &str) -> ObjectRecord {
        ObjectRecord {
            etag: etag.to_owned(),
            ..ObjectRecord::default()
        }
    }

    #[test]
    fn condition_table() {
        let a = rec("aa");
        let cases: [(PutCondition, Option<&ObjectRecord>, bool); 12] = [
            (PutCondition::None, None, true),
            (PutCondition::None, Some(&a), true),
            (PutCondition::IfNoneMatchAny, None, true),
            (PutCondition::IfNoneMatchAny, Some(&a), false),
            (PutCondition::IfMatch("aa".into()), Some(&a), true),
            (PutCondition::IfMatch("\"aa\"".into()), Some(&a), true),
            (PutCondition::IfMatch("bb".into()), Some(&a), false),
            (PutCondition::IfMatch("aa".into()), None, false),
            (PutCondition::IfMatch("*".into()), Some(&a), true),
            (PutCondition::IfNoneMatch("aa".into()), Some(&a), false),
            (PutCondition::IfNoneMatch("bb".into()), Some(&a), true),
            (PutCondition::IfNoneMatch("aa".into()), None, true),
        ];
        for (cond, current, ok) in cases {
            assert_eq!(
                check_condition(&cond, current).is_ok(),
                ok,
                "{cond:?} on {current:?}"
            );
        }
    }
}
