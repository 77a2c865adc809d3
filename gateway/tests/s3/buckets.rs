//! Bucket operations through the SDK.

use crate::common::{bucket, code, Gw, AK2, SK2};

#[actix_web::test]
async fn create_head_list_delete_bucket() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("life");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.head_bucket().bucket(&b).send().await.unwrap();
    let list = c.list_buckets().send().await.unwrap();
    assert!(list.buckets().iter().any(|x| x.name() == Some(b.as_str())));
    assert_eq!(list.owner().and_then(|o| o.id()), Some("owner-one"));

    let e = c.create_bucket().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BucketAlreadyOwnedByYou"));
    let other = gw.client_as(AK2, SK2, true);
    let e = other.create_bucket().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BucketAlreadyExists"));
    // Another owner cannot see or use it.
    assert!(!other
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .any(|x| x.name() == Some(b.as_str())));
    let e = other.list_objects_v2().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AccessDenied"));

    c.put_object()
        .bucket(&b)
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = c.delete_bucket().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BucketNotEmpty"));
    c.delete_object().bucket(&b).key("k").send().await.unwrap();
    c.delete_bucket().bucket(&b).send().await.unwrap();
    let e = c.head_bucket().bucket(&b).send().await.unwrap_err();
    assert!(
        e.raw_response().is_some_and(|r| r.status().as_u16() == 404),
        "{e:?}"
    );
    gw.stop().await;
}

#[actix_web::test]
async fn bucket_names_and_locations() {
    let gw = Gw::start().await;
    let c = gw.client();
    for bad in ["ab", "UPPER", "has_underscore", "-lead", "192.168.5.4"] {
        let e = c.create_bucket().bucket(bad).send().await.unwrap_err();
        assert_eq!(code(&e).as_deref(), Some("InvalidBucketName"), "{bad}");
    }
    let b = bucket("loc");
    let e = c
        .create_bucket()
        .bucket(&b)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("IllegalLocationConstraintException"));
    c.create_bucket().bucket(&b).send().await.unwrap();
    let loc = c.get_bucket_location().bucket(&b).send().await.unwrap();
    assert!(
        loc.location_constraint().is_none_or(|l| l.as_str().is_empty()),
        "{loc:?}"
    );
    let e = c
        .get_bucket_location()
        .bucket("no-such-bucket-here")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucket"));
    gw.stop().await;
}
