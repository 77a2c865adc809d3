//! Tagging: PutObjectTagging, GetObjectTagging, DeleteObjectTagging, PutBucketTagging,
//! GetBucketTagging, DeleteBucketTagging, and the tag rules shared by every write that takes
//! tags (`x-amz-tagging` on PutObject, CreateMultipartUpload and CopyObject, the POST Object
//! `tagging` field).
//!
//! Owns AWS's limits and answers: at most 10 tags per object and 50 per bucket (`BadRequest`),
//! keys of 1 to 128 and values of 0 to 256 characters (counted in UTF-16 units, as AWS does)
//! made of letters, digits, spaces and `+ - = . _ : / @`, no key twice, no `aws:` prefix
//! (`InvalidTag`, with AWS's messages and `TagKey`/`TagValue` elements); a malformed document
//! is `MalformedXML`, a malformed header `InvalidArgument`. Object tags live in the object's
//! record and its blob xattrs (so `gateway reindex` keeps them); a tag change rewrites the
//! record in one registry transaction (never an overwritten record, see
//! `metadata::Registry::set_object_tags`) and leaves ETag and Last-Modified alone. Bucket tags
//! live in the bucket record. Must not format XML (see `s3::xml`).

use metadata::{BucketRecord, ObjectRecord};
use percent_encoding::percent_decode;

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::versioning;
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;
use crate::store::meta::BlobMeta;
use crate::store::BlobStore;

/// Most tags on one object.
pub const MAX_OBJECT_TAGS: usize = 10;
/// Most tags on one bucket.
pub const MAX_BUCKET_TAGS: usize = 50;
/// Longest tag key, in UTF-16 units.
const MAX_KEY_CHARS: usize = 128;
/// Longest tag value, in UTF-16 units.
const MAX_VALUE_CHARS: usize = 256;
/// Largest `<Tagging>` document accepted (50 tags of the longest key and value fit easily).
const MAX_DOCUMENT: usize = 256 * 1024;

/// Tags as stored: (key, value), in the order given.
pub type Tags = Vec<(String, String)>;

/// What the tags are for: decides the count limit and its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An object (10 tags).
    Object,
    /// A bucket (50 tags).
    Bucket,
}

/// True if `text` is at most `max` UTF-16 units of letters, digits, spaces and `+-=._:/@`.
fn valid_text(text: &str, max: usize) -> bool {
    text.encode_utf16().count() <= max
        && text.chars().all(|c| {
            c.is_alphanumeric()
                || (c.is_whitespace() && !c.is_control())
                || matches!(c, '+' | '-' | '=' | '.' | '_' | ':' | '/' | '@')
        })
}

/// Checks a tag set against AWS's rules; see the module doc.
pub fn validate(tags: &[(String, String)], target: Target) -> S3Result<()> {
    let (max, message) = match target {
        Target::Object => (MAX_OBJECT_TAGS, "Object tags cannot be greater than 10"),
        Target::Bucket => (MAX_BUCKET_TAGS, "Bucket tags cannot be greater than 50"),
    };
    if tags.len() > max {
        return Err(S3Error::with_message(Code::BadRequest, message));
    }
    let mut seen = std::collections::HashSet::new();
    for (key, value) in tags {
        if key.is_empty() || !valid_text(key, MAX_KEY_CHARS) {
            return Err(
                S3Error::with_message(Code::InvalidTag, "The TagKey you have provided is invalid")
                    .extra("TagKey", key.clone()),
            );
        }
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(S3Error::with_message(
                Code::InvalidTag,
                "System tags cannot be added/updated by requester",
            )
            .extra("TagKey", key.clone()));
        }
        if !valid_text(value, MAX_VALUE_CHARS) {
            return Err(
                S3Error::with_message(Code::InvalidTag, "The TagValue you have provided is invalid")
                    .extra("TagKey", key.clone())
                    .extra("TagValue", value.clone()),
            );
        }
        if !seen.insert(key.as_str()) {
            return Err(S3Error::with_message(
                Code::InvalidTag,
                "Cannot provide multiple Tags with the same key",
            )
            .extra("TagKey", key.clone()));
        }
    }
    Ok(())
}

