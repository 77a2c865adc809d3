//! The admin listener: health, readiness, metrics.

use aws_sdk_s3::primitives::ByteStream;

use crate::common::{bucket, code, http_get, Gw};

#[actix_web::test]
async fn health_ready_and_metrics() {
    let gw = Gw::start().await;
    let admin = gw.admin.clone();
    let (health, ready, metrics) = tokio::task::spawn_blocking(move || {
        (
            http_get(&admin, "/health"),
            http_get(&admin, "/ready"),
            http_get(&admin, "/metrics"),
        )
    })
    .await
    .unwrap();
    assert_eq!(health.0, 200);
    assert_eq!(ready.0, 200, "{}", ready.1);
    assert_eq!(metrics.0, 200);
    assert!(metrics.1.contains("glusters3_volume_up 1"), "{}", metrics.1);
    // The S3 port does not serve admin paths: /health there is a bucket name.
    let c = gw.client();
    let e = c.list_objects_v2().bucket("health").send().await.unwrap_err();
    assert_eq!(crate::common::code(&e).as_deref(), Some("NoSuchBucket"));
    gw.stop().await;
}

/// The value of one series (name and labels exactly as rendered, labels sorted by name).
fn series(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A PUT, a GET and a GET of a missing key show up by S3 operation, status class and error
/// code, with body bytes and gfapi call latencies; a request naming a bucket that does not
/// exist adds no series carrying that name (labels never come from request input).
#[actix_web::test]
async fn metrics_count_s3_operations_with_bounded_labels() {
    let gw = Gw::start().await;
    let c = gw.client();
    let b = bucket("metrics");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let body = vec![7u8; 3000];
    c.put_object()
        .bucket(&b)
        .key("k")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let got = c.get_object().bucket(&b).key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), body.len());
    let e = c.get_object().bucket(&b).key("missing").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    let ghost = "ghost-bucket-metrics-label-probe";
    let e = c
        .get_object()
        .bucket(ghost)
        .key("ghost-key-probe")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchBucket"));

    // Known but not implemented: labelled by its AWS name.
    let e = c.get_bucket_website().bucket(&b).send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NotImplemented"));
    // A method S3 does not have fails before routing: operation "Unknown", the method unseen.
    let s3 = gw.endpoint.trim_start_matches("http://").to_owned();
    let purge = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&s3).unwrap();
        write!(
            s,
            "PURGEGHOST /{ghost}/x HTTP/1.1\r\nHost: {s3}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(purge.starts_with("HTTP/1.1 405"), "{purge}");

    let admin = gw.admin.clone();
    let (status, page) = tokio::task::spawn_blocking(move || http_get(&admin, "/metrics"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let at_least = |s: &str, min: f64| {
        let v = series(&page, s).unwrap_or_else(|| panic!("no {s} in /metrics:\n{page}"));
        assert!(v >= min, "{s} = {v} < {min}:\n{page}");
    };
    at_least(
        r#"glusters3_s3_requests_total{operation="CreateBucket",status="2xx"}"#,
        1.0,
    );
    at_least(
        r#"glusters3_s3_requests_total{operation="PutObject",status="2xx"}"#,
        1.0,
    );
    at_least(
        r#"glusters3_s3_requests_total{operation="GetObject",status="2xx"}"#,
        1.0,
    );
    // The missing key and the missing bucket.
    at_least(
        r#"glusters3_s3_requests_total{operation="GetObject",status="4xx"}"#,
        2.0,
    );
    at_least(
        r#"glusters3_s3_errors_total{code="NoSuchKey",operation="GetObject"}"#,
        1.0,
    );
    at_least(
        r#"glusters3_s3_errors_total{code="NoSuchBucket",operation="GetObject"}"#,
        1.0,
    );
    at_least(
        r#"glusters3_s3_request_duration_seconds_count{operation="PutObject"}"#,
        1.0,
    );
    at_least(
        r#"glusters3_s3_bytes_received_total{operation="PutObject"}"#,
        3000.0,
    );
    at_least(r#"glusters3_s3_bytes_sent_total{operation="GetObject"}"#, 3000.0);
    at_least("glusters3_s3_requests_in_flight", 0.0);
    for call in ["create", "pwrite", "fsync", "rename", "pread"] {
        at_least(
            &format!("glusters3_gfapi_call_duration_seconds_count{{call=\"{call}\"}}"),
            1.0,
        );
    }
    at_least("glusters3_gc_queue_blobs", 0.0);
    at_least(r#"glusters3_upload_budget_bytes{kind="total"}"#, 1.0);
    assert_eq!(series(&page, "glusters3_volume_up"), Some(1.0), "{page}");
    for input in [ghost, "ghost-key-probe", b.as_str(), "missing", "PURGEGHOST"] {
        assert!(!page.contains(input), "{input} is in a label:\n{page}");
    }
    gw.stop().await;
}
