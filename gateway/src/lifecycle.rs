//! Bucket lifecycle: the rules (validated from `PutBucketLifecycleConfiguration`'s document,
//! as AWS validates them), which object a rule matches and when it expires, and the background
//! worker that applies the rules: Expiration (Days, Date, ExpiredObjectDeleteMarker),
//! NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions) and
//! AbortIncompleteMultipartUpload (DaysAfterInitiation).
//!
//! The worker walks each bucket with rules in pages (one registry call per page of at most
//! [`PAGE`] entries, one transaction per delete, so the registry is never held for long) every
//! `lifecycle_interval`; a pass is idempotent, so one cut by a stop or a crash is simply redone
//! by the next. Every delete is conditional (the object's ETag for current versions) and goes
//! through the registry's object-lock check, so a locked version is skipped, never removed.
//! "One day" is `lifecycle_day` (86,400 s unless set shorter for tests, like RGW's
//! `rgw_lc_debug_interval`). Must not delete blobs (the registry queues them for the sweeper).

use std::sync::Arc;

use metadata::{
    BucketRecord, ListEntry, ListQuery, LockCheck, ObjectRecord, PutCondition, Registry, VersionEntry,
    VersionQuery, Versioning,
};
use tokio::sync::watch;

use crate::s3::dates::{now_ms, parse_iso8601};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::xml;
use crate::s3::AppState;
use crate::{background, blocking};

/// The bucket configuration kind that holds the lifecycle rules.
pub const CONFIG_KIND: &str = "lifecycle";

/// Entries read per registry call of the worker.
pub const PAGE: usize = 500;

/// Most rules in a configuration (AWS: 1,000).
const MAX_RULES: usize = 1000;

/// Milliseconds in a real day.
const DAY_MS: u64 = 86_400_000;

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Rule id (AWS makes one up when absent; so does this).
    pub id: String,
    /// Key prefix the rule applies to.
    pub prefix: String,
    /// Tags an object must carry.
    pub tags: Vec<(String, String)>,
    /// Sizes strictly between (bytes).
    pub size_gt: Option<u64>,
    /// Sizes strictly below (bytes).
    pub size_lt: Option<u64>,
    /// Expire current versions this many days after creation.
    pub expire_days: Option<u32>,
    /// Expire current versions at this time (ms).
    pub expire_date_ms: Option<u64>,
    /// Remove delete markers that hide nothing.
    pub expired_marker: bool,
    /// Expire noncurrent versions this many days after they became noncurrent.
    pub noncurrent_days: Option<u32>,
    /// Keep this many newest noncurrent versions whatever their age.
    pub newer_noncurrent: Option<u32>,
    /// Abort multipart uploads this many days after initiation.
    pub abort_days: Option<u32>,
}

fn invalid(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(Code::InvalidArgument, msg.into())
}

/// Validates a configuration document into the enabled rules and the canonical document to
/// store. Errors are AWS's: `MalformedXML` for structure, `InvalidArgument` for values,
/// `NotImplemented` for transitions (there is one storage class).
pub fn parse(doc: &[u8]) -> S3Result<(Vec<Rule>, String)> {
    let conf = xml::LifecycleConfiguration::from_xml(doc)
        .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    if conf.rules.is_empty() || conf.rules.len() > MAX_RULES {
        return Err(S3Error::new(Code::MalformedXML));
    }
    let mut ids = std::collections::HashSet::new();
    let mut rules = Vec::new();
    for (n, r) in conf.rules.iter().enumerate() {
        if let Some(action) = r.unsupported.first() {
            return Err(S3Error::not_implemented(&format!("Lifecycle {action}")));
        }
        let id = r.id.clone().unwrap_or_else(|| format!("rule-{}", n + 1));
        if id.len() > 255 {
            return Err(invalid("ID length should not exceed allowed limit of 255"));
        }
        if !ids.insert(id.clone()) {
            return Err(invalid(
                "Rule ID must be unique. Found same ID for more than one rule",
            ));
        }
        let enabled = match r.status.as_str() {
            "Enabled" => true,
            "Disabled" => false,
            _ => return Err(S3Error::new(Code::MalformedXML)),
        };
        let rule = rule_of(id, r)?;
        if enabled {
            rules.push(rule);
        }
    }
    Ok((rules, conf.to_xml()))
}

