//! The cluster collector: a background task that runs the `gluster --mode=script --xml` CLI
//! (through `tokio::process`, each command under a timeout, against the first reachable
//! volfile server) and keeps the last good answer of each command with its error and age, so
//! one failing command degrades one field and never the API. `heal info summary` and
//! `quota list` spawn a gfapi client and emit events each time, so they run only every
//! [`SLOW_EVERY`] and on [`Collector::refresh_now`]. Gluster events ask for a refresh
//! ([`refresh_on_event`]); a burst of them costs one refresh, at most one per
//! [`KICK_MIN_GAP`]. Owns the snapshot; must not serve HTTP or block the executor.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;
use serde::Serialize;
use tokio::sync::{watch, Notify};

use super::parse::{self, HealBrick, Peer, QuotaLimit, VolumeInfo, VolumeStatus};
use crate::background;
use crate::config::Config;

/// How often the commands that spawn a client (heal info summary, quota list) run at most
/// without a [`Collector::refresh_now`].
pub const SLOW_EVERY: Duration = Duration::from_secs(60);
/// Shortest gap between two runs of the slow commands, even when asked more often.
const SLOW_MIN_GAP: Duration = Duration::from_secs(5);
/// How long a volfile server may take to accept a TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a command refused for another transaction's lock is tried again.
const LOCK_RETRIES: u32 = 3;
/// The pause before the first retry (doubled, then tripled).
const LOCK_RETRY_DELAY: Duration = Duration::from_millis(250);
/// Shortest gap between the starts of two refreshes asked for by [`Collector::refresh_now`]:
/// one action emits a burst of events (a volume start: a dozen within 100 ms), which must cost
/// one run of the CLI, not a dozen.
pub const KICK_MIN_GAP: Duration = Duration::from_secs(1);

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The last good value of one command, and its last error when the latest run failed.
#[derive(Debug, Clone, Serialize)]
pub struct Field<T> {
    /// Last good value (`None`: never collected).
    pub value: Option<T>,
    /// Why the latest run failed (`None` when it succeeded).
    pub error: Option<String>,
    /// Unix seconds of `value`.
    pub collected_at: Option<u64>,
}

impl<T> Default for Field<T> {
    fn default() -> Self {
        Field {
            value: None,
            error: None,
            collected_at: None,
        }
    }
}

