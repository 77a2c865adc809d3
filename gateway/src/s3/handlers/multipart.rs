//! Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
//! ListMultipartUploads. Parts are blobs; Complete validates the list and writes one object
//! record that references the part blobs in order, so no byte is copied (DESIGN §3). The
//! ETag is `md5(concat(part md5s))-N`. S3 semantics only; XML through `s3::xml`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use metadata::{BlobRef, ObjectRecord, PartRecord, UploadRecord};

use crate::blocking;
use crate::s3::body::{write_blob, RequestBody, Sealing, WrittenBlob};
use crate::s3::checksum::{Algorithm, Expectations};
use crate::s3::dates::{iso8601, now_ms};
use crate::s3::encryption::Stored;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::object::{blob_meta, record_from_headers, write_condition, MAX_PUT_SIZE};
use crate::s3::handlers::{copy, encryption, list, object_lock, versioning};
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;
use crate::store::meta::BlobMeta;
use crate::store::BlobStore;

/// Smallest part AWS accepts, except the last one.
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// Most parts in one upload.
pub const MAX_PARTS: u32 = 10_000;

/// The five checksum fields of the XML documents, from one (algorithm, value) pair.
#[derive(Default)]
pub struct ChecksumFields {
    /// CRC32
    pub crc32: Option<String>,
    /// CRC32C
    pub crc32c: Option<String>,
    /// CRC64NVME
    pub crc64nvme: Option<String>,
    /// SHA1
    pub sha1: Option<String>,
    /// SHA256
    pub sha256: Option<String>,
}

impl ChecksumFields {
    /// Fields from stored `(name, value)` pairs.
    pub fn from_pairs(pairs: &[(String, String)]) -> ChecksumFields {
        let mut f = ChecksumFields::default();
        for (name, v) in pairs {
            let slot = match Algorithm::parse(name) {
                Some(Algorithm::Crc32) => &mut f.crc32,
                Some(Algorithm::Crc32c) => &mut f.crc32c,
                Some(Algorithm::Crc64Nvme) => &mut f.crc64nvme,
                Some(Algorithm::Sha1) => &mut f.sha1,
                Some(Algorithm::Sha256) => &mut f.sha256,
                None => continue,
            };
            *slot = Some(v.clone());
        }
        f
    }
}

fn no_such_upload(id: &str) -> S3Error {
    S3Error::new(Code::NoSuchUpload).extra("UploadId", id.to_owned())
}

/// Finds an upload of this bucket and key (another bucket's or key's id is NoSuchUpload).
async fn upload_for(ctx: &Ctx, bucket_id: u64, key: &str) -> S3Result<metadata::Upload> {
    let id = ctx.req.query("uploadId").unwrap_or("").to_owned();
    let reg = ctx.state.registry.clone();
    let id2 = id.clone();
    let up = blocking::try_run(move || Ok(reg.get_upload(&id2)?)).await?;
    up.filter(|u| u.bucket == bucket_id && u.record.key == key.as_bytes())
        .ok_or_else(|| no_such_upload(&id))
}

