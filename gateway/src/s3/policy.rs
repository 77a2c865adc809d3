//! Bucket policies: reading a document (with AWS's `MalformedPolicy` messages), deciding whether
//! it is public, and evaluating it for one request: explicit `Deny` over `Allow` over nothing,
//! with Principal/NotPrincipal, Action/NotAction, Resource/NotResource (wildcards `*` and `?`)
//! and the common condition operators.
//!
//! The grammar (serde model, wildcard patterns) is the s3s project's `s3s-policy` crate; the
//! evaluation is here. Pure functions only: the request's values arrive as a [`Request`]; this
//! module must not read the registry or the HTTP request.

use std::net::IpAddr;

use s3s_policy::model::{
    ActionRule, ConditionRule, Effect, OneOrMore, Policy, Principal, PrincipalRule, ResourceRule, Statement,
    WildcardOneOrMore,
};
use s3s_policy::pattern::PatternSet;
use serde_json::Value;

use crate::s3::error::{Code, S3Error, S3Result};

/// The bucket configuration kind holding a bucket's policy (the JSON text as sent).
pub const POLICY_KIND: &str = "policy";

/// AWS's size limit for a bucket policy.
pub const MAX_POLICY_SIZE: usize = 20 * 1024;

/// The S3 actions a policy may name (compared case-insensitively, as AWS does).
pub const ACTIONS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:BypassGovernanceRetention",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucketOwnershipControls",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectLegalHold",
    "s3:GetObjectRetention",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionTagging",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectVersionTagging",
];

/// Condition keys that tie a statement to specific callers: an `Allow` to `*` limited by one of
/// them is not public (AWS's rule for `IsPublic`).
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
];

/// A parsed, validated bucket policy.
#[derive(Debug)]
pub struct BucketPolicy {
    policy: Policy,
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// Canonical id.
    pub id: &'a str,
    /// Access key id.
    pub access_key: &'a str,
}

/// One request, as a policy sees it.
pub struct Request<'a> {
    /// The caller; `None` for an anonymous request.
    pub caller: Option<Caller<'a>>,
    /// The action, such as `s3:GetObject`.
    pub action: &'a str,
    /// The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    /// Condition keys (lowercased) and their values.
    pub context: &'a [(&'static str, String)],
}

/// A policy's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A matching `Allow` statement and no matching `Deny`.
    Allow,
    /// A matching `Deny` statement.
    Deny,
    /// No statement matched.
    Neutral,
}

fn malformed(message: impl Into<String>) -> S3Error {
    S3Error::with_message(Code::MalformedPolicy, message.into())
}

impl BucketPolicy {
    /// Reads and validates a policy for bucket `bucket`.
    ///
    /// # Errors
    /// `MalformedPolicy` with AWS's message for what is wrong.
    pub fn parse(text: &str, bucket: &str) -> S3Result<BucketPolicy> {
        if text.len() > MAX_POLICY_SIZE {
            return Err(malformed("Policy exceeds the maximum allowed document size."));
        }
        let value: Value =
            serde_json::from_str(text).map_err(|_| malformed("This policy contains invalid Json"))?;
        let Value::Object(doc) = &value else {
            return Err(malformed("This policy contains invalid Json"));
        };
        if let Some(v) = doc.get("Version") {
            if v != "2012-10-17" && v != "2008-10-17" {
                return Err(malformed("The policy must contain a valid version string"));
            }
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => list.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => return Err(malformed("Missing required field Statement")),
        };
        for s in &statements {
            check_statement_shape(s)?;
        }
        let policy: Policy = serde_json::from_value(value.clone())
            .map_err(|e| malformed(format!("This policy contains invalid Json: {e}")))?;
        for s in policy.statement.as_slice() {
            check_statement(s, bucket)?;
        }
        Ok(BucketPolicy { policy })
    }

    /// True if an `Allow` statement reaches everyone without a restricting condition.
    pub fn is_public(&self) -> bool {
        self.policy.statement.as_slice().iter().any(statement_is_public)
    }

