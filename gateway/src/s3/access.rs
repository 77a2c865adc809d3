//! The authorization step: may this principal do this action on this resource? Decided once
//! per request, in the pipeline (`s3::run`), before any handler runs, from the bucket's owner,
//! its bucket policy, its ACL and the object's ACL, and its public access block.
//!
//! The order is AWS's: an explicit `Deny` in the bucket policy wins (except that the owner may
//! always manage the policy itself, so a policy cannot lock its owner out); then a policy
//! `Allow`; then the bucket owner may do everything in the bucket, except reading an object
//! another user wrote without granting it; then an ACL grant, unless the bucket's object
//! ownership is `BucketOwnerEnforced` (ACLs disabled, the bucket owner owns everything).
//! Nothing else is allowed.
//!
//! The object-level half of a decision (an object's ACL) is made where the object record is
//! read, by `Ctx::bucket_and_object`, so that a GET reads its object once; a handler that asks
//! for the bucket alone while an object check is pending gets `AccessDenied`.
//! `RestrictPublicBuckets` drops public policy statements for others than the owner;
//! `IgnorePublicAcls` drops public ACL grants.
//!
//! Owns the mapping from endpoints to IAM action names and ACL permissions, and the request's
//! condition keys. Must not read or write storage: callers hand it the records.

use metadata::{BucketRecord, ObjectRecord};

use crate::config::User;
use crate::s3::acl::{Acl, Permission, BUCKET_ACL_KIND};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::policy::{BucketPolicy, Caller, Decision, POLICY_KIND};
use crate::s3::request::RequestInfo;
use crate::s3::router::Endpoint;
use crate::s3::xml;

pub use crate::config::ANONYMOUS_ID;

/// The bucket configuration kind holding the public access block (the XML document as stored).
pub const PUBLIC_ACCESS_BLOCK_KIND: &str = "public-access-block";

/// The bucket configuration kind holding the object ownership setting (its value alone).
pub const OWNERSHIP_KIND: &str = "ownership";

/// A bucket's access settings, read from its record once per request.
pub struct BucketAccess {
    /// The bucket.
    pub bucket: BucketRecord,
    /// The bucket ACL.
    pub acl: Acl,
    /// The bucket policy, if any.
    pub policy: Option<BucketPolicy>,
    /// The public access block (all false when none is set).
    pub block: xml::PublicAccessBlockConfiguration,
    /// `BucketOwnerEnforced`: ACLs are disabled and everything belongs to the bucket owner.
    pub acls_disabled: bool,
}

/// What the step decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Only if the addressed object's ACL grants this permission.
    ObjectAcl(Permission),
    /// Access denied.
    Denied,
}

impl BucketAccess {
    /// Reads the settings stored in a bucket record. A stored policy that no longer parses (it
    /// was valid when stored) denies nothing and allows nothing.
    pub fn new(bucket: BucketRecord) -> BucketAccess {
        let acl = Acl::decode(bucket.config(BUCKET_ACL_KIND), &bucket.owner);
        let policy = bucket
            .config(POLICY_KIND)
            .and_then(|text| BucketPolicy::parse(text, &bucket.name).ok());
        let block = bucket
            .config(PUBLIC_ACCESS_BLOCK_KIND)
            .and_then(|doc| xml::PublicAccessBlockConfiguration::from_xml(doc.as_bytes()).ok())
            .unwrap_or_default();
        let acls_disabled = bucket.config(OWNERSHIP_KIND) == Some("BucketOwnerEnforced");
        BucketAccess {
            bucket,
            acl,
            policy,
            block,
            acls_disabled,
        }
    }

    /// Decides `action` on `key` (none: the bucket itself) for `user` (`None`: anonymous).
    pub fn decide(&self, user: Option<&User>, action: &str, key: Option<&str>, req: &RequestInfo) -> Verdict {
        let id = user.map(User::owner);
        let owner = id == Some(self.bucket.owner.as_str());
        let policy = self.policy.as_ref().map_or(Decision::Neutral, |p| {
            let resource = match key {
                Some(k) => format!("arn:aws:s3:::{}/{k}", self.bucket.name),
                None => format!("arn:aws:s3:::{}", self.bucket.name),
            };
            let context = condition_keys(req);
            let request = crate::s3::policy::Request {
                caller: user.map(|u| Caller {
                    id: u.owner(),
                    access_key: &u.access_key,
                }),
                action,
                resource: &resource,
                context: &context,
            };
            p.evaluate(&request, self.block.restrict_public_buckets && !owner)
        });
        let manages_policy = matches!(
            action,
            "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy"
        );
        if policy == Decision::Deny && !(owner && manages_policy) {
            return Verdict::Denied;
        }
        if policy == Decision::Allow || (owner && self.acls_disabled) {
            return Verdict::Allowed;
        }
        if owner {
            // The bucket owner may do everything in the bucket except read another writer's
            // object (or its ACL) that does not grant it: the object's ACL decides that.
            return match acl_permission(action) {
                Some((Level::Object, wanted)) => Verdict::ObjectAcl(wanted),
                _ => Verdict::Allowed,
            };
        }
        if self.acls_disabled {
            return Verdict::Denied;
        }
        match acl_permission(action) {
            Some((Level::Bucket, wanted)) if self.acl.allows(id, wanted, self.block.ignore_public_acls) => {
                Verdict::Allowed
            }
            Some((Level::Object, wanted)) => Verdict::ObjectAcl(wanted),
            _ => Verdict::Denied,
        }
    }

