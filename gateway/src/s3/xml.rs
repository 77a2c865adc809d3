//! The S3 XML wire documents: every XML body the gateway writes (responses, including `<Error>`) and
//! every XML body it reads (`CreateBucket`, `DeleteObjects`, `CompleteMultipartUpload`, `Tagging`
//! requests).
//!
//! Handlers fill the response structs below and call `to_xml()`; they never format XML themselves.
//! Request bodies go through `from_xml()`, which returns [`XmlError`] (S3 `MalformedXML`) for anything
//! that is not the expected document, and never panics. This module does no HTTP, no storage and no
//! business rules: timestamps arrive already formatted, entity tags already quoted, keys already URL-encoded
//! when `encoding-type=url` was asked for, and limits (1000 keys per delete, part ordering, ...) are
//! checked by the caller.
//!
//! Responses are serialized with quick-xml's serde serializer, in AWS's element order (taken from AWS
//! samples and captured AWS responses; some clients parse positionally). Characters that XML 1.0
//! cannot carry literally (C0 controls, including CR, LF and TAB, plus U+FFFE/U+FFFF) are written as
//! numeric references such as `&#xD;`, as AWS does, so that keys survive the round trip exactly.
//!
//! Requests are read with quick-xml's low-level reader into a small element tree, not with its serde
//! deserializer: the deserializer trims text, and object keys must keep leading and trailing
//! whitespace byte for byte. Element names are matched by local name, so the S3 namespace may be
//! present, absent or prefixed, and unknown elements are ignored.

use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::se::{QuoteLevel, Serializer as XmlSerializer};
use quick_xml::Reader;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

/// The namespace AWS puts on the root element of every S3 response except `<Error>`.
pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// What every response document starts with (AWS follows it with a newline too).
const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Returned by `to_xml()` if serialization ever failed. It cannot for the types in this module (plain
/// strings, numbers, booleans and sequences under fixed element names); this keeps `to_xml()` total.
const FALLBACK_DOCUMENT: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
<Message>We encountered an internal error. Please try again.</Message></Error>";

/// Deepest element nesting accepted in a request body. S3 request documents are at most three levels
/// deep; the limit only exists so that hostile bodies cannot make the tree arbitrarily deep.
const MAX_DEPTH: usize = 16;

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

/// Why a request body was rejected. Every variant is reported to the client as S3 `MalformedXML`
/// (see [`XmlError::code`]); the `Display` text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The body is not well-formed XML (quick-xml's description of the problem).
    #[error("not well-formed XML: {0}")]
    Syntax(String),
    /// The body (or a text node) is not valid UTF-8.
    #[error("request body is not valid UTF-8")]
    NotUtf8,
    /// The body contains no root element.
    #[error("request body has no root element")]
    NoRoot,
    /// The body has a `<!DOCTYPE>`; S3 request documents never do, and we do not process DTDs.
    #[error("DOCTYPE is not allowed in S3 request bodies")]
    DocType,
    /// Elements are nested deeper than any S3 request document needs.
    #[error("elements are nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Character data outside the root element, or inside an element that holds other elements.
    #[error("unexpected character data outside a value element")]
    UnexpectedText,
    /// The root element is not the one this request expects.
    #[error("expected root element <{expected}>, found <{found}>")]
    WrongRoot {
        /// The root element this request takes.
        expected: &'static str,
        /// The root element that was sent.
        found: String,
    },
    /// A required element is absent.
    #[error("missing required element <{0}>")]
    Missing(&'static str),
    /// An element that may appear once appears twice.
    #[error("element <{0}> appears more than once")]
    Duplicate(&'static str),
    /// A value element contains child elements.
    #[error("element <{0}> must contain text only")]
    NotText(&'static str),
    /// A value cannot be read as the type its element requires.
    #[error("invalid value {value:?} in <{element}>")]
    InvalidValue {
        /// The element holding the value.
        element: &'static str,
        /// The value as sent.
        value: String,
    },
}

impl XmlError {
    /// The S3 error code the client receives for this error: always `MalformedXML`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        "MalformedXML"
    }
}

// ---------------------------------------------------------------------------------------------------
// Response serialization
// ---------------------------------------------------------------------------------------------------

/// The `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"` attribute on a response's root element.
/// It carries no data: fill it with `Xmlns` (or take it from `Default`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Xmlns;

impl Serialize for Xmlns {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(S3_NAMESPACE)
    }
}

/// Serializes `value` as a complete document whose root element is `root`.
fn to_document<T: Serialize>(value: &T, root: &'static str) -> String {
    let mut body = String::new();
    let written = XmlSerializer::with_root(&mut body, Some(root)).and_then(|mut serializer| {
        // `Full` also escapes `"` and `'`: quoted ETags come out as `&quot;abc&quot;`, like AWS.
        serializer.set_quote_level(QuoteLevel::Full);
        value.serialize(serializer)
    });
    if written.is_err() {
        return FALLBACK_DOCUMENT.to_owned();
    }
    let mut document = String::with_capacity(XML_DECLARATION.len() + body.len());
    document.push_str(XML_DECLARATION);
    push_with_char_refs(&mut document, &body);
    document
}

/// Appends serialized XML, replacing every character XML 1.0 cannot carry literally with a numeric
/// character reference. The serializer writes no whitespace or control characters of its own (no
/// indentation), so any such character comes from a value and is replaced inside that value.
fn push_with_char_refs(out: &mut String, xml: &str) {
    for c in xml.chars() {
        // CR, LF and TAB are legal XML, but a parser turns a literal CR into LF (and CR LF into LF),
        // so they are written as references too: keys must come back byte for byte.
        if matches!(c, '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}') {
            // Writing to a String cannot fail.
            let _ = write!(out, "&#x{:X};", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

/// Implements `ROOT` and `to_xml()` for a response type.
macro_rules! response_document {
    ($ty:ident, $root:literal) => {
        impl $ty {
            #[doc = concat!("Name of the root element, `<", $root, ">`.")]
            pub const ROOT: &'static str = $root;

            /// The complete response body: XML declaration, then the root element.
            #[must_use]
            pub fn to_xml(&self) -> String {
                to_document(self, Self::ROOT)
            }
        }
    };
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_false(value: &bool) -> bool {
    !*value
}

/// `true` for the element names accepted in [`ErrorResponse::extra`]: ASCII letters and digits,
/// starting with a letter (every S3 error detail element has such a name).
fn is_simple_element_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// The body of every S3 error response: `<Error>`, without namespace, as AWS sends it.
///
/// Elements are written as Code, Message, Resource, the `extra` elements in order, `RequestId`, `HostId`,
/// which is where AWS puts its detail elements (e.g. `<Key>` for `NoSuchKey`, `<BucketName>` for
/// `NoSuchBucket`, `<RequestTime>`/`<ServerTime>`/`<MaxAllowedSkewMilliseconds>` for
/// `RequestTimeTooSkewed`: all between `<Message>` and `<RequestId>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The S3 error code, e.g. `NoSuchKey`.
    pub code: String,
    /// Human-readable description.
    pub message: String,
    /// The bucket or object the request addressed, e.g. `/bucket/key`.
    pub resource: Option<String>,
    /// Detail elements written, in this order, after `Resource` and before `RequestId`, e.g.
    /// `("BucketName", "photos")`. A name that is not ASCII letters and digits starting with a letter
    /// is skipped rather than producing invalid XML.
    pub extra: Vec<(&'static str, String)>,
    /// The request ID, also sent as `x-amz-request-id`.
    pub request_id: String,
    /// The extended request ID, also sent as `x-amz-id-2`.
    pub host_id: Option<String>,
}

impl Serialize for ErrorResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut error = serializer.serialize_struct("Error", 6 + self.extra.len())?;
        error.serialize_field("Code", &self.code)?;
        error.serialize_field("Message", &self.message)?;
        if let Some(resource) = &self.resource {
            error.serialize_field("Resource", resource)?;
        }
        for (name, value) in &self.extra {
            if is_simple_element_name(name) {
                error.serialize_field(name, value)?;
            }
        }
        error.serialize_field("RequestId", &self.request_id)?;
        if let Some(host_id) = &self.host_id {
            error.serialize_field("HostId", host_id)?;
        }
        error.end()
    }
}

response_document!(ErrorResponse, "Error");

/// An `<Owner>` or `<Initiator>`: the account that owns (or started) something.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    /// Canonical user ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Display name; AWS is phasing it out, so it may be omitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// One `<Bucket>` of `ListBuckets`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// Bucket name.
    pub name: String,
    /// Creation time, formatted (`2009-10-12T17:50:30.000Z`).
    pub creation_date: String,
    /// The bucket's region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_region: Option<String>,
}

/// Writes a bucket list as `<Buckets><Bucket>…</Bucket>…</Buckets>`.
fn serialize_bucket_list<S: Serializer>(buckets: &[Bucket], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Buckets<'a> {
        #[serde(rename = "Bucket")]
        bucket: &'a [Bucket],
    }
    Buckets { bucket: buckets }.serialize(serializer)
}

/// `ListBuckets` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAllMyBucketsResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The buckets, written inside one `<Buckets>` element.
    #[serde(serialize_with = "serialize_bucket_list")]
    pub buckets: Vec<Bucket>,
    /// The account that owns the buckets.
    pub owner: Owner,
    /// Token for the next page, when the listing is paginated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// The `prefix` the request filtered on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

response_document!(ListAllMyBucketsResult, "ListAllMyBucketsResult");

/// `GetBucketLocation` response: `<LocationConstraint xmlns="…">eu-west-1</LocationConstraint>`, or the
/// empty element `<LocationConstraint xmlns="…"/>` for us-east-1, as AWS sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LocationConstraint {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The region; `None` writes the empty element that means us-east-1.
    #[serde(rename = "$text", skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl LocationConstraint {
    /// The location document for `region`; `us-east-1` (and an empty name) become the empty element.
    #[must_use]
    pub fn for_region(region: &str) -> Self {
        let region = (!region.is_empty() && region != "us-east-1").then(|| region.to_owned());
        Self { xmlns: Xmlns, region }
    }
}

response_document!(LocationConstraint, "LocationConstraint");

/// `GetBucketVersioning` response. A bucket whose versioning was never configured is the empty
/// element `<VersioningConfiguration xmlns="…"/>` (both fields `None`), as AWS sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// `Enabled` or `Suspended`; absent if versioning was never configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `Enabled` or `Disabled`; absent if MFA delete was never configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_delete: Option<String>,
}

response_document!(VersioningConfiguration, "VersioningConfiguration");

/// One `<Contents>` entry of `ListObjects` (v1 and v2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Object {
    /// Object key (URL-encoded by the caller when `encoding-type=url`).
    pub key: String,
    /// Last modification time, formatted.
    pub last_modified: String,
    /// Quoted `ETag`, e.g. `"\"fba9dede5f27731c9771645a39863328\""`.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Checksum algorithms the object was stored with (`CRC32`, `CRC64NVME`, ...), one element each.
    pub checksum_algorithm: Vec<String>,
    /// `FULL_OBJECT` or `COMPOSITE`, when a checksum algorithm is listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Owner (`ListObjects` v1 always; v2 only with `fetch-owner=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Storage class, e.g. `STANDARD`.
    pub storage_class: String,
}

/// One `<CommonPrefixes>` entry: a key prefix rolled up by the delimiter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommonPrefix {
    /// The rolled-up prefix, delimiter included.
    pub prefix: String,
}

/// `ListObjects` (v1) response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Bucket name.
    pub name: String,
    /// The `prefix` of the request (empty if none).
    pub prefix: String,
    /// The `marker` of the request (empty if none).
    pub marker: String,
    /// Where the next page starts; AWS sends it only when a delimiter was given and the list is
    /// truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// The effective `max-keys`.
    pub max_keys: u32,
    /// The `delimiter` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `url` when keys, prefixes and markers in this document are URL-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
    /// Whether more results remain.
    pub is_truncated: bool,
    /// The objects.
    pub contents: Vec<Object>,
    /// The rolled-up prefixes.
    pub common_prefixes: Vec<CommonPrefix>,
}

response_document!(ListBucketResult, "ListBucketResult");

/// `ListObjectsV2` response (root element `<ListBucketResult>`, like v1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketResultV2 {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Bucket name.
    pub name: String,
    /// The `prefix` of the request (empty if none).
    pub prefix: String,
    /// The `continuation-token` of the request, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// Token for the next page, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
    /// The `start-after` of the request, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    /// Number of `Contents` plus `CommonPrefixes` entries in this page.
    pub key_count: u32,
    /// The effective `max-keys`.
    pub max_keys: u32,
    /// The `delimiter` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `url` when keys, prefixes and `StartAfter` in this document are URL-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
    /// Whether more results remain.
    pub is_truncated: bool,
    /// The objects.
    pub contents: Vec<Object>,
    /// The rolled-up prefixes.
    pub common_prefixes: Vec<CommonPrefix>,
}

response_document!(ListBucketResultV2, "ListBucketResult");

/// One `<Version>` of `ListObjectVersions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectVersion {
    /// Object key.
    pub key: String,
    /// Version ID (`null` for the unversioned version).
    pub version_id: String,
    /// Whether this is the current version.
    pub is_latest: bool,
    /// Last modification time, formatted.
    pub last_modified: String,
    /// Quoted `ETag`.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Checksum algorithms the version was stored with, one element each.
    pub checksum_algorithm: Vec<String>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Storage class.
    pub storage_class: String,
    /// Owner of the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// One `<DeleteMarker>` of `ListObjectVersions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMarkerEntry {
    /// Object key.
    pub key: String,
    /// Version ID of the marker.
    pub version_id: String,
    /// Whether the marker is the current version.
    pub is_latest: bool,
    /// When the marker was created, formatted.
    pub last_modified: String,
    /// Owner of the marker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// An entry of `ListObjectVersions`. AWS interleaves versions and delete markers in key order (newest
/// version first), so they are one list, written in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum VersionEntry {
    /// A stored version: `<Version>`.
    Version(ObjectVersion),
    /// A delete marker: `<DeleteMarker>`.
    DeleteMarker(DeleteMarkerEntry),
}

/// `ListObjectVersions` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListVersionsResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Bucket name.
    pub name: String,
    /// The `prefix` of the request (empty if none).
    pub prefix: String,
    /// The `key-marker` of the request (empty if none).
    pub key_marker: String,
    /// The `version-id-marker` of the request (empty if none).
    pub version_id_marker: String,
    /// Key where the next page starts, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    /// Version where the next page starts, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_version_id_marker: Option<String>,
    /// The effective `max-keys`.
    pub max_keys: u32,
    /// The `delimiter` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `url` when keys and prefixes in this document are URL-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
    /// Whether more results remain.
    pub is_truncated: bool,
    /// Versions and delete markers, in listing order.
    #[serde(rename = "$value")]
    pub entries: Vec<VersionEntry>,
    /// The rolled-up prefixes.
    pub common_prefixes: Vec<CommonPrefix>,
}

