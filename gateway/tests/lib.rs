//! Integration tests: a real gateway (the library's `start`) on the real local replica-3
//! volume, driven over HTTP by the AWS SDK for Rust, as an application would. One test binary
//! (Garage habit); each test gets its own gateway, registry and bucket names.

mod common;
mod s3;
