//! S3 operation tests, by family.

mod admin;
mod auth;
mod buckets;
mod listing;
mod objects;