    /// The object-level half of a [`Verdict::ObjectAcl`]: does `rec`'s ACL give `wanted`?
    pub fn object_allows(&self, user: Option<&User>, rec: &ObjectRecord, wanted: Permission) -> bool {
        let acl = Acl::decode(rec.acl.as_deref(), &self.bucket.owner);
        acl.allows(user.map(User::owner), wanted, self.block.ignore_public_acls)
    }

    /// Checks an ACL a request wants to set against the public access block.
    ///
    /// # Errors
    /// `AccessDenied` when `BlockPublicAcls` is on and the ACL is public;
    /// `AccessControlListNotSupported` when ACLs are disabled and it grants anything beyond
    /// the owner's full control.
    pub fn check_new_acl(&self, acl: &Acl) -> S3Result<()> {
        if self.acls_disabled && !self.is_owner_only(acl) {
            return Err(S3Error::new(Code::AccessControlListNotSupported));
        }
        if self.block.block_public_acls && acl.is_public() {
            return Err(S3Error::new(Code::AccessDenied));
        }
        Ok(())
    }

    /// True for the ACLs a `BucketOwnerEnforced` bucket still accepts: full control to the
    /// bucket owner and nothing else (`private`, `bucket-owner-full-control`).
    fn is_owner_only(&self, acl: &Acl) -> bool {
        acl.grants.iter().all(|g| {
            g.permission == Permission::FullControl
                && (g.grantee == crate::s3::acl::Grantee::User(self.bucket.owner.clone())
                    || g.grantee == crate::s3::acl::Grantee::User(acl.owner.clone()))
        })
    }
}

/// Which ACL a permission is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Bucket,
    Object,
}

/// The ACL permission that grants an action, if an ACL can grant it at all.
fn acl_permission(action: &str) -> Option<(Level, Permission)> {
    Some(match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => {
            (Level::Bucket, Permission::Read)
        }
        "s3:PutObject"
        | "s3:DeleteObject"
        | "s3:DeleteObjectVersion"
        | "s3:AbortMultipartUpload"
        | "s3:ListMultipartUploadParts" => (Level::Bucket, Permission::Write),
        "s3:GetBucketAcl" => (Level::Bucket, Permission::ReadAcp),
        "s3:PutBucketAcl" => (Level::Bucket, Permission::WriteAcp),
        "s3:GetObject"
        | "s3:GetObjectVersion"
        | "s3:GetObjectAttributes"
        | "s3:GetObjectVersionAttributes" => (Level::Object, Permission::Read),
        "s3:GetObjectAcl" | "s3:GetObjectVersionAcl" => (Level::Object, Permission::ReadAcp),
        "s3:PutObjectAcl" | "s3:PutObjectVersionAcl" => (Level::Object, Permission::WriteAcp),
        _ => return None,
    })
}

