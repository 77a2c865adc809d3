//! Listings and DeleteObjects through the SDK, checked against a model of S3 order.

use std::collections::BTreeSet;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::common::{bucket, code, Gw};

const KEYS: &[&str] = &[
    "a", "a-b", "a.b", "a/", "a/b", "a/b/c", "a/c", "a0", "b", "b/x/y", "é", "日本", "z z", "z+z", "100%",
];

async fn setup(gw: &Gw, tag: &str) -> (aws_sdk_s3::Client, String) {
    let c = gw.client();
    let b = bucket(tag);
    c.create_bucket().bucket(&b).send().await.unwrap();
    for k in KEYS {
        c.put_object()
            .bucket(&b)
            .key(*k)
            .body(k.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    (c, b)
}

/// The model: keys and common prefixes for a prefix and delimiter, in byte order.
fn model(prefix: &str, delim: Option<&str>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for k in KEYS.iter().filter(|k| k.starts_with(prefix)) {
        match delim.and_then(|d| k[prefix.len()..].find(d).map(|i| i + prefix.len() + d.len())) {
            Some(end) => out.insert(k[..end].to_owned()),
            None => out.insert((*k).to_owned()),
        };
    }
    out.into_iter().collect()
}

#[actix_web::test]
async fn v2_pagination_with_delimiters_matches_the_model() {
    let gw = Gw::start().await;
    let (c, b) = setup(&gw, "lv2").await;
    for (prefix, delim) in [
        ("", None),
        ("", Some("/")),
        ("a", Some("/")),
        ("a/", Some("/")),
        ("a", Some("-")),
        ("", Some("b")),
        ("z", None),
    ] {
        for max in [1, 2, 3, 1000] {
            let mut got = Vec::new();
            let mut token = None;
            loop {
                let mut r = c.list_objects_v2().bucket(&b).prefix(prefix).max_keys(max);
                if let Some(d) = delim {
                    r = r.delimiter(d);
                }
                if let Some(t) = token.take() {
                    r = r.continuation_token(t);
                }
                let page = r.send().await.unwrap();
                let n = page.contents().len() + page.common_prefixes().len();
                assert!(n <= max as usize);
                assert_eq!(page.key_count(), Some(n as i32));
                let mut entries: Vec<String> = page
                    .contents()
                    .iter()
                    .map(|o| o.key().unwrap().to_owned())
                    .collect();
                entries.extend(
                    page.common_prefixes()
                        .iter()
                        .map(|p| p.prefix().unwrap().to_owned()),
                );
                entries.sort();
                got.extend(entries);
                if page.is_truncated() != Some(true) {
                    break;
                }
                token = page.next_continuation_token().map(str::to_owned);
                assert!(token.is_some(), "truncated page without a token");
            }
            assert_eq!(
                got,
                model(prefix, delim),
                "prefix {prefix:?} delimiter {delim:?} max {max}"
            );
        }
    }
    // max-keys 0: nothing, not truncated (SDK paginators would loop otherwise).
    let z = c.list_objects_v2().bucket(&b).max_keys(0).send().await.unwrap();
    assert_eq!((z.contents().len(), z.is_truncated()), (0, Some(false)));
    // start-after
    let s = c
        .list_objects_v2()
        .bucket(&b)
        .start_after("a0")
        .send()
        .await
        .unwrap();
    assert_eq!(s.contents().first().and_then(|o| o.key()), Some("b"));
    let e = c
        .list_objects_v2()
        .bucket(&b)
        .continuation_token("!!!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidArgument"));
    gw.stop().await;
}

#[actix_web::test]
async fn v1_markers_versions_and_url_encoding() {
    let gw = Gw::start().await;
    let (c, b) = setup(&gw, "lv1").await;
    let mut got = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut r = c.list_objects().bucket(&b).delimiter("/").max_keys(2);
        if let Some(m) = marker.take() {
            r = r.marker(m);
        }
        let page = r.send().await.unwrap();
        got.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
        got.extend(
            page.common_prefixes()
                .iter()
                .map(|p| p.prefix().unwrap().to_owned()),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        marker = page.next_marker().map(str::to_owned);
        assert!(marker.is_some(), "v1 with a delimiter must send NextMarker");
    }
    got.sort();
    assert_eq!(got, model("", Some("/")));

    // encoding-type=url: keys come back percent-encoded, a space as %20 (so percent- and
    // form-decoders both read it back); the Rust SDK hands them over as sent (botocore
    // decodes them itself).
    let l = c
        .list_objects_v2()
        .bucket(&b)
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        l.encoding_type().map(aws_sdk_s3::types::EncodingType::as_str),
        Some("url")
    );
    let raw: BTreeSet<_> = l.contents().iter().map(|o| o.key().unwrap().to_owned()).collect();
    for enc in [
        "z%2Bz",
        "z%20z",
        "100%25",
        "%E6%97%A5%E6%9C%AC",
        "%C3%A9",
        "a/b/c",
    ] {
        assert!(raw.contains(enc), "{enc} missing from {raw:?}");
    }
    let decoded: BTreeSet<String> = raw
        .iter()
        .map(|k| {
            percent_encoding::percent_decode_str(k)
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(decoded, KEYS.iter().map(|k| (*k).to_owned()).collect());

    // Which fields each listing encodes. v1: Prefix comes back as sent (botocore does not
    // decode it there), Delimiter, Marker and keys encoded.
    let url = aws_sdk_s3::types::EncodingType::Url;
    let v1 = c
        .list_objects()
        .bucket(&b)
        .prefix("z ")
        .marker("z ")
        .delimiter(" ")
        .encoding_type(url.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(v1.prefix(), Some("z "));
    assert_eq!(v1.marker(), Some("z%20"));
    assert_eq!(v1.delimiter(), Some("%20"));
    let keys: Vec<_> = v1.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["z%20z"]);
    // v2: Prefix, StartAfter, Delimiter, keys and common prefixes encoded.
    let v2 = c
        .list_objects_v2()
        .bucket(&b)
        .prefix("z")
        .start_after("z ")
        .delimiter("+")
        .encoding_type(url.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(v2.prefix(), Some("z"));
    assert_eq!(v2.start_after(), Some("z%20"));
    assert_eq!(v2.delimiter(), Some("%2B"));
    let keys: Vec<_> = v2.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["z%20z"]);
    let cps: Vec<_> = v2.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(cps, ["z%2B"]);
    // ListObjectVersions: Prefix, KeyMarker and keys encoded.
    let v = c
        .list_object_versions()
        .bucket(&b)
        .prefix("z ")
        .key_marker("z ")
        .encoding_type(url)
        .send()
        .await
        .unwrap();
    assert_eq!(v.prefix(), Some("z%20"));
    assert_eq!(v.key_marker(), Some("z%20"));
    let keys: Vec<_> = v.versions().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["z%20z"]);

    let v = c.list_object_versions().bucket(&b).send().await.unwrap();
    assert_eq!(v.versions().len(), KEYS.len());
    assert!(v
        .versions()
        .iter()
        .all(|x| x.version_id() == Some("null") && x.is_latest() == Some(true)));
    gw.stop().await;
}

#[actix_web::test]
async fn delete_objects_quiet_and_verbose() {
    let gw = Gw::start().await;
    let (c, b) = setup(&gw, "ldel").await;
    let ids = |keys: &[&str]| {
        keys.iter()
            .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
            .collect::<Vec<_>>()
    };
    let out = c
        .delete_objects()
        .bucket(&b)
        .delete(
            Delete::builder()
                .set_objects(Some(ids(&["a", "a/b", "never-existed"])))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 3);
    assert!(out.errors().is_empty());
    let with_version = vec![
        ObjectIdentifier::builder()
            .key("b")
            .version_id("null")
            .build()
            .unwrap(),
        ObjectIdentifier::builder()
            .key("a0")
            .version_id("v123")
            .build()
            .unwrap(),
    ];
    let out = c
        .delete_objects()
        .bucket(&b)
        .delete(
            Delete::builder()
                .set_objects(Some(with_version))
                .quiet(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(out.deleted().is_empty(), "quiet mode lists only errors");
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("NoSuchVersion"));
    let left: BTreeSet<String> = c
        .list_objects_v2()
        .bucket(&b)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    for gone in ["a", "a/b", "b"] {
        assert!(!left.contains(gone), "{gone} still listed");
    }
    assert!(left.contains("a0") && left.contains("a/c"));
    let too_many = (0..1001)
        .map(|i| ObjectIdentifier::builder().key(format!("k{i}")).build().unwrap())
        .collect();
    let e = c
        .delete_objects()
        .bucket(&b)
        .delete(Delete::builder().set_objects(Some(too_many)).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("MalformedXML"));
    gw.stop().await;
}
