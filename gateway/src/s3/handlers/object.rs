//! Object operations: PutObject, GetObject, HeadObject, DeleteObject.
//!
//! S3 semantics only: conditional requests, ranges, stored headers, MIME type, checksums.
//! Bytes move through `s3::body` (streams, blocking writer/reader), records through the
//! registry (via `blocking`). A PUT is acknowledged only after the blob is fsynced and the
//! registry record is flushed. Must not format XML or touch actix types.

use std::borrow::Cow;

use metadata::{BlobRef, BucketRecord, ObjectRecord, PutCondition};

use crate::blocking;
use crate::s3::body::{read_blobs, write_blob, RequestBody, WrittenBlob};
use crate::s3::checksum::BodyDigest;
use crate::s3::checksum::{Algorithm, Expectations};
use crate::s3::dates::{http_date, now_ms, parse_http_date};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::{encryption, object_lock, tagging, versioning};
use crate::s3::request::RequestInfo;
use crate::s3::response::{Body, S3Response};
use crate::s3::Ctx;
use crate::store::meta::BlobMeta;
use crate::store::BlobStore;

/// Largest object a single PUT may carry (AWS: 5 GiB).
pub const MAX_PUT_SIZE: u64 = 5 << 30;

/// Largest total size of `x-amz-meta-*` names and values (AWS: 2 KiB).
pub const MAX_USER_META: usize = 2048;

/// The standard headers stored with an object and returned on GET/HEAD: (header, record field).
const STORED_HEADERS: [&str; 5] = [
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
];

/// Reads Content-Type, the stored standard headers, `x-amz-meta-*` and `x-amz-tagging` from a
/// request into a record (size, ETag, blobs are filled in later).
pub fn record_from_headers(ctx: &Ctx) -> S3Result<ObjectRecord> {
    let req = &ctx.req;
    let mut rec = ObjectRecord {
        content_type: req.header("content-type").map(str::to_owned),
        tags: tagging::from_request(ctx)?,
        acl: super::acl::new_object_acl(ctx)?,
        ..Default::default()
    };
    for h in STORED_HEADERS {
        let v = req.header(h).map(str::to_owned);
        match h {
            "content-encoding" => rec.content_encoding = v.as_deref().and_then(strip_aws_chunked),
            "content-disposition" => rec.content_disposition = v,
            "content-language" => rec.content_language = v,
            "cache-control" => rec.cache_control = v,
            _ => rec.expires = v,
        }
    }
    let mut total = 0;
    for (k, v) in &req.headers {
        if let Some(name) = k.strip_prefix("x-amz-meta-") {
            total += name.len() + v.len();
            rec.user_meta.push((name.to_owned(), v.clone()));
        }
    }
    if total > MAX_USER_META {
        return Err(S3Error::with_message(
            Code::MetadataTooLarge,
            format!("Your metadata headers are {total} bytes; the limit is {MAX_USER_META}."),
        ));
    }
    Ok(rec)
}

