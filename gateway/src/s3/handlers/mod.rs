//! Handlers, one module per family of operations. Each takes the request context and returns
//! an `S3Response` or an `S3Error`; none formats XML or touches actix.

pub mod bucket;
pub mod copy;
pub mod list;
pub mod multipart;
pub mod object;
pub mod tagging;
pub mod versioning;
