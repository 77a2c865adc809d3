//! Object lock through the SDK: buckets created with object lock, default retention, the lock
//! headers of PUT, retention and legal hold by version, deletes refused while locked (bypass
//! for GOVERNANCE only), COMPLIANCE only extended, and a restic-style backup locked for a while,
//! refused, then deleted once its retention has passed.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention,
    ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};
use aws_sdk_s3::Client;

use crate::common::{bucket, code, Gw};

fn in_secs(s: u64) -> DateTime {
    DateTime::from(SystemTime::now() + Duration::from_secs(s))
}

async fn locked_bucket(c: &Client, tag: &str) -> String {
    let b = bucket(tag);
    c.create_bucket()
        .bucket(&b)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    b
}

/// Removes every version, bypassing governance (the caller waited out any compliance lock).
async fn cleanup(c: &Client, b: &str) {
    let v = c.list_object_versions().bucket(b).send().await.unwrap();
    for o in v.versions() {
        let (k, id) = (o.key().unwrap(), o.version_id().unwrap());
        let _ = c
            .put_object_legal_hold()
            .bucket(b)
            .key(k)
            .version_id(id)
            .legal_hold(
                ObjectLockLegalHold::builder()
                    .status(ObjectLockLegalHoldStatus::Off)
                    .build(),
            )
            .send()
            .await;
        c.delete_object()
            .bucket(b)
            .key(k)
            .version_id(id)
            .bypass_governance_retention(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("cleanup {k} {id}: {e:?}"));
    }
    for m in v.delete_markers() {
        c.delete_object()
            .bucket(b)
            .key(m.key().unwrap())
            .version_id(m.version_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    c.delete_bucket().bucket(b).send().await.unwrap();
}

#[actix_web::test]
async fn retention_and_legal_hold_protect_versions() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = locked_bucket(&c, "lock").await;
    let vers = c.get_bucket_versioning().bucket(&b).send().await.unwrap();
    assert_eq!(vers.status(), Some(&BucketVersioningStatus::Enabled));
    let conf = c.get_object_lock_configuration().bucket(&b).send().await.unwrap();
    assert_eq!(
        conf.object_lock_configuration().unwrap().object_lock_enabled(),
        Some(&ObjectLockEnabled::Enabled)
    );
    // A lock bucket cannot be suspended.
    let e = c
        .put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidBucketState"));

    // GOVERNANCE on PUT: a delete by version is refused, unless it bypasses.
    let put = c
        .put_object()
        .bucket(&b)
        .key("gov")
        .body(ByteStream::from_static(b"g"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(3600))
        .send()
        .await
        .unwrap();
    let gov = put.version_id().unwrap().to_owned();
    let head = c.head_object().bucket(&b).key("gov").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert!(head.object_lock_retain_until_date().is_some());
    let e = c
        .delete_object()
        .bucket(&b)
        .key("gov")
        .version_id(&gov)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    // A plain delete only adds a marker: allowed, and the version stays.
    let marker = c.delete_object().bucket(&b).key("gov").send().await.unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    c.delete_object()
        .bucket(&b)
        .key("gov")
        .version_id(marker.version_id().unwrap())
        .send()
        .await
        .unwrap();
    // Shortening GOVERNANCE needs the bypass; extending does not.
    let shorter = ObjectLockRetention::builder()
        .mode(ObjectLockRetentionMode::Governance)
        .retain_until_date(in_secs(60))
        .build();
    let e = c
        .put_object_retention()
        .bucket(&b)
        .key("gov")
        .retention(shorter.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    c.put_object_retention()
        .bucket(&b)
        .key("gov")
        .retention(shorter)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    let r = c
        .get_object_retention()
        .bucket(&b)
        .key("gov")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.retention().unwrap().mode(),
        Some(&ObjectLockRetentionMode::Governance)
    );
    c.delete_object()
        .bucket(&b)
        .key("gov")
        .version_id(&gov)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();

    // COMPLIANCE: no bypass, only extension.
    let comp = c
        .put_object()
        .bucket(&b)
        .key("comp")
        .body(ByteStream::from_static(b"c"))
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_secs(4))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let e = c
        .delete_object()
        .bucket(&b)
        .key("comp")
        .version_id(&comp)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    let e = c
        .put_object_retention()
        .bucket(&b)
        .key("comp")
        .version_id(&comp)
        .bypass_governance_retention(true)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Governance)
                .retain_until_date(in_secs(4))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("AccessDenied"),
        "COMPLIANCE cannot become GOVERNANCE"
    );

    // Legal hold: refused whatever the retention, until it is lifted.
    let held = c
        .put_object()
        .bucket(&b)
        .key("held")
        .body(ByteStream::from_static(b"h"))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let lh = c
        .get_object_legal_hold()
        .bucket(&b)
        .key("held")
        .send()
        .await
        .unwrap();
    assert_eq!(
        lh.legal_hold().unwrap().status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    let e = c
        .delete_object()
        .bucket(&b)
        .key("held")
        .version_id(&held)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));

    // Bad lock headers and lock on a bucket without it.
    let e = c
        .put_object()
        .bucket(&b)
        .key("bad")
        .body(ByteStream::from_static(b"x"))
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(DateTime::from_secs(1_000_000))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"), "a past date");
    let plain = bucket("nolock");
    c.create_bucket().bucket(&plain).send().await.unwrap();
    let e = c
        .put_object()
        .bucket(&plain)
        .key("x")
        .body(ByteStream::from_static(b"x"))
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRequest"));
    let e = c
        .get_object_lock_configuration()
        .bucket(&plain)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("ObjectLockConfigurationNotFoundError"));
    let e = c
        .put_object_lock_configuration()
        .bucket(&plain)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e).as_deref(),
        Some("InvalidBucketState"),
        "unversioned bucket"
    );
    c.delete_bucket().bucket(&plain).send().await.unwrap();

    // The compliance lock runs out: then the version can go.
    wait_until_deletable(&c, &b, "comp", &comp).await;
    cleanup(&c, &b).await;
    gw.stop().await;
}

