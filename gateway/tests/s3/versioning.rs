//! Bucket versioning through the SDK: Put/GetBucketVersioning, versions kept by PUT, Copy and
//! Complete, reads and deletes by version id, delete markers, the null version of suspended
//! buckets, ListObjectVersions paging, DeleteObjects with versions, the errors AWS answers, and
//! writers racing on one key.

use std::collections::BTreeSet;

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, Delete, MfaDelete, ObjectIdentifier,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;

use crate::common::{bucket, code, data, Gw};

async fn set_versioning(c: &Client, b: &str, status: BucketVersioningStatus) {
    c.put_bucket_versioning()
        .bucket(b)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

async fn put(c: &Client, b: &str, k: &str, body: &[u8]) -> Option<String> {
    c.put_object()
        .bucket(b)
        .key(k)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap()
        .version_id()
        .map(str::to_owned)
}

async fn get(c: &Client, b: &str, k: &str, v: Option<&str>) -> Vec<u8> {
    let out = c
        .get_object()
        .bucket(b)
        .key(k)
        .set_version_id(v.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {k} {v:?}: {e:?}"));
    if let Some(v) = v {
        assert_eq!(out.version_id(), Some(v));
    }
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// The value of response header `name` of a failed request.
fn err_header<E, R: std::fmt::Debug>(
    e: &SdkError<E, aws_smithy_runtime_api::http::Response<R>>,
    name: &str,
) -> Option<String> {
    e.raw_response()
        .and_then(|r| r.headers().get(name))
        .map(str::to_owned)
}

/// Every version and marker of bucket `b`: (key, version id, latest, marker), by pages of `max`.
async fn versions(c: &Client, b: &str, max: i32) -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    let (mut km, mut vm) = (None, None);
    loop {
        let page = c
            .list_object_versions()
            .bucket(b)
            .max_keys(max)
            .set_key_marker(km.clone())
            .set_version_id_marker(vm.clone())
            .send()
            .await
            .unwrap();
        // Versions and markers come as two lists; merge them back in listing order (ids are
        // time-ordered; in these tests the null version is always a key's oldest).
        let mut page_entries: Vec<(String, String, bool, bool)> = page
            .versions()
            .iter()
            .map(|v| {
                (
                    v.key().unwrap().to_owned(),
                    v.version_id().unwrap().to_owned(),
                    v.is_latest().unwrap(),
                    false,
                )
            })
            .chain(page.delete_markers().iter().map(|m| {
                (
                    m.key().unwrap().to_owned(),
                    m.version_id().unwrap().to_owned(),
                    m.is_latest().unwrap(),
                    true,
                )
            }))
            .collect();
        assert!(page_entries.len() <= usize::try_from(max).unwrap());
        let rank = |id: &str| {
            if id == "null" {
                String::new()
            } else {
                id.to_owned()
            }
        };
        page_entries.sort_by(|a, b| a.0.cmp(&b.0).then(rank(&b.1).cmp(&rank(&a.1))));
        out.extend(page_entries);
        if !page.is_truncated().unwrap_or(false) {
            return out;
        }
        km = page.next_key_marker().map(str::to_owned);
        vm = page.next_version_id_marker().map(str::to_owned);
    }
}

/// Deletes every version and marker, then the bucket.
async fn empty_and_delete(c: &Client, b: &str) {
    for (k, v, _, _) in versions(c, b, 1000).await {
        c.delete_object()
            .bucket(b)
            .key(&k)
            .version_id(&v)
            .send()
            .await
            .unwrap();
    }
    c.delete_bucket().bucket(b).send().await.unwrap();
}

#[actix_web::test]
async fn versions_are_kept_read_by_id_and_hidden_by_markers() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("ver");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let conf = c.get_bucket_versioning().bucket(&b).send().await.unwrap();
    assert_eq!(conf.status(), None, "never versioned: no Status");
    assert_eq!(
        put(&c, &b, "k", b"zero").await,
        None,
        "unversioned: no version id"
    );
    set_versioning(&c, &b, BucketVersioningStatus::Enabled).await;
    let conf = c.get_bucket_versioning().bucket(&b).send().await.unwrap();
    assert_eq!(conf.status(), Some(&BucketVersioningStatus::Enabled));

    let v1 = put(&c, &b, "k", b"one").await.unwrap();
    let v2 = put(&c, &b, "k", &data(100_000, 2)).await.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(get(&c, &b, "k", None).await, data(100_000, 2));
    assert_eq!(get(&c, &b, "k", Some(&v1)).await, b"one");
    assert_eq!(get(&c, &b, "k", Some("null")).await, b"zero");
    let head = c
        .head_object()
        .bucket(&b)
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(3));
    assert_eq!(head.version_id(), Some(v1.as_str()));

    // A delete adds a marker: 404 with x-amz-delete-marker; the versions stay readable.
    let del = c.delete_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_owned();
    let e = c.get_object().bucket(&b).key("k").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    assert_eq!(err_header(&e, "x-amz-delete-marker").as_deref(), Some("true"));
    assert_eq!(
        err_header(&e, "x-amz-version-id").as_deref(),
        Some(marker.as_str())
    );
    let e = c.head_object().bucket(&b).key("k").send().await.unwrap_err();
    assert_eq!(err_header(&e, "x-amz-delete-marker").as_deref(), Some("true"));
    let e = c
        .get_object()
        .bucket(&b)
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(405));
    assert_eq!(get(&c, &b, "k", Some(&v2)).await, data(100_000, 2));
    let listed = c.list_objects_v2().bucket(&b).send().await.unwrap();
    assert_eq!(listed.contents().len(), 0, "a hidden key is not listed");
    assert_eq!(
        versions(&c, &b, 1000).await,
        [
            ("k".to_owned(), marker.clone(), true, true),
            ("k".to_owned(), v2.clone(), false, false),
            ("k".to_owned(), v1.clone(), false, false),
            ("k".to_owned(), "null".to_owned(), false, false),
        ]
    );
    let e = c.delete_bucket().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BucketNotEmpty"));

    // Deleting the marker brings v2 back; deleting v2 for good makes v1 current.
    let del = c
        .delete_object()
        .bucket(&b)
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(del.version_id(), Some(marker.as_str()));
    assert_eq!(get(&c, &b, "k", None).await, data(100_000, 2));
    c.delete_object()
        .bucket(&b)
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, &b, "k", None).await, b"one");
    let got = c.get_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(got.version_id(), Some(v1.as_str()));

    // Tags of a noncurrent version change that version only.
    let v3 = put(&c, &b, "k", b"three").await.unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(
            aws_sdk_s3::types::Tag::builder()
                .key("old")
                .value("yes")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let tagged = c
        .put_object_tagging()
        .bucket(&b)
        .key("k")
        .version_id(&v1)
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.version_id(), Some(v1.as_str()));
    let tags = |v: String| {
        let c = c.clone();
        let b = b.clone();
        async move {
            c.get_object_tagging()
                .bucket(&b)
                .key("k")
                .version_id(v)
                .send()
                .await
                .unwrap()
                .tag_set()
                .len()
        }
    };
    assert_eq!(tags(v1.clone()).await, 1);
    assert_eq!(tags(v3.clone()).await, 0);

    // Bad and unknown ids.
    let e = c
        .get_object()
        .bucket(&b)
        .key("k")
        .version_id("abc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));
    let e = c
        .get_object()
        .bucket(&b)
        .key("k")
        .version_id("0000000000000001aaaaaaaa")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchVersion"));
    let e = c
        .put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .mfa_delete(MfaDelete::Enabled)
                .build(),
        )
        .mfa("123 456")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NotImplemented"));

    empty_and_delete(&c, &b).await;
    gw.stop().await;
}

