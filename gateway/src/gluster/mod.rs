//! What the gateway knows about its GlusterFS cluster, from the `gluster --xml` CLI: the
//! parsers ([`parse`]), the background collector keeping the last good answers
//! ([`collector`]), the Prometheus gauges built from its snapshot ([`gauges`]), the view the
//! admin API shows (bricks joined with their status, heal counts and replica-set quorum) and
//! its routes on the admin listener: `/health/cluster` (unauthenticated, like MinIO's) and
//! `/admin/v1/cluster`, `/admin/v1/volumes/{name}` (bearer token, [`crate::admin_auth`]).
//! Read-only: must not change the cluster, and must not run the CLI on a request (routes read
//! the snapshot only).

pub mod collector;
pub mod gauges;
pub mod parse;

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Serialize;

pub use collector::{Collector, Field, Snapshot};
use parse::{QuotaLimit, VolumeInfo};

use crate::admin_auth::{check_bearer, AdminToken, Refusal};

/// A brick with everything known about it.
#[derive(Debug, Clone, Serialize)]
pub struct BrickView {
    /// `host:path`.
    pub name: String,
    /// Peer name.
    pub host: String,
    /// Brick directory.
    pub path: String,
    /// UUID of its peer.
    pub peer_id: String,
    /// Whether it is an arbiter.
    pub arbiter: bool,
    /// Whether it is on this machine.
    pub local: bool,
    /// Whether its process is up (`None`: status unknown).
    pub online: Option<bool>,
    /// Process id.
    pub pid: Option<u32>,
    /// TCP port.
    pub port: Option<u16>,
    /// Bytes of its file system.
    pub size_total: Option<u64>,
    /// Free bytes (`f_bfree`, root reserve included).
    pub size_free: Option<u64>,
    /// Inodes of its file system.
    pub inodes_total: Option<u64>,
    /// Free inodes.
    pub inodes_free: Option<u64>,
    /// Entries waiting for heal (`None`: unknown).
    pub heal_pending: Option<u64>,
    /// Entries in split-brain (`None`: unknown).
    pub split_brain: Option<u64>,
    /// Entries possibly healing now.
    pub possibly_healing: Option<u64>,
    /// Heal info's word on the brick ("Connected", or why not).
    pub heal_status: Option<String>,
}

/// One replica set: bricks `index*replica .. (index+1)*replica` of the volume, in order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReplicaSet {
    /// Position in the volume.
    pub index: usize,
    /// Its bricks (`host:path`).
    pub bricks: Vec<String>,
    /// Bricks known to be online.
    pub online: usize,
    /// Whether a majority of its bricks is online.
    pub quorum: bool,
    /// Whether it would keep a majority without the bricks on this machine.
    pub quorum_without_local: bool,
}

/// Sum over replica sets of the smallest brick of each set (what the volume can hold).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Capacity {
    /// Bytes.
    pub size_total: u64,
    /// Free bytes (`f_bfree`: includes the root reserve).
    pub size_free: u64,
    /// Inodes.
    pub inodes_total: u64,
    /// Free inodes.
    pub inodes_free: u64,
}

/// A volume with everything known about it.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeView {
    /// Name.
    pub name: String,
    /// UUID.
    pub id: String,
    /// Created / Started / Stopped.
    pub status: String,
    /// Whether started.
    pub started: bool,
    /// Replicate, Distributed-Replicate, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Bricks per replica set.
    pub replica_count: u32,
    /// Arbiters per replica set.
    pub arbiter_count: u32,
    /// Options set on the volume (defaults left out).
    pub options: BTreeMap<String, String>,
    /// Bricks, in volume order.
    pub bricks: Vec<BrickView>,
    /// Replica sets and their quorum.
    pub replica_sets: Vec<ReplicaSet>,
    /// Capacity (`None` until some brick status is known).
    pub capacity: Option<Capacity>,
    /// Brick status: error of the latest `volume status` run, and when the shown one was taken.
    pub status_error: Option<String>,
    /// Unix seconds of the brick status shown.
    pub status_collected_at: Option<u64>,
    /// Heal info: error of the latest run.
    pub heal_error: Option<String>,
    /// Unix seconds of the heal counts shown.
    pub heal_collected_at: Option<u64>,
    /// Quota usage, when quota is on.
    pub quota: Option<Field<Vec<QuotaLimit>>>,
}

