//! The web console on the admin listener: the redirect, the static assets and their security
//! headers, and `/admin/v1/stats/requests` (bearer token; S3 requests counted by class in the
//! current minute). The page itself is driven in a browser by conformance/console.test.mjs.

use crate::common::{admin_get_async as get_async, bucket, code, Gw, ADMIN_TOKEN};

#[actix_web::test]
async fn console_assets_and_headers() {
    let gw = Gw::start().await;
    let admin = gw.admin.clone();
    for path in ["/", "/console"] {
        let (status, head, _) = get_async(&admin, path, None).await;
        assert_eq!(status, 302, "{path}: {head}");
        assert!(head.contains("\r\nlocation: /console/"), "{head}");
    }
    for (path, ctype, needle) in [
        ("/console/", "text/html", "<script src=\"app.js\" defer></script>"),
        ("/console/app.js", "text/javascript", "/admin/v1/events/ws"),
        ("/console/app.css", "text/css", ".brick-offline"),
    ] {
        let (status, head, body) = get_async(&admin, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            head.contains(&format!("\r\ncontent-type: {ctype}")),
            "{path}: {head}"
        );
        assert!(head.contains("\r\ncache-control: no-cache"), "{path}: {head}");
        assert!(
            head.contains("\r\nx-content-type-options: nosniff"),
            "{path}: {head}"
        );
        let csp = head
            .lines()
            .find_map(|l| l.strip_prefix("content-security-policy: "))
            .unwrap_or_else(|| panic!("{path}: no CSP in {head}"));
        assert!(csp.starts_with("default-src 'self'"), "{csp}");
        assert!(csp.contains("connect-src 'self' ws: wss:"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(body.contains(needle), "{path}");
    }
    // No inline script, no third-party origin in the page.
    let (_, _, html) = get_async(&admin, "/console/", None).await;
    assert!(!html.contains("<script>") && !html.contains("http://") && !html.contains("https://"));
    gw.stop().await;
}

#[actix_web::test]
async fn stats_requests_counts_this_minute_behind_the_token() {
    let gw = Gw::start().await;
    let admin = gw.admin.clone();
    for token in [None, Some("wrong")] {
        let (status, head, body) = get_async(&admin, "/admin/v1/stats/requests", token).await;
        assert_eq!(status, 401, "{body}");
        assert!(head.contains("\r\nwww-authenticate: bearer"), "{head}");
        assert!(body.contains("\"Unauthorized\""), "{body}");
    }

    let c = gw.client();
    let b = bucket("rates");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let e = c
        .head_object()
        .bucket(&b)
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_not_found());
    let e = c.get_object().bucket(&b).key("missing").send().await.unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    c.delete_bucket().bucket(&b).send().await.unwrap();

    let (status, _, body) = get_async(&admin, "/admin/v1/stats/requests", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let minutes = v["minutes"].as_array().unwrap();
    assert_eq!(minutes.len(), 60);
    let starts: Vec<u64> = minutes.iter().map(|m| m["start"].as_u64().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[1] == w[0] + 60), "{starts:?}");
    assert_eq!(starts[59] % 60, 0);
    // The four requests may straddle a minute boundary: count over the window.
    let sum = |k: &str| minutes.iter().map(|m| m[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        (sum("requests"), sum("client_errors"), sum("server_errors")),
        (4, 2, 0),
        "{body}"
    );
    gw.stop().await;
}
