//! Object lock: Put/GetObjectLockConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold,
//! and the rules the write and read handlers share: the `x-amz-object-lock-*` headers of a
//! write (or the bucket's default retention) and of a read, and the [`LockCheck`] of a delete.
//!
//! A bucket has object lock when its `object-lock` configuration document is set (at
//! CreateBucket with `x-amz-bucket-object-lock-enabled: true`, or by PutObjectLockConfiguration
//! on a versioned bucket); such a bucket stays versioned. Whether a version may be deleted is
//! decided by the registry, atomically with the delete ([`metadata::ObjectRecord::locked`]).
//! Must not format XML or touch actix types.

use metadata::{BucketRecord, LockCheck, ObjectRecord, Versioning};

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::dates::{iso8601, now_ms, parse_iso8601};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::versioning::{self, lock_enabled, LOCK_CONFIG_KIND};
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// Largest configuration body read.
const MAX_BODY: usize = 64 << 10;

/// Milliseconds in a day and in a year of a default retention (AWS counts a year as 365 days).
const DAY_MS: u64 = 86_400_000;

/// The lock a new version gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLock {
    /// Retention mode.
    pub mode: Option<String>,
    /// Retain-until, milliseconds.
    pub until_ms: u64,
    /// Legal hold.
    pub legal_hold: bool,
}

impl NewLock {
    /// Sets the lock fields of a new version's record.
    pub fn apply(&self, rec: &mut ObjectRecord) {
        rec.lock_mode.clone_from(&self.mode);
        rec.lock_until_ms = self.until_ms;
        rec.legal_hold = self.legal_hold;
    }
}

/// The default retention of bucket `b`: (mode, duration in milliseconds).
fn default_retention(b: &BucketRecord) -> Option<(String, u64)> {
    let conf = xml::ObjectLockConfiguration::from_xml(b.config(LOCK_CONFIG_KIND)?.as_bytes()).ok()?;
    let r = conf.rule?.default_retention;
    let days = u64::from(r.days.unwrap_or(0)) + u64::from(r.years.unwrap_or(0)) * 365;
    Some((r.mode, days * DAY_MS))
}

/// The object lock check of a delete by `ctx`: now, and whether it asks to bypass governance
/// retention.
pub fn lock_check(ctx: &Ctx) -> LockCheck {
    LockCheck {
        now_ms: now_ms(),
        bypass_governance: bypass(ctx),
    }
}

fn bypass(ctx: &Ctx) -> bool {
    ctx.req
        .header("x-amz-bypass-governance-retention")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Lock parameters sent to a bucket without object lock.
fn no_lock_configuration() -> S3Error {
    S3Error::with_message(
        Code::InvalidRequest,
        "Bucket is missing Object Lock Configuration",
    )
}

fn invalid(msg: &'static str) -> S3Error {
    S3Error::with_message(Code::InvalidArgument, msg)
}

fn valid_mode(m: &str) -> bool {
    m == "GOVERNANCE" || m == "COMPLIANCE"
}

/// The lock of a version written to bucket `b` (PutObject, CopyObject, CreateMultipartUpload):
/// from the `x-amz-object-lock-*` headers, else the bucket's default retention. `integrity`:
/// the request carries Content-MD5 or a checksum, which AWS requires with explicit lock headers
/// on a body-carrying write.
pub fn lock_for_write(ctx: &Ctx, b: &BucketRecord, integrity: bool) -> S3Result<NewLock> {
    let h = |n| ctx.req.header(n).map(str::trim);
    let (mode, until, hold) = (
        h("x-amz-object-lock-mode"),
        h("x-amz-object-lock-retain-until-date"),
        h("x-amz-object-lock-legal-hold"),
    );
    let now = now_ms();
    if mode.is_none() && until.is_none() && hold.is_none() {
        return Ok(match default_retention(b) {
            Some((mode, duration)) => NewLock {
                mode: Some(mode),
                until_ms: now + duration,
                legal_hold: false,
            },
            None => NewLock::default(),
        });
    }
    if !lock_enabled(b) {
        return Err(no_lock_configuration());
    }
    if !integrity {
        return Err(S3Error::with_message(
            Code::InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        ));
    }
    let mut lock = NewLock::default();
    match (mode, until) {
        (None, None) => {}
        (Some(m), Some(u)) => {
            if !valid_mode(m) {
                return Err(invalid("Unknown wormMode directive."));
            }
            let until = parse_iso8601(u)
                .ok_or_else(|| invalid("The retain until date must be a valid ISO 8601 time"))?;
            if until <= now {
                return Err(invalid("The retain until date must be in the future!"));
            }
            lock.mode = Some(m.to_owned());
            lock.until_ms = until;
        }
        _ => {
            return Err(invalid(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            ))
        }
    }
    lock.legal_hold = match hold {
        None | Some("OFF") => false,
        Some("ON") => true,
        Some(_) => return Err(invalid("Legal Hold must be either of 'ON' or 'OFF'")),
    };
    Ok(lock)
}

/// The `x-amz-object-lock-*` headers of a GET or HEAD of `rec`.
pub fn read_headers(rec: &ObjectRecord) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if let Some(m) = &rec.lock_mode {
        h.push(("x-amz-object-lock-mode", m.clone()));
        h.push(("x-amz-object-lock-retain-until-date", iso8601(rec.lock_until_ms)));
    }
    if rec.legal_hold {
        h.push(("x-amz-object-lock-legal-hold", "ON".to_owned()));
    }
    h
}

