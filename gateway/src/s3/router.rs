//! The router: `(method, path, query, headers, host) -> Endpoint`, for path-style and
//! virtual-host-style addressing. A pure function, table-tested. Endpoint variants are named
//! after the AWS operations. Combinations the gateway does not serve become
//! `NotImplemented` (501) naming the operation, never a 500; methods S3 does not have become
//! `MethodNotAllowed`. Must not authenticate, read the body or touch storage.

use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::request::{decode_path, Method, RequestInfo};

/// Longest object key S3 accepts, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// One S3 operation with its addressed bucket and key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // variants are AWS operation names; fields are the addressed bucket/key
pub enum Endpoint {
    ListBuckets,
    CreateBucket {
        bucket: String,
    },
    DeleteBucket {
        bucket: String,
    },
    HeadBucket {
        bucket: String,
    },
    GetBucketLocation {
        bucket: String,
    },
    GetBucketVersioning {
        bucket: String,
    },
    PutBucketVersioning {
        bucket: String,
    },
    ListObjects {
        bucket: String,
    },
    ListObjectsV2 {
        bucket: String,
    },
    ListObjectVersions {
        bucket: String,
    },
    ListMultipartUploads {
        bucket: String,
    },
    DeleteObjects {
        bucket: String,
    },
    PostObject {
        bucket: String,
    },
    PutObject {
        bucket: String,
        key: String,
    },
    CopyObject {
        bucket: String,
        key: String,
    },
    GetObject {
        bucket: String,
        key: String,
    },
    HeadObject {
        bucket: String,
        key: String,
    },
    DeleteObject {
        bucket: String,
        key: String,
    },
    CreateMultipartUpload {
        bucket: String,
        key: String,
    },
    UploadPart {
        bucket: String,
        key: String,
    },
    UploadPartCopy {
        bucket: String,
        key: String,
    },
    CompleteMultipartUpload {
        bucket: String,
        key: String,
    },
    AbortMultipartUpload {
        bucket: String,
        key: String,
    },
    ListParts {
        bucket: String,
        key: String,
    },
    PutObjectTagging {
        bucket: String,
        key: String,
    },
    GetObjectTagging {
        bucket: String,
        key: String,
    },
    DeleteObjectTagging {
        bucket: String,
        key: String,
    },
    PutBucketTagging {
        bucket: String,
    },
    GetBucketTagging {
        bucket: String,
    },
    DeleteBucketTagging {
        bucket: String,
    },
    GetObjectLockConfiguration {
        bucket: String,
    },
    PutObjectLockConfiguration {
        bucket: String,
    },
    GetBucketLifecycleConfiguration {
        bucket: String,
    },
    PutBucketLifecycleConfiguration {
        bucket: String,
    },
    DeleteBucketLifecycleConfiguration {
        bucket: String,
    },
    GetObjectRetention {
        bucket: String,
        key: String,
    },
    PutObjectRetention {
        bucket: String,
        key: String,
    },
    GetObjectLegalHold {
        bucket: String,
        key: String,
    },
    PutObjectLegalHold {
        bucket: String,
        key: String,
    },
    GetObjectAttributes {
        bucket: String,
        key: String,
    },
    GetBucketAcl {
        bucket: String,
    },
    PutBucketAcl {
        bucket: String,
    },
    GetBucketPolicy {
        bucket: String,
    },
    PutBucketPolicy {
        bucket: String,
    },
    DeleteBucketPolicy {
        bucket: String,
    },
    GetBucketPolicyStatus {
        bucket: String,
    },
    GetPublicAccessBlock {
        bucket: String,
    },
    PutPublicAccessBlock {
        bucket: String,
    },
    DeletePublicAccessBlock {
        bucket: String,
    },
    GetBucketOwnershipControls {
        bucket: String,
    },
    PutBucketOwnershipControls {
        bucket: String,
    },
    DeleteBucketOwnershipControls {
        bucket: String,
    },
    GetObjectAcl {
        bucket: String,
        key: String,
    },
    PutObjectAcl {
        bucket: String,
        key: String,
    },
    GetBucketCors {
        bucket: String,
    },
    PutBucketCors {
        bucket: String,
    },
    DeleteBucketCors {
        bucket: String,
    },
    GetBucketEncryption {
        bucket: String,
    },
    PutBucketEncryption {
        bucket: String,
    },
    DeleteBucketEncryption {
        bucket: String,
    },
    /// `OPTIONS` on a bucket or an object: a browser's CORS preflight.
    PreflightRequest {
        bucket: String,
        key: Option<String>,
    },
    /// A known S3 operation this gateway does not implement (answered 501).
    Unsupported {
        operation: &'static str,
    },
}

