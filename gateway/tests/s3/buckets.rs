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

    // us-east-1: the owner's re-create is 200 and changes nothing (AWS's legacy behaviour).
    c.put_object()
        .bucket(&b)
        .key("kept")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.head_object().bucket(&b).key("kept").send().await.unwrap();
    c.delete_object().bucket(&b).key("kept").send().await.unwrap();
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

#[actix_web::test]
async fn delete_bucket_aborts_in_progress_uploads_and_sweeps_their_parts() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("rbuploads");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("big")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    c.upload_part()
        .bucket(&b)
        .key("big")
        .upload_id(&id)
        .part_number(1)
        .body(b"part one".to_vec().into())
        .send()
        .await
        .unwrap();
    let state = gw.running.as_ref().unwrap().state.clone();
    let blob = state.registry.list_parts(&id, 0, 10).unwrap().0[0]
        .1
        .blob
        .path
        .clone();
    assert!(crate::common::volume().stat(&blob).is_ok());

    let deleted = c.delete_bucket().bucket(&b).send().await;
    deleted.unwrap();
    let e = c.head_bucket().bucket(&b).send().await.unwrap_err();
    assert!(
        e.raw_response().is_some_and(|r| r.status().as_u16() == 404),
        "{e:?}"
    );
    assert_eq!(state.registry.get_upload(&id).unwrap(), None);
    // The part's blob went to the garbage queue; the sweeper deletes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let path = blob.clone();
        let gone = tokio::task::spawn_blocking(move || crate::common::volume().stat(&path))
            .await
            .unwrap()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
        if gone {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "part blob {blob} never swept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The name is free again.
    c.create_bucket().bucket(&b).send().await.unwrap();
    gw.stop().await;
}

#[actix_web::test]
async fn recreating_an_owned_bucket_outside_us_east_1_is_already_owned_by_you() {
    let gw = Gw::start_with(|c| c.region = "eu-west-1".into()).await;
    let c = gw.client_in("eu-west-1");
    let b = bucket("owned");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let e = c.create_bucket().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BucketAlreadyOwnedByYou"));
    assert!(
        e.raw_response().is_some_and(|r| r.status().as_u16() == 409),
        "{e:?}"
    );
    gw.stop().await;
}