response_document!(ListVersionsResult, "ListVersionsResult");

/// One `<Deleted>` of `DeleteObjects`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deleted {
    /// The key, as requested.
    pub key: String,
    /// The version that was deleted, when the request named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `true` when a delete marker was created or deleted; `false` writes nothing.
    #[serde(skip_serializing_if = "is_false")]
    pub delete_marker: bool,
    /// Version ID of the delete marker created or deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_marker_version_id: Option<String>,
}

/// One `<Error>` of `DeleteObjects`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteError {
    /// The key, as requested.
    pub key: String,
    /// The version, when the request named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// S3 error code, e.g. `AccessDenied`.
    pub code: String,
    /// Human-readable description.
    pub message: String,
}

/// `DeleteObjects` response. In quiet mode the caller leaves `deleted` empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Keys deleted.
    pub deleted: Vec<Deleted>,
    /// Keys that could not be deleted.
    #[serde(rename = "Error")]
    pub errors: Vec<DeleteError>,
}

response_document!(DeleteResult, "DeleteResult");

/// `CopyObject` response. [`CopyPartResult`] wraps the same fields under another root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyObjectResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Last modification time of the copy, formatted.
    pub last_modified: String,
    /// Quoted `ETag` of the copy.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Base64 CRC32 of the copy.
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    /// Base64 CRC32C of the copy.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    /// Base64 CRC64NVME of the copy.
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
    /// Base64 SHA-1 of the copy.
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    /// Base64 SHA-256 of the copy.
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
}

response_document!(CopyObjectResult, "CopyObjectResult");

/// `UploadPartCopy` response: the fields of [`CopyObjectResult`] under `<CopyPartResult>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CopyPartResult(pub CopyObjectResult);

response_document!(CopyPartResult, "CopyPartResult");

/// `CreateMultipartUpload` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateMultipartUploadResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// The new upload's ID.
    pub upload_id: String,
}

response_document!(InitiateMultipartUploadResult, "InitiateMultipartUploadResult");

/// `CompleteMultipartUpload` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompleteMultipartUploadResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// URL of the new object.
    pub location: String,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Quoted multipart `ETag`, e.g. `"\"3858f62230ac3c915f300c664312c11f-9\""`.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Base64 CRC32 of the object.
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    /// Base64 CRC32C of the object.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    /// Base64 CRC64NVME of the object.
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
    /// Base64 SHA-1 of the object.
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    /// Base64 SHA-256 of the object.
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
}

response_document!(CompleteMultipartUploadResult, "CompleteMultipartUploadResult");

/// `PostObject` response body, sent when the form asks for `success_action_status=201`. AWS
/// writes it without the S3 namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PostResponse {
    /// URL of the new object.
    pub location: String,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Quoted `ETag` of the new object.
    #[serde(rename = "ETag")]
    pub etag: String,
}

response_document!(PostResponse, "PostResponse");

/// One `<Part>` of `ListParts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Part {
    /// Part number (1..=10000).
    pub part_number: u32,
    /// Upload time of the part, formatted.
    pub last_modified: String,
    /// Quoted `ETag` of the part.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
    /// Base64 CRC32 of the part.
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    /// Base64 CRC32C of the part.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    /// Base64 CRC64NVME of the part.
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
    /// Base64 SHA-1 of the part.
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    /// Base64 SHA-256 of the part.
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
}

/// `ListParts` response. AWS's sample (and other S3 servers) put `<Initiator>`, `<Owner>` and
/// `<StorageClass>` before the part-number markers; this follows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPartsResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// The upload's ID.
    pub upload_id: String,
    /// Who started the upload.
    pub initiator: Owner,
    /// Who will own the object.
    pub owner: Owner,
    /// Storage class of the upload.
    pub storage_class: String,
    /// The `part-number-marker` of the request (0 if none).
    pub part_number_marker: u32,
    /// Where the next page starts, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_part_number_marker: Option<u32>,
    /// The effective `max-parts`.
    pub max_parts: u32,
    /// Whether more parts remain.
    pub is_truncated: bool,
    /// The parts.
    #[serde(rename = "Part")]
    pub parts: Vec<Part>,
    /// Checksum algorithm given when the upload was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
}

response_document!(ListPartsResult, "ListPartsResult");

/// One `<Upload>` of `ListMultipartUploads`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Upload {
    /// Object key.
    pub key: String,
    /// The upload's ID.
    pub upload_id: String,
    /// Who started the upload.
    pub initiator: Owner,
    /// Who will own the object.
    pub owner: Owner,
    /// Storage class of the upload.
    pub storage_class: String,
    /// When the upload was started, formatted.
    pub initiated: String,
    /// Checksum algorithm given when the upload was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
}

/// `ListMultipartUploads` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMultipartUploadsResult {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Bucket name.
    pub bucket: String,
    /// The `key-marker` of the request (empty if none).
    pub key_marker: String,
    /// The `upload-id-marker` of the request (empty if none).
    pub upload_id_marker: String,
    /// Key where the next page starts, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    /// Upload where the next page starts, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_upload_id_marker: Option<String>,
    /// The `prefix` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The `delimiter` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The effective `max-uploads`.
    pub max_uploads: u32,
    /// `url` when keys, prefixes and markers in this document are URL-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
    /// Whether more uploads remain.
    pub is_truncated: bool,
    /// The uploads.
    #[serde(rename = "Upload")]
    pub uploads: Vec<Upload>,
    /// The rolled-up prefixes.
    pub common_prefixes: Vec<CommonPrefix>,
}

response_document!(ListMultipartUploadsResult, "ListMultipartUploadsResult");

// ---------------------------------------------------------------------------------------------------
// Request parsing
// ---------------------------------------------------------------------------------------------------

/// An element of a request body: its local name, its character data and its child elements.
#[derive(Debug)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
    /// The value of an `xsi:type` (any prefix) attribute: an ACL `<Grantee>`'s kind.
    type_attribute: Option<String>,
}

impl Element {
    fn new(start: &BytesStart<'_>) -> Result<Self, XmlError> {
        // Reading the attributes checks that they are well-formed; only `type` (an ACL
        // grantee's `xsi:type`) is kept (`xmlns` and namespace prefixes are ignored).
        let mut type_attribute = None;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| XmlError::Syntax(e.to_string()))?;
            if attribute.key.local_name().as_ref() == b"type" {
                let value = std::str::from_utf8(&attribute.value).map_err(|_| XmlError::NotUtf8)?;
                type_attribute = Some(value.to_owned());
            }
        }
        let name = std::str::from_utf8(start.local_name().into_inner()).map_err(|_| XmlError::NotUtf8)?;
        Ok(Self {
            name: name.to_owned(),
            text: String::new(),
            children: Vec::new(),
            type_attribute,
        })
    }

    /// The text of an element that must hold only text, exactly as sent (entities decoded).
    fn into_text(self, name: &'static str) -> Result<String, XmlError> {
        if self.children.is_empty() {
            Ok(self.text)
        } else {
            Err(XmlError::NotText(name))
        }
    }

    /// The children of an element that must hold only elements (whitespace between them is fine).
    fn into_children(self) -> Result<Vec<Element>, XmlError> {
        if is_xml_whitespace(&self.text) {
            Ok(self.children)
        } else {
            Err(XmlError::UnexpectedText)
        }
    }

    /// Checks the root element's name and returns its children.
    fn into_root_children(self, expected: &'static str) -> Result<Vec<Element>, XmlError> {
        if self.name == expected {
            self.into_children()
        } else {
            Err(XmlError::WrongRoot {
                expected,
                found: self.name,
            })
        }
    }
}

/// XML's whitespace is exactly space, tab, CR and LF (not Unicode's wider set).
fn is_xml_whitespace(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

fn trim_xml_whitespace(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Decodes raw character data: UTF-8, then XML end-of-line normalization (CR LF and lone CR become
/// LF, as any XML parser must do; a CR sent as `&#xD;` survives), then entity references when
/// `unescape` is set (not in CDATA sections).
fn decode_text(raw: &[u8], unescape: bool) -> Result<String, XmlError> {
    let text = std::str::from_utf8(raw).map_err(|_| XmlError::NotUtf8)?;
    // XML cannot carry NUL at all, literally or as `&#0;` (which the unescaper refuses): a
    // literal one is refused alike, so what parses can be written back and parsed again.
    if text.contains('\0') {
        return Err(XmlError::Syntax(
            "a NUL character is not permitted in XML".to_owned(),
        ));
    }
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    };
    if unescape {
        quick_xml::escape::unescape(&text)
            .map(std::borrow::Cow::into_owned)
            .map_err(|e| XmlError::Syntax(e.to_string()))
    } else {
        Ok(text)
    }
}

/// Parses a request body into its root element. Comments, processing instructions and the XML
/// declaration are skipped; a DOCTYPE, a second root, stray text or nesting deeper than
/// [`MAX_DEPTH`] is an error.
fn parse_element_tree(body: &[u8]) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(body);
    // The defaults already are what S3 needs (no trimming, end tags checked); set the one that
    // matters explicitly so that a change of default cannot strip whitespace from keys.
    reader.config_mut().trim_text(false);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;

    loop {
        let event = reader.read_event().map_err(|e| XmlError::Syntax(e.to_string()))?;
        let finished = match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(XmlError::Syntax("more than one root element".to_owned()));
                }
                if open.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                open.push(Element::new(&start)?);
                None
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(XmlError::Syntax("more than one root element".to_owned()));
                }
                if open.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                Some(Element::new(&start)?)
            }
            // quick-xml has already checked that the end tag matches the open element.
            Event::End(_) => Some(
                open.pop()
                    .ok_or(XmlError::Syntax("unmatched end tag".to_owned()))?,
            ),
            Event::Text(text) => {
                let text = decode_text(&text.into_inner(), true)?;
                match open.last_mut() {
                    Some(element) => element.text.push_str(&text),
                    None if is_xml_whitespace(&text) => {}
                    None => return Err(XmlError::UnexpectedText),
                }
                None
            }
            Event::CData(data) => {
                let text = decode_text(&data.into_inner(), false)?;
                open.last_mut()
                    .ok_or(XmlError::UnexpectedText)?
                    .text
                    .push_str(&text);
                None
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => None,
            Event::Eof => break,
        };
        if let Some(element) = finished {
            match open.last_mut() {
                Some(parent) => parent.children.push(element),
                None => root = Some(element),
            }
        }
    }

    if !open.is_empty() {
        return Err(XmlError::Syntax(
            "unexpected end of document: unclosed element".to_owned(),
        ));
    }
    root.ok_or(XmlError::NoRoot)
}

/// Stores the text of `element` in `slot`, refusing a second occurrence.
fn set_once(slot: &mut Option<String>, element: Element, name: &'static str) -> Result<(), XmlError> {
    if slot.is_some() {
        return Err(XmlError::Duplicate(name));
    }
    *slot = Some(element.into_text(name)?);
    Ok(())
}

/// `CreateBucket` request body. An empty body means "no configuration" and is handled by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateBucketConfiguration {
    /// The requested region, whitespace-trimmed; `None` when absent or empty (which means
    /// us-east-1). The directory-bucket `<Location>` and `<Bucket>` elements are ignored.
    pub location_constraint: Option<String>,
}

impl CreateBucketConfiguration {
    /// Parses a `<CreateBucketConfiguration>` document.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed XML, has another root element, or repeats
    /// `<LocationConstraint>`.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut location_constraint = None;
        for child in parse_element_tree(body)?.into_root_children("CreateBucketConfiguration")? {
            if child.name == "LocationConstraint" {
                set_once(&mut location_constraint, child, "LocationConstraint")?;
            }
        }
        let location_constraint = location_constraint
            .map(|region| trim_xml_whitespace(&region).to_owned())
            .filter(|region| !region.is_empty());
        Ok(Self { location_constraint })
    }
}

impl VersioningConfiguration {
    /// Parses a `PutBucketVersioning` body: `<Status>` and `<MfaDelete>` as sent (trimmed), each
    /// at most once; their values are the caller's to check.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed XML, has another root element, or repeats
    /// an element.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let (mut status, mut mfa_delete) = (None, None);
        for child in parse_element_tree(body)?.into_root_children("VersioningConfiguration")? {
            match child.name.as_str() {
                "Status" => set_once(&mut status, child, "Status")?,
                "MfaDelete" => set_once(&mut mfa_delete, child, "MfaDelete")?,
                _ => {}
            }
        }
        let trim = |v: Option<String>| v.map(|v| trim_xml_whitespace(&v).to_owned());
        Ok(Self {
            xmlns: Xmlns,
            status: trim(status),
            mfa_delete: trim(mfa_delete),
        })
    }
}

/// `DeleteObjects` request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Delete {
    /// Quiet mode: report only errors. `false` when `<Quiet>` is absent.
    #[serde(skip_serializing_if = "is_false")]
    pub quiet: bool,
    /// The objects to delete, in request order (at least one; the 1000 limit is the caller's).
    #[serde(rename = "Object")]
    pub objects: Vec<ObjectIdentifier>,
}

/// One `<Object>` of a `DeleteObjects` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectIdentifier {
    /// The key, exactly as sent: entities decoded, whitespace kept. May be empty (the caller
    /// reports that per object).
    pub key: String,
    /// The version to delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Delete only if the current `ETag` matches (conditional delete), exactly as sent.
    #[serde(rename = "ETag", skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl Delete {
    /// Name of the root element, `<Delete>`.
    pub const ROOT: &'static str = "Delete";

    /// Parses a `<Delete>` document.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed XML, has another root element, has no
    /// `<Object>`, has an `<Object>` without `<Key>`, repeats an element that may appear once, or
    /// has a `<Quiet>` that is not `true` or `false`.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut quiet = None;
        let mut objects = Vec::new();
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            match child.name.as_str() {
                "Quiet" => set_once(&mut quiet, child, "Quiet")?,
                "Object" => objects.push(ObjectIdentifier::from_element(child)?),
                _ => {}
            }
        }
        if objects.is_empty() {
            return Err(XmlError::Missing("Object"));
        }
        let quiet = quiet.map_or(Ok(false), |value| parse_bool(&value, "Quiet"))?;
        Ok(Self { quiet, objects })
    }

    /// Serializes the request as a client sends it (used by tests and clients; the gateway only
    /// parses it).
    #[must_use]
    pub fn to_xml(&self) -> String {
        to_document(self, Self::ROOT)
    }
}