impl Endpoint {
    /// The AWS operation name (for logs and metrics).
    pub fn name(&self) -> &'static str {
        match self {
            Endpoint::ListBuckets => "ListBuckets",
            Endpoint::CreateBucket { .. } => "CreateBucket",
            Endpoint::DeleteBucket { .. } => "DeleteBucket",
            Endpoint::HeadBucket { .. } => "HeadBucket",
            Endpoint::GetBucketLocation { .. } => "GetBucketLocation",
            Endpoint::GetBucketVersioning { .. } => "GetBucketVersioning",
            Endpoint::PutBucketVersioning { .. } => "PutBucketVersioning",
            Endpoint::ListObjects { .. } => "ListObjects",
            Endpoint::ListObjectsV2 { .. } => "ListObjectsV2",
            Endpoint::ListObjectVersions { .. } => "ListObjectVersions",
            Endpoint::ListMultipartUploads { .. } => "ListMultipartUploads",
            Endpoint::DeleteObjects { .. } => "DeleteObjects",
            Endpoint::PostObject { .. } => "PostObject",
            Endpoint::PutObject { .. } => "PutObject",
            Endpoint::CopyObject { .. } => "CopyObject",
            Endpoint::GetObject { .. } => "GetObject",
            Endpoint::HeadObject { .. } => "HeadObject",
            Endpoint::DeleteObject { .. } => "DeleteObject",
            Endpoint::CreateMultipartUpload { .. } => "CreateMultipartUpload",
            Endpoint::UploadPart { .. } => "UploadPart",
            Endpoint::UploadPartCopy { .. } => "UploadPartCopy",
            Endpoint::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Endpoint::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Endpoint::ListParts { .. } => "ListParts",
            Endpoint::PutObjectTagging { .. } => "PutObjectTagging",
            Endpoint::GetObjectTagging { .. } => "GetObjectTagging",
            Endpoint::DeleteObjectTagging { .. } => "DeleteObjectTagging",
            Endpoint::PutBucketTagging { .. } => "PutBucketTagging",
            Endpoint::GetBucketTagging { .. } => "GetBucketTagging",
            Endpoint::DeleteBucketTagging { .. } => "DeleteBucketTagging",
            Endpoint::GetObjectLockConfiguration { .. } => "GetObjectLockConfiguration",
            Endpoint::PutObjectLockConfiguration { .. } => "PutObjectLockConfiguration",
            Endpoint::GetBucketLifecycleConfiguration { .. } => "GetBucketLifecycleConfiguration",
            Endpoint::PutBucketLifecycleConfiguration { .. } => "PutBucketLifecycleConfiguration",
            Endpoint::DeleteBucketLifecycleConfiguration { .. } => "DeleteBucketLifecycleConfiguration",
            Endpoint::GetObjectRetention { .. } => "GetObjectRetention",
            Endpoint::PutObjectRetention { .. } => "PutObjectRetention",
            Endpoint::GetObjectLegalHold { .. } => "GetObjectLegalHold",
            Endpoint::PutObjectLegalHold { .. } => "PutObjectLegalHold",
            Endpoint::GetObjectAttributes { .. } => "GetObjectAttributes",
            Endpoint::GetBucketAcl { .. } => "GetBucketAcl",
            Endpoint::PutBucketAcl { .. } => "PutBucketAcl",
            Endpoint::GetBucketPolicy { .. } => "GetBucketPolicy",
            Endpoint::PutBucketPolicy { .. } => "PutBucketPolicy",
            Endpoint::DeleteBucketPolicy { .. } => "DeleteBucketPolicy",
            Endpoint::GetBucketPolicyStatus { .. } => "GetBucketPolicyStatus",
            Endpoint::GetPublicAccessBlock { .. } => "GetPublicAccessBlock",
            Endpoint::PutPublicAccessBlock { .. } => "PutPublicAccessBlock",
            Endpoint::DeletePublicAccessBlock { .. } => "DeletePublicAccessBlock",
            Endpoint::GetBucketOwnershipControls { .. } => "GetBucketOwnershipControls",
            Endpoint::PutBucketOwnershipControls { .. } => "PutBucketOwnershipControls",
            Endpoint::DeleteBucketOwnershipControls { .. } => "DeleteBucketOwnershipControls",
            Endpoint::GetObjectAcl { .. } => "GetObjectAcl",
            Endpoint::PutObjectAcl { .. } => "PutObjectAcl",
            Endpoint::GetBucketCors { .. } => "GetBucketCors",
            Endpoint::PutBucketCors { .. } => "PutBucketCors",
            Endpoint::DeleteBucketCors { .. } => "DeleteBucketCors",
            Endpoint::GetBucketEncryption { .. } => "GetBucketEncryption",
            Endpoint::PutBucketEncryption { .. } => "PutBucketEncryption",
            Endpoint::DeleteBucketEncryption { .. } => "DeleteBucketEncryption",
            Endpoint::PreflightRequest { .. } => "PreflightRequest",
            Endpoint::Unsupported { operation } => operation,
        }
    }
    /// The addressed bucket and key, if any.
    pub fn target(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Endpoint::CreateBucket { bucket }
            | Endpoint::DeleteBucket { bucket }
            | Endpoint::HeadBucket { bucket }
            | Endpoint::GetBucketLocation { bucket }
            | Endpoint::GetBucketVersioning { bucket }
            | Endpoint::PutBucketVersioning { bucket }
            | Endpoint::ListObjects { bucket }
            | Endpoint::ListObjectsV2 { bucket }
            | Endpoint::ListObjectVersions { bucket }
            | Endpoint::ListMultipartUploads { bucket }
            | Endpoint::DeleteObjects { bucket }
            | Endpoint::PostObject { bucket }
            | Endpoint::PutBucketTagging { bucket }
            | Endpoint::GetBucketTagging { bucket }
            | Endpoint::DeleteBucketTagging { bucket }
            | Endpoint::GetObjectLockConfiguration { bucket }
            | Endpoint::PutObjectLockConfiguration { bucket }
            | Endpoint::GetBucketLifecycleConfiguration { bucket }
            | Endpoint::PutBucketLifecycleConfiguration { bucket }
            | Endpoint::DeleteBucketLifecycleConfiguration { bucket }
            | Endpoint::GetBucketAcl { bucket }
            | Endpoint::PutBucketAcl { bucket }
            | Endpoint::GetBucketPolicy { bucket }
            | Endpoint::PutBucketPolicy { bucket }
            | Endpoint::DeleteBucketPolicy { bucket }
            | Endpoint::GetBucketPolicyStatus { bucket }
            | Endpoint::GetPublicAccessBlock { bucket }
            | Endpoint::PutPublicAccessBlock { bucket }
            | Endpoint::DeletePublicAccessBlock { bucket }
            | Endpoint::GetBucketOwnershipControls { bucket }
            | Endpoint::PutBucketOwnershipControls { bucket }
            | Endpoint::DeleteBucketOwnershipControls { bucket }
            | Endpoint::GetBucketCors { bucket }
            | Endpoint::PutBucketCors { bucket }
            | Endpoint::DeleteBucketCors { bucket }
            | Endpoint::GetBucketEncryption { bucket }
            | Endpoint::PutBucketEncryption { bucket }
            | Endpoint::DeleteBucketEncryption { bucket } => (Some(bucket), None),
            Endpoint::PutObject { bucket, key }
            | Endpoint::CopyObject { bucket, key }
            | Endpoint::GetObject { bucket, key }
            | Endpoint::HeadObject { bucket, key }
            | Endpoint::DeleteObject { bucket, key }
            | Endpoint::CreateMultipartUpload { bucket, key }
            | Endpoint::UploadPart { bucket, key }
            | Endpoint::UploadPartCopy { bucket, key }
            | Endpoint::CompleteMultipartUpload { bucket, key }
            | Endpoint::AbortMultipartUpload { bucket, key }
            | Endpoint::ListParts { bucket, key }
            | Endpoint::PutObjectTagging { bucket, key }
            | Endpoint::GetObjectTagging { bucket, key }
            | Endpoint::DeleteObjectTagging { bucket, key }
            | Endpoint::GetObjectRetention { bucket, key }
            | Endpoint::PutObjectRetention { bucket, key }
            | Endpoint::GetObjectLegalHold { bucket, key }
            | Endpoint::PutObjectLegalHold { bucket, key }
            | Endpoint::GetObjectAttributes { bucket, key }
            | Endpoint::GetObjectAcl { bucket, key }
            | Endpoint::PutObjectAcl { bucket, key } => (Some(bucket), Some(key)),
            Endpoint::PreflightRequest { bucket, key } => (Some(bucket), key.as_deref()),
            Endpoint::ListBuckets | Endpoint::Unsupported { .. } => (None, None),
        }
    }
}

