//! DeleteObjects: many deletes in one request, each key authorized and answered on its own.
//! Must not format XML or touch actix types.

use metadata::PutCondition;

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::object_lock;
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// Most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

/// DeleteObjects: up to 1000 keys, per-key results, quiet mode. The body must carry an
/// integrity header (Content-MD5 or an `x-amz-checksum-*`, as current SDKs send), and it is
/// verified before anything is deleted.
pub async fn delete_objects(ctx: &Ctx, bucket: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let doc = super::checked_body(ctx, body, 2 << 20).await?;
    let lock = object_lock::lock_check(ctx);
    let req =
        xml::Delete::from_xml(&doc).map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    if req.objects.is_empty() || req.objects.len() > MAX_DELETE_KEYS {
        return Err(S3Error::with_message(
            Code::MalformedXML,
            format!("A DeleteObjects request names 1 to {MAX_DELETE_KEYS} keys."),
        ));
    }
    // Each key is authorized on its own, as AWS does: a denied key is a per-key AccessDenied.
    let allowed: Vec<bool> = req
        .objects
        .iter()
        .map(|o| {
            let action = if o.version_id.is_some() {
                "s3:DeleteObjectVersion"
            } else {
                "s3:DeleteObject"
            };
            ctx.may(action, &o.key)
        })
        .collect();
    let reg = ctx.state.registry.clone();
    let quiet = req.quiet;
    let objects = req.objects;
    let result = blocking::try_run(move || {
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for (o, allowed) in objects.into_iter().zip(allowed) {
            match delete_one(&reg, b.id, &o, allowed, lock) {
                Ok(d) => deleted.push(d),
                Err((code, msg)) => errors.push(xml::DeleteError {
                    key: o.key,
                    version_id: o.version_id,
                    code: code.as_str().to_owned(),
                    message: msg.to_owned(),
                }),
            }
        }
        reg.flush()?;
        Ok(xml::DeleteResult {
            xmlns: xml::Xmlns,
            deleted: if quiet { Vec::new() } else { deleted },
            errors,
        })
    })
    .await?;
    Ok(S3Response::xml(result.to_xml()))
}

/// Deletes one key (or version) of a DeleteObjects request, or says why not.
fn delete_one(
    reg: &metadata::Registry,
    bucket: u64,
    o: &xml::ObjectIdentifier,
    allowed: bool,
    lock: metadata::LockCheck,
) -> Result<xml::Deleted, (Code, &'static str)> {
    if o.version_id
        .as_deref()
        .is_some_and(|v| !metadata::is_version_id(v))
    {
        return Err((Code::NoSuchVersion, "The specified version does not exist."));
    }
    if o.key.is_empty() || o.key.len() > crate::s3::router::MAX_KEY_LEN {
        return Err((Code::InvalidArgument, "Invalid key"));
    }
    if !allowed {
        return Err((Code::AccessDenied, Code::AccessDenied.message()));
    }
    let cond = match &o.etag {
        Some(e) => PutCondition::IfMatch(e.trim_matches('"').to_owned()),
        None => PutCondition::None,
    };
    let outcome = match &o.version_id {
        Some(v) => reg
            .delete_version(bucket, o.key.as_bytes(), v, lock)
            .map(|removed| {
                let marker = removed.as_ref().is_some_and(|r| r.delete_marker);
                (marker, marker.then(|| v.clone()))
            }),
        None => reg
            .delete_object(bucket, o.key.as_bytes(), &cond)
            .map(|d| (d.marker.is_some(), d.marker)),
    };
    match outcome {
        Ok((delete_marker, delete_marker_version_id)) => Ok(xml::Deleted {
            key: o.key.clone(),
            version_id: o.version_id.clone(),
            delete_marker,
            delete_marker_version_id,
        }),
        Err(metadata::Error::ObjectLocked) => Err((
            Code::AccessDenied,
            "Access Denied because object protected by object lock.",
        )),
        Err(metadata::Error::PreconditionFailed) => Err((
            Code::PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold",
        )),
        Err(e) => {
            tracing::error!(error = %e, "DeleteObjects: registry delete failed");
            Err((Code::InternalError, Code::InternalError.message()))
        }
    }
}
