//! Authentication through real clients: wrong keys, wrong secrets, presigned URLs (SigV4 and
//! SigV2), SigV2 header auth, unsigned `x-amz-*` headers, region-agnostic mode, and
//! non-ASCII metadata values. SigV2 requests are signed by hand here (the Rust SDK only speaks
//! SigV4) and sent over a plain TCP connection, byte for byte.

use std::io::{Read, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::presigning::PresigningConfig;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::Digest as _;

use crate::common::{bucket, code, http_get, http_get_url, Gw, AK, SK};

/// A response read off the wire: status, raw head lines, body.
struct Raw {
    status: u16,
    head: Vec<u8>,
    body: String,
}

impl Raw {
    /// The bytes of the first header called `name` (case-insensitive), as sent.
    fn header(&self, name: &str) -> Option<Vec<u8>> {
        self.head.split(|&b| b == b'\n').find_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            let (n, v) = line.split_at(colon);
            std::str::from_utf8(n)
                .ok()
                .filter(|n| n.eq_ignore_ascii_case(name))
                .map(|_| v[1..].trim_ascii().to_vec())
        })
    }

    fn code(&self) -> Option<&str> {
        let start = self.body.find("<Code>")? + "<Code>".len();
        let end = self.body[start..].find("</Code>")? + start;
        Some(&self.body[start..end])
    }
}

/// Sends one request to the gateway at `endpoint`: `target` is the path and query, `headers`
/// go out byte for byte (Host and Content-Length are added).
async fn send(endpoint: &str, method: &str, target: &str, headers: &[(&str, Vec<u8>)], body: &[u8]) -> Raw {
    send_host(endpoint, None, method, target, headers, body).await
}

async fn send_host(
    endpoint: &str,
    host: Option<&str>,
    method: &str,
    target: &str,
    headers: &[(&str, Vec<u8>)],
    body: &[u8],
) -> Raw {
    let addr = endpoint.trim_start_matches("http://").to_owned();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        host.unwrap_or(&addr)
    )
    .into_bytes();
    for (k, v) in headers {
        req.extend_from_slice(k.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(v);
        req.extend_from_slice(b"\r\n");
    }
    if method != "GET" && method != "HEAD" {
        req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    req.extend_from_slice(body);
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(&req).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(out.len());
        let head = out[..split].to_vec();
        let body = String::from_utf8_lossy(out.get(split + 4..).unwrap_or_default()).into_owned();
        let status = String::from_utf8_lossy(&head)
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Raw { status, head, body }
    })
    .await
    .unwrap()
}

/// base64(HMAC-SHA1(secret, string to sign)): AWS's SigV2 signature.
fn v2_signature(sk: &str, string_to_sign: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(string_to_sign);
    B64.encode(mac.finalize().into_bytes())
}

/// `Authorization` and `Date` for a SigV2 header-signed request. `amz` are the x-amz-* headers
/// as (lowercase name, value signed), already sorted; `resource` is `/bucket/key[?sub]`.
fn v2_headers(
    method: &str,
    content_type: &str,
    amz: &[(&str, &[u8])],
    resource: &str,
) -> Vec<(&'static str, Vec<u8>)> {
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mut sts = format!("{method}\n\n{content_type}\n{date}\n").into_bytes();
    for (k, v) in amz {
        sts.extend_from_slice(format!("{k}:").as_bytes());
        sts.extend_from_slice(v);
        sts.push(b'\n');
    }
    sts.extend_from_slice(resource.as_bytes());
    let mut h = vec![
        ("Date", date.into_bytes()),
        (
            "Authorization",
            format!("AWS {AK}:{}", v2_signature(SK, &sts)).into_bytes(),
        ),
    ];
    if !content_type.is_empty() {
        h.push(("Content-Type", content_type.as_bytes().to_vec()));
    }
    h
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A SigV2 presigned target: `path?AWSAccessKeyId=..&Expires=..&Signature=..`.
fn v2_presigned(method: &str, content_type: &str, path: &str, expires: u64) -> String {
    let sts = format!("{method}\n\n{content_type}\n{expires}\n{path}");
    let sig = v2_signature(SK, sts.as_bytes());
    let sig: String = url_encode(&sig);
    format!("{path}?AWSAccessKeyId={AK}&Expires={expires}&Signature={sig}")
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn wrong_key_and_wrong_secret() {
    let gw = Gw::start().await;
    let e = gw
        .client_as("NOSUCHKEY", "x", true)
        .list_buckets()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidAccessKeyId"));
    let e = gw
        .client_as(AK, "wrong-secret", true)
        .list_buckets()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("SignatureDoesNotMatch"));
    // No signature at all.
    let ep = gw.endpoint.clone();
    let (status, body) = tokio::task::spawn_blocking(move || http_get(&ep, "/"))
        .await
        .unwrap();
    assert_eq!(status, 403);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    gw.stop().await;
}

#[actix_web::test]
async fn presigned_get_and_put() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("presign");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("p q.txt")
        .body(b"presigned!".to_vec().into())
        .send()
        .await
        .unwrap();
    let req = c
        .get_object()
        .bucket(&b)
        .key("p q.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let uri = req.uri().to_owned();
    let u = uri.clone();
    let (status, body) = tokio::task::spawn_blocking(move || http_get_url(&u))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "presigned!"));

    // Tampering with the signed query fails.
    let bad = uri.replace("X-Amz-Expires=300", "X-Amz-Expires=301");
    let u = bad.clone();
    let (status, body) = tokio::task::spawn_blocking(move || http_get_url(&u))
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    // Longer than a week is refused when presigning (the SDK checks too, so check the server
    // with a hand-edited URL).
    let long = uri.replace("X-Amz-Expires=300", "X-Amz-Expires=604801");
    let u = long.clone();
    let (status, body) = tokio::task::spawn_blocking(move || http_get_url(&u))
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("AuthorizationQueryParametersError"), "{body}");
    gw.stop().await;
}