/// Bucket subresources and the operation each names per method: (query key, GET, PUT, DELETE).
/// `location`, `versioning` and `tagging` are served, routed before this table; the rest are
/// recognised so the answer is a 501 naming the operation.
const BUCKET_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    ("acl", "GetBucketAcl", "PutBucketAcl", "DeleteBucketAcl"),
    (
        "accelerate",
        "GetBucketAccelerateConfiguration",
        "PutBucketAccelerateConfiguration",
        "-",
    ),
    (
        "analytics",
        "GetBucketAnalyticsConfiguration",
        "PutBucketAnalyticsConfiguration",
        "DeleteBucketAnalyticsConfiguration",
    ),
    ("cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    (
        "encryption",
        "GetBucketEncryption",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
    ),
    (
        "intelligent-tiering",
        "GetBucketIntelligentTieringConfiguration",
        "PutBucketIntelligentTieringConfiguration",
        "DeleteBucketIntelligentTieringConfiguration",
    ),
    (
        "inventory",
        "GetBucketInventoryConfiguration",
        "PutBucketInventoryConfiguration",
        "DeleteBucketInventoryConfiguration",
    ),
    (
        "lifecycle",
        "GetBucketLifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
    ),
    ("logging", "GetBucketLogging", "PutBucketLogging", "-"),
    (
        "metrics",
        "GetBucketMetricsConfiguration",
        "PutBucketMetricsConfiguration",
        "DeleteBucketMetricsConfiguration",
    ),
    (
        "notification",
        "GetBucketNotificationConfiguration",
        "PutBucketNotificationConfiguration",
        "-",
    ),
    (
        "object-lock",
        "GetObjectLockConfiguration",
        "PutObjectLockConfiguration",
        "-",
    ),
    (
        "ownershipControls",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
    ),
    (
        "policy",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
    ),
    ("policyStatus", "GetBucketPolicyStatus", "-", "-"),
    (
        "publicAccessBlock",
        "GetPublicAccessBlock",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
    ),
    (
        "replication",
        "GetBucketReplication",
        "PutBucketReplication",
        "DeleteBucketReplication",
    ),
    (
        "requestPayment",
        "GetBucketRequestPayment",
        "PutBucketRequestPayment",
        "-",
    ),
    ("versioning", "GetBucketVersioning", "PutBucketVersioning", "-"),
    (
        "website",
        "GetBucketWebsite",
        "PutBucketWebsite",
        "DeleteBucketWebsite",
    ),
];

