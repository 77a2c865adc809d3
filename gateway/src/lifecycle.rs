//! The lifecycle worker: applies each bucket's lifecycle rules (`s3::lifecycle`): Expiration
//! (Days, Date, ExpiredObjectDeleteMarker), NoncurrentVersionExpiration (NoncurrentDays,
//! NewerNoncurrentVersions) and AbortIncompleteMultipartUpload.
//!
//! It walks each bucket with rules in pages (one registry call per page of at most [`PAGE`]
//! entries, one transaction per delete, so the registry is never held for long) every
//! `lifecycle_interval`; a pass is idempotent, so one cut by a stop or a crash is simply redone
//! by the next. Every delete is conditional (the object's ETag for current versions) and goes
//! through the registry's object-lock check, so a locked version is skipped, never removed.
//! "One day" is `lifecycle_day` (86,400 s unless set shorter for tests, like RGW's
//! `rgw_lc_debug_interval`). Must not delete blobs (the registry queues them for the sweeper)
//! and must not interpret rules itself.

use std::sync::Arc;

use metadata::{
    BucketRecord, ListEntry, ListQuery, LockCheck, PutCondition, Registry, VersionEntry, VersionQuery,
    Versioning,
};
use tokio::sync::watch;

use crate::s3::dates::now_ms;
use crate::s3::error::S3Result;
use crate::s3::lifecycle::{after_days, rules_of, Rule};
use crate::s3::AppState;
use crate::{background, blocking};

/// Entries read per registry call.
pub const PAGE: usize = 500;

/// Milliseconds in a real day.
const DAY_MS: u64 = 86_400_000;

/// Starts the worker (nothing when `interval` is `None`).
pub fn start(state: Arc<AppState>) -> Option<background::Handle> {
    let interval = state.config.lifecycle_interval?;
    let day_ms = u64::try_from(state.config.lifecycle_day.as_millis())
        .unwrap_or(DAY_MS)
        .max(1);
    Some(background::spawn(move |mut stop| async move {
        loop {
            if let Err(e) = pass(&state, day_ms, &stop).await {
                tracing::warn!(error = %e, "lifecycle pass failed; retried next interval");
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
        }
    }))
}

/// What one pass did (for the log and the tests' metrics).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    /// Current versions expired (removed or hidden by a marker).
    pub expired: u64,
    /// Noncurrent versions and delete markers removed.
    pub removed_versions: u64,
    /// Uploads aborted.
    pub aborted: u64,
    /// Versions a lock kept.
    pub locked: u64,
}

/// One pass over every bucket with rules.
async fn pass(state: &Arc<AppState>, day_ms: u64, stop: &watch::Receiver<bool>) -> S3Result<PassStats> {
    let mut total = PassStats::default();
    let mut after: Option<String> = None;
    loop {
        let reg = state.registry.clone();
        let start = after.clone();
        let (buckets, more) =
            blocking::try_run(move || Ok(reg.list_buckets(None, start.as_deref(), 100)?)).await?;
        for b in &buckets {
            if *stop.borrow() {
                return Ok(total);
            }
            let rules = rules_of(b);
            if rules.is_empty() {
                continue;
            }
            let s = bucket_pass(state.registry.clone(), b.clone(), rules, day_ms).await?;
            total.expired += s.expired;
            total.removed_versions += s.removed_versions;
            total.aborted += s.aborted;
            total.locked += s.locked;
        }
        if !more {
            break;
        }
        after = buckets.last().map(|b| b.name.clone());
    }
    if total != PassStats::default() {
        tracing::info!(?total, "lifecycle pass");
    }
    Ok(total)
}

