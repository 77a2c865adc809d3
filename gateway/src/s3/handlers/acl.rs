//! Get/PutBucketAcl, Get/PutObjectAcl and Get/Put/DeleteBucketOwnershipControls, plus the ACL
//! a write request gives its new bucket or object (`x-amz-acl`, `x-amz-grant-*`). The ACL model
//! is `s3::acl`; who may call these is decided by the authorization step (`s3::access`).
//! Must not format XML or touch actix types.

use crate::s3::access::OWNERSHIP_KIND;
use crate::s3::acl::{Acl, BUCKET_ACL_KIND};
use crate::s3::body::RequestBody;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::versioning;
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// Largest ACL or ownership document read.
const MAX_BODY: usize = 64 * 1024;

/// The object ownership values AWS accepts.
const OWNERSHIP: &[&str] = &["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"];

/// True if `id` is a configured user's canonical id.
fn known(ctx: &Ctx) -> impl Fn(&str) -> bool + '_ {
    |id: &str| ctx.state.config.users.iter().any(|u| u.owner() == id)
}

/// A canonical id's display name.
fn display(ctx: &Ctx) -> impl Fn(&str) -> Option<String> + '_ {
    |id: &str| {
        ctx.state
            .config
            .users
            .iter()
            .find(|u| u.owner() == id)
            .map(|u| u.display().to_owned())
    }
}

/// The stored ACL of an object a PUT, Copy, CreateMultipartUpload or POST writes: the one its
/// headers ask for, else the writer's private ACL when the writer is not the bucket owner
/// (`None`: the bucket owner's private default). A bucket with ACLs disabled takes only the
/// owner-only ACLs and stores none.
///
/// # Errors
/// Those of [`Acl::from_headers`], and of `BucketAccess::check_new_acl`.
pub fn new_object_acl(ctx: &Ctx) -> S3Result<Option<String>> {
    let Some(access) = &ctx.access else {
        return Ok(None);
    };
    let acl = Acl::from_headers(&ctx.req, ctx.user.owner(), &access.bucket.owner, &known(ctx))?;
    stored_object_acl(ctx, acl)
}

/// The stored ACL of an object a POST form writes, from its `acl` field (a canned ACL).
///
/// # Errors
/// As [`new_object_acl`].
pub fn form_object_acl(ctx: &Ctx, canned: Option<&str>) -> S3Result<Option<String>> {
    let Some(access) = &ctx.access else {
        return Ok(None);
    };
    let acl = canned
        .map(|c| Acl::canned(c.trim(), ctx.user.owner(), &access.bucket.owner))
        .transpose()?;
    stored_object_acl(ctx, acl)
}

fn stored_object_acl(ctx: &Ctx, acl: Option<Acl>) -> S3Result<Option<String>> {
    let Some(access) = &ctx.access else {
        return Ok(None);
    };
    let writer = ctx.user.owner();
    if let Some(acl) = &acl {
        access.check_new_acl(acl)?;
    }
    if access.acls_disabled {
        return Ok(None);
    }
    Ok(match acl {
        Some(acl) => Some(acl.encode()),
        None if writer == access.bucket.owner => None,
        None => Some(Acl::private(writer).encode()),
    })
}

/// The configuration documents a CreateBucket's `x-amz-acl`, `x-amz-grant-*` and
/// `x-amz-object-ownership` headers ask for.
///
/// # Errors
/// Those of [`Acl::from_headers`]; `InvalidArgument` for an unknown ownership;
/// `InvalidBucketAclWithObjectOwnership` for grants on a `BucketOwnerEnforced` bucket.
pub fn creation_configs(ctx: &Ctx) -> S3Result<Vec<(String, String)>> {
    let owner = ctx.user.owner();
    let mut out = Vec::new();
    let acl = Acl::from_headers(&ctx.req, owner, owner, &known(ctx))?;
    let ownership = ctx.req.header("x-amz-object-ownership").map(str::trim);
    if let Some(o) = ownership {
        if !OWNERSHIP.contains(&o) {
            return Err(S3Error::with_message(
                Code::InvalidArgument,
                "Invalid x-amz-object-ownership header",
            )
            .extra("ArgumentName", "x-amz-object-ownership")
            .extra("ArgumentValue", o.to_owned()));
        }
        out.push((OWNERSHIP_KIND.to_owned(), o.to_owned()));
    }
    if let Some(acl) = acl {
        if ownership == Some("BucketOwnerEnforced") && acl != Acl::private(owner) {
            return Err(S3Error::new(Code::InvalidBucketAclWithObjectOwnership));
        }
        out.push((BUCKET_ACL_KIND.to_owned(), acl.encode()));
    }
    Ok(out)
}

