//! Parsers for the `gluster --xml` answers the collector asks for: `pool list` / `peer status`,
//! `volume info`, `volume status <vol|all> detail`, `volume heal <vol> info summary` and
//! `volume quota <vol> list`. Pure functions from the XML text to typed, serializable structs;
//! must not run anything or know about HTTP. Quirks (from research/gluster-ops.md): every answer
//! is a `<cliOutput>` with `opRet`/`opErrstr` (-1 and a reason on failure); a down brick in heal
//! summary has no count elements (unknown, never 0); `port` is `N/A` and `pid` -1 when a brick is
//! down; `sizeFree` is `f_bfree` and so includes the root reserve.

use serde::{Deserialize, Serialize};

/// Why an answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The XML did not have the expected shape.
    #[error("unreadable gluster answer: {0}")]
    Xml(String),
    /// The CLI reported a failure (`opRet` != 0).
    #[error("gluster: {msg} (opErrno {errno})")]
    Failed {
        /// `opErrno`.
        errno: i64,
        /// `opErrstr`.
        msg: String,
    },
}

/// Reads the envelope, then the body only when `opRet` is 0.
fn envelope<T: for<'de> Deserialize<'de> + Default>(xml: &str) -> Result<T, ParseError> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "opRet")]
        ret: i64,
        #[serde(rename = "opErrno", default)]
        errno: i64,
        #[serde(rename = "opErrstr", default)]
        errstr: Option<String>,
    }
    let head: Head = quick_xml::de::from_str(xml).map_err(|e| ParseError::Xml(e.to_string()))?;
    if head.ret != 0 {
        return Err(ParseError::Failed {
            errno: head.errno,
            msg: head
                .errstr
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("opRet {}", head.ret)),
        });
    }
    quick_xml::de::from_str(xml).map_err(|e| ParseError::Xml(e.to_string()))
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

// ---------------------------------------------------------------- peers

/// A peer of the trusted pool (`pool list` also lists this node as `localhost`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    /// glusterd UUID.
    pub uuid: String,
    /// Name the pool knows it by.
    pub hostname: String,
    /// Whether glusterd is connected to it.
    pub connected: bool,
    /// `stateStr` when given (`peer status`), e.g. "Peer in Cluster".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Deserialize, Default)]
struct PeersBody {
    #[serde(rename = "peerStatus", default)]
    peer_status: PeerList,
}

#[derive(Deserialize, Default)]
struct PeerList {
    #[serde(default)]
    peer: Vec<RawPeer>,
}

#[derive(Deserialize)]
struct RawPeer {
    #[serde(default)]
    uuid: String,
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    connected: String,
    #[serde(rename = "stateStr", default)]
    state_str: Option<String>,
}

/// Parses `gluster --xml pool list` or `peer status`.
pub fn peers(xml: &str) -> Result<Vec<Peer>, ParseError> {
    let body: PeersBody = envelope(xml)?;
    Ok(body
        .peer_status
        .peer
        .into_iter()
        .map(|p| Peer {
            uuid: p.uuid,
            hostname: p.hostname,
            connected: p.connected.trim() == "1",
            state: p.state_str,
        })
        .collect())
}

// ---------------------------------------------------------------- volume info

/// One volume as `volume info` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeInfo {
    /// Name.
    pub name: String,
    /// Volume UUID.
    pub id: String,
    /// `statusStr`: Created, Started, Stopped.
    pub status: String,
    /// Whether it is started (`status` 1).
    pub started: bool,
    /// `typeStr`: Replicate, Distributed-Replicate, Disperse, ...
    pub kind: String,
    /// Bricks per replica set (1 for plain distribute).
    pub replica_count: u32,
    /// Arbiter bricks per replica set.
    pub arbiter_count: u32,
    /// Bricks, in volume order (`host:path`), with their peer UUID.
    pub bricks: Vec<BrickRef>,
    /// Options set on the volume (not the defaults).
    pub options: Vec<(String, String)>,
}

/// A brick as `volume info` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrickRef {
    /// `host:path`.
    pub name: String,
    /// UUID of the peer that hosts it.
    pub host_uuid: String,
    /// Whether it is an arbiter (metadata only).
    pub arbiter: bool,
}