/// CreateMultipartUpload.
pub async fn create_multipart_upload(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let rec = record_from_headers(ctx)?;
    let alg = match ctx.req.header("x-amz-checksum-algorithm") {
        Some(a) => Some(Algorithm::parse(a).ok_or_else(|| {
            S3Error::with_message(
                Code::InvalidRequest,
                format!("Checksum algorithm {a} is not supported."),
            )
        })?),
        None => None,
    };
    let ctype = match ctx.req.header("x-amz-checksum-type").map(str::to_ascii_uppercase) {
        None => None,
        Some(t) if t == "COMPOSITE" || t == "FULL_OBJECT" => Some(t),
        Some(t) => {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                format!("Unknown checksum type {t}."),
            ))
        }
    };
    let lock = object_lock::lock_for_write(ctx, &b, true)?;
    let enc = encryption::for_write(ctx, &b, key)?;
    let sse = enc.map(|w| w.stored.encode());
    let sse_headers = encryption::headers(sse.as_deref());
    let upload = UploadRecord {
        key: key.as_bytes().to_vec(),
        initiated_ms: now_ms(),
        initiator: ctx.user.owner().to_owned(),
        content_type: rec.content_type,
        content_encoding: rec.content_encoding,
        content_disposition: rec.content_disposition,
        content_language: rec.content_language,
        cache_control: rec.cache_control,
        expires: rec.expires,
        user_meta: rec.user_meta,
        tags: rec.tags,
        checksum_algorithm: alg.map(|a| a.name().to_owned()),
        checksum_type: ctype
            .clone()
            .or_else(|| alg.map(|a| default_checksum_type(a).to_owned())),
        lock_mode: lock.mode,
        lock_until_ms: lock.until_ms,
        legal_hold: lock.legal_hold,
        acl: rec.acl,
        sse,
    };
    let reg = ctx.state.registry.clone();
    let id = blocking::try_run(move || {
        let id = reg.create_upload(b.id, &upload)?;
        reg.flush()?;
        Ok(id)
    })
    .await?;
    let doc = xml::InitiateMultipartUploadResult {
        xmlns: xml::Xmlns,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        upload_id: id,
    };
    let mut resp = S3Response::xml(doc.to_xml());
    if let Some(a) = alg {
        resp = resp.header("x-amz-checksum-algorithm", a.name()).header(
            "x-amz-checksum-type",
            ctype.unwrap_or_else(|| default_checksum_type(a).to_owned()),
        );
    }
    for (name, value) in sse_headers {
        resp = resp.header(name, value);
    }
    Ok(resp)
}

/// AWS's default checksum type per algorithm: CRC64NVME is always full-object, the others
/// composite unless asked otherwise.
fn default_checksum_type(a: Algorithm) -> &'static str {
    if a == Algorithm::Crc64Nvme {
        "FULL_OBJECT"
    } else {
        "COMPOSITE"
    }
}