/// Applies `rules` to bucket `b`, page by page.
async fn bucket_pass(reg: Registry, b: BucketRecord, rules: Vec<Rule>, day_ms: u64) -> S3Result<PassStats> {
    let rules = Arc::new(rules);
    let mut stats = PassStats::default();
    if rules
        .iter()
        .any(|r| r.expire_days.is_some() || r.expire_date_ms.is_some())
    {
        let mut start: Option<Vec<u8>> = None;
        loop {
            let (reg, rules, b2, s) = (reg.clone(), rules.clone(), b.clone(), start.clone());
            let (n, next) =
                blocking::try_run(move || Ok(expire_current(&reg, &b2, &rules, s, day_ms)?)).await?;
            stats.expired += n;
            match next {
                Some(k) => start = Some(k),
                None => break,
            }
        }
    }
    let versions = rules
        .iter()
        .any(|r| r.noncurrent_days.is_some() || r.expired_marker);
    if versions && b.versioning != Versioning::Unversioned {
        let mut from: Option<VersionMarker> = None;
        let mut carry = KeyCarry::default();
        loop {
            let (reg, rules, id, start) = (reg.clone(), rules.clone(), b.id, from.clone());
            let (done, next, carried) =
                blocking::try_run(move || Ok(expire_versions(&reg, id, &rules, start, carry, day_ms)?))
                    .await?;
            carry = carried;
            stats.removed_versions += done.removed_versions;
            stats.locked += done.locked;
            match next {
                Some(marker) => from = Some(marker),
                None => break,
            }
        }
    }
    if rules.iter().any(|r| r.abort_days.is_some()) {
        let (reg, rules, id) = (reg.clone(), rules.clone(), b.id);
        stats.aborted += blocking::try_run(move || Ok(abort_uploads(&reg, id, &rules, day_ms)?)).await?;
    }
    Ok(stats)
}

/// One page of current objects: expires those a rule has expired. Returns how many, and where
/// the next page starts.
fn expire_current(
    reg: &Registry,
    b: &BucketRecord,
    rules: &[Rule],
    start: Option<Vec<u8>>,
    day_ms: u64,
) -> metadata::Result<(u64, Option<Vec<u8>>)> {
    let page = reg.list_objects(
        b.id,
        &ListQuery {
            start_after: start,
            max: PAGE,
            ..ListQuery::default()
        },
    )?;
    let now = now_ms();
    let mut n = 0;
    for e in &page.entries {
        let ListEntry::Object(key, rec) = e else { continue };
        let due = rules
            .iter()
            .filter(|r| r.matches(key, rec.size, &rec.tags))
            .filter_map(|r| r.expiry(rec.mtime_ms, day_ms))
            .any(|t| t <= now);
        if due {
            // Conditional on the ETag: an object overwritten since the page was read is new.
            match reg.delete_object(b.id, key, &PutCondition::IfMatch(rec.etag.clone())) {
                Ok(_) => n += 1,
                Err(metadata::Error::PreconditionFailed) => {}
                Err(e) => return Err(e),
            }
        }
    }
    if n > 0 {
        reg.flush()?;
    }
    Ok((n, page.truncated.then_some(page.next_marker).flatten()))
}

/// What a version page hands to the next about the key it ended in.
#[derive(Debug, Default, Clone)]
struct KeyCarry {
    key: Vec<u8>,
    /// The mtime of the last version seen of `key` (the next one became noncurrent then).
    newer_mtime: Option<u64>,
    /// Noncurrent versions of `key` seen so far.
    noncurrent_seen: u32,
    /// Versions of `key` seen so far.
    seen: u32,
}

/// Where a version page starts: key marker and version marker.
type VersionMarker = (Vec<u8>, String);

