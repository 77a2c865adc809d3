//! POST policies: the base64 JSON document a browser form carries in its `policy` field, and
//! its evaluation against the form (AWS: "Creating a POST Policy").
//!
//! Owns: decoding and validating the document (`expiration`, `conditions`: exact matches in
//! object or `eq` form, `starts-with`, `content-length-range`), the expiry check, the
//! condition checks, and the rule that every form field must be covered by a condition.
//! Field names are case-insensitive. Every failure is the S3 error AWS answers with:
//! `InvalidPolicyDocument` for a document that cannot be read, `AccessDenied` "Invalid according
//! to Policy: ..." for one the form does not satisfy. Must not read the body, check signatures
//! or read the clock (the caller passes `now`); the file size is checked by the caller while
//! streaming, with [`Policy::length_range`].

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::s3::error::{Code, S3Error, S3Result};

/// Form fields no condition needs to cover (AWS: `x-amz-signature`, `file`, `policy`, and
/// names starting with `x-ignore-`; in a SigV2 form `AWSAccessKeyId` and `signature`).
const UNCOVERED: [&str; 5] = ["x-amz-signature", "file", "policy", "awsaccesskeyid", "signature"];

/// One condition of a policy. Field names are lowercase, without the `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The field must equal `value` (`{"field": "value"}` or `["eq", "$field", "value"]`).
    Eq {
        /// Lowercase field name.
        field: String,
        /// The required value.
        value: String,
        /// The condition as AWS prints it in an error, `["eq", "$key", "a"]`.
        text: String,
    },
    /// The field must start with `prefix`; an empty prefix allows anything.
    StartsWith {
        /// Lowercase field name.
        field: String,
        /// The required prefix.
        prefix: String,
        /// The condition as AWS prints it in an error.
        text: String,
    },
    /// The uploaded file's size must be within `min..=max` bytes.
    LengthRange {
        /// Smallest size allowed.
        min: u64,
        /// Largest size allowed.
        max: u64,
    },
}

/// A decoded POST policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// When the policy stops being valid.
    pub expiration: OffsetDateTime,
    /// Its conditions, in document order.
    pub conditions: Vec<Condition>,
}

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(
        Code::InvalidPolicyDocument,
        format!("Invalid Policy: {}", message.into()),
    )
}

fn denied(message: impl std::fmt::Display) -> S3Error {
    S3Error::with_message(
        Code::AccessDenied,
        format!("Invalid according to Policy: {message}"),
    )
}

impl Policy {
    /// Decodes the `policy` form field: base64 (line breaks tolerated), then JSON.
    pub fn parse(b64: &str) -> S3Result<Policy> {
        let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let raw = B64
            .decode(compact.as_bytes())
            .map_err(|_| invalid("Invalid Base64 encoding of the policy document."))?;
        let doc: Value = serde_json::from_slice(&raw).map_err(|_| invalid("Invalid JSON."))?;
        let Value::Object(doc) = doc else {
            return Err(invalid("The policy document must be a JSON object."));
        };
        let expiration = match doc.get("expiration") {
            None => return Err(invalid("Policy missing expiration.")),
            Some(Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|_| invalid(format!("Invalid 'expiration' value: '{s}'")))?,
            Some(other) => return Err(invalid(format!("Invalid 'expiration' value: '{other}'"))),
        };
        let conditions = match doc.get("conditions") {
            None => return Err(invalid("Policy missing conditions.")),
            Some(Value::Array(items)) => items.iter().map(parse_condition).collect::<S3Result<Vec<_>>>()?,
            Some(_) => return Err(invalid("Invalid 'conditions' value: must be a list.")),
        };
        Ok(Policy {
            expiration,
            conditions,
        })
    }

    /// `AccessDenied` once `now` is past the expiration.
    pub fn check_expiry(&self, now: OffsetDateTime) -> S3Result<()> {
        if now > self.expiration {
            return Err(denied("Policy expired."));
        }
        Ok(())
    }

