//! The Gluster gauges on `/metrics`: the series gluster-prometheus exports (peers connected,
//! volumes up, bricks up, heal pending and split-brain, capacity and inodes, quota usage) plus
//! `glusters3_gluster_up`, built on every scrape from the collector's latest [`Snapshot`] by a
//! `prometheus` collector ([`Gauges`]). The gauge vectors are made afresh per scrape, so a peer,
//! volume or brick that leaves the cluster leaves the page too. A field whose latest CLI run
//! failed contributes no series (unknown is not 0); `glusters3_gluster_up` says so. Label
//! values come only from the cluster's own answers. Must not run the CLI (a scrape reads the
//! snapshot only) nor hold the snapshot lock beyond taking its `Arc`.

use std::sync::Arc;

use prometheus::core::{Collector as PromCollector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};

use super::collector::{Collector, Field, Snapshot};
use super::{cluster_view, VolumeView};

const VOLUME: &[&str] = &["volume"];
const BRICK: &[&str] = &["volume", "host", "brick"];

/// One scrape's worth of series, unregistered.
struct Vecs {
    up: IntGauge,
    peer_connected: IntGaugeVec,
    /// No labels; a vector so that it has no sample unless set.
    peer_count: IntGaugeVec,
    volume_up: IntGaugeVec,
    volume_brick_count: IntGaugeVec,
    volume_bytes_total: IntGaugeVec,
    volume_bytes_free: IntGaugeVec,
    quota_used: IntGaugeVec,
    quota_limit: IntGaugeVec,
    subvol_quorum: IntGaugeVec,
    brick_up: IntGaugeVec,
    brick_bytes_total: IntGaugeVec,
    brick_bytes_free: IntGaugeVec,
    brick_inodes_total: IntGaugeVec,
    brick_inodes_free: IntGaugeVec,
    heal_pending: IntGaugeVec,
    heal_split_brain: IntGaugeVec,
}

