//! Handlers, one module per family of operations. Each takes the request context and returns
//! an `S3Response` or an `S3Error`; none formats XML or touches actix.

pub mod bucket;
pub mod list;
pub mod object;
