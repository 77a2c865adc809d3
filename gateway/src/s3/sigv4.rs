//! AWS Signature Version 4 verification for S3 requests.
//!
//! This module owns the whole `SigV4` check of a request head: parsing the `Authorization` header
//! or the presigned query (`X-Amz-Algorithm`, `X-Amz-Credential`, ...), the credential scope
//! checks (date, region, service), clock skew and presigned expiry, building the canonical
//! request exactly as S3 does (path decoded once and re-encoded, query sorted, headers
//! trimmed), comparing the signature in constant time, and deciding how the body must be
//! checked afterwards ([`Payload`]), including the chained chunk and trailer signatures of
//! `aws-chunked` uploads ([`ChunkSigner`]). Every failure is an [`AuthError`] whose
//! [`code`](AuthError::code) is the S3 error code AWS returns in the same situation.
//!
//! It must not depend on any HTTP framework type, do any I/O, or read the clock: the caller
//! hands in the request as borrowed strings ([`Request`]), the current time (`now`) and a
//! secret-key lookup, and gets a plain value back. It never panics on any input. It does not
//! read or hash the body: the caller does that with what [`Payload`] says.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use time::{macros::format_description, OffsetDateTime, PrimitiveDateTime};

#[cfg(test)]
mod tests;

type HmacSha256 = Hmac<Sha256>;

/// The only signing algorithm accepted: `AWS4-HMAC-SHA256`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name every credential scope must carry.
pub const SERVICE: &str = "s3";
/// The last element of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// Largest allowed distance between the request time and the server clock (15 minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// Largest `X-Amz-Expires` a presigned request may carry: one week, in seconds.
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;
/// `x-amz-content-sha256` value for a body that is not covered by the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` value for `aws-chunked` bodies with signed chunks.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// `x-amz-content-sha256` value for `aws-chunked` bodies with signed chunks and a signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` value for `aws-chunked` bodies with unsigned chunks and trailer.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Characters AWS's `UriEncode` leaves alone: `A-Z a-z 0-9 - . _ ~`. Everything else becomes
/// `%XX` with upper-case hex digits.
const URI_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// As [`URI_ENCODE_SET`], but `/` is kept too (object key paths).
const URI_ENCODE_PATH_SET: &AsciiSet = &URI_ENCODE_SET.remove(b'/');

/// Message of AWS's `InvalidRequest` for `SigV2`, `SigV4a` and other mechanisms we do not take.
const UNSUPPORTED_MECHANISM: &str =
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
/// Message for a request whose date cannot be found or parsed.
pub(crate) const MISSING_DATE: &str = "AWS authentication requires a valid Date or x-amz-date header";
/// Message when `host` is not among the signed headers.
const HEADERS_NOT_SIGNED: &str = "There were headers present in the request which were not signed";

/// A request head as it arrived, borrowed from whatever HTTP layer carried it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, as sent (`GET`, `PUT`...).
    pub method: &'a str,
    /// Path exactly as on the wire: still percent-encoded, without the query,
    /// e.g. `/bucket/a%20b+c`.
    pub raw_path: &'a str,
    /// Query exactly as on the wire, without the leading `?`; may be empty.
    pub raw_query: &'a str,
    /// Header names in any case, values as received; a name may repeat. On HTTP/2 the caller
    /// passes `:authority` as `host`.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> Request<'a> {
    /// Values of every header called `name` (ASCII case-insensitive), in order.
    fn header_values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// First value of header `name`, if any.
    fn header(&self, name: &'a str) -> Option<&'a str> {
        self.header_values(name).next()
    }
}

