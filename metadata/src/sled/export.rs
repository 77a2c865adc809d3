//! The sled side of export and import: every record of the trees as a [`Record`], and an empty
//! registry filled from them.
//!
//! The stream format is the shared `crate::export`; this module must not know it. The export is
//! not a point-in-time snapshot (sled has none): take it from a quiescent registry. An import is
//! not one transaction: on error the registry holds a partial import, to be discarded.

use std::sync::atomic::Ordering;

use super::multipart::{index_key, part_key};
use super::{SledBackend, META_ID_BASE};
use crate::codec::{decode, encode, object_key, read_u64, split_escaped, version_key, BUCKET_ID_LEN};
use crate::error::StorageExt;
use crate::export::{upload_seq, ExportGc, ExportObject, ExportPart, ExportUpload, Record};
use crate::stored::{StoredBucket, UPLOAD_ID_LEN};
use crate::{Error, Result};

impl SledBackend {
    /// Hands every record to `sink`: buckets, objects, versions, uploads, parts, GC entries.
    pub(crate) fn export_records(&self, sink: &mut dyn FnMut(Record) -> Result<()>) -> Result<()> {
        for item in &self.buckets {
            let (_, v) = item.storage()?;
            sink(Record::Bucket(decode::<StoredBucket>("bucket", &v)?))?;
        }
        for item in &self.objects {
            let (k, v) = item.storage()?;
            sink(Record::Object(ExportObject {
                bucket: read_u64("object key", &k)?,
                key: k[BUCKET_ID_LEN..].to_vec(),
                record: decode("object", &v)?,
            }))?;
        }
        for item in &self.versions {
            let (k, v) = item.storage()?;
            let (key, _) = split_escaped(&k[BUCKET_ID_LEN..])?;
            sink(Record::Version(ExportObject {
                bucket: read_u64("version key", &k)?,
                key,
                record: decode("version", &v)?,
            }))?;
        }
        for item in &self.uploads {
            let (k, v) = item.storage()?;
            let id = String::from_utf8(k.to_vec())
                .map_err(|_| Error::Corrupt("upload id is not UTF-8".to_owned()))?;
            sink(Record::Upload(ExportUpload {
                id,
                upload: decode("upload", &v)?,
            }))?;
        }
        for item in &self.parts {
            let (k, v) = item.storage()?;
            let (id, number) = k
                .split_at_checked(UPLOAD_ID_LEN)
                .ok_or_else(|| Error::Corrupt("short part key".to_owned()))?;
            sink(Record::Part(ExportPart {
                upload_id: String::from_utf8(id.to_vec())
                    .map_err(|_| Error::Corrupt("upload id is not UTF-8".to_owned()))?,
                part: <[u8; 4]>::try_from(number)
                    .map(u32::from_be_bytes)
                    .map_err(|_| Error::Corrupt("part key of the wrong length".to_owned()))?,
                record: decode("part", &v)?,
            }))?;
        }
        for item in &self.gc {
            let (k, v) = item.storage()?;
            sink(Record::Gc(ExportGc {
                id: read_u64("gc queue key", &k)?,
                blob: decode("gc entry", &v)?,
            }))?;
        }
        Ok(())
    }

    /// Fills this registry, which must be empty, from `next`.
    pub(crate) fn import_records(&self, next: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<()> {
        let data_trees = [
            &self.buckets,
            &self.bucket_ids,
            &self.objects,
            &self.uploads,
            &self.upload_index,
            &self.parts,
            &self.gc,
            &self.stats,
        ];
        if data_trees.iter().any(|t| !t.is_empty()) {
            return Err(Error::ImportTargetNotEmpty);
        }
        let mut max_id = 0u64;
        while let Some(record) = next()? {
            max_id = max_id.max(self.import_one(record)?);
        }
        let base = self.id_base.load(Ordering::SeqCst).max(max_id.saturating_add(1));
        self.meta.insert(META_ID_BASE, encode(&base)?).storage()?;
        self.id_base.store(base, Ordering::SeqCst);
        self.rebuild_stats()
    }

    /// Stores one imported record; returns the id it uses (0: none).
    fn import_one(&self, record: Record) -> Result<u64> {
        match record {
            Record::Bucket(bucket) => {
                self.buckets
                    .insert(bucket.name.as_bytes(), encode(&bucket)?)
                    .storage()?;
                self.bucket_ids
                    .insert(bucket.id.to_be_bytes(), encode(&bucket.name)?)
                    .storage()?;
                Ok(bucket.id)
            }
            Record::Object(o) => {
                self.objects
                    .insert(object_key(o.bucket, &o.key), encode(&o.record)?)
                    .storage()?;
                Ok(0)
            }
            Record::Version(o) => {
                let key = version_key(o.bucket, &o.key, o.record.seq, &o.record.version_id);
                self.versions.insert(key, encode(&o.record)?).storage()?;
                Ok(0)
            }
            Record::Upload(u) => {
                self.upload_index
                    .insert(index_key(u.upload.bucket, &u.upload.record.key, &u.id), &[])
                    .storage()?;
                self.uploads
                    .insert(u.id.as_bytes(), encode(&u.upload)?)
                    .storage()?;
                Ok(upload_seq(&u.id))
            }
            Record::Part(p) => {
                self.parts
                    .insert(part_key(&p.upload_id, p.part), encode(&p.record)?)
                    .storage()?;
                Ok(0)
            }
            Record::Gc(g) => {
                self.gc.insert(g.id.to_be_bytes(), encode(&g.blob)?).storage()?;
                Ok(g.id)
            }
        }
    }
}
