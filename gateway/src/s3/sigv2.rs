//! AWS Signature Version 2 verification for S3 requests (AWS: "Signing and authenticating REST
//! requests", the legacy scheme that boto3 and aws-cli v1 still use by default for presigned
//! URLs against a custom endpoint in us-east-1).
//!
//! This module owns the `SigV2` check of a request head: `Authorization: AWS AK:signature`
//! header auth and `?AWSAccessKeyId=..&Expires=..&Signature=..` query auth, the string to sign
//! (verb, `Content-MD5`, `Content-Type`, date or expiry, the canonicalized `x-amz-*` headers and
//! the canonicalized resource with its sub-resources), HMAC-SHA1 compared in constant time,
//! clock skew and expiry. Failures are the [`AuthError`]s of `sigv4` (one error type for both
//! versions), with AWS's codes and extra elements. `SigV2` signs no payload hash: a verified
//! request always has [`Payload::Unsigned`] (a `Content-MD5` is still checked by the handlers).
//!
//! Like `sigv4`, it must not depend on the HTTP framework, do I/O or read the clock, and it
//! never panics on any input. It does not decide whether `SigV2` is allowed (the configuration,
//! in `s3::authenticate`) and it does not read the body.

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha1::Sha1;

use super::sigv4::{
    format_iso8601, is_space, parse_amz_date, parse_http_date, presigned_v2_in_query, presigned_v4_in_query,
    system_time, unix_seconds, AuthError, Payload, Verified, MAX_SKEW, MISSING_DATE,
};

type HmacSha1 = Hmac<Sha1>;

/// The query parameters that are part of the resource being signed (AWS's sub-resources, the
/// `response-*` overrides, and the few more botocore signs), sorted. Any other parameter is
/// not signed.
pub const SUB_RESOURCES: [&str; 36] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "encryption",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "retention",
    "select",
    "select-type",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// A request head as it arrived (as `sigv4::Request`), plus the bucket when it was addressed
/// virtual-host style: the signed resource always starts with `/bucket`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, as sent.
    pub method: &'a str,
    /// Path exactly as on the wire (still percent-encoded), without the query.
    pub raw_path: &'a str,
    /// Query exactly as on the wire, without `?`.
    pub raw_query: &'a str,
    /// Header names in any case, values as received; a name may repeat.
    pub headers: &'a [(&'a str, &'a str)],
    /// The bucket named by the `Host` header (virtual-host style), `None` for path style.
    pub vhost_bucket: Option<&'a str>,
}

impl<'a> Request<'a> {
    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Whether the request is signed the `SigV2` way: an `Authorization: AWS ...` header, or the
/// `AWSAccessKeyId`/`Signature` query parameters without any `SigV4` ones and without an
/// `Authorization` header (two mechanisms at once are refused by `sigv4::verify`).
#[must_use]
pub fn is_sigv2(headers: &[(&str, &str)], raw_query: &str) -> bool {
    let mut auth = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| *v);
    match (auth.next(), auth.next()) {
        (Some(a), None) => {
            a.trim_start_matches(is_space).starts_with("AWS ")
                && !presigned_v2_in_query(raw_query)
                && !presigned_v4_in_query(raw_query)
        }
        (Some(_), Some(_)) => false,
        (None, _) => presigned_v2_in_query(raw_query) && !presigned_v4_in_query(raw_query),
    }
}

/// Verifies a `SigV2` request (see [`is_sigv2`]), by header or query.
///
/// `now` is the server time, `lookup` maps an access key to its secret key.
///
/// # Errors
/// `InvalidArgument` for a malformed `Authorization` header; `AccessDenied` for a missing date,
/// missing query parameters or an expired URL ("Request has expired", with `Expires` and
/// `ServerTime`); `RequestTimeTooSkewed` for a header-signed request more than 15 minutes away
/// from `now`; `InvalidAccessKeyId`; `SignatureDoesNotMatch` with the string to sign.
pub fn verify(
    req: &Request,
    now: SystemTime,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    match req.header("authorization") {
        Some(value) => verify_header(req, value, now, &lookup),
        None => verify_query(req, now, &lookup),
    }
}