/// Why a request was refused. Each variant is one S3 error code ([`AuthError::code`]); the
/// renderer adds [`AuthError::details`] as extra elements of the `<Error>` document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// `AccessDenied`: expired or not-yet-valid presigned URL, missing date, unsigned `host`.
    #[error("{message}")]
    AccessDenied {
        /// The human message, in AWS's wording.
        message: String,
        /// Extra `<Error>` elements (for an expired URL: `X-Amz-Expires`, `Expires`, `ServerTime`).
        details: Vec<(&'static str, String)>,
    },
    /// `InvalidAccessKeyId`: the access key is not known to the lookup.
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    InvalidAccessKeyId {
        /// The access key the client sent.
        access_key: String,
    },
    /// `SignatureDoesNotMatch`: the signature (of the request, a chunk or a trailer) is wrong.
    #[error("The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    SignatureDoesNotMatch {
        /// What the server signed, for the client to compare (absent for chunk signatures).
        details: Option<Box<SignatureMismatch>>,
    },
    /// `SignatureDoesNotMatch` for a `SigV2` request (see `sigv2`): what the server signed,
    /// as text and as bytes, the way AWS echoes it.
    #[error("The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    SignatureDoesNotMatchV2 {
        /// The access key of the request.
        access_key: String,
        /// The string-to-sign the server computed.
        string_to_sign: String,
        /// The signature the client sent.
        signature_provided: String,
    },
    /// `RequestTimeTooSkewed`: header-signed request more than [`MAX_SKEW`] away from `now`.
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed {
        /// The time the request says it was signed at.
        request_time: SystemTime,
        /// The server's time (`now`).
        server_time: SystemTime,
    },
    /// `AuthorizationHeaderMalformed`: bad `Authorization` syntax or credential scope.
    #[error("The authorization header is malformed; {reason}")]
    AuthorizationHeaderMalformed {
        /// What is wrong, completing "The authorization header is malformed; ".
        reason: String,
        /// For a wrong region, the region the client must use (`<Region>`, read by s3cmd).
        region: Option<String>,
    },
    /// `AuthorizationQueryParametersError`: bad or missing presigned query parameters.
    #[error("{message}")]
    AuthorizationQueryParametersError {
        /// The human message, in AWS's wording.
        message: String,
        /// For a wrong region, the region the client must use.
        region: Option<String>,
    },
    /// `InvalidRequest`: missing `x-amz-content-sha256`, or an unsupported auth mechanism.
    #[error("{message}")]
    InvalidRequest {
        /// The human message, in AWS's wording.
        message: String,
    },
    /// `InvalidArgument`: unknown `x-amz-content-sha256` value, two auth mechanisms at once,
    /// or an `Authorization` header of no known type.
    #[error("{message}")]
    InvalidArgument {
        /// The human message, in AWS's wording.
        message: String,
        /// `<ArgumentName>`: the header or parameter at fault.
        name: &'static str,
        /// `<ArgumentValue>`: its value as sent.
        value: String,
    },
    /// `XAmzContentSHA256Mismatch`: the body does not hash to the signed `x-amz-content-sha256`.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    XAmzContentSha256Mismatch {
        /// Hex hash the client declared.
        client_computed: String,
        /// Hex hash of the body the server received.
        server_computed: String,
    },
}

/// What the server signed when a request signature did not match, echoed the way AWS does so
/// that clients can see how their canonical request differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The access key of the request.
    pub access_key: String,
    /// The signature the client sent.
    pub signature_provided: String,
    /// The string-to-sign the server computed.
    pub string_to_sign: String,
    /// The canonical request the server computed.
    pub canonical_request: String,
}

impl AuthError {
    /// The S3 error code (`<Code>`), e.g. `"SignatureDoesNotMatch"`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::AccessDenied { .. } => "AccessDenied",
            Self::InvalidAccessKeyId { .. } => "InvalidAccessKeyId",
            Self::SignatureDoesNotMatch { .. } | Self::SignatureDoesNotMatchV2 { .. } => {
                "SignatureDoesNotMatch"
            }
            Self::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Self::AuthorizationHeaderMalformed { .. } => "AuthorizationHeaderMalformed",
            Self::AuthorizationQueryParametersError { .. } => "AuthorizationQueryParametersError",
            Self::InvalidRequest { .. } => "InvalidRequest",
            Self::InvalidArgument { .. } => "InvalidArgument",
            Self::XAmzContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
        }
    }

    /// The human message (`<Message>`).
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Extra elements of the `<Error>` document, as (element name, text) pairs, in AWS's order:
    /// `RequestTime`/`ServerTime`/`MaxAllowedSkewMilliseconds` for a skew, `Region` for a wrong
    /// region, `ArgumentName`/`ArgumentValue`, and so on.
    #[must_use]
    pub fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::AccessDenied { details, .. } => details.clone(),
            Self::InvalidAccessKeyId { access_key } => {
                vec![("AWSAccessKeyId", access_key.clone())]
            }
            Self::SignatureDoesNotMatch { details: Some(d) } => vec![
                ("AWSAccessKeyId", d.access_key.clone()),
                ("StringToSign", d.string_to_sign.clone()),
                ("SignatureProvided", d.signature_provided.clone()),
                ("CanonicalRequest", d.canonical_request.clone()),
            ],
            Self::SignatureDoesNotMatchV2 {
                access_key,
                string_to_sign,
                signature_provided,
            } => vec![
                ("AWSAccessKeyId", access_key.clone()),
                ("StringToSign", string_to_sign.clone()),
                ("SignatureProvided", signature_provided.clone()),
                ("StringToSignBytes", hex_bytes(string_to_sign.as_bytes())),
            ],
            Self::RequestTimeTooSkewed {
                request_time,
                server_time,
            } => vec![
                ("RequestTime", format_amz_date(unix_seconds(*request_time))),
                ("ServerTime", format_iso8601(unix_seconds(*server_time))),
                ("MaxAllowedSkewMilliseconds", MAX_SKEW.as_millis().to_string()),
            ],
            Self::AuthorizationHeaderMalformed { region: Some(r), .. }
            | Self::AuthorizationQueryParametersError { region: Some(r), .. } => vec![("Region", r.clone())],
            Self::InvalidArgument { name, value, .. } => {
                vec![
                    ("ArgumentName", (*name).to_owned()),
                    ("ArgumentValue", value.clone()),
                ]
            }
            Self::XAmzContentSha256Mismatch {
                client_computed,
                server_computed,
            } => vec![
                ("ClientComputedContentSHA256", client_computed.clone()),
                ("S3ComputedContentSHA256", server_computed.clone()),
            ],
            Self::SignatureDoesNotMatch { details: None }
            | Self::AuthorizationHeaderMalformed { region: None, .. }
            | Self::AuthorizationQueryParametersError { region: None, .. }
            | Self::InvalidRequest { .. } => Vec::new(),
        }
    }

    /// `SignatureDoesNotMatch` without details (chunks, trailers, missing signed headers).
    fn mismatch() -> Self {
        Self::SignatureDoesNotMatch { details: None }
    }

    pub(crate) fn access_denied(message: &str) -> Self {
        Self::AccessDenied {
            message: message.to_owned(),
            details: Vec::new(),
        }
    }

    fn header_malformed(reason: impl Into<String>) -> Self {
        Self::AuthorizationHeaderMalformed {
            reason: reason.into(),
            region: None,
        }
    }

    fn query_error(message: impl Into<String>) -> Self {
        Self::AuthorizationQueryParametersError {
            message: message.into(),
            region: None,
        }
    }

    fn unsupported_mechanism() -> Self {
        Self::InvalidRequest {
            message: UNSUPPORTED_MECHANISM.to_owned(),
        }
    }
}