#[actix_web::test]
async fn virtual_host_style_works_like_path_style() {
    let gw = Gw::start().await;
    // A bucket name with dots: still one label of the virtual host, before the domain.
    let b = format!("dotted.{}", bucket("vhost"));
    let c = gw.client_as(AK, crate::common::SK, false);
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("dir/v h.txt")
        .body(b"vh".to_vec().into())
        .send()
        .await
        .unwrap();
    let got = c.get_object().bucket(&b).key("dir/v h.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"vh");
    let l = c
        .list_objects_v2()
        .bucket(&b)
        .prefix("dir/")
        .send()
        .await
        .unwrap();
    assert_eq!(l.contents().len(), 1);
    // And the path-style client sees the same bucket.
    let p = gw.client();
    p.head_object()
        .bucket(&b)
        .key("dir/v h.txt")
        .send()
        .await
        .unwrap();
    let e = c.get_object().bucket(&b).key("missing").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    gw.stop().await;
}

#[actix_web::test]
async fn sigv2_header_auth_put_get() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("v2hdr");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let ep = gw.endpoint.clone();
    // PUT with a content type and metadata, both signed.
    let mut h = v2_headers(
        "PUT",
        "text/plain",
        &[("x-amz-meta-who", b"v2")],
        &format!("/{b}/dir/a%20b.txt"),
    );
    h.push(("x-amz-meta-who", b"v2".to_vec()));
    let r = send(
        &ep,
        "PUT",
        &format!("/{b}/dir/a%20b.txt"),
        &h,
        b"signed the old way",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // GET back, path style and virtual-host style (the bucket comes from Host).
    let h = v2_headers("GET", "", &[], &format!("/{b}/dir/a%20b.txt"));
    let r = send(&ep, "GET", &format!("/{b}/dir/a%20b.txt"), &h, b"").await;
    assert_eq!((r.status, r.body.as_str()), (200, "signed the old way"));
    assert_eq!(r.header("x-amz-meta-who").as_deref(), Some(&b"v2"[..]));
    let port = ep.rsplit(':').next().unwrap();
    let vhost = format!("{b}.localhost:{port}");
    let r = send_host(&ep, Some(&vhost), "GET", "/dir/a%20b.txt", &h, b"").await;
    assert_eq!((r.status, r.body.as_str()), (200, "signed the old way"));
    // A sub-resource is signed: ?uploads in the resource.
    let h = v2_headers("GET", "", &[], &format!("/{b}/?uploads"));
    let r = send(&ep, "GET", &format!("/{b}/?uploads"), &h, b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The SDK sees the object.
    let o = c
        .head_object()
        .bucket(&b)
        .key("dir/a b.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(o.content_type(), Some("text/plain"));

    // Wrong signature: 403 SignatureDoesNotMatch with the string to sign, as text and bytes.
    let mut h = v2_headers("GET", "", &[], &format!("/{b}/other"));
    h[1].1 = format!("AWS {AK}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=").into_bytes();
    let r = send(&ep, "GET", &format!("/{b}/dir/a%20b.txt"), &h, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<StringToSignBytes>47 45 54 0a"), "{}", r.body);
    assert!(r.body.contains("<SignatureProvided>"), "{}", r.body);
    // An x-amz-* header added after signing is part of the string to sign: refused.
    let mut h = v2_headers("PUT", "", &[], &format!("/{b}/copy"));
    h.push(("x-amz-copy-source", format!("/{b}/dir/a%20b.txt").into_bytes()));
    let r = send(&ep, "PUT", &format!("/{b}/copy"), &h, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        r.body
    );
    // The body is not signed in SigV2, but a signed Content-MD5 is still checked.
    let md5 = B64.encode(md5::Md5::digest(b"expected"));
    let date = httpdate::fmt_http_date(SystemTime::now());
    let sts = format!("PUT\n{md5}\n\n{date}\n/{b}/md5");
    let h = [
        ("Date", date.into_bytes()),
        ("Content-MD5", md5.into_bytes()),
        (
            "Authorization",
            format!("AWS {AK}:{}", v2_signature(SK, sts.as_bytes())).into_bytes(),
        ),
    ];
    let r = send(&ep, "PUT", &format!("/{b}/md5"), &h, b"something else").await;
    assert_eq!((r.status, r.code()), (400, Some("BadDigest")), "{}", r.body);
    let r = send(&ep, "PUT", &format!("/{b}/md5"), &h, b"expected").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Unknown key; a date 20 minutes off.
    let mut h = v2_headers("GET", "", &[], &format!("/{b}/dir/a%20b.txt"));
    h[1].1 = b"AWS NOSUCHKEY:AAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_vec();
    let r = send(&ep, "GET", &format!("/{b}/dir/a%20b.txt"), &h, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("InvalidAccessKeyId")),
        "{}",
        r.body
    );
    let mut h = v2_headers("GET", "", &[], &format!("/{b}/dir/a%20b.txt"));
    h[0].1 = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(20 * 60)).into_bytes();
    let r = send(&ep, "GET", &format!("/{b}/dir/a%20b.txt"), &h, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("RequestTimeTooSkewed")),
        "{}",
        r.body
    );
    gw.stop().await;
}

#[actix_web::test]
async fn sigv2_presigned_get_put_and_expiry() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("v2pre");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let ep = gw.endpoint.clone();
    let expires = unix_now() + 300;
    let put = v2_presigned("PUT", "", &format!("/{b}/pre.bin"), expires);
    let r = send(&ep, "PUT", &put, &[], b"via a v2 URL").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let get = v2_presigned("GET", "", &format!("/{b}/pre.bin"), expires);
    let u = format!("{ep}{get}");
    let (status, body) = tokio::task::spawn_blocking(move || http_get_url(&u))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "via a v2 URL"));
    // Another key with the same signature: mismatch.
    let other = get.replace("pre.bin", "pre.bim");
    let r = send(&ep, "GET", &other, &[], b"").await;
    assert_eq!(
        (r.status, r.code()),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        r.body
    );
    // Expired: 403 AccessDenied "Request has expired", with the times.
    let old = v2_presigned("GET", "", &format!("/{b}/pre.bin"), unix_now() - 1);
    let r = send(&ep, "GET", &old, &[], b"").await;
    assert_eq!((r.status, r.code()), (403, Some("AccessDenied")), "{}", r.body);
    assert!(
        r.body.contains("Request has expired") && r.body.contains("<ServerTime>"),
        "{}",
        r.body
    );
    gw.stop().await;
}

