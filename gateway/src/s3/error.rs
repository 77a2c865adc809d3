//! The one S3 error type ([`S3Error`]) and the one code -> HTTP status table ([`Code`]).
//!
//! Owns: every error code the gateway can answer, its status and default message, and the
//! conversions from lower layers (registry, volume I/O). Unknown failures become
//! `InternalError` with the cause kept for the log and never shown to the client; a client's
//! mistake must map to a 4xx code here, never to 500. Must not render XML (see `s3::xml`) or
//! know about HTTP frameworks.

use std::borrow::Cow;
use std::fmt;
use std::io;

/// Declares the code table once: variant, HTTP status, default message.
macro_rules! codes {
    ($($code:ident => $status:literal, $msg:literal;)*) => {
        /// An S3 error code, as AWS spells it in `<Code>`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)] // the names are AWS's; the table below gives each one's meaning
        pub enum Code { $($code,)* }

        impl Code {
            /// Every code, for table tests.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code as sent in `<Code>`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code),)* }
            }

            /// The HTTP status AWS answers with this code.
            pub fn status(self) -> u16 {
                match self { $(Code::$code => $status,)* }
            }

            /// AWS's default message for this code.
            pub fn message(self) -> &'static str {
                match self { $(Code::$code => $msg,)* }
            }
        }
    };
}

codes! {
    AccessControlListNotSupported => 400, "The bucket does not allow ACLs";
    AccessForbidden => 403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
    AccessDenied => 403, "Access Denied";
    AuthorizationHeaderMalformed => 400, "The authorization header is malformed.";
    AuthorizationQueryParametersError => 400, "Error parsing the X-Amz-Credential parameter.";
    BadRequest => 400, "Bad Request";
    BadDigest => 400, "The Content-MD5 or checksum you specified did not match what we received.";
    BucketAlreadyExists => 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    BucketAlreadyOwnedByYou => 409, "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty => 409, "The bucket you tried to delete is not empty";
    EntityTooLarge => 400, "Your proposed upload exceeds the maximum allowed object size.";
    EntityTooSmall => 400, "Your proposed upload is smaller than the minimum allowed object size.";
    IllegalLocationConstraintException => 400, "The specified location-constraint is not valid for this endpoint.";
    IncompleteBody => 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InternalError => 500, "We encountered an internal error. Please try again.";
    InvalidAccessKeyId => 403, "The AWS Access Key Id you provided does not exist in our records.";
    InvalidArgument => 400, "Invalid Argument";
    InvalidBucketAclWithObjectOwnership => 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting";
    InvalidBucketName => 400, "The specified bucket is not valid.";
    InvalidBucketState => 409, "The request is not valid with the current state of the bucket.";
    InvalidDigest => 400, "The Content-MD5 you specified is not valid.";
    InvalidLocationConstraint => 400, "The specified location constraint is not valid.";
    InvalidPartNumber => 400, "The requested partnumber is not satisfiable";
    InvalidPart => 400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.";
    InvalidPartOrder => 400, "The list of parts was not in ascending order. Parts must be ordered by part number.";
    InvalidPolicyDocument => 400, "The content of the form does not meet the conditions specified in the policy document.";
    InvalidRange => 416, "The requested range is not satisfiable";
    InvalidRequest => 400, "Invalid Request";
    InvalidTag => 400, "The tag provided was not a valid tag.";
    InvalidURI => 400, "Couldn't parse the specified URI.";
    KeyTooLongError => 400, "Your key is too long";
    MalformedACLError => 400, "The XML you provided was not well-formed or did not validate against our published schema";
    MalformedPolicy => 400, "Policies must be valid JSON and the first byte must be '{'";
    MalformedPOSTRequest => 400, "The body of your POST request is not well-formed multipart/form-data.";
    MalformedTrailerError => 400, "The request contained trailing data that was not well-formed or did not conform to our published schema.";
    MalformedXML => 400, "The XML you provided was not well-formed or did not validate against our published schema.";
    MaxPostPreDataLengthExceeded => 400, "Your POST request fields preceding the upload file were too large.";
    MetadataTooLarge => 400, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed => 405, "The specified method is not allowed against this resource.";
    MissingContentLength => 411, "You must provide the Content-Length HTTP header.";
    MissingRequestBodyError => 400, "Request Body is empty.";
    MissingSecurityHeader => 400, "Your request was missing a required header.";
    NoSuchBucket => 404, "The specified bucket does not exist";
    NoSuchCORSConfiguration => 404, "The CORS configuration does not exist";
    NoSuchKey => 404, "The specified key does not exist.";
    NoSuchBucketPolicy => 404, "The bucket policy does not exist";
    NoSuchLifecycleConfiguration => 404, "The lifecycle configuration does not exist";
    NoSuchObjectLockConfiguration => 404, "The specified object does not have a ObjectLock configuration";
    ObjectLockConfigurationNotFoundError => 404, "Object Lock configuration does not exist for this bucket";
    NoSuchVersion => 404, "The specified version does not exist.";
    NoSuchPublicAccessBlockConfiguration => 404, "The public access block configuration was not found";
    NoSuchTagSet => 404, "The TagSet does not exist";
    NoSuchUpload => 404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.";
    NotImplemented => 501, "A header you provided implies functionality that is not implemented.";
    NotModified => 304, "Not Modified";
    OwnershipControlsNotFoundError => 404, "The bucket ownership controls were not found";
    OperationAborted => 409, "A conflicting conditional operation is currently in progress against this resource. Please try again.";
    PreconditionFailed => 412, "At least one of the pre-conditions you specified did not hold";
    RequestTimeout => 400, "Your socket connection to the server was not read from or written to within the timeout period.";
    RequestTimeTooSkewed => 403, "The difference between the request time and the server's time is too large.";
    ServerSideEncryptionConfigurationNotFoundError => 404, "The server side encryption configuration was not found";
    ServiceUnavailable => 503, "Please reduce your request rate.";
    SignatureDoesNotMatch => 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    SlowDown => 503, "Please reduce your request rate.";
    StorageFull => 507, "The storage volume has no space left for this request. Delete objects or add capacity, then retry.";
    UnresolvableGrantByEmailAddress => 400, "The e-mail address you provided does not match any account on record.";
    UnexpectedContent => 400, "This request does not support content.";
    XAmzContentSHA256Mismatch => 400, "The provided 'x-amz-content-sha256' header does not match what was computed.";
}

