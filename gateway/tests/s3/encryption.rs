//! Server-side encryption through the SDK: SSE-S3 and SSE-C on PutObject, GetObject (ranges
//! across chunk boundaries), HeadObject, CopyObject and multipart uploads; bucket default
//! encryption; the SSE-C key checks; and the bytes on the volume, which must not be the
//! plaintext.

use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use base64::Engine as _;
use md5::Digest as _;

use crate::common::{bucket, code, data, volume, Gw};

const MIB: usize = 1 << 20;

/// Every file under `root` on the volume, with its bytes.
fn stored_files(root: &str) -> Vec<(String, Vec<u8>)> {
    let vol = volume();
    crate::common::volume_files(&vol, root)
        .into_iter()
        .filter_map(|(p, len)| {
            let f = vol.open(&p, libc::O_RDONLY).ok()?;
            let mut buf = vec![0u8; usize::try_from(len).ok()?];
            let n = f.read_at(&mut buf, 0).ok()?;
            buf.truncate(n);
            Some((p, buf))
        })
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

struct CustomerKey {
    key: String,
    md5: String,
}

fn customer_key(byte: u8) -> CustomerKey {
    let raw = [byte; 32];
    let b64 = base64::engine::general_purpose::STANDARD;
    CustomerKey {
        key: b64.encode(raw),
        md5: b64.encode(md5::Md5::digest(raw)),
    }
}

async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn sse_s3_and_bucket_default_encrypt_at_rest() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("sse-s3");
    c.create_bucket().bucket(&b).send().await.unwrap();
    // A marker that appears in the plaintext many times: it must not appear on the volume.
    let marker = b"PLAINTEXT-MARKER-0123456789";
    let mut body = data(3 * 65536 + 17, 5);
    for off in (0..body.len() - marker.len()).step_by(4096) {
        body[off..off + marker.len()].copy_from_slice(marker);
    }
    let put = c
        .put_object()
        .bucket(&b)
        .key("s3.bin")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    // SSE-S3's ETag is the plaintext's MD5, as AWS's.
    assert_eq!(
        put.e_tag().unwrap(),
        format!("\"{}\"", hex::encode(md5::Md5::digest(&body)))
    );
    let got = c.get_object().bucket(&b).key("s3.bin").send().await.unwrap();
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(body_of(got).await, body);
    // Ranges inside one chunk, across chunk boundaries, and to the end.
    for (start, end) in [
        (0, 0),
        (10, 65535),
        (65530, 65545),
        (65536, 3 * 65536 + 16),
        (100_000, 150_000),
    ] {
        let got = c
            .get_object()
            .bucket(&b)
            .key("s3.bin")
            .range(format!("bytes={start}-{end}"))
            .send()
            .await
            .unwrap();
        assert_eq!(body_of(got).await, &body[start..=end], "range {start}-{end}");
    }
    let files = stored_files(&gw.blob_root);
    assert!(!files.is_empty());
    assert!(
        files.iter().all(|(_, bytes)| !contains(bytes, marker)),
        "plaintext on the volume"
    );
    assert!(
        files.iter().any(|(_, bytes)| bytes.len() == body.len() + 4 * 16),
        "sealed size"
    );

    bucket_default(&c, &b, &body).await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sse_c_needs_the_customer_key() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("sse-c");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let (k1, k2) = (customer_key(1), customer_key(2));
    let body = data(200_000, 3);
    let put = c
        .put_object()
        .bucket(&b)
        .key("c.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1.key)
        .sse_customer_key_md5(&k1.md5)
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.sse_customer_key_md5(), Some(k1.md5.as_str()));
    // The ETag is not the plaintext's MD5 (as AWS's for SSE-C).
    assert_ne!(
        put.e_tag().unwrap(),
        format!("\"{}\"", hex::encode(md5::Md5::digest(&body)))
    );

    let got = c
        .get_object()
        .bucket(&b)
        .key("c.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1.key)
        .sse_customer_key_md5(&k1.md5)
        .range("bytes=65530-70000")
        .send()
        .await
        .unwrap();
    assert_eq!(got.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(body_of(got).await, &body[65530..=70000]);
    // Without the key: 400; with another key: 403; HEAD alike.
    let e = c.get_object().bucket(&b).key("c.bin").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRequest"));
    let e = c
        .get_object()
        .bucket(&b)
        .key("c.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2.key)
        .sse_customer_key_md5(&k2.md5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    let e = c.head_object().bucket(&b).key("c.bin").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    let head = c
        .head_object()
        .bucket(&b)
        .key("c.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1.key)
        .sse_customer_key_md5(&k1.md5)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(200_000));
    // A key whose MD5 does not match: 400 InvalidArgument, nothing stored.
    let e = c
        .put_object()
        .bucket(&b)
        .key("bad.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1.key)
        .sse_customer_key_md5(&k2.md5)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));

    sse_c_copies(&c, &b, &k1, &body).await;
    sse_c_multipart(&c, &b, &k2, &body).await;
    gw.stop().await;
}

/// Bucket default encryption on PUT, Copy and multipart, then its removal.
async fn bucket_default(c: &aws_sdk_s3::Client, b: &str, body: &[u8]) {
    // Bucket default encryption: plain PUTs, copies and multipart uploads are encrypted too.
    let conf = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
        .unwrap();
    c.put_bucket_encryption()
        .bucket(b)
        .server_side_encryption_configuration(conf)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_encryption().bucket(b).send().await.unwrap();
    let rule = &got.server_side_encryption_configuration().unwrap().rules()[0];
    let algorithm = rule
        .apply_server_side_encryption_by_default()
        .map(|d| d.sse_algorithm().clone());
    assert_eq!(algorithm, Some(ServerSideEncryption::Aes256));
    let put = c
        .put_object()
        .bucket(b)
        .key("default.bin")
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let copy = c
        .copy_object()
        .bucket(b)
        .key("copy.bin")
        .copy_source(format!("{b}/s3.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(copy.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(
        body_of(c.get_object().bucket(b).key("copy.bin").send().await.unwrap()).await,
        body
    );

    default_multipart(c, b).await;
    c.delete_bucket_encryption().bucket(b).send().await.unwrap();
    let e = c.get_bucket_encryption().bucket(b).send().await.unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("ServerSideEncryptionConfigurationNotFoundError")
    );
}

/// Copies of an SSE-C source name its key in the copy-source headers.
async fn sse_c_copies(c: &aws_sdk_s3::Client, b: &str, k1: &CustomerKey, body: &[u8]) {
    // Copy an SSE-C object to SSE-S3: the source key in the copy-source headers.
    let copy = c
        .copy_object()
        .bucket(b)
        .key("as-s3.bin")
        .copy_source(format!("{b}/c.bin"))
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1.key)
        .copy_source_sse_customer_key_md5(&k1.md5)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(copy.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(
        body_of(c.get_object().bucket(b).key("as-s3.bin").send().await.unwrap()).await,
        body
    );
    let e = c
        .copy_object()
        .bucket(b)
        .key("nokey.bin")
        .copy_source(format!("{b}/c.bin"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRequest"));
}

/// A multipart SSE-C upload: every part carries the key.
async fn sse_c_multipart(c: &aws_sdk_s3::Client, b: &str, k2: &CustomerKey, body: &[u8]) {
    // A multipart SSE-C upload: every part carries the key.
    let up = c
        .create_multipart_upload()
        .bucket(b)
        .key("mpc.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2.key)
        .sse_customer_key_md5(&k2.md5)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let e = c
        .upload_part()
        .bucket(b)
        .key("mpc.bin")
        .upload_id(id)
        .part_number(1)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRequest"));
    let p = c
        .upload_part()
        .bucket(b)
        .key("mpc.bin")
        .upload_id(id)
        .part_number(1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2.key)
        .sse_customer_key_md5(&k2.md5)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
    let parts = vec![CompletedPart::builder()
        .part_number(1)
        .e_tag(p.e_tag().unwrap())
        .build()];
    c.complete_multipart_upload()
        .bucket(b)
        .key("mpc.bin")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    let got = c
        .get_object()
        .bucket(b)
        .key("mpc.bin")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2.key)
        .sse_customer_key_md5(&k2.md5)
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(got).await, body);
}

/// A multipart upload into a bucket with default encryption, read whole and across its parts.
async fn default_multipart(c: &aws_sdk_s3::Client, b: &str) {
    let big = data(5 * MIB + 3, 9);
    let up = c
        .create_multipart_upload()
        .bucket(b)
        .key("mp.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(up.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, chunk) in [(1, &big[..5 * MIB]), (2, &big[5 * MIB..])] {
        let p = c
            .upload_part()
            .bucket(b)
            .key("mp.bin")
            .upload_id(id)
            .part_number(n)
            .body(chunk.to_vec().into())
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket(b)
        .key("mp.bin")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(
        body_of(c.get_object().bucket(b).key("mp.bin").send().await.unwrap()).await,
        big
    );
    let got = c
        .get_object()
        .bucket(b)
        .key("mp.bin")
        .range(format!("bytes={}-{}", 5 * MIB - 5, 5 * MIB + 1))
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(got).await, &big[5 * MIB - 5..=5 * MIB + 1]);
}