/// `aws-chunked` is transport framing, not a property of the object: AWS drops it from the
/// stored Content-Encoding and keeps the other codings listed with it exactly as the client
/// wrote them, separators included (`deflate, gzip` stays `deflate, gzip`).
fn strip_aws_chunked(v: &str) -> Option<String> {
    let rest: Vec<&str> = v
        .split(',')
        .filter(|c| !c.trim().is_empty() && !c.trim().eq_ignore_ascii_case("aws-chunked"))
        .collect();
    let rest = rest.join(",");
    let rest = rest.trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

/// Reads `If-Match` / `If-None-Match` of a write into an atomic registry condition.
pub fn write_condition(req: &RequestInfo) -> S3Result<PutCondition> {
    match (req.header("if-match"), req.header("if-none-match")) {
        (Some(_), Some(_)) => Err(S3Error::with_message(
            Code::NotImplemented,
            "If-Match and If-None-Match together on a write are not implemented",
        )),
        (Some(m), None) => Ok(PutCondition::IfMatch(unquote(m).to_owned())),
        (None, Some(n)) if n.trim() == "*" => Ok(PutCondition::IfNoneMatchAny),
        (None, Some(_)) => Err(S3Error::with_message(
            Code::NotImplemented,
            "If-None-Match on a write only supports '*'",
        )),
        (None, None) => Ok(PutCondition::None),
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix("W/").unwrap_or(s).trim_matches('"')
}

/// The declared payload length of a PUT: Content-Length, or `x-amz-decoded-content-length`
/// for aws-chunked bodies (already resolved into `body.length`); `None` for an HTTP chunked
/// body, whose length nobody announced (it is capped as it streams).
fn declared_length(body: &RequestBody) -> S3Result<Option<u64>> {
    let len = match body.length {
        Some(len) => len,
        None if body.chunked => return Ok(None),
        None => return Err(S3Error::new(Code::MissingContentLength)),
    };
    if len > MAX_PUT_SIZE {
        return Err(S3Error::new(Code::EntityTooLarge)
            .extra("ProposedSize", len.to_string())
            .extra("MaxSizeAllowed", MAX_PUT_SIZE.to_string()));
    }
    Ok(Some(len))
}

/// PutObject.
pub async fn put_object(ctx: &Ctx, bucket: &str, key: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    declared_length(&body)?;
    let mut rec = record_from_headers(ctx)?;
    let cond = write_condition(&ctx.req)?;
    let exp = Expectations::from_headers(&ctx.req)?;
    let integrity = exp.md5.is_some() || exp.checksum.is_some();
    object_lock::lock_for_write(ctx, &b, integrity)?.apply(&mut rec);
    versioning::preassign(&b, &mut rec);

    let enc = encryption::for_write(ctx, &b, key)?;
    let seal = encryption::sealing(enc.as_ref());
    let nonce = seal.as_ref().map(|s| s.nonce);

    let mtime = now_ms();
    let written = write_blob(
        &ctx.store(&b)?,
        &ctx.state.budget,
        b.id,
        body,
        exp,
        meta_builder(&b.name, key, &rec, mtime),
        seal,
    )
    .await?;
    fill_from_blob(&mut rec, &written, mtime);
    encryption::seal_record(&mut rec, enc.as_ref(), nonce, &written.digest.md5);
    let sse_headers = encryption::headers(rec.sse.as_deref());
    let etag = rec.etag.clone();
    let checksum = written.digest.checksum.clone();
    let expiration = crate::s3::lifecycle::expiration_header(&b, key, &rec, day_ms(ctx));
    let version = commit_or_discard(ctx, &b, key, rec, cond, written.path).await?;
    ctx.state.events.object(
        ctx,
        "ObjectCreated:Put",
        &b.name,
        key,
        Some((written.digest.len, &etag)),
    );

    let mut resp = versioning::with_version(
        S3Response::empty(200).header("etag", format!("\"{etag}\"")),
        version,
    );
    if let Some(exp) = expiration {
        resp = resp.header("x-amz-expiration", exp);
    }
    if let Some((alg, value)) = checksum {
        resp = resp
            .header(alg.header(), value)
            .header("x-amz-checksum-type", "FULL_OBJECT");
    }
    for (name, value) in sse_headers {
        resp = resp.header(name, value);
    }
    Ok(resp)
}

/// The length of a lifecycle day in milliseconds (configured; shortened in tests).
fn day_ms(ctx: &Ctx) -> u64 {
    u64::try_from(ctx.state.config.lifecycle_day.as_millis()).unwrap_or(86_400_000)
}

/// The blob xattr of an object from its record (size, ETag and mtime as filled in; blobs and
/// checksums are not on the volume).
pub fn blob_meta(bucket: &str, key: &str, rec: &ObjectRecord) -> BlobMeta {
    let mut m = BlobMeta::object(bucket, key, rec.size, &rec.etag, rec.mtime_ms);
    m.content_type.clone_from(&rec.content_type);
    m.meta.clone_from(&rec.user_meta);
    m.tags.clone_from(&rec.tags);
    if rec.seq != 0 {
        m.version_id = Some(rec.version_label().to_owned());
        m.seq = Some(rec.seq);
    }
    m
}

/// The `meta` closure for `write_blob`/`copy_blobs`: builds the blob's xattr from the digest,
/// with the object's bucket, key, mtime, Content-Type, user metadata and tags.
pub fn meta_builder(
    bucket: &str,
    key: &str,
    rec: &ObjectRecord,
    mtime_ms: u64,
) -> impl FnOnce(&BodyDigest) -> Vec<u8> + Send + 'static {
    let mut m = blob_meta(bucket, key, rec);
    m.mtime_ms = Some(mtime_ms);
    move |d| {
        m.size = Some(d.len);
        m.etag = Some(hex::encode(d.md5));
        m.to_bytes()
    }
}

/// Fills in what a simple (one-blob) object's record takes from its written blob: size,
/// ETag, mtime, the blob, and the checksum if one was computed.
pub fn fill_from_blob(rec: &mut ObjectRecord, written: &WrittenBlob, mtime_ms: u64) {
    rec.size = written.digest.len;
    rec.etag = hex::encode(written.digest.md5);
    rec.mtime_ms = mtime_ms;
    rec.blobs = vec![BlobRef {
        path: written.path.clone(),
        size: written.digest.len,
        volume: written.volume.clone(),
    }];
    if let Some((alg, value)) = &written.digest.checksum {
        rec.checksums = vec![(alg.name().to_owned(), value.clone())];
        rec.checksum_type = Some("FULL_OBJECT".into());
    }
}

/// After a failed registry commit that referenced the new blob at `path`: deletes the blob, so
/// nothing unreferenced stays behind, unless the registry's connection was lost during the
/// commit (`Unavailable`, PostgreSQL): then the commit may have happened (a COMMIT cut off by a
/// failover can be durable on the promoted standby) and deleting the blob could leave a record
/// without its bytes. The blob is kept; for an object (`object`: bucket id and key) the sweeper
/// asks the registry again once it answers and deletes the blob if no record references it
/// (`store::UncertainBlobs`); a part's blob stays, with its intent, for the sweeper's intent pass
/// (`sweeper::reclaim_intents`) after the gateway's next restart.
pub fn discard_new_blob(store: &BlobStore, path: &str, err: &metadata::Error, object: Option<(u64, &[u8])>) {
    if matches!(err, metadata::Error::Unavailable(_)) {
        tracing::warn!(%path, error = %err, "registry commit outcome unknown: new blob kept");
        if let Some((bucket, key)) = object {
            store.uncertain().push(crate::store::UncertainBlob {
                bucket,
                key: key.to_vec(),
                path: path.to_owned(),
            });
        }
        return;
    }
    if store.delete(path).is_ok() {
        store.end_intent(path);
    }
}

/// Commits an object record (atomically with its condition) and makes it durable; if the
/// commit fails, the new blob goes ([`discard_new_blob`]). Returns the new version's id (S3
/// form) in a bucket that has been versioned.
pub async fn commit_or_discard(
    ctx: &Ctx,
    b: &BucketRecord,
    key: &str,
    rec: ObjectRecord,
    cond: PutCondition,
    blob_path: String,
) -> S3Result<Option<String>> {
    let reg = ctx.state.registry.clone();
    let store = ctx.store(b)?;
    let bucket_id = b.id;
    let key = key.as_bytes().to_vec();
    blocking::try_run(move || {
        let res = reg
            .put_object(bucket_id, &key, &rec, &cond)
            .and_then(|c| reg.flush().map(|()| c.version_id));
        res.map_err(|e| {
            discard_new_blob(&store, &blob_path, &e, Some((bucket_id, &key)));
            S3Error::from(e)
        })
    })
    .await
}

/// A resolved byte range: `[start, end)` of an object of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// Parses a `Range` header against an object size. `Ok(None)`: serve the whole object
/// (no header, or a header AWS ignores: not `bytes=`, several ranges, garbage). `Err`:
/// `InvalidRange` (416) for a range that cannot be satisfied.
pub fn parse_range(header: Option<&str>, size: u64) -> S3Result<Option<ByteRange>> {
    let Some(h) = header else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let unsatisfiable = || {
        S3Error::new(Code::InvalidRange)
            .extra("RangeRequested", h.to_owned())
            .extra("ActualObjectSize", size.to_string())
    };
    let range = if a.is_empty() {
        // Suffix: the last n bytes.
        let Ok(n) = b.parse::<u64>() else { return Ok(None) };
        if n == 0 || size == 0 {
            return Err(unsatisfiable());
        }
        ByteRange {
            start: size.saturating_sub(n),
            end: size,
        }
    } else {
        let Ok(start) = a.parse::<u64>() else {
            return Ok(None);
        };
        let end = if b.is_empty() {
            size
        } else {
            let Ok(last) = b.parse::<u64>() else {
                return Ok(None);
            };
            if last < start {
                return Ok(None);
            }
            last.saturating_add(1).min(size)
        };
        if start >= size {
            return Err(unsatisfiable());
        }
        ByteRange { start, end }
    };
    Ok(Some(range))
}

/// Evaluates GET/HEAD preconditions (RFC 7232 as S3 applies them) of `req` against the
/// object `rec`. `Err` carries 304 or 412. Pure: no I/O (the fuzz targets call it).
pub fn check_read_conditions(req: &RequestInfo, rec: &ObjectRecord) -> S3Result<()> {
    let etag_matches = |list: &str| list.split(',').any(|t| t.trim() == "*" || unquote(t) == rec.etag);
    let mtime_s = rec.mtime_ms / 1000 * 1000; // HTTP dates have second precision
    let if_match = req.header("if-match");
    if let Some(m) = if_match {
        if !etag_matches(m) {
            return Err(S3Error::new(Code::PreconditionFailed).extra("Condition", "If-Match"));
        }
    } else if let Some(t) = req.header("if-unmodified-since").and_then(parse_http_date) {
        if mtime_s > t {
            return Err(S3Error::new(Code::PreconditionFailed).extra("Condition", "If-Unmodified-Since"));
        }
    }
    let not_modified = if let Some(n) = req.header("if-none-match") {
        etag_matches(n)
    } else {
        req.header("if-modified-since")
            .and_then(parse_http_date)
            .is_some_and(|t| mtime_s <= t)
    };
    if not_modified {
        // What a cache revalidates with (RFC 9110 §15.4.5); the body stays empty.
        let mut e = S3Error::new(Code::NotModified);
        e.headers.push(("etag", format!("\"{}\"", rec.etag)));
        e.headers.push(("last-modified", http_date(rec.mtime_ms)));
        return Err(e);
    }
    Ok(())
}

/// The Content-Type to serve: as stored, else guessed from the key, else S3's default.
///
/// A stored `application/octet-stream` or `binary/octet-stream` counts as "not specified":
/// SDKs send it by default for any body (the Rust SDK does), and a browser should still get
/// `text/html` for `index.html`. The record keeps what the client sent; only serving guesses.
pub fn content_type(key: &str, rec: &ObjectRecord) -> String {
    let stored = rec
        .content_type
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let generic = |c: &str| {
        c.eq_ignore_ascii_case("application/octet-stream") || c.eq_ignore_ascii_case("binary/octet-stream")
    };
    match stored {
        Some(ct) if !generic(ct) => ct.to_owned(),
        _ => mime_guess::from_path(key).first_raw().map_or_else(
            || stored.unwrap_or("binary/octet-stream").to_owned(),
            str::to_owned,
        ),
    }
}

/// Headers common to GET and HEAD of an object.
fn object_headers(ctx: &Ctx, key: &str, rec: &ObjectRecord, whole: bool) -> Vec<(Cow<'static, str>, String)> {
    let q = |name: &str| ctx.req.query(name).map(str::to_owned);
    let mut h: Vec<(Cow<'static, str>, String)> = vec![
        ("etag".into(), format!("\"{}\"", rec.etag)),
        ("last-modified".into(), http_date(rec.mtime_ms)),
        ("accept-ranges".into(), "bytes".to_owned()),
        (
            "content-type".into(),
            q("response-content-type").unwrap_or_else(|| content_type(key, rec)),
        ),
    ];
    let stored = [
        (
            "content-encoding",
            "response-content-encoding",
            &rec.content_encoding,
        ),
        (
            "content-disposition",
            "response-content-disposition",
            &rec.content_disposition,
        ),
        (
            "content-language",
            "response-content-language",
            &rec.content_language,
        ),
        ("cache-control", "response-cache-control", &rec.cache_control),
        ("expires", "response-expires", &rec.expires),
    ];
    for (name, over, value) in stored {
        if let Some(v) = q(over).or_else(|| value.clone()) {
            h.push((name.into(), v));
        }
    }
    for (k, v) in &rec.user_meta {
        h.push((format!("x-amz-meta-{k}").into(), v.clone()));
    }
    let checksum_mode = ctx
        .req
        .header("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("enabled"));
    if checksum_mode && whole {
        for (alg, value) in &rec.checksums {
            if let Some(a) = Algorithm::parse(alg) {
                h.push((a.header().into(), value.clone()));
            }
        }
        if let Some(t) = &rec.checksum_type {
            h.push(("x-amz-checksum-type".into(), t.clone()));
        }
    }
    if rec.parts.len() > 1 {
        h.push(("x-amz-mp-parts-count".into(), rec.parts.len().to_string()));
    }
    if !rec.tags.is_empty() {
        h.push(("x-amz-tagging-count".into(), rec.tags.len().to_string()));
    }
    h
}

/// Looks up the object version a GET or HEAD addresses, checking bucket ownership first.
async fn lookup(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<(BucketRecord, ObjectRecord)> {
    let version = versioning::version_param(ctx)?;
    let (b, rec) = ctx.bucket_and_object(bucket, key, version.as_deref()).await?;
    let rec = versioning::addressed(bucket, key, version.as_deref(), rec)?;
    Ok((b, rec))
}

/// Which part of the object a GET/HEAD serves: the whole, a range, or a `?partNumber=`.
fn select(ctx: &Ctx, rec: &ObjectRecord) -> S3Result<Option<ByteRange>> {
    if let Some(p) = ctx.req.query("partNumber") {
        let n: u64 = p
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                S3Error::with_message(
                    Code::InvalidArgument,
                    "Part number must be an integer between 1 and 10000, inclusive",
                )
            })?;
        if ctx.req.header("range").is_some() {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        let sizes = if rec.parts.is_empty() {
            vec![rec.size]
        } else {
            rec.parts.clone()
        };
        let idx = usize::try_from(n - 1).unwrap_or(usize::MAX);
        let Some(len) = sizes.get(idx) else {
            return Err(S3Error::new(Code::InvalidPartNumber).extra("PartNumberRequested", p.to_owned()));
        };
        let start: u64 = sizes[..idx].iter().sum();
        return Ok(Some(ByteRange {
            start,
            end: start + len,
        }));
    }
    parse_range(ctx.req.header("range"), rec.size)
}

/// GetObject.
pub async fn get_object(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    get_or_head(ctx, bucket, key, false).await
}

/// HeadObject: GetObject's answer without its body.
pub async fn head_object(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    get_or_head(ctx, bucket, key, true).await
}

/// GetObject and HeadObject.
async fn get_or_head(ctx: &Ctx, bucket: &str, key: &str, head: bool) -> S3Result<S3Response> {
    let (b, rec) = lookup(ctx, bucket, key).await?;
    // An SSE-C object needs its key, for HEAD too; the key is checked before anything else.
    let open = encryption::opening(ctx, encryption::SSE_C, bucket, key, &rec)?;
    check_read_conditions(&ctx.req, &rec)?;
    let range = select(ctx, &rec)?;
    let whole = range.is_none()
        || range
            == Some(ByteRange {
                start: 0,
                end: rec.size,
            });
    let mut headers = object_headers(ctx, key, &rec, whole);
    if let Some((name, value)) = versioning::version_header(&b, &rec) {
        headers.push((name.into(), value));
    }
    for (name, value) in object_lock::read_headers(&rec) {
        headers.push((name.into(), value));
    }
    if let Some(exp) = crate::s3::lifecycle::expiration_header(&b, key, &rec, day_ms(ctx)) {
        headers.push(("x-amz-expiration".into(), exp));
    }
    for (name, value) in encryption::headers(rec.sse.as_deref()) {
        headers.push((name.into(), value));
    }
    let (status, start, end) = match range {
        Some(r) if ctx.req.query("partNumber").is_some() => {
            headers.push((
                "content-range".into(),
                format!("bytes {}-{}/{}", r.start, r.end.saturating_sub(1), rec.size),
            ));
            if rec.parts.len() <= 1 {
                headers.push(("x-amz-mp-parts-count".into(), "1".into()));
            }
            (206, r.start, r.end)
        }
        Some(r) => {
            headers.push((
                "content-range".into(),
                format!("bytes {}-{}/{}", r.start, r.end - 1, rec.size),
            ));
            (206, r.start, r.end)
        }
        None => (200, 0, rec.size),
    };
    let len = end - start;
    let body = if head {
        Body::HeadOnly(len)
    } else if len == 0 {
        Body::Full(bytes::Bytes::new())
    } else {
        let blobs = rec.blobs.iter().map(|b| (b.path.clone(), b.size)).collect();
        Body::Stream {
            len,
            stream: read_blobs(&ctx.blobs_store(&rec)?, blobs, start, end, open).await?,
        }
    };
    Ok(S3Response {
        status,
        headers,
        body,
    })
}

/// DeleteObject: 204 whether or not the key existed. Unversioned, the blobs go to the garbage
/// queue in the same registry transaction and are removed by the sweeper; versioned, a delete
/// marker is added, or with `versionId` that version goes for good.
pub async fn delete_object(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let version = versioning::version_param(ctx)?;
    let cond = match ctx.req.header("if-match") {
        Some(m) => PutCondition::IfMatch(unquote(m).to_owned()),
        None => PutCondition::None,
    };
    let lock = object_lock::lock_check(ctx);
    let reg = ctx.state.registry.clone();
    let k = key.as_bytes().to_vec();
    let v = version.clone();
    let (removed, marker) = blocking::try_run(move || {
        let out = match &v {
            Some(v) => (reg.delete_version(b.id, &k, v, lock)?, None),
            None => {
                let d = reg.delete_object(b.id, &k, &cond)?;
                (d.removed, d.marker)
            }
        };
        reg.flush()?;
        Ok(out)
    })
    .await?;
    let event = if marker.is_some() {
        "ObjectRemoved:DeleteMarkerCreated"
    } else {
        "ObjectRemoved:Delete"
    };
    ctx.state.events.object(ctx, event, bucket, key, None);
    let mut resp = S3Response::empty(204);
    for (name, value) in versioning::delete_headers(version.as_deref(), removed.as_ref(), marker.as_deref()) {
        resp = resp.header(name, value);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |h: &str, size| parse_range(Some(h), size);
        assert_eq!(
            r("bytes=0-9", 100).unwrap(),
            Some(ByteRange { start: 0, end: 10 })
        );
        assert_eq!(
            r("bytes=90-", 100).unwrap(),
            Some(ByteRange { start: 90, end: 100 })
        );
        assert_eq!(
            r("bytes=-10", 100).unwrap(),
            Some(ByteRange { start: 90, end: 100 })
        );
        assert_eq!(
            r("bytes=-500", 100).unwrap(),
            Some(ByteRange { start: 0, end: 100 })
        );
        assert_eq!(
            r("bytes=50-5000", 100).unwrap(),
            Some(ByteRange { start: 50, end: 100 })
        );
        assert_eq!(r("bytes=100-", 100).unwrap_err().code, Code::InvalidRange);
        assert_eq!(r("bytes=0-0", 0).unwrap_err().code, Code::InvalidRange);
        assert_eq!(r("bytes=-0", 100).unwrap_err().code, Code::InvalidRange);
        // Ignored, like AWS: whole object.
        for ignored in ["items=0-1", "bytes=5-1", "bytes=a-b", "bytes=0-1,5-6", "bytes"] {
            assert_eq!(r(ignored, 100).unwrap(), None, "{ignored}");
        }
        assert_eq!(parse_range(None, 5).unwrap(), None);
    }

    #[test]
    fn aws_chunked_is_not_stored() {
        assert_eq!(strip_aws_chunked("aws-chunked"), None);
        assert_eq!(strip_aws_chunked("aws-chunked, gzip").as_deref(), Some("gzip"));
        assert_eq!(strip_aws_chunked("gzip").as_deref(), Some("gzip"));
        // The client's separators stay as sent.
        assert_eq!(
            strip_aws_chunked("aws-chunked, deflate, gzip").as_deref(),
            Some("deflate, gzip")
        );
        assert_eq!(
            strip_aws_chunked("aws-chunked,deflate,gzip").as_deref(),
            Some("deflate,gzip")
        );
        assert_eq!(
            strip_aws_chunked("deflate, aws-chunked, gzip").as_deref(),
            Some("deflate, gzip")
        );
        assert_eq!(strip_aws_chunked("deflate,gzip").as_deref(), Some("deflate,gzip"));
        assert_eq!(strip_aws_chunked(" AWS-CHUNKED , ").as_deref(), None);
    }

    #[test]
    fn mime_guess_and_default() {
        let rec = ObjectRecord::default();
        assert_eq!(content_type("x.html", &rec), "text/html");
        assert_eq!(content_type("dir/x.png", &rec), "image/png");
        assert_eq!(content_type("x.json", &rec), "application/json");
        assert_eq!(content_type("noext", &rec), "binary/octet-stream");
        let stored = ObjectRecord {
            content_type: Some("text/x-custom".into()),
            ..Default::default()
        };
        assert_eq!(content_type("x.html", &stored), "text/x-custom");
        let generic = ObjectRecord {
            content_type: Some("application/octet-stream".into()),
            ..Default::default()
        };
        assert_eq!(content_type("x.html", &generic), "text/html");
        assert_eq!(content_type("noext", &generic), "application/octet-stream");
    }
}