/// Parses and checks an `x-amz-tagging` header: URL-query encoded `k=v` pairs joined by `&`
/// (`+` is a space; `k` alone is an empty value; empty pairs are skipped). A pair without key,
/// bytes that are not UTF-8 or a key given twice is `InvalidArgument`, as AWS answers.
pub fn parse_header(header: &str) -> S3Result<Tags> {
    let bad = || {
        S3Error::with_message(
            Code::InvalidArgument,
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        )
        .extra("ArgumentName", "x-amz-tagging")
        .extra("ArgumentValue", header.to_owned())
    };
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode(spaced.as_bytes())
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| bad())
    };
    let mut tags = Tags::new();
    for pair in header.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k)?, decode(v)?);
        if k.is_empty() || tags.iter().any(|(have, _)| *have == k) {
            return Err(bad());
        }
        tags.push((k, v));
    }
    validate(&tags, Target::Object)?;
    Ok(tags)
}

/// The tags a write asks for with `x-amz-tagging` (none without the header).
pub fn from_request(ctx: &Ctx) -> S3Result<Tags> {
    ctx.req
        .header("x-amz-tagging")
        .map_or_else(|| Ok(Tags::new()), parse_header)
}

/// Parses and checks a `<Tagging>` document (a request body or the POST Object field).
pub fn from_document(doc: &[u8], target: Target) -> S3Result<Tags> {
    let parsed =
        xml::Tagging::from_xml(doc).map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
    let tags: Tags = parsed.tag_set.into_iter().map(|t| (t.key, t.value)).collect();
    validate(&tags, target)?;
    Ok(tags)
}

/// Reads a Put*Tagging body: empty is `MissingRequestBodyError`.
async fn read_document(body: RequestBody, target: Target) -> S3Result<Tags> {
    let doc = body.collect(MAX_DOCUMENT).await?;
    if doc.is_empty() {
        return Err(S3Error::new(Code::MissingRequestBodyError));
    }
    from_document(&doc, target)
}

/// The `<Tagging>` response document of a tag set.
fn document(tags: &[(String, String)]) -> String {
    xml::Tagging {
        xmlns: xml::Xmlns,
        tag_set: tags
            .iter()
            .map(|(key, value)| xml::Tag {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
    }
    .to_xml()
}

/// Replaces the tags of the current object (or, with `versionId`, of that version) and then of
/// its blobs' xattrs. Returns the `x-amz-version-id` to answer.
async fn set_object_tags(ctx: &Ctx, b: BucketRecord, key: &str, tags: Tags) -> S3Result<Option<String>> {
    let version = versioning::version_param(ctx)?;
    let (id, bucket) = (b.id, b.name.as_str());
    let reg = ctx.state.registry.clone();
    let k = key.as_bytes().to_vec();
    let v = version.clone();
    let rec = blocking::try_run(move || {
        let rec = match &v {
            Some(v) => reg.update_version(id, &k, Some(v), &|r| {
                r.tags.clone_from(&tags);
                Ok(())
            })?,
            None => reg.set_object_tags(id, &k, &tags)?,
        };
        reg.flush()?;
        Ok(rec)
    })
    .await?;
    let Some(rec) = rec else {
        return Err(versioning::missing(bucket, key, version.as_deref()));
    };
    let header = versioning::version_header(&b, &rec).map(|(_, v)| v);
    retag_blobs(ctx, id, bucket, key, rec).await;
    Ok(header)
}

/// Writes the record's tags into its blobs' xattrs, so `gateway reindex` keeps them. Runs
/// after the registry commit (the registry is the truth; a failure is logged, not returned).
/// A concurrent tag change of the same object may write its xattrs in between: the record is
/// read again afterwards, and while its blobs are the same but its tags differ from what was
/// written, they are written again (bounded; the last writer's registry tags win).
async fn retag_blobs(ctx: &Ctx, bucket_id: u64, bucket: &str, key: &str, rec: ObjectRecord) {
    let store = match ctx.blobs_store(&rec) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, %bucket, %key, "writing tags to blob xattrs");
            return;
        }
    };
    let reg = ctx.state.registry.clone();
    let k = key.as_bytes().to_vec();
    let res = blocking::run(move || {
        let mut rec = rec;
        for _ in 0..4 {
            for blob in &rec.blobs {
                write_blob_tags(&store, &blob.path, &rec.tags)?;
            }
            match reg.get_object(bucket_id, &k) {
                Ok(Some(now)) if now.blobs == rec.blobs && now.tags != rec.tags => rec = now,
                _ => break,
            }
        }
        Ok::<(), String>(())
    })
    .await;
    match res {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, %bucket, %key, "writing tags into blob xattrs"),
        Err(e) => tracing::warn!(error = %e, %bucket, %key, "writing tags into blob xattrs"),
    }
}

