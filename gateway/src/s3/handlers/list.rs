//! Listings (ListObjects v1 and v2, ListObjectVersions), answered from the
//! registry's range scans: a page costs O(page), whatever the bucket holds. Owns the S3
//! parameter rules (max-keys, markers, continuation tokens, `encoding-type=url`). Must not walk
//! the volume.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use metadata::{ListEntry, ListPage, ListQuery, ObjectRecord, VersionEntry, VersionQuery};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::blocking;
use crate::s3::dates::iso8601;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::versioning;
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// What `encoding-type=url` leaves alone: unreserved characters and `/`.
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Encodes a key for `encoding-type=url` (`a b+c` -> `a%20b%2Bc`). A space is `%20`, not `+`:
/// percent-decoders (the AWS SDKs) and form-decoders (botocore's `unquote_plus`) both read
/// `%20` back as a space, while a `+` comes back as `+` from the former.
pub fn url_encode_key(s: &str) -> String {
    utf8_percent_encode(s, URL_KEEP).to_string()
}

/// Reads `encoding-type`: `true` for `url` (any case), `false` when absent, `InvalidArgument`
/// for anything else.
pub fn url_encoding(ctx: &Ctx) -> S3Result<bool> {
    match ctx.req.query("encoding-type") {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(true),
        Some(e) => Err(S3Error::with_message(
            Code::InvalidArgument,
            "Invalid Encoding Method specified in Request",
        )
        .extra("ArgumentName", "encoding-type")
        .extra("ArgumentValue", e.to_owned())),
    }
}

/// A continuation token: the marker to resume after, opaque to clients (URL-safe base64).
pub fn encode_token(marker: &str) -> String {
    B64URL.encode(marker)
}

/// Reads a continuation token made by [`encode_token`]; anything else is `InvalidArgument`.
pub fn decode_token(t: &str) -> S3Result<String> {
    B64URL
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::with_message(
                Code::InvalidArgument,
                "The continuation token provided is incorrect",
            )
            .extra("ArgumentName", "continuation-token")
        })
}

/// Common listing parameters.
struct Params {
    prefix: String,
    delimiter: Option<String>,
    max_keys: usize,
    encode: bool,
}

impl Params {
    fn from(ctx: &Ctx) -> S3Result<Params> {
        let q = |n| ctx.req.query(n);
        let max_keys = match q("max-keys") {
            Some(m) => m.trim().parse::<i64>().ok().filter(|m| *m >= 0).ok_or_else(|| {
                S3Error::with_message(
                    Code::InvalidArgument,
                    "Provided max-keys not an integer or within integer range",
                )
                .extra("ArgumentName", "max-keys")
                .extra("ArgumentValue", m.to_owned())
            })?,
            None => 1000,
        };
        let encode = url_encoding(ctx)?;
        Ok(Params {
            prefix: q("prefix").unwrap_or("").to_owned(),
            delimiter: q("delimiter").filter(|d| !d.is_empty()).map(str::to_owned),
            max_keys: usize::try_from(max_keys.min(1000)).unwrap_or(1000),
            encode,
        })
    }

    fn enc(&self, s: &str) -> String {
        if self.encode {
            url_encode_key(s)
        } else {
            s.to_owned()
        }
    }

    fn encoding_type(&self) -> Option<String> {
        self.encode.then(|| "url".to_owned())
    }
}

/// Runs one page of a listing in the registry.
async fn scan(ctx: &Ctx, bucket: &str, p: &Params, start_after: Option<String>) -> S3Result<ListPage> {
    let b = ctx.bucket(bucket)?;
    let reg = ctx.state.registry.clone();
    let q = ListQuery {
        prefix: p.prefix.as_bytes().to_vec(),
        delimiter: p.delimiter.as_ref().map(|d| d.as_bytes().to_vec()),
        start_after: start_after.map(String::into_bytes),
        max: p.max_keys,
    };
    blocking::try_run(move || Ok(reg.list_objects(b.id, &q)?)).await
}

/// Splits a page into Contents and CommonPrefixes.
fn split_page(
    page: ListPage,
    p: &Params,
    owner: Option<&xml::Owner>,
) -> (Vec<xml::Object>, Vec<xml::CommonPrefix>, Option<String>) {
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    for e in page.entries {
        match e {
            ListEntry::Object(key, rec) => {
                let key = String::from_utf8_lossy(&key).into_owned();
                contents.push(xml_object(&p.enc(&key), &rec, owner));
            }
            ListEntry::CommonPrefix(cp) => {
                prefixes.push(xml::CommonPrefix {
                    prefix: p.enc(&String::from_utf8_lossy(&cp)),
                });
            }
        }
    }
    let next = page.next_marker.map(|m| String::from_utf8_lossy(&m).into_owned());
    (contents, prefixes, next)
}

