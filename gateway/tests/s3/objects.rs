//! Object operations through the SDK: bytes, metadata, MIME types, ranges, conditions.

use aws_sdk_s3::primitives::ByteStream;

use crate::common::{bucket, code, data, Gw};

async fn get_bytes(c: &aws_sdk_s3::Client, b: &str, k: &str) -> Vec<u8> {
    let o = c
        .get_object()
        .bucket(b)
        .key(k)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {k}: {e:?}"));
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

#[actix_web::test]
async fn put_get_round_trip_sizes_and_hostile_keys() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("rt");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let long = "k".repeat(1024);
    let keys = [
        "a b",
        "a+b",
        "100%",
        "&+-é\"",
        "日本語/ファイル",
        "a/b/../c",
        "dir/",
        "a",
        "a/b",
        &long,
    ];
    for (i, k) in keys.iter().enumerate() {
        let body = data(i * 37, i as u64);
        c.put_object()
            .bucket(&b)
            .key(*k)
            .body(body.clone().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {k}: {e:?}"));
        assert_eq!(get_bytes(&c, &b, k).await, body, "key {k:?}");
    }
    for (len, seed) in [(0usize, 1u64), (1, 2), ((1 << 20) + 1, 3), (20 << 20, 4)] {
        let body = data(len, seed);
        let k = format!("size-{len}");
        let put = c
            .put_object()
            .bucket(&b)
            .key(&k)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        let md5 = format!("\"{:x}\"", md5_of(&body));
        assert_eq!(put.e_tag(), Some(md5.as_str()));
        let got = get_bytes(&c, &b, &k).await;
        assert_eq!(got.len(), len);
        assert!(got == body, "{len}-byte object differs");
        let head = c.head_object().bucket(&b).key(&k).send().await.unwrap();
        assert_eq!(head.content_length(), Some(len as i64));
        assert_eq!(head.e_tag(), Some(md5.as_str()));
    }
    gw.stop().await;
}

fn md5_of(b: &[u8]) -> u128 {
    use md5::{Digest, Md5};
    u128::from_be_bytes(Md5::digest(b).into())
}

#[actix_web::test]
async fn content_types_and_metadata() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("mime");
    c.create_bucket().bucket(&b).send().await.unwrap();
    // The SDK sends `application/octet-stream` when it is given no type: a key with a known
    // extension is then served with the guessed type, one without keeps what was sent.
    for (k, want) in [
        ("x.html", "text/html"),
        ("x.png", "image/png"),
        ("x.json", "application/json"),
        ("noext", "application/octet-stream"),
    ] {
        c.put_object()
            .bucket(&b)
            .key(k)
            .body(b"{}".to_vec().into())
            .send()
            .await
            .unwrap();
        let h = c.head_object().bucket(&b).key(k).send().await.unwrap();
        assert_eq!(h.content_type(), Some(want), "{k}");
    }
    c.put_object()
        .bucket(&b)
        .key("meta.bin")
        .content_type("text/x-custom")
        .cache_control("max-age=60")
        .content_disposition("attachment; filename=\"m.bin\"")
        .content_language("fr")
        .metadata("color", "blue")
        .metadata("Mixed-Case", "v")
        .body(b"m".to_vec().into())
        .send()
        .await
        .unwrap();
    let h = c.head_object().bucket(&b).key("meta.bin").send().await.unwrap();
    assert_eq!(h.content_type(), Some("text/x-custom"));
    assert_eq!(h.cache_control(), Some("max-age=60"));
    assert_eq!(h.content_disposition(), Some("attachment; filename=\"m.bin\""));
    assert_eq!(h.content_language(), Some("fr"));
    let m = h.metadata().unwrap();
    assert_eq!(m.get("color").map(String::as_str), Some("blue"));
    assert_eq!(m.get("mixed-case").map(String::as_str), Some("v"));
    let g = c
        .get_object()
        .bucket(&b)
        .key("meta.bin")
        .response_content_type("application/x-over")
        .send()
        .await
        .unwrap();
    assert_eq!(g.content_type(), Some("application/x-over"));
    gw.stop().await;
}