impl ObjectIdentifier {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let (mut key, mut version_id, mut etag) = (None, None, None);
        for child in element.into_children()? {
            match child.name.as_str() {
                "Key" => set_once(&mut key, child, "Key")?,
                "VersionId" => set_once(&mut version_id, child, "VersionId")?,
                "ETag" => set_once(&mut etag, child, "ETag")?,
                _ => {}
            }
        }
        Ok(Self {
            key: key.ok_or(XmlError::Missing("Key"))?,
            version_id,
            etag,
        })
    }
}

/// `CompleteMultipartUpload` request body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompleteMultipartUpload {
    /// The parts, in request order (at least one; ordering and existence are the caller's).
    #[serde(rename = "Part")]
    pub parts: Vec<CompletedPart>,
}

/// One `<Part>` of a `CompleteMultipartUpload` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompletedPart {
    /// The part number, as sent (range checks are the caller's).
    pub part_number: u32,
    /// The part's `ETag` exactly as sent: clients send it quoted or not.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Base64 CRC32 of the part, as sent.
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    /// Base64 CRC32C of the part, as sent.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    /// Base64 CRC64NVME of the part, as sent.
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
    /// Base64 SHA-1 of the part, as sent.
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    /// Base64 SHA-256 of the part, as sent.
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
}

impl CompleteMultipartUpload {
    /// Name of the root element, `<CompleteMultipartUpload>`.
    pub const ROOT: &'static str = "CompleteMultipartUpload";

    /// Parses a `<CompleteMultipartUpload>` document.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed XML, has another root element, has no `<Part>`,
    /// has a `<Part>` without `<PartNumber>` or `<ETag>`, a part number that is not an unsigned
    /// integer, or repeats an element that may appear once.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut parts = Vec::new();
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name == "Part" {
                parts.push(CompletedPart::from_element(child)?);
            }
        }
        if parts.is_empty() {
            return Err(XmlError::Missing("Part"));
        }
        Ok(Self { parts })
    }

    /// Serializes the request as a client sends it (used by tests and clients; the gateway only
    /// parses it).
    #[must_use]
    pub fn to_xml(&self) -> String {
        to_document(self, Self::ROOT)
    }
}

impl CompletedPart {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let mut part_number = None;
        let mut etag = None;
        let mut part = Self::default();
        for child in element.into_children()? {
            match child.name.as_str() {
                "PartNumber" => set_once(&mut part_number, child, "PartNumber")?,
                "ETag" => set_once(&mut etag, child, "ETag")?,
                "ChecksumCRC32" => set_once(&mut part.checksum_crc32, child, "ChecksumCRC32")?,
                "ChecksumCRC32C" => set_once(&mut part.checksum_crc32c, child, "ChecksumCRC32C")?,
                "ChecksumCRC64NVME" => set_once(&mut part.checksum_crc64nvme, child, "ChecksumCRC64NVME")?,
                "ChecksumSHA1" => set_once(&mut part.checksum_sha1, child, "ChecksumSHA1")?,
                "ChecksumSHA256" => set_once(&mut part.checksum_sha256, child, "ChecksumSHA256")?,
                _ => {}
            }
        }
        let part_number = part_number.ok_or(XmlError::Missing("PartNumber"))?;
        part.part_number = trim_xml_whitespace(&part_number)
            .parse()
            .map_err(|_| XmlError::InvalidValue {
                element: "PartNumber",
                value: part_number.clone(),
            })?;
        part.etag = etag.ok_or(XmlError::Missing("ETag"))?;
        Ok(part)
    }
}

/// One `<Tag>` of a [`Tagging`] document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag key, exactly as sent (validity is the caller's).
    pub key: String,
    /// The tag value, exactly as sent; may be empty.
    pub value: String,
}

/// Writes tags as `<TagSet><Tag>…</Tag>…</TagSet>` (`<TagSet/>` when there are none).
fn serialize_tag_set<S: Serializer>(tags: &[Tag], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct TagSet<'a> {
        #[serde(rename = "Tag")]
        tag: &'a [Tag],
    }
    TagSet { tag: tags }.serialize(serializer)
}

/// `<Tagging>`: the body of `PutObjectTagging` and `PutBucketTagging` requests, of the
/// `GetObjectTagging` and `GetBucketTagging` responses, and of the POST Object `tagging` field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tagging {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The tags, in order, written inside one `<TagSet>` element.
    #[serde(serialize_with = "serialize_tag_set")]
    pub tag_set: Vec<Tag>,
}

response_document!(Tagging, "Tagging");

impl Tagging {
    /// Parses a `<Tagging>` document. Limits, duplicates and allowed characters are the
    /// caller's; an empty `<TagSet/>` is a valid (empty) tag set.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed XML, has another root element, has no
    /// `<TagSet>` or two, or has a `<Tag>` without `<Key>` or `<Value>` or with either twice.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut tag_set = None;
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name == "TagSet" {
                if tag_set.is_some() {
                    return Err(XmlError::Duplicate("TagSet"));
                }
                let mut tags = Vec::new();
                for tag in child.into_children()? {
                    if tag.name == "Tag" {
                        tags.push(Tag::from_element(tag)?);
                    }
                }
                tag_set = Some(tags);
            }
        }
        Ok(Self {
            xmlns: Xmlns,
            tag_set: tag_set.ok_or(XmlError::Missing("TagSet"))?,
        })
    }
}

impl Tag {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let (mut key, mut value) = (None, None);
        for child in element.into_children()? {
            match child.name.as_str() {
                "Key" => set_once(&mut key, child, "Key")?,
                "Value" => set_once(&mut value, child, "Value")?,
                _ => {}
            }
        }
        Ok(Self {
            key: key.ok_or(XmlError::Missing("Key"))?,
            value: value.ok_or(XmlError::Missing("Value"))?,
        })
    }
}

/// Reads an `xs:boolean` (`true`/`false`/`1`/`0`, surrounding whitespace allowed; case-insensitive,
/// since some clients send `True`).
fn parse_bool(value: &str, element: &'static str) -> Result<bool, XmlError> {
    let trimmed = trim_xml_whitespace(value);
    if trimmed.eq_ignore_ascii_case("true") || trimmed == "1" {
        Ok(true)
    } else if trimmed.eq_ignore_ascii_case("false") || trimmed == "0" {
        Ok(false)
    } else {
        Err(XmlError::InvalidValue {
            element,
            value: value.to_owned(),
        })
    }
}

/// `<DefaultRetention>` of an object lock rule: a mode and exactly one of days or years.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultRetention {
    /// `GOVERNANCE` or `COMPLIANCE`, as sent (the caller checks).
    pub mode: String,
    /// Retention in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Retention in years.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
}

/// `<Rule>` of an object lock configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockRule {
    /// The default retention of new versions.
    pub default_retention: DefaultRetention,
}

/// `<ObjectLockConfiguration>`: `PutObjectLockConfiguration` body and
/// `GetObjectLockConfiguration` response (also the stored form of a bucket's configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockConfiguration {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// `Enabled` (the only value S3 accepts), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_lock_enabled: Option<String>,
    /// The default retention rule, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<ObjectLockRule>,
}

response_document!(ObjectLockConfiguration, "ObjectLockConfiguration");

/// Parses an optional whole number of `element`.
fn parse_u32(value: Option<String>, element: &'static str) -> Result<Option<u32>, XmlError> {
    value
        .map(|v| {
            trim_xml_whitespace(&v)
                .parse()
                .map_err(|_| XmlError::InvalidValue {
                    element,
                    value: v.clone(),
                })
        })
        .transpose()
}

impl ObjectLockConfiguration {
    /// Parses an `<ObjectLockConfiguration>` document; values are the caller's to check.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, repeats an element, or
    /// has `Days`/`Years` that are not whole numbers.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let (mut enabled, mut rule) = (None, None);
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            match child.name.as_str() {
                "ObjectLockEnabled" => set_once(&mut enabled, child, "ObjectLockEnabled")?,
                "Rule" => {
                    if rule.is_some() {
                        return Err(XmlError::Duplicate("Rule"));
                    }
                    let mut retention = None;
                    for r in child.into_children()? {
                        if r.name == "DefaultRetention" {
                            if retention.is_some() {
                                return Err(XmlError::Duplicate("DefaultRetention"));
                            }
                            let (mut mode, mut days, mut years) = (None, None, None);
                            for f in r.into_children()? {
                                match f.name.as_str() {
                                    "Mode" => set_once(&mut mode, f, "Mode")?,
                                    "Days" => set_once(&mut days, f, "Days")?,
                                    "Years" => set_once(&mut years, f, "Years")?,
                                    _ => {}
                                }
                            }
                            retention = Some(DefaultRetention {
                                mode: mode
                                    .map(|m| trim_xml_whitespace(&m).to_owned())
                                    .unwrap_or_default(),
                                days: parse_u32(days, "Days")?,
                                years: parse_u32(years, "Years")?,
                            });
                        }
                    }
                    rule = Some(ObjectLockRule {
                        default_retention: retention.ok_or(XmlError::Missing("DefaultRetention"))?,
                    });
                }
                _ => {}
            }
        }
        Ok(Self {
            xmlns: Xmlns,
            object_lock_enabled: enabled.map(|e| trim_xml_whitespace(&e).to_owned()),
            rule,
        })
    }
}

/// `<Retention>`: `PutObjectRetention` body and `GetObjectRetention` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retention {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// `GOVERNANCE` or `COMPLIANCE`, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// ISO 8601 time, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_until_date: Option<String>,
}

response_document!(Retention, "Retention");

impl Retention {
    /// Parses a `<Retention>` document (both elements optional: an empty one removes a
    /// retention).
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root or repeats an element.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let (mut mode, mut until) = (None, None);
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            match child.name.as_str() {
                "Mode" => set_once(&mut mode, child, "Mode")?,
                "RetainUntilDate" => set_once(&mut until, child, "RetainUntilDate")?,
                _ => {}
            }
        }
        let trim = |v: Option<String>| v.map(|v| trim_xml_whitespace(&v).to_owned());
        Ok(Self {
            xmlns: Xmlns,
            mode: trim(mode),
            retain_until_date: trim(until),
        })
    }
}

/// `<LegalHold>`: `PutObjectLegalHold` body and `GetObjectLegalHold` response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegalHold {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// `ON` or `OFF`, as sent.
    pub status: String,
}

response_document!(LegalHold, "LegalHold");

impl LegalHold {
    /// Parses a `<LegalHold>` document.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, has no `<Status>` or two.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut status = None;
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name == "Status" {
                set_once(&mut status, child, "Status")?;
            }
        }
        Ok(Self {
            xmlns: Xmlns,
            status: trim_xml_whitespace(&status.ok_or(XmlError::Missing("Status"))?).to_owned(),
        })
    }
}

/// `<Tag>` of a lifecycle filter (same shape as a tagging `<Tag>`).
pub type FilterTag = Tag;

/// `<And>` of a lifecycle filter: every condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleAnd {
    /// Key prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Tags the object must carry.
    #[serde(rename = "Tag")]
    pub tags: Vec<FilterTag>,
    /// Only objects larger than this many bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_size_greater_than: Option<u64>,
    /// Only objects smaller than this many bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_size_less_than: Option<u64>,
}

/// `<Filter>` of a lifecycle rule: at most one of its children (AWS's rule), `And` for several.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleFilter {
    /// Key prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// One tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<FilterTag>,
    /// Several conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub and: Option<LifecycleAnd>,
    /// Only objects larger than this many bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_size_greater_than: Option<u64>,
    /// Only objects smaller than this many bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_size_less_than: Option<u64>,
}

/// `<Expiration>` of a lifecycle rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleExpiration {
    /// Days after creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// A date (ISO 8601, midnight UTC), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Remove delete markers that hide nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_object_delete_marker: Option<bool>,
}

/// `<NoncurrentVersionExpiration>` of a lifecycle rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentVersionExpiration {
    /// Days after a version became noncurrent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noncurrent_days: Option<u32>,
    /// How many newer noncurrent versions are kept whatever their age.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newer_noncurrent_versions: Option<u32>,
}

/// `<AbortIncompleteMultipartUpload>` of a lifecycle rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortIncompleteMultipartUpload {
    /// Days after initiation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_after_initiation: Option<u32>,
}

/// One `<Rule>` of a lifecycle configuration. Values are as sent; `s3::lifecycle` validates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    /// Rule id.
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The rule's filter (absent: the legacy `Prefix` or every object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<LifecycleFilter>,
    /// Legacy rule-level prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `Enabled` or `Disabled`.
    pub status: String,
    /// Expiration of current versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<LifecycleExpiration>,
    /// Expiration of noncurrent versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
    /// Abort of old multipart uploads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_upload: Option<AbortIncompleteMultipartUpload>,
    /// Names of actions present that this gateway does not implement (`Transition`, ...).
    #[serde(skip)]
    pub unsupported: Vec<String>,
}

/// `<LifecycleConfiguration>`: `PutBucketLifecycleConfiguration` body and the Get response (also
/// the stored form of a bucket's rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The rules.
    #[serde(rename = "Rule")]
    pub rules: Vec<LifecycleRule>,
}

response_document!(LifecycleConfiguration, "LifecycleConfiguration");

/// Parses an optional whole number of bytes of `element`.
fn parse_u64(value: Option<String>, element: &'static str) -> Result<Option<u64>, XmlError> {
    value
        .map(|v| {
            trim_xml_whitespace(&v)
                .parse()
                .map_err(|_| XmlError::InvalidValue {
                    element,
                    value: v.clone(),
                })
        })
        .transpose()
}

impl LifecycleConfiguration {
    /// Parses a `<LifecycleConfiguration>` document (structure only; values are checked by the
    /// caller).
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, repeats an element that
    /// may appear once, or has a number that is not one.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut rules = Vec::new();
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name == "Rule" {
                rules.push(LifecycleRule::from_element(child)?);
            }
        }
        Ok(Self { xmlns: Xmlns, rules })
    }
}