#[actix_web::test]
async fn sigv2_refused_when_off() {
    let gw = Gw::start_with(|c| c.sigv2 = false).await;
    let c = gw.client();
    let b = bucket("v2off");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let ep = gw.endpoint.clone();
    let h = v2_headers("GET", "", &[], &format!("/{b}/"));
    let r = send(&ep, "GET", &format!("/{b}/"), &h, b"").await;
    assert_eq!((r.status, r.code()), (400, Some("InvalidRequest")), "{}", r.body);
    let get = v2_presigned("GET", "", &format!("/{b}/"), unix_now() + 60);
    let r = send(&ep, "GET", &get, &[], b"").await;
    assert_eq!((r.status, r.code()), (400, Some("InvalidRequest")), "{}", r.body);
    gw.stop().await;
}

#[actix_web::test]
async fn unsigned_amz_headers_are_refused() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("unsigned");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("other")
        .body(b"secret source".to_vec().into())
        .send()
        .await
        .unwrap();
    // A presigned PUT for `target`, signed for `host` only.
    let presigned = c
        .put_object()
        .bucket(&b)
        .key("target")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let url = presigned.uri().to_owned();
    assert!(url.contains("X-Amz-SignedHeaders=host"), "{url}");
    let target = format!("/{}", url.splitn(4, '/').nth(3).unwrap());
    let ep = gw.endpoint.clone();
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for (name, value) in [
        ("x-amz-copy-source", format!("/{b}/other")),
        ("x-amz-meta-a", "sneaked".to_owned()),
    ] {
        let r = send_host(
            &ep,
            Some(&host),
            "PUT",
            &target,
            &[(name, value.into_bytes())],
            b"",
        )
        .await;
        assert_eq!(
            (r.status, r.code()),
            (403, Some("AccessDenied")),
            "{name}: {}",
            r.body
        );
        assert!(
            r.body
                .contains(&format!("<HeadersNotSigned>{name}</HeadersNotSigned>")),
            "{}",
            r.body
        );
    }
    // Nothing was copied or stored.
    let e = c.head_object().bucket(&b).key("target").send().await.unwrap_err();
    assert!(e.into_service_error().is_not_found());
    // The URL as signed still works.
    let r = send_host(&ep, Some(&host), "PUT", &target, &[], b"plain").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let o = c.head_object().bucket(&b).key("target").send().await.unwrap();
    assert!(
        o.metadata().is_none_or(std::collections::HashMap::is_empty),
        "{o:?}"
    );
    assert_eq!(o.content_length(), Some(5));
    gw.stop().await;
}

