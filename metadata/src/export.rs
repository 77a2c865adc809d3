//! Export and import: the whole registry as an engine-independent stream.
//!
//! Owns the stream format, which is how the registry moves to another engine or gets snapshotted to
//! the volume: the magic line `glusters3-registry-export`, a format version byte, then frames of
//! `tag (u8) ++ length (u32 BE) ++ body`, where a body is a versioned value like those stored in
//! the trees (bucket, object, upload, part, GC entry), and a final frame of tag 0 whose body is the
//! record count (u64 BE), so a truncated stream is detected. Derived data (the `stats` counters)
//! is not exported; import recomputes it. It must not depend on sled's on-disk format, and
//! import must only fill an empty registry.
//!
//! The export is not a point-in-time snapshot (sled has none): take it from a quiescent registry.

use std::io::{BufWriter, Read, Write};
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use crate::buckets::StoredBucket;
use crate::codec::{decode, encode, object_key, read_u64, BUCKET_ID_LEN};
use crate::error::StorageExt;
use crate::multipart::{index_key, part_key, valid_upload_id, StoredUpload, UPLOAD_ID_LEN};
use crate::{BlobRef, Error, ObjectRecord, PartRecord, Registry, Result, META_ID_BASE};

const MAGIC: &[u8] = b"glusters3-registry-export\n";
const STREAM_VERSION: u8 = 1;
/// Largest frame body import accepts, so garbage cannot make it allocate gigabytes.
const MAX_FRAME: u32 = 64 << 20;

const TAG_END: u8 = 0;
const TAG_BUCKET: u8 = 1;
const TAG_OBJECT: u8 = 2;
const TAG_UPLOAD: u8 = 3;
const TAG_PART: u8 = 4;
const TAG_GC: u8 = 5;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct ExportObject {
    bucket: u64,
    key: Vec<u8>,
    record: ObjectRecord,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct ExportUpload {
    id: String,
    upload: StoredUpload,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct ExportPart {
    upload_id: String,
    part: u32,
    record: PartRecord,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct ExportGc {
    id: u64,
    blob: BlobRef,
}

fn io(e: std::io::Error) -> Error {
    Error::Io(e)
}

fn write_frame(w: &mut impl Write, tag: u8, body: &[u8]) -> Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| Error::Encode("record larger than 4 GiB".to_owned()))?;
    w.write_all(&[tag]).map_err(io)?;
    w.write_all(&len.to_be_bytes()).map_err(io)?;
    w.write_all(body).map_err(io)
}

/// Fills `buf` from `r`; an early end of stream is corruption (truncation), not an I/O error.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::Corrupt("export stream is truncated".to_owned())
        } else {
            Error::Io(e)
        }
    })
}

/// The sequence number at the front of an upload id.
fn upload_seq(id: &str) -> u64 {
    id.get(..16)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .unwrap_or(0)
}