impl LifecycleRule {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let mut rule = LifecycleRule::default();
        let (mut id, mut status, mut prefix) = (None, None, None);
        for child in element.into_children()? {
            match child.name.as_str() {
                "ID" => set_once(&mut id, child, "ID")?,
                "Status" => set_once(&mut status, child, "Status")?,
                "Prefix" => set_once(&mut prefix, child, "Prefix")?,
                "Filter" => {
                    if rule.filter.is_some() {
                        return Err(XmlError::Duplicate("Filter"));
                    }
                    rule.filter = Some(LifecycleFilter::from_element(child)?);
                }
                "Expiration" => {
                    let (mut days, mut date, mut marker) = (None, None, None);
                    for f in child.into_children()? {
                        match f.name.as_str() {
                            "Days" => set_once(&mut days, f, "Days")?,
                            "Date" => set_once(&mut date, f, "Date")?,
                            "ExpiredObjectDeleteMarker" => {
                                set_once(&mut marker, f, "ExpiredObjectDeleteMarker")?;
                            }
                            _ => {}
                        }
                    }
                    rule.expiration = Some(LifecycleExpiration {
                        days: parse_u32(days, "Days")?,
                        date: date.map(|d| trim_xml_whitespace(&d).to_owned()),
                        expired_object_delete_marker: marker
                            .map(|m| parse_bool(&m, "ExpiredObjectDeleteMarker"))
                            .transpose()?,
                    });
                }
                "NoncurrentVersionExpiration" => {
                    let (mut days, mut newer) = (None, None);
                    for f in child.into_children()? {
                        match f.name.as_str() {
                            "NoncurrentDays" => set_once(&mut days, f, "NoncurrentDays")?,
                            "NewerNoncurrentVersions" => set_once(&mut newer, f, "NewerNoncurrentVersions")?,
                            _ => {}
                        }
                    }
                    rule.noncurrent_version_expiration = Some(NoncurrentVersionExpiration {
                        noncurrent_days: parse_u32(days, "NoncurrentDays")?,
                        newer_noncurrent_versions: parse_u32(newer, "NewerNoncurrentVersions")?,
                    });
                }
                "AbortIncompleteMultipartUpload" => {
                    let mut days = None;
                    for f in child.into_children()? {
                        if f.name == "DaysAfterInitiation" {
                            set_once(&mut days, f, "DaysAfterInitiation")?;
                        }
                    }
                    rule.abort_incomplete_multipart_upload = Some(AbortIncompleteMultipartUpload {
                        days_after_initiation: parse_u32(days, "DaysAfterInitiation")?,
                    });
                }
                other @ ("Transition" | "NoncurrentVersionTransition") => {
                    rule.unsupported.push(other.to_owned());
                }
                _ => {}
            }
        }
        rule.id = id.map(|i| trim_xml_whitespace(&i).to_owned());
        trim_xml_whitespace(&status.ok_or(XmlError::Missing("Status"))?).clone_into(&mut rule.status);
        rule.prefix = prefix;
        Ok(rule)
    }
}

impl LifecycleFilter {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let mut f = LifecycleFilter::default();
        let (mut prefix, mut gt, mut lt) = (None, None, None);
        for child in element.into_children()? {
            match child.name.as_str() {
                "Prefix" => set_once(&mut prefix, child, "Prefix")?,
                "ObjectSizeGreaterThan" => set_once(&mut gt, child, "ObjectSizeGreaterThan")?,
                "ObjectSizeLessThan" => set_once(&mut lt, child, "ObjectSizeLessThan")?,
                "Tag" => {
                    if f.tag.is_some() {
                        return Err(XmlError::Duplicate("Tag"));
                    }
                    f.tag = Some(Tag::from_element(child)?);
                }
                "And" => {
                    if f.and.is_some() {
                        return Err(XmlError::Duplicate("And"));
                    }
                    let mut and = LifecycleAnd::default();
                    let (mut p, mut g, mut l) = (None, None, None);
                    for c in child.into_children()? {
                        match c.name.as_str() {
                            "Prefix" => set_once(&mut p, c, "Prefix")?,
                            "ObjectSizeGreaterThan" => set_once(&mut g, c, "ObjectSizeGreaterThan")?,
                            "ObjectSizeLessThan" => set_once(&mut l, c, "ObjectSizeLessThan")?,
                            "Tag" => and.tags.push(Tag::from_element(c)?),
                            _ => {}
                        }
                    }
                    and.prefix = p;
                    and.object_size_greater_than = parse_u64(g, "ObjectSizeGreaterThan")?;
                    and.object_size_less_than = parse_u64(l, "ObjectSizeLessThan")?;
                    f.and = Some(and);
                }
                _ => {}
            }
        }
        f.prefix = prefix;
        f.object_size_greater_than = parse_u64(gt, "ObjectSizeGreaterThan")?;
        f.object_size_less_than = parse_u64(lt, "ObjectSizeLessThan")?;
        Ok(f)
    }
}

/// Checksums of a GetObjectAttributes answer (object or part).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttributeChecksums {
    /// Base64 CRC32.
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
    /// Base64 CRC32C.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<String>,
    /// Base64 CRC64NVME.
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub crc64nvme: Option<String>,
    /// Base64 SHA-1.
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// Base64 SHA-256.
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE` (object checksums only).
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<String>,
}

/// One `<Part>` of GetObjectAttributes' `ObjectParts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributePart {
    /// Base64 CRC32.
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
    /// Base64 CRC32C.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<String>,
    /// Base64 CRC64NVME.
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub crc64nvme: Option<String>,
    /// Base64 SHA-1.
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// Base64 SHA-256.
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Part number.
    pub part_number: u32,
    /// Size in bytes.
    pub size: u64,
}

/// `ObjectParts` of GetObjectAttributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeParts {
    /// How many parts the object has (AWS names the element `PartsCount`).
    #[serde(rename = "PartsCount")]
    pub total_parts_count: u32,
    /// The request's part number marker.
    pub part_number_marker: u32,
    /// Where the next page starts, when truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_part_number_marker: Option<u32>,
    /// The page size.
    pub max_parts: u32,
    /// Whether more parts follow.
    pub is_truncated: bool,
    /// The parts of this page (only for objects stored with checksums, as AWS).
    #[serde(rename = "Part")]
    pub parts: Vec<AttributePart>,
}

/// `GetObjectAttributes` response: only the attributes asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetObjectAttributesResponse {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// `ETag`, unquoted.
    #[serde(rename = "ETag", skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The object's checksum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<AttributeChecksums>,
    /// The parts of a multipart object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_parts: Option<AttributeParts>,
    /// Storage class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_size: Option<u64>,
}

