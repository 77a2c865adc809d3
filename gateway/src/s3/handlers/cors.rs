//! Put/Get/DeleteBucketCors and the browser's preflight (`OPTIONS`), answered from the bucket's
//! rules (`s3::cors`). The `Access-Control-*` headers of ordinary requests are added by the
//! pipeline (`s3::handle`). Must not format XML or touch actix types.

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::cors::{self, CONFIG_KIND};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::response::S3Response;
use crate::s3::Ctx;

/// Largest CORS document read (100 rules fit).
const MAX_BODY: usize = 256 * 1024;

/// PutBucketCors (Content-MD5 or a checksum required, as AWS requires).
pub async fn put_bucket_cors(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    let doc = super::checked_body(ctx, body, MAX_BODY).await?;
    let (_, canonical) = cors::parse(&doc)?;
    super::set_bucket_config(ctx, name, CONFIG_KIND, Some(canonical)).await?;
    Ok(S3Response::empty(200))
}

/// GetBucketCors.
pub async fn get_bucket_cors(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = super::stored_config(&b, name, CONFIG_KIND, Code::NoSuchCORSConfiguration)?;
    Ok(S3Response::xml(doc.to_owned()))
}

/// DeleteBucketCors (204).
pub async fn delete_bucket_cors(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    super::set_bucket_config(ctx, name, CONFIG_KIND, None).await?;
    Ok(S3Response::empty(204))
}

/// A preflight: 200 with the `Access-Control-*` headers of the first matching rule; 403
/// `AccessForbidden` when the bucket has no rules or none matches. Never signed, never
/// authorized: it reveals only the bucket's CORS rules, as AWS's does.
pub async fn preflight(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let origin = ctx.req.header("origin").ok_or_else(|| {
        S3Error::with_message(
            Code::BadRequest,
            "Insufficient information. Origin request header needed.",
        )
    })?;
    let method = ctx.req.header("access-control-request-method").ok_or_else(|| {
        S3Error::with_message(Code::BadRequest, "Invalid Access-Control-Request-Method: null")
    })?;
    let reg = ctx.state.registry.clone();
    let n = name.to_owned();
    let b = blocking::try_run(move || Ok(reg.get_bucket(&n)?)).await?;
    let conf = b
        .as_ref()
        .and_then(|b| cors::stored(b.config(CONFIG_KIND)))
        .ok_or_else(|| {
            S3Error::with_message(
                Code::AccessForbidden,
                "CORSResponse: CORS is not enabled for this bucket.",
            )
        })?;
    let requested = ctx.req.header("access-control-request-headers");
    let rule = cors::matching(&conf, origin, method, &cors::requested_headers(requested))
        .ok_or_else(|| S3Error::new(Code::AccessForbidden))?;
    let mut resp = S3Response::empty(200);
    for (name, value) in cors::headers(rule, origin, requested) {
        resp = resp.header(name, value);
    }
    Ok(resp)
}