impl<T> Field<T> {
    fn update(&mut self, r: Result<T, String>) {
        match r {
            Ok(v) => {
                self.value = Some(v);
                self.error = None;
                self.collected_at = Some(unix_now());
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// Everything the collector knows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `pool list` (this node included, as `localhost`).
    pub peers: Field<Vec<Peer>>,
    /// `volume info`.
    pub volumes: Field<Vec<VolumeInfo>>,
    /// `volume status all detail` (stopped volumes are absent).
    pub status: Field<Vec<VolumeStatus>>,
    /// `volume heal <vol> info summary`, per started volume.
    pub heal: BTreeMap<String, Field<Vec<HealBrick>>>,
    /// `volume quota <vol> list`, per started volume with quota on.
    pub quota: BTreeMap<String, Field<Vec<QuotaLimit>>>,
    /// The glusterd the CLI talked to last (`--remote-host`), `None` for the local default.
    pub remote_host: Option<String>,
    /// Unix seconds of the end of the last refresh (`None`: none finished yet).
    pub refreshed_at: Option<u64>,
}

/// What the collector needs from the configuration.
#[derive(Debug, Clone)]
struct Settings {
    cli: PathBuf,
    timeout: Duration,
    refresh: Option<Duration>,
    servers: Vec<(String, u16)>,
}

/// The collector; shared (`Arc`) between its task, the admin routes and whoever wants a
/// refresh (events).
pub struct Collector {
    settings: Settings,
    snapshot: RwLock<Arc<Snapshot>>,
    kick: Notify,
    slow_due: AtomicBool,
    /// This machine's glusterd UUID (`/var/lib/glusterd/glusterd.info`), when readable.
    local_uuid: Option<String>,
    /// Names and addresses that mean this machine.
    local_names: Vec<String>,
}

impl Collector {
    /// A collector for `config` (nothing runs until [`start`]).
    pub fn new(config: &Config) -> Arc<Collector> {
        let servers = config
            .volfile_servers
            .iter()
            .filter_map(|s| gfapi::Server::parse(s).ok())
            .map(|s| (s.host, s.port))
            .collect();
        let local_uuid = std::fs::read_to_string("/var/lib/glusterd/glusterd.info")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("UUID=").map(|u| u.trim().to_owned()))
            });
        let mut local_names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
            let h = h.trim().to_owned();
            if let Some((short, _)) = h.split_once('.') {
                local_names.push(short.to_owned());
            }
            local_names.push(h);
        }
        Arc::new(Collector {
            settings: Settings {
                cli: config.gluster_cli.clone(),
                timeout: config.gluster_cli_timeout,
                refresh: config.cluster_refresh,
                servers,
            },
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            kick: Notify::new(),
            slow_due: AtomicBool::new(true),
            local_uuid,
            local_names,
        })
    }

    /// Whether the collector runs at all (`cluster_refresh_secs` not 0).
    pub fn enabled(&self) -> bool {
        self.settings.refresh.is_some()
    }

    /// The latest snapshot (cheap: an `Arc`).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .map_or_else(|p| p.into_inner().clone(), |s| s.clone())
    }

    /// Asks for a full refresh now, heal info included (e.g. an event said a brick changed).
    /// Returns at once (never blocks); the refresh runs on the collector's task, and calls
    /// that arrive before it starts are answered by it.
    pub fn refresh_now(&self) {
        self.slow_due.store(true, Ordering::Relaxed);
        self.kick.notify_one();
    }

    /// Whether a brick (`host`, peer `uuid`) is on this machine.
    pub fn is_local(&self, host: &str, uuid: &str) -> bool {
        self.local_uuid
            .as_deref()
            .is_some_and(|u| !uuid.is_empty() && u == uuid)
            || self.local_names.iter().any(|n| n.eq_ignore_ascii_case(host))
    }

    fn publish(&self, f: impl FnOnce(&mut Snapshot)) {
        let mut guard = self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut next = (**guard).clone();
        f(&mut next);
        *guard = Arc::new(next);
    }

    /// Runs `gluster --mode=script --xml [--remote-host=H] args...` and returns its stdout
    /// (the CLI prints its XML answer, failures included, on stdout).
    async fn run(&self, remote: Option<&str>, args: &[&str]) -> Result<String, String> {
        let mut cmd = tokio::process::Command::new(&self.settings.cli);
        cmd.arg("--mode=script").arg("--xml");
        if let Some(h) = remote {
            cmd.arg(format!("--remote-host={h}"));
        }
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let what = args.join(" ");
        let out = match tokio::time::timeout(self.settings.timeout, cmd.output()).await {
            Err(_) => {
                return Err(format!(
                    "gluster {what}: no answer in {} s",
                    self.settings.timeout.as_secs()
                ))
            }
            Ok(Err(e)) => return Err(format!("running {} {what}: {e}", self.settings.cli.display())),
            Ok(Ok(o)) => o,
        };
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if stdout.trim().is_empty() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(format!("gluster {what}: {} {}", out.status, stderr.trim()));
        }
        Ok(stdout)
    }

    /// Runs a command and parses its answer. glusterd refuses a command while another
    /// transaction holds the volume's lock ("Another transaction is in progress for X"), which
    /// is just when an event (the end of that transaction) asked for this refresh: so that
    /// answer is tried again, a few times, before it counts as the field's error.
    async fn ask<T>(
        &self,
        remote: Option<&str>,
        args: &[&str],
        parse: fn(&str) -> Result<T, parse::ParseError>,
    ) -> Result<T, String> {
        let mut tries = 0;
        loop {
            let r = self
                .run(remote, args)
                .await
                .and_then(|x| parse(&x).map_err(|e| e.to_string()));
            match r {
                Err(e) if tries < LOCK_RETRIES && e.contains("Another transaction is in progress") => {
                    tries += 1;
                    tokio::time::sleep(LOCK_RETRY_DELAY * tries).await;
                }
                r => return r,
            }
        }
    }

    /// The first volfile server that accepts a TCP connection (`None` when none is
    /// configured: the CLI's own default, the local glusterd).
    async fn remote_host(&self) -> Result<Option<String>, String> {
        if self.settings.servers.is_empty() {
            return Ok(None);
        }
        for (host, port) in &self.settings.servers {
            let conn = tokio::net::TcpStream::connect((host.as_str(), *port));
            if let Ok(Ok(_)) = tokio::time::timeout(CONNECT_TIMEOUT, conn).await {
                return Ok(Some(host.clone()));
            }
        }
        Err("no volfile server accepts connections".into())
    }

    /// One refresh; `slow` adds heal info summary and quota list.
    async fn refresh(&self, slow: bool) {
        let remote = match self.remote_host().await {
            Ok(r) => r,
            Err(e) => {
                self.publish(|s| {
                    s.peers.update(Err(e.clone()));
                    s.volumes.update(Err(e.clone()));
                    s.status.update(Err(e.clone()));
                    s.refreshed_at = Some(unix_now());
                });
                return;
            }
        };
        let r = remote.as_deref();
        let peers = self.ask(r, &["pool", "list"], parse::peers).await;
        let volumes = self.ask(r, &["volume", "info"], parse::volume_info).await;
        let status = self
            .ask(r, &["volume", "status", "all", "detail"], parse::volume_status)
            .await;
        let started: Vec<(String, bool)> = volumes
            .as_ref()
            .map(|v| {
                v.iter()
                    .filter(|v| v.started)
                    .map(|v| (v.name.clone(), v.quota_on()))
                    .collect()
            })
            .unwrap_or_default();
        let known: Option<Vec<String>> = volumes
            .as_ref()
            .ok()
            .map(|v| v.iter().map(|v| v.name.clone()).collect());
        self.publish(|s| {
            s.remote_host.clone_from(&remote);
            s.peers.update(peers);
            s.volumes.update(volumes);
            s.status.update(status);
            // Volumes that no longer exist, or (quota) no longer have quota on, drop out.
            if let Some(known) = &known {
                s.heal.retain(|k, _| known.contains(k));
                let with_quota: Vec<&String> = started.iter().filter(|v| v.1).map(|v| &v.0).collect();
                s.quota.retain(|k, _| with_quota.contains(&k));
            }
            s.refreshed_at = Some(unix_now());
        });
        if !slow {
            return;
        }
        // Published above already: brick state must not wait for the slow commands.
        let mut heal = Vec::new();
        let mut quota = Vec::new();
        for (name, quota_on) in &started {
            let h = self
                .ask(
                    r,
                    &["volume", "heal", name, "info", "summary"],
                    parse::heal_summary,
                )
                .await;
            heal.push((name.clone(), h));
            if *quota_on {
                let q = self
                    .ask(r, &["volume", "quota", name, "list"], parse::quota_list)
                    .await;
                quota.push((name.clone(), q));
            }
        }
        self.publish(|s| {
            for (name, h) in heal {
                s.heal.entry(name).or_default().update(h);
            }
            for (name, q) in quota {
                s.quota.entry(name).or_default().update(q);
            }
            s.refreshed_at = Some(unix_now());
        });
    }
}

