//! GetObjectAttributes: the attributes `x-amz-object-attributes` names (ETag, Checksum,
//! ObjectParts with `x-amz-max-parts` / `x-amz-part-number-marker` paging, StorageClass,
//! ObjectSize) of the latest or a given version, from its registry record alone. Must not read
//! blobs, format XML or touch actix types.

use metadata::ObjectRecord;

use crate::s3::dates::http_date;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::handlers::multipart::ChecksumFields;
use crate::s3::handlers::versioning;
use crate::s3::response::S3Response;
use crate::s3::xml;
use crate::s3::Ctx;

/// The attributes a request may name.
const ATTRIBUTES: [&str; 5] = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

/// The object's checksum element from its stored (algorithm, value) pairs.
fn checksums(pairs: &[(String, String)], checksum_type: Option<&String>) -> xml::AttributeChecksums {
    let f = ChecksumFields::from_pairs(pairs);
    xml::AttributeChecksums {
        crc32: f.crc32,
        crc32c: f.crc32c,
        crc64nvme: f.crc64nvme,
        sha1: f.sha1,
        sha256: f.sha256,
        checksum_type: checksum_type.cloned(),
    }
}

/// A whole-number header, `InvalidArgument` when it is not one.
fn number_header(ctx: &Ctx, name: &'static str) -> S3Result<Option<u32>> {
    ctx.req
        .header(name)
        .map(|v| {
            v.trim().parse::<u32>().map_err(|_| {
                S3Error::with_message(
                    Code::InvalidArgument,
                    format!("{name} must be a non-negative integer"),
                )
                .extra("ArgumentName", name)
                .extra("ArgumentValue", v.to_owned())
            })
        })
        .transpose()
}

/// The `ObjectParts` page of a multipart object.
fn parts_page(rec: &ObjectRecord, marker: u32, max: u32) -> xml::AttributeParts {
    let total = u32::try_from(rec.parts.len()).unwrap_or(u32::MAX);
    let mut page = xml::AttributeParts {
        total_parts_count: total,
        part_number_marker: marker,
        max_parts: max,
        ..xml::AttributeParts::default()
    };
    // AWS lists the parts only for objects stored with checksums.
    if rec.part_checksums.is_empty() {
        return page;
    }
    for (i, size) in rec.parts.iter().enumerate().skip(marker as usize) {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if page.parts.len() == max as usize {
            page.is_truncated = true;
            page.next_part_number_marker = Some(number - 1);
            break;
        }
        let f = ChecksumFields::from_pairs(rec.part_checksums.get(i).map_or(&[][..], Vec::as_slice));
        page.parts.push(xml::AttributePart {
            crc32: f.crc32,
            crc32c: f.crc32c,
            crc64nvme: f.crc64nvme,
            sha1: f.sha1,
            sha256: f.sha256,
            part_number: number,
            size: *size,
        });
    }
    page
}

/// GetObjectAttributes.
pub async fn get_object_attributes(ctx: &Ctx, bucket: &str, key: &str) -> S3Result<S3Response> {
    // A list header: one comma-separated value, or the header repeated.
    let wanted: Vec<&str> = ctx
        .req
        .headers
        .iter()
        .filter(|(k, _)| k == "x-amz-object-attributes")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    if wanted.is_empty() {
        return Err(S3Error::with_message(
            Code::InvalidArgument,
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
        ));
    }
    if let Some(bad) = wanted.iter().find(|a| !ATTRIBUTES.contains(a)) {
        return Err(
            S3Error::with_message(Code::InvalidArgument, "Invalid attribute name specified.")
                .extra("ArgumentName", "x-amz-object-attributes")
                .extra("ArgumentValue", (*bad).to_owned()),
        );
    }
    let max = number_header(ctx, "x-amz-max-parts")?.unwrap_or(1000).min(1000);
    let marker = number_header(ctx, "x-amz-part-number-marker")?.unwrap_or(0);
    let version = versioning::version_param(ctx)?;
    let (b, rec) = ctx.bucket_and_object(bucket, key, version.as_deref()).await?;
    let rec = versioning::addressed(bucket, key, version.as_deref(), rec)?;
    let has = |a: &str| wanted.contains(&a);
    let doc = xml::GetObjectAttributesResponse {
        xmlns: xml::Xmlns,
        etag: has("ETag").then(|| rec.etag.clone()),
        checksum: (has("Checksum") && !rec.checksums.is_empty())
            .then(|| checksums(&rec.checksums, rec.checksum_type.as_ref())),
        object_parts: (has("ObjectParts") && !rec.parts.is_empty()).then(|| parts_page(&rec, marker, max)),
        storage_class: has("StorageClass").then(|| "STANDARD".to_owned()),
        object_size: has("ObjectSize").then_some(rec.size),
    };
    let resp = S3Response::xml(doc.to_xml()).header("last-modified", http_date(rec.mtime_ms));
    Ok(versioning::with_version(
        resp,
        versioning::version_header(&b, &rec).map(|(_, v)| v),
    ))
}
