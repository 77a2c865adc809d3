//! Bucket lifecycle rules: validated from `PutBucketLifecycleConfiguration`'s document as AWS
//! validates them, which object a rule matches, when it expires, and the `x-amz-expiration`
//! header. Pure: no I/O, no clock (callers pass the time); the worker that applies the rules is
//! `crate::lifecycle`. Must not touch the registry.

use metadata::{BucketRecord, ObjectRecord};

use crate::s3::dates::parse_iso8601;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::xml;

/// The bucket configuration kind that holds the lifecycle rules.
pub const CONFIG_KIND: &str = "lifecycle";

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
pub fn after_days(start: u64, days: u32, day_ms: u64) -> u64 {
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