/// An S3 error on its way to the client: code, message, resource, extra elements for the XML
/// body (for example `<Region>` or `<ServerTime>`), extra response headers, and the internal
/// cause (logged, never sent).
pub struct S3Error {
    /// The S3 code (decides the status).
    pub code: Code,
    /// Human-readable message sent in `<Message>`.
    pub message: Cow<'static, str>,
    /// The resource the error is about (`/bucket/key`), if the handler knows it better than the
    /// request path.
    pub resource: Option<String>,
    /// Extra elements of the error document, in order.
    pub extra: Vec<(&'static str, String)>,
    /// Extra response headers (for example `x-amz-bucket-region`).
    pub headers: Vec<(&'static str, String)>,
    /// The internal cause, for the log only.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl S3Error {
    /// An error with the code's default message.
    pub fn new(code: Code) -> S3Error {
        S3Error {
            code,
            message: Cow::Borrowed(code.message()),
            resource: None,
            extra: Vec::new(),
            headers: Vec::new(),
            source: None,
        }
    }

    /// An error with a specific message.
    pub fn with_message(code: Code, message: impl Into<Cow<'static, str>>) -> S3Error {
        S3Error {
            message: message.into(),
            ..S3Error::new(code)
        }
    }

    /// 503 `ServiceUnavailable` with `Retry-After: 1`: storage not reachable now, retry.
    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> S3Error {
        let mut e = S3Error::with_message(Code::ServiceUnavailable, message);
        e.headers.push(("retry-after", "1".to_owned()));
        e
    }

    /// An `InternalError` that keeps `cause` for the log.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> S3Error {
        S3Error {
            source: Some(cause.into()),
            ..S3Error::new(Code::InternalError)
        }
    }

    /// `NotImplemented` naming what is missing.
    pub fn not_implemented(what: &str) -> S3Error {
        S3Error::with_message(
            Code::NotImplemented,
            format!("{what} is not implemented by this gateway"),
        )
    }

    /// Adds an element to the error document.
    #[must_use]
    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> S3Error {
        self.extra.push((name, value.into()));
        self
    }

    /// Sets the resource.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> S3Error {
        self.resource = Some(resource.into());
        self
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl fmt::Debug for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("S3Error");
        d.field("code", &self.code).field("message", &self.message);
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish_non_exhaustive()
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for S3Error {}

impl From<io::Error> for S3Error {
    /// Volume I/O errors are internal, except the ones that mean "the volume is not reachable
    /// right now" (quorum lost, bricks down, a call timed out, a handle gone bad with its
    /// connection: `store::connection_lost`, and `EROFS`, a write without quorum): those are
    /// 503 with `Retry-After` so clients retry;
    /// and a full volume or quota, which is 507 `StorageFull` (as MinIO answers a full drive):
    /// retrying at once cannot help, and a plain 500 would hide the cause from the client.
    /// A registry error carried by an I/O error (a blob's intent, `store::intents`) keeps its own
    /// mapping.
    fn from(e: io::Error) -> S3Error {
        type Inner = dyn std::error::Error + Send + Sync;
        if e.get_ref().is_some_and(<Inner>::is::<metadata::Error>) {
            if let Some(Ok(reg)) = e.into_inner().map(<Inner>::downcast::<metadata::Error>) {
                return S3Error::from(*reg);
            }
            return S3Error::internal("registry error");
        }
        if matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT)) {
            return S3Error {
                source: Some(Box::new(e)),
                ..S3Error::new(Code::StorageFull)
            };
        }
        if crate::store::connection_lost(&e) || e.raw_os_error() == Some(libc::EROFS) {
            S3Error {
                source: Some(Box::new(e)),
                ..S3Error::unavailable("The storage volume is not available; retry later.")
            }
        } else {
            S3Error::internal(e)
        }
    }
}