response_document!(GetObjectAttributesResponse, "GetObjectAttributesResponse");

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

    fn owner(id: &str, name: &str) -> Owner {
        Owner {
            id: id.to_owned(),
            display_name: Some(name.to_owned()),
        }
    }

    /// The texts of all elements at `path` below `root` (which is not part of `path`).
    fn texts_at(root: &Element, path: &[&str]) -> Vec<String> {
        match path.split_first() {
            None => vec![root.text.clone()],
            Some((first, rest)) => root
                .children
                .iter()
                .filter(|child| child.name == *first)
                .flat_map(|child| texts_at(child, rest))
                .collect(),
        }
    }

    /// Keys that exercise escaping: markup characters, quotes, controls, CR/LF, edge whitespace.
    fn hostile_keys() -> Vec<String> {
        let mut keys: Vec<String> = [
            "&+-é\"",
            "a<b>c&d'e\"f",
            " leading and trailing ",
            "   ",
            "line\r\nbreak",
            "lone\rcr",
            "tab\there",
            "ctrl\u{1}\u{8}\u{b}\u{c}\u{1f}",
            "&amp; already escaped &#xD;",
            "]]> cdata end",
            "unicode ✓ 日本 \u{feff} \u{fffd}",
        ]
        .iter()
        .map(|key| (*key).to_owned())
        .collect();
        keys.push((1..0x80u8).map(char::from).collect());
        keys
    }

    // --- responses: golden documents -------------------------------------------------------------

    #[test]
    fn error_minimal() {
        let error = ErrorResponse {
            code: "AccessDenied".into(),
            message: "Access Denied".into(),
            request_id: "4442587FB7D0A2F9".into(),
            ..Default::default()
        };
        assert_eq!(
            error.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Error><Code>AccessDenied</Code><Message>Access Denied</Message>\
             <RequestId>4442587FB7D0A2F9</RequestId></Error>"
        );
    }

    #[test]
    fn error_aws_doc_example_with_resource() {
        // The sample of AWS's "REST error responses" page.
        let error = ErrorResponse {
            code: "NoSuchKey".into(),
            message: "The resource you requested does not exist".into(),
            resource: Some("/mybucket/myfoto.jpg".into()),
            request_id: "4442587FB7D0A2F9".into(),
            ..Default::default()
        };
        assert_eq!(
            error.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>\
             <Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"
        );
    }

    #[test]
    fn error_extra_elements_sit_between_message_and_request_id() {
        // AWS: `<Code>RequestTimeTooSkewed</Code><Message>…</Message><RequestTime>…</RequestTime>
        // <ServerTime>…</ServerTime><MaxAllowedSkewMilliseconds>…</…><RequestId>…<HostId>…`.
        let error = ErrorResponse {
            code: "RequestTimeTooSkewed".into(),
            message: "The difference between the request time and the current time is too large.".into(),
            resource: Some("/bucket/key".into()),
            extra: vec![
                ("RequestTime", "20160118T145135Z".into()),
                ("ServerTime", "2016-01-18T14:36:05Z".into()),
                ("MaxAllowedSkewMilliseconds", "900000".into()),
            ],
            request_id: "REQ1".into(),
            host_id: Some("HOST/1+=".into()),
        };
        assert_eq!(
            error.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Error><Code>RequestTimeTooSkewed</Code>\
             <Message>The difference between the request time and the current time is too large.</Message>\
             <Resource>/bucket/key</Resource>\
             <RequestTime>20160118T145135Z</RequestTime><ServerTime>2016-01-18T14:36:05Z</ServerTime>\
             <MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>\
             <RequestId>REQ1</RequestId><HostId>HOST/1+=</HostId></Error>"
        );
    }

    #[test]
    fn error_escapes_values_and_skips_invalid_extra_names() {
        let error = ErrorResponse {
            code: "NoSuchKey".into(),
            message: "The specified key does not exist.".into(),
            extra: vec![
                ("Key", "a&b<\"c\">\u{1}".into()),
                ("not a name", "x".into()),
                ("@xmlns", "x".into()),
                ("$text", "x".into()),
                ("", "x".into()),
                ("BucketName", "b".into()),
            ],
            request_id: "R".into(),
            ..Default::default()
        };
        assert_eq!(
            error.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
             <Key>a&amp;b&lt;&quot;c&quot;&gt;&#x1;</Key><BucketName>b</BucketName>\
             <RequestId>R</RequestId></Error>"
        );
    }

    #[test]
    fn list_all_my_buckets_full() {
        let result = ListAllMyBucketsResult {
            buckets: vec![
                Bucket {
                    name: "quotes".into(),
                    creation_date: "2006-02-03T16:45:09.000Z".into(),
                    bucket_region: Some("us-east-1".into()),
                },
                Bucket {
                    name: "samples".into(),
                    creation_date: "2006-02-03T16:41:58.000Z".into(),
                    bucket_region: None,
                },
            ],
            owner: owner("bcaf1ffd86f461ca5fb16fd081034f", "webfile"),
            continuation_token: Some("token/+=".into()),
            prefix: Some("q".into()),
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets>\
             <Bucket><Name>quotes</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate>\
             <BucketRegion>us-east-1</BucketRegion></Bucket>\
             <Bucket><Name>samples</Name><CreationDate>2006-02-03T16:41:58.000Z</CreationDate></Bucket>\
             </Buckets><Owner><ID>bcaf1ffd86f461ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner>\
             <ContinuationToken>token/+=</ContinuationToken><Prefix>q</Prefix></ListAllMyBucketsResult>"
        );
    }

    #[test]
    fn list_all_my_buckets_empty() {
        let result = ListAllMyBucketsResult {
            owner: Owner {
                id: "id".into(),
                display_name: None,
            },
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets/>\
             <Owner><ID>id</ID></Owner></ListAllMyBucketsResult>"
        );
    }

    #[test]
    fn location_constraint() {
        assert_eq!(
            LocationConstraint::for_region("eu-west-1").to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>"
        );
        let us_east_1 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                         <LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
        assert_eq!(LocationConstraint::for_region("us-east-1").to_xml(), us_east_1);
        assert_eq!(LocationConstraint::for_region("").to_xml(), us_east_1);
        assert_eq!(LocationConstraint::default().to_xml(), us_east_1);
    }

    #[test]
    fn versioning_configuration() {
        assert_eq!(
            VersioningConfiguration::default().to_xml(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration xmlns=\"{NS}\"/>")
        );
        let configured = VersioningConfiguration {
            status: Some("Suspended".into()),
            mfa_delete: Some("Disabled".into()),
            ..Default::default()
        };
        assert_eq!(
            configured.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <VersioningConfiguration xmlns=\"{NS}\"><Status>Suspended</Status>\
                 <MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"
            )
        );
    }

    #[test]
    fn list_objects_v1_aws_sample() {
        // AWS's ListObjects sample, with the ETag quoted as AWS really sends it.
        let owner = owner(
            "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
            "mtd@amazon.com",
        );
        let result = ListBucketResult {
            name: "bucket".into(),
            max_keys: 1000,
            contents: vec![
                Object {
                    key: "my-image.jpg".into(),
                    last_modified: "2009-10-12T17:50:30.000Z".into(),
                    etag: "\"fba9dede5f27731c9771645a39863328\"".into(),
                    size: 434_234,
                    owner: Some(owner.clone()),
                    storage_class: "STANDARD".into(),
                    ..Default::default()
                },
                Object {
                    key: "my-third-image.jpg".into(),
                    last_modified: "2009-10-12T17:50:30.000Z".into(),
                    etag: "\"1b2cf535f27731c974343645a3985328\"".into(),
                    size: 64994,
                    owner: Some(owner),
                    storage_class: "STANDARD_IA".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let owner_xml = "<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\
                         <DisplayName>mtd@amazon.com</DisplayName></Owner>";
        let expected = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListBucketResult xmlns=\"{NS}\"><Name>bucket</Name><Prefix/><Marker/>\
             <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>\
             <Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
             <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>{owner_xml}\
             <StorageClass>STANDARD</StorageClass></Contents>\
             <Contents><Key>my-third-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
             <ETag>&quot;1b2cf535f27731c974343645a3985328&quot;</ETag><Size>64994</Size>{owner_xml}\
             <StorageClass>STANDARD_IA</StorageClass></Contents></ListBucketResult>"
        );
        assert_eq!(result.to_xml(), expected);
    }

    #[test]
    fn list_objects_v1_all_optional_parts() {
        let result = ListBucketResult {
            name: "photos".into(),
            prefix: "2006/".into(),
            marker: "2006/a".into(),
            next_marker: Some("2006/c.jpg".into()),
            max_keys: 2,
            delimiter: Some("/".into()),
            encoding_type: Some("url".into()),
            is_truncated: true,
            contents: vec![Object {
                key: "2006/c.jpg".into(),
                last_modified: "2009-10-12T17:50:30.000Z".into(),
                etag: "\"e\"".into(),
                checksum_algorithm: vec!["CRC32".into(), "CRC64NVME".into()],
                checksum_type: Some("FULL_OBJECT".into()),
                size: 5,
                owner: None,
                storage_class: "STANDARD".into(),
            }],
            common_prefixes: vec![CommonPrefix {
                prefix: "2006/feb/".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListBucketResult xmlns=\"{NS}\"><Name>photos</Name><Prefix>2006/</Prefix>\
                 <Marker>2006/a</Marker><NextMarker>2006/c.jpg</NextMarker><MaxKeys>2</MaxKeys>\
                 <Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
                 <Contents><Key>2006/c.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
                 <ETag>&quot;e&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>\
                 <ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>\
                 <Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>\
                 <CommonPrefixes><Prefix>2006/feb/</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
    }

    #[test]
    fn list_objects_v2_minimal() {
        let result = ListBucketResultV2 {
            name: "bucket".into(),
            key_count: 1,
            max_keys: 1000,
            contents: vec![Object {
                key: "my-image.jpg".into(),
                last_modified: "2009-10-12T17:50:30.000Z".into(),
                etag: "\"fba9dede5f27731c9771645a39863328\"".into(),
                size: 434_234,
                storage_class: "STANDARD".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListBucketResult xmlns=\"{NS}\"><Name>bucket</Name><Prefix/><KeyCount>1</KeyCount>\
                 <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>\
                 <Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
                 <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>\
                 <StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"
            )
        );
    }

    #[test]
    fn list_objects_v2_all_optional_parts() {
        let result = ListBucketResultV2 {
            name: "quotes".into(),
            prefix: "E".into(),
            continuation_token: Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=".into()),
            next_continuation_token: Some("next+/=".into()),
            start_after: Some("ExampleGuide.pdf".into()),
            key_count: 2,
            max_keys: 2,
            delimiter: Some("/".into()),
            encoding_type: Some("url".into()),
            is_truncated: true,
            contents: vec![Object {
                key: "ExampleObject.txt".into(),
                last_modified: "2013-09-17T18:07:53.000Z".into(),
                etag: "\"599bab3ed2c697f1d26842727561fd94\"".into(),
                size: 857,
                owner: Some(owner("id1", "name1")),
                storage_class: "REDUCED_REDUNDANCY".into(),
                ..Default::default()
            }],
            common_prefixes: vec![
                CommonPrefix { prefix: "Ex/".into() },
                CommonPrefix { prefix: "Ey/".into() },
            ],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListBucketResult xmlns=\"{NS}\"><Name>quotes</Name><Prefix>E</Prefix>\
                 <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>\
                 <NextContinuationToken>next+/=</NextContinuationToken>\
                 <StartAfter>ExampleGuide.pdf</StartAfter><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>\
                 <Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
                 <Contents><Key>ExampleObject.txt</Key><LastModified>2013-09-17T18:07:53.000Z</LastModified>\
                 <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag><Size>857</Size>\
                 <Owner><ID>id1</ID><DisplayName>name1</DisplayName></Owner>\
                 <StorageClass>REDUCED_REDUNDANCY</StorageClass></Contents>\
                 <CommonPrefixes><Prefix>Ex/</Prefix></CommonPrefixes>\
                 <CommonPrefixes><Prefix>Ey/</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
    }

    #[test]
    fn list_versions_aws_sample_interleaves_versions_and_markers() {
        let owner = owner(
            "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
            "mtd@amazon.com",
        );
        let result = ListVersionsResult {
            name: "bucket".into(),
            prefix: "my".into(),
            max_keys: 5,
            entries: vec![
                VersionEntry::Version(ObjectVersion {
                    key: "my-image.jpg".into(),
                    version_id: "3/L4kqtJl40Nr8X8gdRQBpUMLUo".into(),
                    is_latest: true,
                    last_modified: "2009-10-12T17:50:30.000Z".into(),
                    etag: "\"fba9dede5f27731c9771645a39863328\"".into(),
                    size: 434_234,
                    storage_class: "STANDARD".into(),
                    owner: Some(owner.clone()),
                    ..Default::default()
                }),
                VersionEntry::DeleteMarker(DeleteMarkerEntry {
                    key: "my-second-image.jpg".into(),
                    version_id: "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892".into(),
                    is_latest: true,
                    last_modified: "2009-11-12T17:50:30.000Z".into(),
                    owner: Some(owner),
                }),
                VersionEntry::Version(ObjectVersion {
                    key: "my-second-image.jpg".into(),
                    version_id: "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893".into(),
                    is_latest: false,
                    last_modified: "2009-10-10T17:50:30.000Z".into(),
                    etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
                    size: 166_434,
                    storage_class: "STANDARD".into(),
                    owner: None,
                    ..Default::default()
                }),
            ],
            ..Default::default()
        };
        let owner_xml = "<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\
                         <DisplayName>mtd@amazon.com</DisplayName></Owner>";
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListVersionsResult xmlns=\"{NS}\"><Name>bucket</Name><Prefix>my</Prefix>\
                 <KeyMarker/><VersionIdMarker/><MaxKeys>5</MaxKeys><IsTruncated>false</IsTruncated>\
                 <Version><Key>my-image.jpg</Key><VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>\
                 <IsLatest>true</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified>\
                 <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>\
                 <StorageClass>STANDARD</StorageClass>{owner_xml}</Version>\
                 <DeleteMarker><Key>my-second-image.jpg</Key>\
                 <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId><IsLatest>true</IsLatest>\
                 <LastModified>2009-11-12T17:50:30.000Z</LastModified>{owner_xml}</DeleteMarker>\
                 <Version><Key>my-second-image.jpg</Key><VersionId>QUpfdndhfd8438MNFDN93jdnJFkdmqnh893</VersionId>\
                 <IsLatest>false</IsLatest><LastModified>2009-10-10T17:50:30.000Z</LastModified>\
                 <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>166434</Size>\
                 <StorageClass>STANDARD</StorageClass></Version></ListVersionsResult>"
            )
        );
    }

    #[test]
    fn list_versions_all_optional_parts() {
        let result = ListVersionsResult {
            name: "b".into(),
            prefix: "p/".into(),
            key_marker: "p/a".into(),
            version_id_marker: "v0".into(),
            next_key_marker: Some("p/b".into()),
            next_version_id_marker: Some("v2".into()),
            max_keys: 1,
            delimiter: Some("/".into()),
            encoding_type: Some("url".into()),
            is_truncated: true,
            entries: vec![VersionEntry::Version(ObjectVersion {
                key: "p/b".into(),
                version_id: "null".into(),
                is_latest: true,
                last_modified: "2024-01-01T00:00:00.000Z".into(),
                etag: "\"e\"".into(),
                checksum_algorithm: vec!["CRC64NVME".into()],
                checksum_type: Some("FULL_OBJECT".into()),
                size: 1,
                storage_class: "STANDARD".into(),
                owner: None,
            })],
            common_prefixes: vec![CommonPrefix {
                prefix: "p/c/".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListVersionsResult xmlns=\"{NS}\"><Name>b</Name><Prefix>p/</Prefix>\
                 <KeyMarker>p/a</KeyMarker><VersionIdMarker>v0</VersionIdMarker>\
                 <NextKeyMarker>p/b</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker>\
                 <MaxKeys>1</MaxKeys><Delimiter>/</Delimiter><EncodingType>url</EncodingType>\
                 <IsTruncated>true</IsTruncated><Version><Key>p/b</Key><VersionId>null</VersionId>\
                 <IsLatest>true</IsLatest><LastModified>2024-01-01T00:00:00.000Z</LastModified>\
                 <ETag>&quot;e&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>\
                 <ChecksumType>FULL_OBJECT</ChecksumType><Size>1</Size><StorageClass>STANDARD</StorageClass>\
                 </Version><CommonPrefixes><Prefix>p/c/</Prefix></CommonPrefixes></ListVersionsResult>"
            )
        );
    }

    #[test]
    fn delete_result_deleted_and_errors() {
        let result = DeleteResult {
            deleted: vec![
                Deleted {
                    key: "sample1.txt".into(),
                    ..Default::default()
                },
                Deleted {
                    key: "SampleDocument.txt".into(),
                    version_id: Some("OYcLXagmS.WaD..oyH4KRguB95_YhLs7".into()),
                    ..Default::default()
                },
                Deleted {
                    key: "marked".into(),
                    version_id: None,
                    delete_marker: true,
                    delete_marker_version_id: Some("NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s".into()),
                },
            ],
            errors: vec![DeleteError {
                key: "sample2.txt".into(),
                version_id: Some("v1".into()),
                code: "AccessDenied".into(),
                message: "Access Denied".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <DeleteResult xmlns=\"{NS}\"><Deleted><Key>sample1.txt</Key></Deleted>\
                 <Deleted><Key>SampleDocument.txt</Key><VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>\
                 </Deleted><Deleted><Key>marked</Key><DeleteMarker>true</DeleteMarker>\
                 <DeleteMarkerVersionId>NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s</DeleteMarkerVersionId></Deleted>\
                 <Error><Key>sample2.txt</Key><VersionId>v1</VersionId><Code>AccessDenied</Code>\
                 <Message>Access Denied</Message></Error></DeleteResult>"
            )
        );
    }

    #[test]
    fn delete_result_quiet_and_empty() {
        assert_eq!(
            DeleteResult::default().to_xml(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"{NS}\"/>")
        );
    }

    #[test]
    fn copy_object_and_copy_part_results() {
        let copy = CopyObjectResult {
            last_modified: "2009-10-28T22:32:00.000Z".into(),
            etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
            ..Default::default()
        };
        assert_eq!(
            copy.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <CopyObjectResult xmlns=\"{NS}\"><LastModified>2009-10-28T22:32:00.000Z</LastModified>\
                 <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>"
            )
        );
        let with_checksums = CopyObjectResult {
            checksum_crc32: Some("AAAAAA==".into()),
            checksum_crc32c: Some("BBBBBB==".into()),
            checksum_crc64nvme: Some("CCCCCCCCCCC=".into()),
            checksum_sha1: Some("DDDD".into()),
            checksum_sha256: Some("EEEE".into()),
            ..copy
        };
        let fields = "<LastModified>2009-10-28T22:32:00.000Z</LastModified>\
                      <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>\
                      <ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumCRC32C>BBBBBB==</ChecksumCRC32C>\
                      <ChecksumCRC64NVME>CCCCCCCCCCC=</ChecksumCRC64NVME><ChecksumSHA1>DDDD</ChecksumSHA1>\
                      <ChecksumSHA256>EEEE</ChecksumSHA256>";
        assert_eq!(
            with_checksums.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <CopyObjectResult xmlns=\"{NS}\">{fields}</CopyObjectResult>"
            )
        );
        assert_eq!(
            CopyPartResult(with_checksums).to_xml(),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult xmlns=\"{NS}\">{fields}</CopyPartResult>")
        );
    }

    #[test]
    fn initiate_multipart_upload_result() {
        let result = InitiateMultipartUploadResult {
            bucket: "example-bucket".into(),
            key: "example-object".into(),
            upload_id: "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA".into(),
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <InitiateMultipartUploadResult xmlns=\"{NS}\"><Bucket>example-bucket</Bucket>\
                 <Key>example-object</Key>\
                 <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\
                 </InitiateMultipartUploadResult>"
            )
        );
    }

    #[test]
    fn complete_multipart_upload_result() {
        let result = CompleteMultipartUploadResult {
            location: "http://Example-Bucket.s3.region.amazonaws.com/Example-Object".into(),
            bucket: "Example-Bucket".into(),
            key: "Example-Object".into(),
            etag: "\"3858f62230ac3c915f300c664312c11f-9\"".into(),
            ..Default::default()
        };
        let head = "<Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>\
                    <Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>\
                    <ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>";
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <CompleteMultipartUploadResult xmlns=\"{NS}\">{head}</CompleteMultipartUploadResult>"
            )
        );
        let with_checksum = CompleteMultipartUploadResult {
            checksum_crc64nvme: Some("J6vAzvk7FlY=".into()),
            checksum_type: Some("FULL_OBJECT".into()),
            ..result
        };
        assert_eq!(
            with_checksum.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <CompleteMultipartUploadResult xmlns=\"{NS}\">{head}\
                 <ChecksumCRC64NVME>J6vAzvk7FlY=</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>\
                 </CompleteMultipartUploadResult>"
            )
        );
    }

    #[test]
    fn post_response_aws_sample() {
        // The sample of AWS's POST Object page, with AWS's escaping of the quoted ETag.
        let result = PostResponse {
            location: "https://bucketname.s3.amazonaws.com/user/eric/a%20b.png".into(),
            bucket: "bucketname".into(),
            key: "user/eric/a b.png".into(),
            etag: "\"3858f62230ac3c915f300c664312c11f\"".into(),
        };
        assert_eq!(
            result.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <PostResponse><Location>https://bucketname.s3.amazonaws.com/user/eric/a%20b.png</Location>\
             <Bucket>bucketname</Bucket><Key>user/eric/a b.png</Key>\
             <ETag>&quot;3858f62230ac3c915f300c664312c11f&quot;</ETag></PostResponse>"
        );
    }

    #[test]
    fn list_parts_result_aws_sample() {
        let result = ListPartsResult {
            bucket: "example-bucket".into(),
            key: "example-object".into(),
            upload_id: "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA".into(),
            initiator: owner("arn:aws:iam::111122223333:user/some-user", "umat-user"),
            owner: owner(
                "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
                "someName",
            ),
            storage_class: "STANDARD".into(),
            part_number_marker: 1,
            next_part_number_marker: Some(3),
            max_parts: 2,
            is_truncated: true,
            parts: vec![
                Part {
                    part_number: 2,
                    last_modified: "2010-11-10T20:48:34.000Z".into(),
                    etag: "\"7778aef83f66abc1fa1e8477f296d394\"".into(),
                    size: 10_485_760,
                    ..Default::default()
                },
                Part {
                    part_number: 3,
                    last_modified: "2010-11-10T20:48:33.000Z".into(),
                    etag: "\"aaaa18db4cc2f85cedef654fccc4a4x8\"".into(),
                    size: 10_485_760,
                    checksum_sha256: Some("sha/+=".into()),
                    ..Default::default()
                },
            ],
            checksum_algorithm: Some("SHA256".into()),
            checksum_type: Some("COMPOSITE".into()),
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListPartsResult xmlns=\"{NS}\"><Bucket>example-bucket</Bucket><Key>example-object</Key>\
                 <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>\
                 <Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID><DisplayName>umat-user</DisplayName>\
                 </Initiator><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\
                 <DisplayName>someName</DisplayName></Owner><StorageClass>STANDARD</StorageClass>\
                 <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>\
                 <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>\
                 <Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>\
                 <ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>10485760</Size></Part>\
                 <Part><PartNumber>3</PartNumber><LastModified>2010-11-10T20:48:33.000Z</LastModified>\
                 <ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4x8&quot;</ETag><Size>10485760</Size>\
                 <ChecksumSHA256>sha/+=</ChecksumSHA256></Part>\
                 <ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>\
                 </ListPartsResult>"
            )
        );
    }

    #[test]
    fn list_parts_result_minimal() {
        let result = ListPartsResult {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u".into(),
            initiator: Owner {
                id: "i".into(),
                display_name: None,
            },
            owner: Owner {
                id: "o".into(),
                display_name: None,
            },
            storage_class: "STANDARD".into(),
            max_parts: 1000,
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListPartsResult xmlns=\"{NS}\"><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>\
                 <Initiator><ID>i</ID></Initiator><Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass>\
                 <PartNumberMarker>0</PartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>\
                 </ListPartsResult>"
            )
        );
    }

    #[test]
    fn list_multipart_uploads_aws_sample() {
        let result = ListMultipartUploadsResult {
            bucket: "bucket".into(),
            next_key_marker: Some("my-movie.m2ts".into()),
            next_upload_id_marker: Some("YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ".into()),
            max_uploads: 3,
            is_truncated: true,
            uploads: vec![Upload {
                key: "my-divisor".into(),
                upload_id: "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw".into(),
                initiator: owner("arn:aws:iam::111122223333:user/user1", "user1"),
                owner: owner(
                    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
                    "OwnerDisplayName",
                ),
                storage_class: "REDUCED_REDUNDANCY".into(),
                initiated: "2010-11-10T20:48:33.000Z".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListMultipartUploadsResult xmlns=\"{NS}\"><Bucket>bucket</Bucket><KeyMarker/>\
                 <UploadIdMarker/><NextKeyMarker>my-movie.m2ts</NextKeyMarker>\
                 <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>\
                 <MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>\
                 <Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>\
                 <Initiator><ID>arn:aws:iam::111122223333:user/user1</ID><DisplayName>user1</DisplayName>\
                 </Initiator><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\
                 <DisplayName>OwnerDisplayName</DisplayName></Owner><StorageClass>REDUCED_REDUNDANCY</StorageClass>\
                 <Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload></ListMultipartUploadsResult>"
            )
        );
    }

    #[test]
    fn list_multipart_uploads_with_prefix_delimiter_and_common_prefixes() {
        let result = ListMultipartUploadsResult {
            bucket: "example-bucket".into(),
            key_marker: "photos/2006/a".into(),
            upload_id_marker: "u0".into(),
            prefix: Some("photos/2006/".into()),
            delimiter: Some("/".into()),
            max_uploads: 1000,
            encoding_type: Some("url".into()),
            uploads: vec![Upload {
                key: "photos/2006/x".into(),
                upload_id: "u1".into(),
                initiator: Owner {
                    id: "i".into(),
                    display_name: None,
                },
                owner: Owner {
                    id: "o".into(),
                    display_name: None,
                },
                storage_class: "STANDARD".into(),
                initiated: "2024-01-01T00:00:00.000Z".into(),
                checksum_algorithm: Some("CRC32".into()),
                checksum_type: Some("FULL_OBJECT".into()),
            }],
            common_prefixes: vec![
                CommonPrefix {
                    prefix: "photos/2006/February/".into(),
                },
                CommonPrefix {
                    prefix: "photos/2006/January/".into(),
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <ListMultipartUploadsResult xmlns=\"{NS}\"><Bucket>example-bucket</Bucket>\
                 <KeyMarker>photos/2006/a</KeyMarker><UploadIdMarker>u0</UploadIdMarker>\
                 <Prefix>photos/2006/</Prefix><Delimiter>/</Delimiter><MaxUploads>1000</MaxUploads>\
                 <EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>\
                 <Upload><Key>photos/2006/x</Key><UploadId>u1</UploadId><Initiator><ID>i</ID></Initiator>\
                 <Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass>\
                 <Initiated>2024-01-01T00:00:00.000Z</Initiated><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>\
                 <ChecksumType>FULL_OBJECT</ChecksumType></Upload>\
                 <CommonPrefixes><Prefix>photos/2006/February/</Prefix></CommonPrefixes>\
                 <CommonPrefixes><Prefix>photos/2006/January/</Prefix></CommonPrefixes>\
                 </ListMultipartUploadsResult>"
            )
        );
    }

    // --- responses: escaping and round trips -----------------------------------------------------

    #[test]
    fn escaping_of_markup_quotes_and_control_characters() {
        let result = InitiateMultipartUploadResult {
            bucket: "b".into(),
            key: "<a&b>\"c'\u{1}\r\n\t\u{1f}\u{7f}é\u{fffe}".into(),
            upload_id: "u".into(),
            ..Default::default()
        };
        assert_eq!(
            result.to_xml(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <InitiateMultipartUploadResult xmlns=\"{NS}\"><Bucket>b</Bucket>\
                 <Key>&lt;a&amp;b&gt;&quot;c&apos;&#x1;&#xD;&#xA;&#x9;&#x1F;\u{7f}é&#xFFFE;</Key>\
                 <UploadId>u</UploadId></InitiateMultipartUploadResult>"
            )
        );
    }

    #[test]
    fn every_response_starts_with_the_declaration_and_is_well_formed() {
        let documents = [
            ErrorResponse::default().to_xml(),
            ListAllMyBucketsResult::default().to_xml(),
            LocationConstraint::default().to_xml(),
            VersioningConfiguration::default().to_xml(),
            ListBucketResult::default().to_xml(),
            ListBucketResultV2::default().to_xml(),
            ListVersionsResult::default().to_xml(),
            DeleteResult::default().to_xml(),
            CopyObjectResult::default().to_xml(),
            CopyPartResult::default().to_xml(),
            InitiateMultipartUploadResult::default().to_xml(),
            CompleteMultipartUploadResult::default().to_xml(),
            ListPartsResult::default().to_xml(),
            ListMultipartUploadsResult::default().to_xml(),
        ];
        for document in documents {
            assert!(
                document.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<"),
                "{document}"
            );
            let root = parse_element_tree(document.as_bytes()).expect(&document);
            assert_ne!(root.name, "", "{document}");
        }
    }

    #[test]
    fn response_round_trip_keeps_hostile_keys_exactly() {
        let keys = hostile_keys();
        let result = ListBucketResultV2 {
            name: "b".into(),
            prefix: " p\r".into(),
            start_after: Some("\u{2}&".into()),
            contents: keys
                .iter()
                .map(|key| Object {
                    key: key.clone(),
                    ..Default::default()
                })
                .collect(),
            common_prefixes: keys
                .iter()
                .map(|key| CommonPrefix { prefix: key.clone() })
                .collect(),
            ..Default::default()
        };
        let root = parse_element_tree(result.to_xml().as_bytes()).expect("well-formed");
        assert_eq!(root.name, "ListBucketResult");
        assert_eq!(texts_at(&root, &["Contents", "Key"]), keys);
        assert_eq!(texts_at(&root, &["CommonPrefixes", "Prefix"]), keys);
        assert_eq!(texts_at(&root, &["Prefix"]), [" p\r"]);
        assert_eq!(texts_at(&root, &["StartAfter"]), ["\u{2}&"]);

        let error = ErrorResponse {
            extra: vec![("Key", keys[4].clone())],
            ..Default::default()
        };
        let root = parse_element_tree(error.to_xml().as_bytes()).expect("well-formed");
        assert_eq!(texts_at(&root, &["Key"]), [keys[4].clone()]);
    }

    // --- requests: CreateBucketConfiguration -----------------------------------------------------

    #[test]
    fn create_bucket_configuration_aws_sample() {
        // AWS's CreateBucket sample, including the space in its closing tag.
        let body = b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"> \n\
                     <LocationConstraint>Europe</LocationConstraint> \n\
                     </CreateBucketConfiguration >";
        assert_eq!(
            CreateBucketConfiguration::from_xml(body),
            Ok(CreateBucketConfiguration {
                location_constraint: Some("Europe".into())
            })
        );
    }

    #[test]
    fn create_bucket_configuration_variants() {
        let parse = |body: &str| CreateBucketConfiguration::from_xml(body.as_bytes());
        let region = |r: &str| {
            Ok(CreateBucketConfiguration {
                location_constraint: Some(r.to_owned()),
            })
        };
        let none = Ok(CreateBucketConfiguration {
            location_constraint: None,
        });
        assert_eq!(
            parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"),
            region("eu-west-1")
        );
        assert_eq!(
            parse("\n  <CreateBucketConfiguration>\n  <LocationConstraint>\n  eu-west-1\n  </LocationConstraint>\n</CreateBucketConfiguration>\n\n"),
            region("eu-west-1")
        );
        assert_eq!(
            parse("<s3:CreateBucketConfiguration xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:LocationConstraint>ap-south-1</s3:LocationConstraint></s3:CreateBucketConfiguration>"),
            region("ap-south-1")
        );
        assert_eq!(parse("<CreateBucketConfiguration/>"), none);
        assert_eq!(
            parse("<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>"),
            none
        );
        assert_eq!(parse("<CreateBucketConfiguration><LocationConstraint> </LocationConstraint></CreateBucketConfiguration>"), none);
        // Directory-bucket elements are ignored.
        assert_eq!(
            parse(&format!(
                "<CreateBucketConfiguration xmlns=\"{NS}\"><LocationConstraint>us-west-2</LocationConstraint>\
                 <Location><Name>usw2-az1</Name><Type>AvailabilityZone</Type></Location>\
                 <Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket>\
                 </CreateBucketConfiguration>"
            )),
            region("us-west-2")
        );
    }

    #[test]
    fn create_bucket_configuration_rejects() {
        let parse = |body: &str| CreateBucketConfiguration::from_xml(body.as_bytes());
        assert_eq!(
            parse("<Configuration/>"),
            Err(XmlError::WrongRoot {
                expected: "CreateBucketConfiguration",
                found: "Configuration".into()
            })
        );
        assert_eq!(
            parse("<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint><LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>"),
            Err(XmlError::Duplicate("LocationConstraint"))
        );
        assert_eq!(
            parse("<CreateBucketConfiguration><LocationConstraint><a/></LocationConstraint></CreateBucketConfiguration>"),
            Err(XmlError::NotText("LocationConstraint"))
        );
        assert!(matches!(
            parse("<CreateBucketConfiguration>"),
            Err(XmlError::Syntax(_))
        ));
        assert_eq!(parse(""), Err(XmlError::NoRoot));
        assert_eq!(parse("eu-west-1"), Err(XmlError::UnexpectedText));
    }

    // --- requests: Delete ------------------------------------------------------------------------

    fn key(key: &str) -> ObjectIdentifier {
        ObjectIdentifier {
            key: key.to_owned(),
            ..Default::default()
        }
    }

    fn delete_keys(body: &str) -> Vec<String> {
        Delete::from_xml(body.as_bytes())
            .expect(body)
            .objects
            .into_iter()
            .map(|object| object.key)
            .collect()
    }

    #[test]
    fn delete_aws_sample_two_keys() {
        // AWS's DeleteObjects sample request (no namespace, pretty-printed).
        let body = "<Delete>\n  <Object>\n    <Key>sample1.txt</Key>\n  </Object>\n  <Object>\n    <Key>sample2.txt</Key>\n  </Object>\n</Delete>";
        assert_eq!(
            Delete::from_xml(body.as_bytes()),
            Ok(Delete {
                quiet: false,
                objects: vec![key("sample1.txt"), key("sample2.txt")]
            })
        );
    }

    #[test]
    fn delete_aws_sample_versioned_and_quiet() {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"{NS}\">\n  <Quiet>true</Quiet>\n  <Object>\n   \
             <Key>SampleDocument.txt</Key>\n   <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>\n  </Object>\n</Delete>"
        );
        assert_eq!(
            Delete::from_xml(body.as_bytes()),
            Ok(Delete {
                quiet: true,
                objects: vec![ObjectIdentifier {
                    key: "SampleDocument.txt".into(),
                    version_id: Some("OYcLXagmS.WaD..oyH4KRguB95_YhLs7".into()),
                    etag: None,
                }],
            })
        );
    }

    #[test]
    fn delete_namespace_present_absent_or_prefixed() {
        for body in [
            "<Delete><Object><Key>k</Key></Object></Delete>".to_owned(),
            format!("<Delete xmlns=\"{NS}\"><Object><Key>k</Key></Object></Delete>"),
            format!("<s3:Delete xmlns:s3=\"{NS}\"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>"),
            "\u{feff}<?xml version=\"1.0\"?><!-- c --><Delete><Object><Key>k</Key></Object></Delete><!-- c -->\n".to_owned(),
        ] {
            assert_eq!(delete_keys(&body), ["k"], "{body}");
        }
    }

    #[test]
    fn delete_fields_in_any_order_with_etag_and_quiet_forms() {
        let body =
            "<Delete><Object><VersionId>v</VersionId><ETag>\"e\"</ETag><Key>k</Key><Size>3</Size></Object>\
                    <Quiet> False </Quiet><Unknown><Deep/></Unknown></Delete>";
        assert_eq!(
            Delete::from_xml(body.as_bytes()),
            Ok(Delete {
                quiet: false,
                objects: vec![ObjectIdentifier {
                    key: "k".into(),
                    version_id: Some("v".into()),
                    etag: Some("\"e\"".into())
                }],
            })
        );
        for (quiet, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("false", false),
            ("0", false),
        ] {
            let body = format!("<Delete><Quiet>{quiet}</Quiet><Object><Key>k</Key></Object></Delete>");
            assert_eq!(
                Delete::from_xml(body.as_bytes()).map(|d| d.quiet),
                Ok(expected),
                "{quiet}"
            );
        }
    }

    #[test]
    fn delete_keys_decode_entities_and_keep_whitespace() {
        let body = "<Delete>\
            <Object><Key>a&amp;b</Key></Object>\
            <Object><Key>cr&#xD;here</Key></Object>\
            <Object><Key>cr&#13;lf&#10;dec</Key></Object>\
            <Object><Key>  leading and trailing  </Key></Object>\
            <Object><Key>\t tab and spaces \t</Key></Object>\
            <Object><Key>   </Key></Object>\
            <Object><Key>&lt;&gt;&quot;&apos;&#x1;&#x20AC;</Key></Object>\
            <Object><Key><![CDATA[ <raw> & ]]></Key></Object>\
            <Object><Key>a<!-- comment -->b<?pi x?>c</Key></Object>\
            <Object><Key>mix &amp; <![CDATA[&amp;]]> end</Key></Object>\
            <Object><Key></Key></Object>\
            <Object><Key/></Object>\
            </Delete>";
        assert_eq!(
            delete_keys(body),
            [
                "a&b",
                "cr\rhere",
                "cr\rlf\ndec",
                "  leading and trailing  ",
                "\t tab and spaces \t",
                "   ",
                "<>\"'\u{1}€",
                " <raw> & ",
                "abc",
                "mix & &amp; end",
                "",
                "",
            ]
        );
    }

    #[test]
    fn delete_raw_line_breaks_are_normalized_like_any_xml_parser() {
        // A literal CR LF or CR in character data is a line break (LF); a CR must be sent as &#xD;.
        assert_eq!(
            delete_keys("<Delete><Object><Key>a\r\nb\rc\nd</Key></Object></Delete>"),
            ["a\nb\nc\nd"]
        );
        assert_eq!(
            delete_keys("<Delete><Object><Key><![CDATA[a\r\nb]]></Key></Object></Delete>"),
            ["a\nb"]
        );
    }

    #[test]
    fn delete_many_objects_keep_their_order() {
        let keys: Vec<String> = (0..1500).rev().map(|i| format!("key-{i:05}")).collect();
        let mut body = String::from("<Delete>");
        for key in &keys {
            let _ = write!(body, "<Object><Key>{key}</Key></Object>");
        }
        body.push_str("</Delete>");
        assert_eq!(delete_keys(&body), keys);
    }

    #[test]
    fn delete_round_trip_with_hostile_keys() {
        let delete = Delete {
            quiet: true,
            objects: hostile_keys()
                .into_iter()
                .map(|key| ObjectIdentifier {
                    key,
                    version_id: Some("v &1".into()),
                    etag: Some("\"e\"".into()),
                })
                .chain([key("plain")])
                .collect(),
        };
        assert_eq!(Delete::from_xml(delete.to_xml().as_bytes()), Ok(delete));
    }

    #[test]
    fn delete_rejects_malformed_bodies() {
        let parse = |body: &str| Delete::from_xml(body.as_bytes());
        assert_eq!(parse(""), Err(XmlError::NoRoot));
        assert_eq!(parse("  \n "), Err(XmlError::NoRoot));
        assert_eq!(parse("<!-- only a comment -->"), Err(XmlError::NoRoot));
        assert_eq!(parse("garbage"), Err(XmlError::UnexpectedText));
        assert_eq!(parse("{\"Objects\": []}"), Err(XmlError::UnexpectedText));
        assert_eq!(
            parse("<Tagging><Object><Key>k</Key></Object></Tagging>"),
            Err(XmlError::WrongRoot {
                expected: "Delete",
                found: "Tagging".into()
            })
        );
        assert_eq!(parse("<Delete/>"), Err(XmlError::Missing("Object")));
        assert_eq!(
            parse("<Delete><Quiet>true</Quiet></Delete>"),
            Err(XmlError::Missing("Object"))
        );
        assert_eq!(
            parse("<Delete><Object><VersionId>v</VersionId></Object></Delete>"),
            Err(XmlError::Missing("Key"))
        );
        assert_eq!(parse("<Delete><Object/></Delete>"), Err(XmlError::Missing("Key")));
        assert_eq!(
            parse("<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>"),
            Err(XmlError::Duplicate("Key"))
        );
        assert_eq!(
            parse("<Delete><Quiet>true</Quiet><Quiet>true</Quiet><Object><Key>k</Key></Object></Delete>"),
            Err(XmlError::Duplicate("Quiet"))
        );
        assert_eq!(
            parse("<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>"),
            Err(XmlError::InvalidValue {
                element: "Quiet",
                value: "yes".into()
            })
        );
        assert_eq!(
            parse("<Delete><Object><Key><b>k</b></Key></Object></Delete>"),
            Err(XmlError::NotText("Key"))
        );
        assert_eq!(
            parse("<Delete>text<Object><Key>k</Key></Object></Delete>"),
            Err(XmlError::UnexpectedText)
        );
        assert_eq!(
            parse("<Delete><Object>k<Key>k</Key></Object></Delete>"),
            Err(XmlError::UnexpectedText)
        );
        assert_eq!(
            parse("<Delete><Object><Key>k</Key></Object></Delete>trailing"),
            Err(XmlError::UnexpectedText)
        );
        assert_eq!(
            parse("<!DOCTYPE Delete [<!ENTITY x \"y\">]><Delete><Object><Key>&x;</Key></Object></Delete>"),
            Err(XmlError::DocType)
        );
        assert_eq!(
            Delete::from_xml(b"<Delete><Object><Key>\xff\xfe</Key></Object></Delete>"),
            Err(XmlError::NotUtf8)
        );
        assert_eq!(Delete::from_xml(b"<Del\xffete/>"), Err(XmlError::NotUtf8));
        for body in [
            "<Delete>",
            "<Delete><Object><Key>k</Key></Object>",
            "<Delete></Object></Delete>",
            "<Delete><Object><Key>k</Object></Key></Delete>",
            "</Delete>",
            "<Delete><Object><Key>k</Key></Object></Delete><Delete/>",
            "<Delete/><Delete/>",
            "<Delete><Object><Key>&unknown;</Key></Object></Delete>",
            "<Delete><Object><Key>&#0;</Key></Object></Delete>",
            "<Delete><Object><Key>&#xD800;</Key></Object></Delete>",
            "<Delete><Object><Key>a & b</Key></Object></Delete>",
            "<Delete a=\"1\" a=\"2\"><Object><Key>k</Key></Object></Delete>",
            "<Delete a=><Object><Key>k</Key></Object></Delete>",
            "<Delete><Object><Key>k</Key></Object><![CDATA[x</Delete>",
            "<Delete><Object><Key>k</Key></Object></Delete",
            "<",
            "<>",
        ] {
            assert!(
                matches!(parse(body), Err(XmlError::Syntax(_))),
                "{body}: {:?}",
                parse(body)
            );
        }
    }

    #[test]
    fn deep_nesting_is_rejected_without_recursion() {
        let depth = 2 * 1024 * 1024 / "<a>".len();
        let nested = format!("<Delete>{}", "<a>".repeat(depth));
        assert_eq!(Delete::from_xml(nested.as_bytes()), Err(XmlError::TooDeep));
        let closed = format!("<Delete>{}{}</Delete>", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(Delete::from_xml(closed.as_bytes()), Err(XmlError::TooDeep));
        let in_key = format!(
            "<Delete><Object><Key>{}</Key></Object></Delete>",
            "<k/>".repeat(depth)
        );
        assert_eq!(Delete::from_xml(in_key.as_bytes()), Err(XmlError::NotText("Key")));
        // The root is level 1: MAX_DEPTH levels fit, one more does not (as a start or an empty tag).
        let nest = |levels: usize, inner: &str| {
            format!(
                "<Delete>{}{inner}{}<Object><Key>k</Key></Object></Delete>",
                "<a>".repeat(levels),
                "</a>".repeat(levels)
            )
        };
        assert_eq!(delete_keys(&nest(MAX_DEPTH - 1, "")), ["k"]);
        assert_eq!(delete_keys(&nest(MAX_DEPTH - 2, "<b/>")), ["k"]);
        assert_eq!(
            Delete::from_xml(nest(MAX_DEPTH, "").as_bytes()),
            Err(XmlError::TooDeep)
        );
        assert_eq!(
            Delete::from_xml(nest(MAX_DEPTH - 1, "<b/>").as_bytes()),
            Err(XmlError::TooDeep)
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: truncations and byte flips of a valid document.
        let valid = Delete {
            quiet: true,
            objects: hostile_keys().into_iter().map(|k| key(&k)).collect(),
        }
        .to_xml();
        let bytes = valid.as_bytes();
        for end in 0..bytes.len() {
            let _ = Delete::from_xml(&bytes[..end]);
            let _ = CompleteMultipartUpload::from_xml(&bytes[..end]);
        }
        let mut state = 0x2545_f491_u32;
        for _ in 0..2000 {
            let mut mutated = bytes.to_vec();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let position = state as usize % mutated.len();
                mutated[position] = (state >> 24) as u8;
            }
            let _ = Delete::from_xml(&mutated);
            let _ = CreateBucketConfiguration::from_xml(&mutated);
        }
    }

    // --- requests: CompleteMultipartUpload -------------------------------------------------------

    fn part(number: u32, etag: &str) -> CompletedPart {
        CompletedPart {
            part_number: number,
            etag: etag.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn complete_multipart_upload_aws_sample() {
        let body = "<CompleteMultipartUpload>\n  <Part>\n    <PartNumber>1</PartNumber>\n    \
                    <ETag>\"a54357aff0632cce46d942af68356b38\"</ETag>\n  </Part>\n  <Part>\n    \
                    <PartNumber>2</PartNumber>\n    <ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag>\n  </Part>\n  \
                    <Part>\n    <PartNumber>3</PartNumber>\n    <ETag>\"acbd18db4cc2f85cedef654fccc4a4d8\"</ETag>\n  \
                    </Part>\n</CompleteMultipartUpload>";
        assert_eq!(
            CompleteMultipartUpload::from_xml(body.as_bytes()),
            Ok(CompleteMultipartUpload {
                parts: vec![
                    part(1, "\"a54357aff0632cce46d942af68356b38\""),
                    part(2, "\"0c78aef83f66abc1fa1e8477f296d394\""),
                    part(3, "\"acbd18db4cc2f85cedef654fccc4a4d8\""),
                ],
            })
        );
    }

    #[test]
    fn complete_multipart_upload_namespace_order_entities_and_checksums() {
        // ETag before PartNumber, entity-quoted ETag, namespace, whitespace around the number.
        let body = format!(
            "<CompleteMultipartUpload xmlns=\"{NS}\"><Part><ETag>&quot;3f83&quot;</ETag>\
             <PartNumber> 7 </PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32>\
             <ChecksumCRC32C>BBBBBB==</ChecksumCRC32C><ChecksumCRC64NVME>CCCC</ChecksumCRC64NVME>\
             <ChecksumSHA1>DDDD</ChecksumSHA1><ChecksumSHA256>EEEE</ChecksumSHA256><Size>5</Size></Part>\
             <Part><PartNumber>2</PartNumber><ETag>unquoted</ETag></Part></CompleteMultipartUpload>"
        );
        assert_eq!(
            CompleteMultipartUpload::from_xml(body.as_bytes()),
            Ok(CompleteMultipartUpload {
                parts: vec![
                    CompletedPart {
                        part_number: 7,
                        etag: "\"3f83\"".into(),
                        checksum_crc32: Some("AAAAAA==".into()),
                        checksum_crc32c: Some("BBBBBB==".into()),
                        checksum_crc64nvme: Some("CCCC".into()),
                        checksum_sha1: Some("DDDD".into()),
                        checksum_sha256: Some("EEEE".into()),
                    },
                    part(2, "unquoted"),
                ],
            })
        );
    }

    #[test]
    fn complete_multipart_upload_round_trip() {
        let upload = CompleteMultipartUpload {
            parts: (1..=1200)
                .map(|n| CompletedPart {
                    checksum_sha256: (n % 2 == 0).then(|| format!("sum{n}")),
                    ..part(n, &format!("\"etag-{n}\""))
                })
                .collect(),
        };
        let xml = upload.to_xml();
        assert!(
            xml.contains("<Part><PartNumber>1</PartNumber><ETag>&quot;etag-1&quot;</ETag></Part>"),
            "{xml}"
        );
        assert_eq!(CompleteMultipartUpload::from_xml(xml.as_bytes()), Ok(upload));
    }

    #[test]
    fn complete_multipart_upload_rejects() {
        let parse = |body: &str| CompleteMultipartUpload::from_xml(body.as_bytes());
        assert_eq!(
            parse("<CompleteMultipartUpload/>"),
            Err(XmlError::Missing("Part"))
        );
        assert_eq!(
            parse("<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>"),
            Err(XmlError::Missing("PartNumber"))
        );
        assert_eq!(
            parse(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"
            ),
            Err(XmlError::Missing("ETag"))
        );
        for number in ["", "x", "-1", "1.5", "99999999999", "1 2", "0x1"] {
            let body = format!(
                "<CompleteMultipartUpload><Part><PartNumber>{number}</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"
            );
            assert_eq!(
                parse(&body),
                Err(XmlError::InvalidValue {
                    element: "PartNumber",
                    value: number.into()
                }),
                "{number}"
            );
        }
        // xs:unsignedInt allows a leading plus sign.
        assert_eq!(
            parse("<CompleteMultipartUpload><Part><PartNumber>+1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
            Ok(CompleteMultipartUpload { parts: vec![part(1, "e")] })
        );
        assert_eq!(
            parse("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"),
            Err(XmlError::Duplicate("PartNumber"))
        );
        assert_eq!(
            parse("<Delete><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></Delete>"),
            Err(XmlError::WrongRoot {
                expected: "CompleteMultipartUpload",
                found: "Delete".into()
            })
        );
        assert!(matches!(
            parse("<CompleteMultipartUpload><Part>"),
            Err(XmlError::Syntax(_))
        ));
    }

    #[test]
    fn every_error_is_malformed_xml() {
        let errors = [
            XmlError::Syntax(String::new()),
            XmlError::NotUtf8,
            XmlError::NoRoot,
            XmlError::DocType,
            XmlError::TooDeep,
            XmlError::UnexpectedText,
            XmlError::WrongRoot {
                expected: "Delete",
                found: "x".into(),
            },
            XmlError::Missing("Key"),
            XmlError::Duplicate("Key"),
            XmlError::NotText("Key"),
            XmlError::InvalidValue {
                element: "Quiet",
                value: "x".into(),
            },
        ];
        for error in errors {
            assert_eq!(error.code(), "MalformedXML");
            assert!(!error.to_string().is_empty());
        }
    }

    // --- tagging ---------------------------------------------------------------------------------

    #[test]
    fn tagging_golden_and_empty() {
        let doc = Tagging {
            xmlns: Xmlns,
            tag_set: vec![
                Tag {
                    key: "a b".into(),
                    value: "x&y".into(),
                },
                Tag {
                    key: "empty".into(),
                    value: String::new(),
                },
            ],
        };
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>\
<Tag><Key>a b</Key><Value>x&amp;y</Value></Tag><Tag><Key>empty</Key><Value/></Tag>\
</TagSet></Tagging>"
        );
        assert_eq!(Tagging::from_xml(doc.to_xml().as_bytes()).unwrap(), doc);
        let empty = Tagging::default();
        assert_eq!(
            empty.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet/></Tagging>"
        );
        assert_eq!(Tagging::from_xml(empty.to_xml().as_bytes()).unwrap(), empty);
    }

    #[test]
    fn tagging_parse_keeps_text_and_refuses_bad_documents() {
        let t = Tagging::from_xml(
            b"<Tagging><TagSet>\n <Tag><Value> v </Value><Key> k </Key><Other/></Tag>\n</TagSet></Tagging>",
        )
        .unwrap();
        assert_eq!(
            t.tag_set,
            [Tag {
                key: " k ".into(),
                value: " v ".into()
            }]
        );
        for (bad, why) in [
            (&b"<Tagging><TagSet>"[..], "unclosed"),
            (b"<Tagging></Tagging>", "no TagSet"),
            (b"<Tagging><TagSet/><TagSet/></Tagging>", "two TagSets"),
            (
                b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
                "no Value",
            ),
            (
                b"<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet></Tagging>",
                "no Key",
            ),
            (
                b"<Tagging><TagSet><Tag><Key>a</Key><Key>b</Key><Value/></Tag></TagSet></Tagging>",
                "two Keys",
            ),
            (b"<Tags><TagSet></TagSet></Tags>", "other root"),
            (b"", "empty"),
        ] {
            assert!(Tagging::from_xml(bad).is_err(), "{why}");
        }
    }

    /// Found by the `xml` fuzz target: a literal NUL in a value parsed, but the document
    /// written back (`&#x0;`) did not. Both forms are now refused, and every control character
    /// XML can carry as a reference round-trips.
    #[test]
    fn nul_is_refused_and_control_characters_round_trip() {
        let crash = b"<Tagging><TagSet><Tag><Key>Project</Key><Value>P\x01\0\0\x12ne</Value></Tag></TagSet></Tagging>";
        assert!(matches!(Tagging::from_xml(crash), Err(XmlError::Syntax(_))));
        assert!(matches!(
            Delete::from_xml(b"<Delete><Object><Key>a\0b</Key></Object></Delete>"),
            Err(XmlError::Syntax(_))
        ));
        assert!(matches!(
            Delete::from_xml(b"<Delete><Object><Key><![CDATA[a\0b]]></Key></Object></Delete>"),
            Err(XmlError::Syntax(_))
        ));
        for c in ['\u{1}', '\u{8}', '\u{1F}', '\r', '\u{FFFE}', '\u{FFFF}'] {
            let key = format!("a{c}b");
            let delete = Delete {
                quiet: false,
                objects: vec![ObjectIdentifier {
                    key: key.clone(),
                    version_id: None,
                    etag: None,
                }],
            };
            assert_eq!(
                Delete::from_xml(delete.to_xml().as_bytes()),
                Ok(delete),
                "{key:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Access control: ACLs, public access block, ownership controls, policy status
// ---------------------------------------------------------------------------------------------------

/// The `xmlns:xsi` attribute of an ACL `<Grantee>`.
const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// An ACL `<Grantee>`: `CanonicalUser` (with `ID`), `Group` (with `URI`) or
/// `AmazonCustomerByEmail` (with `EmailAddress`, read only so it can be refused).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grantee {
    /// `xmlns:xsi`.
    #[serde(rename = "@xmlns:xsi")]
    pub xsi: &'static str,
    /// `xsi:type`: `CanonicalUser`, `Group` or `AmazonCustomerByEmail`.
    #[serde(rename = "@xsi:type")]
    pub kind: String,
    /// Canonical user id.
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name of a canonical user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Group URI.
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// E-mail address (requests only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// One `<Grant>` of an `<AccessControlList>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grant {
    /// Who is granted.
    pub grantee: Grantee,
    /// `FULL_CONTROL`, `READ`, `WRITE`, `READ_ACP` or `WRITE_ACP`, as sent.
    pub permission: String,
}

fn serialize_grants<S: Serializer>(grants: &[Grant], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct AccessControlList<'a> {
        #[serde(rename = "Grant")]
        grant: &'a [Grant],
    }
    AccessControlList { grant: grants }.serialize(serializer)
}

/// `<AccessControlPolicy>`: the Get/Put Bucket/Object ACL document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessControlPolicy {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The owner (a request may omit it).
    pub owner: Option<Owner>,
    /// The grants, inside one `<AccessControlList>`.
    #[serde(serialize_with = "serialize_grants")]
    pub access_control_list: Vec<Grant>,
}

response_document!(AccessControlPolicy, "AccessControlPolicy");

impl AccessControlPolicy {
    /// Builds a response document.
    #[must_use]
    pub fn new(owner: Owner, grants: Vec<Grant>) -> Self {
        Self {
            xmlns: Xmlns,
            owner: Some(owner),
            access_control_list: grants,
        }
    }

    /// Parses an `<AccessControlPolicy>` request. Whether grantees exist and permissions are
    /// valid is the caller's.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, has no
    /// `<AccessControlList>`, or a grant without `<Grantee>` or `<Permission>`.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let (mut owner, mut list) = (None, None);
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            match child.name.as_str() {
                "Owner" => {
                    let mut id = None;
                    for c in child.into_children()? {
                        if c.name == "ID" {
                            set_once(&mut id, c, "ID")?;
                        }
                    }
                    owner = Some(Owner {
                        id: trim_xml_whitespace(&id.ok_or(XmlError::Missing("ID"))?).to_owned(),
                        display_name: None,
                    });
                }
                "AccessControlList" => {
                    if list.is_some() {
                        return Err(XmlError::Duplicate("AccessControlList"));
                    }
                    let mut grants = Vec::new();
                    for g in child.into_children()? {
                        if g.name == "Grant" {
                            grants.push(Grant::from_element(g)?);
                        }
                    }
                    list = Some(grants);
                }
                _ => {}
            }
        }
        Ok(Self {
            xmlns: Xmlns,
            owner,
            access_control_list: list.ok_or(XmlError::Missing("AccessControlList"))?,
        })
    }
}

impl Grant {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let (mut grantee, mut permission) = (None, None);
        for child in element.into_children()? {
            match child.name.as_str() {
                "Grantee" => {
                    if grantee.is_some() {
                        return Err(XmlError::Duplicate("Grantee"));
                    }
                    grantee = Some(Grantee::from_element(child)?);
                }
                "Permission" => set_once(&mut permission, child, "Permission")?,
                _ => {}
            }
        }
        Ok(Self {
            grantee: grantee.ok_or(XmlError::Missing("Grantee"))?,
            permission: trim_xml_whitespace(&permission.ok_or(XmlError::Missing("Permission"))?).to_owned(),
        })
    }
}

impl Grantee {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let kind = element.type_attribute.clone().unwrap_or_default();
        let (mut id, mut uri, mut email) = (None, None, None);
        for child in element.into_children()? {
            match child.name.as_str() {
                "ID" => set_once(&mut id, child, "ID")?,
                "URI" => set_once(&mut uri, child, "URI")?,
                "EmailAddress" => set_once(&mut email, child, "EmailAddress")?,
                _ => {}
            }
        }
        let trim = |v: Option<String>| v.map(|v| trim_xml_whitespace(&v).to_owned());
        Ok(Self {
            xsi: XSI_NAMESPACE,
            kind,
            id: trim(id),
            display_name: None,
            uri: trim(uri),
            email_address: trim(email),
        })
    }

    /// A canonical-user grantee for a response.
    #[must_use]
    pub fn user(id: String, display_name: Option<String>) -> Self {
        Self {
            xsi: XSI_NAMESPACE,
            kind: "CanonicalUser".to_owned(),
            id: Some(id),
            display_name,
            ..Self::default()
        }
    }

    /// A group grantee for a response.
    #[must_use]
    pub fn group(uri: &str) -> Self {
        Self {
            xsi: XSI_NAMESPACE,
            kind: "Group".to_owned(),
            uri: Some(uri.to_owned()),
            ..Self::default()
        }
    }
}