/// How the body must be checked once the head is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD`, or a presigned request without a signed payload hash: no check.
    Unsigned,
    /// A hex hash in `x-amz-content-sha256`: the body must hash to it
    /// (see [`Payload::check_sha256`]).
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an `aws-chunked` body whose chunk signatures are
    /// checked with the signer.
    Streaming(ChunkSigner),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: as `Streaming`, then a signed trailer.
    StreamingTrailer(ChunkSigner),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: an `aws-chunked` body with unsigned chunks and an
    /// unsigned trailer (its checksum is what protects the body).
    StreamingUnsignedTrailer,
}

impl Payload {
    /// Checks the SHA-256 of the body the server received against a signed hash. Every other
    /// variant accepts anything (their checks are elsewhere).
    ///
    /// # Errors
    /// `XAmzContentSHA256Mismatch` when a signed hash differs from `body_sha256`.
    pub fn check_sha256(&self, body_sha256: &[u8; 32]) -> Result<(), AuthError> {
        match self {
            Self::Sha256(expected) if expected != body_sha256 => Err(AuthError::XAmzContentSha256Mismatch {
                client_computed: hex::encode(expected),
                server_computed: hex::encode(body_sha256),
            }),
            _ => Ok(()),
        }
    }
}

/// Verifies the chained signatures of an `aws-chunked` body: each chunk's signature covers
/// the previous signature (the first one covers the request's own signature, the "seed"), and
/// the trailer's covers the last chunk's.
#[derive(Clone, PartialEq, Eq)]
pub struct ChunkSigner {
    signing_key: [u8; 32],
    amz_date: String,
    scope: String,
    previous_signature: String,
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("signing_key", &"<redacted>")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("previous_signature", &self.previous_signature)
            .finish()
    }
}

impl ChunkSigner {
    /// A signer for a body whose request was signed with `signing_key` at `amz_date`
    /// (`yyyymmddThhmmssZ`) for `scope` (`yyyymmdd/region/s3/aws4_request`), with
    /// `seed_signature_hex` the request's own signature.
    pub fn new(
        signing_key: [u8; 32],
        amz_date: impl Into<String>,
        scope: impl Into<String>,
        seed_signature_hex: impl Into<String>,
    ) -> Self {
        Self {
            signing_key,
            amz_date: amz_date.into(),
            scope: scope.into(),
            previous_signature: seed_signature_hex.into().to_ascii_lowercase(),
        }
    }

    /// The signature the next chunk (or the trailer) chains from, lower-case hex.
    #[must_use]
    pub fn previous_signature(&self) -> &str {
        &self.previous_signature
    }

    /// The string-to-sign of a chunk whose data hashes to `chunk_data_sha256`.
    #[must_use]
    pub fn chunk_string_to_sign(&self, chunk_data_sha256: &[u8; 32]) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous_signature,
            EMPTY_SHA256_HEX,
            hex::encode(chunk_data_sha256)
        )
    }

    /// The string-to-sign of the trailer whose canonical bytes are `canonical_trailer`
    /// (`name:value\n` per trailing header, as AWS specifies).
    #[must_use]
    pub fn trailer_string_to_sign(&self, canonical_trailer: &[u8]) -> String {
        format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous_signature,
            hex::encode(Sha256::digest(canonical_trailer))
        )
    }

    /// Checks one chunk's `chunk-signature` (the final, empty chunk included). On success the
    /// chain advances to this signature; on failure it does not move.
    ///
    /// # Errors
    /// `SignatureDoesNotMatch` when the claimed signature is not the expected one.
    pub fn verify_chunk(
        &mut self,
        chunk_data_sha256: &[u8; 32],
        claimed_signature_hex: &str,
    ) -> Result<(), AuthError> {
        let sts = self.chunk_string_to_sign(chunk_data_sha256);
        self.advance(&sts, claimed_signature_hex)
    }

    /// Checks the `x-amz-trailer-signature` over the canonical trailer bytes. On success the
    /// chain advances to this signature.
    ///
    /// # Errors
    /// `SignatureDoesNotMatch` when the claimed signature is not the expected one.
    pub fn verify_trailer(
        &mut self,
        canonical_trailer_bytes: &[u8],
        claimed_signature_hex: &str,
    ) -> Result<(), AuthError> {
        let sts = self.trailer_string_to_sign(canonical_trailer_bytes);
        self.advance(&sts, claimed_signature_hex)
    }

    fn advance(&mut self, string_to_sign: &str, claimed_hex: &str) -> Result<(), AuthError> {
        if verify_signature(&self.signing_key, string_to_sign, claimed_hex) {
            self.previous_signature = claimed_hex.to_ascii_lowercase();
            Ok(())
        } else {
            Err(AuthError::mismatch())
        }
    }
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed it (its owner is the caller).
    pub access_key: String,
    /// How the body must be checked.
    pub payload: Payload,
    /// Whether the signature came from the query (presigned URL) rather than the header.
    pub presigned: bool,
}