impl VolumeInfo {
    /// The value of option `name`, when set.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether quota is on (`features.quota`).
    pub fn quota_on(&self) -> bool {
        self.option("features.quota") == Some("on")
    }
}

#[derive(Deserialize, Default)]
struct InfoBody {
    #[serde(rename = "volInfo", default)]
    vol_info: InfoVolumes,
}

#[derive(Deserialize, Default)]
struct InfoVolumes {
    #[serde(default)]
    volumes: InfoVolumeList,
}

#[derive(Deserialize, Default)]
struct InfoVolumeList {
    #[serde(default)]
    volume: Vec<RawVolume>,
}

#[derive(Deserialize)]
struct RawVolume {
    name: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
    #[serde(rename = "statusStr", default)]
    status_str: String,
    #[serde(rename = "replicaCount", default)]
    replica_count: String,
    #[serde(rename = "arbiterCount", default)]
    arbiter_count: String,
    #[serde(rename = "typeStr", default)]
    type_str: String,
    #[serde(default)]
    bricks: RawBricks,
    #[serde(default)]
    options: RawOptions,
}

#[derive(Deserialize, Default)]
struct RawBricks {
    #[serde(default)]
    brick: Vec<RawBrickRef>,
}

#[derive(Deserialize)]
struct RawBrickRef {
    #[serde(default)]
    name: String,
    #[serde(rename = "hostUuid", default)]
    host_uuid: String,
    #[serde(rename = "isArbiter", default)]
    is_arbiter: String,
}

#[derive(Deserialize, Default)]
struct RawOptions {
    #[serde(default)]
    option: Vec<RawOption>,
}

#[derive(Deserialize)]
struct RawOption {
    name: String,
    #[serde(default)]
    value: String,
}

/// Parses `gluster --xml volume info [vol]`.
pub fn volume_info(xml: &str) -> Result<Vec<VolumeInfo>, ParseError> {
    let body: InfoBody = envelope(xml)?;
    Ok(body
        .vol_info
        .volumes
        .volume
        .into_iter()
        .map(|v| VolumeInfo {
            name: v.name,
            id: v.id,
            started: v.status.trim() == "1",
            status: v.status_str,
            kind: v.type_str,
            replica_count: num(&v.replica_count).unwrap_or(1).max(1),
            arbiter_count: num(&v.arbiter_count).unwrap_or(0),
            bricks: v
                .bricks
                .brick
                .into_iter()
                .map(|b| BrickRef {
                    name: b.name,
                    host_uuid: b.host_uuid,
                    arbiter: b.is_arbiter.trim() == "1",
                })
                .collect(),
            options: v.options.option.into_iter().map(|o| (o.name, o.value)).collect(),
        })
        .collect())
}

// ---------------------------------------------------------------- volume status detail

/// A brick as `volume status ... detail` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrickStatus {
    /// Peer name.
    pub host: String,
    /// Brick directory.
    pub path: String,
    /// UUID of the peer.
    pub peer_id: String,
    /// Whether the brick process is up.
    pub online: bool,
    /// Brick process id (`None` when down).
    pub pid: Option<u32>,
    /// TCP port (`None` when down: "N/A").
    pub port: Option<u16>,
    /// Bytes of the brick's file system.
    pub size_total: Option<u64>,
    /// Free bytes (`f_bfree`: includes the root reserve, so more than `df` calls available).
    pub size_free: Option<u64>,
    /// Inodes of the brick's file system.
    pub inodes_total: Option<u64>,
    /// Free inodes.
    pub inodes_free: Option<u64>,
}

impl BrickStatus {
    /// `host:path`, as `volume info` and heal info name bricks.
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.path)
    }
}

/// The bricks of one volume in a status answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeStatus {
    /// Volume name.
    pub name: String,
    /// Brick nodes only (self-heal daemon and other services left out).
    pub bricks: Vec<BrickStatus>,
}

#[derive(Deserialize, Default)]
struct StatusBody {
    #[serde(rename = "volStatus", default)]
    vol_status: StatusVolumes,
}