/// Object subresources: (query key, GET, PUT, DELETE, POST), answered 501 naming the operation.
/// `tagging` is served, routed before this table.
const OBJECT_SUBRESOURCES: &[(&str, &str, &str, &str, &str)] = &[
    ("acl", "GetObjectAcl", "PutObjectAcl", "-", "-"),
    ("attributes", "GetObjectAttributes", "-", "-", "-"),
    ("legal-hold", "GetObjectLegalHold", "PutObjectLegalHold", "-", "-"),
    ("restore", "-", "-", "-", "RestoreObject"),
    ("retention", "GetObjectRetention", "PutObjectRetention", "-", "-"),
    ("select", "-", "-", "-", "SelectObjectContent"),
    ("torrent", "GetObjectTorrent", "-", "-", "-"),
];

/// Routes a request. `domains` are the configured virtual-host domains (for example
/// `s3.example.com`): a `Host` of `bucket.s3.example.com` addresses `bucket`.
pub fn route(req: &RequestInfo, domains: &[String]) -> S3Result<Endpoint> {
    let (bucket, key) = split_target(req, domains)?;
    let method = &req.method;
    // A browser's CORS preflight: answered from the bucket's CORS rules, never signed.
    if let (Method::Other(m), Some(bucket)) = (method, &bucket) {
        if m == "OPTIONS" {
            return Ok(Endpoint::PreflightRequest {
                bucket: bucket.clone(),
                key,
            });
        }
    }
    if let Method::Other(m) = method {
        return Err(S3Error::with_message(
            Code::MethodNotAllowed,
            format!("{m} is not an S3 method"),
        ));
    }
    let Some(bucket) = bucket else {
        return match method {
            Method::Get => Ok(Endpoint::ListBuckets),
            _ => Err(S3Error::new(Code::MethodNotAllowed)),
        };
    };
    match key {
        None => route_bucket(req, method, bucket),
        Some(key) => route_object(req, method, bucket, key),
    }
}

