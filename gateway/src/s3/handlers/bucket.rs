//! Bucket operations: CreateBucket, DeleteBucket, HeadBucket, ListBuckets,
//! GetBucketLocation. S3 semantics only (name rules, location
//! constraint, ownership); records through the registry, directories through the blob store,
//! XML through `s3::xml`.

use crate::blocking;
use crate::s3::body::RequestBody;
use crate::s3::dates::{iso8601, now_ms};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::list::{decode_token, encode_token};
use crate::s3::handlers::versioning;
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;
use crate::store::bucket_xattr::BucketXattr;

/// Checks AWS's bucket naming rules (general purpose buckets).
pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    let ok_chars = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-');
    let ends_ok = b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric();
    let ip_like = name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok());
    let reserved = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| name.ends_with(s));
    ok_chars
        && ends_ok
        && !ip_like
        && !reserved
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.")
}

/// What a new bucket starts with: `x-amz-bucket-object-lock-enabled: true` turns versioning and
/// object lock on.
fn bucket_init(ctx: &Ctx) -> S3Result<metadata::BucketInit> {
    match ctx.req.header("x-amz-bucket-object-lock-enabled").map(str::trim) {
        None => Ok(metadata::BucketInit::default()),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(metadata::BucketInit::default()),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(metadata::BucketInit {
            versioning: metadata::Versioning::Enabled,
            configs: vec![(
                versioning::LOCK_CONFIG_KIND.to_owned(),
                xml::ObjectLockConfiguration {
                    object_lock_enabled: Some("Enabled".to_owned()),
                    ..xml::ObjectLockConfiguration::default()
                }
                .to_xml(),
            )],
        }),
        Some(_) => Err(S3Error::with_message(
            Code::InvalidArgument,
            "x-amz-bucket-object-lock-enabled must be true or false",
        )),
    }
}

/// CreateBucket: empty body or a `CreateBucketConfiguration`. Re-creating one's own bucket is
/// `BucketAlreadyOwnedByYou`, except in us-east-1 where AWS answers 200 and changes nothing.
/// The `LocationConstraint` picks the volume: a location of a `[[volumes]]` entry puts the
/// bucket on that volume; none, or the gateway's region, on the default volume.
pub async fn create_bucket(ctx: &Ctx, name: &str, body: RequestBody) -> S3Result<S3Response> {
    if !valid_bucket_name(name) {
        return Err(S3Error::new(Code::InvalidBucketName).extra("BucketName", name.to_owned()));
    }
    let region = ctx.state.config.region.clone();
    let doc = body.collect(64 * 1024).await?;
    let mut volume = "";
    if !doc.iter().all(u8::is_ascii_whitespace) {
        let conf = xml::CreateBucketConfiguration::from_xml(&doc)
            .map_err(|e| S3Error::with_message(Code::MalformedXML, e.to_string()))?;
        // A constraint naming this gateway's region (us-east-1 included, which AWS itself
        // refuses) or a configured volume location is accepted; any other region cannot be
        // served here.
        let lc = conf.location_constraint;
        volume = ctx.state.config.volume_for_location(lc.as_deref()).ok_or_else(|| {
            S3Error::with_message(
                Code::IllegalLocationConstraintException,
                format!(
                    "The {} location constraint is incompatible for the region specific endpoint this request was sent to.",
                    lc.as_deref().unwrap_or_default()
                ),
            )
        })?;
    }
    let volume = ctx.state.stores.resolve(volume).to_owned();
    let store = ctx
        .state
        .stores
        .get(&volume)
        .cloned()
        .ok_or_else(|| S3Error::unavailable(format!("Volume {volume} is not connected.")))?;
    let mut init = bucket_init(ctx)?;
    init.configs.extend(super::acl::creation_configs(ctx)?);
    init.configs.sort();
    let reg = ctx.state.registry.clone();
    let (n, owner) = (name.to_owned(), ctx.user.owner().to_owned());
    blocking::try_run(move || {
        let b = match reg.create_bucket_with(&n, &owner, &region, &volume, now_ms(), &init) {
            Ok(b) => b,
            // AWS's legacy us-east-1 behaviour: the owner's re-create succeeds, changing nothing.
            Err(metadata::Error::BucketAlreadyExists { owner: existing })
                if existing == owner && region == "us-east-1" =>
            {
                return Ok(());
            }
            Err(metadata::Error::BucketAlreadyExists { owner: existing }) => {
                let code = if existing == owner {
                    Code::BucketAlreadyOwnedByYou
                } else {
                    Code::BucketAlreadyExists
                };
                return Err(S3Error::new(code).extra("BucketName", n));
            }
            Err(e) => return Err(e.into()),
        };
        // The fan-out directories are made now, once: concurrent PUTs never race a mkdir. The
        // bucket directory keeps the owner, for a registry rebuilt by `gateway reindex`.
        let record = BucketXattr::new(&b.name, &b.owner, &b.region, b.created_ms);
        let dirs = store
            .create_bucket_dirs(b.id)
            .and_then(|()| store.write_bucket_xattr(b.id, &record));
        if let Err(e) = dirs {
            let _ = reg.delete_bucket(&n);
            return Err(e.into());
        }
        reg.flush()?;
        Ok(())
    })
    .await?;
    ctx.state.events.bucket(ctx, "BucketCreated", name);
    Ok(S3Response::empty(200).header("location", format!("/{name}")))
}