/// Joins one volume's info with the rest of the snapshot.
fn volume_view(snap: &Snapshot, info: &VolumeInfo, collector: &Collector) -> VolumeView {
    let status = snap
        .status
        .value
        .as_ref()
        .and_then(|all| all.iter().find(|v| v.name == info.name));
    let heal = snap.heal.get(&info.name);
    let bricks: Vec<BrickView> = info
        .bricks
        .iter()
        .map(|b| {
            let (host, path) = b.name.split_once(':').unwrap_or(("", &b.name));
            let st = status.and_then(|s| s.bricks.iter().find(|x| x.host == host && x.path == path));
            let hb = heal
                .and_then(|h| h.value.as_ref())
                .and_then(|h| h.iter().find(|x| x.name == b.name));
            BrickView {
                name: b.name.clone(),
                host: host.to_owned(),
                path: path.to_owned(),
                peer_id: b.host_uuid.clone(),
                arbiter: b.arbiter,
                local: collector.is_local(host, &b.host_uuid),
                // A started volume missing from a good status answer has nothing online;
                // without a status answer at all it is unknown.
                online: match (st, &snap.status.value) {
                    (Some(s), _) => Some(s.online),
                    (None, Some(_)) => Some(false),
                    (None, None) => None,
                },
                pid: st.and_then(|s| s.pid),
                port: st.and_then(|s| s.port),
                size_total: st.and_then(|s| s.size_total),
                size_free: st.and_then(|s| s.size_free),
                inodes_total: st.and_then(|s| s.inodes_total),
                inodes_free: st.and_then(|s| s.inodes_free),
                heal_pending: hb.and_then(|h| h.pending),
                split_brain: hb.and_then(|h| h.split_brain),
                possibly_healing: hb.and_then(|h| h.possibly_healing),
                heal_status: hb.map(|h| h.status.clone()),
            }
        })
        .collect();
    let replica_sets = replica_sets(info.replica_count, &bricks);
    let capacity = capacity(info.replica_count, &bricks);
    VolumeView {
        name: info.name.clone(),
        id: info.id.clone(),
        status: info.status.clone(),
        started: info.started,
        kind: info.kind.clone(),
        replica_count: info.replica_count,
        arbiter_count: info.arbiter_count,
        options: info.options.iter().cloned().collect(),
        bricks,
        replica_sets,
        capacity,
        status_error: snap.status.error.clone(),
        status_collected_at: snap.status.collected_at,
        heal_error: heal.map_or_else(
            || info.started.then(|| "not collected yet".to_owned()),
            |h| h.error.clone(),
        ),
        heal_collected_at: heal.and_then(|h| h.collected_at),
        quota: info
            .quota_on()
            .then(|| snap.quota.get(&info.name).cloned().unwrap_or_default()),
    }
}

/// Groups `bricks` into replica sets of `replica` in order and judges each one's majority.
pub fn replica_sets(replica: u32, bricks: &[BrickView]) -> Vec<ReplicaSet> {
    let n = usize::try_from(replica).unwrap_or(1).max(1);
    bricks
        .chunks(n)
        .enumerate()
        .map(|(index, set)| {
            let up = |b: &&BrickView| b.online == Some(true);
            let online = set.iter().filter(up).count();
            let remote_online = set.iter().filter(up).filter(|b| !b.local).count();
            ReplicaSet {
                index,
                bricks: set.iter().map(|b| b.name.clone()).collect(),
                online,
                quorum: 2 * online > set.len(),
                quorum_without_local: 2 * remote_online > set.len(),
            }
        })
        .collect()
}

