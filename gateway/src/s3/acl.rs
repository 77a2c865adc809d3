//! Access control lists: the model (an owner and grants), the canned ACLs, the `x-amz-acl` and
//! `x-amz-grant-*` headers, the `AccessControlPolicy` document, and what a grant allows.
//!
//! ACLs are stored as a small JSON document: a bucket's under the bucket configuration kind
//! [`BUCKET_ACL_KIND`], an object version's in `ObjectRecord::acl`. No document means the
//! default: the owner alone, with `FULL_CONTROL`. Pure functions only: this module must not
//! touch the registry or decide a request (that is `s3::access`).

use serde::{Deserialize, Serialize};

use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::request::RequestInfo;
use crate::s3::xml;

/// The bucket configuration kind holding a bucket's ACL.
pub const BUCKET_ACL_KIND: &str = "acl";

/// The group of everyone, signed or not.
pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The group of every signed request.
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
/// The log delivery group (accepted and shown; nothing delivers logs here).
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// An ACL permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// All of the others.
    FullControl,
    /// Read objects / list the bucket.
    Read,
    /// Write objects into the bucket.
    Write,
    /// Read the ACL.
    ReadAcp,
    /// Write the ACL.
    WriteAcp,
}

impl Permission {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::FullControl => "FULL_CONTROL",
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "FULL_CONTROL" => Permission::FullControl,
            "READ" => Permission::Read,
            "WRITE" => Permission::Write,
            "READ_ACP" => Permission::ReadAcp,
            "WRITE_ACP" => Permission::WriteAcp,
            _ => return None,
        })
    }

    /// True if a grant of `self` gives `wanted`.
    pub fn covers(self, wanted: Permission) -> bool {
        self == Permission::FullControl || self == wanted
    }
}

/// Who a grant is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// A canonical user id (a configured user's owner id).
    User(String),
    /// A group, by URI.
    Group(String),
}

/// One grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Who.
    pub grantee: Grantee,
    /// What.
    pub permission: Permission,
}

/// An access control list: the owner of the resource and its grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// Canonical id of the resource's owner.
    pub owner: String,
    /// The grants, in order.
    pub grants: Vec<Grant>,
}

/// The canned ACL names AWS accepts.
pub const CANNED: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// The `x-amz-grant-*` headers and the permission each grants.
const GRANT_HEADERS: &[(&str, Permission)] = &[
    ("x-amz-grant-full-control", Permission::FullControl),
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
];

impl Acl {
    /// The default: `owner` alone, with `FULL_CONTROL`.
    pub fn private(owner: &str) -> Acl {
        Acl {
            owner: owner.to_owned(),
            grants: vec![Grant {
                grantee: Grantee::User(owner.to_owned()),
                permission: Permission::FullControl,
            }],
        }
    }

    /// A canned ACL for a resource owned by `owner` in a bucket owned by `bucket_owner`.
    ///
    /// # Errors
    /// `InvalidArgument` naming `x-amz-acl` for a name AWS does not know.
    pub fn canned(name: &str, owner: &str, bucket_owner: &str) -> S3Result<Acl> {
        let mut acl = Acl::private(owner);
        let mut add = |grantee: Grantee, permission| acl.grants.push(Grant { grantee, permission });
        match name {
            "public-read" => add(Grantee::Group(ALL_USERS.to_owned()), Permission::Read),
            "public-read-write" => {
                add(Grantee::Group(ALL_USERS.to_owned()), Permission::Read);
                add(Grantee::Group(ALL_USERS.to_owned()), Permission::Write);
            }
            "authenticated-read" => add(Grantee::Group(AUTHENTICATED_USERS.to_owned()), Permission::Read),
            "bucket-owner-read" if owner != bucket_owner => {
                add(Grantee::User(bucket_owner.to_owned()), Permission::Read);
            }
            "bucket-owner-full-control" if owner != bucket_owner => {
                add(Grantee::User(bucket_owner.to_owned()), Permission::FullControl);
            }
            "private" | "aws-exec-read" | "bucket-owner-read" | "bucket-owner-full-control" => {}
            "log-delivery-write" => {
                add(Grantee::Group(LOG_DELIVERY.to_owned()), Permission::Write);
                add(Grantee::Group(LOG_DELIVERY.to_owned()), Permission::ReadAcp);
            }
            _ => {
                return Err(S3Error::with_message(Code::InvalidArgument, "Invalid canned ACL")
                    .extra("ArgumentName", "x-amz-acl")
                    .extra("ArgumentValue", name.to_owned()))
            }
        }
        Ok(acl)
    }