fn part_number(ctx: &Ctx) -> S3Result<u32> {
    ctx.req
        .query("partNumber")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or_else(|| {
            S3Error::with_message(
                Code::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .extra("ArgumentName", "partNumber")
        })
}

/// UploadPart.
pub async fn upload_part(ctx: &Ctx, bucket: &str, key: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let n = part_number(ctx)?;
    let up = upload_for(ctx, b.id, key).await?;
    match body.length {
        Some(len) if len > MAX_PUT_SIZE => return Err(S3Error::new(Code::EntityTooLarge)),
        Some(_) => {}
        // HTTP chunked: capped as it streams.
        None if body.chunked => {}
        None => return Err(S3Error::new(Code::MissingContentLength)),
    }
    let mut exp = Expectations::from_headers(&ctx.req)?;
    if exp.checksum.is_none() {
        if let Some(a) = up.record.checksum_algorithm.as_deref().and_then(Algorithm::parse) {
            exp.checksum = Some((a, None));
        }
    }
    let part_seal = part_sealing(ctx, &up.record, bucket, key)?;
    let (bname, k) = (b.name.clone(), key.to_owned());
    let store = ctx.store(&b)?;
    let (seal, sealed) = split_sealing(part_seal);
    let written = write_blob(
        &store,
        &ctx.state.budget,
        b.id,
        body,
        exp,
        move |d| part_meta(&bname, &k, n, d.len),
        seal,
    )
    .await?;
    store_part(ctx, store, &up.id, n, written, sealed.as_ref()).await
}

/// The encryption record of a completed upload: the upload's, with each chosen part's nonce.
fn completed_sse(upload: Option<&str>, chosen: &[&PartRecord]) -> S3Result<Option<String>> {
    let Some(text) = upload else {
        return Ok(None);
    };
    let mut sealed = Stored::decode(text)?;
    sealed.nonces = chosen
        .iter()
        .map(|p| {
            p.sse_nonce
                .clone()
                .ok_or_else(|| S3Error::internal("a part of an encrypted upload without its nonce"))
        })
        .collect::<S3Result<_>>()?;
    Ok(Some(sealed.encode()))
}

/// What a part of an encrypted upload is sealed with, and how its record and answer show it.
struct SealedPart {
    stored: Stored,
    data_key: crate::s3::sse::Key,
    nonce: [u8; 8],
}

/// The sealing of a new part of upload `up` (its data key unwrapped, a fresh nonce base);
/// `None` for an unencrypted upload. SSE-C uploads need the key with every part.
fn part_sealing(ctx: &Ctx, up: &UploadRecord, bucket: &str, key: &str) -> S3Result<Option<SealedPart>> {
    Ok(
        encryption::upload_key(ctx, up.sse.as_deref(), bucket, key)?.map(|(stored, data_key)| SealedPart {
            stored,
            data_key,
            nonce: crate::s3::sse::random_nonce_base(),
        }),
    )
}

fn split_sealing(part: Option<SealedPart>) -> (Option<Sealing>, Option<SealedPart>) {
    let seal = part.as_ref().map(|p| Sealing {
        key: p.data_key.clone(),
        nonce: p.nonce,
    });
    (seal, part)
}

/// The xattr of a part blob: which upload and part it is (reindex ignores unfinished uploads;
/// Complete replaces it, see `mark_parts`).
fn part_meta(bucket: &str, key: &str, part: u32, size: u64) -> Vec<u8> {
    BlobMeta::unfinished_part(bucket, key, part, size).to_bytes()
}

/// Records a written part; the blob is deleted if the upload vanished meanwhile.
async fn store_part(
    ctx: &Ctx,
    store: BlobStore,
    upload_id: &str,
    n: u32,
    written: WrittenBlob,
    sealed: Option<&SealedPart>,
) -> S3Result<S3Response> {
    let etag = match sealed {
        Some(p) => crate::s3::encryption::etag_for(p.stored.mode, &p.data_key, &written.digest.md5),
        None => hex::encode(written.digest.md5),
    };
    let rec = PartRecord {
        sse_nonce: sealed.map(|p| hex::encode(p.nonce)),
        size: written.digest.len,
        etag: etag.clone(),
        mtime_ms: now_ms(),
        checksums: written
            .digest
            .checksum
            .iter()
            .map(|(a, v)| (a.name().to_owned(), v.clone()))
            .collect(),
        blob: BlobRef {
            path: written.path.clone(),
            size: written.digest.len,
            volume: written.volume.clone(),
        },
    };
    let reg = ctx.state.registry.clone();
    let id = upload_id.to_owned();
    let path = written.path;
    blocking::try_run(move || {
        if let Err(e) = reg.put_part(&id, n, &rec).and_then(|_| reg.flush()) {
            super::object::discard_new_blob(&store, &path, &e, None);
            return Err(match e {
                metadata::Error::NoSuchUpload => no_such_upload(&id),
                e => e.into(),
            });
        }
        Ok(())
    })
    .await?;
    let mut resp = S3Response::empty(200).header("etag", format!("\"{etag}\""));
    if let Some((a, v)) = written.digest.checksum {
        resp = resp.header(a.header(), v);
    }
    for (name, value) in sealed.map(|p| p.stored.headers()).unwrap_or_default() {
        resp = resp.header(name, value);
    }
    Ok(resp)
}

/// UploadPartCopy: a part made of a range of an existing object, copied on the volume.
pub async fn upload_part_copy(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let n = part_number(ctx)?;
    let up = upload_for(ctx, b.id, key).await?;
    let src = copy::source(ctx).await?;
    let (start, end) = match ctx.req.header("x-amz-copy-source-range") {
        None => (0, src.rec.size),
        Some(r) => copy::parse_source_range(r, src.rec.size)?,
    };
    if end - start > MAX_PUT_SIZE {
        return Err(S3Error::new(Code::EntityTooLarge));
    }
    let exp = Expectations {
        checksum: up
            .record
            .checksum_algorithm
            .as_deref()
            .and_then(Algorithm::parse)
            .map(|a| (a, None)),
        ..Expectations::default()
    };
    let range = crate::s3::body::BlobRange {
        store: src.store.clone(),
        blobs: src.rec.blobs.iter().map(|x| (x.path.clone(), x.size)).collect(),
        start,
        end,
        open: src.open.clone(),
    };
    let (seal, sealed) = split_sealing(part_sealing(ctx, &up.record, bucket, key)?);
    let (bname, k) = (b.name.clone(), key.to_owned());
    let store = ctx.store(&b)?;
    let written = crate::s3::body::copy_blobs(
        range,
        &store,
        b.id,
        exp,
        move |d| part_meta(&bname, &k, n, d.len),
        seal,
    )
    .await?;
    let checksums: Vec<(String, String)> = written
        .digest
        .checksum
        .iter()
        .map(|(a, v)| (a.name().to_owned(), v.clone()))
        .collect();
    let etag = match &sealed {
        Some(p) => crate::s3::encryption::etag_for(p.stored.mode, &p.data_key, &written.digest.md5),
        None => hex::encode(written.digest.md5),
    };
    let doc = xml::CopyPartResult(copy::copy_result(now_ms(), &etag, &checksums));
    store_part(ctx, store, &up.id, n, written, sealed.as_ref()).await?;
    let resp = S3Response::xml(doc.to_xml());
    Ok(match src.version_header {
        Some(v) => resp.header("x-amz-copy-source-version-id", v),
        None => resp,
    })
}

/// The multipart ETag of a list of part ETags (hex MD5s): md5 of their bytes, then `-N`.
pub fn multipart_etag<'a>(etags: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut h = Md5::new();
    let mut n = 0;
    for e in etags {
        h.update(hex::decode(e).ok()?);
        n += 1;
    }
    Some(format!("{}-{n}", hex::encode(h.finalize())))
}