/// `<PublicAccessBlockConfiguration>`: Put/GetPublicAccessBlock.
#[allow(clippy::struct_excessive_bools, reason = "AWS's four independent flags")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Refuse requests that set public ACLs.
    pub block_public_acls: bool,
    /// Ignore public ACL grants when deciding.
    pub ignore_public_acls: bool,
    /// Refuse bucket policies that grant public access.
    pub block_public_policy: bool,
    /// Only the owner benefits from a public bucket policy.
    pub restrict_public_buckets: bool,
}

response_document!(PublicAccessBlockConfiguration, "PublicAccessBlockConfiguration");

impl PublicAccessBlockConfiguration {
    /// Parses the document; absent elements are false, as AWS reads them.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, repeats an element or
    /// has a value that is not a boolean.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut out = Self::default();
        let mut seen = Vec::new();
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            let (slot, name): (&mut bool, &'static str) = match child.name.as_str() {
                "BlockPublicAcls" => (&mut out.block_public_acls, "BlockPublicAcls"),
                "IgnorePublicAcls" => (&mut out.ignore_public_acls, "IgnorePublicAcls"),
                "BlockPublicPolicy" => (&mut out.block_public_policy, "BlockPublicPolicy"),
                "RestrictPublicBuckets" => (&mut out.restrict_public_buckets, "RestrictPublicBuckets"),
                _ => continue,
            };
            if seen.contains(&name) {
                return Err(XmlError::Duplicate(name));
            }
            seen.push(name);
            *slot = parse_bool(&child.into_text(name)?, name)?;
        }
        Ok(out)
    }
}