#[derive(Deserialize, Default)]
struct StatusVolumes {
    #[serde(default)]
    volumes: StatusVolumeList,
}

#[derive(Deserialize, Default)]
struct StatusVolumeList {
    #[serde(default)]
    volume: Vec<RawStatusVolume>,
}

#[derive(Deserialize)]
struct RawStatusVolume {
    #[serde(rename = "volName")]
    vol_name: String,
    #[serde(default)]
    node: Vec<RawNode>,
}

#[derive(Deserialize)]
struct RawNode {
    #[serde(default)]
    hostname: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    peerid: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    pid: String,
    #[serde(rename = "sizeTotal", default)]
    size_total: String,
    #[serde(rename = "sizeFree", default)]
    size_free: String,
    #[serde(rename = "inodesTotal", default)]
    inodes_total: String,
    #[serde(rename = "inodesFree", default)]
    inodes_free: String,
}

/// Parses `gluster --xml volume status <vol|all> [detail]`. A stopped volume is an error
/// ("Volume X is not started").
pub fn volume_status(xml: &str) -> Result<Vec<VolumeStatus>, ParseError> {
    let body: StatusBody = envelope(xml)?;
    Ok(body
        .vol_status
        .volumes
        .volume
        .into_iter()
        .map(|v| VolumeStatus {
            name: v.vol_name,
            bricks: v
                .node
                .into_iter()
                // Services (self-heal daemon, quotad, ...) are nodes too; bricks have a path.
                .filter(|n| n.path.starts_with('/'))
                .map(|n| BrickStatus {
                    online: n.status.trim() == "1",
                    pid: num::<i64>(&n.pid).and_then(|p| u32::try_from(p).ok()),
                    port: num(&n.port),
                    size_total: num(&n.size_total),
                    size_free: num(&n.size_free),
                    inodes_total: num(&n.inodes_total),
                    inodes_free: num(&n.inodes_free),
                    host: n.hostname,
                    path: n.path,
                    peer_id: n.peerid,
                })
                .collect(),
        })
        .collect())
}

// ---------------------------------------------------------------- heal info summary

/// Heal counts of one brick (`volume heal <vol> info summary`). `None`: unknown (the brick
/// could not be asked), never to be read as 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealBrick {
    /// `host:path`.
    pub name: String,
    /// "Connected", or why not.
    pub status: String,
    /// Entries that need healing.
    pub pending: Option<u64>,
    /// Entries in split-brain.
    pub split_brain: Option<u64>,
    /// Entries possibly being healed now.
    pub possibly_healing: Option<u64>,
    /// All entries.
    pub total: Option<u64>,
}

#[derive(Deserialize, Default)]
struct HealBody {
    #[serde(rename = "healInfo", default)]
    heal_info: HealBricks,
}

#[derive(Deserialize, Default)]
struct HealBricks {
    #[serde(default)]
    bricks: HealBrickList,
}

#[derive(Deserialize, Default)]
struct HealBrickList {
    #[serde(default)]
    brick: Vec<RawHealBrick>,
}

#[derive(Deserialize)]
struct RawHealBrick {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(rename = "totalNumberOfEntries", default)]
    total: Option<String>,
    #[serde(rename = "numberOfEntriesInHealPending", default)]
    pending: Option<String>,
    #[serde(rename = "numberOfEntriesInSplitBrain", default)]
    split_brain: Option<String>,
    #[serde(rename = "numberOfEntriesPossiblyHealing", default)]
    possibly_healing: Option<String>,
}

/// Parses `gluster --xml volume heal <vol> info summary`.
pub fn heal_summary(xml: &str) -> Result<Vec<HealBrick>, ParseError> {
    let body: HealBody = envelope(xml)?;
    let n = |s: Option<String>| s.as_deref().and_then(num::<u64>);
    Ok(body
        .heal_info
        .bricks
        .brick
        .into_iter()
        .map(|b| HealBrick {
            name: b.name,
            status: b.status,
            pending: n(b.pending),
            split_brain: n(b.split_brain),
            possibly_healing: n(b.possibly_healing),
            total: n(b.total),
        })
        .collect())
}