/// The ACL a PutBucketAcl or PutObjectAcl asks for: its headers, else its document.
async fn requested_acl(ctx: &Ctx, owner: &str, bucket_owner: &str, body: RequestBody) -> S3Result<Acl> {
    if let Some(acl) = Acl::from_headers(&ctx.req, owner, bucket_owner, &known(ctx))? {
        return Ok(acl);
    }
    let doc = body.collect(MAX_BODY).await?;
    if doc.iter().all(u8::is_ascii_whitespace) {
        return Err(S3Error::new(Code::MissingSecurityHeader));
    }
    let doc = xml::AccessControlPolicy::from_xml(&doc).map_err(|_| S3Error::new(Code::MalformedACLError))?;
    Acl::from_document(doc, owner, &known(ctx))
}

/// GetBucketAcl.
pub async fn get_bucket_acl(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let acl = Acl::decode(b.config(BUCKET_ACL_KIND), &b.owner);
    Ok(S3Response::xml(acl.to_document(&display(ctx)).to_xml()))
}

/// PutBucketAcl: a canned ACL, grant headers or an `AccessControlPolicy` document.
pub async fn put_bucket_acl(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let acl = requested_acl(ctx, &b.owner, &b.owner, body).await?;
    if let Some(access) = &ctx.access {
        access.check_new_acl(&acl)?;
    }
    super::set_bucket_config(ctx, name, BUCKET_ACL_KIND, Some(acl.encode())).await?;
    Ok(S3Response::empty(200))
}

/// GetObjectAcl (of the addressed version).
pub async fn get_object_acl(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let version = versioning::version_param(ctx)?;
    let (b, rec) = ctx.bucket_and_object(bucket, key, version.as_deref()).await?;
    let rec = versioning::addressed(bucket, key, version.as_deref(), rec)?;
    let acl = Acl::decode(rec.acl.as_deref(), &b.owner);
    let resp = S3Response::xml(acl.to_document(&display(ctx)).to_xml());
    Ok(versioning::with_version(
        resp,
        versioning::version_header(&b, &rec).map(|(_, v)| v),
    ))
}

/// PutObjectAcl (of the addressed version).
pub async fn put_object_acl(ctx: &Ctx, bucket: &str, key: &str, body: RequestBody) -> S3Result<S3Response> {
    let version = versioning::version_param(ctx)?;
    let (b, rec) = ctx.bucket_and_object(bucket, key, version.as_deref()).await?;
    let rec = versioning::addressed(bucket, key, version.as_deref(), rec)?;
    let owner = Acl::decode(rec.acl.as_deref(), &b.owner).owner;
    let acl = requested_acl(ctx, &owner, &b.owner, body).await?;
    if let Some(access) = &ctx.access {
        access.check_new_acl(&acl)?;
    }
    let stored = acl.encode();
    let rec = super::change_version(ctx, &b, bucket, key, move |r| {
        r.acl = Some(stored.clone());
        Ok(())
    })
    .await?;
    Ok(versioning::with_version(
        S3Response::empty(200),
        versioning::version_header(&b, &rec).map(|(_, v)| v),
    ))
}

/// GetBucketOwnershipControls.
pub async fn get_bucket_ownership_controls(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let value = super::stored_config(&b, name, OWNERSHIP_KIND, Code::OwnershipControlsNotFoundError)?;
    let doc = xml::OwnershipControls {
        xmlns: xml::Xmlns,
        rule: xml::OwnershipRule {
            object_ownership: value.to_owned(),
        },
    };
    Ok(S3Response::xml(doc.to_xml()))
}

/// PutBucketOwnershipControls: `BucketOwnerEnforced` disables ACLs, and needs a bucket ACL
/// that grants nothing beyond its owner.
pub async fn put_bucket_ownership_controls(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = super::checked_body(ctx, body, MAX_BODY).await?;
    let doc = xml::OwnershipControls::from_xml(&doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    let value = doc.rule.object_ownership;
    if !OWNERSHIP.contains(&value.as_str()) {
        return Err(S3Error::new(Code::MalformedXML));
    }
    if value == "BucketOwnerEnforced"
        && Acl::decode(b.config(BUCKET_ACL_KIND), &b.owner) != Acl::private(&b.owner)
    {
        return Err(S3Error::new(Code::InvalidBucketAclWithObjectOwnership));
    }
    super::set_bucket_config(ctx, name, OWNERSHIP_KIND, Some(value)).await?;
    Ok(S3Response::empty(200))
}

/// DeleteBucketOwnershipControls (204).
pub async fn delete_bucket_ownership_controls(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    ctx.bucket(name)?;
    super::set_bucket_config(ctx, name, OWNERSHIP_KIND, None).await?;
    Ok(S3Response::empty(204))
}