    /// The ACL a request's `x-amz-acl` or `x-amz-grant-*` headers ask for, if any. `known`
    /// says whether a canonical id belongs to a configured user.
    ///
    /// # Errors
    /// `InvalidRequest` when both forms are sent; `InvalidArgument` for an unknown canned ACL,
    /// a malformed grant, an unknown id or group; `UnresolvableGrantByEmailAddress` for an
    /// e-mail grantee.
    pub fn from_headers(
        req: &RequestInfo,
        owner: &str,
        bucket_owner: &str,
        known: &dyn Fn(&str) -> bool,
    ) -> S3Result<Option<Acl>> {
        let canned = req.header("x-amz-acl").map(str::trim);
        let mut grants = Vec::new();
        for (header, permission) in GRANT_HEADERS {
            if let Some(value) = req.header(header) {
                for grantee in parse_grantees(header, value, known)? {
                    grants.push(Grant {
                        grantee,
                        permission: *permission,
                    });
                }
            }
        }
        let explicit = GRANT_HEADERS.iter().any(|(h, _)| req.header(h).is_some());
        match (canned, explicit) {
            (Some(_), true) => Err(S3Error::with_message(
                Code::InvalidRequest,
                "Specifying both Canned ACLs and Header Grants is not allowed",
            )),
            (Some(name), false) => Acl::canned(name, owner, bucket_owner).map(Some),
            (None, true) => Ok(Some(Acl {
                owner: owner.to_owned(),
                grants,
            })),
            (None, false) => Ok(None),
        }
    }

    /// Reads an `AccessControlPolicy` request document for a resource owned by `owner`.
    ///
    /// # Errors
    /// `MalformedACLError` for an unknown permission or grantee kind, or a grant without its
    /// id or URI; `AccessDenied` when the document names another owner (as AWS answers);
    /// `InvalidArgument` for an unknown id or group; `UnresolvableGrantByEmailAddress`.
    pub fn from_document(
        doc: xml::AccessControlPolicy,
        owner: &str,
        known: &dyn Fn(&str) -> bool,
    ) -> S3Result<Acl> {
        if doc.owner.as_ref().is_some_and(|o| o.id != owner) {
            return Err(S3Error::new(Code::AccessDenied));
        }
        let malformed = || S3Error::new(Code::MalformedACLError);
        let mut grants = Vec::with_capacity(doc.access_control_list.len());
        for g in doc.access_control_list {
            let permission = Permission::parse(&g.permission).ok_or_else(malformed)?;
            let grantee = match g.grantee.kind.as_str() {
                "CanonicalUser" => user_grantee(&g.grantee.id.ok_or_else(malformed)?, known)?,
                "Group" => group_grantee(&g.grantee.uri.ok_or_else(malformed)?)?,
                "AmazonCustomerByEmail" => return Err(S3Error::new(Code::UnresolvableGrantByEmailAddress)),
                _ => return Err(malformed()),
            };
            grants.push(Grant { grantee, permission });
        }
        Ok(Acl {
            owner: owner.to_owned(),
            grants,
        })
    }

    /// The response document; `display` gives a canonical id's display name.
    pub fn to_document(&self, display: &dyn Fn(&str) -> Option<String>) -> xml::AccessControlPolicy {
        let grants = self
            .grants
            .iter()
            .map(|g| xml::Grant {
                grantee: match &g.grantee {
                    Grantee::User(id) => xml::Grantee::user(id.clone(), display(id)),
                    Grantee::Group(uri) => xml::Grantee::group(uri),
                },
                permission: g.permission.as_str().to_owned(),
            })
            .collect();
        let owner = xml::Owner {
            id: self.owner.clone(),
            display_name: display(&self.owner),
        };
        xml::AccessControlPolicy::new(owner, grants)
    }

    /// True if a grant goes to everyone or to every signed request.
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| is_public_grantee(&g.grantee))
    }

    /// True if the ACL gives `wanted` to `principal` (a canonical id; `None` is anonymous).
    /// With `ignore_public`, grants to the public groups count for nothing.
    pub fn allows(&self, principal: Option<&str>, wanted: Permission, ignore_public: bool) -> bool {
        self.grants.iter().any(|g| {
            g.permission.covers(wanted)
                && match &g.grantee {
                    Grantee::User(id) => principal == Some(id.as_str()),
                    Grantee::Group(uri) if uri == ALL_USERS => !ignore_public,
                    Grantee::Group(uri) if uri == AUTHENTICATED_USERS => {
                        !ignore_public && principal.is_some()
                    }
                    Grantee::Group(_) => false,
                }
        })
    }

    /// The stored form.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored ACL; none (or an unreadable one) is the default for `default_owner`.
    pub fn decode(stored: Option<&str>, default_owner: &str) -> Acl {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| Acl::private(default_owner))
    }
}

fn is_public_grantee(grantee: &Grantee) -> bool {
    matches!(grantee, Grantee::Group(uri) if uri == ALL_USERS || uri == AUTHENTICATED_USERS)
}

fn user_grantee(id: &str, known: &dyn Fn(&str) -> bool) -> S3Result<Grantee> {
    if known(id) {
        Ok(Grantee::User(id.to_owned()))
    } else {
        Err(S3Error::with_message(Code::InvalidArgument, "Invalid id")
            .extra("ArgumentName", "CanonicalUser/ID")
            .extra("ArgumentValue", id.to_owned()))
    }
}

fn group_grantee(uri: &str) -> S3Result<Grantee> {
    if [ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].contains(&uri) {
        Ok(Grantee::Group(uri.to_owned()))
    } else {
        Err(S3Error::with_message(Code::InvalidArgument, "Invalid group uri")
            .extra("ArgumentName", "Group/URI")
            .extra("ArgumentValue", uri.to_owned()))
    }
}