// ---------------------------------------------------------------- quota

/// One quota limit and its usage (`volume quota <vol> list`), in bytes. Gluster does not
/// enforce these reliably (gluster/glusterfs#2484): usage information only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaLimit {
    /// Directory on the volume.
    pub path: String,
    /// Hard limit.
    pub hard_limit: Option<u64>,
    /// Soft limit in bytes.
    pub soft_limit: Option<u64>,
    /// Bytes used.
    pub used: Option<u64>,
    /// Bytes left under the hard limit.
    pub available: Option<u64>,
    /// Soft limit exceeded.
    pub soft_exceeded: bool,
    /// Hard limit exceeded.
    pub hard_exceeded: bool,
}

#[derive(Deserialize, Default)]
struct QuotaBody {
    #[serde(rename = "volQuota", default)]
    vol_quota: QuotaList,
}

#[derive(Deserialize, Default)]
struct QuotaList {
    #[serde(default)]
    limit: Vec<RawLimit>,
}

#[derive(Deserialize)]
struct RawLimit {
    #[serde(default)]
    path: String,
    #[serde(default)]
    hard_limit: String,
    #[serde(default)]
    soft_limit_value: String,
    #[serde(default)]
    used_space: String,
    #[serde(default)]
    avail_space: String,
    #[serde(default)]
    sl_exceeded: String,
    #[serde(default)]
    hl_exceeded: String,
}