/// The IAM action an endpoint performs (versioned forms when a `versionId` is addressed).
pub fn action(endpoint: &Endpoint, req: &RequestInfo) -> &'static str {
    let versioned = req.query("versionId").is_some();
    let pick = |plain, version| if versioned { version } else { plain };
    match endpoint {
        Endpoint::ListBuckets => "s3:ListAllMyBuckets",
        Endpoint::CreateBucket { .. } => "s3:CreateBucket",
        Endpoint::DeleteBucket { .. } => "s3:DeleteBucket",
        Endpoint::HeadBucket { .. } | Endpoint::ListObjects { .. } | Endpoint::ListObjectsV2 { .. } => {
            "s3:ListBucket"
        }
        Endpoint::GetBucketLocation { .. } => "s3:GetBucketLocation",
        Endpoint::GetBucketVersioning { .. } => "s3:GetBucketVersioning",
        Endpoint::PutBucketVersioning { .. } => "s3:PutBucketVersioning",
        Endpoint::ListObjectVersions { .. } => "s3:ListBucketVersions",
        Endpoint::ListMultipartUploads { .. } => "s3:ListBucketMultipartUploads",
        Endpoint::DeleteObjects { .. } => "s3:DeleteObject",
        Endpoint::PostObject { .. }
        | Endpoint::PutObject { .. }
        | Endpoint::CopyObject { .. }
        | Endpoint::CreateMultipartUpload { .. }
        | Endpoint::UploadPart { .. }
        | Endpoint::UploadPartCopy { .. }
        | Endpoint::CompleteMultipartUpload { .. } => "s3:PutObject",
        Endpoint::GetObject { .. } | Endpoint::HeadObject { .. } => {
            pick("s3:GetObject", "s3:GetObjectVersion")
        }
        Endpoint::DeleteObject { .. } => pick("s3:DeleteObject", "s3:DeleteObjectVersion"),
        Endpoint::AbortMultipartUpload { .. } => "s3:AbortMultipartUpload",
        Endpoint::ListParts { .. } => "s3:ListMultipartUploadParts",
        Endpoint::PutObjectTagging { .. } => pick("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
        Endpoint::GetObjectTagging { .. } => pick("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
        Endpoint::DeleteObjectTagging { .. } => {
            pick("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")
        }
        Endpoint::PutBucketTagging { .. } | Endpoint::DeleteBucketTagging { .. } => "s3:PutBucketTagging",
        Endpoint::GetBucketTagging { .. } => "s3:GetBucketTagging",
        Endpoint::GetObjectLockConfiguration { .. } => "s3:GetBucketObjectLockConfiguration",
        Endpoint::PutObjectLockConfiguration { .. } => "s3:PutBucketObjectLockConfiguration",
        Endpoint::GetBucketLifecycleConfiguration { .. } => "s3:GetLifecycleConfiguration",
        Endpoint::PutBucketLifecycleConfiguration { .. }
        | Endpoint::DeleteBucketLifecycleConfiguration { .. } => "s3:PutLifecycleConfiguration",
        Endpoint::GetObjectRetention { .. } => "s3:GetObjectRetention",
        Endpoint::PutObjectRetention { .. } => "s3:PutObjectRetention",
        Endpoint::GetObjectLegalHold { .. } => "s3:GetObjectLegalHold",
        Endpoint::PutObjectLegalHold { .. } => "s3:PutObjectLegalHold",
        Endpoint::GetObjectAttributes { .. } => {
            pick("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes")
        }
        Endpoint::GetBucketAcl { .. } => "s3:GetBucketAcl",
        Endpoint::PutBucketAcl { .. } => "s3:PutBucketAcl",
        Endpoint::GetObjectAcl { .. } => pick("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
        Endpoint::PutObjectAcl { .. } => pick("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
        Endpoint::GetBucketPolicy { .. } => "s3:GetBucketPolicy",
        Endpoint::PutBucketPolicy { .. } => "s3:PutBucketPolicy",
        Endpoint::DeleteBucketPolicy { .. } => "s3:DeleteBucketPolicy",
        Endpoint::GetBucketPolicyStatus { .. } => "s3:GetBucketPolicyStatus",
        Endpoint::GetPublicAccessBlock { .. } => "s3:GetBucketPublicAccessBlock",
        Endpoint::PutPublicAccessBlock { .. } | Endpoint::DeletePublicAccessBlock { .. } => {
            "s3:PutBucketPublicAccessBlock"
        }
        Endpoint::GetBucketOwnershipControls { .. } => "s3:GetBucketOwnershipControls",
        Endpoint::PutBucketOwnershipControls { .. } | Endpoint::DeleteBucketOwnershipControls { .. } => {
            "s3:PutBucketOwnershipControls"
        }
        Endpoint::GetBucketCors { .. } => "s3:GetBucketCORS",
        Endpoint::GetBucketEncryption { .. } => "s3:GetEncryptionConfiguration",
        Endpoint::PutBucketEncryption { .. } | Endpoint::DeleteBucketEncryption { .. } => {
            "s3:PutEncryptionConfiguration"
        }
        Endpoint::PutBucketCors { .. } | Endpoint::DeleteBucketCors { .. } => "s3:PutBucketCORS",
        Endpoint::PreflightRequest { .. } | Endpoint::Unsupported { .. } => "s3:Unsupported",
    }
}

/// The request's condition keys, lowercased, for bucket policies.
fn condition_keys(req: &RequestInfo) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(ip) = req.peer {
        out.push(("aws:sourceip", ip.to_string()));
    }
    out.push(("aws:securetransport", req.secure.to_string()));
    let now = crate::s3::dates::now_ms();
    out.push(("aws:currenttime", crate::s3::dates::iso8601(now)));
    out.push(("aws:epochtime", (now / 1000).to_string()));
    for (header, key) in [
        ("referer", "aws:referer"),
        ("user-agent", "aws:useragent"),
        ("x-amz-acl", "s3:x-amz-acl"),
        ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
        ("x-amz-copy-source", "s3:x-amz-copy-source"),
        ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
        ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
        ("x-amz-storage-class", "s3:x-amz-storage-class"),
        ("x-amz-object-lock-mode", "s3:object-lock-mode"),
    ] {
        if let Some(v) = req.header(header) {
            out.push((key, v.to_owned()));
        }
    }
    for (param, key) in [
        ("prefix", "s3:prefix"),
        ("delimiter", "s3:delimiter"),
        ("max-keys", "s3:max-keys"),
        ("versionId", "s3:versionid"),
    ] {
        if let Some(v) = req.query(param) {
            out.push((key, v.to_owned()));
        }
    }
    out
}