/// Whether a Gluster event (name and message, as the webhook got them) should trigger
/// [`Collector::refresh_now`]: any event that may change what the collector shows, but not
/// client connects and disconnects (no collected answer shows clients), nor the events of the
/// clients the collector's own slow commands spawn (`client-pid` -7: heal info's glfsheal; -5:
/// quota's aux mount), which would otherwise trigger the next heal info, and so on forever.
pub fn refresh_on_event(event: &str, message: &serde_json::Value) -> bool {
    if matches!(event, "CLIENT_CONNECT" | "CLIENT_DISCONNECT") {
        return false;
    }
    // eventsd sends it as a string ("-7"); accept a number too.
    let pid = message.get("client-pid").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    });
    !matches!(pid, Some(-7 | -5))
}

/// Starts the collector's task: a refresh at once, then every `cluster_refresh` or on
/// [`Collector::refresh_now`]. With no `cluster_refresh` the task only waits for its stop.
pub fn start(collector: Arc<Collector>) -> background::Handle {
    background::spawn(move |mut stop: watch::Receiver<bool>| async move {
        let Some(refresh) = collector.settings.refresh else {
            let _ = stop.changed().await;
            return;
        };
        let mut last_slow: Option<Instant> = None;
        loop {
            let slow = last_slow.is_none_or(|t| {
                let since = t.elapsed();
                since >= SLOW_EVERY || (since >= SLOW_MIN_GAP && collector.slow_due.load(Ordering::Relaxed))
            });
            if slow {
                collector.slow_due.store(false, Ordering::Relaxed);
                last_slow = Some(Instant::now());
            }
            // Kicks until now are answered by this refresh: drop a stored one, so that a burst
            // that arrived while waiting out the gap below costs one refresh, not two.
            let _ = collector.kick.notified().now_or_never();
            let started = Instant::now();
            tokio::select! {
                () = collector.refresh(slow) => {}
                _ = stop.changed() => return,
            }
            let wait = if collector.slow_due.load(Ordering::Relaxed) {
                // Asked for while the slow commands were not allowed yet: come back when they are.
                SLOW_MIN_GAP.min(refresh)
            } else {
                refresh
            };
            let kicked = tokio::select! {
                () = tokio::time::sleep(wait) => false,
                () = collector.kick.notified() => true,
                _ = stop.changed() => return,
            };
            if kicked {
                // The rest of the burst lands in the next refresh (and the state the CLI reads
                // has had a moment to settle).
                tokio::select! {
                    () = tokio::time::sleep_until((started + KICK_MIN_GAP).into()) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_events_refresh() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gluster/eventsd-webhook-examples.json"
        ))
        .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut quiet: Vec<&str> = doc["bodies"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, b)| !refresh_on_event(b["event"].as_str().unwrap(), &b["message"]))
            .map(|(k, _)| k.as_str())
            .collect();
        quiet.sort_unstable();
        assert_eq!(
            quiet,
            [
                "AFR_QUORUM_MET client-pid=-5",
                "AFR_QUORUM_MET client-pid=-7",
                "AFR_SPLIT_BRAIN client-pid=-7",
                "AFR_SUBVOLS_DOWN client-pid=-7",
                "AFR_SUBVOL_UP client-pid=-5",
                "AFR_SUBVOL_UP client-pid=-7",
                "CLIENT_CONNECT",
                "CLIENT_DISCONNECT",
            ]
        );
        assert!(!refresh_on_event(
            "AFR_QUORUM_MET",
            &serde_json::json!({"client-pid": -7})
        ));
        assert!(refresh_on_event("BRICK_DISCONNECTED", &serde_json::Value::Null));
    }

    /// A fake `gluster` that logs each run's arguments to `log` and answers `pool list`.
    fn fake_cli(dir: &std::path::Path) -> (PathBuf, PathBuf) {
        let log = dir.join("runs.log");
        let cli = dir.join("gluster");
        let pool = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gluster/pool-list.xml"
        );
        std::fs::write(
            &cli,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in *'pool list'*) cat '{pool}';; *) echo '<x/>';; esac\n",
                log.display()
            ),
        )
        .unwrap();
        let mut p = std::fs::metadata(&cli).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
        std::fs::set_permissions(&cli, p).unwrap();
        (cli, log)
    }

    /// Refreshes started so far (each starts with `pool list`) and finished (`volume status`
    /// is the last fast command).
    fn runs(log: &std::path::Path) -> (usize, usize) {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let n = |w: &str| text.lines().filter(|l| l.contains(w)).count();
        (n("pool list"), n("volume status"))
    }

    async fn wait_finished(log: &std::path::Path, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while runs(log).1 < n {
            assert!(Instant::now() < deadline, "{:?} of {n} refreshes", runs(log));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_kicks_costs_few_refreshes() {
        let dir = tempfile::tempdir().unwrap();
        let (cli, log) = fake_cli(dir.path());
        let mut c = Config::load_offline(&crate::config::ServeArgs::default()).unwrap();
        c.gluster_cli = cli;
        c.volfile_servers.clear();
        c.cluster_refresh = Some(Duration::from_secs(600));
        let collector = Collector::new(&c);
        let task = start(collector.clone());
        wait_finished(&log, 1).await;
        assert_eq!(collector.snapshot().peers.value.as_ref().map(Vec::len), Some(1));

        // One kick: one refresh. The period is 10 minutes and `wait_finished` gives up after
        // 30 s, so only the kick can explain it (no bound on its latency: a loaded machine may
        // be slow to run the fake CLI).
        collector.refresh_now();
        wait_finished(&log, 2).await;

        // 300 kicks over 3 s (a busy event feed): one refresh per KICK_MIN_GAP at most, not
        // one per kick.
        let burst = Instant::now();
        while burst.elapsed() < Duration::from_secs(3) {
            collector.refresh_now();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The burst's first kick starts a refresh; on a loaded machine its CLI may not have
        // begun by the time the burst ends, so wait for it (bounded) before counting.
        let deadline = Instant::now() + Duration::from_secs(30);
        while runs(&log).0 < 3 {
            assert!(
                Instant::now() < deadline,
                "no refresh after 300 kicks: {:?}",
                runs(&log)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (started, _) = runs(&log);
        wait_finished(&log, started).await;
        let during = started - 2;
        // At least one (kicks kept coming), at most one per KICK_MIN_GAP plus the one running
        // when the burst began; a slow machine only lowers the count.
        assert!((1..=5).contains(&during), "{during} refreshes for 300 kicks");
        task.stop().await;
    }

    #[test]
    fn a_failed_run_keeps_the_last_good_value() {
        let mut f: Field<u32> = Field::default();
        f.update(Err("boom".into()));
        assert_eq!(
            (f.value, f.error.as_deref(), f.collected_at),
            (None, Some("boom"), None)
        );
        f.update(Ok(7));
        assert_eq!((f.value, f.error.as_deref()), (Some(7), None));
        let at = f.collected_at;
        assert!(at.is_some());
        f.update(Err("timeout".into()));
        assert_eq!(
            (f.value, f.error.as_deref(), f.collected_at),
            (Some(7), Some("timeout"), at)
        );
    }
}