fn capacity(replica: u32, bricks: &[BrickView]) -> Option<Capacity> {
    let n = usize::try_from(replica).unwrap_or(1).max(1);
    let mut c = Capacity::default();
    let mut any = false;
    for set in bricks.chunks(n) {
        let min = |f: fn(&BrickView) -> Option<u64>| set.iter().filter_map(f).min();
        if let Some(v) = min(|b| b.size_total) {
            any = true;
            c.size_total += v;
        }
        c.size_free += min(|b| b.size_free).unwrap_or(0);
        c.inodes_total += min(|b| b.inodes_total).unwrap_or(0);
        c.inodes_free += min(|b| b.inodes_free).unwrap_or(0);
    }
    any.then_some(c)
}

/// The whole cluster view (`GET /admin/v1/cluster`).
#[derive(Debug, Serialize)]
pub struct ClusterView {
    /// Unix seconds of the end of the last refresh.
    pub collected_at: Option<u64>,
    /// glusterd asked (`None`: the local one).
    pub remote_host: Option<String>,
    /// Peers (`pool list`).
    pub peers: Field<Vec<parse::Peer>>,
    /// Volumes; `error` when the latest `volume info` failed.
    pub volumes: Field<Vec<VolumeView>>,
}

/// Builds the cluster view from a snapshot.
pub fn cluster_view(snap: &Snapshot, collector: &Collector) -> ClusterView {
    ClusterView {
        collected_at: snap.refreshed_at,
        remote_host: snap.remote_host.clone(),
        peers: snap.peers.clone(),
        volumes: Field {
            value: snap
                .volumes
                .value
                .as_ref()
                .map(|vs| vs.iter().map(|v| volume_view(snap, v, collector)).collect()),
            error: snap.volumes.error.clone(),
            collected_at: snap.volumes.collected_at,
        },
    }
}

/// The `/health/cluster` verdict.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// "ok", "no-quorum" or "maintenance-would-lose-quorum".
    pub verdict: &'static str,
    /// The volume judged (the one the gateway serves).
    pub volume: String,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// Its replica sets.
    pub replica_sets: Vec<ReplicaSet>,
    /// Unix seconds of the brick status judged.
    pub collected_at: Option<u64>,
}

/// Judges quorum of `volume`: 200 when every replica set has a majority online, 503 when not
/// (or when it cannot be known), and with `maintenance` 412 when taking this machine's bricks
/// away would lose a majority somewhere.
pub fn judge(
    snap: &Snapshot,
    volume: &str,
    maintenance: bool,
    collector: &Collector,
) -> (StatusCode, Verdict) {
    let mut v = Verdict {
        verdict: "no-quorum",
        volume: volume.to_owned(),
        reasons: Vec::new(),
        replica_sets: Vec::new(),
        collected_at: snap.status.collected_at,
    };
    if !collector.enabled() {
        v.reasons
            .push("the cluster collector is off (cluster_refresh_secs = 0)".into());
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    }
    let Some(infos) = &snap.volumes.value else {
        v.reasons.push(format!(
            "volume info not collected yet{}",
            snap.volumes
                .error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    };
    let Some(info) = infos.iter().find(|i| i.name == volume) else {
        v.reasons.push(format!("volume {volume} does not exist"));
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    };
    if !info.started {
        v.reasons.push(format!("volume {volume} is {}", info.status));
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    }
    if let Some(e) = &snap.status.error {
        v.reasons.push(format!("brick status unavailable: {e}"));
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    }
    if snap.status.value.is_none() {
        v.reasons.push("brick status not collected yet".into());
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    }
    let view = volume_view(snap, info, collector);
    v.replica_sets = view.replica_sets;
    for s in &v.replica_sets {
        if !s.quorum {
            v.reasons.push(format!(
                "replica set {} has {} of {} bricks online",
                s.index,
                s.online,
                s.bricks.len()
            ));
        }
    }
    if !v.reasons.is_empty() {
        return (StatusCode::SERVICE_UNAVAILABLE, v);
    }
    if maintenance {
        for s in &v.replica_sets {
            if !s.quorum_without_local {
                v.reasons.push(format!(
                    "replica set {} would keep {} of {} bricks online without this node",
                    s.index,
                    view.bricks
                        .iter()
                        .filter(|b| s.bricks.contains(&b.name) && b.online == Some(true) && !b.local)
                        .count(),
                    s.bricks.len()
                ));
            }
        }
        if !v.reasons.is_empty() {
            v.verdict = "maintenance-would-lose-quorum";
            return (StatusCode::PRECONDITION_FAILED, v);
        }
    }
    v.verdict = "ok";
    v.reasons
        .push("every replica set has a majority of its bricks online".into());
    (StatusCode::OK, v)
}

/// What the routes share.
pub struct ClusterApi {
    /// The collector.
    pub collector: Arc<Collector>,
    /// The volume the gateway serves (judged by `/health/cluster`).
    pub volume: String,
    /// The admin token.
    pub token: Option<AdminToken>,
}

/// Registers `/health/cluster`, `/admin/v1/cluster` and `/admin/v1/volumes/{name}` on the
/// admin listener, plus `web::Data<Collector>` so that other routes (events) can call
/// [`Collector::refresh_now`].
pub fn configure(api: Arc<ClusterApi>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(api.collector.clone()))
            .app_data(web::Data::from(api))
            .route("/health/cluster", web::get().to(health_cluster))
            .route("/admin/v1/cluster", web::get().to(get_cluster))
            .route("/admin/v1/volumes/{name}", web::get().to(get_volume));
    }
}

