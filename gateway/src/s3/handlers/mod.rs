//! Handlers, one module per family of operations. Each takes the request context and returns
//! an `S3Response` or an `S3Error`; none formats XML or touches actix.

pub mod attributes;
pub mod bucket;
pub mod copy;
pub mod lifecycle;
pub mod list;
pub mod multipart;
pub mod object;
pub mod object_lock;
pub mod tagging;
pub mod versioning;

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