/// One page of versions: removes expired noncurrent versions and delete markers that hide
/// nothing. Returns what it did, where the next page starts (key and version markers) and what
/// it knows of the key the page ended in.
fn expire_versions(
    reg: &Registry,
    bucket: u64,
    rules: &[Rule],
    from: Option<VersionMarker>,
    mut carry: KeyCarry,
    day_ms: u64,
) -> metadata::Result<(PassStats, Option<VersionMarker>, KeyCarry)> {
    let (key_marker, version_marker) = from.map_or((None, None), |(k, v)| (Some(k), Some(v)));
    let page = reg.list_versions(
        bucket,
        &VersionQuery {
            key_marker,
            version_marker,
            max: PAGE,
            ..VersionQuery::default()
        },
    )?;
    let now = now_ms();
    let check = LockCheck {
        now_ms: now,
        bypass_governance: false,
    };
    let mut stats = PassStats::default();
    let entries: Vec<&VersionEntry> = page.entries.iter().collect();
    for (i, e) in entries.iter().enumerate() {
        let VersionEntry::Version {
            key,
            record,
            is_latest,
        } = e
        else {
            continue;
        };
        if carry.key != *key {
            carry = KeyCarry {
                key: key.clone(),
                ..KeyCarry::default()
            };
        }
        let became_noncurrent = carry.newer_mtime;
        carry.newer_mtime = Some(record.mtime_ms);
        carry.seen += 1;
        let matching = rules.iter().filter(|r| r.matches(key, record.size, &record.tags));
        let mut remove = false;
        if *is_latest {
            // A marker that hides nothing: the only version left of its key.
            let wanted = record.delete_marker
                && rules
                    .iter()
                    .any(|r| r.expired_marker && key.starts_with(r.prefix.as_bytes()));
            remove = wanted
                && match entries.get(i + 1) {
                    Some(VersionEntry::Version { key: k, .. }) => k != key,
                    Some(VersionEntry::CommonPrefix(_)) => true,
                    None if !page.truncated => true,
                    None => only_version(reg, bucket, key)?,
                };
        } else {
            carry.noncurrent_seen += 1;
            for r in matching {
                let (Some(days), Some(since)) = (r.noncurrent_days, became_noncurrent) else {
                    continue;
                };
                let kept = r.newer_noncurrent.is_some_and(|n| carry.noncurrent_seen <= n);
                if !kept && after_days(since, days, day_ms) <= now {
                    remove = true;
                }
            }
        }
        if remove {
            match reg.delete_version(bucket, key, record.version_label(), check) {
                Ok(_) => stats.removed_versions += 1,
                Err(metadata::Error::ObjectLocked) => stats.locked += 1,
                Err(e) => return Err(e),
            }
        }
    }
    if stats.removed_versions > 0 {
        reg.flush()?;
    }
    let next = page
        .truncated
        .then(|| page.next_key_marker.zip(page.next_version_marker))
        .flatten();
    Ok((stats, next, carry))
}

/// True if `key` has exactly one version (or marker) in bucket `bucket`.
fn only_version(reg: &Registry, bucket: u64, key: &[u8]) -> metadata::Result<bool> {
    let page = reg.list_versions(
        bucket,
        &VersionQuery {
            prefix: key.to_vec(),
            max: 2,
            ..VersionQuery::default()
        },
    )?;
    let of_key = page
        .entries
        .iter()
        .filter(|e| matches!(e, VersionEntry::Version { key: k, .. } if k == key))
        .count();
    Ok(of_key == 1)
}

/// Aborts the uploads a rule has expired (all pages).
fn abort_uploads(reg: &Registry, bucket: u64, rules: &[Rule], day_ms: u64) -> metadata::Result<u64> {
    let now = now_ms();
    let mut n = 0;
    let (mut key_marker, mut id_marker): (Option<Vec<u8>>, Option<String>) = (None, None);
    loop {
        let (uploads, more) =
            reg.list_uploads(bucket, b"", key_marker.as_deref(), id_marker.as_deref(), PAGE)?;
        for u in &uploads {
            let due = rules.iter().any(|r| {
                r.abort_days.is_some_and(|d| {
                    u.record.key.starts_with(r.prefix.as_bytes())
                        && after_days(u.record.initiated_ms, d, day_ms) <= now
                })
            });
            if due {
                match reg.abort_upload(&u.id) {
                    Ok(()) => n += 1,
                    Err(metadata::Error::NoSuchUpload) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if !more {
            break;
        }
        key_marker = uploads.last().map(|u| u.record.key.clone());
        id_marker = uploads.last().map(|u| u.id.clone());
    }
    if n > 0 {
        reg.flush()?;
    }
    Ok(n)
}