fn malformed(e: &xml::XmlError) -> S3Error {
    S3Error::with_message(Code::MalformedXML, e.to_string())
}

/// PutObjectLockConfiguration: turns object lock on (a versioned bucket only) and sets or
/// clears the default retention.
pub async fn put_object_lock_configuration(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let doc = super::checked_body(ctx, body, MAX_BODY).await?;
    let conf = xml::ObjectLockConfiguration::from_xml(&doc).map_err(|e| malformed(&e))?;
    if conf.object_lock_enabled.as_deref() != Some("Enabled") {
        return Err(S3Error::new(Code::MalformedXML));
    }
    if let Some(rule) = &conf.rule {
        let r = &rule.default_retention;
        if !valid_mode(&r.mode) {
            return Err(S3Error::new(Code::MalformedXML));
        }
        match (r.days, r.years) {
            (Some(d), None) if d > 0 => {}
            (None, Some(y)) if y > 0 => {}
            (Some(_), None) | (None, Some(_)) => {
                return Err(invalid(
                    "Default retention period must be a positive integer value",
                ))
            }
            _ => return Err(S3Error::new(Code::MalformedXML)),
        }
    }
    if !lock_enabled(&b) && b.versioning != Versioning::Enabled {
        return Err(S3Error::with_message(
            Code::InvalidBucketState,
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ));
    }
    let stored = conf.to_xml();
    let reg = ctx.state.registry.clone();
    let n = name.to_owned();
    blocking::try_run(move || {
        reg.set_bucket_config(&n, LOCK_CONFIG_KIND, Some(&stored))?;
        reg.flush()?;
        Ok(())
    })
    .await?;
    Ok(S3Response::empty(200))
}

/// GetObjectLockConfiguration.
pub async fn get_object_lock_configuration(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let stored = super::stored_config(
        &b,
        name,
        LOCK_CONFIG_KIND,
        Code::ObjectLockConfigurationNotFoundError,
    )?;
    Ok(S3Response::xml(stored.to_owned()))
}

/// Changes the lock fields of the version a retention or legal-hold request addresses, with
/// `change` deciding (and refusing with an S3 error) from the record it is given.
async fn change_lock(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    change: impl Fn(&mut ObjectRecord) -> S3Result<()> + Send + Sync + 'static,
) -> S3Result<ObjectRecord> {
    let b = ctx.bucket(bucket)?;
    if !lock_enabled(&b) {
        return Err(no_lock_configuration());
    }
    super::change_version(ctx, &b, bucket, key, change).await
}