#[actix_web::test]
async fn suspended_buckets_replace_the_null_version() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("susp");
    c.create_bucket().bucket(&b).send().await.unwrap();
    set_versioning(&c, &b, BucketVersioningStatus::Enabled).await;
    let v1 = put(&c, &b, "k", b"one").await.unwrap();
    set_versioning(&c, &b, BucketVersioningStatus::Suspended).await;
    assert_eq!(put(&c, &b, "k", b"n1").await.as_deref(), Some("null"));
    assert_eq!(put(&c, &b, "k", b"n2").await.as_deref(), Some("null"));
    assert_eq!(get(&c, &b, "k", Some("null")).await, b"n2");
    assert_eq!(get(&c, &b, "k", Some(&v1)).await, b"one");
    let all = versions(&c, &b, 1000).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let del = c.delete_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(del.version_id(), Some("null"));
    assert_eq!(get(&c, &b, "k", Some(&v1)).await, b"one");
    empty_and_delete(&c, &b).await;
    gw.stop().await;
}

#[actix_web::test]
async fn listing_pages_copy_complete_and_delete_objects_by_version() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("verlist");
    c.create_bucket().bucket(&b).send().await.unwrap();
    set_versioning(&c, &b, BucketVersioningStatus::Enabled).await;
    let mut ids = BTreeSet::new();
    for i in 0..3 {
        for k in ["a", "d/x", "d/y", "z"] {
            ids.insert(put(&c, &b, k, format!("{k}{i}").as_bytes()).await.unwrap());
        }
    }
    c.delete_object().bucket(&b).key("d/y").send().await.unwrap();
    let full = versions(&c, &b, 1000).await;
    assert_eq!(full.len(), 13);
    for max in [1, 2, 5] {
        assert_eq!(versions(&c, &b, max).await, full, "max-keys {max}");
    }
    let rolled = c
        .list_object_versions()
        .bucket(&b)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(rolled.common_prefixes().len(), 1);
    assert_eq!(rolled.versions().len(), 6);

    // Copy an old version onto the same key (a restore) and onto another key.
    let old = full.iter().find(|v| v.0 == "a" && !v.2).unwrap().1.clone();
    let src_old = get(&c, &b, "a", Some(&old)).await;
    let copied = c
        .copy_object()
        .bucket(&b)
        .key("a")
        .copy_source(format!("{b}/a?versionId={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(copied.copy_source_version_id(), Some(old.as_str()));
    let restored = copied.version_id().unwrap().to_owned();
    assert_eq!(get(&c, &b, "a", None).await, src_old);
    assert_eq!(get(&c, &b, "a", Some(&restored)).await, src_old);

    // A multipart upload is a version too.
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("a")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = c
        .upload_part()
        .bucket(&b)
        .key("a")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(b"mp".to_vec()))
        .send()
        .await
        .unwrap();
    let done = c
        .complete_multipart_upload()
        .bucket(&b)
        .key("a")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mp = done.version_id().unwrap().to_owned();
    assert_eq!(get(&c, &b, "a", None).await, b"mp");

    // DeleteObjects: one version for good, one key hidden by a marker.
    let del = c
        .delete_objects()
        .bucket(&b)
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("a")
                        .version_id(&mp)
                        .build()
                        .unwrap(),
                )
                .objects(ObjectIdentifier::builder().key("z").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(del.errors().is_empty(), "{:?}", del.errors());
    let by_key = |k: &str| del.deleted().iter().find(|d| d.key() == Some(k)).unwrap().clone();
    assert_eq!(by_key("a").version_id(), Some(mp.as_str()));
    assert_eq!(by_key("z").delete_marker(), Some(true));
    assert!(by_key("z").delete_marker_version_id().is_some());
    assert_eq!(
        get(&c, &b, "a", None).await,
        src_old,
        "the restored copy is current again"
    );
    let e = c.get_object().bucket(&b).key("z").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    empty_and_delete(&c, &b).await;
    gw.stop().await;
}