#[actix_web::test]
async fn expired_presigned_v4_is_access_denied() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("expired");
    c.create_bucket().bucket(&b).send().await.unwrap();
    // Signed an hour ago for one minute.
    let conf = PresigningConfig::builder()
        .start_time(SystemTime::now() - Duration::from_secs(3600))
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    let req = c.get_object().bucket(&b).key("k").presigned(conf).await.unwrap();
    let u = req.uri().to_owned();
    let (status, body) = tokio::task::spawn_blocking(move || http_get_url(&u))
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>AccessDenied</Code>") && body.contains("Request has expired"),
        "{body}"
    );
    gw.stop().await;
}

#[actix_web::test]
async fn region_agnostic_on_and_off() {
    let strict = Gw::start().await;
    let b = bucket("anyregion");
    let other = |gw: &Gw| {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("git-annex.example.org"))
            .credentials_provider(aws_credential_types::Credentials::new(AK, SK, None, None, "t"))
            .endpoint_url(gw.endpoint.clone())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    let e = other(&strict).list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("AuthorizationHeaderMalformed"));
    strict.stop().await;

    let lenient = Gw::start_with(|c| c.region_agnostic = true).await;
    let c = other(&lenient);
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("k")
        .body(b"any region".to_vec().into())
        .send()
        .await
        .unwrap();
    let got = c.get_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"any region"
    );
    // The signature is still checked.
    let conf = c
        .config()
        .to_builder()
        .credentials_provider(aws_credential_types::Credentials::new(
            AK, "wrong", None, None, "t",
        ))
        .build();
    let e = aws_sdk_s3::Client::from_conf(conf)
        .list_buckets()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("SignatureDoesNotMatch"));
    lenient.stop().await;
}

#[actix_web::test]
async fn non_ascii_metadata_round_trips_byte_for_byte() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("meta8");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let ep = gw.endpoint.clone();
    // A Latin-1 client (Python http.client with a str): signs the UTF-8 of "Hello World\u{e9}",
    // sends the Latin-1 byte 0xE9.
    // Another client sends UTF-8 and signs it as is; a third sends an RFC 2047 encoded word.
    let latin1: &[u8] = b"Hello World\xe9";
    let utf8 = "caf\u{e9} \u{65e5}\u{672c}".as_bytes();
    let rfc2047: &[u8] = b"=?UTF-8?B?w6k=?=";
    let signed_latin1 = "Hello World\u{e9}".as_bytes();
    let amz: [(&str, &[u8]); 3] = [
        ("x-amz-meta-a", signed_latin1),
        ("x-amz-meta-b", utf8),
        ("x-amz-meta-c", rfc2047),
    ];
    let mut h = v2_headers("PUT", "", &amz, &format!("/{b}/m"));
    h.push(("x-amz-meta-a", latin1.to_vec()));
    h.push(("x-amz-meta-b", utf8.to_vec()));
    h.push(("x-amz-meta-c", rfc2047.to_vec()));
    let r = send(&ep, "PUT", &format!("/{b}/m"), &h, b"x").await;
    assert_eq!(r.status, 200, "{}", r.body);
    for method in ["GET", "HEAD"] {
        let h = v2_headers(method, "", &[], &format!("/{b}/m"));
        let r = send(&ep, method, &format!("/{b}/m"), &h, b"").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("x-amz-meta-a").as_deref(), Some(latin1), "{method}");
        assert_eq!(r.header("x-amz-meta-b").as_deref(), Some(utf8), "{method}");
        assert_eq!(r.header("x-amz-meta-c").as_deref(), Some(rfc2047), "{method}");
    }
    // SigV4 through the SDK: a UTF-8 value signed and stored.
    c.put_object()
        .bucket(&b)
        .key("sdk")
        .metadata("k", "Hello W\u{f6}rld")
        .body(b"y".to_vec().into())
        .send()
        .await
        .unwrap();
    let h = v2_headers("HEAD", "", &[], &format!("/{b}/sdk"));
    let r = send(&ep, "HEAD", &format!("/{b}/sdk"), &h, b"").await;
    assert_eq!(
        r.header("x-amz-meta-k").as_deref(),
        Some("Hello W\u{f6}rld".as_bytes())
    );
    gw.stop().await;
}
