//! PostObject: browser-based uploads, an HTML form POSTed to the bucket URL and signed with a
//! SigV4 POST policy (AWS: "Browser-Based Uploads Using POST (AWS Signature Version 4)"), or
//! with a SigV2 one (`AWSAccessKeyId`, `signature` = base64 HMAC-SHA1 of `policy`) when the
//! configuration accepts SigV2.
//!
//! Owns the whole operation, authentication included, because its credentials are form fields
//! rather than headers: `s3::handle` routes `Endpoint::PostObject` here before its own SigV4
//! check. The flow: read the fields before `file` (buffered, [`MAX_PRE_DATA`] in total) →
//! verify `x-amz-signature` = hex(HMAC(signing key, `policy`)) and the credential scope → decode
//! the policy, check its expiry → substitute `${filename}` in `key` → check the bucket, every
//! policy condition and that every field is covered → stream the file into a new blob with
//! `s3::body::write_blob`, enforcing `content-length-range` as the bytes pass → commit the
//! record → answer as `success_action_redirect` / `success_action_status` say. Fields after
//! `file` are never read. Nothing is stored unless every check passed and the file arrived
//! whole. Must not buffer the file, format XML itself (see `s3::xml`) or touch actix types.

pub mod form;
pub mod policy;

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use hmac::{Hmac, Mac};
use metadata::{ObjectRecord, PutCondition};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::config::User;
use crate::s3::body::{write_blob, BodyStream, RequestBody};
use crate::s3::checksum::Expectations;
use crate::s3::dates::now_ms;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::encryption;
use crate::s3::handlers::object::{
    commit_or_discard, fill_from_blob, meta_builder, MAX_PUT_SIZE, MAX_USER_META,
};
use crate::s3::handlers::{tagging, versioning};
use crate::s3::request::RequestInfo;
use crate::s3::response::S3Response;
use crate::s3::router::MAX_KEY_LEN;
use crate::s3::{sigv4, xml, AppState, Ctx};
use form::FormReader;
use policy::Policy;

/// Largest total size of the form before the file: part headers and field values. Larger is
/// `MaxPostPreDataLengthExceeded`.
pub const MAX_PRE_DATA: usize = 1 << 20;

/// Form fields a SigV4 form is signed with, besides `policy`.
const SIGNED_FIELDS: [&str; 4] = [
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-signature",
];

/// Characters escaped in an object URL path (S3's URI encoding, `/` kept).
const PATH_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Characters escaped in a query parameter value of the redirect URL.
const QUERY_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The headers of the `file` part.
struct FilePart {
    filename: Option<String>,
    content_type: Option<String>,
}