/// The part list of a `CompleteMultipartUpload` body, and its (number, unquoted ETag) pairs:
/// at least one part, numbers strictly ascending.
fn requested_parts(doc: &[u8]) -> S3Result<(xml::CompleteMultipartUpload, Vec<(u32, String)>)> {
    let req = xml::CompleteMultipartUpload::from_xml(doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    if req.parts.is_empty() {
        return Err(S3Error::with_message(
            Code::MalformedXML,
            "The XML must name at least one part.",
        ));
    }
    let wanted: Vec<(u32, String)> = req
        .parts
        .iter()
        .map(|p| (p.part_number, p.etag.trim().trim_matches('"').to_owned()))
        .collect();
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(S3Error::new(Code::InvalidPartOrder));
    }
    Ok((req, wanted))
}

/// CompleteMultipartUpload.
pub async fn complete_multipart_upload(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: RequestBody,
) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let id = ctx.req.query("uploadId").unwrap_or("").to_owned();
    let (req, wanted) = requested_parts(&body.collect(4 << 20).await?)?;
    let cond = write_condition(&ctx.req)?;
    let Some(etag) = multipart_etag(wanted.iter().map(|(_, e)| e.as_str())) else {
        return Err(S3Error::new(Code::InvalidPart));
    };
    let up = match upload_for(ctx, b.id, key).await {
        Ok(u) => u,
        Err(e) if e.code == Code::NoSuchUpload => {
            return already_completed(ctx, b.id, bucket, key, &etag, e).await
        }
        Err(e) => return Err(e),
    };
    let expected_etag = etag.clone();
    let result: S3Result<S3Response> = async {
        let reg = ctx.state.registry.clone();
        let upid = up.id.clone();
        let (stored, _) =
            blocking::try_run(move || Ok(reg.list_parts(&upid, 0, MAX_PARTS as usize)?)).await?;
        let by_number: std::collections::HashMap<u32, &PartRecord> =
            stored.iter().map(|(n, p)| (*n, p)).collect();
        let mut rec = record_from_upload(&up.record, etag);
        let mut chosen = Vec::with_capacity(wanted.len());
        for (i, (n, e)) in wanted.iter().enumerate() {
            let part = by_number.get(n).filter(|p| p.etag == *e).ok_or_else(|| {
                S3Error::new(Code::InvalidPart)
                    .extra("PartNumber", n.to_string())
                    .extra("ETag", e.clone())
            })?;
            if i + 1 < wanted.len() && part.size < MIN_PART_SIZE {
                return Err(S3Error::new(Code::EntityTooSmall)
                    .extra("ProposedSize", part.size.to_string())
                    .extra("MinSizeAllowed", MIN_PART_SIZE.to_string())
                    .extra("PartNumber", n.to_string()));
            }
            check_claimed_checksums(&req.parts[i], part)?;
            chosen.push(*part);
        }
        rec.size = chosen.iter().map(|p| p.size).sum();
        rec.parts = chosen.iter().map(|p| p.size).collect();
        rec.blobs = chosen.iter().map(|p| p.blob.clone()).collect();
        rec.sse = completed_sse(up.record.sse.as_deref(), &chosen)?;
        versioning::preassign(&b, &mut rec);
        if chosen.iter().any(|p| !p.checksums.is_empty()) {
            rec.part_checksums = chosen.iter().map(|p| p.checksums.clone()).collect();
        }
        if let Some(alg) = up.record.checksum_algorithm.as_deref().and_then(Algorithm::parse) {
            let full = up.record.checksum_type.as_deref() == Some("FULL_OBJECT");
            if let Some((value, kind)) = combined_checksum(alg, full, &chosen) {
                rec.checksums = vec![(alg.name().to_owned(), value)];
                rec.checksum_type = Some(kind.to_owned());
            }
        }
        let reg = ctx.state.registry.clone();
        let rec2 = rec.clone();
        let version = blocking::try_run(move || {
            let committed = reg.complete_upload(&id, &rec2, &cond).map_err(|e| match e {
                metadata::Error::NoSuchUpload => no_such_upload(&id),
                e => e.into(),
            })?;
            reg.flush()?;
            Ok(committed.version_id)
        })
        .await?;
        let numbers: Vec<u32> = wanted.iter().map(|(n, _)| *n).collect();
        mark_parts(ctx, &b.name, key, &numbers, &rec).await;
        ctx.state.events.object(
            ctx,
            "ObjectCreated:CompleteMultipartUpload",
            &b.name,
            key,
            Some((rec.size, &rec.etag)),
        );
        let mut resp = versioning::with_version(complete_response(bucket, key, &rec), version);
        for (name, value) in encryption::headers(rec.sse.as_deref()) {
            resp = resp.header(name, value);
        }
        Ok(resp)
    }
    .await;
    match result {
        // The upload vanished under us (a concurrent Complete of it won the race): the same
        // answer as a retry, when the object is the one this part list makes.
        Err(e)
            if matches!(e.code, Code::NoSuchUpload | Code::InvalidPart)
                && upload_for(ctx, b.id, key).await.is_err() =>
        {
            already_completed(ctx, b.id, bucket, key, &expected_etag, e).await
        }
        other => other,
    }
}