/// The filter (or legacy prefix) of `r` into `rule`.
fn filter_of(rule: &mut Rule, r: &xml::LifecycleRule) -> S3Result<()> {
    match (&r.filter, &r.prefix) {
        (Some(_), Some(_)) => return Err(S3Error::new(Code::MalformedXML)),
        (None, Some(p)) => rule.prefix.clone_from(p),
        (None, None) => {}
        (Some(f), None) => {
            let set = [f.prefix.is_some(), f.tag.is_some(), f.and.is_some()]
                .iter()
                .filter(|x| **x)
                .count()
                + usize::from(f.object_size_greater_than.is_some() || f.object_size_less_than.is_some());
            if set > 1 {
                return Err(S3Error::new(Code::MalformedXML));
            }
            rule.prefix = f.prefix.clone().unwrap_or_default();
            if let Some(t) = &f.tag {
                rule.tags.push((t.key.clone(), t.value.clone()));
            }
            rule.size_gt = f.object_size_greater_than;
            rule.size_lt = f.object_size_less_than;
            if let Some(a) = &f.and {
                rule.prefix = a.prefix.clone().unwrap_or_default();
                rule.tags = a.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
                rule.size_gt = a.object_size_greater_than;
                rule.size_lt = a.object_size_less_than;
            }
        }
    }
    if let (Some(gt), Some(lt)) = (rule.size_gt, rule.size_lt) {
        if gt >= lt {
            return Err(invalid(
                "ObjectSizeGreaterThan must be less than ObjectSizeLessThan",
            ));
        }
    }
    Ok(())
}

/// The `Expiration` action `e` into `rule`.
fn expiration_of(rule: &mut Rule, e: &xml::LifecycleExpiration) -> S3Result<()> {
    let marker = e.expired_object_delete_marker == Some(true);
    match (e.days, &e.date, marker) {
        (Some(0), _, _) => return Err(invalid("'Days' for Expiration action must be a positive integer")),
        (Some(d), None, false) => rule.expire_days = Some(d),
        (None, Some(date), false) => {
            let ms = parse_iso8601(date).ok_or_else(|| invalid("'Date' must be in ISO 8601 format"))?;
            if ms % DAY_MS != 0 {
                return Err(invalid("'Date' must be at midnight GMT"));
            }
            rule.expire_date_ms = Some(ms);
        }
        (None, None, true) => {
            if !rule.tags.is_empty() {
                return Err(invalid(
                    "ExpiredObjectDeleteMarker cannot be specified with tags.",
                ));
            }
            rule.expired_marker = true;
        }
        (None, None, false) if e.expired_object_delete_marker == Some(false) => {}
        _ => return Err(S3Error::new(Code::MalformedXML)),
    }
    Ok(())
}

/// One rule's values, checked.
fn rule_of(id: String, r: &xml::LifecycleRule) -> S3Result<Rule> {
    let mut rule = Rule {
        id,
        prefix: String::new(),
        tags: Vec::new(),
        size_gt: None,
        size_lt: None,
        expire_days: None,
        expire_date_ms: None,
        expired_marker: false,
        noncurrent_days: None,
        newer_noncurrent: None,
        abort_days: None,
    };
    filter_of(&mut rule, r)?;
    let mut actions = 0;
    if let Some(e) = &r.expiration {
        actions += 1;
        expiration_of(&mut rule, e)?;
    }
    if let Some(n) = &r.noncurrent_version_expiration {
        actions += 1;
        match n.noncurrent_days {
            Some(0) | None => {
                return Err(invalid(
                    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                ))
            }
            Some(d) => rule.noncurrent_days = Some(d),
        }
        if n.newer_noncurrent_versions == Some(0) {
            return Err(invalid("'NewerNoncurrentVersions' must be a positive integer"));
        }
        rule.newer_noncurrent = n.newer_noncurrent_versions;
    }
    if let Some(a) = &r.abort_incomplete_multipart_upload {
        actions += 1;
        if !rule.tags.is_empty() {
            return Err(invalid(
                "AbortIncompleteMultipartUpload cannot be specified with tags.",
            ));
        }
        match a.days_after_initiation {
            Some(0) | None => return Err(invalid(
                "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
            )),
            Some(d) => rule.abort_days = Some(d),
        }
    }
    if actions == 0 {
        return Err(invalid("At least one action needs to be specified in a rule"));
    }
    Ok(rule)
}

/// The enabled rules of bucket `b` (none when it has no configuration, or a stored one that no
/// longer parses, which only a damaged record holds).
pub fn rules_of(b: &BucketRecord) -> Vec<Rule> {
    b.config(CONFIG_KIND)
        .and_then(|doc| parse(doc.as_bytes()).ok())
        .map(|(rules, _)| rules)
        .unwrap_or_default()
}