impl From<metadata::Error> for S3Error {
    fn from(e: metadata::Error) -> S3Error {
        use metadata::Error as M;
        match e {
            M::NoSuchBucket => S3Error::new(Code::NoSuchBucket),
            M::BucketNotEmpty => S3Error::new(Code::BucketNotEmpty),
            M::PreconditionFailed => S3Error::new(Code::PreconditionFailed),
            M::NoSuchUpload => S3Error::new(Code::NoSuchUpload),
            M::OperationAborted => S3Error::new(Code::OperationAborted),
            M::ObjectLocked => S3Error::with_message(
                Code::AccessDenied,
                "Access Denied because object protected by object lock.",
            ),
            M::NoSuchVersion => S3Error::new(Code::NoSuchVersion),
            // BucketAlreadyExists needs the caller's identity to tell it from
            // BucketAlreadyOwnedByYou; the bucket handler does that before converting.
            M::BucketAlreadyExists { .. } => S3Error::new(Code::BucketAlreadyExists),
            // The PostgreSQL registry lost or could not get its connection (a failover, a
            // restart): retrying shortly can succeed, as for a volume out of reach.
            M::Unavailable(_) => S3Error {
                source: Some(Box::new(e)),
                ..S3Error::unavailable("The registry is not available; retry later.")
            },
            other => S3Error::internal(other),
        }
    }
}

/// Shorthand for handler results.
pub type S3Result<T> = Result<T, S3Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
            assert!((300..600).contains(&c.status()), "{c:?}");
            assert!(!c.message().is_empty());
        }
        // Only server-side conditions are 5xx.
        let fives: Vec<_> = Code::ALL
            .iter()
            .filter(|c| c.status() >= 500)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            fives,
            [
                "InternalError",
                "NotImplemented",
                "ServiceUnavailable",
                "SlowDown",
                "StorageFull"
            ]
        );
    }

    #[test]
    fn statuses_match_aws() {
        for (c, s) in [
            (Code::NoSuchKey, 404),
            (Code::NoSuchBucket, 404),
            (Code::AccessDenied, 403),
            (Code::SignatureDoesNotMatch, 403),
            (Code::InvalidRange, 416),
            (Code::PreconditionFailed, 412),
            (Code::BucketNotEmpty, 409),
            (Code::MissingContentLength, 411),
            (Code::NotImplemented, 501),
            (Code::MethodNotAllowed, 405),
            (Code::InvalidTag, 400),
            (Code::BadRequest, 400),
            (Code::NoSuchTagSet, 404),
        ] {
            assert_eq!(c.status(), s, "{c:?}");
        }
    }

    #[test]
    fn volume_unavailable_is_503_and_other_io_is_500() {
        for errno in [
            libc::ENOTCONN,
            libc::EBADFD,
            libc::ECONNREFUSED,
            libc::ECONNRESET,
            libc::EHOSTDOWN,
            libc::EHOSTUNREACH,
            libc::ETIMEDOUT,
            libc::ESTALE,
            libc::EROFS,
        ] {
            let e: S3Error = io::Error::from_raw_os_error(errno).into();
            assert_eq!(
                (e.code, e.status()),
                (Code::ServiceUnavailable, 503),
                "errno {errno}"
            );
            assert!(
                e.headers.iter().any(|(k, v)| *k == "retry-after" && v == "1"),
                "errno {errno}: Retry-After"
            );
        }
        for full in [libc::ENOSPC, libc::EDQUOT] {
            let e: S3Error = io::Error::from_raw_os_error(full).into();
            assert_eq!((e.code, e.status()), (Code::StorageFull, 507));
        }
        let e: S3Error = io::Error::from_raw_os_error(libc::EIO).into();
        assert_eq!((e.code, e.status()), (Code::InternalError, 500));
        // A registry error carried by an I/O error (a blob intent that could not be recorded)
        // keeps the registry's mapping.
        let reg = metadata::Error::Unavailable("connection refused".into());
        let e: S3Error = io::Error::other(reg).into();
        assert_eq!((e.code, e.status()), (Code::ServiceUnavailable, 503));
        let e: S3Error = io::Error::other(metadata::Error::NoSuchBucket).into();
        assert_eq!((e.code, e.status()), (Code::NoSuchBucket, 404));
        assert!(
            !e.message.contains("Input/output"),
            "the cause must not reach the client"
        );
    }
}