fn route_bucket(req: &RequestInfo, method: &Method, bucket: String) -> S3Result<Endpoint> {
    // Served subresources first.
    match method {
        Method::Get if req.has_query("location") => return Ok(Endpoint::GetBucketLocation { bucket }),
        Method::Get if req.has_query("versioning") => return Ok(Endpoint::GetBucketVersioning { bucket }),
        Method::Put if req.has_query("versioning") => return Ok(Endpoint::PutBucketVersioning { bucket }),
        Method::Get if req.has_query("object-lock") => {
            return Ok(Endpoint::GetObjectLockConfiguration { bucket })
        }
        Method::Put if req.has_query("object-lock") => {
            return Ok(Endpoint::PutObjectLockConfiguration { bucket })
        }
        Method::Get if req.has_query("lifecycle") => {
            return Ok(Endpoint::GetBucketLifecycleConfiguration { bucket })
        }
        Method::Put if req.has_query("lifecycle") => {
            return Ok(Endpoint::PutBucketLifecycleConfiguration { bucket })
        }
        Method::Delete if req.has_query("lifecycle") => {
            return Ok(Endpoint::DeleteBucketLifecycleConfiguration { bucket })
        }
        Method::Get if req.has_query("encryption") => return Ok(Endpoint::GetBucketEncryption { bucket }),
        Method::Put if req.has_query("encryption") => return Ok(Endpoint::PutBucketEncryption { bucket }),
        Method::Delete if req.has_query("encryption") => {
            return Ok(Endpoint::DeleteBucketEncryption { bucket })
        }
        Method::Get if req.has_query("cors") => return Ok(Endpoint::GetBucketCors { bucket }),
        Method::Put if req.has_query("cors") => return Ok(Endpoint::PutBucketCors { bucket }),
        Method::Delete if req.has_query("cors") => return Ok(Endpoint::DeleteBucketCors { bucket }),
        Method::Get if req.has_query("acl") => return Ok(Endpoint::GetBucketAcl { bucket }),
        Method::Put if req.has_query("acl") => return Ok(Endpoint::PutBucketAcl { bucket }),
        Method::Get if req.has_query("policy") => return Ok(Endpoint::GetBucketPolicy { bucket }),
        Method::Put if req.has_query("policy") => return Ok(Endpoint::PutBucketPolicy { bucket }),
        Method::Delete if req.has_query("policy") => return Ok(Endpoint::DeleteBucketPolicy { bucket }),
        Method::Get if req.has_query("policyStatus") => {
            return Ok(Endpoint::GetBucketPolicyStatus { bucket })
        }
        Method::Get if req.has_query("publicAccessBlock") => {
            return Ok(Endpoint::GetPublicAccessBlock { bucket })
        }
        Method::Put if req.has_query("publicAccessBlock") => {
            return Ok(Endpoint::PutPublicAccessBlock { bucket })
        }
        Method::Delete if req.has_query("publicAccessBlock") => {
            return Ok(Endpoint::DeletePublicAccessBlock { bucket })
        }
        Method::Get if req.has_query("ownershipControls") => {
            return Ok(Endpoint::GetBucketOwnershipControls { bucket })
        }
        Method::Put if req.has_query("ownershipControls") => {
            return Ok(Endpoint::PutBucketOwnershipControls { bucket })
        }
        Method::Delete if req.has_query("ownershipControls") => {
            return Ok(Endpoint::DeleteBucketOwnershipControls { bucket })
        }
        Method::Get if req.has_query("versions") => return Ok(Endpoint::ListObjectVersions { bucket }),
        Method::Get if req.has_query("uploads") => return Ok(Endpoint::ListMultipartUploads { bucket }),
        Method::Post if req.has_query("delete") => return Ok(Endpoint::DeleteObjects { bucket }),
        Method::Get if req.has_query("tagging") => return Ok(Endpoint::GetBucketTagging { bucket }),
        Method::Put if req.has_query("tagging") => return Ok(Endpoint::PutBucketTagging { bucket }),
        Method::Delete if req.has_query("tagging") => return Ok(Endpoint::DeleteBucketTagging { bucket }),
        Method::Head | Method::Post if req.has_query("tagging") => {
            return Err(S3Error::new(Code::MethodNotAllowed))
        }
        _ => {}
    }
    for (q, get, put, delete) in BUCKET_SUBRESOURCES {
        if req.has_query(q) {
            let op: &str = match method {
                Method::Get | Method::Head => get,
                Method::Put => put,
                Method::Delete => delete,
                _ => "-",
            };
            if op == "-" {
                return Err(S3Error::new(Code::MethodNotAllowed));
            }
            return Ok(Endpoint::Unsupported { operation: op });
        }
    }
    Ok(match method {
        Method::Get if req.query("list-type") == Some("2") => Endpoint::ListObjectsV2 { bucket },
        Method::Get => Endpoint::ListObjects { bucket },
        Method::Head => Endpoint::HeadBucket { bucket },
        Method::Put => Endpoint::CreateBucket { bucket },
        Method::Delete => Endpoint::DeleteBucket { bucket },
        Method::Post => Endpoint::PostObject { bucket },
        Method::Other(_) => return Err(S3Error::new(Code::MethodNotAllowed)),
    })
}

