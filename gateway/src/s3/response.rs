//! [`S3Response`]: what a handler returns, independent of the HTTP framework (status,
//! headers, body). The HTTP glue turns it into an actix response. Must not format XML itself:
//! XML bodies come from `s3::xml`.

use std::borrow::Cow;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

/// A body stream of object bytes (not `Send`: it lives on one actix worker).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>>>>;

/// A response body.
pub enum Body {
    /// No body.
    Empty,
    /// A complete body.
    Full(Bytes),
    /// A stream of exactly `len` bytes.
    Stream {
        /// Total length (sent as Content-Length).
        len: u64,
        /// The bytes.
        stream: ByteStream,
    },
    /// No body, but Content-Length announces `len` (HEAD of an object).
    HeadOnly(u64),
}

/// A handler's answer.
pub struct S3Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(Cow<'static, str>, String)>,
    /// Body.
    pub body: Body,
}

impl S3Response {
    /// An empty response with this status.
    pub fn empty(status: u16) -> S3Response {
        S3Response {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// A 200 with an XML document.
    pub fn xml(doc: String) -> S3Response {
        S3Response {
            status: 200,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: Body::Full(Bytes::from(doc)),
        }
    }

    /// A 200 with a JSON document (GetBucketPolicy).
    pub fn json(doc: String) -> S3Response {
        S3Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Full(Bytes::from(doc)),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> S3Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}
