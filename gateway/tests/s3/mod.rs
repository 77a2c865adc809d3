//! S3 operation tests, by family.

mod access;
mod admin;
mod admin_buckets;
mod attributes;
mod auth;
mod buckets;
mod cluster;
mod console;
mod cors;
mod crash;
mod encryption;
mod events;
mod lifecycle;
mod listing;
mod multipart;
mod object_lock;
mod objects;
mod open_blobs;
mod ops_e2e;
mod post_object;
mod recovery;
mod robustness;
mod tagging;
mod versioning;
mod volumes;