fn route_object(req: &RequestInfo, method: &Method, bucket: String, key: String) -> S3Result<Endpoint> {
    let upload = req.has_query("uploadId");
    match method {
        Method::Get | Method::Head if req.has_query("retention") => {
            return Ok(Endpoint::GetObjectRetention { bucket, key })
        }
        Method::Put if req.has_query("retention") => return Ok(Endpoint::PutObjectRetention { bucket, key }),
        Method::Get | Method::Head if req.has_query("legal-hold") => {
            return Ok(Endpoint::GetObjectLegalHold { bucket, key })
        }
        Method::Put if req.has_query("legal-hold") => {
            return Ok(Endpoint::PutObjectLegalHold { bucket, key })
        }
        Method::Get if req.has_query("acl") => return Ok(Endpoint::GetObjectAcl { bucket, key }),
        Method::Put if req.has_query("acl") => return Ok(Endpoint::PutObjectAcl { bucket, key }),
        Method::Get | Method::Head if req.has_query("attributes") => {
            return Ok(Endpoint::GetObjectAttributes { bucket, key })
        }
        _ => {}
    }
    if req.has_query("tagging") {
        match method {
            Method::Get => return Ok(Endpoint::GetObjectTagging { bucket, key }),
            Method::Put => return Ok(Endpoint::PutObjectTagging { bucket, key }),
            Method::Delete => return Ok(Endpoint::DeleteObjectTagging { bucket, key }),
            _ => return Err(S3Error::new(Code::MethodNotAllowed)),
        }
    }
    for (q, get, put, delete, post) in OBJECT_SUBRESOURCES {
        if req.has_query(q) {
            let op: &str = match method {
                Method::Get | Method::Head => get,
                Method::Put => put,
                Method::Delete => delete,
                Method::Post => post,
                Method::Other(_) => "-",
            };
            if op == "-" {
                return Err(S3Error::new(Code::MethodNotAllowed));
            }
            return Ok(Endpoint::Unsupported { operation: op });
        }
    }
    let copy = req.header("x-amz-copy-source").is_some();
    Ok(match method {
        Method::Put if upload && req.has_query("partNumber") && copy => {
            Endpoint::UploadPartCopy { bucket, key }
        }
        Method::Put if upload && req.has_query("partNumber") => Endpoint::UploadPart { bucket, key },
        Method::Put if upload => {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                "uploadId needs partNumber",
            ))
        }
        Method::Put if copy => Endpoint::CopyObject { bucket, key },
        Method::Put => Endpoint::PutObject { bucket, key },
        Method::Get if upload => Endpoint::ListParts { bucket, key },
        Method::Get => Endpoint::GetObject { bucket, key },
        Method::Head => Endpoint::HeadObject { bucket, key },
        Method::Post if req.has_query("uploads") => Endpoint::CreateMultipartUpload { bucket, key },
        Method::Post if upload => Endpoint::CompleteMultipartUpload { bucket, key },
        Method::Delete if upload => Endpoint::AbortMultipartUpload { bucket, key },
        Method::Delete => Endpoint::DeleteObject { bucket, key },
        Method::Post | Method::Other(_) => return Err(S3Error::new(Code::MethodNotAllowed)),
    })
}

/// The bucket named by the `Host` header, `bucket.DOMAIN` for one of `domains` (virtual-host
/// style); `None` for path style.
pub fn vhost_bucket(req: &RequestInfo, domains: &[String]) -> Option<String> {
    req.host().and_then(|host| {
        let host = host.to_ascii_lowercase();
        domains.iter().find_map(|d| {
            host.strip_suffix(d.as_str())
                .and_then(|b| b.strip_suffix('.'))
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
        })
    })
}