/// Whether the request carries no `SigV4` (or `SigV2`) credentials at all: no `Authorization`
/// header and none of `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Signature`,
/// `AWSAccessKeyId`, `Signature` in the query.
#[must_use]
pub fn is_anonymous(req: &Request) -> bool {
    req.header("authorization").is_none()
        && !presigned_v4_in_query(req.raw_query)
        && !presigned_v2_in_query(req.raw_query)
}

/// Verifies a request signed with `SigV4`, by `Authorization` header or presigned query.
///
/// `region` is the gateway's region, `now` the server time, `lookup` maps an access key to its
/// secret key (`None`: unknown key, answered with `InvalidAccessKeyId`). An anonymous request
/// (see [`is_anonymous`]) gets `AccessDenied`; `SigV2` and `SigV4a` get `InvalidRequest`.
///
/// For header auth, `x-amz-content-sha256` is required; its accepted values are a 64-digit hex
/// hash, `UNSIGNED-PAYLOAD` and the three `STREAMING-*` values of [`Payload`]. Anything else,
/// the `STREAMING-AWS4-ECDSA-P256-SHA256-*` (`SigV4a`) values included, is `InvalidArgument`,
/// as AWS answers for an unknown value.
///
/// # Errors
/// Every refusal, as the [`AuthError`] AWS would answer with; see its variants.
pub fn verify(
    req: &Request,
    region: &str,
    now: SystemTime,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    verify_with(req, region, false, now, lookup)
}

/// [`verify`], and with `any_region` a credential scoped to any region is accepted: the
/// signature is then checked with the region the client put in its scope (region-agnostic
/// mode, for clients that sign with another region name, such as git-annex's host name).
///
/// # Errors
/// As [`verify`].
pub fn verify_with(
    req: &Request,
    region: &str,
    any_region: bool,
    now: SystemTime,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    let region = RegionCheck { region, any_region };
    let mut authorization = req.header_values("authorization");
    let first = authorization.next();
    let presigned = presigned_v4_in_query(req.raw_query);
    match first {
        Some(value) if presigned || presigned_v2_in_query(req.raw_query) => Err(AuthError::InvalidArgument {
            message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query \
                          parameter, Signature query string parameter or the Authorization \
                          header should be specified"
                .to_owned(),
            name: "Authorization",
            value: value.to_owned(),
        }),
        Some(_) if authorization.next().is_some() => Err(AuthError::header_malformed(
            "the request carries more than one Authorization header.",
        )),
        Some(value) => verify_header_auth(req, value, region, now, &lookup),
        None if presigned => verify_presigned(req, region, now, &lookup),
        None if presigned_v2_in_query(req.raw_query) => Err(AuthError::unsupported_mechanism()),
        None => Err(AuthError::access_denied("Access Denied")),
    }
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/// The `SigV4` signing key, with `yyyymmdd` the credential date:
/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
#[must_use]
pub fn signing_key(secret: &str, yyyymmdd: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), yyyymmdd.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// The credential scope `yyyymmdd/region/service/aws4_request`.
#[must_use]
pub fn credential_scope(yyyymmdd: &str, region: &str, service: &str) -> String {
    format!("{yyyymmdd}/{region}/{service}/{SCOPE_TERMINATOR}")
}

/// S3's canonical URI: the raw path's `%XX` escapes are decoded to bytes exactly once (a `+`
/// is a literal plus, an escape that is not `%` + two hex digits is kept literally, so its `%`
/// becomes `%25`), then every byte is re-encoded with AWS `UriEncode`, keeping `/`. No
/// dot-segment removal and no slash merging, as in S3. An empty path is `/`.
#[must_use]
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let bytes: Vec<u8> = percent_decode(raw_path.as_bytes()).collect();
    percent_encode(&bytes, URI_ENCODE_PATH_SET).to_string()
}

