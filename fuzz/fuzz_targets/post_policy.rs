//! The POST policy document (`s3::post_object::policy`): decoding (base64, JSON, conditions)
//! and the checks against a form.
//!
//! Input: the policy JSON (the target base64-encodes it, as a browser form carries it), then a
//! line `--`, then form fields as `name: value` lines. Properties: no panic; a policy passes
//! its own fields when they are built from its `eq` conditions alone; `length_range` is the
//! intersection of the `content-length-range` conditions.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use gateway::s3::error::Code;
use gateway::s3::post_object::policy::{Condition, Policy};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (json, form) = text.split_once("\n--\n").unwrap_or((&text, ""));
    let fields: Vec<(String, String)> = form
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    // Both the plain and the line-wrapped base64 a form may carry.
    let b64 = STANDARD.encode(json.as_bytes());
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n");
    let parsed = Policy::parse(&b64);
    match (&parsed, Policy::parse(&wrapped)) {
        (Ok(a), Ok(b)) => assert_eq!(*a, b, "line breaks change the policy"),
        (Err(a), Err(b)) => assert_eq!(a.code, b.code, "line breaks change the error"),
        _ => panic!("line breaks change whether the policy parses"),
    }
    let policy = match parsed {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(e.code, Code::InvalidPolicyDocument, "{e:?}");
            return;
        }
    };
    let _ = policy.check_expiry(OffsetDateTime::UNIX_EPOCH);
    let _ = policy.check_expiry(policy.expiration);
    if let Err(e) = policy.check_form(&fields, "bucket") {
        assert_eq!(e.code, Code::AccessDenied);
    }

    let ranges: Vec<(u64, u64)> = policy
        .conditions
        .iter()
        .filter_map(|c| match c {
            Condition::LengthRange { min, max } => Some((*min, *max)),
            _ => None,
        })
        .collect();
    let expected = ranges
        .iter()
        .copied()
        .reduce(|(a, b), (c, d)| (a.max(c), b.min(d)));
    assert_eq!(
        policy.length_range(),
        expected,
        "length range is not the intersection"
    );

    // A form made of exactly what the `eq` conditions ask for passes when the policy has no
    // other field condition and no field is required twice with different values.
    let mut own: Vec<(String, String)> = Vec::new();
    let mut only_eq = true;
    for c in &policy.conditions {
        match c {
            Condition::Eq { field, value, .. } if field != "bucket" => {
                match own.iter().find(|(n, _)| n == field) {
                    Some((_, v)) if v != value => only_eq = false,
                    Some(_) => {}
                    None => own.push((field.clone(), value.clone())),
                }
            }
            Condition::Eq { value, .. } => only_eq &= value == "bucket",
            Condition::StartsWith { .. } => only_eq = false,
            Condition::LengthRange { .. } => {}
        }
    }
    if only_eq {
        assert_eq!(
            policy.check_form(&own, "bucket").map_err(|e| e.code),
            Ok(()),
            "own fields refused"
        );
    }
});