impl Registry {
    /// Writes every bucket, object, upload, part and GC queue entry to `w` (see the module doc for
    /// the format) and returns the number of records written.
    pub fn export(&self, w: &mut impl Write) -> Result<u64> {
        let i = &self.inner;
        let mut w = BufWriter::new(w);
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&[STREAM_VERSION]).map_err(io)?;
        let mut count = 0u64;
        for item in &i.buckets {
            let (_, v) = item.storage()?;
            let mut bucket: StoredBucket = decode("bucket", &v)?;
            bucket.deleting = false;
            write_frame(&mut w, TAG_BUCKET, &encode(&bucket)?)?;
            count += 1;
        }
        for item in &i.objects {
            let (k, v) = item.storage()?;
            let object = ExportObject {
                bucket: read_u64("object key", &k)?,
                key: k[BUCKET_ID_LEN..].to_vec(),
                record: decode("object", &v)?,
            };
            write_frame(&mut w, TAG_OBJECT, &encode(&object)?)?;
            count += 1;
        }
        for item in &i.uploads {
            let (k, v) = item.storage()?;
            let id = String::from_utf8(k.to_vec())
                .map_err(|_| Error::Corrupt("upload id is not UTF-8".to_owned()))?;
            write_frame(
                &mut w,
                TAG_UPLOAD,
                &encode(&ExportUpload {
                    id,
                    upload: decode("upload", &v)?,
                })?,
            )?;
            count += 1;
        }
        for item in &i.parts {
            let (k, v) = item.storage()?;
            let (id, number) = k
                .split_at_checked(UPLOAD_ID_LEN)
                .ok_or_else(|| Error::Corrupt("short part key".to_owned()))?;
            let part = ExportPart {
                upload_id: String::from_utf8(id.to_vec())
                    .map_err(|_| Error::Corrupt("upload id is not UTF-8".to_owned()))?,
                part: <[u8; 4]>::try_from(number)
                    .map(u32::from_be_bytes)
                    .map_err(|_| Error::Corrupt("part key of the wrong length".to_owned()))?,
                record: decode("part", &v)?,
            };
            write_frame(&mut w, TAG_PART, &encode(&part)?)?;
            count += 1;
        }
        for item in &i.gc {
            let (k, v) = item.storage()?;
            let entry = ExportGc {
                id: read_u64("gc queue key", &k)?,
                blob: decode("gc entry", &v)?,
            };
            write_frame(&mut w, TAG_GC, &encode(&entry)?)?;
            count += 1;
        }
        write_frame(&mut w, TAG_END, &count.to_be_bytes())?;
        w.flush().map_err(io)?;
        Ok(count)
    }

    /// Loads a stream written by [`Registry::export`] into this registry, which must be empty
    /// ([`Error::ImportTargetNotEmpty`] otherwise), and returns the number of records read. Ids
    /// (buckets, uploads, GC entries) are preserved, and ids handed out later stay above them. The
    /// per-bucket counters are not in the stream: they are recomputed from the imported objects. On
    /// error the registry holds a partial import: discard it. Call [`Registry::flush`] afterwards.
    pub fn import(&self, r: &mut impl Read) -> Result<u64> {
        let i = &self.inner;
        let data_trees = [
            &i.buckets,
            &i.bucket_ids,
            &i.objects,
            &i.uploads,
            &i.upload_index,
            &i.parts,
            &i.gc,
            &i.stats,
        ];
        if data_trees.iter().any(|t| !t.is_empty()) {
            return Err(Error::ImportTargetNotEmpty);
        }
        let mut magic = [0u8; MAGIC.len() + 1];
        read_full(r, &mut magic)?;
        if &magic[..MAGIC.len()] != MAGIC {
            return Err(Error::Corrupt("not a registry export stream".to_owned()));
        }
        if magic[MAGIC.len()] != STREAM_VERSION {
            return Err(Error::Corrupt(format!(
                "unknown export stream version {}",
                magic[MAGIC.len()]
            )));
        }
        let mut count = 0u64;
        let mut max_id = 0u64;
        loop {
            let mut header = [0u8; 5];
            read_full(r, &mut header)?;
            let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
            if len > MAX_FRAME {
                return Err(Error::Corrupt(format!("export frame of {len} bytes")));
            }
            let mut body = vec![0u8; len as usize];
            read_full(r, &mut body)?;
            match header[0] {
                TAG_END => {
                    let expected = read_u64("export end marker", &body)?;
                    if expected != count {
                        return Err(Error::Corrupt(format!(
                            "export holds {count} records, its end marker says {expected}"
                        )));
                    }
                    break;
                }
                TAG_BUCKET => {
                    let mut bucket: StoredBucket = decode("exported bucket", &body)?;
                    bucket.deleting = false;
                    max_id = max_id.max(bucket.id);
                    i.buckets
                        .insert(bucket.name.as_bytes(), encode(&bucket)?)
                        .storage()?;
                    i.bucket_ids
                        .insert(bucket.id.to_be_bytes(), encode(&bucket.name)?)
                        .storage()?;
                }
                TAG_OBJECT => {
                    let o: ExportObject = decode("exported object", &body)?;
                    i.objects
                        .insert(object_key(o.bucket, &o.key), encode(&o.record)?)
                        .storage()?;
                }
                TAG_UPLOAD => {
                    let u: ExportUpload = decode("exported upload", &body)?;
                    if !valid_upload_id(&u.id) {
                        return Err(Error::Corrupt(format!("exported upload id {:?}", u.id)));
                    }
                    max_id = max_id.max(upload_seq(&u.id));
                    i.upload_index
                        .insert(index_key(u.upload.bucket, &u.upload.record.key, &u.id), &[])
                        .storage()?;
                    i.uploads.insert(u.id.as_bytes(), encode(&u.upload)?).storage()?;
                }
                TAG_PART => {
                    let p: ExportPart = decode("exported part", &body)?;
                    if !valid_upload_id(&p.upload_id) {
                        return Err(Error::Corrupt(format!(
                            "exported part of upload {:?}",
                            p.upload_id
                        )));
                    }
                    i.parts
                        .insert(part_key(&p.upload_id, p.part), encode(&p.record)?)
                        .storage()?;
                }
                TAG_GC => {
                    let g: ExportGc = decode("exported gc entry", &body)?;
                    max_id = max_id.max(g.id);
                    i.gc.insert(g.id.to_be_bytes(), encode(&g.blob)?).storage()?;
                }
                tag => return Err(Error::Corrupt(format!("unknown export frame tag {tag}"))),
            }
            count += 1;
        }
        let base = i.id_base.load(Ordering::SeqCst).max(max_id.saturating_add(1));
        i.meta.insert(META_ID_BASE, encode(&base)?).storage()?;
        i.id_base.store(base, Ordering::SeqCst);
        self.rebuild_stats()?;
        Ok(count)
    }
}
