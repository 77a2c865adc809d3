//! Hostile and broken clients on the data path: uploads that stall or hang up mid-body, bodies
//! framed with HTTP chunked encoding or not framed at all. Raw requests go over plain TCP,
//! signed as presigned URLs (UNSIGNED-PAYLOAD) made by the SDK.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;

use crate::common::{bucket, data, volume, Gw};

/// A presigned PUT of `key`: (address to connect to, Host header, path and query).
async fn presigned_put(c: &aws_sdk_s3::Client, b: &str, key: &str) -> (String, String, String) {
    let url = c
        .put_object()
        .bucket(b)
        .key(key)
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_owned();
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let port = host.rsplit_once(':').unwrap().1;
    (format!("127.0.0.1:{port}"), host.to_owned(), format!("/{path}"))
}

/// Reads what the server sends until it closes the connection (bounded): (status, whole text).
fn read_response(s: &mut std::net::TcpStream) -> (u16, String) {
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

/// The temp files (`.tmp.*`) under a blob root on the volume.
fn tmp_files(root: &str) -> Vec<String> {
    crate::common::volume_files(&volume(), root)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.rsplit('/').next().is_some_and(|n| n.starts_with(".tmp.")))
        .collect()
}

/// Waits (bounded) until no temp file remains under `root`.
async fn wait_no_tmp(root: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = root.to_owned();
        let left = tokio::task::spawn_blocking(move || tmp_files(&r)).await.unwrap();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "temp files left behind: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One gauge of `glusters3_upload_budget_bytes`.
async fn budget(admin: &str, kind: &str) -> u64 {
    let admin = admin.to_owned();
    let (status, page) = tokio::task::spawn_blocking(move || crate::common::http_get(&admin, "/metrics"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let line = format!("glusters3_upload_budget_bytes{{kind=\"{kind}\"}} ");
    page.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no {line} in /metrics:\n{page}"))
}

/// Waits (bounded) until no body holds any of the upload budget.
async fn wait_budget_full(admin: &str) {
    let total = budget(admin, "total").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let free = budget(admin, "available").await;
        if free == total {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "upload budget not returned: {free} of {total} bytes free"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// 20 uploads that announce 8 MiB, send 1 MiB and go silent (5 x the test gateway's 4 MiB
/// budget) neither hold the budget hostage nor their connections forever: SDK PUTs of 1 KiB
/// and 4 MiB succeed while they hang, then each stalled one gets 400 RequestTimeout and its
/// connection closed, no temp file remains and the whole budget is free again.
#[actix_web::test]
async fn stalled_uploads_time_out_and_do_not_block_other_puts() {
    let timeout = Duration::from_secs(8);
    let gw = Gw::start_with(|c| c.body_read_timeout = timeout).await;
    let c = gw.client();
    let b = bucket("stall");
    c.create_bucket().bucket(&b).send().await.unwrap();

    let mut stalled = Vec::new();
    for i in 0..20 {
        let (addr, host, path) = presigned_put(&c, &b, &format!("stalled-{i}")).await;
        stalled.push(tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            let head = format!(
                "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
                8 << 20
            );
            s.write_all(head.as_bytes()).unwrap();
            s.write_all(&vec![7u8; 1 << 20]).unwrap();
            // Silent from here on; the socket stays open until the server closes it.
            let answer = read_response(&mut s);
            (answer, Instant::now())
        }));
    }

    // Other uploads go through while those hang.
    let started = Instant::now();
    for (key, len) in [("small", 1024usize), ("large", 4 << 20)] {
        let body = data(len, len as u64);
        let put = c
            .put_object()
            .bucket(&b)
            .key(key)
            .body(ByteStream::from(body))
            .send();
        let Ok(done) = tokio::time::timeout(Duration::from_secs(60), put).await else {
            panic!("PUT {key} hung behind the stalled uploads");
        };
        done.unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
    }
    let puts_done = Instant::now();

    for h in stalled {
        let ((status, text), answered) = h.await.unwrap();
        assert_eq!(status, 400, "a stalled upload is refused: {text}");
        assert!(text.contains("<Code>RequestTimeout</Code>"), "{text}");
        assert!(
            answered > puts_done,
            "the other PUTs (done after {:?}) only went through once the stalled ones had timed out",
            puts_done.duration_since(started)
        );
    }
    wait_no_tmp(&gw.blob_root).await;
    wait_budget_full(&gw.admin).await;
    for i in 0..20 {
        let e = c
            .head_object()
            .bucket(&b)
            .key(format!("stalled-{i}"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(crate::common::code(&e).as_deref(), Some("NotFound"));
    }
    gw.stop().await;
}

/// A PUT whose client hangs up mid-body, or whose body fails its Content-MD5, leaves no temp
/// file behind (without waiting for the sweep) and no object.
#[actix_web::test]
async fn put_cut_mid_body_leaves_no_temp_file() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("cut");
    c.create_bucket().bucket(&b).send().await.unwrap();
    for (i, sent) in [(0, 100 << 10), (1, 3 << 20)] {
        let (addr, host, path) = presigned_put(&c, &b, &format!("cut-{i}")).await;
        let sock = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            let head = format!(
                "PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
                8 << 20
            );
            s.write_all(head.as_bytes()).unwrap();
            s.write_all(&vec![9u8; sent]).unwrap();
            s
        })
        .await
        .unwrap();
        // The upload is under way (its temp file exists) before its client hangs up.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = gw.blob_root.clone();
            if !tokio::task::spawn_blocking(move || tmp_files(&r))
                .await
                .unwrap()
                .is_empty()
            {
                break;
            }
            assert!(Instant::now() < deadline, "the upload never started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(sock);
        wait_no_tmp(&gw.blob_root).await;
    }
    // A body that does not match its Content-MD5: BadDigest, and its temp file went with it.
    let e = c
        .put_object()
        .bucket(&b)
        .key("cut-2")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==") // MD5 of nothing
        .body(ByteStream::from(data(2 << 20, 5)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::common::code(&e).as_deref(), Some("BadDigest"));
    wait_no_tmp(&gw.blob_root).await;
    wait_budget_full(&gw.admin).await;
    for i in 0..3 {
        let e = c
            .head_object()
            .bucket(&b)
            .key(format!("cut-{i}"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(crate::common::code(&e).as_deref(), Some("NotFound"));
    }
    gw.stop().await;
}

/// Sends `head` and `body` on a new connection and reads the answer until the server closes.
fn raw_request(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_response(&mut s)
}

/// HTTP chunked framing without Content-Length (curl `-T -`): a PUT and an UploadPart are
/// streamed and stored; with neither Content-Length nor chunked framing they are refused with
/// 411 MissingContentLength.
#[actix_web::test]
async fn chunked_puts_are_streamed_and_unframed_ones_need_a_length() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("chunked");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let payload = data(3 << 20, 11);
    let mut framed = Vec::new();
    for piece in payload.chunks(700_000) {
        framed.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        framed.extend_from_slice(piece);
        framed.extend_from_slice(b"\r\n");
    }
    framed.extend_from_slice(b"0\r\n\r\n");

    let (addr, host, path) = presigned_put(&c, &b, "streamed").await;
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let f = framed.clone();
    let (status, text) = tokio::task::spawn_blocking(move || raw_request(&addr, &head, &f))
        .await
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let got = c.get_object().bucket(&b).key("streamed").send().await.unwrap();
    assert_eq!(got.content_length(), Some(payload.len() as i64));
    assert!(got.body.collect().await.unwrap().into_bytes() == payload);

    // Neither Content-Length nor chunked: 411, and nothing stored.
    let (addr, host, path) = presigned_put(&c, &b, "unframed").await;
    let head = format!("PUT {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (status, text) = tokio::task::spawn_blocking(move || raw_request(&addr, &head, b""))
        .await
        .unwrap();
    assert_eq!(status, 411, "{text}");
    assert!(text.contains("<Code>MissingContentLength</Code>"), "{text}");
    assert!(c.head_object().bucket(&b).key("unframed").send().await.is_err());

    // UploadPart: the same two cases.
    let up = c
        .create_multipart_upload()
        .bucket(&b)
        .key("mp")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    for (n, chunked) in [(1, true), (2, false)] {
        let url = c
            .upload_part()
            .bucket(&b)
            .key("mp")
            .upload_id(&id)
            .part_number(n)
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600)).unwrap(),
            )
            .await
            .unwrap()
            .uri()
            .to_owned();
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap();
        let addr = format!("127.0.0.1:{}", host.rsplit_once(':').unwrap().1);
        let te = if chunked {
            "Transfer-Encoding: chunked\r\n"
        } else {
            ""
        };
        let head = format!("PUT /{path} HTTP/1.1\r\nHost: {host}\r\n{te}Connection: close\r\n\r\n");
        let body = if chunked { framed.clone() } else { Vec::new() };
        let (status, text) = tokio::task::spawn_blocking(move || raw_request(&addr, &head, &body))
            .await
            .unwrap();
        if chunked {
            assert_eq!(status, 200, "{text}");
        } else {
            assert_eq!(status, 411, "{text}");
            assert!(text.contains("<Code>MissingContentLength</Code>"), "{text}");
        }
    }
    let parts = c
        .list_parts()
        .bucket(&b)
        .key("mp")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let sizes: Vec<_> = parts
        .parts()
        .iter()
        .map(|p| (p.part_number(), p.size()))
        .collect();
    assert_eq!(sizes, [(Some(1), Some(payload.len() as i64))]);
    gw.stop().await;
}

/// ERROR events of actix-http's targets, recorded by the test binary's global subscriber.
#[derive(Clone, Default)]
struct ActixErrors(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ActixErrors {
    fn on_event(&self, event: &tracing::Event<'_>, _cx: tracing_subscriber::layer::Context<'_, S>) {
        let m = event.metadata();
        if *m.level() == tracing::Level::ERROR && m.target().starts_with("actix_http") {
            self.0.lock().unwrap().push(format!("{} {:?}", m.target(), event));
        }
    }
}

/// Malformed HTTP (duplicated Content-Length, Content-Length with chunked, obs-fold, a bare
/// CR, a 64 KiB URI) is answered 400 by actix, logged below ERROR (the gateway's log setup,
/// `gateway::logging`), and the gateway keeps serving.
#[actix_web::test]
async fn malformed_http_is_not_logged_as_a_server_error() {
    use tracing_subscriber::prelude::*;
    let errors = ActixErrors::default();
    let sub = tracing_subscriber::registry()
        .with(gateway::logging::ClientFaults)
        .with(errors.clone());
    tracing::subscriber::set_global_default(sub).expect("no other test installs a subscriber");

    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("malformed");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let addr = gw.endpoint.trim_start_matches("http://").to_owned();
    let long_uri = format!("/{b}/{}", "a".repeat(64 << 10));
    let requests: Vec<Vec<u8>> = vec![
        format!("PUT /{b}/k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").into_bytes(),
        format!("PUT /{b}/k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            .into_bytes(),
        format!("GET /{b}/k HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n").into_bytes(),
        format!("GET /{b}/k HTTP/1.1\r\nHost: x\rX-B: b\r\n\r\n").into_bytes(),
        format!("GET {long_uri} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
    ];
    for req in requests {
        let a = addr.clone();
        let (status, text) = tokio::task::spawn_blocking(move || raw_request(&a, "", &req))
            .await
            .unwrap();
        assert!((400..500).contains(&status), "{status}: {text}");
    }
    // Still serving.
    c.put_object()
        .bucket(&b)
        .key("after")
        .body(ByteStream::from_static(b"still here"))
        .send()
        .await
        .unwrap();
    let seen = errors.0.lock().unwrap().clone();
    assert!(seen.is_empty(), "client faults logged at ERROR: {seen:#?}");
    gw.stop().await;
}

/// A PUT with 150 small user metadata entries (one header each, about 600 bytes in all: more
/// headers than actix-http's stock limit of 96, within AWS's 2 KB) is stored and returned
/// whole; more than 2 KB of metadata is 400 MetadataTooLarge.
#[actix_web::test]
async fn many_metadata_headers_are_accepted_up_to_aws_limit() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("manyhdr");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let mut put = c
        .put_object()
        .bucket(&b)
        .key("k")
        .body(ByteStream::from_static(b"x"));
    for i in 0..150 {
        put = put.metadata(format!("m{i}"), "v");
    }
    put.send()
        .await
        .unwrap_or_else(|e| panic!("PUT with 150 metadata headers: {e:?}"));
    // Read back raw: the SDK's own HTTP client refuses a response with more than 100 headers.
    let url = c
        .get_object()
        .bucket(&b)
        .key("k")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_owned();
    let rest = url.trim_start_matches("http://").to_owned();
    let (host, path) = rest.split_once('/').unwrap();
    let addr = format!("127.0.0.1:{}", host.rsplit_once(':').unwrap().1);
    let head = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (status, text) = tokio::task::spawn_blocking(move || raw_request(&addr, &head, b""))
        .await
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let meta: Vec<&str> = text
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("x-amz-meta-"))
        .collect();
    assert_eq!(meta.len(), 150, "{text}");
    assert!(meta.iter().any(|l| l.eq_ignore_ascii_case("x-amz-meta-m149: v")));
    let mut put = c
        .put_object()
        .bucket(&b)
        .key("big")
        .body(ByteStream::from_static(b"x"));
    for i in 0..30 {
        put = put.metadata(format!("k{i:02}"), "v".repeat(70));
    }
    let e = put.send().await.unwrap_err();
    assert_eq!(crate::common::code(&e).as_deref(), Some("MetadataTooLarge"));
    gw.stop().await;
}
