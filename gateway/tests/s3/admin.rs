//! The admin listener: health, readiness, metrics.

use crate::common::{http_get, Gw};

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
