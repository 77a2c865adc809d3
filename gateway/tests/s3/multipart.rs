//! Multipart uploads and copies through the SDK.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart, MetadataDirective,
};

use crate::common::{bucket, code, data, Gw};

const MIB: usize = 1 << 20;

fn completed(parts: &[(i32, String)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build())
                .collect(),
        ))
        .build()
}

#[actix_web::test]
async fn upload_complete_read_back_and_retry() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("mpu");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("big.bin")
        .content_type("application/x-big")
        .metadata("m", "1")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let bodies = [data(5 * MIB, 1), data(5 * MIB, 2), data(MIB + 3, 3)];
    let mut parts = Vec::new();
    // Upload out of order, and send part 2 twice: the second one wins.
    for n in [3usize, 2, 1, 2] {
        let r = c
            .upload_part()
            .bucket(&b)
            .key("big.bin")
            .upload_id(&id)
            .part_number(n as i32)
            .body(bodies[n - 1].clone().into())
            .send()
            .await
            .unwrap();
        parts.retain(|(p, _)| *p != n as i32);
        parts.push((n as i32, r.e_tag().unwrap().to_owned()));
    }
    parts.sort();
    let lp = c
        .list_parts()
        .bucket(&b)
        .key("big.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(lp.parts().len(), 3);
    let lu = c.list_multipart_uploads().bucket(&b).send().await.unwrap();
    assert!(lu.uploads().iter().any(|u| u.upload_id() == Some(id.as_str())));
    // encoding-type=url: Key, Prefix, KeyMarker and Delimiter come back encoded.
    let spaced = c
        .create_multipart_upload()
        .bucket(&b)
        .key("sp ace/x")
        .send()
        .await
        .unwrap();
    let lu = c
        .list_multipart_uploads()
        .bucket(&b)
        .prefix("sp ")
        .key_marker("sp ")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = lu.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["sp%20ace/x"]);
    assert_eq!(lu.prefix(), Some("sp%20"));
    assert_eq!(lu.key_marker(), Some("sp%20"));
    assert_eq!(
        lu.encoding_type().map(aws_sdk_s3::types::EncodingType::as_str),
        Some("url")
    );
    let lu = c
        .list_multipart_uploads()
        .bucket(&b)
        .delimiter(" ")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(lu.delimiter(), Some("%20"));
    let cps: Vec<_> = lu.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(cps, ["sp%20"]);
    c.abort_multipart_upload()
        .bucket(&b)
        .key("sp ace/x")
        .upload_id(spaced.upload_id().unwrap())
        .send()
        .await
        .unwrap();

    // Errors first: wrong ETag, wrong order.
    let mut wrong = parts.clone();
    wrong[0].1 = "\"00000000000000000000000000000000\"".into();
    let e = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(completed(&wrong))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidPart"));
    let mut reversed = parts.clone();
    reversed.reverse();
    let e = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(completed(&reversed))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidPartOrder"));

    let done = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(completed(&parts))
        .send()
        .await
        .unwrap();
    let etag = done.e_tag().unwrap().to_owned();
    assert!(etag.ends_with("-3\""), "{etag}");
    // A retried Complete answers the same object.
    let again = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(completed(&parts))
        .send()
        .await
        .unwrap();
    assert_eq!(again.e_tag(), Some(etag.as_str()));

    let got = c.get_object().bucket(&b).key("big.bin").send().await.unwrap();
    assert_eq!(got.content_type(), Some("application/x-big"));
    assert_eq!(
        got.metadata().and_then(|m| m.get("m")).map(String::as_str),
        Some("1")
    );
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert!(bytes[..] == bodies.concat()[..], "multipart object differs");
    let p2 = c
        .get_object()
        .bucket(&b)
        .key("big.bin")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.parts_count(), Some(3));
    assert!(p2.body.collect().await.unwrap().into_bytes()[..] == bodies[1][..]);
    // Past the last part: 400 InvalidPartNumber (GET and HEAD).
    let e = c
        .get_object()
        .bucket(&b)
        .key("big.bin")
        .part_number(4)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidPartNumber"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    let e = c
        .head_object()
        .bucket(&b)
        .key("big.bin")
        .part_number(4)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    // A range across the part boundary.
    let r = c
        .get_object()
        .bucket(&b)
        .key("big.bin")
        .range(format!("bytes={}-{}", 5 * MIB - 3, 5 * MIB + 2))
        .send()
        .await
        .unwrap();
    assert!(r.body.collect().await.unwrap().into_bytes()[..] == bodies.concat()[5 * MIB - 3..5 * MIB + 3]);
    let e = c
        .list_parts()
        .bucket(&b)
        .key("big.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchUpload"));
    gw.stop().await;
}

