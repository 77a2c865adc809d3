//! The cluster admin API against the real local volume `s3vol`: `/health/cluster`,
//! `/admin/v1/cluster`, `/admin/v1/volumes/{name}` and their bearer token; bricks are killed
//! on a scratch volume only.

use std::time::{Duration, Instant};

use crate::common::gluster::{kill, start_force, wait_gone, wait_pids, Scratch};
use crate::common::{admin_get_async, Gw, ADMIN_TOKEN};

/// GET on the admin listener: (status, body).
async fn get_async(base: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let (status, _, body) = admin_get_async(base, path, token).await;
    (status, body)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Whether `cluster` shows s3vol with 3 bricks online and a replica set in quorum.
fn s3vol_healthy(cluster: &serde_json::Value) -> bool {
    let Some(vols) = cluster["volumes"]["value"].as_array() else {
        return false;
    };
    let Some(v) = vols.iter().find(|v| v["name"] == "s3vol") else {
        return false;
    };
    let bricks = v["bricks"].as_array().map_or(0, |b| {
        b.iter()
            .filter(|b| b["online"] == serde_json::Value::Bool(true))
            .count()
    });
    bricks == 3 && v["replica_sets"][0]["quorum"] == serde_json::Value::Bool(true)
}

#[actix_web::test]
async fn cluster_api_shows_s3vol_in_quorum() {
    let gw = Gw::start_with(|c| {
        c.volume = "s3vol".into();
        c.cluster_refresh = Some(Duration::from_secs(1));
    })
    .await;
    let admin = gw.admin.clone();

    // Bounded poll: the collector's first refresh runs a handful of CLI commands.
    let deadline = Instant::now() + Duration::from_secs(90);
    let cluster = loop {
        let (status, body) = get_async(&admin, "/admin/v1/cluster", Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        let v = json(&body);
        if s3vol_healthy(&v) {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "s3vol never showed 3 bricks online: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let vol = cluster["volumes"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "s3vol")
        .unwrap();
    assert_eq!(vol["replica_count"], 3);
    assert_eq!(vol["started"], true);
    assert_eq!(vol["status"], "Started");
    for b in vol["bricks"].as_array().unwrap() {
        assert!(b["pid"].as_u64().is_some_and(|p| p > 0), "{b}");
        assert!(b["port"].as_u64().is_some_and(|p| p > 0), "{b}");
        assert!(b["size_total"].as_u64().is_some_and(|s| s > 0), "{b}");
        assert!(b["path"].as_str().unwrap().starts_with('/'), "{b}");
        // Every brick of the test volume is on this machine.
        assert_eq!(b["local"], true, "{b}");
    }
    assert!(
        vol["capacity"]["size_total"].as_u64().is_some_and(|s| s > 0),
        "{vol}"
    );
    assert!(cluster["collected_at"].as_u64().is_some());
    let peers = cluster["peers"]["value"].as_array().unwrap();
    assert!(peers
        .iter()
        .any(|p| p["hostname"] == "localhost" && p["connected"] == true));

    // Heal counts come from the slow commands, run once at start: wait for them too.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get_async(&admin, "/admin/v1/volumes/s3vol", Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        let v = json(&body);
        if v["volume"]["heal_collected_at"].as_u64().is_some() {
            for b in v["volume"]["bricks"].as_array().unwrap() {
                assert_eq!(b["split_brain"], 0, "{b}");
                assert_eq!(b["heal_status"], "Connected", "{b}");
            }
            break;
        }
        assert!(Instant::now() < deadline, "heal info never arrived: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (status, body) = get_async(&admin, "/health/cluster", None).await;
    assert_eq!(status, 200, "{body}");
    let h = json(&body);
    assert_eq!(h["verdict"], "ok");
    assert_eq!(h["volume"], "s3vol");
    assert_eq!(h["replica_sets"][0]["online"], 3);

    // All three bricks are on this machine: taking it down would lose quorum.
    let (status, body) = get_async(&admin, "/health/cluster?maintenance=true", None).await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(json(&body)["verdict"], "maintenance-would-lose-quorum");

    // The bearer token.
    for path in ["/admin/v1/cluster", "/admin/v1/volumes/s3vol"] {
        let (status, body) = get_async(&admin, path, None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(json(&body)["error"], "Unauthorized");
        let (status, body) = get_async(&admin, path, Some("not-the-token")).await;
        assert_eq!(status, 401, "{path}: {body}");
    }

    // An unknown volume.
    let (status, body) = get_async(&admin, "/admin/v1/volumes/no-such-volume", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(json(&body)["error"], "NoSuchVolume");
    gw.stop().await;
}

#[actix_web::test]
async fn no_admin_token_configured_refuses_everyone() {
    let gw = Gw::start_with(|c| c.admin_token = None).await;
    let (status, body) = get_async(&gw.admin, "/admin/v1/cluster", Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 401, "{body}");
    gw.stop().await;
}

#[actix_web::test]
async fn health_cluster_is_503_for_a_volume_that_does_not_exist() {
    let gw = Gw::start_with(|c| {
        c.volume = "no-such-volume-here".into();
        c.cluster_refresh = Some(Duration::from_secs(1));
    })
    .await;
    // 503 from the start (nothing collected) and after (no such volume): wait until the reason
    // is the missing volume.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get_async(&gw.admin, "/health/cluster", None).await;
        assert_eq!(status, 503, "{body}");
        if body.contains("does not exist") {
            break;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    gw.stop().await;
}

/// Polls `/health/cluster` until `want(status, verdict)` holds (60 s at most).
async fn wait_health(
    admin: &str,
    what: &str,
    want: impl Fn(u16, &serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get_async(admin, "/health/cluster", None).await;
        let v = json(&body);
        if want(status, &v) {
            return v;
        }
        assert!(Instant::now() < deadline, "waiting for {what}: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn health_cluster_follows_bricks_of_a_scratch_volume() {
    let scratch = tokio::task::spawn_blocking(|| Scratch::started("scratch"))
        .await
        .unwrap();
    let name = scratch.name.clone();
    let gw = Gw::start_with(|c| {
        c.volume = name;
        c.cluster_refresh = Some(Duration::from_secs(1));
    })
    .await;
    let admin = gw.admin.clone();
    wait_health(&admin, "3 bricks up", |s, v| {
        s == 200 && v["replica_sets"][0]["online"] == 3
    })
    .await;
    let pids = wait_pids(&scratch.name).await;

    // One of three down: still a majority.
    kill(pids[0]);
    let v = wait_health(&admin, "first kill seen", |_, v| {
        v["replica_sets"][0]["online"] == 2
    })
    .await;
    assert_eq!(v["verdict"], "ok", "{v}");
    let (status, _) = get_async(&admin, "/health/cluster", None).await;
    assert_eq!(status, 200);

    // Two of three down: no quorum.
    kill(pids[1]);
    let v = wait_health(&admin, "second kill: 503", |s, _| s == 503).await;
    assert_eq!(v["verdict"], "no-quorum", "{v}");
    assert_eq!(v["replica_sets"][0]["online"], 1, "{v}");

    // start force brings them back.
    wait_gone(pids[0]).await;
    wait_gone(pids[1]).await;
    start_force(&scratch.name).await;
    wait_health(&admin, "start force: quorum back", |s, _| s == 200).await;
    gw.stop().await;
    tokio::task::spawn_blocking(move || drop(scratch)).await.unwrap();
}

#[actix_web::test]
async fn a_failing_cli_degrades_fields_not_the_api() {
    let gw = Gw::start_with(|c| {
        c.volume = "s3vol".into();
        c.gluster_cli = "/nonexistent/gluster".into();
        c.cluster_refresh = Some(Duration::from_secs(1));
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get_async(&gw.admin, "/admin/v1/cluster", Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        let v = json(&body);
        if v["collected_at"].as_u64().is_some() {
            assert!(v["peers"]["value"].is_null(), "{v}");
            assert!(
                v["peers"]["error"]
                    .as_str()
                    .unwrap()
                    .contains("/nonexistent/gluster"),
                "{v}"
            );
            assert!(v["volumes"]["error"].as_str().is_some(), "{v}");
            break;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, body) = get_async(&gw.admin, "/health/cluster", None).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("volume info not collected yet"), "{body}");
    gw.stop().await;
}