#[actix_web::test]
async fn ranges_and_conditions() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("range");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let body = data(3 << 20, 9);
    let put = c
        .put_object()
        .bucket(&b)
        .key("r")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_owned();
    for (range, start, end) in [
        ("bytes=0-9", 0, 10),
        ("bytes=100-", 100, body.len()),
        ("bytes=-5", body.len() - 5, body.len()),
        ("bytes=1048570-2097160", 1_048_570, 2_097_161),
    ] {
        let o = c
            .get_object()
            .bucket(&b)
            .key("r")
            .range(range)
            .send()
            .await
            .unwrap();
        assert_eq!(o.content_length(), Some((end - start) as i64), "{range}");
        let got = o.body.collect().await.unwrap().into_bytes();
        assert!(got[..] == body[start..end], "{range}");
    }
    let e = c
        .get_object()
        .bucket(&b)
        .key("r")
        .range("bytes=99999999-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRange"));

    let e = c
        .get_object()
        .bucket(&b)
        .key("r")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("PreconditionFailed"));
    c.get_object()
        .bucket(&b)
        .key("r")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    let e = c
        .get_object()
        .bucket(&b)
        .key("r")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(304));
    // A 304 carries what a cache revalidates with, and no body.
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.headers().get("etag"), Some(etag.as_str()));
    assert!(raw.headers().get("last-modified").is_some(), "{raw:?}");
    assert!(raw.body().bytes().is_none_or(<[u8]>::is_empty), "{raw:?}");
    let e = c
        .head_object()
        .bucket(&b)
        .key("r")
        .if_modified_since(aws_smithy_types::DateTime::from_secs(4_000_000_000))
        .send()
        .await
        .unwrap_err();
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 304);
    assert_eq!(raw.headers().get("etag"), Some(etag.as_str()));
    assert!(raw.headers().get("last-modified").is_some(), "{raw:?}");
    // ?partNumber= on a single-part object: 1 is the whole object, 2 is InvalidPartNumber.
    let p1 = c
        .get_object()
        .bucket(&b)
        .key("r")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(p1.parts_count(), Some(1));
    for head in [false, true] {
        let status = if head {
            c.head_object()
                .bucket(&b)
                .key("r")
                .part_number(2)
                .send()
                .await
                .unwrap_err()
                .raw_response()
                .map(|r| r.status().as_u16())
        } else {
            let e = c
                .get_object()
                .bucket(&b)
                .key("r")
                .part_number(2)
                .send()
                .await
                .unwrap_err();
            assert_eq!(code(&e).as_deref(), Some("InvalidPartNumber"));
            e.raw_response().map(|r| r.status().as_u16())
        };
        assert_eq!(status, Some(400), "head: {head}");
    }
    let past = aws_smithy_types::DateTime::from_secs(1_000_000_000);
    let e = c
        .get_object()
        .bucket(&b)
        .key("r")
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("PreconditionFailed"));
    c.get_object()
        .bucket(&b)
        .key("r")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();

    // Conditional writes.
    let e = c
        .put_object()
        .bucket(&b)
        .key("r")
        .if_none_match("*")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("PreconditionFailed"));
    c.put_object()
        .bucket(&b)
        .key("new")
        .if_none_match("*")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = c
        .put_object()
        .bucket(&b)
        .key("r")
        .if_match("\"0123\"")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("PreconditionFailed"));
    assert!(
        get_bytes(&c, &b, "r").await == body,
        "failed conditional writes must not change the object"
    );
    gw.stop().await;
}

#[actix_web::test]
async fn missing_things_and_deletes() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("miss");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let e = c.get_object().bucket(&b).key("nope").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    let e = c.head_object().bucket(&b).key("nope").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
    let e = c
        .get_object()
        .bucket("no-such-bucket-x")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucket"));
    // Deleting what is not there is a success.
    c.delete_object().bucket(&b).key("nope").send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("gone")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    c.delete_object().bucket(&b).key("gone").send().await.unwrap();
    let e = c.get_object().bucket(&b).key("gone").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    gw.stop().await;
}

#[actix_web::test]
async fn digests_are_checked_and_bad_bodies_store_nothing() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("digest");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let put = |md5: Option<&str>, crc: Option<&str>| {
        let mut r = c
            .put_object()
            .bucket(&b)
            .key("d")
            .body(ByteStream::from_static(b"digest me"));
        if let Some(m) = md5 {
            r = r.content_md5(m);
        }
        if let Some(x) = crc {
            r = r.checksum_crc32(x);
        }
        r.send()
    };
    let e = put(Some("AAAAAAAAAAAAAAAAAAAAAA=="), None).await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BadDigest"));
    let e = put(Some("not-base64!"), None).await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidDigest"));
    let e = put(None, Some("AAAAAA==")).await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("BadDigest"));
    let e = c.head_object().bucket(&b).key("d").send().await.unwrap_err();
    assert_eq!(
        e.raw_response().map(|r| r.status().as_u16()),
        Some(404),
        "a rejected body must not be stored"
    );
    // The right values are accepted, and the checksum comes back when asked for.
    let md5 = base64_md5(b"digest me");
    let crc = {
        let mut h = crc32fast::Hasher::new();
        h.update(b"digest me");
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            h.finalize().to_be_bytes(),
        )
    };
    put(Some(&md5), Some(&crc)).await.unwrap();
    let h = c
        .head_object()
        .bucket(&b)
        .key("d")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(h.checksum_crc32(), Some(crc.as_str()));
    gw.stop().await;
}

fn base64_md5(b: &[u8]) -> String {
    use md5::{Digest, Md5};
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, Md5::digest(b))
}