fn json_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        r.insert_header(("WWW-Authenticate", "Bearer"));
    }
    r.json(serde_json::json!({ "error": code, "message": message }))
}

/// The bearer check every `/admin/v1/` route runs first: the 401 answer, or `None` to go on.
fn refuse(req: &HttpRequest, api: &ClusterApi) -> Option<HttpResponse> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    check_bearer(header, api.token.as_ref()).err().map(|r| {
        let msg = match r {
            Refusal::Missing => "an Authorization: Bearer <admin token> header is required",
            Refusal::Wrong => "the bearer token is not the admin token",
        };
        json_error(StatusCode::UNAUTHORIZED, "Unauthorized", msg)
    })
}

async fn health_cluster(req: HttpRequest, api: web::Data<ClusterApi>) -> HttpResponse {
    let maintenance = web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("maintenance").cloned())
        .is_some_and(|m| m == "true" || m == "1");
    let snap = api.collector.snapshot();
    let (status, verdict) = judge(&snap, &api.volume, maintenance, &api.collector);
    HttpResponse::build(status).json(verdict)
}

async fn get_cluster(req: HttpRequest, api: web::Data<ClusterApi>) -> HttpResponse {
    if let Some(r) = refuse(&req, &api) {
        return r;
    }
    let snap = api.collector.snapshot();
    HttpResponse::Ok().json(cluster_view(&snap, &api.collector))
}