fn verify_header(
    req: &Request,
    authorization: &str,
    now: SystemTime,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    let credentials = authorization
        .trim_matches(is_space)
        .strip_prefix("AWS ")
        .map(|c| c.trim_matches(is_space));
    let Some((access_key, claimed)) = credentials
        .and_then(|c| c.rsplit_once(':'))
        .filter(|(ak, sig)| !ak.is_empty() && !sig.is_empty())
    else {
        return Err(AuthError::InvalidArgument {
            message: "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature".to_owned(),
            name: "Authorization",
            value: authorization.to_owned(),
        });
    };
    let amz_date = req.header("x-amz-date");
    let request_secs = amz_date
        .or_else(|| req.header("date"))
        .and_then(|v| parse_date(v.trim_matches(is_space)))
        .ok_or_else(|| AuthError::access_denied(MISSING_DATE))?;
    if request_secs.abs_diff(unix_seconds(now)) > MAX_SKEW.as_secs() {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time: system_time(request_secs),
            server_time: now,
        });
    }
    // With x-amz-date the Date line is empty: the date is signed among the x-amz-* headers.
    let date_line = if amz_date.is_some() {
        ""
    } else {
        req.header("date").unwrap_or_default()
    };
    let secret = lookup(access_key).ok_or_else(|| AuthError::InvalidAccessKeyId {
        access_key: access_key.to_owned(),
    })?;
    let sts = string_to_sign(req, date_line, false);
    let checked = check(&secret, access_key, &sts, claimed);
    if let (Err(e), Some(amz_date)) = (&checked, amz_date) {
        // AWS's own example with x-amz-date signs its value on the Date line instead, and
        // leaves it out of the x-amz-* headers; accept that form too.
        let alternate = string_to_sign_inner(req, amz_date.trim_matches(is_space), false, true);
        if check(&secret, access_key, &alternate, claimed).is_err() {
            return Err(e.clone());
        }
    } else {
        checked?;
    }
    Ok(Verified {
        access_key: access_key.to_owned(),
        payload: Payload::Unsigned,
        presigned: false,
    })
}

fn verify_query(
    req: &Request,
    now: SystemTime,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    let q = |name: &str| query_value(req.raw_query, name);
    let (Some(access_key), Some(claimed), Some(expires)) =
        (q("AWSAccessKeyId"), q("Signature"), q("Expires"))
    else {
        return Err(AuthError::access_denied(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ));
    };
    let Some(expires_secs) = expires.parse::<u64>().ok().and_then(|s| i64::try_from(s).ok()) else {
        return Err(AuthError::access_denied(&format!(
            "Invalid date (should be seconds since epoch): {expires}"
        )));
    };
    let now_secs = unix_seconds(now);
    if now_secs > expires_secs {
        return Err(AuthError::AccessDenied {
            message: "Request has expired".to_owned(),
            details: vec![
                ("Expires", format_iso8601(expires_secs)),
                ("ServerTime", format_iso8601(now_secs)),
            ],
        });
    }
    let secret = lookup(&access_key).ok_or_else(|| AuthError::InvalidAccessKeyId {
        access_key: access_key.clone(),
    })?;
    let sts = string_to_sign(req, &expires, true);
    check(&secret, &access_key, &sts, &claimed)?;
    Ok(Verified {
        access_key,
        payload: Payload::Unsigned,
        presigned: true,
    })
}

/// Compares `claimed` (base64) with HMAC-SHA1(secret, `sts`) in constant time.
fn check(secret: &str, access_key: &str, sts: &str, claimed: &str) -> Result<(), AuthError> {
    let mut mac = new_mac(secret);
    mac.update(sts.as_bytes());
    let ok = BASE64
        .decode(claimed.trim())
        .is_ok_and(|c| mac.verify_slice(&c).is_ok());
    if ok {
        Ok(())
    } else {
        Err(AuthError::SignatureDoesNotMatchV2 {
            access_key: access_key.to_owned(),
            string_to_sign: sts.to_owned(),
            signature_provided: claimed.to_owned(),
        })
    }
}