/// Replaces the tags in one blob's xattr, keeping the rest of it (its shape included).
fn write_blob_tags(store: &BlobStore, path: &str, tags: &[(String, String)]) -> Result<(), String> {
    let raw = store.read_meta(path).map_err(|e| format!("{path}: {e}"))?;
    let mut meta = BlobMeta::parse(&raw).map_err(|e| format!("{path}: {e}"))?;
    if meta.tags == tags {
        return Ok(());
    }
    meta.tags = tags.to_vec();
    store
        .write_meta(path, &meta.to_bytes())
        .map_err(|e| format!("{path}: {e}"))
}

/// PutObjectTagging: replaces the object's tag set.
pub async fn put_object_tagging(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
    body: RequestBody,
) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let tags = read_document(body, Target::Object).await?;
    let version = set_object_tags(ctx, b, key, tags).await?;
    Ok(versioning::with_version(S3Response::empty(200), version))
}

/// GetObjectTagging: the object's tag set (`<TagSet/>` when it has none).
pub async fn get_object_tagging(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let version = versioning::version_param(ctx)?;
    let (b, rec) = ctx.bucket_and_object(bucket, key, version.as_deref()).await?;
    let rec = versioning::addressed(bucket, key, version.as_deref(), rec)?;
    let header = versioning::version_header(&b, &rec).map(|(_, v)| v);
    Ok(versioning::with_version(
        S3Response::xml(document(&rec.tags)),
        header,
    ))
}

/// DeleteObjectTagging: removes the object's tags (204).
pub async fn delete_object_tagging(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let version = set_object_tags(ctx, b, key, Tags::new()).await?;
    Ok(versioning::with_version(S3Response::empty(204), version))
}

async fn set_bucket_tags(ctx: &Ctx, b: BucketRecord, tags: Tags) -> S3Result<()> {
    let reg = ctx.state.registry.clone();
    blocking::try_run(move || {
        reg.set_bucket_tags(&b.name, &tags)?;
        reg.flush()?;
        Ok(())
    })
    .await
}

/// PutBucketTagging: replaces the bucket's tag set (204, as AWS answers).
pub async fn put_bucket_tagging(ctx: &Ctx, bucket: &str, body: RequestBody) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    let tags = read_document(body, Target::Bucket).await?;
    set_bucket_tags(ctx, b, tags).await?;
    Ok(S3Response::empty(204))
}

/// GetBucketTagging: the bucket's tag set; `NoSuchTagSet` (404) when it has none.
pub async fn get_bucket_tagging(ctx: &Ctx, bucket: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    if b.tags.is_empty() {
        return Err(S3Error::new(Code::NoSuchTagSet)
            .resource(format!("/{bucket}"))
            .extra("BucketName", bucket.to_owned()));
    }
    Ok(S3Response::xml(document(&b.tags)))
}