fn xml_object(key: &str, rec: &ObjectRecord, owner: Option<&xml::Owner>) -> xml::Object {
    xml::Object {
        key: key.to_owned(),
        last_modified: iso8601(rec.mtime_ms),
        etag: format!("\"{}\"", rec.etag),
        checksum_algorithm: rec.checksums.iter().map(|(a, _)| a.clone()).collect(),
        checksum_type: rec.checksum_type.clone().filter(|_| !rec.checksums.is_empty()),
        size: rec.size,
        owner: owner.cloned(),
        storage_class: "STANDARD".into(),
    }
}

/// The owner shown in listings: the bucket's.
fn owner(ctx: &Ctx) -> xml::Owner {
    let id = ctx
        .access
        .as_ref()
        .map_or_else(|| ctx.user.owner().to_owned(), |a| a.bucket.owner.clone());
    let display_name = ctx
        .state
        .config
        .users
        .iter()
        .find(|u| u.owner() == id)
        .map(|u| u.display().to_owned());
    xml::Owner { id, display_name }
}

/// ListObjects (v1): `marker`, and `NextMarker` when truncated with a delimiter.
pub async fn list_objects(ctx: &Ctx, bucket: &str) -> S3Result<S3Response> {
    let p = Params::from(ctx)?;
    let marker = ctx.req.query("marker").unwrap_or("").to_owned();
    let page = scan(ctx, bucket, &p, (!marker.is_empty()).then(|| marker.clone())).await?;
    let truncated = page.truncated;
    let o = owner(ctx);
    let (contents, common_prefixes, next) = split_page(page, &p, Some(&o));
    let doc = xml::ListBucketResult {
        xmlns: xml::Xmlns,
        name: bucket.to_owned(),
        // v1 returns Prefix as sent: botocore decodes only Delimiter, Marker, NextMarker, Key
        // and CommonPrefixes of this document (v2 and ListObjectVersions encode Prefix too).
        prefix: p.prefix.clone(),
        marker: p.enc(&marker),
        // AWS sends NextMarker only with a delimiter; without one clients use the last key.
        next_marker: next
            .filter(|_| truncated && p.delimiter.is_some())
            .map(|m| p.enc(&m)),
        max_keys: u32::try_from(p.max_keys).unwrap_or(1000),
        delimiter: p.delimiter.as_deref().map(|d| p.enc(d)),
        encoding_type: p.encoding_type(),
        is_truncated: truncated,
        contents,
        common_prefixes,
    };
    Ok(S3Response::xml(doc.to_xml()))
}

/// ListObjectsV2: opaque `continuation-token`, `start-after`, `fetch-owner`, `KeyCount`.
pub async fn list_objects_v2(ctx: &Ctx, bucket: &str) -> S3Result<S3Response> {
    let p = Params::from(ctx)?;
    let token = ctx.req.query("continuation-token").map(str::to_owned);
    let start_after = ctx
        .req
        .query("start-after")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let from = match &token {
        Some(t) => Some(decode_token(t)?),
        None => start_after.clone(),
    };
    let page = scan(ctx, bucket, &p, from).await?;
    let truncated = page.truncated;
    let fetch_owner = ctx
        .req
        .query("fetch-owner")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let o = owner(ctx);
    let (contents, common_prefixes, next) = split_page(page, &p, fetch_owner.then_some(&o));
    let doc = xml::ListBucketResultV2 {
        xmlns: xml::Xmlns,
        name: bucket.to_owned(),
        prefix: p.enc(&p.prefix),
        continuation_token: token,
        next_continuation_token: next.filter(|_| truncated).map(|m| encode_token(&m)),
        start_after: start_after.map(|s| p.enc(&s)),
        key_count: u32::try_from(contents.len() + common_prefixes.len()).unwrap_or(u32::MAX),
        max_keys: u32::try_from(p.max_keys).unwrap_or(1000),
        delimiter: p.delimiter.as_deref().map(|d| p.enc(d)),
        encoding_type: p.encoding_type(),
        is_truncated: truncated,
        contents,
        common_prefixes,
    };
    Ok(S3Response::xml(doc.to_xml()))
}