/// Parses a grant header: `id="..."`, `uri="..."` or `emailAddress="..."`, comma-separated.
fn parse_grantees(header: &'static str, value: &str, known: &dyn Fn(&str) -> bool) -> S3Result<Vec<Grantee>> {
    let bad = || {
        S3Error::with_message(Code::InvalidArgument, "Invalid grant header")
            .extra("ArgumentName", header)
            .extra("ArgumentValue", value.to_owned())
    };
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, v) = part.split_once('=').ok_or_else(bad)?;
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        out.push(match kind.trim().to_ascii_lowercase().as_str() {
            "id" => user_grantee(v, known)?,
            "uri" => group_grantee(v)?,
            "emailaddress" => return Err(S3Error::new(Code::UnresolvableGrantByEmailAddress)),
            _ => return Err(bad()),
        });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_grant_what_aws_documents() {
        let acl = Acl::canned("public-read", "alice", "alice").unwrap();
        assert!(acl.allows(None, Permission::Read, false));
        assert!(!acl.allows(None, Permission::Read, true));
        assert!(!acl.allows(None, Permission::Write, false));
        assert!(acl.allows(Some("alice"), Permission::WriteAcp, false));
        assert!(acl.is_public());
        let acl = Acl::canned("authenticated-read", "alice", "alice").unwrap();
        assert!(!acl.allows(None, Permission::Read, false));
        assert!(acl.allows(Some("bob"), Permission::Read, false));
        let acl = Acl::canned("bucket-owner-full-control", "bob", "alice").unwrap();
        assert!(acl.allows(Some("alice"), Permission::ReadAcp, false));
        assert!(!acl.is_public());
        let acl = Acl::canned("bucket-owner-read", "bob", "alice").unwrap();
        assert!(acl.allows(Some("alice"), Permission::Read, false));
        assert!(!acl.allows(Some("alice"), Permission::WriteAcp, false));
        assert_eq!(Acl::canned("private", "a", "a").unwrap(), Acl::private("a"));
        let e = Acl::canned("public-everything", "a", "a").unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
    }

    #[test]
    fn grant_headers_parse_ids_and_groups() {
        let known = |id: &str| id == "bob" || id == "carol";
        let g = parse_grantees(
            "x-amz-grant-read",
            r#"id="bob", uri="http://acs.amazonaws.com/groups/global/AllUsers""#,
            &known,
        )
        .unwrap();
        assert_eq!(
            g,
            vec![Grantee::User("bob".into()), Grantee::Group(ALL_USERS.into())]
        );
        assert_eq!(
            parse_grantees("x-amz-grant-read", "id=dave", &known)
                .unwrap_err()
                .code,
            Code::InvalidArgument
        );
        assert_eq!(
            parse_grantees("x-amz-grant-read", "emailAddress=\"x@y\"", &known)
                .unwrap_err()
                .code,
            Code::UnresolvableGrantByEmailAddress
        );
        assert_eq!(
            parse_grantees("x-amz-grant-read", "bob", &known)
                .unwrap_err()
                .code,
            Code::InvalidArgument
        );
        assert_eq!(
            parse_grantees("x-amz-grant-read", "", &known).unwrap_err().code,
            Code::InvalidArgument
        );
    }

    #[test]
    fn the_stored_form_round_trips_and_defaults_to_private() {
        let acl = Acl::canned("public-read-write", "a", "a").unwrap();
        assert_eq!(Acl::decode(Some(&acl.encode()), "x"), acl);
        assert_eq!(Acl::decode(None, "x"), Acl::private("x"));
        assert_eq!(Acl::decode(Some("not json"), "x"), Acl::private("x"));
    }

    #[test]
    fn documents_round_trip_through_xml() {
        let known = |id: &str| id == "bob" || id == "alice";
        let acl = Acl {
            owner: "alice".into(),
            grants: vec![
                Grant {
                    grantee: Grantee::User("bob".into()),
                    permission: Permission::Read,
                },
                Grant {
                    grantee: Grantee::Group(ALL_USERS.into()),
                    permission: Permission::Read,
                },
            ],
        };
        let text = acl.to_document(&|id| Some(id.to_uppercase())).to_xml();
        assert!(text.contains(r#"xsi:type="CanonicalUser""#), "{text}");
        let doc = xml::AccessControlPolicy::from_xml(text.as_bytes()).unwrap();
        assert_eq!(Acl::from_document(doc, "alice", &known).unwrap(), acl);
        let doc = xml::AccessControlPolicy::from_xml(text.as_bytes()).unwrap();
        assert_eq!(
            Acl::from_document(doc, "bob", &known).unwrap_err().code,
            Code::AccessDenied
        );
        let bad = text.replace("READ<", "READ_ALL<");
        let doc = xml::AccessControlPolicy::from_xml(bad.as_bytes()).unwrap();
        assert_eq!(
            Acl::from_document(doc, "alice", &known).unwrap_err().code,
            Code::MalformedACLError
        );
    }
}