    /// Evaluates the policy; with `public_ignored`, public `Allow` statements (see
    /// [`BucketPolicy::is_public`]) count for nothing (`RestrictPublicBuckets`).
    pub fn evaluate(&self, req: &Request<'_>, public_ignored: bool) -> Decision {
        let mut allowed = false;
        for s in self.policy.statement.as_slice() {
            if !statement_matches(s, req) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::Deny,
                Effect::Allow => {
                    if !(public_ignored && statement_is_public(s)) {
                        allowed = true;
                    }
                }
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::Neutral
        }
    }
}

/// True for an `Allow` that reaches everyone (a wildcard principal, or `NotPrincipal`) without
/// a condition tying it to specific callers.
fn statement_is_public(s: &Statement) -> bool {
    s.effect == Effect::Allow
        && match &s.principal {
            Some(PrincipalRule::Principal(p)) => principal_is_wildcard(p),
            Some(PrincipalRule::NotPrincipal(_)) => true,
            None => false,
        }
        && !s.condition.as_ref().is_some_and(|c| {
            c.0.values().any(|kv| {
                kv.0.keys()
                    .any(|k| RESTRICTING_KEYS.contains(&k.to_ascii_lowercase().as_str()))
            })
        })
}

/// Checks what serde would report badly: Effect, Principal, Action and Resource presence.
fn check_statement_shape(s: &Value) -> S3Result<()> {
    let Value::Object(s) = s else {
        return Err(malformed("This policy contains invalid Json"));
    };
    match s.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        Some(other) => return Err(malformed(format!("Invalid effect: {other}"))),
        None => return Err(malformed("Missing required field Effect")),
    }
    if !s.contains_key("Principal") && !s.contains_key("NotPrincipal") {
        return Err(malformed("Missing required field Principal"));
    }
    if !s.contains_key("Action") && !s.contains_key("NotAction") {
        return Err(malformed("Missing required field Action"));
    }
    if !s.contains_key("Resource") && !s.contains_key("NotResource") {
        return Err(malformed("Missing required field Resource"));
    }
    Ok(())
}

fn check_statement(s: &Statement, bucket: &str) -> S3Result<()> {
    let actions = match &s.action {
        ActionRule::Action(a) | ActionRule::NotAction(a) => a,
    };
    if let Some(list) = actions.as_slice() {
        for a in list {
            if !valid_action(a) {
                return Err(malformed("Policy has invalid action"));
            }
        }
    }
    let resources = match &s.resource {
        ResourceRule::Resource(r) | ResourceRule::NotResource(r) => r,
    };
    if let Some(list) = resources.as_slice() {
        for r in list {
            if !valid_resource(r, bucket) {
                return Err(malformed("Policy has invalid resource"));
            }
        }
    }
    match &s.principal {
        Some(
            PrincipalRule::Principal(Principal::Map(m)) | PrincipalRule::NotPrincipal(Principal::Map(m)),
        ) => {
            if m.keys().any(|k| k != "AWS" && k != "CanonicalUser") || m.is_empty() {
                return Err(malformed("Invalid principal in policy"));
            }
        }
        Some(_) => {}
        None => return Err(malformed("Missing required field Principal")),
    }
    if let Some(c) = &s.condition {
        for op in c.0.keys() {
            if Operator::parse(op).is_none() {
                return Err(malformed(format!("Invalid Condition type : {op}")));
            }
        }
    }
    Ok(())
}

fn valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let lower = action.to_ascii_lowercase();
    if !lower.starts_with("s3:") {
        return false;
    }
    match PatternSet::new([lower.as_str()]) {
        Ok(p) => ACTIONS.iter().any(|a| p.is_match(&a.to_ascii_lowercase())),
        Err(_) => false,
    }
}

fn valid_resource(resource: &str, bucket: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Some(path) = resource.strip_prefix("arn:aws:s3:::") else {
        return false;
    };
    let bucket_part = path.split('/').next().unwrap_or("");
    // The bucket part must name this bucket (wildcards allowed: `*` covers it).
    PatternSet::new([bucket_part]).is_ok_and(|p| p.is_match(bucket))
}

