//! Export and import: the whole registry as an engine-independent stream.
//!
//! Owns the stream format, which is how the registry moves to another engine (sled <-> PostgreSQL)
//! or gets snapshotted to the volume: the magic line `glusters3-registry-export`, a format version
//! byte, then frames of `tag (u8) ++ length (u32 BE) ++ body`, where a body is a versioned value
//! (bucket, object, noncurrent version, upload, part, GC entry), and a final frame of tag 0 whose body is the record
//! count (u64 BE), so a truncated stream is detected. Derived data (the `stats` counters) is not
//! exported; import recomputes it. It must not depend on any engine's storage format: engines
//! hand records over as [`Record`]s ([`crate::backend::Backend::export_records`] /
//! [`crate::backend::Backend::import_records`]), and import must only fill an empty registry.
//!
//! The sled export is not a point-in-time snapshot (sled has none): take it from a quiescent
//! registry. The PostgreSQL export reads one snapshot (a repeatable-read transaction).

use std::io::{BufWriter, Read, Write};

use serde::{Deserialize, Serialize};

use crate::codec::{decode, encode, read_u64};
use crate::stored::{valid_upload_id, StoredBucket, StoredUpload};
use crate::{BlobRef, Error, ObjectRecord, PartRecord, Registry, Result};

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
const TAG_VERSION: u8 = 6;

/// An object with its place.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ExportObject {
    pub(crate) bucket: u64,
    pub(crate) key: Vec<u8>,
    pub(crate) record: ObjectRecord,
}

/// An upload with its id.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ExportUpload {
    pub(crate) id: String,
    pub(crate) upload: StoredUpload,
}

/// A part with its upload and number.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ExportPart {
    pub(crate) upload_id: String,
    pub(crate) part: u32,
    pub(crate) record: PartRecord,
}

/// A GC queue entry with its id.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ExportGc {
    pub(crate) id: u64,
    pub(crate) blob: BlobRef,
}

/// One exported record, as engines produce and consume them.
pub(crate) enum Record {
    /// A bucket (its `deleting` mark is always clear in a stream).
    Bucket(StoredBucket),
    /// An object.
    Object(ExportObject),
    /// A version that is not current, or a delete marker (in `versions`).
    Version(ExportObject),
    /// An upload in progress.
    Upload(ExportUpload),
    /// A part of an upload in progress.
    Part(ExportPart),
    /// A GC queue entry.
    Gc(ExportGc),
}

/// The sequence number at the front of an upload id (ids handed out later must stay above it).
pub(crate) fn upload_seq(id: &str) -> u64 {
    id.get(..16)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .unwrap_or(0)
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

/// Writes one record as a frame.
fn write_record(w: &mut impl Write, record: Record) -> Result<()> {
    match record {
        Record::Bucket(mut bucket) => {
            bucket.deleting = false;
            write_frame(w, TAG_BUCKET, &encode(&bucket)?)
        }
        Record::Object(o) => write_frame(w, TAG_OBJECT, &encode(&o)?),
        Record::Version(o) => write_frame(w, TAG_VERSION, &encode(&o)?),
        Record::Upload(u) => write_frame(w, TAG_UPLOAD, &encode(&u)?),
        Record::Part(p) => write_frame(w, TAG_PART, &encode(&p)?),
        Record::Gc(g) => write_frame(w, TAG_GC, &encode(&g)?),
    }
}

/// Reads the magic line and version.
fn read_header(r: &mut impl Read) -> Result<()> {
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
    Ok(())
}

/// Reads the next frame: `None` at a valid end marker (`count` records were read before it).
fn read_record(r: &mut impl Read, count: u64) -> Result<Option<Record>> {
    let mut header = [0u8; 5];
    read_full(r, &mut header)?;
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    if len > MAX_FRAME {
        return Err(Error::Corrupt(format!("export frame of {len} bytes")));
    }
    let mut body = vec![0u8; len as usize];
    read_full(r, &mut body)?;
    Ok(Some(match header[0] {
        TAG_END => {
            let expected = read_u64("export end marker", &body)?;
            if expected != count {
                return Err(Error::Corrupt(format!(
                    "export holds {count} records, its end marker says {expected}"
                )));
            }
            return Ok(None);
        }
        TAG_BUCKET => {
            let mut bucket: StoredBucket = decode("exported bucket", &body)?;
            bucket.deleting = false;
            Record::Bucket(bucket)
        }
        TAG_OBJECT => Record::Object(decode("exported object", &body)?),
        TAG_VERSION => Record::Version(decode("exported version", &body)?),
        TAG_UPLOAD => {
            let u: ExportUpload = decode("exported upload", &body)?;
            if !valid_upload_id(&u.id) {
                return Err(Error::Corrupt(format!("exported upload id {:?}", u.id)));
            }
            Record::Upload(u)
        }
        TAG_PART => {
            let p: ExportPart = decode("exported part", &body)?;
            if !valid_upload_id(&p.upload_id) {
                return Err(Error::Corrupt(format!(
                    "exported part of upload {:?}",
                    p.upload_id
                )));
            }
            Record::Part(p)
        }
        TAG_GC => Record::Gc(decode("exported gc entry", &body)?),
        tag => return Err(Error::Corrupt(format!("unknown export frame tag {tag}"))),
    }))
}

impl Registry {
    /// Writes every bucket, object, upload, part and GC queue entry to `w` (see the module doc for
    /// the format) and returns the number of records written.
    pub fn export(&self, w: &mut impl Write) -> Result<u64> {
        let mut w = BufWriter::new(w);
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&[STREAM_VERSION]).map_err(io)?;
        let mut count = 0u64;
        self.backend.export_records(&mut |record| {
            write_record(&mut w, record)?;
            count += 1;
            Ok(())
        })?;
        write_frame(&mut w, TAG_END, &count.to_be_bytes())?;
        w.flush().map_err(io)?;
        Ok(count)
    }

    /// Loads a stream written by [`Registry::export`] (from either engine) into this registry,
    /// which must be empty ([`Error::ImportTargetNotEmpty`] otherwise), and returns the number of
    /// records read. Ids (buckets, uploads, GC entries) are preserved, and ids handed out later
    /// stay above them. The per-bucket counters are not in the stream: they are recomputed from
    /// the imported objects. On a corrupt stream the sled engine holds a partial import (discard
    /// it); the PostgreSQL engine imports in one transaction and holds nothing. Call
    /// [`Registry::flush`] afterwards.
    pub fn import(&self, r: &mut impl Read) -> Result<u64> {
        let mut count = 0u64;
        let mut header_read = false;
        let mut done = false;
        self.backend.import_records(&mut || {
            if !header_read {
                read_header(r)?;
                header_read = true;
            }
            if done {
                return Ok(None);
            }
            let record = read_record(r, count)?;
            match record {
                Some(_) => count += 1,
                None => done = true,
            }
            Ok(record)
        })?;
        Ok(count)
    }
}