/// Rewrites the xattrs of a completed object's part blobs with the object's metadata and each
/// part's place in it, so `gateway reindex` can rebuild the object from the volume. Runs after
/// the commit (so only the Complete that won marks the parts) and before the answer (so an
/// acknowledged object is rebuildable). A failure is logged, not returned: the object is
/// committed, and a retried Complete would answer success anyway.
async fn mark_parts(ctx: &Ctx, bucket: &str, key: &str, numbers: &[u32], rec: &ObjectRecord) {
    let count = u32::try_from(rec.blobs.len()).unwrap_or(u32::MAX);
    let object = blob_meta(bucket, key, rec);
    let marks: Vec<(String, Vec<u8>)> = rec
        .blobs
        .iter()
        .zip(numbers)
        .zip(0u32..)
        .map(|((blob, part), index)| {
            let meta = object
                .clone()
                .completed_part(*part, index, count, blob.size)
                .to_bytes();
            (blob.path.clone(), meta)
        })
        .collect();
    // A bucket's blobs are all on its volume.
    let volume = rec.blobs.first().map_or("", |b| b.volume.as_str());
    let Some(store) = ctx.state.stores.get(volume).cloned() else {
        tracing::warn!(%bucket, %key, %volume, "marking completed parts: volume not served");
        return;
    };
    let res = blocking::run(move || {
        for (path, meta) in &marks {
            store.write_meta(path, meta).map_err(|e| format!("{path}: {e}"))?;
        }
        Ok::<(), String>(())
    })
    .await;
    match res {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, %bucket, %key, "marking completed parts for reindex"),
        Err(e) => tracing::warn!(error = %e, %bucket, %key, "marking completed parts for reindex"),
    }
}

/// The final object's record from what CreateMultipartUpload kept (sizes and blobs are
/// filled in by Complete).
fn record_from_upload(up: &UploadRecord, etag: String) -> ObjectRecord {
    ObjectRecord {
        etag,
        mtime_ms: now_ms(),
        content_type: up.content_type.clone(),
        content_encoding: up.content_encoding.clone(),
        content_disposition: up.content_disposition.clone(),
        content_language: up.content_language.clone(),
        cache_control: up.cache_control.clone(),
        expires: up.expires.clone(),
        user_meta: up.user_meta.clone(),
        tags: up.tags.clone(),
        lock_mode: up.lock_mode.clone(),
        lock_until_ms: up.lock_until_ms,
        legal_hold: up.legal_hold,
        acl: up.acl.clone(),
        ..ObjectRecord::default()
    }
}