/// `<OwnershipControls>`: Put/GetBucketOwnershipControls (one rule).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The rule.
    pub rule: OwnershipRule,
}

/// `<Rule>` of [`OwnershipControls`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipRule {
    /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`, as sent.
    pub object_ownership: String,
}

response_document!(OwnershipControls, "OwnershipControls");

impl OwnershipControls {
    /// Parses the document: exactly one `<Rule>` with an `<ObjectOwnership>`.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, or not one rule.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut rule = None;
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name == "Rule" {
                let mut value = None;
                for c in child.into_children()? {
                    if c.name == "ObjectOwnership" {
                        set_once(&mut value, c, "ObjectOwnership")?;
                    }
                }
                set_once_value(
                    &mut rule,
                    trim_xml_whitespace(&value.ok_or(XmlError::Missing("ObjectOwnership"))?).to_owned(),
                    "Rule",
                )?;
            }
        }
        Ok(Self {
            xmlns: Xmlns,
            rule: OwnershipRule {
                object_ownership: rule.ok_or(XmlError::Missing("Rule"))?,
            },
        })
    }
}

fn set_once_value(slot: &mut Option<String>, value: String, name: &'static str) -> Result<(), XmlError> {
    if slot.is_some() {
        return Err(XmlError::Duplicate(name));
    }
    *slot = Some(value);
    Ok(())
}

/// `<PolicyStatus>`: the GetBucketPolicyStatus response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyStatus {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// Whether the bucket policy grants public access.
    pub is_public: bool,
}

response_document!(PolicyStatus, "PolicyStatus");

// ---------------------------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------------------------

/// One `<CORSRule>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CorsRule {
    /// Optional rule id.
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Request headers a preflight may ask for (`*` wildcards).
    pub allowed_header: Vec<String>,
    /// Methods: GET, PUT, HEAD, POST, DELETE.
    pub allowed_method: Vec<String>,
    /// Origins (one `*` wildcard each at most).
    pub allowed_origin: Vec<String>,
    /// Response headers the browser may expose to scripts.
    pub expose_header: Vec<String>,
    /// How long a browser may cache a preflight answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u32>,
}