fn vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge options")
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Vecs {
    fn new() -> Vecs {
        Vecs {
            up: IntGauge::new(
                "glusters3_gluster_up",
                "Whether the latest volume info and volume status runs of the cluster collector succeeded.",
            )
            .expect("valid gauge options"),
            peer_connected: vec(
                "gluster_peer_connected",
                "Whether glusterd is connected to the peer (pool list, this node included).",
                &["peer", "uuid"],
            ),
            peer_count: vec(
                "gluster_peer_count",
                "Peers in the trusted pool, this node included.",
                &[],
            ),
            volume_up: vec("gluster_volume_up", "Whether the volume is started.", VOLUME),
            volume_brick_count: vec("gluster_volume_brick_count", "Bricks of the volume.", VOLUME),
            volume_bytes_total: vec(
                "gluster_volume_capacity_bytes_total",
                "Volume capacity: the smallest brick of each replica set, summed.",
                VOLUME,
            ),
            volume_bytes_free: vec(
                "gluster_volume_capacity_bytes_free",
                "Free volume bytes (f_bfree of the smallest brick per replica set, root reserve included).",
                VOLUME,
            ),
            quota_used: vec(
                "gluster_volume_quota_used_bytes",
                "Bytes used under a quota limit (advisory: Gluster does not enforce it reliably).",
                &["volume", "path"],
            ),
            quota_limit: vec(
                "gluster_volume_quota_limit_bytes",
                "Hard quota limit of a directory, bytes.",
                &["volume", "path"],
            ),
            subvol_quorum: vec(
                "gluster_subvol_quorum",
                "Whether a majority of the bricks of the replica set is online (set: its position in the volume).",
                &["volume", "set"],
            ),
            brick_up: vec("gluster_brick_up", "Whether the brick process is online.", BRICK),
            brick_bytes_total: vec(
                "gluster_brick_capacity_bytes_total",
                "Bytes of the brick's file system.",
                BRICK,
            ),
            brick_bytes_free: vec(
                "gluster_brick_capacity_bytes_free",
                "Free bytes of the brick's file system (f_bfree: root reserve included).",
                BRICK,
            ),
            brick_inodes_total: vec("gluster_brick_inodes_total", "Inodes of the brick's file system.", BRICK),
            brick_inodes_free: vec("gluster_brick_inodes_free", "Free inodes of the brick's file system.", BRICK),
            heal_pending: vec(
                "gluster_heal_info_files_count",
                "Entries of the brick waiting for heal (heal info summary).",
                BRICK,
            ),
            heal_split_brain: vec(
                "gluster_heal_split_brain_count",
                "Entries of the brick in split-brain (heal info summary).",
                BRICK,
            ),
        }
    }

    fn all(&self) -> [&dyn PromCollector; 17] {
        [
            &self.up,
            &self.peer_connected,
            &self.peer_count,
            &self.volume_up,
            &self.volume_brick_count,
            &self.volume_bytes_total,
            &self.volume_bytes_free,
            &self.quota_used,
            &self.quota_limit,
            &self.subvol_quorum,
            &self.brick_up,
            &self.brick_bytes_total,
            &self.brick_bytes_free,
            &self.brick_inodes_total,
            &self.brick_inodes_free,
            &self.heal_pending,
            &self.heal_split_brain,
        ]
    }

    /// Sets every series `snap` supports.
    fn fill(&self, snap: &Snapshot, cluster: &Collector) {
        if !cluster.enabled() {
            return;
        }
        let volumes_ok = fresh(&snap.volumes);
        let status_ok = fresh(&snap.status);
        let none_started = snap
            .volumes
            .value
            .as_ref()
            .is_some_and(|v| v.iter().all(|v| !v.started));
        // With no volume started, `volume status` has nothing to say (and says so as an error).
        self.up.set(i64::from(volumes_ok && (status_ok || none_started)));
        if let (true, Some(peers)) = (fresh(&snap.peers), &snap.peers.value) {
            for p in peers {
                self.peer_connected
                    .with_label_values(&[p.hostname.as_str(), p.uuid.as_str()])
                    .set(i64::from(p.connected));
            }
            self.peer_count
                .with_label_values::<&str>(&[])
                .set(i64::try_from(peers.len()).unwrap_or(i64::MAX));
        }
        if !volumes_ok {
            return;
        }
        for v in cluster_view(snap, cluster).volumes.value.iter().flatten() {
            self.volume(snap, v, status_ok);
        }
    }

    fn volume(&self, snap: &Snapshot, v: &VolumeView, status_ok: bool) {
        let name = v.name.as_str();
        self.volume_up
            .with_label_values(&[name])
            .set(i64::from(v.started));
        self.volume_brick_count
            .with_label_values(&[name])
            .set(i64::try_from(v.bricks.len()).unwrap_or(i64::MAX));
        if let Some(q) = snap.quota.get(name).filter(|q| fresh(*q)) {
            for l in q.value.iter().flatten() {
                let labels = [name, l.path.as_str()];
                if let Some(u) = l.used {
                    self.quota_used.with_label_values(&labels).set(i64_of(u));
                }
                if let Some(h) = l.hard_limit {
                    self.quota_limit.with_label_values(&labels).set(i64_of(h));
                }
            }
        }
        // Bricks of a stopped volume are down by definition: `gluster_volume_up` says it.
        if !v.started || !status_ok {
            return;
        }
        if let Some(c) = &v.capacity {
            self.volume_bytes_total
                .with_label_values(&[name])
                .set(i64_of(c.size_total));
            self.volume_bytes_free
                .with_label_values(&[name])
                .set(i64_of(c.size_free));
        }
        for s in &v.replica_sets {
            let set = s.index.to_string();
            self.subvol_quorum
                .with_label_values(&[name, set.as_str()])
                .set(i64::from(s.quorum));
        }
        let heal_ok = snap.heal.get(name).is_some_and(fresh);
        for b in &v.bricks {
            let labels = [name, b.host.as_str(), b.path.as_str()];
            let set = |g: &IntGaugeVec, value: Option<u64>| {
                if let Some(x) = value {
                    g.with_label_values(&labels).set(i64_of(x));
                }
            };
            set(&self.brick_up, b.online.map(u64::from));
            set(&self.brick_bytes_total, b.size_total);
            set(&self.brick_bytes_free, b.size_free);
            set(&self.brick_inodes_total, b.inodes_total);
            set(&self.brick_inodes_free, b.inodes_free);
            if heal_ok {
                set(&self.heal_pending, b.heal_pending);
                set(&self.heal_split_brain, b.split_brain);
            }
        }
    }
}

/// Whether the latest run of a command succeeded (its value is current).
fn fresh<T>(f: &Field<T>) -> bool {
    f.value.is_some() && f.error.is_none()
}

/// The Gluster gauges of one gateway: register once on its `prometheus::Registry`
/// ([`Gauges::register`]).
pub struct Gauges {
    cluster: Arc<Collector>,
    descs: Vec<Desc>,
}

