//! Helpers for the tests that act on the real cluster: the `gluster` CLI (retried while another
//! transaction holds a volume's lock), scratch replica-3 volumes that clean up after themselves,
//! brick kills, glustereventsd set up by `scripts/events-up.sh`, and raw HTTP requests to the
//! admin listener.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bounded waits for admin requests: the machine is loaded, but none takes this long.
const WAIT: Duration = Duration::from_secs(30);

/// Runs `gluster --mode=script args...`. glusterd refuses a command while another one holds
/// the volume's lock (a collector's `volume status` in a parallel test, say): tried again then.
pub fn gluster(args: &[&str]) -> Output {
    let mut tries = 0;
    loop {
        let out = std::process::Command::new("gluster")
            .arg("--mode=script")
            .args(args)
            .output()
            .expect("gluster CLI");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        if out.status.success() || !text.contains("Another transaction is in progress") || tries == 20 {
            return out;
        }
        tries += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `gluster args...`, which must succeed.
pub fn gluster_ok(args: &[&str]) {
    let out = gluster(args);
    assert!(
        out.status.success(),
        "gluster {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// This machine's host name, as scratch bricks are named.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

/// A scratch replica-3 volume of one test (`<tag>-<pid>`, three bricks on this host under
/// `/var/lib/glusters3/<name>`). Stopped, deleted and its brick directories removed on drop,
/// panics included, whatever state it got to. Dropping runs the CLI: drop it off the async
/// executor (`spawn_blocking`).
pub struct Scratch {
    pub name: String,
    pub root: PathBuf,
    pub host: String,
}

impl Scratch {
    /// The guard and the brick directories; the volume does not exist yet.
    pub fn new(tag: &str) -> Scratch {
        let name = format!("{tag}-{}", std::process::id());
        let s = Scratch {
            root: PathBuf::from(format!("/var/lib/glusters3/{name}")),
            name,
            host: hostname(),
        };
        for b in s.bricks() {
            std::fs::create_dir_all(b).unwrap();
        }
        s
    }

    /// A created and started scratch volume.
    pub fn started(tag: &str) -> Scratch {
        let s = Scratch::new(tag);
        s.create();
        gluster_ok(&["volume", "start", &s.name]);
        s
    }

    /// Brick directories, in volume order.
    pub fn bricks(&self) -> Vec<String> {
        (1..=3)
            .map(|i| self.root.join(format!("b{i}")).display().to_string())
            .collect()
    }

    /// The arguments of `volume create <name> replica 3 <bricks> force`.
    pub fn create_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["volume", "create", &self.name, "replica", "3"]
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        args.extend(self.bricks().iter().map(|b| format!("{}:{b}", self.host)));
        args.push("force".into());
        args
    }

    /// Creates the volume.
    pub fn create(&self) {
        let args = self.create_args();
        gluster_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// Brick pids of volume `name` in volume order (`None` when down), from the CLI.
    pub fn pids_of(name: &str) -> Vec<Option<u32>> {
        let out = gluster(&["--xml", "volume", "status", name]);
        let text = String::from_utf8_lossy(&out.stdout);
        match gateway::gluster::parse::volume_status(&text) {
            Ok(v) => v[0].bricks.iter().map(|b| b.pid.filter(|_| b.online)).collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = gluster(&["volume", "stop", &self.name, "force"]);
        let _ = gluster(&["volume", "delete", &self.name]);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Brick pids of `name` once every brick has one (bricks take a moment to register), 60 s at
/// most.
pub async fn wait_pids(name: &str) -> Vec<u32> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let n = name.to_owned();
        let p = tokio::task::spawn_blocking(move || Scratch::pids_of(&n))
            .await
            .unwrap();
        if !p.is_empty() && p.iter().all(Option::is_some) {
            return p.into_iter().flatten().collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "brick pids of {name}: {p:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `volume start <name> force`, until every brick has a pid again: a start force soon after
/// a brick was killed can find the dead brick not yet reaped, call it running and leave it
/// down (research note gluster-ops.md 2.2), so it is issued again every 10 s (60 s at most).
/// Returns when the first one returned.
pub async fn start_force(name: &str) -> tokio::time::Instant {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut first = None;
    loop {
        let n = name.to_owned();
        tokio::task::spawn_blocking(move || gluster_ok(&["volume", "start", &n, "force"]))
            .await
            .unwrap();
        let returned = *first.get_or_insert_with(tokio::time::Instant::now);
        let retry = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < retry {
            let n = name.to_owned();
            let p = tokio::task::spawn_blocking(move || Scratch::pids_of(&n))
                .await
                .unwrap();
            if !p.is_empty() && p.iter().all(Option::is_some) {
                return returned;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "start force left bricks of {name} down"
        );
    }
}

/// Waits (30 s at most) until process `pid` is gone, zombie included: PID 1 here reaps
/// orphans only after ~1.75 s, and glusterd takes a brick whose pid still exists for running.
pub async fn wait_gone(pid: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "process {pid} never went away"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGKILL.
pub fn kill(pid: u32) {
    let out = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "kill {pid}");
}

/// Whether glustereventsd is installed (tests that need it skip otherwise).
pub fn eventsd_installed() -> bool {
    std::path::Path::new("/usr/sbin/glustereventsd").exists()
}

/// `scripts/events-up.sh` for a gateway whose admin listener is on `port` with `token`: starts
/// glustereventsd if needed and registers the webhook, which must then answer webhook-test.
pub async fn events_up(port: u16, token: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/events-up.sh");
    let token = token.to_owned();
    // Off the test's (single) thread: the gateway answers webhook-test on it.
    let up = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(script)
            .env("GLUSTERS3_ADMIN_TOKEN", token)
            .env("GLUSTERS3_ADMIN_PORT", port.to_string())
            .output()
    });
    let up = tokio::time::timeout(Duration::from_secs(120), up)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let log = String::from_utf8_lossy(&up.stdout).into_owned() + &String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "{log}");
    assert!(log.contains("webhook-test: OK"), "{log}");
}

/// One HTTP/1.1 request to the admin listener on its own connection; returns the status and
/// the raw response (head and body).
pub async fn request(
    admin: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String) {
    let addr = admin.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

/// The body of a raw response.
pub fn body(raw: &str) -> &str {
    raw.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// An `Authorization: Bearer` header.
pub fn bearer(t: &str) -> Vec<(&'static str, String)> {
    vec![("Authorization", format!("Bearer {t}"))]
}
