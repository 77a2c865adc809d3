//! Put/Get/DeleteBucketEncryption, and the glue between requests and server-side encryption
//! for the object handlers: the encryption a write gets, the keys a read or a copy source
//! needs, the response headers. The rules are `s3::encryption`, the cryptography `s3::sse`.
//! Must not format XML or touch actix types.

use metadata::{BucketRecord, ObjectRecord};

use crate::s3::body::{Opening, RequestBody, Sealing};
use crate::s3::encryption::{self, Stored, Write, CONFIG_KIND};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::response::S3Response;
use crate::s3::sse;
use crate::s3::Ctx;

/// The SSE-C headers of a request about the addressed object.
pub const SSE_C: &str = "x-amz-server-side-encryption-customer-";
/// The SSE-C headers of a copy source.
pub const COPY_SOURCE_SSE_C: &str = "x-amz-copy-source-server-side-encryption-customer-";

/// The encryption a write of `key` into `b` gets (headers, else the bucket default).
///
/// # Errors
/// See [`encryption::for_write`].
pub fn for_write(ctx: &Ctx, b: &BucketRecord, key: &str) -> S3Result<Option<Write>> {
    encryption::for_write(
        &ctx.req,
        ctx.state.config.sse_master_key.as_ref(),
        b.config(CONFIG_KIND),
        &encryption::context(&b.name, key),
    )
}

/// A new blob's sealing under `write`'s data key, with a fresh nonce base.
pub fn sealing(write: Option<&Write>) -> Option<Sealing> {
    write.map(|w| Sealing {
        key: w.data_key.clone(),
        nonce: sse::random_nonce_base(),
    })
}

/// Records a simple (one-blob) object's encryption: its stored form and its ETag.
pub fn seal_record(rec: &mut ObjectRecord, write: Option<&Write>, nonce: Option<[u8; 8]>, md5: &[u8; 16]) {
    if let (Some(w), Some(nonce)) = (write, nonce) {
        let mut stored = w.stored.clone();
        stored.nonces = vec![hex::encode(nonce)];
        rec.sse = Some(stored.encode());
        rec.etag = w.etag(md5);
    }
}

/// The response headers of an object's (or upload's) stored encryption.
pub fn headers(stored: Option<&str>) -> Vec<(&'static str, String)> {
    stored
        .and_then(|s| Stored::decode(s).ok())
        .map(|s| s.headers())
        .unwrap_or_default()
}

/// How to open object `key` of bucket `bucket` (record `rec`) for a read, checking the
/// request's SSE-C headers (`prefix`: [`SSE_C`] or [`COPY_SOURCE_SSE_C`]).
///
/// # Errors
/// See [`encryption::data_key`].
pub fn opening(
    ctx: &Ctx,
    prefix: &str,
    bucket: &str,
    key: &str,
    rec: &ObjectRecord,
) -> S3Result<Option<Opening>> {
    let stored = rec.sse.as_deref().map(Stored::decode).transpose()?;
    let master = ctx.state.config.sse_master_key.as_ref();
    let data_key = encryption::data_key(
        &ctx.req,
        prefix,
        stored.as_ref(),
        master,
        &encryption::context(bucket, key),
    )?;
    match (data_key, stored) {
        (Some(key), Some(stored)) => {
            let nonces = stored.nonce_bases()?;
            if nonces.len() != rec.blobs.len() {
                return Err(S3Error::internal(
                    "an encrypted object without a nonce for each blob",
                ));
            }
            Ok(Some(Opening { key, nonces }))
        }
        _ => Ok(None),
    }
}

/// The data key of an encrypted multipart upload (`stored`: its record's `sse`), for a part.
///
/// # Errors
/// See [`encryption::data_key`].
pub fn upload_key(
    ctx: &Ctx,
    stored: Option<&str>,
    bucket: &str,
    key: &str,
) -> S3Result<Option<(Stored, sse::Key)>> {
    let Some(stored) = stored.map(Stored::decode).transpose()? else {
        // SSE-C headers on a part of an unencrypted upload are refused as AWS does.
        encryption::data_key(&ctx.req, SSE_C, None, None, b"")?;
        return Ok(None);
    };
    let master = ctx.state.config.sse_master_key.as_ref();
    let data_key = encryption::data_key(
        &ctx.req,
        SSE_C,
        Some(&stored),
        master,
        &encryption::context(bucket, key),
    )?;
    Ok(data_key.map(|k| (stored, k)))
}

/// PutBucketEncryption: the bucket's default (`AES256`), Content-MD5 or a checksum required.
pub async fn put_bucket_encryption(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    let doc = super::checked_body(ctx, body, 64 * 1024).await?;
    let canonical = encryption::parse_default(&doc)?;
    if ctx.state.config.sse_master_key.is_none() {
        return Err(S3Error::not_implemented(
            "SSE-S3 bucket default encryption (this gateway has no sse_master_key_file configured)",
        ));
    }
    super::set_bucket_config(ctx, name, CONFIG_KIND, Some(canonical)).await?;
    Ok(S3Response::empty(200))
}

/// GetBucketEncryption.
pub async fn get_bucket_encryption(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = super::stored_config(
        &b,
        name,
        CONFIG_KIND,
        Code::ServerSideEncryptionConfigurationNotFoundError,
    )?;
    Ok(S3Response::xml(doc.to_owned()))
}

/// DeleteBucketEncryption (204).
pub async fn delete_bucket_encryption(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    super::set_bucket_config(ctx, name, CONFIG_KIND, None).await?;
    Ok(S3Response::empty(204))
}
