//! Bucket lifecycle through the SDK, with a one-second "day" and a worker pass every 200 ms:
//! the configuration's validation, Expiration by prefix and tag (with `x-amz-expiration`),
//! NoncurrentVersionExpiration keeping the newest noncurrent versions, expired delete markers,
//! AbortIncompleteMultipartUpload, and locked versions left alone.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectLockLegalHoldStatus, VersioningConfiguration,
};
use aws_sdk_s3::Client;

use crate::common::{bucket, code, Gw};

async fn start() -> Gw {
    Gw::start_with(|c| {
        c.lifecycle_interval = Some(Duration::from_millis(200));
        c.lifecycle_day = Duration::from_secs(1);
    })
    .await
}

async fn put(c: &Client, b: &str, k: &str) -> String {
    c.put_object()
        .bucket(b)
        .key(k)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap_or("null")
        .to_owned()
}

async fn set_rules(c: &Client, b: &str, rules: Vec<LifecycleRule>) {
    c.put_bucket_lifecycle_configuration()
        .bucket(b)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Waits (bounded) until `cond` holds, checking every 100 ms.
async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn exists(c: &Client, b: &str, k: &str) -> bool {
    c.head_object().bucket(b).key(k).send().await.is_ok()
}

async fn version_count(c: &Client, b: &str) -> (usize, usize) {
    let v = c.list_object_versions().bucket(b).send().await.unwrap();
    (v.versions().len(), v.delete_markers().len())
}

#[actix_web::test]
async fn configuration_is_validated_stored_and_deleted() {
    let gw = start().await;
    let c = gw.client();
    let b = bucket("lcconf");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let e = c
        .get_bucket_lifecycle_configuration()
        .bucket(&b)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchLifecycleConfiguration"));
    let rule = |id: &str, days: i32| {
        LifecycleRule::builder()
            .id(id)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .expiration(LifecycleExpiration::builder().days(days).build())
            .build()
            .unwrap()
    };
    set_rules(&c, &b, vec![rule("a", 3)]).await;
    let got = c
        .get_bucket_lifecycle_configuration()
        .bucket(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(got.rules().len(), 1);
    assert_eq!(got.rules()[0].id(), Some("a"));
    assert_eq!(got.rules()[0].expiration().unwrap().days(), Some(3));
    for (rules, want) in [
        (vec![rule("a", 0)], "InvalidArgument"),
        (vec![rule("a", 1), rule("a", 2)], "InvalidArgument"),
    ] {
        let e = c
            .put_bucket_lifecycle_configuration()
            .bucket(&b)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e).as_deref(), Some(want));
    }
    c.delete_bucket_lifecycle().bucket(&b).send().await.unwrap();
    let e = c
        .get_bucket_lifecycle_configuration()
        .bucket(&b)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchLifecycleConfiguration"));
    c.delete_bucket().bucket(&b).send().await.unwrap();
    gw.stop().await;
}

#[actix_web::test]
async fn expiration_and_abort_apply_to_matching_objects_only() {
    let gw = start().await;
    let c = gw.client();
    let b = bucket("lcexp");
    c.create_bucket().bucket(&b).send().await.unwrap();
    set_rules(
        &c,
        &b,
        vec![LifecycleRule::builder()
            .id("tmp")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .expiration(LifecycleExpiration::builder().days(2).build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(1)
                    .build(),
            )
            .build()
            .unwrap()],
    )
    .await;
    put(&c, &b, "tmp/a").await;
    put(&c, &b, "keep/b").await;
    let head = c.head_object().bucket(&b).key("tmp/a").send().await.unwrap();
    let exp = head.expiration().unwrap_or_default().to_owned();
    assert!(
        exp.contains("rule-id=\"tmp\"") && exp.contains("expiry-date="),
        "{exp}"
    );
    let keep = c.head_object().bucket(&b).key("keep/b").send().await.unwrap();
    assert_eq!(keep.expiration(), None);
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("tmp/up")
        .send()
        .await
        .unwrap();
    let other = c
        .create_multipart_upload()
        .bucket(&b)
        .key("keep/up")
        .send()
        .await
        .unwrap();
    eventually("tmp/a to expire", || exists(&c, &b, "tmp/a").map_not()).await;
    eventually("tmp/up to be aborted", || async {
        c.list_multipart_uploads()
            .bucket(&b)
            .send()
            .await
            .unwrap()
            .uploads()
            .len()
            == 1
    })
    .await;
    assert!(exists(&c, &b, "keep/b").await, "keep/b matches no rule");
    let left = c.list_multipart_uploads().bucket(&b).send().await.unwrap();
    assert_eq!(left.uploads()[0].upload_id(), other.upload_id());
    assert_ne!(left.uploads()[0].upload_id(), up.upload_id());
    c.abort_multipart_upload()
        .bucket(&b)
        .key("keep/up")
        .upload_id(other.upload_id().unwrap())
        .send()
        .await
        .unwrap();
    c.delete_object().bucket(&b).key("keep/b").send().await.unwrap();
    c.delete_bucket().bucket(&b).send().await.unwrap();
    gw.stop().await;
}

