//! One gateway, two volumes (`[[volumes]]`): the LocationConstraint picks a bucket's volume,
//! GetBucketLocation answers it, copies and part copies cross volumes, and a stopped volume
//! makes only its own buckets answer 503 until it is back, with no restart of the gateway.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration,
};
use aws_sdk_s3::Client;
use gateway::config::VolumeConfig;

use crate::common::gluster::{gluster_ok, Scratch};
use crate::common::{bucket, data, Gw};

async fn put(c: &Client, b: &str, k: &str, body: &[u8]) {
    c.put_object()
        .bucket(b)
        .key(k)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {b}/{k}: {e:?}"));
}

async fn get(c: &Client, b: &str, k: &str) -> Result<Vec<u8>, u16> {
    match c.get_object().bucket(b).key(k).send().await {
        Ok(o) => Ok(o.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) => Err(e.raw_response().map_or(0, |r| r.status().as_u16())),
    }
}

/// Whether the bucket's directory is on `vol` (under the gateway's blob root).
fn has_bucket_dir(vol: &gfapi::Volume, gw: &Gw, id: u64) -> bool {
    vol.stat(format!("{}/blobs/{id:016x}", gw.blob_root)).is_ok()
}

#[actix_web::test]
async fn buckets_live_on_the_volume_their_location_names() {
    let second = tokio::task::spawn_blocking(|| {
        let s = Scratch::new("second");
        s.create();
        gluster_ok(&["volume", "set", &s.name, "network.ping-timeout", "5"]);
        gluster_ok(&["volume", "start", &s.name]);
        s
    })
    .await
    .unwrap();
    let name = second.name.clone();
    let gw = Gw::start_with(|c| {
        c.volumes = vec![VolumeConfig {
            name: name.clone(),
            volfile_servers: vec!["localhost".into()],
            locations: vec!["fast".into(), "also-fast".into()],
        }];
    })
    .await;
    let c = gw.client();
    let (home, away) = (bucket("home"), bucket("away"));
    c.create_bucket().bucket(&home).send().await.unwrap();
    c.create_bucket()
        .bucket(&away)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from("fast"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    // A location no volume has is refused, as a region this gateway does not serve.
    let e = c
        .create_bucket()
        .bucket(bucket("nowhere"))
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from("slow"))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        crate::common::code(&e).as_deref(),
        Some("IllegalLocationConstraintException")
    );

    let loc = c.get_bucket_location().bucket(&away).send().await.unwrap();
    assert_eq!(
        loc.location_constraint().map(BucketLocationConstraint::as_str),
        Some("fast")
    );
    let loc = c.get_bucket_location().bucket(&home).send().await.unwrap();
    // us-east-1: an empty LocationConstraint, as AWS answers for that region.
    let home_loc = loc
        .location_constraint()
        .map_or("", BucketLocationConstraint::as_str);
    assert_eq!(home_loc, "");

    // The bucket directories are on their own volumes, and only there.
    let state = gw.running.as_ref().unwrap().state.clone();
    let ids = {
        let (reg, h, a) = (state.registry.clone(), home.clone(), away.clone());
        tokio::task::spawn_blocking(move || {
            (
                reg.get_bucket(&h).unwrap().unwrap(),
                reg.get_bucket(&a).unwrap().unwrap(),
            )
        })
        .await
        .unwrap()
    };
    assert_eq!(ids.1.volume, name);
    let default_vol = crate::common::volume();
    let second_vol = state.stores.get(&name).unwrap().volume().clone();
    assert!(has_bucket_dir(&default_vol, &gw, ids.0.id));
    assert!(!has_bucket_dir(&default_vol, &gw, ids.1.id));
    assert!(has_bucket_dir(&second_vol, &gw, ids.1.id));
    assert!(!has_bucket_dir(&second_vol, &gw, ids.0.id));

    // Objects both ways, copies across volumes (CopyObject and UploadPartCopy).
    let (small, big) = (data(100_000, 1), data(6 << 20, 2));
    put(&c, &home, "h", &small).await;
    put(&c, &away, "a", &big).await;
    c.copy_object()
        .bucket(&away)
        .key("from-home")
        .copy_source(format!("{home}/h"))
        .send()
        .await
        .unwrap();
    c.copy_object()
        .bucket(&home)
        .key("from-away")
        .copy_source(format!("{away}/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, &away, "from-home").await.unwrap(), small);
    assert_eq!(get(&c, &home, "from-away").await.unwrap(), big);
    let up = c
        .create_multipart_upload()
        .bucket(&away)
        .key("parts")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, range) in [(1, "bytes=0-5242879"), (2, "bytes=5242880-6291455")] {
        let p = c
            .upload_part_copy()
            .bucket(&away)
            .key("parts")
            .upload_id(id)
            .part_number(n)
            .copy_source(format!("{home}/from-away"))
            .copy_source_range(range)
            .send()
            .await
            .unwrap();
        let etag = p.copy_part_result().unwrap().e_tag().unwrap().to_owned();
        parts.push(CompletedPart::builder().part_number(n).e_tag(etag).build());
    }
    c.complete_multipart_upload()
        .bucket(&away)
        .key("parts")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, &away, "parts").await.unwrap(), big);

    // The second volume stopped: its buckets answer 503, the default volume's keep serving.
    gluster_ok(&["volume", "stop", &name, "force"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match get(&c, &away, "a").await {
            Err(503) => break,
            other => assert!(
                Instant::now() < deadline,
                "GET on a stopped volume: {:?}",
                other.map(|b| b.len())
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get(&c, &home, "h").await.unwrap(), small);
    put(&c, &home, "while-away-is-down", b"x").await;

    // Back: the gateway reconnects by itself and the objects read back unchanged.
    gluster_ok(&["volume", "start", &name, "force"]);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match get(&c, &away, "a").await {
            Ok(b) => {
                assert_eq!(b, big);
                break;
            }
            Err(s) => assert!(Instant::now() < deadline, "GET after the volume restarted: {s}"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(get(&c, &away, "parts").await.unwrap(), big);
    for (b, k) in [
        (&away, "a"),
        (&away, "from-home"),
        (&away, "parts"),
        (&home, "h"),
        (&home, "from-away"),
        (&home, "while-away-is-down"),
    ] {
        c.delete_object().bucket(b).key(k).send().await.unwrap();
    }
    c.delete_bucket().bucket(&away).send().await.unwrap();
    c.delete_bucket().bucket(&home).send().await.unwrap();
    gw.stop().await;
    tokio::task::spawn_blocking(move || drop(second)).await.unwrap();
}