/// Writers and deleters racing on one key of a versioned bucket: every acknowledged write
/// and marker is a version, listed once, and exactly one is latest.
#[actix_web::test]
async fn racing_puts_and_deletes_keep_every_version() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("verrace");
    c.create_bucket().bucket(&b).send().await.unwrap();
    set_versioning(&c, &b, BucketVersioningStatus::Enabled).await;
    let tasks: Vec<_> = (0..6)
        .map(|t| {
            let (c, b) = (c.clone(), b.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..6 {
                    if (t + i) % 3 == 0 {
                        let d = c.delete_object().bucket(&b).key("k").send().await.unwrap();
                        ids.push((d.version_id().unwrap().to_owned(), None));
                    } else {
                        let body = format!("{t}-{i}").into_bytes();
                        ids.push((put(&c, &b, "k", &body).await.unwrap(), Some(body)));
                    }
                }
                ids
            })
        })
        .collect();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    let listed = versions(&c, &b, 7).await;
    assert_eq!(listed.len(), acked.len());
    let listed_ids: BTreeSet<&str> = listed.iter().map(|v| v.1.as_str()).collect();
    assert_eq!(listed_ids.len(), acked.len(), "ids are unique");
    assert_eq!(listed.iter().filter(|v| v.2).count(), 1);
    for (id, body) in &acked {
        assert!(listed_ids.contains(id.as_str()));
        if let Some(body) = body {
            assert_eq!(&get(&c, &b, "k", Some(id)).await, body);
        }
    }
    empty_and_delete(&c, &b).await;
    gw.stop().await;
}
