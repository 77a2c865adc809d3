//! CORS: Put/Get/DeleteBucketCors through the SDK (AWS's validation), preflight `OPTIONS`
//! answered from the rules, and `Access-Control-*` headers on ordinary answers, errors
//! included. The browser side is in the conformance suite (`conformance/cors.test.mjs`).

use aws_sdk_s3::types::{CorsConfiguration, CorsRule};

use crate::common::{bucket, code, Gw};

/// Sends a raw request to the gateway (path style): (status, lowercased head, body).
async fn raw(gw: &Gw, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let addr = gw.endpoint.trim_start_matches("http://").to_owned();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let (h, b) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
        (status, h.to_ascii_lowercase(), b.to_owned())
    })
    .await
    .unwrap()
}

fn rule(origin: &str, methods: &[&str]) -> CorsRule {
    let mut r = CorsRule::builder()
        .allowed_origins(origin)
        .allowed_headers("*")
        .expose_headers("ETag")
        .max_age_seconds(60);
    for m in methods {
        r = r.allowed_methods(*m);
    }
    r.build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_rules_preflight_and_response_headers() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("cors");
    c.create_bucket().bucket(&b).send().await.unwrap();
    c.put_object()
        .bucket(&b)
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let page = "https://app.example.com";

    // No rules yet: GetBucketCors is 404, a preflight 403.
    let e = c.get_bucket_cors().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchCORSConfiguration"));
    let pre = [("Origin", page), ("Access-Control-Request-Method", "PUT")];
    let (status, _, body) = raw(&gw, "OPTIONS", &format!("/{b}/k"), &pre).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessForbidden</Code>"), "{body}");

    // AWS's validation.
    let bad = CorsConfiguration::builder()
        .cors_rules(rule("*", &["PATCH"]))
        .build()
        .unwrap();
    let e = c
        .put_bucket_cors()
        .bucket(&b)
        .cors_configuration(bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("InvalidRequest"));
    let conf = CorsConfiguration::builder()
        .cors_rules(rule("https://*.example.com", &["GET", "PUT"]))
        .build()
        .unwrap();
    c.put_bucket_cors()
        .bucket(&b)
        .cors_configuration(conf)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_cors().bucket(&b).send().await.unwrap();
    assert_eq!(got.cors_rules()[0].allowed_origins(), ["https://*.example.com"]);
    assert_eq!(got.cors_rules()[0].allowed_methods(), ["GET", "PUT"]);

    // Preflights: a matching origin and method, then a foreign origin, then a method no rule
    // allows, then no Origin at all.
    let pre = [
        ("Origin", page),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "content-type, x-amz-date"),
    ];
    let (status, head, body) = raw(&gw, "OPTIONS", &format!("/{b}/k"), &pre).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        head.contains(&format!("access-control-allow-origin: {page}")),
        "{head}"
    );
    assert!(head.contains("access-control-allow-methods: get, put"), "{head}");
    assert!(
        head.contains("access-control-allow-headers: content-type, x-amz-date"),
        "{head}"
    );
    assert!(head.contains("access-control-max-age: 60"), "{head}");
    let foreign = [
        ("Origin", "https://evil.test"),
        ("Access-Control-Request-Method", "PUT"),
    ];
    assert_eq!(raw(&gw, "OPTIONS", &format!("/{b}/k"), &foreign).await.0, 403);
    let delete = [("Origin", page), ("Access-Control-Request-Method", "DELETE")];
    assert_eq!(raw(&gw, "OPTIONS", &format!("/{b}/k"), &delete).await.0, 403);
    assert_eq!(raw(&gw, "OPTIONS", &format!("/{b}/k"), &[]).await.0, 400);
    // A presigned URL's query on a preflight (browsers send the URL as it is) is not checked.
    let signed = format!("/{b}/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00&X-Amz-Credential=x");
    assert_eq!(raw(&gw, "OPTIONS", &signed, &pre).await.0, 200);

    // Ordinary answers carry the headers, errors too (an unsigned GET of a private object).
    let (status, head, _) = raw(&gw, "GET", &format!("/{b}/k"), &[("Origin", page)]).await;
    assert_eq!(status, 403);
    assert!(
        head.contains(&format!("access-control-allow-origin: {page}")),
        "{head}"
    );
    assert!(head.contains("access-control-expose-headers: etag"), "{head}");
    let (_, head, _) = raw(&gw, "GET", &format!("/{b}/k"), &[("Origin", "https://evil.test")]).await;
    assert!(!head.contains("access-control-allow-origin"), "{head}");

    c.delete_bucket_cors().bucket(&b).send().await.unwrap();
    let e = c.get_bucket_cors().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchCORSConfiguration"));
    let (_, head, _) = raw(&gw, "GET", &format!("/{b}/k"), &[("Origin", page)]).await;
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    gw.stop().await;
}