impl Rule {
    /// True if the rule applies to `key` with this size and these tags.
    pub fn matches(&self, key: &[u8], size: u64, tags: &[(String, String)]) -> bool {
        key.starts_with(self.prefix.as_bytes())
            && self.tags.iter().all(|t| tags.contains(t))
            && self.size_gt.is_none_or(|g| size > g)
            && self.size_lt.is_none_or(|l| size < l)
    }

    /// When a current version made at `mtime_ms` expires under this rule, if it does.
    pub fn expiry(&self, mtime_ms: u64, day_ms: u64) -> Option<u64> {
        let by_days = self.expire_days.map(|d| after_days(mtime_ms, d, day_ms));
        match (by_days, self.expire_date_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// `start` plus `days` days: with real days, rounded up to the next midnight UTC (AWS's rule);
/// with a shortened day (tests), exact.
fn after_days(start: u64, days: u32, day_ms: u64) -> u64 {
    let t = start.saturating_add(u64::from(days).saturating_mul(day_ms));
    if day_ms == DAY_MS {
        t.div_ceil(DAY_MS) * DAY_MS
    } else {
        t
    }
}

/// The `x-amz-expiration` header of current version `rec` of `key` in bucket `b`: the earliest
/// expiry among the rules that match it.
pub fn expiration_header(b: &BucketRecord, key: &str, rec: &ObjectRecord, day_ms: u64) -> Option<String> {
    b.config(CONFIG_KIND)?;
    rules_of(b)
        .iter()
        .filter(|r| r.matches(key.as_bytes(), rec.size, &rec.tags))
        .filter_map(|r| r.expiry(rec.mtime_ms, day_ms).map(|t| (t, r.id.clone())))
        .min()
        .map(|(t, id)| {
            format!(
                "expiry-date=\"{}\", rule-id=\"{}\"",
                crate::s3::dates::http_date(t),
                id.replace('"', "")
            )
        })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rules: &str) -> Vec<u8> {
        format!("<LifecycleConfiguration>{rules}</LifecycleConfiguration>").into_bytes()
    }

    #[test]
    fn validation_matches_aws() {
        let ok = |r: &str| parse(&doc(r)).map(|(rules, _)| rules);
        let code = |r: &str| parse(&doc(r)).unwrap_err().code;
        let rules = ok(
            "<Rule><ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>\
                        <Expiration><Days>3</Days></Expiration></Rule>",
        )
        .unwrap();
        assert_eq!(rules[0].prefix, "logs/");
        assert_eq!(rules[0].expire_days, Some(3));
        assert!(
            ok("<Rule><Status>Disabled</Status><Expiration><Days>3</Days></Expiration></Rule>")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            code("<Rule><Status>Enabled</Status></Rule>"),
            Code::InvalidArgument,
            "no action"
        );
        assert_eq!(
            code("<Rule><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>"),
            Code::InvalidArgument
        );
        assert_eq!(
            code("<Rule><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule>"),
            Code::MalformedXML
        );
        assert_eq!(
            code(
                "<Rule><ID>x</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>\
                  <Rule><ID>x</ID><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            ),
            Code::InvalidArgument,
            "duplicate ids"
        );
        assert_eq!(
            code("<Rule><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>"),
            Code::MalformedXML
        );
        assert_eq!(
            code("<Rule><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>"),
            Code::InvalidArgument,
            "not midnight"
        );
        assert_eq!(
            code("<Rule><Status>Enabled</Status><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Expiration><Days>1</Days></Expiration></Rule>"),
            Code::MalformedXML,
            "two filter children without And"
        );
        assert_eq!(
            code("<Rule><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"),
            Code::NotImplemented
        );
        assert_eq!(code(""), Code::MalformedXML, "no rule");
        let and = ok("<Rule><Status>Enabled</Status><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>\
                      <ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter>\
                      <NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>\
                      <AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>");
        assert_eq!(and.unwrap_err().code, Code::InvalidArgument, "abort with tags");
    }

    #[test]
    fn matching_and_expiry() {
        let (rules, _) = parse(&doc(
            "<Rule><ID>r</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>\
             <ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>\
             <Expiration><Days>2</Days></Expiration></Rule>",
        ))
        .unwrap();
        let r = &rules[0];
        let tags = vec![("k".to_owned(), "v".to_owned())];
        assert!(r.matches(b"p/x", 11, &tags));
        assert!(!r.matches(b"p/x", 10, &tags), "size not greater");
        assert!(!r.matches(b"q/x", 11, &tags), "prefix");
        assert!(!r.matches(b"p/x", 11, &[]), "tag");
        // Real days round up to midnight UTC; a shortened day is exact.
        assert_eq!(r.expiry(1, DAY_MS), Some(3 * DAY_MS));
        assert_eq!(r.expiry(1, 1000), Some(2001));
    }
}