/// `<CORSConfiguration>`: Put/GetBucketCors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CorsConfiguration {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The rules, in order (the first match wins).
    #[serde(rename = "CORSRule")]
    pub rules: Vec<CorsRule>,
}

response_document!(CorsConfiguration, "CORSConfiguration");

impl CorsConfiguration {
    /// Parses the document. Validation (methods, wildcards, counts) is the caller's.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, repeats `ID` or
    /// `MaxAgeSeconds` in a rule, or has a `MaxAgeSeconds` that is not a number.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut rules = Vec::new();
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name == "CORSRule" {
                rules.push(CorsRule::from_element(child)?);
            }
        }
        Ok(Self { xmlns: Xmlns, rules })
    }
}

impl CorsRule {
    fn from_element(element: Element) -> Result<Self, XmlError> {
        let mut rule = CorsRule::default();
        let (mut id, mut max_age) = (None, None);
        for child in element.into_children()? {
            let list = match child.name.as_str() {
                "ID" => {
                    set_once(&mut id, child, "ID")?;
                    continue;
                }
                "MaxAgeSeconds" => {
                    set_once(&mut max_age, child, "MaxAgeSeconds")?;
                    continue;
                }
                "AllowedHeader" => &mut rule.allowed_header,
                "AllowedMethod" => &mut rule.allowed_method,
                "AllowedOrigin" => &mut rule.allowed_origin,
                "ExposeHeader" => &mut rule.expose_header,
                _ => continue,
            };
            let name = match child.name.as_str() {
                "AllowedHeader" => "AllowedHeader",
                "AllowedMethod" => "AllowedMethod",
                "AllowedOrigin" => "AllowedOrigin",
                _ => "ExposeHeader",
            };
            list.push(trim_xml_whitespace(&child.into_text(name)?).to_owned());
        }
        rule.id = id;
        rule.max_age_seconds = parse_u32(max_age, "MaxAgeSeconds")?;
        Ok(rule)
    }
}

// ---------------------------------------------------------------------------------------------------
// Default encryption
// ---------------------------------------------------------------------------------------------------

/// `<ApplyServerSideEncryptionByDefault>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyServerSideEncryptionByDefault {
    /// `AES256` (or `aws:kms`, refused by the caller).
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
}

/// `<Rule>` of a [`ServerSideEncryptionConfiguration`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    /// The default.
    pub apply_server_side_encryption_by_default: ApplyServerSideEncryptionByDefault,
    /// Always false here (no KMS).
    pub bucket_key_enabled: bool,
}

/// `<ServerSideEncryptionConfiguration>`: Put/GetBucketEncryption (one rule).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerSideEncryptionConfiguration {
    /// Root namespace attribute.
    #[serde(rename = "@xmlns")]
    pub xmlns: Xmlns,
    /// The rule.
    #[serde(rename = "Rule")]
    pub rule: ServerSideEncryptionRule,
}

response_document!(
    ServerSideEncryptionConfiguration,
    "ServerSideEncryptionConfiguration"
);

impl ServerSideEncryptionConfiguration {
    /// Parses the document: exactly one `<Rule>` with an `<SSEAlgorithm>`.
    ///
    /// # Errors
    /// [`XmlError`] when the body is not well-formed, has another root, or not one rule.
    pub fn from_xml(body: &[u8]) -> Result<Self, XmlError> {
        let mut algorithm = None;
        let mut rules = 0;
        for child in parse_element_tree(body)?.into_root_children(Self::ROOT)? {
            if child.name != "Rule" {
                continue;
            }
            rules += 1;
            for c in child.into_children()? {
                if c.name == "ApplyServerSideEncryptionByDefault" {
                    for d in c.into_children()? {
                        if d.name == "SSEAlgorithm" {
                            set_once(&mut algorithm, d, "SSEAlgorithm")?;
                        }
                    }
                }
            }
        }
        if rules != 1 {
            return Err(XmlError::Missing("Rule"));
        }
        Ok(Self {
            xmlns: Xmlns,
            rule: ServerSideEncryptionRule {
                apply_server_side_encryption_by_default: ApplyServerSideEncryptionByDefault {
                    sse_algorithm: trim_xml_whitespace(&algorithm.ok_or(XmlError::Missing("SSEAlgorithm"))?)
                        .to_owned(),
                },
                bucket_key_enabled: false,
            },
        })
    }
}