#[actix_web::test]
async fn if_none_match_race_has_exactly_one_winner() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("race");
    c.create_bucket().bucket(&b).send().await.unwrap();
    for round in 0..3 {
        let key = format!("race-{round}");
        let writers: Vec<_> = (0..8u64)
            .map(|i| {
                let (c, b, key) = (c.clone(), b.clone(), key.clone());
                tokio::spawn(async move {
                    c.put_object()
                        .bucket(&b)
                        .key(&key)
                        .if_none_match("*")
                        .body(data(100_000, i).into())
                        .send()
                        .await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for (i, w) in writers.into_iter().enumerate() {
            match w.await.unwrap() {
                Ok(_) => winners.push(i as u64),
                Err(e) => assert_eq!(code(&e).as_deref(), Some("PreconditionFailed"), "{e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        // The stored bytes are the winner's.
        assert!(
            get_bytes(&c, &b, &key).await == data(100_000, winners[0]),
            "round {round}"
        );
    }
    gw.stop().await;
}

/// The upload budget (4 MiB in test gateways): uploads larger than all of it, several at once,
/// and one cut short by its client all complete or fail cleanly, and every byte of the budget
/// comes back afterwards (a leak would stall all uploads once the budget ran dry).
#[actix_web::test]
async fn upload_budget_is_shared_and_always_returned() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("budget");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let admin = gw.admin.clone();
    let budget = |kind: &'static str| {
        let admin = admin.clone();
        async move {
            let (status, page) =
                tokio::task::spawn_blocking(move || crate::common::http_get(&admin, "/metrics"))
                    .await
                    .unwrap();
            assert_eq!(status, 200);
            let line = format!("glusters3_upload_budget_bytes{{kind=\"{kind}\"}} ");
            page.lines()
                .find_map(|l| l.strip_prefix(line.as_str()))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no {line} in /metrics:\n{page}"))
        }
    };
    let total = budget("total").await;
    assert_eq!(total, 4 << 20);

    // Six uploads of 9 MiB + 1 at once: 13.5 x the budget in flight.
    let puts = (0..6u64).map(|i| {
        let (c, b) = (c.clone(), b.clone());
        tokio::spawn(async move {
            let body = data((9 << 20) + 1, i);
            let put = c
                .put_object()
                .bucket(&b)
                .key(format!("big-{i}"))
                .body(ByteStream::from(body.clone()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PUT big-{i}: {e:?}"));
            assert_eq!(put.e_tag(), Some(format!("\"{:x}\"", md5_of(&body)).as_str()));
            body
        })
    });
    // A leaked budget shows as uploads that never finish: bound the wait.
    let bodies: Vec<Vec<u8>> = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        futures_util::future::join_all(puts),
    )
    .await
    .expect("uploads stalled: the upload budget is not being returned")
    .into_iter()
    .map(Result::unwrap)
    .collect();
    for (i, body) in bodies.iter().enumerate() {
        assert!(
            get_bytes(&c, &b, &format!("big-{i}")).await == *body,
            "big-{i} differs"
        );
    }

    // A presigned PUT that announces 8 MiB, sends 3 MiB and hangs up: no object, budget back.
    let url = c
        .put_object()
        .bucket(&b)
        .key("cut")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(600))
                .unwrap(),
        )
        .await
        .unwrap()
        .uri()
        .to_owned();
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let port = host.rsplit_once(':').unwrap().1.to_owned();
    let (host, path) = (host.to_owned(), format!("/{path}"));
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
            8 << 20
        );
        s.write_all(head.as_bytes()).unwrap();
        for _ in 0..3 {
            s.write_all(&vec![5u8; 1 << 20]).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    })
    .await
    .unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let free = budget("available").await;
        if free == total {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "upload budget not returned: {free} of {total} bytes free"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let e = c.head_object().bucket(&b).key("cut").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NotFound"));
    gw.stop().await;
}

#[actix_web::test]
async fn keys_that_are_not_utf8_are_invalid_uri_never_404() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("badutf8");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let port = gw.endpoint.rsplit_once(':').unwrap().1.to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/{b}/%FF"),
        format!("http://127.0.0.1:{port}/{b}/dir/a%C3%28"),
        format!("http://{b}.localhost:{port}/%E6%97"),
    ] {
        let (status, body) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || crate::common::http_get_url(&url)
        })
        .await
        .unwrap();
        assert_eq!(status, 400, "{url}: {body}");
        assert!(body.contains("<Code>InvalidURI</Code>"), "{url}: {body}");
        assert!(
            body.contains("<Message>Couldn&apos;t parse the specified URI.</Message>")
                || body.contains("<Message>Couldn't parse the specified URI.</Message>"),
            "{url}: {body}"
        );
    }
    // The copy source header, for CopyObject and UploadPartCopy.
    let e = c
        .copy_object()
        .bucket(&b)
        .key("dst")
        .copy_source(format!("{b}/%FF"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidURI"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("mp")
        .send()
        .await
        .unwrap();
    let e = c
        .upload_part_copy()
        .bucket(&b)
        .key("mp")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .copy_source(format!("/{b}/a%C3%28"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidURI"));
    gw.stop().await;
}