async fn get_volume(req: HttpRequest, api: web::Data<ClusterApi>, name: web::Path<String>) -> HttpResponse {
    if let Some(r) = refuse(&req, &api) {
        return r;
    }
    let snap = api.collector.snapshot();
    let Some(infos) = &snap.volumes.value else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "NotCollectedYet",
            snap.volumes
                .error
                .as_deref()
                .unwrap_or("volume info not collected yet"),
        );
    };
    match infos.iter().find(|v| v.name == *name) {
        Some(info) => HttpResponse::Ok().json(serde_json::json!({
            "collected_at": snap.refreshed_at,
            "volume": volume_view(&snap, info, &api.collector),
        })),
        None => json_error(
            StatusCode::NOT_FOUND,
            "NoSuchVolume",
            &format!("no volume named {name}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gluster")
            .join(name);
        std::fs::read_to_string(p).unwrap()
    }

    fn collector() -> Arc<Collector> {
        let mut c = crate::config::Config::load_offline(&crate::config::ServeArgs::default()).unwrap();
        c.cluster_refresh = Some(std::time::Duration::from_secs(10));
        Collector::new(&c)
    }

    /// A snapshot of opsvol from the fixtures, with brick status from `status`.
    fn snap(status: &str) -> Snapshot {
        let mut s = Snapshot::default();
        s.volumes.value = Some(parse::volume_info(&fixture("volume-info-opsvol-final.xml")).unwrap());
        s.status.value = Some(parse::volume_status(&fixture(status)).unwrap());
        s
    }

    #[test]
    fn quorum_healthy_and_one_brick_down() {
        let c = collector();
        let (code, v) = judge(&snap("volume-status-opsvol-detail.xml"), "opsvol", false, &c);
        assert_eq!(code, StatusCode::OK, "{v:?}");
        assert_eq!(v.replica_sets[0].online, 3);
        // One of three down: still a majority.
        let (code, v) = judge(
            &snap("volume-status-opsvol-detail-brickdown.xml"),
            "opsvol",
            false,
            &c,
        );
        assert_eq!(code, StatusCode::OK, "{v:?}");
        assert_eq!(v.replica_sets[0].online, 2);
    }

    #[test]
    fn quorum_lost_unknown_and_missing() {
        let c = collector();
        // Two of three down.
        let mut s = snap("volume-status-opsvol-detail-brickdown.xml");
        s.status.value.as_mut().unwrap()[0].bricks[1].online = false;
        let (code, v) = judge(&s, "opsvol", false, &c);
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(v.reasons, ["replica set 0 has 1 of 3 bricks online"]);
        // The latest status run failed: unknown is not healthy.
        let mut s = snap("volume-status-opsvol-detail.xml");
        s.status.error = Some("gluster volume status all detail: no answer in 10 s".into());
        assert_eq!(judge(&s, "opsvol", false, &c).0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            judge(&snap("volume-status-opsvol-detail.xml"), "nope", false, &c).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            judge(&Snapshot::default(), "opsvol", false, &c).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn replica_sets_in_order_and_maintenance() {
        let b = |name: &str, online: bool, local: bool| BrickView {
            name: name.into(),
            host: String::new(),
            path: String::new(),
            peer_id: String::new(),
            arbiter: false,
            local,
            online: Some(online),
            pid: None,
            port: None,
            size_total: Some(100),
            size_free: Some(10),
            inodes_total: None,
            inodes_free: None,
            heal_pending: None,
            split_brain: None,
            possibly_healing: None,
            heal_status: None,
        };
        // Two sets of three; this node holds one brick of each.
        let bricks = [
            b("a:/1", true, true),
            b("b:/1", true, false),
            b("c:/1", true, false),
            b("a:/2", true, true),
            b("b:/2", false, false),
            b("c:/2", true, false),
        ];
        let sets = replica_sets(3, &bricks);
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[1].bricks, ["a:/2", "b:/2", "c:/2"]);
        assert!(sets[0].quorum && sets[0].quorum_without_local);
        assert!(sets[1].quorum && !sets[1].quorum_without_local);
        let cap = capacity(3, &bricks).unwrap();
        assert_eq!((cap.size_total, cap.size_free), (200, 20));
    }

    #[test]
    fn maintenance_on_a_single_node_is_412() {
        let c = collector();
        // Every opsvol brick is on host "vm"; mark them local through the UUID-less name check
        // by judging with brick hosts renamed to localhost.
        let mut s = snap("volume-status-opsvol-detail.xml");
        for b in &mut s.status.value.as_mut().unwrap()[0].bricks {
            b.host = "localhost".into();
        }
        for b in &mut s.volumes.value.as_mut().unwrap()[0].bricks {
            b.name = b.name.replacen("vm:", "localhost:", 1);
            b.host_uuid.clear();
        }
        let (code, v) = judge(&s, "opsvol", true, &c);
        assert_eq!(code, StatusCode::PRECONDITION_FAILED, "{v:?}");
        assert_eq!(v.verdict, "maintenance-would-lose-quorum");
        assert_eq!(judge(&s, "opsvol", false, &c).0, StatusCode::OK);
    }
}