fn new_mac(secret: &str) -> HmacSha1 {
    // HMAC takes keys of any length, so this cannot fail.
    HmacSha1::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// The base64 `SigV2` signature of `string_to_sign` (for clients and tests).
#[must_use]
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = new_mac(secret);
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The string to sign: `VERB\nContent-MD5\nContent-Type\nDate\n` + canonicalized `x-amz-*`
/// headers + canonicalized resource. `date_line` is the `Date` header (empty when `x-amz-date`
/// is sent) or, in query auth, `Expires`. In query auth (`query_auth`), `Content-MD5`,
/// `Content-Type` and `x-amz-*` may also come from the query (botocore moves them there when it
/// presigns); a header wins over a parameter of the same name.
#[must_use]
pub fn string_to_sign(req: &Request, date_line: &str, query_auth: bool) -> String {
    string_to_sign_inner(req, date_line, query_auth, false)
}

/// [`string_to_sign`], leaving `x-amz-date` out of the headers with `skip_amz_date`.
fn string_to_sign_inner(req: &Request, date_line: &str, query_auth: bool, skip_amz_date: bool) -> String {
    let from_query = |name: &str| {
        if query_auth {
            query_value(req.raw_query, name)
        } else {
            None
        }
    };
    let positional = |name: &str| {
        req.header(name)
            .map(|v| v.trim_matches(is_space).to_owned())
            .or_else(|| from_query(name))
            .unwrap_or_default()
    };
    let mut out = format!(
        "{}\n{}\n{}\n{date_line}\n",
        req.method,
        positional("content-md5"),
        positional("content-type"),
    );
    let mut amz: Vec<(String, &str)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), *v))
        .filter(|(n, _)| n.starts_with("x-amz-") && !(skip_amz_date && n == "x-amz-date"))
        .collect();
    let query_amz: Vec<(String, String)> = if query_auth {
        parse_query(req.raw_query)
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .filter(|(n, _)| n.starts_with("x-amz-") && !amz.iter().any(|(h, _)| h == n))
            .collect()
    } else {
        Vec::new()
    };
    amz.extend(query_amz.iter().map(|(n, v)| (n.clone(), v.as_str())));
    out.push_str(&canonical_amz_headers(&amz));
    out.push_str(&canonical_resource(req));
    out
}

/// `name:value\n` per `x-amz-*` header: names lower-case and sorted, values trimmed, the values
/// of a repeated name joined with `,` in arrival order.
fn canonical_amz_headers(headers: &[(String, &str)]) -> String {
    let mut names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for name in names {
        out.push_str(name);
        out.push(':');
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim_matches(is_space))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// `/bucket/key` as on the wire (for virtual-host style, `/bucket` + the path), then `?` and
/// the sub-resources of the query ([`SUB_RESOURCES`]), sorted by name, values decoded.
fn canonical_resource(req: &Request) -> String {
    let path = if req.raw_path.is_empty() {
        "/"
    } else {
        req.raw_path
    };
    let mut out = match req.vhost_bucket {
        Some(b) => format!("/{b}{path}"),
        None => path.to_owned(),
    };
    let mut subs: Vec<(&str, Option<String>)> = req
        .raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|piece| {
            let (name, value) = match piece.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (piece, None),
            };
            SUB_RESOURCES.contains(&name).then(|| {
                (
                    name,
                    value.map(|v| percent_decode_str(v).decode_utf8_lossy().into_owned()),
                )
            })
        })
        .collect();
    // A stable sort by name only, as AWS's clients sort.
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (name, value)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        if let Some(v) = value {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// Splits a raw query into (name, value) pairs decoded as forms are (`+` is a space).
fn parse_query(raw: &str) -> impl Iterator<Item = (String, String)> + '_ {
    raw.split('&').filter(|p| !p.is_empty()).map(|piece| {
        let (n, v) = piece.split_once('=').unwrap_or((piece, ""));
        (decode_form(n), decode_form(v))
    })
}

fn decode_form(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// First decoded value of query parameter `name` (exact name).
fn query_value(raw: &str, name: &str) -> Option<String> {
    parse_query(raw).find(|(n, _)| n == name).map(|(_, v)| v)
}

/// A `Date` or `x-amz-date`: RFC 1123 with `GMT` or a numeric offset (`+0000`, as AWS's own
/// examples), the other HTTP date forms, or ISO 8601 basic (`yyyymmddThhmmssZ`).
fn parse_date(value: &str) -> Option<i64> {
    let with_offset = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    parse_http_date(value)
        .or_else(|| {
            time::OffsetDateTime::parse(value, with_offset)
                .ok()
                .map(time::OffsetDateTime::unix_timestamp)
        })
        .or_else(|| httpdate::parse_http_date(value).ok().map(unix_seconds))
        .or_else(|| parse_amz_date(value))
}

#[cfg(test)]
mod tests;