/// Parses `gluster --xml volume quota <vol> list`.
pub fn quota_list(xml: &str) -> Result<Vec<QuotaLimit>, ParseError> {
    let body: QuotaBody = envelope(xml)?;
    Ok(body
        .vol_quota
        .limit
        .into_iter()
        .map(|l| QuotaLimit {
            hard_limit: num(&l.hard_limit),
            soft_limit: num(&l.soft_limit_value),
            used: num(&l.used_space),
            available: num(&l.avail_space),
            soft_exceeded: l.sl_exceeded.trim() == "Yes",
            hard_exceeded: l.hl_exceeded.trim() == "Yes",
            path: l.path,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gluster")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn pool_list_and_peer_status() {
        let p = peers(&fixture("pool-list.xml")).unwrap();
        assert_eq!(
            p,
            [Peer {
                uuid: "00ddf695-e8e3-4fac-ab21-7c3f4b1f6a15".into(),
                hostname: "localhost".into(),
                connected: true,
                state: None,
            }]
        );
        // On a single node, peer status lists nobody.
        assert!(peers(&fixture("peer-status.xml")).unwrap().is_empty());
    }

    #[test]
    fn volume_info_started_with_quota_and_stopped() {
        let v = volume_info(&fixture("volume-info-opsvol-final.xml")).unwrap();
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.name, "opsvol");
        assert_eq!(v.id, "70edca8b-a2a3-470c-a450-90ed37a8cae9");
        assert!(v.started);
        assert_eq!(v.status, "Started");
        assert_eq!(v.kind, "Replicate");
        assert_eq!(v.replica_count, 3);
        assert_eq!(v.bricks.len(), 3);
        assert_eq!(v.bricks[1].name, "vm:/var/lib/opsbricks/b2");
        assert_eq!(v.bricks[1].host_uuid, "00ddf695-e8e3-4fac-ab21-7c3f4b1f6a15");
        assert!(!v.bricks[1].arbiter);
        assert_eq!(v.options.len(), 9);
        assert!(v.quota_on());
        assert_eq!(v.option("performance.client-io-threads"), Some("off"));

        let s = volume_info(&fixture("volume-info-opsvol-stopped.xml")).unwrap();
        assert!(!s[0].started);
        assert_eq!(s[0].status, "Stopped");
        assert!(!s[0].quota_on());

        let all = volume_info(&fixture("volume-info-all.xml")).unwrap();
        let names: Vec<_> = all.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["opsvol", "s3vol"]);
    }

    #[test]
    fn status_detail_healthy_brick_down_stopped() {
        let v = volume_status(&fixture("volume-status-opsvol-detail.xml")).unwrap();
        assert_eq!(v[0].name, "opsvol");
        assert_eq!(v[0].bricks.len(), 3);
        assert!(v[0].bricks.iter().all(|b| b.online && b.pid.is_some()));
        assert_eq!(v[0].bricks[0].port, Some(60315));
        assert_eq!(v[0].bricks[0].name(), "vm:/var/lib/opsbricks/b1");

        let d = volume_status(&fixture("volume-status-opsvol-detail-brickdown.xml")).unwrap();
        let b = &d[0].bricks;
        assert_eq!(b.len(), 3);
        assert!(!b[0].online);
        assert_eq!(b[0].pid, None);
        assert_eq!(b[0].port, None);
        // Capacity is filled in even for a down brick (glusterd statfs's the path itself).
        assert_eq!(b[0].size_total, Some(270_553_174_016));
        assert_eq!(b[0].size_free, Some(255_322_836_992));
        assert_eq!(b[0].inodes_total, Some(16_777_216));
        assert_eq!(b[0].inodes_free, Some(16_338_401));
        assert!(b[1].online);
        assert_eq!(b[1].pid, Some(17024));
        assert_eq!(b[1].port, Some(52072));
        assert_eq!(b[2].pid, Some(17045));

        let e = volume_status(&fixture("volume-status-opsvol-stopped.xml")).unwrap_err();
        assert_eq!(
            e,
            ParseError::Failed {
                errno: 30800,
                msg: "Volume opsvol is not started".into()
            }
        );

        let all = volume_status(&fixture("volume-status-all-detail.xml")).unwrap();
        let names: Vec<_> = all.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["opsvol", "s3vol"]);
        assert!(all.iter().all(|v| v.bricks.len() == 3));
    }

    #[test]
    fn heal_summary_healthy_pending_split_brain_stopped() {
        let h = heal_summary(&fixture("volume-heal-opsvol-info-summary.xml")).unwrap();
        assert_eq!(h.len(), 3);
        assert!(h.iter().all(|b| b.pending == Some(0) && b.split_brain == Some(0)));

        let p = heal_summary(&fixture("volume-heal-opsvol-info-summary-pending.xml")).unwrap();
        // The down brick has no counts: unknown, not 0.
        assert_eq!(p[0].name, "vm:/var/lib/opsbricks/b1");
        assert_eq!(p[0].pending, None);
        assert_eq!(p[0].split_brain, None);
        assert!(p[0].status.starts_with("Failed to process entries"));
        assert_eq!(p[1].pending, Some(103));
        assert_eq!(p[2].pending, Some(103));
        assert_eq!(p[2].split_brain, Some(0));
        assert_eq!(p[1].status, "Connected");

        let sb = heal_summary(&fixture("volume-heal-opsvol-info-summary-sb.xml")).unwrap();
        let counts: Vec<_> = sb.iter().map(|b| b.split_brain).collect();
        assert_eq!(counts, [Some(0), Some(1), Some(1)]);
        assert_eq!(sb[1].total, Some(1));

        // opRet comes after healInfo here, and is -1.
        let e = heal_summary(&fixture("volume-heal-opsvol-info-summary-stopped.xml")).unwrap_err();
        assert!(
            matches!(e, ParseError::Failed { errno: 5, ref msg } if msg.contains("Not able to fetch volfile"))
        );
    }

    #[test]
    fn quota_list_usage() {
        let q = quota_list(&fixture("volume-quota-opsvol-list.xml")).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].path, "/");
        assert_eq!(q[0].hard_limit, Some(1_073_741_824));
        assert_eq!(q[0].used, Some(9_522_176));
        assert!(!q[0].soft_exceeded);
        assert_eq!(q[1].path, "/bucket1");
        assert_eq!(q[1].hard_limit, Some(10_485_760));
        assert_eq!(q[1].soft_limit, Some(8_388_608));
        assert_eq!(q[1].used, Some(9_460_224));
        assert_eq!(q[1].available, Some(1_025_536));
        assert!(q[1].soft_exceeded);
        assert!(!q[1].hard_exceeded);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(volume_info("not xml <"), Err(ParseError::Xml(_))));
        assert!(matches!(peers(""), Err(ParseError::Xml(_))));
    }
}