fn principal_is_wildcard(p: &Principal) -> bool {
    match p {
        Principal::Wildcard => true,
        Principal::Map(m) => m
            .get("AWS")
            .is_some_and(|v| v.as_slice().iter().any(|s| s == "*")),
    }
}

/// True if `p` names the caller.
fn principal_matches(p: &Principal, caller: Option<Caller<'_>>) -> bool {
    if principal_is_wildcard(p) {
        return true;
    }
    let (Principal::Map(m), Some(c)) = (p, caller) else {
        return false;
    };
    m.iter().any(|(kind, values)| {
        values.as_slice().iter().any(|v| match kind.as_str() {
            "CanonicalUser" => v == c.id,
            _ => {
                v == c.id
                    || v == c.access_key
                    || v == &format!("arn:aws:iam::{}:root", c.id)
                    || v == &format!("arn:aws:iam::{}:user/{}", c.id, c.access_key)
            }
        })
    })
}

fn any_pattern(list: &WildcardOneOrMore<String>, input: &str, lowercase: bool) -> bool {
    let Some(list) = list.as_slice() else {
        return true; // "*"
    };
    list.iter().any(|p| {
        let (p, i) = if lowercase {
            (p.to_ascii_lowercase(), input.to_ascii_lowercase())
        } else {
            (p.clone(), input.to_owned())
        };
        PatternSet::new([p.as_str()]).is_ok_and(|set| set.is_match(&i))
    })
}

fn statement_matches(s: &Statement, req: &Request<'_>) -> bool {
    let principal = match &s.principal {
        Some(PrincipalRule::Principal(p)) => principal_matches(p, req.caller),
        Some(PrincipalRule::NotPrincipal(p)) => !principal_matches(p, req.caller),
        None => false,
    };
    let action = match &s.action {
        ActionRule::Action(a) => any_pattern(a, req.action, true),
        ActionRule::NotAction(a) => !any_pattern(a, req.action, true),
    };
    let resource = match &s.resource {
        ResourceRule::Resource(r) => any_pattern(r, req.resource, false),
        ResourceRule::NotResource(r) => !any_pattern(r, req.resource, false),
    };
    principal
        && action
        && resource
        && s.condition
            .as_ref()
            .is_none_or(|c| conditions_hold(c, req.context))
}

