//! Object and bucket tagging through the SDK: the tagging operations, `x-amz-tagging` on
//! PutObject, CreateMultipartUpload and CopyObject, `x-amz-tagging-count`, AWS's limits.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Tag, Tagging, TaggingDirective};
use aws_sdk_s3::Client;

use crate::common::{bucket, code, data, Gw};

fn tagging(p: &[(&str, &str)]) -> Tagging {
    let tags = p
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    Tagging::builder().set_tag_set(Some(tags)).build().unwrap()
}

async fn tags_of(c: &Client, b: &str, k: &str) -> Vec<(String, String)> {
    c.get_object_tagging()
        .bucket(b)
        .key(k)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObjectTagging {k}: {e:?}"))
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// (ETag, Last-Modified, x-amz-tagging-count) of HEAD and GET.
async fn heads(c: &Client, b: &str, k: &str) -> [(String, String, Option<i32>); 2] {
    let head = c.head_object().bucket(b).key(k).send().await.unwrap();
    let get = c.get_object().bucket(b).key(k).send().await.unwrap();
    [
        (
            head.e_tag().unwrap().to_owned(),
            head.last_modified().unwrap().to_string(),
            head.tag_count(),
        ),
        (
            get.e_tag().unwrap().to_owned(),
            get.last_modified().unwrap().to_string(),
            get.tag_count(),
        ),
    ]
}

#[actix_web::test]
async fn object_tags_put_get_delete_keep_etag_and_mtime() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("tag");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("k")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    assert!(tags_of(&c, &b, "k").await.is_empty(), "no tags: an empty TagSet");
    let [plain, _] = heads(&c, &b, "k").await;
    assert_eq!(plain.2, None, "no x-amz-tagging-count without tags");

    let set = [("b c+d-e=f.g_h:i/j@k", "2 + 2 = 4"), ("empty", ""), ("文字", "ü")];
    c.put_object_tagging()
        .bucket(&b)
        .key("k")
        .tagging(tagging(&set))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, &b, "k").await, pairs(&set));
    for (etag, mtime, count) in heads(&c, &b, "k").await {
        assert_eq!(
            (etag, mtime),
            (plain.0.clone(), plain.1.clone()),
            "tags change neither"
        );
        assert_eq!(count, Some(3));
    }

    c.put_object_tagging()
        .bucket(&b)
        .key("k")
        .tagging(tagging(&[("only", "one")]))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, &b, "k").await, pairs(&[("only", "one")]));
    c.delete_object_tagging()
        .bucket(&b)
        .key("k")
        .send()
        .await
        .unwrap();
    assert!(tags_of(&c, &b, "k").await.is_empty());
    assert_eq!(heads(&c, &b, "k").await[0], plain);

    // An overwrite is a new object: no tags.
    c.put_object_tagging()
        .bucket(&b)
        .key("k")
        .tagging(tagging(&[("a", "1")]))
        .send()
        .await
        .unwrap();
    c.put_object()
        .bucket(&b)
        .key("k")
        .body(b"again".to_vec().into())
        .send()
        .await
        .unwrap();
    assert!(tags_of(&c, &b, "k").await.is_empty());

    // Missing keys.
    let e = c
        .get_object_tagging()
        .bucket(&b)
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    let e = c
        .put_object_tagging()
        .bucket(&b)
        .key("nope")
        .tagging(tagging(&[("a", "1")]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    let e = c
        .delete_object_tagging()
        .bucket(&b)
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    let e = c
        .get_object_tagging()
        .bucket("no-such-bucket-tagging")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucket"));
    gw.stop().await;
}

#[actix_web::test]
async fn tagging_header_on_put_multipart_and_copy() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("taghdr");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("src")
        .tagging("a=1&b%20c=d%2Be&empty")
        .body(b"source".to_vec().into())
        .send()
        .await
        .unwrap();
    let src_tags = pairs(&[("a", "1"), ("b c", "d+e"), ("empty", "")]);
    assert_eq!(tags_of(&c, &b, "src").await, src_tags);
    assert_eq!(heads(&c, &b, "src").await[1].2, Some(3));

    // Multipart: the tags given at creation are the object's at Complete.
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("mp")
        .tagging("m=1&n=2")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = c
        .upload_part()
        .bucket(&b)
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(data(1000, 1).into())
        .send()
        .await
        .unwrap();
    c.complete_multipart_upload()
        .bucket(&b)
        .key("mp")
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
    assert_eq!(tags_of(&c, &b, "mp").await, pairs(&[("m", "1"), ("n", "2")]));
    assert_eq!(heads(&c, &b, "mp").await[0].2, Some(2));

    // Copy: COPY (the default) takes the source's tags, even with x-amz-tagging sent.
    c.copy_object()
        .bucket(&b)
        .key("copy-default")
        .copy_source(format!("{b}/src"))
        .tagging("ignored=1")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, &b, "copy-default").await, src_tags);
    c.copy_object()
        .bucket(&b)
        .key("copy-explicit")
        .copy_source(format!("{b}/src"))
        .tagging_directive(TaggingDirective::Copy)
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, &b, "copy-explicit").await, src_tags);
    c.copy_object()
        .bucket(&b)
        .key("copy-replace")
        .copy_source(format!("{b}/src"))
        .tagging_directive(TaggingDirective::Replace)
        .tagging("x=y")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, &b, "copy-replace").await, pairs(&[("x", "y")]));
    c.copy_object()
        .bucket(&b)
        .key("copy-cleared")
        .copy_source(format!("{b}/src"))
        .tagging_directive(TaggingDirective::Replace)
        .send()
        .await
        .unwrap();
    assert!(tags_of(&c, &b, "copy-cleared").await.is_empty());
    let e = c
        .copy_object()
        .bucket(&b)
        .key("copy-bad")
        .copy_source(format!("{b}/src"))
        .tagging_directive(TaggingDirective::from("BOGUS"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));
    gw.stop().await;
}