/// PostObject on `bucket`: the whole operation, from the raw body to the response.
pub async fn post_object(
    state: Arc<AppState>,
    req: RequestInfo,
    bucket: &str,
    body: BodyStream,
) -> S3Result<S3Response> {
    let Some(boundary) = req.header("content-type").and_then(form::boundary) else {
        return Err(S3Error::new(Code::PreconditionFailed).extra(
            "Condition",
            "Bucket POST must be of the enclosure-type multipart/form-data",
        ));
    };
    let mut reader = FormReader::new(body, &boundary);
    let (mut fields, file) = read_fields(&mut reader).await?;

    let accept = Accept {
        sigv2: state.config.sigv2,
        any_region: state.config.region_agnostic,
    };
    let user = authenticate(&state.config.region, accept, &state.config.users, &fields)?;
    // A signed form always has a policy (`authenticate` insists); an anonymous one may not.
    let policy = field(&fields, "policy").map(Policy::parse).transpose()?;
    if let Some(p) = &policy {
        p.check_expiry(OffsetDateTime::now_utc())?;
    }
    let Some(file) = file else {
        return Err(S3Error::with_message(
            Code::InvalidArgument,
            "POST requires exactly one file upload per request.",
        )
        .extra("ArgumentName", "file")
        .extra("ArgumentValue", "0"));
    };
    let key = object_key(&fields, file.filename.as_deref())?;
    if let Some(slot) = fields.iter_mut().find(|(n, _)| n == "key") {
        slot.1.clone_from(&key);
    }

    let endpoint = crate::s3::router::Endpoint::PostObject {
        bucket: bucket.to_owned(),
    };
    let ctx = Ctx::authorize(state, req, user, &endpoint).await?;
    let b = ctx.bucket(bucket)?;
    if let Some(p) = &policy {
        p.check_form(&fields, bucket)?;
    }
    let mut rec = record_from_fields(&fields, file.content_type)?;
    rec.acl = crate::s3::handlers::acl::form_object_acl(&ctx, field(&fields, "acl"))?;
    versioning::preassign(&b, &mut rec);

    let (min, max) = policy
        .as_ref()
        .and_then(Policy::length_range)
        .unwrap_or((0, MAX_PUT_SIZE));
    let content = limit_size(reader.into_content_stream(), min, max.min(MAX_PUT_SIZE));
    let mtime = now_ms();
    let meta = meta_builder(&b.name, &key, &rec, mtime);
    // A form upload gets the bucket's default encryption.
    let enc = encryption::for_write(&ctx, &b, &key)?;
    let seal = encryption::sealing(enc.as_ref());
    let nonce = seal.as_ref().map(|s| s.nonce);
    let written = write_blob(
        &ctx.store(&b)?,
        &ctx.state.budget,
        b.id,
        RequestBody::new(content, None),
        Expectations::default(),
        meta,
        seal,
    )
    .await?;
    fill_from_blob(&mut rec, &written, mtime);
    encryption::seal_record(&mut rec, enc.as_ref(), nonce, &written.digest.md5);
    let etag = format!("\"{}\"", rec.etag);
    let version = commit_or_discard(&ctx, &b, &key, rec, PutCondition::None, written.path).await?;
    Ok(versioning::with_version(
        success_response(&ctx.req, &fields, bucket, &key, &etag),
        version,
    ))
}

/// The value of a form field (name in lowercase).
fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn pre_data_too_large() -> S3Error {
    S3Error::new(Code::MaxPostPreDataLengthExceeded)
}

/// Reads the fields before `file` as (lowercase name, value), and the `file` part's headers
/// (`None` if the form has no `file`). The reader is left at the start of the file's content.
async fn read_fields(reader: &mut FormReader) -> S3Result<(Vec<(String, String)>, Option<FilePart>)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut used = 0usize;
    while let Some(head) = reader.next_part().await? {
        used += head.head_len;
        if used > MAX_PRE_DATA {
            return Err(pre_data_too_large());
        }
        let name = head.name.to_ascii_lowercase();
        if name == "file" {
            let file = FilePart {
                filename: head.filename,
                content_type: head.content_type,
            };
            return Ok((fields, Some(file)));
        }
        let value = reader
            .value(MAX_PRE_DATA - used)
            .await?
            .ok_or_else(pre_data_too_large)?;
        used += value.len();
        let Ok(value) = String::from_utf8(value.to_vec()) else {
            return Err(S3Error::with_message(
                Code::InvalidArgument,
                format!("The value of form field '{name}' is not valid UTF-8."),
            )
            .extra("ArgumentName", name));
        };
        if fields.iter().any(|(n, _)| *n == name) {
            return Err(S3Error::with_message(
                Code::InvalidArgument,
                format!("Form field '{name}' appears more than once."),
            )
            .extra("ArgumentName", name));
        }
        fields.push((name, value));
    }
    Ok((fields, None))
}

/// `InvalidArgument` for a required field that is absent (AWS's wording, which hints that a
/// field sent after `file` is not read).
fn missing_field(name: &str) -> S3Error {
    S3Error::with_message(
        Code::InvalidArgument,
        format!(
            "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
        ),
    )
    .extra("ArgumentName", name.to_owned())
    .extra("ArgumentValue", "")
}