/// The canonical query string: the raw query split on `&` (empty pieces dropped), each piece
/// on its first `=` (no `=`: empty value), names and values decoded once (`%XX`, and `+` as a
/// space, as S3 reads queries), re-encoded with `UriEncode` (`/` encoded too), sorted by name
/// then value, joined with `&`. With `exclude_signature`, `X-Amz-Signature` is left out
/// (presigned requests).
#[must_use]
pub fn canonical_query(raw_query: &str, exclude_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = parse_query(raw_query)
        .filter(|(name, _)| !(exclude_signature && name.as_slice() == b"X-Amz-Signature"))
        .map(|(name, value)| {
            (
                percent_encode(&name, URI_ENCODE_SET).to_string(),
                percent_encode(&value, URI_ENCODE_SET).to_string(),
            )
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// The canonical headers block: one `name:value\n` line per signed header, names lower-case
/// and sorted, values trimmed with inner runs of whitespace collapsed to one space, the values
/// of a repeated header joined with `,` in arrival order. A signed header that the request
/// lacks is `SignatureDoesNotMatch` (the client signed something that did not arrive).
///
/// # Errors
/// `SignatureDoesNotMatch` when a signed header is missing from `headers`.
pub fn canonical_headers(headers: &[(&str, &str)], signed_names: &[&str]) -> Result<String, AuthError> {
    let mut names: Vec<String> = signed_names.iter().map(|n| n.to_ascii_lowercase()).collect();
    names.sort();
    let mut out = String::new();
    for name in &names {
        let mut values = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| collapse_whitespace(v))
            .peekable();
        if values.peek().is_none() {
            return Err(AuthError::mismatch());
        }
        out.push_str(name);
        out.push(':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&value);
        }
        out.push('\n');
    }
    Ok(out)
}

/// The canonical request: method, canonical URI, canonical query, canonical headers (each line
/// ending in `\n`, so a blank line follows), signed header names, payload hash, joined by `\n`.
#[must_use]
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    )
}

/// The string-to-sign: `AWS4-HMAC-SHA256`, the request time (`yyyymmddThhmmssZ`), the
/// credential scope and the hex SHA-256 of the canonical request, joined by `\n`.
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The hex signature of `string_to_sign` under `signing_key`.
#[must_use]
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Header authentication
// ---------------------------------------------------------------------------------------------

/// The three components of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct AuthorizationHeader<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// The five parts of `AK/yyyymmdd/region/service/aws4_request`.
struct Credential<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
}

fn parse_authorization(value: &str) -> Result<AuthorizationHeader<'_>, AuthError> {
    let value = value.trim_matches(is_space);
    let (algorithm, rest) = value.split_once(is_space).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(match algorithm {
            "AWS" | "AWS4-ECDSA-P256-SHA256" => AuthError::unsupported_mechanism(),
            _ => AuthError::InvalidArgument {
                message: "Unsupported Authorization Type".to_owned(),
                name: "Authorization",
                value: value.to_owned(),
            },
        });
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(|c: char| c == ',' || is_space(c)) {
        if part.is_empty() {
            continue;
        }
        let slot = match part.split_once('=') {
            Some(("Credential", v)) => (&mut credential, v),
            Some(("SignedHeaders", v)) => (&mut signed_headers, v),
            Some(("Signature", v)) => (&mut signature, v),
            _ => {
                return Err(AuthError::header_malformed(format!(
                    "the authorization component \"{part}\" is malformed."
                )))
            }
        };
        if slot.0.replace(slot.1).is_some() {
            return Err(AuthError::header_malformed(format!(
                "the authorization component \"{part}\" is repeated."
            )));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(AuthorizationHeader {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(AuthError::header_malformed(
            "the authorization header requires three components: Credential, SignedHeaders, \
             and Signature.",
        )),
    }
}

/// Splits a credential from the right, so that the access key is everything before the last
/// four `/`-separated parts.
fn parse_credential(value: &str) -> Option<Credential<'_>> {
    let mut parts = value.rsplitn(5, '/');
    let terminator = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let date = parts.next()?;
    let access_key = parts.next().filter(|ak| !ak.is_empty())?;
    Some(Credential {
        access_key,
        date,
        region,
        service,
        terminator,
    })
}

/// Where a scope error is reported: the header or the query.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Header,
    Query,
}

fn scope_error(via: Via, reason: String, region: Option<String>) -> AuthError {
    match via {
        Via::Header => AuthError::AuthorizationHeaderMalformed { reason, region },
        Via::Query => AuthError::AuthorizationQueryParametersError {
            message: format!("Error parsing the X-Amz-Credential parameter; {reason}"),
            region,
        },
    }
}

