//! Put/Get/DeleteBucketLifecycleConfiguration: the bucket's rules, validated by
//! [`crate::s3::lifecycle::parse`] and stored as the bucket's `lifecycle` configuration document.
//! Applying them is the lifecycle worker's ([`crate::lifecycle`]). Must not format XML or touch
//! actix types.

use crate::s3::body::RequestBody;
use crate::s3::error::{Code, S3Result};
use crate::s3::lifecycle::{self, CONFIG_KIND};
use crate::s3::response::S3Response;
use crate::s3::Ctx;

/// Largest lifecycle document read (1,000 rules fit).
const MAX_BODY: usize = 1 << 20;

async fn store(ctx: &Ctx, name: &str, doc: Option<String>) -> S3Result<()> {
    super::set_bucket_config(ctx, name, CONFIG_KIND, doc).await
}

/// PutBucketLifecycleConfiguration: replaces the rules (Content-MD5 or a checksum required).
pub async fn put_bucket_lifecycle_configuration(
    ctx: &Ctx,
    name: &str,
    body: RequestBody,
) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    let doc = super::checked_body(ctx, body, MAX_BODY).await?;
    let (_, canonical) = lifecycle::parse(&doc)?;
    store(ctx, name, Some(canonical)).await?;
    Ok(S3Response::empty(200))
}

/// GetBucketLifecycleConfiguration.
pub async fn get_bucket_lifecycle_configuration(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = super::stored_config(&b, name, CONFIG_KIND, Code::NoSuchLifecycleConfiguration)?;
    Ok(S3Response::xml(doc.to_owned()))
}

/// DeleteBucketLifecycleConfiguration (204 whether or not there were rules).
pub async fn delete_bucket_lifecycle_configuration(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    store(ctx, name, None).await?;
    Ok(S3Response::empty(204))
}