fn unsupported_mechanism() -> S3Error {
    S3Error::with_message(
        Code::InvalidRequest,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

/// Which signatures the gateway's configuration accepts besides SigV4 in its own region.
#[derive(Clone, Copy, Debug)]
struct Accept {
    /// SigV2 forms (`AWSAccessKeyId`, `policy`, `signature`).
    sigv2: bool,
    /// SigV4 credentials scoped to any region (region-agnostic mode).
    any_region: bool,
}

/// Authenticates the form. SigV4: fields present and well-formed, credential scope matching
/// this gateway, known access key, and `x-amz-signature` = hex(HMAC-SHA256(signing key,
/// policy)). SigV2 (when accepted): `AWSAccessKeyId` known and `signature` =
/// base64(HMAC-SHA1(secret, policy)).
fn authenticate(
    region: &str,
    accept: Accept,
    users: &[User],
    fields: &[(String, String)],
) -> S3Result<Option<User>> {
    let get = |name: &str| field(fields, name);
    let sigv2 = get("awsaccesskeyid").is_some() || get("signature").is_some();
    let Some(policy) = get("policy") else {
        if SIGNED_FIELDS.iter().any(|n| get(n).is_some()) {
            return Err(missing_field("policy"));
        }
        if sigv2 && !accept.sigv2 {
            return Err(unsupported_mechanism());
        }
        if sigv2 {
            return Err(missing_field("policy"));
        }
        // An unsigned form is an anonymous request: the authorization step decides it.
        return Ok(None);
    };
    if sigv2 && get("x-amz-algorithm").is_none() {
        if !accept.sigv2 {
            return Err(unsupported_mechanism());
        }
        return authenticate_v2(users, policy, fields).map(Some);
    }
    let mut values = [""; 4];
    for (slot, name) in values.iter_mut().zip(SIGNED_FIELDS) {
        *slot = get(name).ok_or_else(|| missing_field(name))?;
    }
    let [algorithm, credential, amz_date, signature] = values;
    if algorithm != sigv4::ALGORITHM {
        if algorithm == "AWS4-ECDSA-P256-SHA256" {
            return Err(unsupported_mechanism());
        }
        return Err(S3Error::with_message(
            Code::InvalidArgument,
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        )
        .extra("ArgumentName", "x-amz-algorithm")
        .extra("ArgumentValue", algorithm.to_owned()));
    }
    if !is_amz_date(amz_date) {
        return Err(S3Error::with_message(
            Code::InvalidArgument,
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        )
        .extra("ArgumentName", "x-amz-date")
        .extra("ArgumentValue", amz_date.to_owned()));
    }
    let (access_key, day, region) = check_credential(credential, amz_date, region, accept.any_region)?;
    let user = users.iter().find(|u| u.access_key == access_key).ok_or_else(|| {
        S3Error::new(Code::InvalidAccessKeyId).extra("AWSAccessKeyId", access_key.to_owned())
    })?;
    let key = sigv4::signing_key(&user.secret_key, day, region, sigv4::SERVICE);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| S3Error::internal(e.to_string()))?;
    mac.update(policy.as_bytes());
    let mut claimed = [0u8; 32];
    let matches = hex::decode_to_slice(signature, &mut claimed).is_ok() && mac.verify_slice(&claimed).is_ok();
    if !matches {
        return Err(signature_mismatch(access_key, policy, signature));
    }
    Ok(Some(user.clone()))
}

/// A SigV2 form: `AWSAccessKeyId` and `signature` = base64(HMAC-SHA1(secret, `policy`)) (AWS:
/// "Browser-based uploads using POST (AWS signature version 2)"); the policy itself is then
/// checked as for SigV4.
fn authenticate_v2(users: &[User], policy: &str, fields: &[(String, String)]) -> S3Result<User> {
    let access_key = field(fields, "awsaccesskeyid").ok_or_else(|| missing_field("AWSAccessKeyId"))?;
    let signature = field(fields, "signature").ok_or_else(|| missing_field("Signature"))?;
    let user = users.iter().find(|u| u.access_key == access_key).ok_or_else(|| {
        S3Error::new(Code::InvalidAccessKeyId).extra("AWSAccessKeyId", access_key.to_owned())
    })?;
    let mut mac = Hmac::<Sha1>::new_from_slice(user.secret_key.as_bytes())
        .map_err(|e| S3Error::internal(e.to_string()))?;
    mac.update(policy.as_bytes());
    let matches = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .is_ok_and(|c| mac.verify_slice(&c).is_ok());
    if !matches {
        return Err(signature_mismatch(access_key, policy, signature));
    }
    Ok(user.clone())
}

/// A form whose signature is not the policy's: AWS names the key, the string signed (the
/// policy) and the signature sent.
fn signature_mismatch(access_key: &str, policy: &str, signature: &str) -> S3Error {
    S3Error::new(Code::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", access_key.to_owned())
        .extra("StringToSign", policy.to_owned())
        .extra("SignatureProvided", signature.to_owned())
}

/// `yyyymmddThhmmssZ`.
fn is_amz_date(v: &str) -> bool {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    v.len() == 16 && time::PrimitiveDateTime::parse(v, format).is_ok()
}

/// Checks `AK/yyyymmdd/region/s3/aws4_request` against the form's date and this gateway's
/// region; returns (access key, day, region). Errors are AWS's `InvalidArgument` for a POST
/// credential, naming `x-amz-credential`.
fn check_credential<'a>(
    credential: &'a str,
    amz_date: &str,
    region: &str,
    any_region: bool,
) -> S3Result<(&'a str, &'a str, &'a str)> {
    let error = |message: String| {
        S3Error::with_message(Code::InvalidArgument, message)
            .extra("ArgumentName", "x-amz-credential")
            .extra("ArgumentValue", credential.to_owned())
    };
    let mut parts = credential.rsplitn(5, '/');
    let (Some(terminator), Some(service), Some(cred_region), Some(day), Some(access_key)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(error(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                .to_owned(),
        ));
    };
    if access_key.is_empty() {
        return Err(error(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                .to_owned(),
        ));
    }
    let region_ok = cred_region == region || (any_region && !cred_region.is_empty());
    if !region_ok {
        return Err(error(format!(
            "the region '{cred_region}' is wrong; expecting '{region}'"
        ))
        .extra("Region", region.to_owned()));
    }
    if service != sigv4::SERVICE {
        return Err(error(format!(
            "incorrect service \"{service}\". This endpoint belongs to \"{}\".",
            sigv4::SERVICE
        )));
    }
    if terminator != sigv4::SCOPE_TERMINATOR {
        return Err(error(format!(
            "incorrect terminal \"{terminator}\". This endpoint uses \"{}\".",
            sigv4::SCOPE_TERMINATOR
        )));
    }
    let request_day = amz_date.get(..8).unwrap_or(amz_date);
    if day != request_day {
        return Err(error(format!(
            "Invalid credential date \"{day}\". This date is not the same as X-Amz-Date: \"{request_day}\"."
        )));
    }
    Ok((access_key, day, cred_region))
}

/// The object key: the `key` field with `${filename}` replaced by the file's name.
fn object_key(fields: &[(String, String)], filename: Option<&str>) -> S3Result<String> {
    let template = field(fields, "key").ok_or_else(|| missing_field("key"))?;
    let key = template.replace("${filename}", filename.unwrap_or_default());
    if key.is_empty() {
        return Err(S3Error::with_message(
            Code::InvalidArgument,
            "User key must have a length greater than zero.",
        )
        .extra("ArgumentName", "key")
        .extra("ArgumentValue", ""));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::new(Code::KeyTooLongError)
            .extra("Size", key.len().to_string())
            .extra("MaxSizeAllowed", MAX_KEY_LEN.to_string()));
    }
    Ok(key)
}