/// Parses a credential and checks its scope against the request date and our region.
fn checked_credential<'a>(
    value: &'a str,
    amz_date: &str,
    region: RegionCheck,
    via: Via,
) -> Result<Credential<'a>, AuthError> {
    let RegionCheck { region, any_region } = region;
    let Some(scope_parts) = parse_credential(value) else {
        return Err(scope_error(
            via,
            "the Credential is mal-formed; expecting \
             \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
                .to_owned(),
            None,
        ));
    };
    let region_ok = scope_parts.region == region || (any_region && !scope_parts.region.is_empty());
    if !region_ok {
        return Err(scope_error(
            via,
            format!(
                "the region '{}' is wrong; expecting '{region}'",
                scope_parts.region
            ),
            Some(region.to_owned()),
        ));
    }
    if scope_parts.service != SERVICE {
        return Err(scope_error(
            via,
            format!(
                "incorrect service \"{}\". This endpoint belongs to \"{SERVICE}\".",
                scope_parts.service
            ),
            None,
        ));
    }
    if scope_parts.terminator != SCOPE_TERMINATOR {
        return Err(scope_error(
            via,
            format!(
                "incorrect terminal \"{}\". This endpoint uses \"{SCOPE_TERMINATOR}\".",
                scope_parts.terminator
            ),
            None,
        ));
    }
    let request_day = amz_date.get(..8).unwrap_or(amz_date);
    if scope_parts.date != request_day {
        let what = if via == Via::Query {
            "X-Amz-Date"
        } else {
            "the request date"
        };
        return Err(scope_error(
            via,
            format!(
                "Invalid credential date \"{}\". This date is not the same as {what}: \"{request_day}\".",
                scope_parts.date
            ),
            None,
        ));
    }
    Ok(scope_parts)
}

/// Request time from `x-amz-date` (`yyyymmddThhmmssZ`), else from `Date` (RFC 1123), as
/// (canonical `yyyymmddThhmmssZ`, Unix seconds).
fn header_request_time(req: &Request) -> Result<(String, i64), AuthError> {
    let seconds = match req.header("x-amz-date") {
        Some(v) => parse_amz_date(v.trim_matches(is_space)),
        None => req
            .header("date")
            .and_then(|v| parse_http_date(v.trim_matches(is_space))),
    };
    seconds
        .map(|s| (format_amz_date(s), s))
        .ok_or_else(|| AuthError::access_denied(MISSING_DATE))
}

/// What `x-amz-content-sha256` announces, before the signature is known.
#[derive(Clone, Copy)]
enum PayloadKind {
    Unsigned,
    Sha256([u8; 32]),
    Streaming,
    StreamingTrailer,
    StreamingUnsignedTrailer,
}

fn parse_payload_hash(value: &str) -> Result<PayloadKind, AuthError> {
    match value {
        UNSIGNED_PAYLOAD => Ok(PayloadKind::Unsigned),
        STREAMING_PAYLOAD => Ok(PayloadKind::Streaming),
        STREAMING_PAYLOAD_TRAILER => Ok(PayloadKind::StreamingTrailer),
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => Ok(PayloadKind::StreamingUnsignedTrailer),
        hash => decode_hex32(hash)
            .map(PayloadKind::Sha256)
            .ok_or_else(|| AuthError::InvalidArgument {
                message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, \
                          STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, \
                          STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
                    .to_owned(),
                name: "x-amz-content-sha256",
                value: value.to_owned(),
            }),
    }
}

fn payload_for(kind: PayloadKind, signer: &ChunkSigner) -> Payload {
    match kind {
        PayloadKind::Unsigned => Payload::Unsigned,
        PayloadKind::Sha256(h) => Payload::Sha256(h),
        PayloadKind::Streaming => Payload::Streaming(signer.clone()),
        PayloadKind::StreamingTrailer => Payload::StreamingTrailer(signer.clone()),
        PayloadKind::StreamingUnsignedTrailer => Payload::StreamingUnsignedTrailer,
    }
}

/// `x-amz-*` request headers that may be sent without being signed: the payload hash (it is
/// the canonical request's last line in header auth, and only read when signed in a presigned
/// request) and the date (the string to sign carries the request time itself).
const UNSIGNED_AMZ_HEADERS_ALLOWED: [&str; 2] = ["x-amz-content-sha256", "x-amz-date"];

/// Every `x-amz-*` header of the request must be among the signed headers (except
/// [`UNSIGNED_AMZ_HEADERS_ALLOWED`]): otherwise anyone holding a presigned URL could add, say,
/// `x-amz-copy-source` and turn a PutObject into a CopyObject. AWS refuses the same way.
fn check_amz_headers_signed(req: &Request, signed: &[&str]) -> Result<(), AuthError> {
    let mut unsigned: Vec<String> = Vec::new();
    for (name, _) in req.headers {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-amz-")
            && !UNSIGNED_AMZ_HEADERS_ALLOWED.contains(&lower.as_str())
            && !signed.iter().any(|s| s.eq_ignore_ascii_case(&lower))
            && !unsigned.contains(&lower)
        {
            unsigned.push(lower);
        }
    }
    if unsigned.is_empty() {
        return Ok(());
    }
    Err(AuthError::AccessDenied {
        message: HEADERS_NOT_SIGNED.to_owned(),
        details: vec![("HeadersNotSigned", unsigned.join(", "))],
    })
}