/// A Complete whose upload is gone: if the current object is the one this part list makes
/// (the multipart ETag is determined by the list), this is a retry or a lost race of a
/// successful Complete, and gets the same answer; otherwise the original `NoSuchUpload`.
async fn already_completed(
    ctx: &Ctx,
    bucket_id: u64,
    bucket: &str,
    key: &str,
    etag: &str,
    err: S3Error,
) -> S3Result<S3Response> {
    let reg = ctx.state.registry.clone();
    let k = key.as_bytes().to_vec();
    let cur = blocking::try_run(move || Ok(reg.get_object(bucket_id, &k)?)).await?;
    match cur.filter(|c| c.etag == etag) {
        Some(c) => Ok(complete_response(bucket, key, &c)),
        None => Err(err),
    }
}

fn complete_response(bucket: &str, key: &str, rec: &ObjectRecord) -> S3Response {
    let sums = ChecksumFields::from_pairs(&rec.checksums);
    let doc = xml::CompleteMultipartUploadResult {
        xmlns: xml::Xmlns,
        location: format!("/{bucket}/{key}"),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        etag: format!("\"{}\"", rec.etag),
        checksum_crc32: sums.crc32,
        checksum_crc32c: sums.crc32c,
        checksum_crc64nvme: sums.crc64nvme,
        checksum_sha1: sums.sha1,
        checksum_sha256: sums.sha256,
        checksum_type: rec.checksum_type.clone().filter(|_| !rec.checksums.is_empty()),
    };
    S3Response::xml(doc.to_xml())
}

/// A checksum named in the Complete request must equal the stored part's.
fn check_claimed_checksums(claimed: &xml::CompletedPart, part: &PartRecord) -> S3Result<()> {
    let claims = [
        (Algorithm::Crc32, &claimed.checksum_crc32),
        (Algorithm::Crc32c, &claimed.checksum_crc32c),
        (Algorithm::Crc64Nvme, &claimed.checksum_crc64nvme),
        (Algorithm::Sha1, &claimed.checksum_sha1),
        (Algorithm::Sha256, &claimed.checksum_sha256),
    ];
    for (alg, value) in claims {
        let Some(v) = value else { continue };
        let stored = part
            .checksums
            .iter()
            .find(|(a, _)| Algorithm::parse(a) == Some(alg))
            .map(|(_, s)| s);
        if stored.is_some_and(|s| s != v.trim()) {
            return Err(S3Error::with_message(
                Code::InvalidPart,
                format!(
                    "The {} of part {} does not match what was uploaded.",
                    alg.name(),
                    claimed.part_number
                ),
            ));
        }
    }
    Ok(())
}

/// The whole object's checksum from its parts': COMPOSITE = the algorithm over the
/// concatenated raw part digests, with `-N`; FULL_OBJECT (CRC32, CRC32C) = the parts' CRCs
/// combined as if computed over the whole object. `None` if a part lacks the checksum, or for
/// FULL_OBJECT CRC64NVME, which is not combined yet.
fn combined_checksum(alg: Algorithm, full: bool, parts: &[&PartRecord]) -> Option<(String, &'static str)> {
    let raw: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| {
            p.checksums
                .iter()
                .find(|(a, _)| Algorithm::parse(a) == Some(alg))
                .and_then(|(_, v)| B64.decode(v).ok())
        })
        .collect::<Option<_>>()?;
    if full || alg == Algorithm::Crc64Nvme {
        let crcs = raw
            .iter()
            .map(|r| r.as_slice().try_into().ok().map(u32::from_be_bytes));
        let value = match alg {
            Algorithm::Crc32 => {
                let mut acc: Option<crc32fast::Hasher> = None;
                for (crc, p) in crcs.zip(parts) {
                    let h = crc32fast::Hasher::new_with_initial_len(crc?, p.size);
                    match &mut acc {
                        None => acc = Some(h),
                        Some(a) => a.combine(&h),
                    }
                }
                acc?.finalize()
            }
            Algorithm::Crc32c => {
                let mut acc: Option<u32> = None;
                for (crc, p) in crcs.zip(parts) {
                    let crc = crc?;
                    acc = Some(match acc {
                        None => crc,
                        Some(a) => crc32c::crc32c_combine(a, crc, usize::try_from(p.size).ok()?),
                    });
                }
                acc?
            }
            _ => return None,
        };
        return Some((B64.encode(value.to_be_bytes()), "FULL_OBJECT"));
    }
    let mut h = crate::s3::checksum::digest_of(alg);
    for r in &raw {
        h.update(r);
    }
    Some((format!("{}-{}", h.finish(), raw.len()), "COMPOSITE"))
}

