//! S3 operation tests, by family.

mod admin;
mod auth;
mod buckets;
mod cluster;
mod console;
mod crash;
mod events;
mod listing;
mod multipart;
mod objects;
mod open_blobs;
mod post_object;
mod recovery;
mod robustness;
mod tagging;