/// A condition operator with its modifiers.
#[derive(Debug, Clone, Copy)]
struct Operator {
    test: Test,
    negated: bool,
    if_exists: bool,
    for_all: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    Null,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let (for_all, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (true, r)
        } else {
            (false, name.strip_prefix("ForAnyValue:").unwrap_or(name))
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let (test, negated) = match base {
            "StringEquals" => (Test::StringEquals, false),
            "StringNotEquals" => (Test::StringEquals, true),
            "StringEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, true),
            "StringLike" => (Test::StringLike, false),
            "StringNotLike" => (Test::StringLike, true),
            "NumericEquals" => (Test::NumericEquals, false),
            "NumericNotEquals" => (Test::NumericEquals, true),
            "NumericLessThan" => (Test::NumericLessThan, false),
            "NumericLessThanEquals" => (Test::NumericLessThanEquals, false),
            "NumericGreaterThan" => (Test::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (Test::NumericGreaterThanEquals, false),
            "DateEquals" => (Test::DateEquals, false),
            "DateNotEquals" => (Test::DateEquals, true),
            "DateLessThan" => (Test::DateLessThan, false),
            "DateLessThanEquals" => (Test::DateLessThanEquals, false),
            "DateGreaterThan" => (Test::DateGreaterThan, false),
            "DateGreaterThanEquals" => (Test::DateGreaterThanEquals, false),
            "Bool" => (Test::Bool, false),
            "IpAddress" => (Test::IpAddress, false),
            "NotIpAddress" => (Test::IpAddress, true),
            "Null" if !if_exists => (Test::Null, false),
            _ => return None,
        };
        Some(Operator {
            test,
            negated,
            if_exists,
            for_all,
        })
    }
}

/// Every operator block, and every key in it, must hold (AND); a key's values are ORed.
fn conditions_hold(rule: &ConditionRule, context: &[(&'static str, String)]) -> bool {
    rule.0.iter().all(|(op, keys)| {
        let Some(op) = Operator::parse(op) else {
            return false;
        };
        keys.0.iter().all(|(key, wanted)| {
            let key = key.to_ascii_lowercase();
            let present: Vec<&str> = context
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
                .collect();
            key_holds(op, &present, wanted)
        })
    })
}

fn key_holds(op: Operator, present: &[&str], wanted: &OneOrMore<String>) -> bool {
    let wanted = wanted.as_slice();
    if op.test == Test::Null {
        // "Null": true means the key must be absent.
        let absent = present.is_empty();
        return wanted.iter().any(|w| w.eq_ignore_ascii_case("true") == absent);
    }
    if present.is_empty() {
        // An absent key: IfExists and negated operators hold, the rest do not; ForAllValues
        // over no values holds.
        return op.if_exists || op.negated || op.for_all;
    }
    let one = |v: &str| wanted.iter().any(|w| test_value(op.test, v, w));
    let matched = if op.for_all {
        present.iter().all(|v| one(v))
    } else {
        present.iter().any(|v| one(v))
    };
    matched != op.negated
}

fn test_value(test: Test, value: &str, wanted: &str) -> bool {
    match test {
        Test::StringEquals => value == wanted,
        Test::StringEqualsIgnoreCase | Test::Bool => value.eq_ignore_ascii_case(wanted),
        Test::StringLike => PatternSet::new([wanted]).is_ok_and(|p| p.is_match(value)),
        Test::IpAddress => ip_in(value, wanted),
        Test::NumericEquals
        | Test::NumericLessThan
        | Test::NumericLessThanEquals
        | Test::NumericGreaterThan
        | Test::NumericGreaterThanEquals => match (value.parse::<f64>(), wanted.parse::<f64>()) {
            (Ok(v), Ok(w)) => compare(test, v.partial_cmp(&w)),
            _ => false,
        },
        Test::DateEquals
        | Test::DateLessThan
        | Test::DateLessThanEquals
        | Test::DateGreaterThan
        | Test::DateGreaterThanEquals => match (parse_date(value), parse_date(wanted)) {
            (Some(v), Some(w)) => compare(test, Some(v.cmp(&w))),
            _ => false,
        },
        Test::Null => false,
    }
}

fn compare(test: Test, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    matches!(
        (test, ord),
        (Test::NumericEquals | Test::DateEquals, Some(Equal))
            | (Test::NumericLessThan | Test::DateLessThan, Some(Less))
            | (
                Test::NumericLessThanEquals | Test::DateLessThanEquals,
                Some(Less | Equal)
            )
            | (Test::NumericGreaterThan | Test::DateGreaterThan, Some(Greater))
            | (
                Test::NumericGreaterThanEquals | Test::DateGreaterThanEquals,
                Some(Greater | Equal)
            )
    )
}

/// A date as milliseconds since the epoch: ISO 8601 (with or without milliseconds) or epoch
/// seconds.
fn parse_date(text: &str) -> Option<u64> {
    if let Ok(secs) = text.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    crate::s3::dates::parse_iso8601(text).or_else(|| {
        // `2026-01-01T00:00:00Z` without milliseconds, or a plain date.
        let full = if text.len() == 10 {
            format!("{text}T00:00:00.000Z")
        } else {
            text.replace('Z', ".000Z")
        };
        crate::s3::dates::parse_iso8601(&full)
    })
}

fn ip_in(value: &str, cidr: &str) -> bool {
    let Ok(ip) = value.parse::<IpAddr>() else {
        return false;
    };
    if let Ok(net) = cidr.parse::<ipnet::IpNet>() {
        return net.contains(&ip);
    }
    cidr.parse::<IpAddr>().is_ok_and(|c| c == ip)
}

#[cfg(test)]
mod tests;