/// `!future` for the `eventually` helper.
trait MapNot {
    fn map_not(self) -> impl std::future::Future<Output = bool>;
}

impl<F: std::future::Future<Output = bool>> MapNot for F {
    async fn map_not(self) -> bool {
        !self.await
    }
}

#[actix_web::test]
async fn noncurrent_versions_and_lone_markers_expire_but_locked_ones_stay() {
    let gw = start().await;
    let c = gw.client();
    let b = bucket("lcver");
    c.create_bucket()
        .bucket(&b)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let vers = c.get_bucket_versioning().bucket(&b).send().await.unwrap();
    assert_eq!(vers.status(), Some(&BucketVersioningStatus::Enabled));
    // Four versions of k (the oldest under legal hold), and a key m deleted (marker over one).
    let held = c
        .put_object()
        .bucket(&b)
        .key("k")
        .body(ByteStream::from_static(b"0"))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        put(&c, &b, "k").await;
    }
    put(&c, &b, "m").await;
    c.delete_object().bucket(&b).key("m").send().await.unwrap();
    assert_eq!(version_count(&c, &b).await, (5, 1));
    set_rules(
        &c,
        &b,
        vec![
            LifecycleRule::builder()
                .id("keep-one")
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("k").build())
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .newer_noncurrent_versions(1)
                        .build(),
                )
                .build()
                .unwrap(),
            LifecycleRule::builder()
                .id("markers")
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("m").build())
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder().noncurrent_days(1).build(),
                )
                .expiration(
                    LifecycleExpiration::builder()
                        .expired_object_delete_marker(true)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await;
    // k keeps its current version, its newest noncurrent one and the held one; m loses its
    // only version, and then its marker, which hides nothing any more.
    eventually("the versions to expire", || async {
        version_count(&c, &b).await == (3, 0)
    })
    .await;
    let v = c.list_object_versions().bucket(&b).send().await.unwrap();
    assert!(v.versions().iter().all(|x| x.key() == Some("k")));
    assert!(v.versions().iter().any(|x| x.version_id() == Some(held.as_str())));
    // Clean up: lift the hold, remove everything.
    c.put_object_legal_hold()
        .bucket(&b)
        .key("k")
        .version_id(&held)
        .legal_hold(
            aws_sdk_s3::types::ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::Off)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for x in v.versions() {
        c.delete_object()
            .bucket(&b)
            .key("k")
            .version_id(x.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    c.delete_bucket().bucket(&b).send().await.unwrap();
    gw.stop().await;
}

#[actix_web::test]
async fn expiration_in_a_versioned_bucket_adds_a_marker() {
    // Versioned: an expired current object is hidden by a delete marker, its bytes kept.
    let gw = start().await;
    let c = gw.client();
    let b = bucket("lcsusp");
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
    put(&c, &b, "e").await;
    set_rules(
        &c,
        &b,
        vec![LifecycleRule::builder()
            .id("all")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .expiration(LifecycleExpiration::builder().days(1).build())
            .build()
            .unwrap()],
    )
    .await;
    eventually("e to be hidden by a marker", || async {
        version_count(&c, &b).await == (1, 1)
    })
    .await;
    assert!(!exists(&c, &b, "e").await);
    c.delete_bucket_lifecycle().bucket(&b).send().await.unwrap();
    let v = c.list_object_versions().bucket(&b).send().await.unwrap();
    for x in v.versions() {
        c.delete_object()
            .bucket(&b)
            .key("e")
            .version_id(x.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    for m in v.delete_markers() {
        c.delete_object()
            .bucket(&b)
            .key("e")
            .version_id(m.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    c.delete_bucket().bucket(&b).send().await.unwrap();
    gw.stop().await;
}