/// DeleteBucket: only a bucket without objects; its in-progress uploads are aborted with it
/// (their part blobs go to the garbage sweep), as AWS does.
pub async fn delete_bucket(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let reg = ctx.state.registry.clone();
    let store = ctx.store(&b)?;
    let n = name.to_owned();
    blocking::try_run(move || {
        reg.delete_bucket(&n).map_err(|e| match e {
            metadata::Error::BucketNotEmpty => {
                S3Error::new(Code::BucketNotEmpty).extra("BucketName", n.clone())
            }
            e => e.into(),
        })?;
        reg.flush()?;
        // A directory that still holds blobs queued for deletion outlives the bucket: its
        // record must not bring the bucket back in a `gateway reindex`.
        let gone = BucketXattr {
            deleted: true,
            ..BucketXattr::new(&b.name, &b.owner, &b.region, b.created_ms)
        };
        if let Err(e) = store.write_bucket_xattr(b.id, &gone) {
            tracing::warn!(bucket = %n, error = %e, "marking the bucket directory deleted");
        }
        // Directories that still hold blobs queued for deletion are left to the sweeper.
        if let Err(e) = store.remove_bucket_dirs(b.id) {
            tracing::warn!(bucket = %n, error = %e, "removing bucket directories");
        }
        Ok(())
    })
    .await?;
    ctx.state.events.bucket(ctx, "BucketDeleted", name);
    Ok(S3Response::empty(204))
}

/// HeadBucket.
pub async fn head_bucket(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    Ok(S3Response::empty(200).header("x-amz-bucket-region", b.region))
}

/// GetBucketLocation: the bucket's region, or for a bucket on a `[[volumes]]` volume the
/// location that selects that volume.
pub async fn get_bucket_location(ctx: &Ctx, name: &str) -> S3Result<S3Response> {
    let b = ctx.bucket(name)?;
    let stores = &ctx.state.stores;
    let location = if stores.resolve(&b.volume) == stores.default_name() {
        b.region.as_str()
    } else {
        ctx.state.config.location_of_volume(&b.volume)
    };
    Ok(S3Response::xml(
        xml::LocationConstraint::for_region(location).to_xml(),
    ))
}

/// ListBuckets: the caller's buckets in name order, with `max-buckets` and
/// `continuation-token` paging and an optional `prefix`.
pub async fn list_buckets(ctx: &Ctx) -> S3Result<S3Response> {
    let max = match ctx.req.query("max-buckets") {
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|m| (1..=10_000).contains(m))
            .ok_or_else(|| {
                S3Error::with_message(
                    Code::InvalidArgument,
                    "max-buckets must be an integer between 1 and 10000",
                )
                .extra("ArgumentName", "max-buckets")
            })?,
        None => 10_000,
    };
    let prefix = ctx.req.query("prefix").unwrap_or("").to_owned();
    let start = match ctx.req.query("continuation-token") {
        Some(t) => Some(decode_token(t)?),
        None => (!prefix.is_empty()).then(|| prefix.clone()),
    };
    let reg = ctx.state.registry.clone();
    let owner = ctx.user.owner().to_owned();
    let (buckets, truncated) = blocking::try_run(move || {
        let mut out = Vec::new();
        let mut after = start;
        // Pages of the owner's buckets, stopping at the end of the prefix range.
        loop {
            let (page, more) = reg.list_buckets(Some(&owner), after.as_deref(), max + 1 - out.len())?;
            let last = page.last().map(|b| b.name.clone());
            for b in page {
                if !b.name.starts_with(&prefix) {
                    return Ok((out, false));
                }
                out.push(b);
            }
            if out.len() > max {
                out.truncate(max);
                return Ok((out, true));
            }
            if !more || last.is_none() {
                return Ok((out, false));
            }
            after = last;
        }
    })
    .await?;
    let token = truncated
        .then(|| buckets.last().map(|b| encode_token(&b.name)))
        .flatten();
    let doc = xml::ListAllMyBucketsResult {
        xmlns: xml::Xmlns,
        buckets: buckets
            .into_iter()
            .map(|b| xml::Bucket {
                name: b.name,
                creation_date: iso8601(b.created_ms),
                bucket_region: Some(b.region),
            })
            .collect(),
        owner: xml::Owner {
            id: ctx.user.owner().to_owned(),
            display_name: Some(ctx.user.display().to_owned()),
        },
        continuation_token: token,
        prefix: ctx.req.query("prefix").map(str::to_owned),
    };
    Ok(S3Response::xml(doc.to_xml()))
}

#[cfg(test)]
mod tests {
    use super::valid_bucket_name;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket", "my.bucket.1", "a1b", &"a".repeat(63), "1abc"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "ABC",
            "a_b",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a.-b",
            "abc-s3alias",
            "has space",
            "ünï",
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