#[actix_web::test]
async fn small_parts_abort_and_unknown_uploads() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("mpe");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let id = c
        .create_multipart_upload()
        .bucket(&b)
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let r = c
            .upload_part()
            .bucket(&b)
            .key("k")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(vec![1u8; 1000]))
            .send()
            .await
            .unwrap();
        parts.push((n, r.e_tag().unwrap().to_owned()));
    }
    let e = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("k")
        .upload_id(&id)
        .multipart_upload(completed(&parts))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("EntityTooSmall"));
    c.abort_multipart_upload()
        .bucket(&b)
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let e = c
        .upload_part()
        .bucket(&b)
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchUpload"));
    let e = c
        .abort_multipart_upload()
        .bucket(&b)
        .key("k")
        .upload_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchUpload"));
    let e = c
        .upload_part()
        .bucket(&b)
        .key("k")
        .upload_id(&id)
        .part_number(10001)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));
    assert!(
        c.head_object().bucket(&b).key("k").send().await.is_err(),
        "aborted upload must not create the object"
    );
    // Uploads in progress do not keep a bucket (AWS aborts them with it).
    let pending = c
        .create_multipart_upload()
        .bucket(&b)
        .key("pending")
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket(&b).send().await.unwrap();
    let e = c
        .list_parts()
        .bucket(&b)
        .key("pending")
        .upload_id(pending.upload_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucket"));
    gw.stop().await;
}

#[actix_web::test]
async fn multipart_checksums_composite() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("mpc");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let id = c
        .create_multipart_upload()
        .bucket(&b)
        .key("ck")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let r = c
            .upload_part()
            .bucket(&b)
            .key("ck")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(data(5 * MIB, n as u64).into())
            .send()
            .await
            .unwrap();
        assert!(r.checksum_sha256().is_some());
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .checksum_sha256(r.checksum_sha256().unwrap())
                .build(),
        );
    }
    let done = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("ck")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    let sum = done.checksum_sha256().unwrap().to_owned();
    assert!(sum.ends_with("-2"), "{sum}");
    let h = c
        .head_object()
        .bucket(&b)
        .key("ck")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(h.checksum_sha256(), Some(sum.as_str()));
    gw.stop().await;
}