/// The stored headers and user metadata a form sets, as PutObject's headers would. The
/// Content-Type falls back to the `file` part's own.
fn record_from_fields(
    fields: &[(String, String)],
    file_content_type: Option<String>,
) -> S3Result<ObjectRecord> {
    let get = |name: &str| field(fields, name).map(str::to_owned);
    let mut rec = ObjectRecord {
        content_type: get("content-type").or(file_content_type),
        content_encoding: get("content-encoding"),
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
        ..ObjectRecord::default()
    };
    if let Some(doc) = field(fields, "tagging") {
        rec.tags = tagging::from_document(doc.as_bytes(), tagging::Target::Object)?;
    }
    let mut total = 0;
    for (name, value) in fields {
        if let Some(meta) = name.strip_prefix("x-amz-meta-") {
            total += meta.len() + value.len();
            rec.user_meta.push((meta.to_owned(), value.clone()));
        }
    }
    if total > MAX_USER_META {
        return Err(S3Error::with_message(
            Code::MetadataTooLarge,
            format!("Your metadata headers are {total} bytes; the limit is {MAX_USER_META}."),
        ));
    }
    Ok(rec)
}

/// Passes the file's bytes through, failing with `EntityTooLarge` as soon as they exceed `max`
/// and with `EntityTooSmall` at the end if they are fewer than `min`. A failed stream makes
/// `write_blob` discard the blob.
fn limit_size(content: impl Stream<Item = S3Result<Bytes>> + 'static, min: u64, max: u64) -> BodyStream {
    let start = (Box::pin(content), 0u64, false);
    Box::pin(futures_util::stream::unfold(
        start,
        move |(mut content, seen, done)| async move {
            if done {
                return None;
            }
            match content.next().await {
                Some(Ok(b)) => {
                    let seen = seen + b.len() as u64;
                    if seen > max {
                        let e = S3Error::new(Code::EntityTooLarge).extra("MaxSizeAllowed", max.to_string());
                        return Some((Err(e), (content, seen, true)));
                    }
                    Some((Ok(b), (content, seen, false)))
                }
                Some(Err(e)) => Some((Err(e), (content, seen, true))),
                None if seen < min => {
                    let e = S3Error::new(Code::EntityTooSmall)
                        .extra("ProposedSize", seen.to_string())
                        .extra("MinSizeAllowed", min.to_string());
                    Some((Err(e), (content, seen, true)))
                }
                None => None,
            }
        },
    ))
}