/// ListObjectVersions: every version and delete marker, keys ascending and each key's versions
/// newest first, with `key-marker` / `version-id-marker` paging (a page costs O(page)).
pub async fn list_object_versions(ctx: &Ctx, bucket: &str) -> S3Result<S3Response> {
    let p = Params::from(ctx)?;
    let key_marker = ctx.req.query("key-marker").unwrap_or("").to_owned();
    let vid_marker = ctx.req.query("version-id-marker").unwrap_or("").to_owned();
    if !vid_marker.is_empty() && key_marker.is_empty() {
        return Err(S3Error::with_message(
            Code::InvalidArgument,
            "A version-id marker cannot be specified without a key marker.",
        )
        .extra("ArgumentName", "version-id-marker")
        .extra("ArgumentValue", vid_marker));
    }
    if !vid_marker.is_empty() {
        versioning::parse_version_id(&vid_marker, "version-id-marker")?;
    }
    let b = ctx.bucket(bucket)?;
    let reg = ctx.state.registry.clone();
    let q = VersionQuery {
        prefix: p.prefix.as_bytes().to_vec(),
        delimiter: p.delimiter.as_ref().map(|d| d.as_bytes().to_vec()),
        key_marker: (!key_marker.is_empty()).then(|| key_marker.as_bytes().to_vec()),
        version_marker: (!vid_marker.is_empty()).then(|| vid_marker.clone()),
        max: p.max_keys,
    };
    let page = blocking::try_run(move || match reg.list_versions(b.id, &q) {
        Err(metadata::Error::NoSuchVersion) => Err(S3Error::with_message(
            Code::InvalidArgument,
            "Invalid version id specified",
        )
        .extra("ArgumentName", "version-id-marker")),
        other => Ok(other?),
    })
    .await?;
    let o = owner(ctx);
    let mut entries = Vec::new();
    let mut common_prefixes = Vec::new();
    for e in page.entries {
        match e {
            VersionEntry::Version {
                key,
                record: rec,
                is_latest,
            } => {
                let key = p.enc(&String::from_utf8_lossy(&key));
                let version_id = rec.version_label().to_owned();
                let last_modified = iso8601(rec.mtime_ms);
                entries.push(if rec.delete_marker {
                    xml::VersionEntry::DeleteMarker(xml::DeleteMarkerEntry {
                        key,
                        version_id,
                        is_latest,
                        last_modified,
                        owner: Some(o.clone()),
                    })
                } else {
                    xml::VersionEntry::Version(xml::ObjectVersion {
                        key,
                        version_id,
                        is_latest,
                        last_modified,
                        etag: format!("\"{}\"", rec.etag),
                        checksum_algorithm: rec.checksums.iter().map(|(a, _)| a.clone()).collect(),
                        checksum_type: rec.checksum_type.clone().filter(|_| !rec.checksums.is_empty()),
                        size: rec.size,
                        storage_class: "STANDARD".into(),
                        owner: Some(o.clone()),
                    })
                });
            }
            VersionEntry::CommonPrefix(cp) => {
                common_prefixes.push(xml::CommonPrefix {
                    prefix: p.enc(&String::from_utf8_lossy(&cp)),
                });
            }
        }
    }
    let doc = xml::ListVersionsResult {
        xmlns: xml::Xmlns,
        name: bucket.to_owned(),
        prefix: p.enc(&p.prefix),
        key_marker: p.enc(&key_marker),
        version_id_marker: vid_marker,
        next_key_marker: page.next_key_marker.map(|m| p.enc(&String::from_utf8_lossy(&m))),
        next_version_id_marker: page.next_version_marker,
        max_keys: u32::try_from(p.max_keys).unwrap_or(1000),
        delimiter: p.delimiter.as_deref().map(|d| p.enc(d)),
        encoding_type: p.encoding_type(),
        is_truncated: page.truncated,
        entries,
        common_prefixes,
    };
    Ok(S3Response::xml(doc.to_xml()))
}

#[cfg(test)]
mod tests {
    use super::url_encode_key;

    #[test]
    fn url_encoding_matches_aws() {
        // Measured against AWS (research notes): space -> '+', '+' -> %2B, '%' -> %25, '/' kept.
        assert_eq!(url_encode_key("a b.txt"), "a%20b.txt");
        assert_eq!(url_encode_key("a+b.txt"), "a%2Bb.txt");
        assert_eq!(url_encode_key("100%.csv"), "100%25.csv");
        assert_eq!(url_encode_key("dir/sub/é"), "dir/sub/%C3%A9");
        assert_eq!(url_encode_key("\u{1}&"), "%01%26");
    }
}