impl Gauges {
    /// Gauges read from `cluster`'s snapshot at each scrape.
    pub fn new(cluster: Arc<Collector>) -> Gauges {
        let descs = Vecs::new()
            .all()
            .iter()
            .flat_map(|c| c.desc().into_iter().cloned())
            .collect();
        Gauges { cluster, descs }
    }

    /// Registers the Gluster gauges of `cluster` on `registry` (the gateway's
    /// [`crate::metrics::Metrics::registry`]): read from `cluster`'s latest snapshot at each
    /// scrape, never running the CLI. Once per registry; without it `/metrics` has no Gluster
    /// series.
    ///
    /// # Panics
    ///
    /// When called twice on one registry (the series names would repeat).
    pub fn register(cluster: Arc<Collector>, registry: &prometheus::Registry) {
        registry
            .register(Box::new(Gauges::new(cluster)))
            .expect("the Gluster gauges are registered once");
    }

    /// The metric families `snap` gives (`collect` on the latest snapshot), empty ones left out.
    pub fn families(&self, snap: &Snapshot) -> Vec<MetricFamily> {
        let v = Vecs::new();
        v.fill(snap, &self.cluster);
        v.all()
            .iter()
            .flat_map(|c| c.collect())
            .filter(|f| !f.get_metric().is_empty())
            .collect()
    }
}

impl PromCollector for Gauges {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.families(&self.cluster.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::parse;
    use prometheus::{Encoder, TextEncoder};

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gluster")
            .join(name);
        std::fs::read_to_string(p).unwrap()
    }

    fn collector(enabled: bool) -> Arc<Collector> {
        let mut c = crate::config::Config::load_offline(&crate::config::ServeArgs::default()).unwrap();
        c.cluster_refresh = enabled.then(|| std::time::Duration::from_secs(10));
        Collector::new(&c)
    }

    fn ok<T>(v: T) -> Field<T> {
        Field {
            value: Some(v),
            error: None,
            collected_at: Some(1),
        }
    }

    /// opsvol from the fixtures: brick status from `status`, heal from `heal`, quota list.
    fn snap(status: &str, heal: &str) -> Snapshot {
        let mut s = Snapshot {
            peers: ok(parse::peers(&fixture("pool-list.xml")).unwrap()),
            volumes: ok(parse::volume_info(&fixture("volume-info-opsvol-final.xml")).unwrap()),
            status: ok(parse::volume_status(&fixture(status)).unwrap()),
            ..Snapshot::default()
        };
        s.heal
            .insert("opsvol".into(), ok(parse::heal_summary(&fixture(heal)).unwrap()));
        s.quota.insert(
            "opsvol".into(),
            ok(parse::quota_list(&fixture("volume-quota-opsvol-list.xml")).unwrap()),
        );
        s
    }

