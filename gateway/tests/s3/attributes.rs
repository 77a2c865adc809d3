//! GetObjectAttributes through the SDK: plain and multipart objects, checksums, ObjectParts
//! paging, versions, and the errors for missing or unknown attributes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectAttributes,
    VersioningConfiguration,
};

use crate::common::{bucket, code, data, Gw};

#[actix_web::test]
async fn attributes_of_plain_multipart_and_versioned_objects() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("attr");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let put = c
        .put_object()
        .bucket(&b)
        .key("plain")
        .body(ByteStream::from_static(b"hello"))
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let v1 = put.version_id().unwrap().to_owned();
    let all = [
        ObjectAttributes::Etag,
        ObjectAttributes::Checksum,
        ObjectAttributes::ObjectParts,
        ObjectAttributes::StorageClass,
        ObjectAttributes::ObjectSize,
    ];
    let a = c
        .get_object_attributes()
        .bucket(&b)
        .key("plain")
        .set_object_attributes(Some(all.to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.e_tag(),
        Some(put.e_tag().unwrap().trim_matches('"')),
        "unquoted"
    );
    assert_eq!(a.object_size(), Some(5));
    assert_eq!(
        a.storage_class().map(aws_sdk_s3::types::StorageClass::as_str),
        Some("STANDARD")
    );
    assert_eq!(
        a.checksum().and_then(|x| x.checksum_crc32()),
        put.checksum_crc32()
    );
    assert!(a.object_parts().is_none(), "not multipart");
    assert_eq!(a.version_id(), Some(v1.as_str()));

    // A multipart object of three parts with CRC32: the parts page by two.
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("multi")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for n in 1..=3 {
        let len = if n < 3 { 5 << 20 } else { 1000 };
        let p = c
            .upload_part()
            .bucket(&b)
            .key("multi")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(data(len, n as u64)))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .checksum_crc32(p.checksum_crc32().unwrap())
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket(&b)
        .key("multi")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    let page = |marker: Option<&str>| {
        let c = c.clone();
        let b = b.clone();
        let marker = marker.map(str::to_owned);
        async move {
            c.get_object_attributes()
                .bucket(&b)
                .key("multi")
                .object_attributes(ObjectAttributes::ObjectParts)
                .object_attributes(ObjectAttributes::ObjectSize)
                .max_parts(2)
                .set_part_number_marker(marker)
                .send()
                .await
                .unwrap()
        }
    };
    let first = page(None).await;
    assert_eq!(first.object_size(), Some(2 * (5 << 20) + 1000));
    assert!(first.e_tag().is_none(), "only what was asked");
    let p1 = first.object_parts().unwrap();
    assert_eq!(p1.total_parts_count(), Some(3));
    assert_eq!(p1.is_truncated(), Some(true));
    assert_eq!(p1.parts().len(), 2);
    assert!(p1.parts()[0].checksum_crc32().is_some());
    let second = page(p1.next_part_number_marker()).await;
    let p2 = second.object_parts().unwrap();
    assert_eq!(p2.is_truncated(), Some(false));
    assert_eq!(p2.parts().len(), 1);
    assert_eq!(p2.parts()[0].part_number(), Some(3));
    assert_eq!(p2.parts()[0].size(), Some(1000));

    // An older version by id; errors.
    c.put_object()
        .bucket(&b)
        .key("plain")
        .body(ByteStream::from_static(b"longer body"))
        .send()
        .await
        .unwrap();
    let old = c
        .get_object_attributes()
        .bucket(&b)
        .key("plain")
        .version_id(&v1)
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap();
    assert_eq!(old.object_size(), Some(5));
    let e = c
        .get_object_attributes()
        .bucket(&b)
        .key("nope")
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    let e = c
        .get_object_attributes()
        .bucket(&b)
        .key("plain")
        .object_attributes(ObjectAttributes::from("Colour"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));

    let v = c.list_object_versions().bucket(&b).send().await.unwrap();
    for x in v.versions() {
        c.delete_object()
            .bucket(&b)
            .key(x.key().unwrap())
            .version_id(x.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    c.delete_bucket().bucket(&b).send().await.unwrap();
    gw.stop().await;
}
