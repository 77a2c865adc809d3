//! Bucket versioning: PutBucketVersioning, GetBucketVersioning, and the S3 rules every object
//! handler shares about versions: the `versionId` parameter, which record a request addresses
//! (a version, the latest, a delete marker) and the `x-amz-version-id` / `x-amz-delete-marker`
//! headers. The versioning rules themselves (what a write or delete keeps) are the registry's.
//! Must not format XML or touch actix types.

use metadata::{is_version_id, BucketRecord, ObjectRecord, Versioning};

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::dates::http_date;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// The bucket configuration kind that holds the object lock configuration (`object_lock`). A
/// bucket with object lock stays versioned.
pub const LOCK_CONFIG_KIND: &str = "object-lock";

/// True if bucket `b` has object lock.
pub fn lock_enabled(b: &BucketRecord) -> bool {
    b.config(LOCK_CONFIG_KIND).is_some()
}

/// Largest `PutBucketVersioning` body read.
const MAX_BODY: usize = 64 << 10;

/// PutBucketVersioning: `Enabled` or `Suspended`. MFA delete is not implemented (501 when asked
/// for); `Disabled` is accepted, as it is the only state there is.
pub async fn put_bucket_versioning(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = body.collect(MAX_BODY).await?;
    let conf = xml::VersioningConfiguration::from_xml(&doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    match conf.mfa_delete.as_deref() {
        None | Some("Disabled") => {}
        Some("Enabled") => return Err(S3Error::not_implemented("MFA delete")),
        Some(_) => {
            return Err(S3Error::new(Code::MalformedXML));
        }
    }
    let state = match conf.status.as_deref() {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") if lock_enabled(&b) => {
            return Err(S3Error::with_message(
                Code::InvalidBucketState,
                "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
            ))
        }
        Some("Suspended") => Versioning::Suspended,
        _ => return Err(S3Error::new(Code::MalformedXML)),
    };
    let reg = ctx.state.registry.clone();
    let n = name.to_owned();
    blocking::try_run(move || {
        reg.set_bucket_versioning(&n, state)?;
        reg.flush()?;
        Ok(())
    })
    .await?;
    Ok(S3Response::empty(200))
}

/// GetBucketVersioning: the state, or the empty configuration of a bucket never versioned.
pub async fn get_bucket_versioning(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let status = match b.versioning {
        Versioning::Unversioned => None,
        Versioning::Enabled => Some("Enabled".to_owned()),
        Versioning::Suspended => Some("Suspended".to_owned()),
    };
    Ok(S3Response::xml(
        xml::VersioningConfiguration {
            status,
            ..xml::VersioningConfiguration::default()
        }
        .to_xml(),
    ))
}

/// The request's `versionId` query parameter, checked: `InvalidArgument` for an empty or
/// malformed id (AWS's answer; a well-formed unknown id is `NoSuchVersion` later).
pub fn version_param(ctx: &Ctx) -> S3Result<Option<String>> {
    ctx.req
        .query("versionId")
        .map(|v| parse_version_id(v, "versionId"))
        .transpose()
}

/// Checks a version id sent in `argument` (a query parameter or a copy source).
pub fn parse_version_id(v: &str, argument: &'static str) -> S3Result<String> {
    if v.is_empty() {
        return Err(
            S3Error::with_message(Code::InvalidArgument, "Version id cannot be the empty string")
                .extra("ArgumentName", argument)
                .extra("ArgumentValue", ""),
        );
    }
    if !is_version_id(v) {
        return Err(
            S3Error::with_message(Code::InvalidArgument, "Invalid version id specified")
                .extra("ArgumentName", argument)
                .extra("ArgumentValue", v.to_owned()),
        );
    }
    Ok(v.to_owned())
}