/// DeleteBucketTagging: removes the bucket's tags (204).
pub async fn delete_bucket_tagging(ctx: &Ctx, bucket: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(bucket)?;
    set_bucket_tags(ctx, b, Tags::new()).await?;
    Ok(S3Response::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(p: &[(&str, &str)]) -> Tags {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn err(r: S3Result<impl std::fmt::Debug>) -> (Code, String, Vec<(&'static str, String)>) {
        let e = r.unwrap_err();
        (e.code, e.message.into_owned(), e.extra)
    }

    #[test]
    fn header_decoding() {
        for (header, want) in [
            ("a=1&b=2", tags(&[("a", "1"), ("b", "2")])),
            ("a&b=", tags(&[("a", ""), ("b", "")])),
            ("a%20b=c%2Bd&e+f=g=h", tags(&[("a b", "c+d"), ("e f", "g=h")])),
            ("%C3%BC=%E6%96%87", tags(&[("ü", "文")])),
            ("&&a=1&", tags(&[("a", "1")])),
            ("", Tags::new()),
        ] {
            assert_eq!(parse_header(header).unwrap(), want, "{header}");
        }
    }

    #[test]
    fn header_errors_are_invalid_argument_or_tag_errors() {
        for bad in ["a=1&a=2", "=1", "a=%FF"] {
            let (code, msg, extra) = err(parse_header(bad));
            assert_eq!(code, Code::InvalidArgument, "{bad}");
            assert!(msg.starts_with("The header 'x-amz-tagging' shall be"), "{msg}");
            assert_eq!(
                extra,
                [
                    ("ArgumentName", "x-amz-tagging".to_owned()),
                    ("ArgumentValue", bad.to_owned())
                ]
            );
        }
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=")).collect();
        assert_eq!(err(parse_header(&eleven.join("&"))).0, Code::BadRequest);
        let (code, _, extra) = err(parse_header("a,b=1"));
        assert_eq!(
            (code, extra),
            (Code::InvalidTag, vec![("TagKey", "a,b".to_owned())])
        );
        assert_eq!(err(parse_header("aws:cost=1")).0, Code::InvalidTag);
    }

    #[test]
    fn limits_and_messages() {
        let ok = tags(&[
            ("b c+d-e=f.g_h:i/j@k", "2 + 2 = 4"),
            ("empty", ""),
            ("文字", "ü\u{a0}x"),
        ]);
        validate(&ok, Target::Object).unwrap();
        let ten: Tags = (0..10).map(|i| (format!("k{i}"), String::new())).collect();
        validate(&ten, Target::Object).unwrap();
        let eleven: Tags = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            err(validate(&eleven, Target::Object)).1,
            "Object tags cannot be greater than 10"
        );
        validate(&eleven, Target::Bucket).unwrap();
        let many: Tags = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            err(validate(&many, Target::Bucket)),
            (
                Code::BadRequest,
                "Bucket tags cannot be greater than 50".to_owned(),
                vec![]
            )
        );
        // Lengths: 128 / 256 characters, counted in UTF-16 units.
        validate(&tags(&[(&"k".repeat(128), &"v".repeat(256))]), Target::Object).unwrap();
        validate(&tags(&[(&"文".repeat(128), &"文".repeat(256))]), Target::Object).unwrap();
        let astral = "\u{1D49C}".repeat(65); // 130 UTF-16 units
        for (key, value, msg) in [
            (
                "k".repeat(129),
                String::new(),
                "The TagKey you have provided is invalid",
            ),
            (astral, String::new(), "The TagKey you have provided is invalid"),
            (
                String::new(),
                "v".into(),
                "The TagKey you have provided is invalid",
            ),
            (
                "k".into(),
                "v".repeat(257),
                "The TagValue you have provided is invalid",
            ),
            (
                "aws:cost".into(),
                "v".into(),
                "System tags cannot be added/updated by requester",
            ),
            (
                "AWS:cost".into(),
                "v".into(),
                "System tags cannot be added/updated by requester",
            ),
        ] {
            let (code, m, _) = err(validate(&[(key.clone(), value)], Target::Object));
            assert_eq!((code, m.as_str()), (Code::InvalidTag, msg), "{key}");
        }
        for bad in [
            "a,b", "a;b", "a?b", "a!b", "a*b", "a#b", "a%b", "a(b)", "a\tb", "😀",
        ] {
            assert_eq!(
                err(validate(&tags(&[(bad, "v")]), Target::Object)).2,
                [("TagKey", bad.to_owned())]
            );
            assert_eq!(
                err(validate(&tags(&[("k", bad)]), Target::Object)).2,
                [("TagKey", "k".to_owned()), ("TagValue", bad.to_owned())]
            );
        }
        let (code, msg, extra) = err(validate(&tags(&[("a", "1"), ("a", "2")]), Target::Object));
        assert_eq!(
            (code, msg.as_str(), extra),
            (
                Code::InvalidTag,
                "Cannot provide multiple Tags with the same key",
                vec![("TagKey", "a".to_owned())]
            )
        );
    }

    #[test]
    fn documents() {
        let doc = b"<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>\
            <Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
        assert_eq!(from_document(doc, Target::Object).unwrap(), tags(&[("a", "1")]));
        assert_eq!(
            err(from_document(b"<Tagging></Tagging>", Target::Object)).0,
            Code::MalformedXML
        );
        let dup = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>\
            <Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>";
        assert_eq!(err(from_document(dup, Target::Object)).0, Code::InvalidTag);
        assert!(document(&[]).ends_with("<TagSet/></Tagging>"));
    }
}