/// The URL of the stored object, as the `Location` header and `<Location>` give it: absolute
/// when the request named its host, in the addressing style the request used.
fn object_url(req: &RequestInfo, bucket: &str, key: &str) -> String {
    let path_style = !req.raw_path.trim_matches('/').is_empty();
    let key = utf8_percent_encode(key, PATH_ESCAPE);
    let path = if path_style {
        format!("/{bucket}/{key}")
    } else {
        format!("/{key}")
    };
    let https = req
        .header("x-forwarded-proto")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    match req.header("host") {
        Some(host) => format!("{}://{host}{path}", if https { "https" } else { "http" }),
        None => path,
    }
}

/// `success_action_redirect` (or the older `redirect`) if it is a URL S3 can interpret; S3
/// ignores one it cannot.
fn redirect_target(fields: &[(String, String)]) -> Option<&str> {
    let url = field(fields, "success_action_redirect")
        .or_else(|| field(fields, "redirect"))?
        .trim();
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let usable = !rest.is_empty()
        && !rest.starts_with('/')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    usable.then_some(url)
}

/// `url` with `bucket`, `key` and `etag` appended to its query (before any fragment).
fn redirect_url(url: &str, bucket: &str, key: &str, etag: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    let q = |v: &str| utf8_percent_encode(v, QUERY_ESCAPE).to_string();
    let mut out = format!("{base}{sep}bucket={}&key={}&etag={}", q(bucket), q(key), q(etag));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The answer to a stored upload: a 303 to the redirect URL, else 200 / 201 (`PostResponse`)
/// / 204 as `success_action_status` asks (204 when absent or not one of those).
fn success_response(
    req: &RequestInfo,
    fields: &[(String, String)],
    bucket: &str,
    key: &str,
    etag: &str,
) -> S3Response {
    if let Some(url) = redirect_target(fields) {
        return S3Response::empty(303)
            .header("location", redirect_url(url, bucket, key, etag))
            .header("etag", etag.to_owned());
    }
    let location = object_url(req, bucket, key);
    let mut resp = match field(fields, "success_action_status").map(str::trim) {
        Some("200") => S3Response::empty(200),
        Some("201") => {
            let doc = xml::PostResponse {
                location: location.clone(),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                etag: etag.to_owned(),
            };
            let mut r = S3Response::xml(doc.to_xml());
            r.status = 201;
            r
        }
        _ => S3Response::empty(204),
    };
    resp = resp.header("etag", etag.to_owned()).header("location", location);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn auth(f: &[(String, String)]) -> S3Result<Option<User>> {
        let users = [User {
            access_key: "AKID".into(),
            secret_key: "secret".into(),
            owner_id: None,
            display_name: None,
        }];
        authenticate("us-east-1", ACCEPT, &users, f)
    }

    const ACCEPT: Accept = Accept {
        sigv2: true,
        any_region: false,
    };

    /// A correctly signed form around `policy_json`.
    fn signed(policy_json: &str, secret: &str) -> Vec<(String, String)> {
        let policy = base64::engine::general_purpose::STANDARD.encode(policy_json);
        let key = sigv4::signing_key(secret, "20300101", "us-east-1", "s3");
        let signature = sigv4::signature(&key, &policy);
        fields(&[
            ("key", "k"),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", "AKID/20300101/us-east-1/s3/aws4_request"),
            ("x-amz-date", "20300101T000000Z"),
            ("policy", &policy),
            ("x-amz-signature", &signature),
        ])
    }

    const POLICY: &str = r#"{"expiration": "2030-01-02T00:00:00Z", "conditions": []}"#;

    fn set(f: &mut [(String, String)], name: &str, value: &str) {
        if let Some(slot) = f.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value.to_owned();
        }
    }

    #[test]
    fn a_signed_form_authenticates() {
        let user = auth(&signed(POLICY, "secret")).unwrap();
        assert_eq!(user.unwrap().access_key, "AKID");
    }

    #[test]
    fn signature_and_key_failures() {
        let e = auth(&signed(POLICY, "wrong")).unwrap_err();
        assert_eq!(e.code, Code::SignatureDoesNotMatch);
        let mut f = signed(POLICY, "secret");
        set(&mut f, "x-amz-signature", "zz");
        assert_eq!(auth(&f).unwrap_err().code, Code::SignatureDoesNotMatch);
        let mut f = signed(POLICY, "secret");
        set(
            &mut f,
            "x-amz-credential",
            "NOPE/20300101/us-east-1/s3/aws4_request",
        );
        assert_eq!(auth(&f).unwrap_err().code, Code::InvalidAccessKeyId);
        // The policy is what is signed: changing it breaks the signature.
        let mut f = signed(POLICY, "secret");
        let other = base64::engine::general_purpose::STANDARD.encode(POLICY.replace("2030", "2031"));
        set(&mut f, "policy", &other);
        assert_eq!(auth(&f).unwrap_err().code, Code::SignatureDoesNotMatch);
    }

    #[test]
    fn credential_scope_failures_are_invalid_argument() {
        for cred in [
            "AKID/20300101/eu-west-1/s3/aws4_request",
            "AKID/20300101/us-east-1/ec2/aws4_request",
            "AKID/20300101/us-east-1/s3/aws5_request",
            "AKID/20300102/us-east-1/s3/aws4_request",
            "AKID/us-east-1/s3/aws4_request",
            "/20300101/us-east-1/s3/aws4_request",
        ] {
            let mut f = signed(POLICY, "secret");
            set(&mut f, "x-amz-credential", cred);
            let e = auth(&f).unwrap_err();
            assert_eq!(e.code, Code::InvalidArgument, "{cred}");
            assert!(
                e.extra.contains(&("ArgumentName", "x-amz-credential".into())),
                "{cred}"
            );
        }
        let mut f = signed(POLICY, "secret");
        set(
            &mut f,
            "x-amz-credential",
            "AKID/20300101/eu-west-1/s3/aws4_request",
        );
        let e = auth(&f).unwrap_err();
        assert!(e.extra.contains(&("Region", "us-east-1".into())));
    }

    #[test]
    fn missing_or_odd_auth_fields() {
        for name in SIGNED_FIELDS {
            let mut f = signed(POLICY, "secret");
            f.retain(|(n, _)| n != name);
            let e = auth(&f).unwrap_err();
            assert_eq!(e.code, Code::InvalidArgument, "{name}");
            assert!(
                e.message.contains(&format!("field named '{name}'")),
                "{}",
                e.message
            );
        }
        let mut f = signed(POLICY, "secret");
        f.retain(|(n, _)| n != "policy");
        assert_eq!(auth(&f).unwrap_err().code, Code::InvalidArgument);
        // No credentials at all: an anonymous upload, for the authorization step to decide.
        assert!(auth(&fields(&[("key", "k")])).unwrap().is_none());
        // SigV2 forms.
        let v2 = fields(&[
            ("key", "k"),
            ("awsaccesskeyid", "AKID"),
            ("policy", "e30="),
            ("signature", "x"),
        ]);
        assert_eq!(auth(&v2).unwrap_err().code, Code::SignatureDoesNotMatch);
        let users = [User::parse("AKID:secret").unwrap()];
        let off = Accept {
            sigv2: false,
            any_region: false,
        };
        let e = authenticate("us-east-1", off, &users, &v2).unwrap_err();
        assert_eq!(e.code, Code::InvalidRequest, "SigV2 refused when off");
        let mut f = signed(POLICY, "secret");
        set(&mut f, "x-amz-algorithm", "AWS4-HMAC-SHA1");
        assert_eq!(auth(&f).unwrap_err().code, Code::InvalidArgument);
        let mut f = signed(POLICY, "secret");
        set(&mut f, "x-amz-date", "2030-01-01");
        assert_eq!(auth(&f).unwrap_err().code, Code::InvalidArgument);
    }

    #[test]
    fn sigv2_forms() {
        let policy = base64::engine::general_purpose::STANDARD.encode(POLICY);
        let mut mac = Hmac::<Sha1>::new_from_slice(b"secret").unwrap();
        mac.update(policy.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let mut f = fields(&[
            ("key", "k"),
            ("awsaccesskeyid", "AKID"),
            ("policy", &policy),
            ("signature", &sig),
        ]);
        assert_eq!(auth(&f).unwrap().unwrap().access_key, "AKID");
        set(&mut f, "awsaccesskeyid", "NOPE");
        assert_eq!(auth(&f).unwrap_err().code, Code::InvalidAccessKeyId);
        set(&mut f, "awsaccesskeyid", "AKID");
        set(&mut f, "policy", "e30=");
        let e = auth(&f).unwrap_err();
        assert_eq!(e.code, Code::SignatureDoesNotMatch);
        assert!(e.extra.contains(&("StringToSign", "e30=".into())));
    }

    #[test]
    fn region_agnostic_forms() {
        let policy = base64::engine::general_purpose::STANDARD.encode(POLICY);
        let key = sigv4::signing_key("secret", "20300101", "s3.example.org", "s3");
        let signature = sigv4::signature(&key, &policy);
        let f = fields(&[
            ("key", "k"),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", "AKID/20300101/s3.example.org/s3/aws4_request"),
            ("x-amz-date", "20300101T000000Z"),
            ("policy", &policy),
            ("x-amz-signature", &signature),
        ]);
        assert_eq!(auth(&f).unwrap_err().code, Code::InvalidArgument);
        let users = [User::parse("AKID:secret").unwrap()];
        let any = Accept {
            sigv2: true,
            any_region: true,
        };
        assert!(authenticate("us-east-1", any, &users, &f).is_ok());
    }

    #[test]
    fn keys_from_filenames() {
        let f = fields(&[("key", "up/${filename}")]);
        assert_eq!(object_key(&f, Some("cat.png")).unwrap(), "up/cat.png");
        assert_eq!(object_key(&f, None).unwrap(), "up/");
        let e = object_key(&fields(&[("key", "${filename}")]), None).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        let e = object_key(&fields(&[]), Some("x")).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("field named 'key'"));
        let long = "k".repeat(MAX_KEY_LEN + 1);
        let e = object_key(&fields(&[("key", &long)]), None).unwrap_err();
        assert_eq!(e.code, Code::KeyTooLongError);
    }

    #[test]
    fn records_take_form_headers_and_metadata() {
        let f = fields(&[
            ("cache-control", "max-age=60"),
            ("content-disposition", "inline"),
            ("x-amz-meta-color", "blue"),
            ("key", "k"),
        ]);
        let rec = record_from_fields(&f, Some("image/png".into())).unwrap();
        assert_eq!(rec.content_type.as_deref(), Some("image/png"));
        assert_eq!(rec.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(rec.content_disposition.as_deref(), Some("inline"));
        assert_eq!(rec.user_meta, vec![("color".to_owned(), "blue".to_owned())]);
        let f = fields(&[("content-type", "text/plain")]);
        let rec = record_from_fields(&f, Some("image/png".into())).unwrap();
        assert_eq!(rec.content_type.as_deref(), Some("text/plain"));
        let big = "v".repeat(MAX_USER_META);
        let e = record_from_fields(&fields(&[("x-amz-meta-a", &big)]), None).unwrap_err();
        assert_eq!(e.code, Code::MetadataTooLarge);
    }

    #[test]
    fn redirects() {
        let f = fields(&[("success_action_redirect", "https://example.com/done?x=1#top")]);
        let url = redirect_target(&f).unwrap();
        assert_eq!(
            redirect_url(url, "b", "a b/c+d", "\"e\""),
            "https://example.com/done?x=1&bucket=b&key=a%20b%2Fc%2Bd&etag=%22e%22#top"
        );
        assert_eq!(
            redirect_url("http://h/p", "b", "k", "\"e\""),
            "http://h/p?bucket=b&key=k&etag=%22e%22"
        );
        assert_eq!(
            redirect_target(&fields(&[("redirect", "http://h/")])),
            Some("http://h/")
        );
        for bad in ["", "/relative", "ftp://h/", "http://", "http:///x", "http://a b/"] {
            let f = fields(&[("success_action_redirect", bad)]);
            assert_eq!(redirect_target(&f), None, "{bad}");
        }
    }

    fn request(path: &str, host: Option<&str>) -> RequestInfo {
        let headers = host.map(|h| ("Host".to_owned(), h.to_owned()));
        RequestInfo::new("POST", path, "", headers, "id".into())
    }

    #[test]
    fn success_statuses() {
        let req = request("/b", Some("s3.local:9000"));
        let resp = |pairs: &[(&str, &str)]| success_response(&req, &fields(pairs), "b", "dir/a b", "\"e\"");
        let header =
            |r: &S3Response, name: &str| r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let r = resp(&[]);
        assert_eq!(r.status, 204);
        assert_eq!(header(&r, "etag").as_deref(), Some("\"e\""));
        assert_eq!(
            header(&r, "location").as_deref(),
            Some("http://s3.local:9000/b/dir/a%20b")
        );
        assert_eq!(resp(&[("success_action_status", "200")]).status, 200);
        assert_eq!(resp(&[("success_action_status", "404")]).status, 204);
        let r = resp(&[("success_action_status", "201")]);
        assert_eq!(r.status, 201);
        let crate::s3::response::Body::Full(body) = &r.body else {
            panic!("201 has a body")
        };
        let body = String::from_utf8_lossy(body);
        assert!(body.contains("<Key>dir/a b</Key>"), "{body}");
        assert!(
            body.contains("<Location>http://s3.local:9000/b/dir/a%20b</Location>"),
            "{body}"
        );
        let r = resp(&[
            ("success_action_redirect", "http://h/ok"),
            ("success_action_status", "201"),
        ]);
        assert_eq!(r.status, 303);
        assert_eq!(
            header(&r, "location").as_deref(),
            Some("http://h/ok?bucket=b&key=dir%2Fa%20b&etag=%22e%22")
        );
        // Virtual-host style: the bucket is in the host, not the path.
        let vreq = request("/", Some("b.s3.local"));
        let r = success_response(&vreq, &[], "b", "k", "\"e\"");
        assert_eq!(header(&r, "location").as_deref(), Some("http://b.s3.local/k"));
    }

    #[test]
    fn size_limits_while_streaming() {
        let run = |data: Vec<&'static [u8]>, min, max| {
            let s = futures_util::stream::iter(data.into_iter().map(|c| Ok(Bytes::from_static(c))));
            let out: Vec<S3Result<Bytes>> = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(limit_size(s, min, max).collect());
            out
        };
        let ok = run(vec![b"abc", b"de"], 5, 5);
        assert!(ok.iter().all(Result::is_ok) && ok.len() == 2);
        let big = run(vec![b"abc", b"de", b"f"], 0, 4);
        assert_eq!(big.len(), 2, "stops at the chunk that crosses the limit");
        assert_eq!(big[1].as_ref().unwrap_err().code, Code::EntityTooLarge);
        let small = run(vec![b"abc"], 4, 10);
        assert_eq!(small.len(), 2);
        assert_eq!(small[1].as_ref().unwrap_err().code, Code::EntityTooSmall);
    }
}
