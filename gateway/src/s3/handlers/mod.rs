//! Handlers, one module per family of operations. Each takes the request context and returns
//! an `S3Response` or an `S3Error`; none formats XML or touches actix.

#![allow(
    clippy::unused_async,
    reason = "every handler has the same async shape, whether or not it awaits, so dispatch stays uniform"
)]

pub mod acl;
pub mod attributes;
pub mod bucket;
pub mod copy;
pub mod cors;
pub mod delete_objects;
pub mod encryption;
pub mod lifecycle;
pub mod list;
pub mod multipart;
pub mod object;
pub mod object_lock;
pub mod policy;
pub mod tagging;
pub mod versioning;

use metadata::{BucketRecord, ObjectRecord};

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::checksum::{BodyHasher, Expectations};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::Ctx;

/// Collects a small request document (DeleteObjects, object lock configurations), requiring and
/// verifying Content-MD5 or a checksum (or a signed payload hash), as AWS does for these
/// operations.
pub async fn checked_body(ctx: &Ctx, body: RequestBody, max: usize) -> S3Result<bytes::Bytes> {
    let exp = Expectations::from_headers(&ctx.req)?;
    let has_integrity = exp.md5.is_some() || exp.checksum.as_ref().is_some_and(|(_, v)| v.is_some());
    if !has_integrity && body.sha256.is_none() {
        return Err(S3Error::with_message(
            Code::InvalidRequest,
            "Missing required header for this request: Content-MD5 or x-amz-checksum-*",
        ));
    }
    let doc = body.collect(max).await?;
    let mut h = BodyHasher::new(exp);
    h.update(&doc);
    h.finish(None)?;
    Ok(doc)
}

/// Changes, in place, the metadata of the version a request addresses (`versionId`, else the
/// current one) of `key` in bucket `b`, with `change` deciding (and refusing with an S3 error)
/// from the record it is given; flushes, and returns the changed record. Retention, legal hold
/// and ACL changes go through here.
pub async fn change_version(
    ctx: &Ctx,
    b: &BucketRecord,
    bucket: &str,
    key: &str,
    change: impl Fn(&mut ObjectRecord) -> S3Result<()> + Send + Sync + 'static,
) -> S3Result<ObjectRecord> {
    let version = versioning::version_param(ctx)?;
    let reg = ctx.state.registry.clone();
    let k = key.as_bytes().to_vec();
    let v = version.clone();
    let id = b.id;
    let refused = std::sync::Mutex::new(None);
    let (rec, refusal) = blocking::try_run(move || {
        let rec = reg.update_version(id, &k, v.as_deref(), &|rec| {
            change(rec).map_err(|e| {
                let msg = e.message.to_string();
                *refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                metadata::Error::Refused(msg)
            })
        });
        let refusal = refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match rec {
            Err(metadata::Error::Refused(_)) => Ok((None, refusal)),
            Err(e) => Err(e.into()),
            Ok(r) => {
                reg.flush()?;
                Ok((r, None))
            }
        }
    })
    .await?;
    if let Some(e) = refusal {
        return Err(e);
    }
    rec.ok_or_else(|| versioning::missing(bucket, key, version.as_deref()))
}

/// Sets (or, with `None`, removes) bucket `name`'s configuration document of `kind`, and
/// flushes.
pub async fn set_bucket_config(
    ctx: &Ctx,
    name: &str,
    kind: &'static str,
    doc: Option<String>,
) -> S3Result<()> {
    let reg = ctx.state.registry.clone();
    let n = name.to_owned();
    blocking::try_run(move || {
        reg.set_bucket_config(&n, kind, doc.as_deref())?;
        reg.flush()?;
        Ok(())
    })
    .await
}

/// Bucket `name`'s stored configuration document of `kind`, or `missing` (AWS's 404 for that
/// configuration) naming the bucket.
pub fn stored_config<'b>(b: &'b BucketRecord, name: &str, kind: &str, missing: Code) -> S3Result<&'b str> {
    b.config(kind)
        .ok_or_else(|| S3Error::new(missing).extra("BucketName", name.to_owned()))
}