/// Splits `SignedHeaders` and requires `host` among them.
fn signed_header_names(value: &str, via: Via) -> Result<Vec<&str>, AuthError> {
    let names: Vec<&str> = value.split(';').collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(match via {
            Via::Header => AuthError::header_malformed(format!(
                "the authorization component \"SignedHeaders={value}\" is malformed."
            )),
            Via::Query => AuthError::query_error("X-Amz-SignedHeaders is malformed."),
        });
    }
    if !names.iter().any(|n| n.eq_ignore_ascii_case("host")) {
        return Err(AuthError::access_denied(HEADERS_NOT_SIGNED));
    }
    Ok(names)
}

/// The gateway's region, and whether a scope naming another one is accepted.
#[derive(Clone, Copy)]
struct RegionCheck<'a> {
    region: &'a str,
    any_region: bool,
}

fn verify_header_auth(
    req: &Request,
    authorization: &str,
    region: RegionCheck,
    now: SystemTime,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    let auth = parse_authorization(authorization)?;
    let (amz_date, request_secs) = header_request_time(req)?;
    let scope_parts = checked_credential(auth.credential, &amz_date, region, Via::Header)?;
    let now_secs = unix_seconds(now);
    if request_secs.abs_diff(now_secs) > MAX_SKEW.as_secs() {
        return Err(AuthError::RequestTimeTooSkewed {
            request_time: system_time(request_secs),
            server_time: now,
        });
    }
    let names = signed_header_names(auth.signed_headers, Via::Header)?;
    check_amz_headers_signed(req, &names)?;
    let payload_hash = req
        .header("x-amz-content-sha256")
        .ok_or_else(|| AuthError::InvalidRequest {
            message: "Missing required header for this request: x-amz-content-sha256".to_owned(),
        })?;
    let kind = parse_payload_hash(payload_hash)?;
    let secret = lookup(scope_parts.access_key).ok_or_else(|| AuthError::InvalidAccessKeyId {
        access_key: scope_parts.access_key.to_owned(),
    })?;
    let canonical = canonical_request(
        req.method,
        &canonical_uri(req.raw_path),
        &canonical_query(req.raw_query, false),
        &canonical_headers(req.headers, &names)?,
        auth.signed_headers,
        payload_hash,
    );
    let signer = check_signature(&scope_parts, &secret, &amz_date, &canonical, auth.signature)?;
    Ok(Verified {
        access_key: scope_parts.access_key.to_owned(),
        payload: payload_for(kind, &signer),
        presigned: false,
    })
}