/// AbortMultipartUpload: the upload and its part blobs go (the blobs through the sweep).
pub async fn abort_multipart_upload(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let up = upload_for(ctx, b.id, key).await?;
    let reg = ctx.state.registry.clone();
    blocking::try_run(move || {
        reg.abort_upload(&up.id).map_err(|e| match e {
            metadata::Error::NoSuchUpload => no_such_upload(&up.id),
            e => e.into(),
        })?;
        reg.flush()?;
        Ok(())
    })
    .await?;
    Ok(S3Response::empty(204))
}

/// ListParts.
pub async fn list_parts(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let up = upload_for(ctx, b.id, key).await?;
    let marker: u32 = match ctx.req.query("part-number-marker") {
        Some(m) => m.parse().map_err(|_| {
            S3Error::with_message(Code::InvalidArgument, "part-number-marker must be an integer")
                .extra("ArgumentName", "part-number-marker")
        })?,
        None => 0,
    };
    let max: usize = match ctx.req.query("max-parts") {
        Some(m) => m.parse::<usize>().map_err(|_| {
            S3Error::with_message(Code::InvalidArgument, "max-parts must be an integer")
                .extra("ArgumentName", "max-parts")
        })?,
        None => 1000,
    }
    .min(1000);
    let reg = ctx.state.registry.clone();
    let id = up.id.clone();
    let (parts, truncated) = blocking::try_run(move || Ok(reg.list_parts(&id, marker, max)?)).await?;
    let owner = xml::Owner {
        id: up.record.initiator.clone(),
        display_name: Some(up.record.initiator.clone()),
    };
    let doc = xml::ListPartsResult {
        xmlns: xml::Xmlns,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        upload_id: up.id.clone(),
        initiator: owner.clone(),
        owner,
        storage_class: "STANDARD".into(),
        part_number_marker: marker,
        next_part_number_marker: if truncated {
            parts.last().map(|(n, _)| *n)
        } else {
            None
        },
        max_parts: u32::try_from(max).unwrap_or(1000),
        is_truncated: truncated,
        parts: parts
            .iter()
            .map(|(n, p)| {
                let s = ChecksumFields::from_pairs(&p.checksums);
                xml::Part {
                    part_number: *n,
                    last_modified: iso8601(p.mtime_ms),
                    etag: format!("\"{}\"", p.etag),
                    size: p.size,
                    checksum_crc32: s.crc32,
                    checksum_crc32c: s.crc32c,
                    checksum_crc64nvme: s.crc64nvme,
                    checksum_sha1: s.sha1,
                    checksum_sha256: s.sha256,
                }
            })
            .collect(),
        checksum_algorithm: up.record.checksum_algorithm.clone(),
        checksum_type: up.record.checksum_type.clone(),
    };
    Ok(S3Response::xml(doc.to_xml()))
}