/// Finds the addressed bucket and key from the host (virtual-host style) or the path.
fn split_target(req: &RequestInfo, domains: &[String]) -> S3Result<(Option<String>, Option<String>)> {
    let path = req.raw_path.strip_prefix('/').unwrap_or(&req.raw_path);
    let (bucket, raw_key) = match vhost_bucket(req, domains) {
        Some(b) => (Some(b), (!path.is_empty()).then_some(path)),
        None => {
            let (b, k) = match path.split_once('/') {
                Some((b, k)) => (b, (!k.is_empty()).then_some(k)),
                None => (path, None),
            };
            let b = if b.is_empty() {
                None
            } else {
                Some(decode_path(b).ok_or_else(|| S3Error::new(Code::InvalidURI))?)
            };
            (b, k)
        }
    };
    let key = match raw_key {
        None => None,
        Some(k) => {
            // AWS: a key that is not UTF-8 once decoded is 400 InvalidURI, with the default
            // message ("Couldn't parse the specified URI.").
            let k = decode_path(k).ok_or_else(|| S3Error::new(Code::InvalidURI))?;
            if k.len() > MAX_KEY_LEN {
                return Err(S3Error::new(Code::KeyTooLongError));
            }
            Some(k)
        }
    };
    Ok((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, host: &str, path: &str, query: &str, headers: &[(&str, &str)]) -> RequestInfo {
        let mut h: Vec<(String, String)> = vec![("host".into(), host.into())];
        h.extend(headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        RequestInfo::new(method, path, query, h, "t".into())
    }

    fn domains() -> Vec<String> {
        vec!["s3.example.com".into(), "localhost".into()]
    }

    /// (method, query, headers, expected endpoint)
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], Endpoint);

    #[test]
    #[allow(clippy::too_many_lines)] // a table, one row per line after rustfmt
    fn table_both_styles() {
        let b = || "bkt".to_owned();
        let k = || "a/b c+d".to_owned();
        let copy: &[(&str, &str)] = &[("x-amz-copy-source", "/x/y")];
        let cases: Vec<Case> = vec![
            ("PUT", "", &[], Endpoint::CreateBucket { bucket: b() }),
            ("DELETE", "", &[], Endpoint::DeleteBucket { bucket: b() }),
            ("HEAD", "", &[], Endpoint::HeadBucket { bucket: b() }),
            (
                "GET",
                "location",
                &[],
                Endpoint::GetBucketLocation { bucket: b() },
            ),
            (
                "GET",
                "versioning",
                &[],
                Endpoint::GetBucketVersioning { bucket: b() },
            ),
            (
                "PUT",
                "versioning",
                &[],
                Endpoint::PutBucketVersioning { bucket: b() },
            ),
            (
                "GET",
                "object-lock",
                &[],
                Endpoint::GetObjectLockConfiguration { bucket: b() },
            ),
            (
                "PUT",
                "object-lock",
                &[],
                Endpoint::PutObjectLockConfiguration { bucket: b() },
            ),
            (
                "GET",
                "lifecycle",
                &[],
                Endpoint::GetBucketLifecycleConfiguration { bucket: b() },
            ),
            (
                "PUT",
                "lifecycle",
                &[],
                Endpoint::PutBucketLifecycleConfiguration { bucket: b() },
            ),
            (
                "DELETE",
                "lifecycle",
                &[],
                Endpoint::DeleteBucketLifecycleConfiguration { bucket: b() },
            ),
            ("GET", "", &[], Endpoint::ListObjects { bucket: b() }),
            (
                "GET",
                "list-type=2&prefix=x",
                &[],
                Endpoint::ListObjectsV2 { bucket: b() },
            ),
            (
                "GET",
                "versions",
                &[],
                Endpoint::ListObjectVersions { bucket: b() },
            ),
            (
                "GET",
                "uploads",
                &[],
                Endpoint::ListMultipartUploads { bucket: b() },
            ),
            ("POST", "delete", &[], Endpoint::DeleteObjects { bucket: b() }),
            ("GET", "tagging", &[], Endpoint::GetBucketTagging { bucket: b() }),
            ("PUT", "tagging", &[], Endpoint::PutBucketTagging { bucket: b() }),
            (
                "DELETE",
                "tagging",
                &[],
                Endpoint::DeleteBucketTagging { bucket: b() },
            ),
            ("GET", "acl", &[], Endpoint::GetBucketAcl { bucket: b() }),
            ("PUT", "acl", &[], Endpoint::PutBucketAcl { bucket: b() }),
            (
                "GET",
                "policyStatus",
                &[],
                Endpoint::GetBucketPolicyStatus { bucket: b() },
            ),
            (
                "PUT",
                "publicAccessBlock",
                &[],
                Endpoint::PutPublicAccessBlock { bucket: b() },
            ),
            (
                "DELETE",
                "ownershipControls",
                &[],
                Endpoint::DeleteBucketOwnershipControls { bucket: b() },
            ),
            (
                "PUT",
                "encryption",
                &[],
                Endpoint::PutBucketEncryption { bucket: b() },
            ),
            (
                "GET",
                "website",
                &[],
                Endpoint::Unsupported {
                    operation: "GetBucketWebsite",
                },
            ),
            ("PUT", "cors", &[], Endpoint::PutBucketCors { bucket: b() }),
            (
                "DELETE",
                "policy",
                &[],
                Endpoint::DeleteBucketPolicy { bucket: b() },
            ),
        ];
        for (method, query, headers, expected) in cases {
            let r = req(method, "gw:9000", "/bkt", query, headers);
            assert_eq!(
                route(&r, &domains()).unwrap(),
                expected,
                "path style {method} ?{query}"
            );
            let r = req(method, "bkt.s3.example.com:9000", "/", query, headers);
            assert_eq!(
                route(&r, &domains()).unwrap(),
                expected,
                "vhost style {method} ?{query}"
            );
        }
        let cases: Vec<Case> = vec![
            (
                "PUT",
                "",
                &[],
                Endpoint::PutObject {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "",
                copy,
                Endpoint::CopyObject {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "GET",
                "",
                &[],
                Endpoint::GetObject {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "HEAD",
                "",
                &[],
                Endpoint::HeadObject {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "DELETE",
                "",
                &[],
                Endpoint::DeleteObject {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "POST",
                "uploads",
                &[],
                Endpoint::CreateMultipartUpload {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "partNumber=1&uploadId=u",
                &[],
                Endpoint::UploadPart {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "partNumber=1&uploadId=u",
                copy,
                Endpoint::UploadPartCopy {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "POST",
                "uploadId=u",
                &[],
                Endpoint::CompleteMultipartUpload {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "DELETE",
                "uploadId=u",
                &[],
                Endpoint::AbortMultipartUpload {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "GET",
                "uploadId=u",
                &[],
                Endpoint::ListParts {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "GET",
                "tagging",
                &[],
                Endpoint::GetObjectTagging {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "GET",
                "retention",
                &[],
                Endpoint::GetObjectRetention {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "retention",
                &[],
                Endpoint::PutObjectRetention {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "GET",
                "legal-hold",
                &[],
                Endpoint::GetObjectLegalHold {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "legal-hold",
                &[],
                Endpoint::PutObjectLegalHold {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "GET",
                "attributes",
                &[],
                Endpoint::GetObjectAttributes {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "tagging",
                &[],
                Endpoint::PutObjectTagging {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "DELETE",
                "tagging",
                &[],
                Endpoint::DeleteObjectTagging {
                    bucket: b(),
                    key: k(),
                },
            ),
            (
                "PUT",
                "acl",
                &[],
                Endpoint::PutObjectAcl {
                    bucket: b(),
                    key: k(),
                },
            ),
        ];
        for (method, query, headers, expected) in cases {
            let r = req(method, "gw", "/bkt/a/b%20c+d", query, headers);
            assert_eq!(
                route(&r, &domains()).unwrap(),
                expected,
                "path style {method} ?{query}"
            );
            let r = req(method, "bkt.s3.example.com", "/a/b%20c+d", query, headers);
            assert_eq!(
                route(&r, &domains()).unwrap(),
                expected,
                "vhost style {method} ?{query}"
            );
        }
    }

    #[test]
    fn service_and_errors() {
        assert_eq!(
            route(&req("GET", "gw", "/", "", &[]), &domains()).unwrap(),
            Endpoint::ListBuckets
        );
        // A bare configured domain is path style, not a bucket called "".
        assert_eq!(
            route(&req("GET", "s3.example.com", "/", "", &[]), &domains()).unwrap(),
            Endpoint::ListBuckets
        );
        assert_eq!(
            route(
                &req("GET", "my.dotted.bucket.localhost:80", "/k", "", &[]),
                &domains()
            )
            .unwrap(),
            Endpoint::GetObject {
                bucket: "my.dotted.bucket".into(),
                key: "k".into()
            }
        );
        for (method, path) in [("HEAD", "/b/k"), ("POST", "/b/k"), ("HEAD", "/b"), ("POST", "/b")] {
            let e = route(&req(method, "gw", path, "tagging", &[]), &domains()).unwrap_err();
            assert_eq!(e.code, Code::MethodNotAllowed, "{method} {path}?tagging");
        }
        let e = route(&req("PATCH", "gw", "/b/k", "", &[]), &domains()).unwrap_err();
        assert_eq!(e.code, Code::MethodNotAllowed);
        let e = route(&req("PUT", "gw", "/", "", &[]), &domains()).unwrap_err();
        assert_eq!(e.code, Code::MethodNotAllowed);
        let long = format!("/b/{}", "k".repeat(1025));
        assert_eq!(
            route(&req("GET", "gw", &long, "", &[]), &domains())
                .unwrap_err()
                .code,
            Code::KeyTooLongError
        );
        let max = format!("/b/{}", "k".repeat(1024));
        assert!(route(&req("GET", "gw", &max, "", &[]), &domains()).is_ok());
        // Not UTF-8 after percent-decoding: InvalidURI with AWS's message, in the key (both
        // styles) or the bucket, for every method.
        for (method, host, path) in [
            ("GET", "gw", "/b/%FF"),
            ("HEAD", "gw", "/b/a%C3%28"),
            ("PUT", "gw", "/b/%E6%97"),
            ("DELETE", "b.localhost", "/%FF"),
            ("GET", "b.s3.example.com", "/x/%C0%AF"),
            ("GET", "gw", "/%FF/k"),
        ] {
            let e = route(&req(method, host, path, "", &[]), &domains()).unwrap_err();
            assert_eq!(e.code, Code::InvalidURI, "{method} {host}{path}");
            assert_eq!(e.message, "Couldn't parse the specified URI.", "{path}");
        }
        // Keys keep everything after the bucket, including a trailing slash and dots.
        assert_eq!(
            route(&req("GET", "gw", "/b/a/../c/", "", &[]), &domains()).unwrap(),
            Endpoint::GetObject {
                bucket: "b".into(),
                key: "a/../c/".into()
            }
        );
    }
}
