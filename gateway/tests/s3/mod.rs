//! S3 operation tests, by family.

mod buckets;
mod objects;