#[actix_web::test]
async fn tag_limits_are_refused_as_aws_does() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("taglim");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("k")
        .tagging("keep=me")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
    let eleven: Vec<(&str, &str)> = eleven.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let ten_ok: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".repeat(256))).collect();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (eleven.clone(), "BadRequest"),
        (vec![("a", "1"), ("a", "2")], "InvalidTag"),
        (vec![(long_key.as_str(), "")], "InvalidTag"),
        (vec![("", "v")], "InvalidTag"),
        (vec![("k", long_value.as_str())], "InvalidTag"),
        (vec![("aws:cost", "1")], "InvalidTag"),
        (vec![("a,b", "1")], "InvalidTag"),
        (vec![("k", "a*b")], "InvalidTag"),
    ];
    for (set, want) in cases {
        let e = c
            .put_object_tagging()
            .bucket(&b)
            .key("k")
            .tagging(tagging(&set))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e).as_deref(), Some(want), "{set:?}");
    }
    assert_eq!(
        tags_of(&c, &b, "k").await,
        pairs(&[("keep", "me")]),
        "refusals change nothing"
    );
    let ten: Vec<(&str, &str)> = ten_ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.put_object_tagging()
        .bucket(&b)
        .key("k")
        .tagging(tagging(&ten))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&c, &b, "k").await.len(), 10);

    // The header: duplicates and bad encodings are InvalidArgument, bad tags InvalidTag.
    let eleven_header: Vec<String> = (0..11).map(|i| format!("k{i}=")).collect();
    for (header, want) in [
        ("a=1&a=2".to_owned(), "InvalidArgument"),
        ("=1".to_owned(), "InvalidArgument"),
        ("a=%FF".to_owned(), "InvalidArgument"),
        (eleven_header.join("&"), "BadRequest"),
        ("a,b=1".to_owned(), "InvalidTag"),
        ("aws:cost=1".to_owned(), "InvalidTag"),
    ] {
        let e = c
            .put_object()
            .bucket(&b)
            .key("new")
            .tagging(&header)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e).as_deref(), Some(want), "{header}");
        let e = c
            .create_multipart_upload()
            .bucket(&b)
            .key("new")
            .tagging(&header)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e).as_deref(), Some(want), "multipart {header}");
    }
    let e = c.head_object().bucket(&b).key("new").send().await.unwrap_err();
    assert!(e.into_service_error().is_not_found(), "nothing was stored");
    gw.stop().await;
}