#[actix_web::test]
async fn copy_object_and_upload_part_copy() {
    let gw = Gw::start().await;
    let c = gw.client();
    let (b1, b2) = (bucket("cp1"), bucket("cp2"));
    c.create_bucket().bucket(&b1).send().await.unwrap();
    c.create_bucket().bucket(&b2).send().await.unwrap();
    let body = data(6 * MIB + 5, 7);
    c.put_object()
        .bucket(&b1)
        .key("src é+.txt")
        .content_type("text/plain")
        .metadata("a", "1")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    let src = format!("{b1}/src%20%C3%A9%2B.txt");

    let r = c
        .copy_object()
        .bucket(&b2)
        .key("dst")
        .copy_source(&src)
        .send()
        .await
        .unwrap();
    assert!(r.copy_object_result().and_then(|x| x.e_tag()).is_some());
    let got = c.get_object().bucket(&b2).key("dst").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.metadata().and_then(|m| m.get("a")).map(String::as_str),
        Some("1")
    );
    assert!(got.body.collect().await.unwrap().into_bytes()[..] == body[..]);

    // REPLACE takes the request's metadata, Content-Type included.
    c.copy_object()
        .bucket(&b2)
        .key("dst2")
        .copy_source(&src)
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/x-new")
        .metadata("b", "2")
        .send()
        .await
        .unwrap();
    let h = c.head_object().bucket(&b2).key("dst2").send().await.unwrap();
    assert_eq!(h.content_type(), Some("application/x-new"));
    assert!(
        h.metadata().unwrap().get("a").is_none()
            && h.metadata().unwrap().get("b").map(String::as_str) == Some("2")
    );

    // Onto itself: only with REPLACE, and the data stays intact.
    let e = c
        .copy_object()
        .bucket(&b1)
        .key("src é+.txt")
        .copy_source(&src)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRequest"));
    c.copy_object()
        .bucket(&b1)
        .key("src é+.txt")
        .copy_source(&src)
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/x-replaced")
        .send()
        .await
        .unwrap();
    let got = c.get_object().bucket(&b1).key("src é+.txt").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/x-replaced"));
    assert!(
        got.body.collect().await.unwrap().into_bytes()[..] == body[..],
        "self-copy must keep the data"
    );

    let e = c
        .copy_object()
        .bucket(&b2)
        .key("x")
        .copy_source(&src)
        .copy_source_if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("PreconditionFailed"));
    let e = c
        .copy_object()
        .bucket(&b2)
        .key("x")
        .copy_source(format!("{b1}/missing"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));

    // UploadPartCopy: two ranges of the source make a new object.
    let id = c
        .create_multipart_upload()
        .bucket(&b2)
        .key("assembled")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut parts = Vec::new();
    for (n, range) in [
        (1, format!("bytes=0-{}", 5 * MIB - 1)),
        (2, format!("bytes={}-{}", 5 * MIB, body.len() - 1)),
    ] {
        let r = c
            .upload_part_copy()
            .bucket(&b2)
            .key("assembled")
            .upload_id(&id)
            .part_number(n)
            .copy_source(&src)
            .copy_source_range(range)
            .send()
            .await
            .unwrap();
        parts.push((n, r.copy_part_result().unwrap().e_tag().unwrap().to_owned()));
    }
    c.complete_multipart_upload()
        .bucket(&b2)
        .key("assembled")
        .upload_id(&id)
        .multipart_upload(completed(&parts))
        .send()
        .await
        .unwrap();
    let got = c.get_object().bucket(&b2).key("assembled").send().await.unwrap();
    assert!(got.body.collect().await.unwrap().into_bytes()[..] == body[..]);
    let e = c
        .upload_part_copy()
        .bucket(&b2)
        .key("assembled")
        .upload_id("nope")
        .part_number(1)
        .copy_source(&src)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchUpload"));
    gw.stop().await;
}

#[actix_web::test]
async fn flexible_checksums_on_put() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("flex");
    c.create_bucket().bucket(&b).send().await.unwrap();
    for (alg, len) in [
        (ChecksumAlgorithm::Crc32, 0usize),
        (ChecksumAlgorithm::Crc32C, 1),
        (ChecksumAlgorithm::Crc64Nvme, 8191),
        (ChecksumAlgorithm::Sha1, 8193),
        (ChecksumAlgorithm::Sha256, 65536),
        (ChecksumAlgorithm::Crc32, 20 * MIB),
    ] {
        let body = data(len, len as u64);
        let k = format!("{}-{len}", alg.as_str());
        c.put_object()
            .bucket(&b)
            .key(&k)
            .checksum_algorithm(alg.clone())
            .body(body.clone().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{k}: {e:?}"));
        let got = c
            .get_object()
            .bucket(&b)
            .key(&k)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let has = match alg {
            ChecksumAlgorithm::Crc32 => got.checksum_crc32().is_some(),
            ChecksumAlgorithm::Crc32C => got.checksum_crc32_c().is_some(),
            ChecksumAlgorithm::Crc64Nvme => got.checksum_crc64_nvme().is_some(),
            ChecksumAlgorithm::Sha1 => got.checksum_sha1().is_some(),
            _ => got.checksum_sha256().is_some(),
        };
        assert!(has, "{k}: checksum not returned");
        assert!(
            got.body.collect().await.unwrap().into_bytes()[..] == body[..],
            "{k} differs"
        );
    }
    gw.stop().await;
}
