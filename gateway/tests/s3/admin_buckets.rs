//! `GET /admin/v1/buckets`: per-bucket object counts and bytes move exactly with PutObject
//! (new and overwrite), a completed multipart upload (not its parts), CopyObject and
//! DeleteObjects, and the route wants the admin token.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};

use crate::common::{admin_get_async, bucket, data, Gw, ADMIN_TOKEN};

const MIB: usize = 1 << 20;

async fn get_async(base: &str, token: Option<&str>) -> (u16, String, String) {
    admin_get_async(base, "/admin/v1/buckets", token).await
}

/// The route's entry for bucket `name` and the totals: ((objects, bytes), (total objects,
/// total bytes)), checking the fixed fields on the way.
async fn usage(gw: &Gw, name: &str) -> ((u64, u64), (u64, u64)) {
    let (status, _, body) = get_async(&gw.admin, Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    let list = v["buckets"].as_array().expect("buckets array");
    let names: Vec<&str> = list.iter().filter_map(|b| b["name"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
    let sums = list
        .iter()
        .fold((0, 0), |(o, b), x| (o + n(&x["objects"]), b + n(&x["bytes"])));
    assert_eq!(
        sums,
        (n(&v["objects"]), n(&v["bytes"])),
        "totals are the sums: {body}"
    );
    let entry = list
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing: {body}"));
    assert_eq!(entry["owner"], "owner-one");
    assert_eq!(entry["region"], "us-east-1");
    let created = entry["created"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    ((n(&entry["objects"]), n(&entry["bytes"])), sums)
}

#[actix_web::test]
async fn bucket_usage_follows_every_write() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("usage");
    c.create_bucket().bucket(&b).send().await.unwrap();
    assert_eq!(usage(&gw, &b).await, ((0, 0), (0, 0)));

    let put = |key: &'static str, len: usize, seed: u64| {
        c.put_object()
            .bucket(&b)
            .key(key)
            .body(ByteStream::from(data(len, seed)))
            .send()
    };
    put("a", 1000, 1).await.unwrap();
    put("b", 2345, 2).await.unwrap();
    assert_eq!(usage(&gw, &b).await.0, (2, 3345));
    // Overwrite with another size: same count, bytes follow.
    put("a", 10, 3).await.unwrap();
    assert_eq!(usage(&gw, &b).await.0, (2, 2355));

    // Multipart: parts in progress are not counted, the completed object is.
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("m")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for (n, len) in [(1, 5 * MIB), (2, 7)] {
        let r = c
            .upload_part()
            .bucket(&b)
            .key("m")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(data(len, 10 + u64::try_from(n).unwrap())))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .build(),
        );
    }
    assert_eq!(usage(&gw, &b).await.0, (2, 2355));
    c.complete_multipart_upload()
        .bucket(&b)
        .key("m")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    let mpu = 5 * 1024 * 1024 + 7;
    assert_eq!(usage(&gw, &b).await.0, (3, 2355 + mpu));

    // CopyObject to a new key, and over an existing one.
    c.copy_object()
        .bucket(&b)
        .key("copy")
        .copy_source(format!("{b}/b"))
        .send()
        .await
        .unwrap();
    assert_eq!(usage(&gw, &b).await.0, (4, 2355 + mpu + 2345));
    c.copy_object()
        .bucket(&b)
        .key("a")
        .copy_source(format!("{b}/b"))
        .send()
        .await
        .unwrap();
    assert_eq!(usage(&gw, &b).await.0, (4, 2345 * 3 + mpu));

    // DeleteObjects: two that exist, one that does not.
    let ids = ["a", "copy", "never-was"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect();
    c.delete_objects()
        .bucket(&b)
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(usage(&gw, &b).await.0, (2, 2345 + mpu));

    // A second bucket: its own counts, and the totals add up.
    let b2 = bucket("usage2");
    c.create_bucket().bucket(&b2).send().await.unwrap();
    c.put_object()
        .bucket(&b2)
        .key("x")
        .body(ByteStream::from(data(5, 4)))
        .send()
        .await
        .unwrap();
    assert_eq!(usage(&gw, &b2).await, ((1, 5), (3, 2345 + mpu + 5)));

    // Emptied and deleted: gone from the list.
    c.delete_object().bucket(&b2).key("x").send().await.unwrap();
    c.delete_bucket().bucket(&b2).send().await.unwrap();
    let (_, _, body) = get_async(&gw.admin, Some(ADMIN_TOKEN)).await;
    assert!(!body.contains(&format!("\"{b2}\"")), "{body}");
    assert_eq!(usage(&gw, &b).await, ((2, 2345 + mpu), (2, 2345 + mpu)));
    gw.stop().await;
}

#[actix_web::test]
async fn bucket_usage_needs_the_admin_token() {
    let gw = Gw::start().await;
    for token in [None, Some("wrong-token")] {
        let (status, head, body) = get_async(&gw.admin, token).await;
        assert_eq!(status, 401, "{token:?}: {body}");
        assert!(head.contains("\r\nwww-authenticate: bearer"), "{head}");
        assert!(body.contains("\"error\":\"Unauthorized\""), "{body}");
    }
    // The S3 listener does not serve it.
    let (status, _, _) = admin_get_async(&gw.endpoint, "/admin/v1/buckets", Some(ADMIN_TOKEN)).await;
    assert_ne!(status, 200);
    gw.stop().await;

    // No token configured: refused all the same.
    let gw = Gw::start_with(|c| c.admin_token = None).await;
    let (status, head, _) = get_async(&gw.admin, Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 401);
    assert!(head.contains("\r\nwww-authenticate: bearer"), "{head}");
    gw.stop().await;
}
