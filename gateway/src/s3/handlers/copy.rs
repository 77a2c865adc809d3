//! CopyObject and the copy source shared with UploadPartCopy: `x-amz-copy-source` parsing,
//! the `x-amz-copy-source-if-*` conditions, the metadata and tagging directives, and the copy itself, done
//! on the volume (the bytes never go back through the client). S3 semantics only.

use metadata::ObjectRecord;

use crate::s3::body::{copy_blobs, BlobRange};
use crate::s3::checksum::{Algorithm, Expectations};
use crate::s3::dates::{iso8601, now_ms, parse_http_date};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::multipart::ChecksumFields;
use crate::s3::handlers::object::{
    commit_or_discard, fill_from_blob, meta_builder, record_from_headers, write_condition, MAX_PUT_SIZE,
};
use crate::s3::handlers::{encryption, object_lock, tagging, versioning};
use crate::s3::request::{decode_path, RequestInfo};
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// A resolved copy source.
pub struct Source {
    /// Source bucket name.
    pub bucket: String,
    /// Source key.
    pub key: String,
    /// Its record.
    pub rec: ObjectRecord,
    /// The store (volume) of the source bucket.
    pub store: crate::store::BlobStore,
    /// `x-amz-copy-source-version-id` to answer: the source's version when its bucket has been
    /// versioned or the request named a version.
    pub version_header: Option<String>,
    /// True when the request named the source version.
    pub named_version: bool,
    /// How to open the source's blobs when it is encrypted (its SSE-C key, if any, comes in
    /// the `x-amz-copy-source-server-side-encryption-customer-*` headers).
    pub open: Option<crate::s3::body::Opening>,
}

/// Reads `x-amz-copy-source` (`bucket/key` or `/bucket/key`, URL-encoded, optionally with
/// `?versionId=<id>`), checks the caller may read it and evaluates the copy conditions.
pub async fn source(ctx: &Ctx) -> S3Result<Source> {
    let raw = ctx.req.header("x-amz-copy-source").unwrap_or("");
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let version = query
        .strip_prefix("versionId=")
        .map(|v| versioning::parse_version_id(v, "x-amz-copy-source"))
        .transpose()?;
    // A source key that is not UTF-8 once decoded cannot name an object: InvalidURI, as a
    // request path with such a key.
    let decoded = decode_path(path.trim_start_matches('/')).ok_or_else(|| S3Error::new(Code::InvalidURI))?;
    let (bucket, key) = decoded
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| {
            S3Error::with_message(
                Code::InvalidArgument,
                "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            )
        })?;
    let (b, rec) = ctx.copy_source(bucket, key, version.as_deref()).await?;
    if version.is_some() && rec.as_ref().is_some_and(|r| r.delete_marker) {
        return Err(S3Error::with_message(
            Code::InvalidRequest,
            "The source of a copy request may not specifically refer to a delete marker by version id.",
        ));
    }
    let rec = versioning::addressed(bucket, key, version.as_deref(), rec)?;
    let open = encryption::opening(ctx, encryption::COPY_SOURCE_SSE_C, bucket, key, &rec)?;
    check_copy_conditions(&ctx.req, &rec)?;
    Ok(Source {
        open,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_header: versioning::version_header(&b, &rec).map(|(_, v)| v),
        named_version: version.is_some(),
        rec,
        store: ctx.store(&b)?,
    })
}

/// `x-amz-copy-source-if-*` of `req` against the source `rec`: any failure is 412 (for copies
/// AWS never answers 304). Pure: no I/O (the fuzz targets call it).
pub fn check_copy_conditions(req: &RequestInfo, rec: &ObjectRecord) -> S3Result<()> {
    let h = |n| req.header(n);
    let matches = |list: &str| {
        list.split(',')
            .any(|t| t.trim() == "*" || t.trim().trim_matches('"') == rec.etag)
    };
    let mtime = rec.mtime_ms / 1000 * 1000;
    let fail = |c: &str| Err(S3Error::new(Code::PreconditionFailed).extra("Condition", c.to_owned()));
    let if_match = h("x-amz-copy-source-if-match");
    if let Some(m) = if_match {
        if !matches(m) {
            return fail("x-amz-copy-source-If-Match");
        }
    } else if let Some(t) = h("x-amz-copy-source-if-unmodified-since").and_then(parse_http_date) {
        if mtime > t {
            return fail("x-amz-copy-source-If-Unmodified-Since");
        }
    }
    if let Some(n) = h("x-amz-copy-source-if-none-match") {
        if matches(n) {
            return fail("x-amz-copy-source-If-None-Match");
        }
    } else if let Some(t) = h("x-amz-copy-source-if-modified-since").and_then(parse_http_date) {
        if mtime <= t {
            return fail("x-amz-copy-source-If-Modified-Since");
        }
    }
    Ok(())
}

/// The result document of a copy (object or part): time, quoted ETag, checksums.
pub fn copy_result(mtime_ms: u64, etag: &str, checksums: &[(String, String)]) -> xml::CopyObjectResult {
    let sums = ChecksumFields::from_pairs(checksums);
    xml::CopyObjectResult {
        xmlns: xml::Xmlns,
        last_modified: iso8601(mtime_ms),
        etag: format!("\"{etag}\""),
        checksum_crc32: sums.crc32,
        checksum_crc32c: sums.crc32c,
        checksum_crc64nvme: sums.crc64nvme,
        checksum_sha1: sums.sha1,
        checksum_sha256: sums.sha256,
    }
}