    /// Checks every field condition against the form, then that every form field is covered by
    /// a condition. `fields` are (lowercase name, value) of the form fields before the file;
    /// `bucket` is the addressed bucket, which the `bucket` condition matches.
    pub fn check_form(&self, fields: &[(String, String)], bucket: &str) -> S3Result<()> {
        let value_of = |field: &str| -> &str {
            if field == "bucket" {
                return bucket;
            }
            fields
                .iter()
                .find(|(n, _)| n == field)
                .map_or("", |(_, v)| v.as_str())
        };
        for c in &self.conditions {
            let holds = match c {
                Condition::Eq { field, value, .. } => value_of(field) == value,
                Condition::StartsWith { field, prefix, .. } => value_of(field).starts_with(prefix.as_str()),
                Condition::LengthRange { .. } => true,
            };
            if let (false, Condition::Eq { text, .. } | Condition::StartsWith { text, .. }) = (holds, c) {
                return Err(denied(format_args!("Policy Condition failed: {text}")));
            }
        }
        let extra: Vec<&str> = fields
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !UNCOVERED.contains(n) && !n.starts_with("x-ignore-"))
            .filter(|n| !self.covers(n))
            .collect();
        if !extra.is_empty() {
            return Err(denied(format_args!("Extra input fields: {}", extra.join(", "))));
        }
        Ok(())
    }

    fn covers(&self, name: &str) -> bool {
        self.conditions.iter().any(|c| match c {
            Condition::Eq { field, .. } | Condition::StartsWith { field, .. } => field == name,
            Condition::LengthRange { .. } => false,
        })
    }

    /// The file sizes every `content-length-range` condition allows, as `(min, max)`;
    /// `None` without such a condition. Several ranges must all hold: this is their
    /// intersection (empty when `min > max`).
    pub fn length_range(&self) -> Option<(u64, u64)> {
        self.conditions.iter().fold(None, |acc, c| match (acc, c) {
            (None, Condition::LengthRange { min, max }) => Some((*min, *max)),
            (Some((lo, hi)), Condition::LengthRange { min, max }) => Some((lo.max(*min), hi.min(*max))),
            (acc, _) => acc,
        })
    }
}

/// A condition value: a string, or a number written as one.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Renders a condition the way AWS prints it in "Policy Condition failed: ...".
fn render(op: &str, field: &str, value: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!("[{}, {}, {}]", q(op), q(field), q(value))
}