    fn render(g: &Gauges, s: &Snapshot) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&g.families(s), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn value(page: &str, series: &str) -> Option<i64> {
        page.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    const B1: &str = r#"{brick="/var/lib/opsbricks/b1",host="vm",volume="opsvol"}"#;
    const B2: &str = r#"{brick="/var/lib/opsbricks/b2",host="vm",volume="opsvol"}"#;

    #[test]
    fn healthy_fixture() {
        let g = Gauges::new(collector(true));
        let page = render(
            &g,
            &snap(
                "volume-status-opsvol-detail.xml",
                "volume-heal-opsvol-info-summary.xml",
            ),
        );
        let want = [
            ("glusters3_gluster_up".to_owned(), 1),
            (
                r#"gluster_peer_connected{peer="localhost",uuid="00ddf695-e8e3-4fac-ab21-7c3f4b1f6a15"}"#
                    .to_owned(),
                1,
            ),
            ("gluster_peer_count".to_owned(), 1),
            (r#"gluster_volume_up{volume="opsvol"}"#.to_owned(), 1),
            (r#"gluster_volume_brick_count{volume="opsvol"}"#.to_owned(), 3),
            (r#"gluster_subvol_quorum{set="0",volume="opsvol"}"#.to_owned(), 1),
            (format!("gluster_brick_up{B1}"), 1),
            (format!("gluster_heal_info_files_count{B1}"), 0),
            (format!("gluster_heal_split_brain_count{B2}"), 0),
            (
                r#"gluster_volume_quota_limit_bytes{path="/bucket1",volume="opsvol"}"#.to_owned(),
                10_485_760,
            ),
            (
                r#"gluster_volume_quota_used_bytes{path="/bucket1",volume="opsvol"}"#.to_owned(),
                9_460_224,
            ),
        ];
        for (series, v) in want {
            assert_eq!(value(&page, &series), Some(v), "{series} in:\n{page}");
        }
        assert!(value(&page, &format!("gluster_brick_capacity_bytes_total{B1}")).is_some_and(|v| v > 0));
        assert!(
            value(&page, r#"gluster_volume_capacity_bytes_free{volume="opsvol"}"#).is_some_and(|v| v > 0)
        );
        assert!(page.contains("# TYPE gluster_brick_up gauge"), "{page}");
    }

    #[test]
    fn brick_down_and_split_brain() {
        let g = Gauges::new(collector(true));
        let page = render(
            &g,
            &snap(
                "volume-status-opsvol-detail-brickdown.xml",
                "volume-heal-opsvol-info-summary-sb.xml",
            ),
        );
        assert_eq!(value(&page, &format!("gluster_brick_up{B1}")), Some(0), "{page}");
        assert_eq!(value(&page, &format!("gluster_brick_up{B2}")), Some(1), "{page}");
        // A down brick still has its file system's capacity (glusterd statfs's the path).
        assert_eq!(
            value(&page, &format!("gluster_brick_capacity_bytes_total{B1}")),
            Some(270_553_174_016)
        );
        assert_eq!(
            value(&page, &format!("gluster_heal_split_brain_count{B1}")),
            Some(0)
        );
        assert_eq!(
            value(&page, &format!("gluster_heal_split_brain_count{B2}")),
            Some(1)
        );

        // Pending heal with a brick down: the down brick's counts are unknown, so absent.
        let page = render(
            &g,
            &snap(
                "volume-status-opsvol-detail-brickdown.xml",
                "volume-heal-opsvol-info-summary-pending.xml",
            ),
        );
        assert_eq!(
            value(&page, &format!("gluster_heal_info_files_count{B1}")),
            None,
            "{page}"
        );
        assert_eq!(
            value(&page, &format!("gluster_heal_info_files_count{B2}")),
            Some(103)
        );
    }

    #[test]
    fn failed_runs_and_gone_bricks_drop_their_series() {
        let g = Gauges::new(collector(true));
        let mut s = snap(
            "volume-status-opsvol-detail.xml",
            "volume-heal-opsvol-info-summary.xml",
        );
        s.status.error = Some("gluster volume status all detail: no answer in 10 s".into());
        s.heal.get_mut("opsvol").unwrap().error = Some("timeout".into());
        let page = render(&g, &s);
        assert_eq!(value(&page, "glusters3_gluster_up"), Some(0), "{page}");
        assert_eq!(value(&page, r#"gluster_volume_up{volume="opsvol"}"#), Some(1));
        assert!(!page.contains("gluster_brick_up{"), "{page}");
        assert!(!page.contains("gluster_heal_info_files_count{"), "{page}");

        // The volume stopped: no brick series; then deleted: nothing of it at all.
        let mut s = snap(
            "volume-status-opsvol-detail.xml",
            "volume-heal-opsvol-info-summary.xml",
        );
        s.volumes = ok(parse::volume_info(&fixture("volume-info-opsvol-stopped.xml")).unwrap());
        s.status = Field {
            value: None,
            error: Some("gluster: Volume opsvol is not started".into()),
            collected_at: None,
        };
        let page = render(&g, &s);
        assert_eq!(value(&page, "glusters3_gluster_up"), Some(1), "{page}");
        assert_eq!(value(&page, r#"gluster_volume_up{volume="opsvol"}"#), Some(0));
        assert!(!page.contains("gluster_brick_up{"), "{page}");
        s.volumes = ok(Vec::new());
        let page = render(&g, &s);
        assert!(!page.contains("opsvol"), "{page}");
    }

    #[test]
    fn disabled_collector_is_down_with_no_gluster_series() {
        let g = Gauges::new(collector(false));
        let page = render(
            &g,
            &snap(
                "volume-status-opsvol-detail.xml",
                "volume-heal-opsvol-info-summary.xml",
            ),
        );
        assert_eq!(value(&page, "glusters3_gluster_up"), Some(0), "{page}");
        assert!(!page.contains("\ngluster_"), "{page}");
        let names: Vec<String> = g
            .families(&Snapshot::default())
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        assert_eq!(names, ["glusters3_gluster_up"]);
    }
}