/// ListMultipartUploads (prefix, key and upload-id markers; a delimiter rolls keys up into
/// common prefixes within the page).
pub async fn list_multipart_uploads(ctx: &Ctx, bucket: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    // `encoding-type=url` encodes Delimiter, KeyMarker, Prefix, NextKeyMarker and Key (AWS).
    let url = list::url_encoding(ctx)?;
    let enc = |s: &str| {
        if url {
            list::url_encode_key(s)
        } else {
            s.to_owned()
        }
    };
    let prefix = ctx.req.query("prefix").unwrap_or("").to_owned();
    let delimiter = ctx
        .req
        .query("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let key_marker = ctx
        .req
        .query("key-marker")
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    let id_marker = ctx
        .req
        .query("upload-id-marker")
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    let max: usize = match ctx.req.query("max-uploads") {
        Some(m) => m.parse::<usize>().map_err(|_| {
            S3Error::with_message(Code::InvalidArgument, "max-uploads must be an integer")
                .extra("ArgumentName", "max-uploads")
        })?,
        None => 1000,
    }
    .min(1000);
    let reg = ctx.state.registry.clone();
    let (p, km, im) = (prefix.clone(), key_marker.clone(), id_marker.clone());
    let (uploads, truncated) = blocking::try_run(move || {
        Ok(reg.list_uploads(
            b.id,
            p.as_bytes(),
            km.as_deref().map(str::as_bytes),
            im.as_deref(),
            max,
        )?)
    })
    .await?;
    let mut out = Vec::new();
    let mut prefixes: Vec<xml::CommonPrefix> = Vec::new();
    for u in &uploads {
        let key = String::from_utf8_lossy(&u.record.key).into_owned();
        if let Some(d) = &delimiter {
            if let Some(i) = key[prefix.len().min(key.len())..].find(d.as_str()) {
                let cp = key[..prefix.len() + i + d.len()].to_owned();
                let cp = enc(&cp);
                if prefixes.last().is_none_or(|l| l.prefix != cp) {
                    prefixes.push(xml::CommonPrefix { prefix: cp });
                }
                continue;
            }
        }
        let owner = xml::Owner {
            id: u.record.initiator.clone(),
            display_name: Some(u.record.initiator.clone()),
        };
        out.push(xml::Upload {
            key: enc(&key),
            upload_id: u.id.clone(),
            initiator: owner.clone(),
            owner,
            storage_class: "STANDARD".into(),
            initiated: iso8601(u.record.initiated_ms),
            checksum_algorithm: u.record.checksum_algorithm.clone(),
            checksum_type: u.record.checksum_type.clone(),
        });
    }
    let last = uploads.last();
    let doc = xml::ListMultipartUploadsResult {
        xmlns: xml::Xmlns,
        bucket: bucket.to_owned(),
        key_marker: enc(&key_marker.unwrap_or_default()),
        upload_id_marker: id_marker.unwrap_or_default(),
        next_key_marker: last
            .filter(|_| truncated)
            .map(|u| enc(&String::from_utf8_lossy(&u.record.key))),
        next_upload_id_marker: last.filter(|_| truncated).map(|u| u.id.clone()),
        prefix: Some(enc(&prefix)),
        delimiter: delimiter.as_deref().map(enc),
        max_uploads: u32::try_from(max).unwrap_or(1000),
        encoding_type: url.then(|| "url".to_owned()),
        is_truncated: truncated,
        uploads: out,
        common_prefixes: prefixes,
    };
    Ok(S3Response::xml(doc.to_xml()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etag_matches_aws_rule() {
        // md5("a") and md5("b") as part ETags -> md5(raw(a) ++ raw(b)) + "-2".
        let a = hex::encode(Md5::digest(b"a"));
        let b = hex::encode(Md5::digest(b"b"));
        let mut both = Md5::digest(b"a").to_vec();
        both.extend_from_slice(&Md5::digest(b"b"));
        let want = format!("{}-2", hex::encode(Md5::digest(&both)));
        assert_eq!(
            multipart_etag([a.as_str(), b.as_str()].into_iter()).unwrap(),
            want
        );
        assert_eq!(multipart_etag(["zz"].into_iter()), None);
    }

    fn part(data: &[u8], alg: Algorithm) -> PartRecord {
        let mut h = crate::s3::checksum::digest_of(alg);
        h.update(data);
        PartRecord {
            size: data.len() as u64,
            checksums: vec![(alg.name().into(), h.finish())],
            ..Default::default()
        }
    }

    #[test]
    fn full_object_crc_combines_like_one_pass() {
        let (x, y) = (b"hello ".as_slice(), b"world, in two parts".as_slice());
        for alg in [Algorithm::Crc32, Algorithm::Crc32c] {
            let whole = part(&[x, y].concat(), alg).checksums[0].1.clone();
            let (p1, p2) = (part(x, alg), part(y, alg));
            let (v, kind) = combined_checksum(alg, true, &[&p1, &p2]).unwrap();
            assert_eq!((v, kind), (whole, "FULL_OBJECT"), "{alg:?}");
        }
        let (p1, p2) = (part(x, Algorithm::Sha256), part(y, Algorithm::Sha256));
        let (v, kind) = combined_checksum(Algorithm::Sha256, false, &[&p1, &p2]).unwrap();
        assert!(v.ends_with("-2") && kind == "COMPOSITE", "{v}");
    }
}