/// Parses `x-amz-copy-source-range: bytes=first-last` (both required, inside the object).
pub fn parse_source_range(r: &str, size: u64) -> S3Result<(u64, u64)> {
    let bad = || {
        S3Error::with_message(
            Code::InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
        .extra("ArgumentName", "x-amz-copy-source-range")
        .extra("ArgumentValue", r.to_owned())
    };
    let spec = r.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let (a, b): (u64, u64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a > b {
        return Err(bad());
    }
    if b >= size {
        return Err(
            S3Error::with_message(Code::InvalidRange, "The requested range is not satisfiable")
                .extra("RangeRequested", r.to_owned())
                .extra("ActualObjectSize", size.to_string()),
        );
    }
    Ok((a, b + 1))
}

/// The metadata and tagging directives of a copy: whether each is `REPLACE` (else `COPY`, the
/// default).
fn directives(req: &RequestInfo) -> S3Result<(bool, bool)> {
    let replace = match req
        .header("x-amz-metadata-directive")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(S3Error::with_message(
                Code::InvalidArgument,
                format!("Unknown metadata directive {other}"),
            )
            .extra("ArgumentName", "x-amz-metadata-directive"))
        }
    };
    let replace_tags = match req
        .header("x-amz-tagging-directive")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(_) => {
            return Err(
                S3Error::with_message(Code::InvalidArgument, "Unknown tagging directive.")
                    .extra("ArgumentName", "x-amz-tagging-directive")
                    .extra(
                        "ArgumentValue",
                        req.header("x-amz-tagging-directive").unwrap_or("").to_owned(),
                    ),
            )
        }
    };
    Ok((replace, replace_tags))
}

/// CopyObject.
pub async fn copy_object(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let src = source(ctx).await?;
    if src.rec.size > MAX_PUT_SIZE {
        return Err(S3Error::with_message(
            Code::InvalidRequest,
            "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120",
        ));
    }
    let (replace, replace_tags) = directives(&ctx.req)?;
    let checksum_alg = ctx
        .req
        .header("x-amz-checksum-algorithm")
        .and_then(Algorithm::parse);
    let enc = encryption::for_write(ctx, &b, key)?;
    let asks_encryption = ctx.req.header("x-amz-server-side-encryption").is_some()
        || ctx
            .req
            .header("x-amz-server-side-encryption-customer-algorithm")
            .is_some();
    if src.bucket == bucket
        && src.key == key
        && !replace
        && checksum_alg.is_none()
        && !src.named_version
        && !asks_encryption
    {
        return Err(S3Error::with_message(
            Code::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let mut rec = if replace {
        record_from_headers(ctx)?
    } else {
        ObjectRecord {
            content_type: src.rec.content_type.clone(),
            content_encoding: src.rec.content_encoding.clone(),
            content_disposition: src.rec.content_disposition.clone(),
            content_language: src.rec.content_language.clone(),
            cache_control: src.rec.cache_control.clone(),
            expires: src.rec.expires.clone(),
            user_meta: src.rec.user_meta.clone(),
            // The copy gets the ACL the request asks for, never the source's (as in AWS).
            acl: super::acl::new_object_acl(ctx)?,
            ..ObjectRecord::default()
        }
    };
    // Tags follow their own directive: the source's (COPY, the default) or x-amz-tagging.
    rec.tags = if replace_tags {
        tagging::from_request(ctx)?
    } else {
        src.rec.tags.clone()
    };
    object_lock::lock_for_write(ctx, &b, true)?.apply(&mut rec);
    versioning::preassign(&b, &mut rec);
    let cond = write_condition(&ctx.req)?;
    // Keep the source's checksum algorithm unless another is asked for.
    let alg = checksum_alg.or_else(|| src.rec.checksums.first().and_then(|(a, _)| Algorithm::parse(a)));
    let exp = Expectations {
        checksum: alg.map(|a| (a, None)),
        ..Expectations::default()
    };
    let mtime = now_ms();
    let range = BlobRange {
        store: src.store.clone(),
        blobs: src.rec.blobs.iter().map(|x| (x.path.clone(), x.size)).collect(),
        start: 0,
        end: src.rec.size,
        open: src.open.clone(),
    };
    let meta = meta_builder(&b.name, key, &rec, mtime);
    let seal = encryption::sealing(enc.as_ref());
    let nonce = seal.as_ref().map(|s| s.nonce);
    let written = copy_blobs(range, &ctx.store(&b)?, b.id, exp, meta, seal).await?;
    fill_from_blob(&mut rec, &written, mtime);
    encryption::seal_record(&mut rec, enc.as_ref(), nonce, &written.digest.md5);
    let sse_headers = encryption::headers(rec.sse.as_deref());
    let doc = copy_result(mtime, &rec.etag, &rec.checksums);
    let version = commit_or_discard(ctx, &b, key, rec, cond, written.path).await?;
    ctx.state.events.object(
        ctx,
        "ObjectCreated:Copy",
        &b.name,
        key,
        Some((written.digest.len, &hex::encode(written.digest.md5))),
    );
    let mut resp = versioning::with_version(S3Response::xml(doc.to_xml()), version);
    if let Some(v) = src.version_header {
        resp = resp.header("x-amz-copy-source-version-id", v);
    }
    for (name, value) in sse_headers {
        resp = resp.header(name, value);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::parse_source_range;
    use crate::s3::error::Code;

    #[test]
    fn source_ranges() {
        assert_eq!(parse_source_range("bytes=0-9", 100).unwrap(), (0, 10));
        assert_eq!(parse_source_range("bytes=99-99", 100).unwrap(), (99, 100));
        assert_eq!(
            parse_source_range("bytes=0-100", 100).unwrap_err().code,
            Code::InvalidRange
        );
        for bad in ["0-9", "bytes=9-0", "bytes=-5", "bytes=5-", "bytes=a-b"] {
            assert_eq!(
                parse_source_range(bad, 100).unwrap_err().code,
                Code::InvalidArgument,
                "{bad}"
            );
        }
    }
}