fn parse_condition(item: &Value) -> S3Result<Condition> {
    match item {
        Value::Object(map) => {
            let mut entries = map.iter();
            let (Some((name, value)), None) = (entries.next(), entries.next()) else {
                return Err(invalid(
                    "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
                ));
            };
            let value = scalar(value).ok_or_else(|| {
                invalid(format!(
                    "Invalid Simple-Condition: value of '{name}' must be a string."
                ))
            })?;
            Ok(Condition::Eq {
                field: name.to_ascii_lowercase(),
                text: render("eq", &format!("${name}"), &value),
                value,
            })
        }
        Value::Array(parts) => {
            let op = parts.first().and_then(Value::as_str).unwrap_or_default();
            if parts.len() != 3 {
                return Err(invalid(format!(
                    "Invalid Condition {item}: a condition must have 3 elements."
                )));
            }
            if op.eq_ignore_ascii_case("content-length-range") {
                let bound = |v: &Value| match v {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                let (Some(min), Some(max)) = (bound(&parts[1]), bound(&parts[2])) else {
                    return Err(invalid(format!(
                        "Invalid Condition {item}: content-length-range bounds must be non-negative integers."
                    )));
                };
                if min > max {
                    return Err(invalid(format!(
                        "Invalid Condition {item}: content-length-range minimum is above its maximum."
                    )));
                }
                return Ok(Condition::LengthRange { min, max });
            }
            let starts_with = op.eq_ignore_ascii_case("starts-with");
            if !starts_with && !op.eq_ignore_ascii_case("eq") {
                return Err(invalid(format!(
                    "Invalid Condition {item}: unknown operation '{op}'."
                )));
            }
            let field_text = parts[1].as_str().unwrap_or_default();
            let field = field_text
                .strip_prefix('$')
                .filter(|f| !f.is_empty())
                .ok_or_else(|| {
                    invalid(format!(
                        "Invalid Condition {item}: the field must be a name starting with '$'."
                    ))
                })?
                .to_ascii_lowercase();
            let value = scalar(&parts[2])
                .ok_or_else(|| invalid(format!("Invalid Condition {item}: the value must be a string.")))?;
            let text = render(op, field_text, &value);
            Ok(if starts_with {
                Condition::StartsWith {
                    field,
                    prefix: value,
                    text,
                }
            } else {
                Condition::Eq { field, value, text }
            })
        }
        other => Err(invalid(format!(
            "Invalid Condition {other}: a condition must be an object or a list."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> S3Result<Policy> {
        Policy::parse(&B64.encode(json))
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const DOC: &str = r#"{ "expiration": "2030-01-01T12:00:00.000Z",
      "conditions": [
        {"bucket": "photos"},
        ["starts-with", "$key", "user/eric/"],
        {"acl": "public-read"},
        ["eq", "$Content-Type", "image/png"],
        ["starts-with", "$x-amz-meta-tag", ""],
        ["content-length-range", 1, 1000],
        {"x-amz-credential": "AK/20300101/us-east-1/s3/aws4_request"}
      ] }"#;

    fn good_form() -> Vec<(String, String)> {
        form(&[
            ("key", "user/eric/cat.png"),
            ("acl", "public-read"),
            ("content-type", "image/png"),
            ("x-amz-meta-tag", "anything at all"),
            ("x-amz-credential", "AK/20300101/us-east-1/s3/aws4_request"),
            ("x-amz-signature", "not covered, exempt"),
            ("policy", "exempt"),
            ("x-ignore-submit", "exempt"),
        ])
    }

    #[test]
    fn parses_every_condition_kind() {
        let p = policy(DOC).unwrap();
        assert_eq!(p.expiration.unix_timestamp(), 1_893_499_200);
        assert_eq!(p.conditions.len(), 7);
        assert_eq!(
            p.conditions[0],
            Condition::Eq {
                field: "bucket".into(),
                value: "photos".into(),
                text: r#"["eq", "$bucket", "photos"]"#.into()
            }
        );
        assert!(
            matches!(&p.conditions[1], Condition::StartsWith { field, prefix, .. } if field == "key" && prefix == "user/eric/")
        );
        assert!(matches!(&p.conditions[3], Condition::Eq { field, .. } if field == "content-type"));
        assert_eq!(p.conditions[5], Condition::LengthRange { min: 1, max: 1000 });
        assert_eq!(p.length_range(), Some((1, 1000)));
    }

    #[test]
    fn a_satisfying_form_passes() {
        let p = policy(DOC).unwrap();
        p.check_form(&good_form(), "photos").unwrap();
        // starts-with "" matches an absent field too.
        let mut f = good_form();
        f.retain(|(n, _)| n != "x-amz-meta-tag");
        p.check_form(&f, "photos").unwrap();
    }

    #[test]
    fn each_failed_condition_is_access_denied_naming_it() {
        let p = policy(DOC).unwrap();
        let cases: [(&str, Option<&str>, &str); 4] = [
            (
                "key",
                Some("user/bob/cat.png"),
                r#"["starts-with", "$key", "user/eric/"]"#,
            ),
            ("acl", Some("private"), r#"["eq", "$acl", "public-read"]"#),
            ("content-type", None, r#"["eq", "$Content-Type", "image/png"]"#),
            (
                "x-amz-credential",
                Some("other"),
                r#"["eq", "$x-amz-credential", "#,
            ),
        ];
        for (field, value, text) in cases {
            let mut f = good_form();
            f.retain(|(n, _)| n != field);
            if let Some(v) = value {
                f.push((field.to_owned(), v.to_owned()));
            }
            let e = p.check_form(&f, "photos").unwrap_err();
            assert_eq!(e.code, Code::AccessDenied, "{field}");
            assert!(
                e.message.starts_with(&format!(
                    "Invalid according to Policy: Policy Condition failed: {text}"
                )),
                "{}",
                e.message
            );
        }
        // The bucket condition matches the addressed bucket, not a form field.
        let e = p.check_form(&good_form(), "other-bucket").unwrap_err();
        assert!(
            e.message.contains(r#"["eq", "$bucket", "photos"]"#),
            "{}",
            e.message
        );
    }

    #[test]
    fn uncovered_fields_are_refused() {
        let p = policy(DOC).unwrap();
        let mut f = good_form();
        f.push(("x-amz-meta-other".into(), "v".into()));
        f.push(("success_action_status".into(), "201".into()));
        let e = p.check_form(&f, "photos").unwrap_err();
        assert_eq!(e.code, Code::AccessDenied);
        assert_eq!(
            e.message,
            "Invalid according to Policy: Extra input fields: x-amz-meta-other, success_action_status"
        );
    }

    #[test]
    fn names_and_operators_are_case_insensitive() {
        let p = policy(
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [
                {"bUcKeT": "b"}, ["StArTs-WiTh", "$KeY", "foo"], ["EQ", "$AcL", "private"],
                ["CONTENT-LENGTH-RANGE", "0", "10"]]}"#,
        )
        .unwrap();
        p.check_form(&form(&[("key", "foo.txt"), ("acl", "private")]), "b")
            .unwrap();
        assert_eq!(p.length_range(), Some((0, 10)));
    }

    #[test]
    fn several_ranges_intersect() {
        let p = policy(
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [
                ["content-length-range", 0, 100], ["content-length-range", 10, 1000]]}"#,
        )
        .unwrap();
        assert_eq!(p.length_range(), Some((10, 100)));
        let none = policy(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": []}"#).unwrap();
        assert_eq!(none.length_range(), None);
    }

    #[test]
    fn expiry() {
        let p = policy(r#"{"expiration": "2020-06-01T00:00:00.000Z", "conditions": []}"#).unwrap();
        let at = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
        p.check_expiry(at("2020-05-31T23:59:59Z")).unwrap();
        p.check_expiry(at("2020-06-01T00:00:00Z")).unwrap();
        let e = p.check_expiry(at("2020-06-01T00:00:01Z")).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_ref()),
            (Code::AccessDenied, "Invalid according to Policy: Policy expired.")
        );
    }

    #[test]
    fn malformed_documents_are_invalid_policy_document() {
        let bad_b64 = Policy::parse("%%% not base64 %%%").unwrap_err();
        assert_eq!(bad_b64.code, Code::InvalidPolicyDocument);
        for doc in [
            "not json",
            "[]",
            r#"{"conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z"}"#,
            r#"{"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "CONDITIONS": []}"#,
            r#"{"expiration": "tomorrow", "conditions": []}"#,
            r#"{"expiration": 1893456000, "conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": {}}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": ["x"]}]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "a"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$", "a"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["matches", "$key", "a"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 0]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 5, 1]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 0.5, 1]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": ["key"]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [[]]}"#,
        ] {
            let e = policy(doc).unwrap_err();
            assert_eq!(e.code, Code::InvalidPolicyDocument, "{doc}");
            assert!(e.message.starts_with("Invalid Policy: "), "{}", e.message);
        }
    }

    #[test]
    fn base64_with_line_breaks_and_escaped_json() {
        let json = r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key", "a\"b\u00e9"]]}"#;
        let b64 = B64.encode(json);
        let wrapped = b64
            .as_bytes()
            .chunks(20)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let p = Policy::parse(&wrapped).unwrap();
        p.check_form(&form(&[("key", "a\"bé")]), "b").unwrap();
    }
}