/// Computes the request signature and compares it in constant time with `claimed`. On success
/// returns the chunk signer seeded with it.
fn check_signature(
    scope_parts: &Credential,
    secret: &str,
    amz_date: &str,
    canonical_request: &str,
    claimed: &str,
) -> Result<ChunkSigner, AuthError> {
    let key = signing_key(secret, scope_parts.date, scope_parts.region, scope_parts.service);
    let scope = credential_scope(scope_parts.date, scope_parts.region, scope_parts.service);
    let sts = string_to_sign(amz_date, &scope, canonical_request);
    if verify_signature(&key, &sts, claimed) {
        Ok(ChunkSigner::new(key, amz_date, scope, claimed))
    } else {
        Err(AuthError::SignatureDoesNotMatch {
            details: Some(Box::new(SignatureMismatch {
                access_key: scope_parts.access_key.to_owned(),
                signature_provided: claimed.to_owned(),
                string_to_sign: sts,
                canonical_request: canonical_request.to_owned(),
            })),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Presigned (query) authentication
// ---------------------------------------------------------------------------------------------

/// First decoded value of query parameter `name` (exact, case-sensitive name).
fn query_param(raw_query: &str, name: &str) -> Option<String> {
    parse_query(raw_query)
        .find(|(n, _)| n.as_slice() == name.as_bytes())
        .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
}

pub(crate) fn presigned_v4_in_query(raw_query: &str) -> bool {
    parse_query(raw_query).any(|(n, _)| {
        matches!(
            n.as_slice(),
            b"X-Amz-Algorithm" | b"X-Amz-Credential" | b"X-Amz-Signature"
        )
    })
}

pub(crate) fn presigned_v2_in_query(raw_query: &str) -> bool {
    parse_query(raw_query).any(|(n, _)| matches!(n.as_slice(), b"AWSAccessKeyId" | b"Signature"))
}

fn verify_presigned(
    req: &Request,
    region: RegionCheck,
    now: SystemTime,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Verified, AuthError> {
    let q = |name| query_param(req.raw_query, name);
    let (
        Some(algorithm),
        Some(credential_param),
        Some(claimed),
        Some(date),
        Some(signed_param),
        Some(expires),
    ) = (
        q("X-Amz-Algorithm"),
        q("X-Amz-Credential"),
        q("X-Amz-Signature"),
        q("X-Amz-Date"),
        q("X-Amz-SignedHeaders"),
        q("X-Amz-Expires"),
    )
    else {
        return Err(AuthError::query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, \
             X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and \
             X-Amz-Expires parameters.",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(if algorithm == "AWS4-ECDSA-P256-SHA256" {
            AuthError::unsupported_mechanism()
        } else {
            AuthError::query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        });
    }
    let Some(request_secs) = parse_amz_date(&date) else {
        return Err(AuthError::query_error(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ));
    };
    let expires = parse_expires(&expires)?;
    let scope_parts = checked_credential(&credential_param, &date, region, Via::Query)?;
    let now_secs = unix_seconds(now);
    if request_secs.saturating_sub(now_secs) > duration_secs(MAX_SKEW) {
        return Err(AuthError::access_denied("Request is not valid yet"));
    }
    let expires_at = request_secs.saturating_add(expires);
    if now_secs > expires_at {
        return Err(AuthError::AccessDenied {
            message: "Request has expired".to_owned(),
            details: vec![
                ("X-Amz-Expires", expires.to_string()),
                ("Expires", format_iso8601(expires_at)),
                ("ServerTime", format_iso8601(now_secs)),
            ],
        });
    }
    let names = signed_header_names(&signed_param, Via::Query)?;
    check_amz_headers_signed(req, &names)?;
    // The payload hash: a signed x-amz-content-sha256 header, else the X-Amz-Content-Sha256
    // query parameter (covered by the canonical query), else UNSIGNED-PAYLOAD.
    let signed_hash_header = names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .then(|| req.header("x-amz-content-sha256"))
        .flatten()
        .map(str::to_owned);
    let payload_hash = signed_hash_header
        .or_else(|| q("X-Amz-Content-Sha256"))
        .unwrap_or_else(|| UNSIGNED_PAYLOAD.to_owned());
    let kind = parse_payload_hash(&payload_hash)?;
    let secret = lookup(scope_parts.access_key).ok_or_else(|| AuthError::InvalidAccessKeyId {
        access_key: scope_parts.access_key.to_owned(),
    })?;
    let canonical = canonical_request(
        req.method,
        &canonical_uri(req.raw_path),
        &canonical_query(req.raw_query, true),
        &canonical_headers(req.headers, &names)?,
        &signed_param,
        &payload_hash,
    );
    let signer = check_signature(&scope_parts, &secret, &date, &canonical, &claimed)?;
    Ok(Verified {
        access_key: scope_parts.access_key.to_owned(),
        payload: payload_for(kind, &signer),
        presigned: true,
    })
}

/// `X-Amz-Expires`: decimal seconds, 1 to [`MAX_PRESIGNED_EXPIRES`].
fn parse_expires(value: &str) -> Result<i64, AuthError> {
    if let Some(rest) = value.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AuthError::query_error("X-Amz-Expires must be non-negative"));
        }
    }
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::query_error("X-Amz-Expires should be a number"));
    }
    match value.parse::<u64>() {
        Ok(0) => Err(AuthError::query_error("X-Amz-Expires must be non-negative")),
        Ok(n) if n <= MAX_PRESIGNED_EXPIRES => Ok(i64::try_from(n).unwrap_or(i64::MAX)),
        _ => Err(AuthError::query_error(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// Bytes as two-digit lower-case hex numbers separated by spaces (AWS's `StringToSignBytes`).
fn hex_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&hex::encode([*b]));
    }
    out
}

pub(crate) fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long keys are hashed), so this cannot fail.
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Whether `claimed_hex` is the signature of `string_to_sign`, compared in constant time
/// (`hmac`'s `verify_slice`). Anything that is not 64 hex digits is simply wrong.
fn verify_signature(key: &[u8; 32], string_to_sign: &str, claimed_hex: &str) -> bool {
    let Some(claimed) = decode_hex32(claimed_hex) else {
        return false;
    };
    let mut mac = new_mac(key);
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

fn decode_hex32(value: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(value, &mut out).ok()?;
    Some(out)
}

/// Trims a header value and collapses inner runs of spaces and tabs to one space.
fn collapse_whitespace(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Splits a raw query into decoded (name, value) byte strings: pieces on `&` (empty ones
/// dropped), each on its first `=`, `+` read as a space, `%XX` decoded once (a bad escape is
/// kept literally).
fn parse_query(raw_query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_query_part(name), decode_query_part(value))
        })
}

fn decode_query_part(part: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = part.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&plus_as_space).collect()
}

/// Unix seconds of `t` (negative before 1970), whole seconds, saturating.
pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

pub(crate) fn system_time(unix_secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(unix_secs.unsigned_abs());
    let t = if unix_secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    t.unwrap_or(UNIX_EPOCH)
}

fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Parses `yyyymmddThhmmssZ`.
pub(crate) fn parse_amz_date(value: &str) -> Option<i64> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    if value.len() != 16 {
        return None;
    }
    PrimitiveDateTime::parse(value, format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Parses an RFC 1123 HTTP date, `Fri, 24 May 2013 00:00:00 GMT`.
pub(crate) fn parse_http_date(value: &str) -> Option<i64> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(value, format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Formats Unix seconds as `yyyymmddThhmmssZ` (empty if out of range).
pub(crate) fn format_amz_date(unix_secs: i64) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// Formats Unix seconds as `yyyy-mm-ddThh:mm:ssZ` (empty if out of range).
pub(crate) fn format_iso8601(unix_secs: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}