/// PutObjectRetention: sets, extends, shortens or removes a version's retention. COMPLIANCE can
/// only be extended; shortening or removing a GOVERNANCE retention needs
/// `x-amz-bypass-governance-retention: true`.
pub async fn put_object_retention(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: RequestBody,
) -> S3Result<S3Response> {
    let doc = super::checked_body(ctx, body, MAX_BODY).await?;
    let r = xml::Retention::from_xml(&doc).map_err(|e| malformed(&e))?;
    let now = now_ms();
    let (mode, until) = match (r.mode, r.retain_until_date) {
        (None, None) => (None, 0),
        (Some(m), Some(u)) => {
            if !valid_mode(&m) {
                return Err(S3Error::new(Code::MalformedXML));
            }
            let until = parse_iso8601(&u).ok_or_else(|| S3Error::new(Code::MalformedXML))?;
            if until <= now {
                return Err(invalid("The retain until date must be in the future!"));
            }
            (Some(m), until)
        }
        _ => return Err(S3Error::new(Code::MalformedXML)),
    };
    let bypass = bypass(ctx);
    let rec = change_lock(ctx, bucket, key, move |rec| {
        let active = rec.lock_mode.is_some() && rec.lock_until_ms > now;
        let weakens =
            mode.is_none() || until < rec.lock_until_ms || mode.as_deref() != rec.lock_mode.as_deref();
        if active && weakens {
            let allowed = rec.lock_mode.as_deref() == Some("GOVERNANCE") && bypass;
            // Extending a GOVERNANCE retention to COMPLIANCE strengthens it: allowed.
            let strengthens = rec.lock_mode.as_deref() == Some("GOVERNANCE")
                && mode.as_deref() == Some("COMPLIANCE")
                && until >= rec.lock_until_ms;
            if !allowed && !strengthens {
                return Err(S3Error::with_message(
                    Code::AccessDenied,
                    "Access Denied because object protected by object lock.",
                ));
            }
        }
        rec.lock_mode.clone_from(&mode);
        rec.lock_until_ms = until;
        Ok(())
    })
    .await?;
    Ok(versioning::with_version(
        S3Response::empty(200),
        Some(rec.version_label().to_owned()),
    ))
}

/// GetObjectRetention.
pub async fn get_object_retention(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let rec = read_version(ctx, bucket, key).await?;
    let Some(mode) = rec.lock_mode else {
        return Err(S3Error::new(Code::NoSuchObjectLockConfiguration));
    };
    Ok(S3Response::xml(
        xml::Retention {
            xmlns: xml::Xmlns,
            mode: Some(mode),
            retain_until_date: Some(iso8601(rec.lock_until_ms)),
        }
        .to_xml(),
    ))
}

/// PutObjectLegalHold.
pub async fn put_object_legal_hold(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: RequestBody,
) -> S3Result<S3Response> {
    let doc = super::checked_body(ctx, body, MAX_BODY).await?;
    let hold = xml::LegalHold::from_xml(&doc).map_err(|e| malformed(&e))?;
    let on = match hold.status.as_str() {
        "ON" => true,
        "OFF" => false,
        _ => return Err(S3Error::new(Code::MalformedXML)),
    };
    change_lock(ctx, bucket, key, move |rec| {
        rec.legal_hold = on;
        Ok(())
    })
    .await?;
    Ok(S3Response::empty(200))
}

/// GetObjectLegalHold.
pub async fn get_object_legal_hold(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let rec = read_version(ctx, bucket, key).await?;
    Ok(S3Response::xml(
        xml::LegalHold {
            xmlns: xml::Xmlns,
            status: if rec.legal_hold { "ON" } else { "OFF" }.to_owned(),
        }
        .to_xml(),
    ))
}

/// The version a retention or legal-hold read addresses, in a bucket with object lock.
async fn read_version(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<ObjectRecord> {
    let version = versioning::version_param(ctx)?;
    let (b, rec) = ctx.bucket_and_object(bucket, key, version.as_deref()).await?;
    if !lock_enabled(&b) {
        return Err(no_lock_configuration());
    }
    versioning::addressed(bucket, key, version.as_deref(), rec)
}