#[actix_web::test]
async fn bucket_tagging_and_no_such_tag_set() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("btag");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let e = c.get_bucket_tagging().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchTagSet"));

    let set = [("team", "data"), ("cost-center", "42")];
    c.put_bucket_tagging()
        .bucket(&b)
        .tagging(tagging(&set))
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_tagging().bucket(&b).send().await.unwrap();
    let got: Vec<(String, String)> = got
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    assert_eq!(got, pairs(&set));

    // 50 tags are fine on a bucket, 51 are not.
    let fifty: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let all: Vec<(&str, &str)> = fifty.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.put_bucket_tagging()
        .bucket(&b)
        .tagging(tagging(&all[..50]))
        .send()
        .await
        .unwrap();
    let e = c
        .put_bucket_tagging()
        .bucket(&b)
        .tagging(tagging(&all))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BadRequest"));
    let e = c
        .put_bucket_tagging()
        .bucket(&b)
        .tagging(tagging(&[("aws:x", "1")]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidTag"));
    assert_eq!(
        c.get_bucket_tagging()
            .bucket(&b)
            .send()
            .await
            .unwrap()
            .tag_set()
            .len(),
        50
    );

    c.delete_bucket_tagging().bucket(&b).send().await.unwrap();
    let e = c.get_bucket_tagging().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchTagSet"));
    let e = c
        .get_bucket_tagging()
        .bucket("no-such-bucket-btag")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucket"));
    gw.stop().await;
}

/// The service error code of PutObjectTagging (bucket tagging when `key` is `None`) on `k`
/// with `body` in place of the document the SDK serialized (it only sends well-formed ones).
async fn put_raw(c: &Client, b: &str, key: Option<&str>, body: &'static str) -> Option<String> {
    let swap = move |req: &mut aws_smithy_runtime_api::http::Request| {
        *req.body_mut() = aws_smithy_types::body::SdkBody::from(body);
        req.headers_mut().insert("content-length", body.len().to_string());
    };
    let doc = tagging(&[("a", "1")]);
    match key {
        Some(k) => c
            .put_object_tagging()
            .bucket(b)
            .key(k)
            .tagging(doc)
            .customize()
            .mutate_request(swap)
            .send()
            .await
            .err()
            .and_then(|e| code(&e)),
        None => c
            .put_bucket_tagging()
            .bucket(b)
            .tagging(doc)
            .customize()
            .mutate_request(swap)
            .send()
            .await
            .err()
            .and_then(|e| code(&e)),
    }
}

#[actix_web::test]
async fn malformed_and_missing_tagging_documents() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("tagxml");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("k")
        .tagging("keep=me")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    for key in [Some("k"), None] {
        for (body, want) in [
            ("<Tagging><TagSet>", "MalformedXML"),
            ("<Tagging></Tagging>", "MalformedXML"),
            (
                "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
                "MalformedXML",
            ),
            ("<Tags><TagSet></TagSet></Tags>", "MalformedXML"),
            ("", "MissingRequestBodyError"),
        ] {
            assert_eq!(
                put_raw(&c, &b, key, body).await.as_deref(),
                Some(want),
                "{key:?} {body}"
            );
        }
    }
    assert_eq!(
        tags_of(&c, &b, "k").await,
        pairs(&[("keep", "me")]),
        "refusals change nothing"
    );
    let e = c.get_bucket_tagging().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchTagSet"));
    // The swapped request itself works: the refusals were about the documents.
    let good = "<Tagging><TagSet><Tag><Key>raw</Key><Value>ok</Value></Tag></TagSet></Tagging>";
    assert_eq!(put_raw(&c, &b, Some("k"), good).await, None);
    assert_eq!(tags_of(&c, &b, "k").await, pairs(&[("raw", "ok")]));
    gw.stop().await;
}