/// Retries the delete of a version until its retention has passed (bounded).
async fn wait_until_deletable(c: &Client, b: &str, key: &str, version: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match c
            .delete_object()
            .bucket(b)
            .key(key)
            .version_id(version)
            .send()
            .await
        {
            Ok(_) => return,
            Err(err) if code(&err).as_deref() == Some("AccessDenied") && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => panic!("delete {key} {version}: {err:?}"),
        }
    }
}

/// A backup tool's use: a versioned, locked bucket with a default retention; a snapshot is
/// written, cannot be deleted or overwritten in place while locked, and goes once it expires.
#[actix_web::test]
async fn restic_style_backup_is_immutable_until_its_retention_ends() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = locked_bucket(&c, "backup").await;
    // Default retention of one day: every new version is locked in GOVERNANCE.
    c.put_object_lock_configuration()
        .bucket(&b)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Governance)
                                .days(1)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let snap = c
        .put_object()
        .bucket(&b)
        .key("snapshots/1")
        .body(ByteStream::from_static(b"snapshot"))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned();
    let r = c
        .get_object_retention()
        .bucket(&b)
        .key("snapshots/1")
        .send()
        .await
        .unwrap();
    let until = r.retention().unwrap().retain_until_date().unwrap().secs();
    let now = DateTime::from(SystemTime::now()).secs();
    assert!(
        (until - now - 86_400).abs() < 60,
        "one day of retention: {until} vs {now}"
    );
    // Overwriting keeps the locked version; deleting it is refused.
    c.put_object()
        .bucket(&b)
        .key("snapshots/1")
        .body(ByteStream::from_static(b"tampered"))
        .send()
        .await
        .unwrap();
    let old = c
        .get_object()
        .bucket(&b)
        .key("snapshots/1")
        .version_id(&snap)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.body.collect().await.unwrap().into_bytes().as_ref(),
        b"snapshot"
    );
    let e = c
        .delete_object()
        .bucket(&b)
        .key("snapshots/1")
        .version_id(&snap)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));
    // The "days" pass (the retention is moved to a few seconds ahead, with the bypass), then
    // the delete goes through.
    c.put_object_retention()
        .bucket(&b)
        .key("snapshots/1")
        .version_id(&snap)
        .bypass_governance_retention(true)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Governance)
                .retain_until_date(in_secs(2))
                .build(),
        )
        .send()
        .await
        .unwrap();
    wait_until_deletable(&c, &b, "snapshots/1", &snap).await;
    cleanup(&c, &b).await;
    gw.stop().await;
}
