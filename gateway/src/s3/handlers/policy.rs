//! Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus and Put/Get/DeletePublicAccessBlock. The
//! policy is validated by `s3::policy` and stored as sent, as the bucket's `policy`
//! configuration document; the public access block as its XML document. Evaluating them is the
//! authorization step's (`s3::access`). Must not format XML or touch actix types.

use crate::s3::access::PUBLIC_ACCESS_BLOCK_KIND;
use crate::s3::body::RequestBody;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::policy::{BucketPolicy, MAX_POLICY_SIZE, POLICY_KIND};
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// PutBucketPolicy: refused with `AccessDenied` when the public access block's
/// `BlockPublicPolicy` is on and the policy is public.
pub async fn put_bucket_policy(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = body.collect(MAX_POLICY_SIZE).await.map_err(|e| {
        if e.code == Code::InvalidRequest {
            S3Error::with_message(
                Code::MalformedPolicy,
                "Policy exceeds the maximum allowed document size.",
            )
        } else {
            e
        }
    })?;
    let text = std::str::from_utf8(&doc)
        .map_err(|_| S3Error::with_message(Code::MalformedPolicy, "This policy contains invalid Json"))?;
    let policy = BucketPolicy::parse(text, &b.name)?;
    let blocked = ctx.access.as_ref().is_some_and(|a| a.block.block_public_policy);
    if blocked && policy.is_public() {
        return Err(S3Error::new(Code::AccessDenied));
    }
    super::set_bucket_config(ctx, name, POLICY_KIND, Some(text.to_owned())).await?;
    Ok(S3Response::empty(204))
}

/// GetBucketPolicy: the document as it was put.
pub async fn get_bucket_policy(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let text = super::stored_config(&b, name, POLICY_KIND, Code::NoSuchBucketPolicy)?;
    Ok(S3Response::json(text.to_owned()))
}

/// DeleteBucketPolicy (204 whether or not there was one).
pub async fn delete_bucket_policy(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    super::set_bucket_config(ctx, name, POLICY_KIND, None).await?;
    Ok(S3Response::empty(204))
}

/// GetBucketPolicyStatus: whether the policy grants public access.
pub async fn get_bucket_policy_status(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    let access = ctx.access.as_ref();
    let policy = access
        .and_then(|a| a.policy.as_ref())
        .ok_or_else(|| S3Error::new(Code::NoSuchBucketPolicy).extra("BucketName", name.to_owned()))?;
    let doc = xml::PolicyStatus {
        xmlns: xml::Xmlns,
        is_public: policy.is_public(),
    };
    Ok(S3Response::xml(doc.to_xml()))
}

/// PutPublicAccessBlock.
pub async fn put_public_access_block(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    let doc = super::checked_body(ctx, body, 64 * 1024).await?;
    let conf = xml::PublicAccessBlockConfiguration::from_xml(&doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    super::set_bucket_config(ctx, name, PUBLIC_ACCESS_BLOCK_KIND, Some(conf.to_xml())).await?;
    Ok(S3Response::empty(200))
}

/// GetPublicAccessBlock.
pub async fn get_public_access_block(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = super::stored_config(
        &b,
        name,
        PUBLIC_ACCESS_BLOCK_KIND,
        Code::NoSuchPublicAccessBlockConfiguration,
    )?;
    Ok(S3Response::xml(doc.to_owned()))
}

/// DeletePublicAccessBlock (204).
pub async fn delete_public_access_block(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    super::set_bucket_config(ctx, name, PUBLIC_ACCESS_BLOCK_KIND, None).await?;
    Ok(S3Response::empty(204))
}