/// `x-amz-version-id` for a version of bucket `b`: shown once the bucket has been versioned
/// (`null` for the null version), never for an unversioned bucket.
pub fn version_header(b: &BucketRecord, rec: &ObjectRecord) -> Option<(&'static str, String)> {
    (b.versioning != Versioning::Unversioned || !rec.version_id.is_empty())
        .then(|| ("x-amz-version-id", rec.version_label().to_owned()))
}

/// The object a GET, HEAD or copy source addresses, from what the registry returned for it:
/// the record, or S3's error for a missing key, a missing version, or a delete marker (404
/// `NoSuchKey` for the latest, 405 `MethodNotAllowed` when named by id, both with
/// `x-amz-delete-marker: true`).
pub fn addressed(
    bucket: &str,
    key: &str,
    version: Option<&str>,
    rec: Option<ObjectRecord>,
) -> S3Result<ObjectRecord> {
    let resource = format!("/{bucket}/{key}");
    match (rec, version) {
        (Some(r), None) if r.delete_marker => {
            let mut e = S3Error::new(Code::NoSuchKey)
                .resource(resource)
                .extra("Key", key.to_owned());
            e.headers.push(("x-amz-delete-marker", "true".to_owned()));
            e.headers.push(("x-amz-version-id", r.version_label().to_owned()));
            Err(e)
        }
        (Some(r), Some(_)) if r.delete_marker => {
            let mut e = S3Error::new(Code::MethodNotAllowed)
                .resource(resource)
                .extra("Method", "GET")
                .extra("ResourceType", "DeleteMarker");
            e.headers.push(("x-amz-delete-marker", "true".to_owned()));
            e.headers.push(("x-amz-version-id", r.version_label().to_owned()));
            e.headers.push(("last-modified", http_date(r.mtime_ms)));
            Err(e)
        }
        (Some(r), _) => Ok(r),
        (None, version) => Err(missing(bucket, key, version)),
    }
}

/// The error for a key (`version` `None`) or a version that does not exist.
pub fn missing(bucket: &str, key: &str, version: Option<&str>) -> S3Error {
    let resource = format!("/{bucket}/{key}");
    match version {
        Some(v) => S3Error::new(Code::NoSuchVersion)
            .resource(resource)
            .extra("Key", key.to_owned())
            .extra("VersionId", v.to_owned()),
        None => S3Error::new(Code::NoSuchKey)
            .resource(resource)
            .extra("Key", key.to_owned()),
    }
}

/// The headers of a DeleteObject answer: the version removed or the marker created.
pub fn delete_headers(
    version: Option<&str>,
    removed: Option<&ObjectRecord>,
    marker: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    match (version, marker) {
        (Some(v), _) => {
            h.push(("x-amz-version-id", v.to_owned()));
            if removed.is_some_and(|r| r.delete_marker) {
                h.push(("x-amz-delete-marker", "true".to_owned()));
            }
        }
        (None, Some(m)) => {
            h.push(("x-amz-delete-marker", "true".to_owned()));
            h.push(("x-amz-version-id", m.to_owned()));
        }
        (None, None) => {}
    }
    h
}

/// Names the version a write to bucket `b` will create, before its blob is written (the blob's
/// xattr carries it, so `gateway reindex` can restore versions): a new id in an enabled bucket,
/// the null version's stamp in a suspended one, nothing in an unversioned one. The registry
/// keeps these at the commit.
pub fn preassign(b: &BucketRecord, rec: &mut ObjectRecord) {
    match b.versioning {
        Versioning::Unversioned => {}
        Versioning::Enabled => (rec.seq, rec.version_id) = metadata::new_version(),
        Versioning::Suspended => {
            rec.seq = metadata::new_version().0;
            rec.version_id.clear();
        }
    }
}

/// `resp` with `x-amz-version-id: version` when there is a version to show.
pub fn with_version(resp: S3Response, version: Option<String>) -> S3Response {
    match version {
        Some(v) => resp.header("x-amz-version-id", v),
        None => resp,
    }
}
