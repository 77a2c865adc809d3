//! Operations end to end on the real thing: the real glustereventsd (`scripts/events-up.sh`)
//! posts to a gateway on the fixed admin port 19242 while a scratch replica-3 volume is
//! created, started, set, loses two bricks to SIGKILL, is started with force, stopped and
//! deleted. Every expected event must reach the history, a websocket and an SSE stream (both
//! opened before) within 2 s of its command; `/health/cluster` must go 503 with two bricks down
//! and 200 after `start force`, and `/metrics` must show the killed brick down and drop the
//! deleted volume's series, all through the refresh the events trigger (the collector's own
//! period is 120 s, so nothing else explains a fast update). Skipped where glustereventsd is
//! not installed. The only test on port 19242 (the webhook URL events-up.sh registers).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::common::gluster::{
    bearer, body, events_up, eventsd_installed, gluster_ok, kill, request, start_force, wait_gone, wait_pids,
    Scratch,
};
use crate::common::{Gw, ADMIN_TOKEN};

const PORT: u16 = 19_242;
/// What the issue asks of every event on every channel.
const LATENCY: Duration = Duration::from_secs(2);
/// The collector's period: far longer than any wait below.
const REFRESH: Duration = Duration::from_secs(120);
/// How long an event-driven refresh may take to show in `/health/cluster` or `/metrics`.
const FOLLOW: Duration = Duration::from_secs(20);
/// How long to wait for an event before failing (beyond LATENCY, to report how late it was).
const WAIT: Duration = Duration::from_secs(30);

/// Events one channel delivered, with when the test saw them.
type Seen = Arc<Mutex<Vec<(Instant, Value)>>>;

/// The three ways to read events, all filtered on the scratch volume and opened before any
/// action: the history (polled every 50 ms), a websocket and an SSE stream.
struct Channels {
    history: Seen,
    ws: Seen,
    sse: Seen,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Channels {
    async fn open(admin: &str, volume: &str) -> Channels {
        let (history, ws, sse) = (Seen::default(), Seen::default(), Seen::default());
        let addr = admin.trim_start_matches("http://").to_owned();
        let url = format!("ws://{addr}/admin/v1/events/ws?token={ADMIN_TOKEN}&volume={volume}");
        let (mut socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .unwrap()
            .unwrap();
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let req = format!(
            "GET /admin/v1/events/stream?volume={volume} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        // The head comes once the stream has subscribed: from then on nothing is missed.
        let mut buf = String::new();
        while !buf.contains("\r\n\r\n") {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "SSE closed: {buf}");
            buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
        assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
        let rest = buf.split_once("\r\n\r\n").unwrap().1.to_owned();

        let w = ws.clone();
        let ws_task = tokio::spawn(async move {
            while let Some(Ok(m)) = socket.next().await {
                if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                    if let Ok(v) = serde_json::from_str(t.as_str()) {
                        w.lock().unwrap().push((Instant::now(), v));
                    }
                }
            }
        });
        let s = sse.clone();
        let sse_task = tokio::spawn(read_sse(stream, rest, s));
        let h = history.clone();
        let (admin, volume) = (admin.to_owned(), volume.to_owned());
        let history_task = tokio::spawn(async move {
            let mut since = 0u64;
            loop {
                let path = format!("/admin/v1/events?since={since}&limit=1000&volume={volume}");
                let (status, raw) = request(&admin, "GET", &path, &bearer(ADMIN_TOKEN), b"").await;
                assert_eq!(status, 200, "{raw}");
                let page: Value = serde_json::from_str(body(&raw)).unwrap();
                for e in page["events"].as_array().unwrap() {
                    h.lock().unwrap().push((Instant::now(), e.clone()));
                }
                since = page["last_id"].as_u64().unwrap_or(since);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Channels {
            history,
            ws,
            sse,
            tasks: vec![ws_task, sse_task, history_task],
        }
    }

    /// Waits until the event `name` whose message passes `want` is on every channel, and
    /// checks each got it within [`LATENCY`] of `done` (when its command returned; an event
    /// may arrive before that). Returns the event as the websocket got it.
    async fn expect(&self, done: Instant, name: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        let find = |seen: &Seen| {
            seen.lock()
                .unwrap()
                .iter()
                .find(|(_, e)| e["event"] == name && want(&e["message"]))
                .cloned()
        };
        loop {
            let got: Vec<_> = [&self.history, &self.ws, &self.sse]
                .into_iter()
                .map(find)
                .collect();
            if got.iter().all(Option::is_some) {
                let got: Vec<(Instant, Value)> = got.into_iter().flatten().collect();
                let lat: Vec<Duration> = got
                    .iter()
                    .map(|(t, _)| t.saturating_duration_since(done))
                    .collect();
                eprintln!(
                    "{name}: history {:?}, websocket {:?}, SSE {:?}",
                    lat[0], lat[1], lat[2]
                );
                for (channel, l) in ["history", "websocket", "SSE"].iter().zip(&lat) {
                    assert!(*l < LATENCY, "{name} reached the {channel} after {l:?}");
                }
                // One event, one id, on every channel.
                assert!(got.iter().all(|(_, e)| e["id"] == got[0].1["id"]), "{got:?}");
                return got[1].1.clone();
            }
            assert!(
                Instant::now() < deadline,
                "{name} missing: history {:?}, websocket {:?}, SSE {:?}",
                names(&self.history),
                names(&self.ws),
                names(&self.sse)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Channels {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn names(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(_, e)| e["event"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Reads an SSE stream (chunked): each complete `data:` frame is one event.
async fn read_sse(mut stream: TcpStream, mut buf: String, seen: Seen) {
    loop {
        while let Some((frame, rest)) = buf.split_once("\n\n") {
            if let Some(v) = frame
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
            {
                seen.lock().unwrap().push((Instant::now(), v));
            }
            buf = rest.to_owned();
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.push_str(&String::from_utf8_lossy(&chunk[..n])),
            _ => return,
        }
    }
}

/// Runs `gluster args...` off the executor; returns when it returned.
async fn act(args: &[&str]) -> Instant {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        gluster_ok(&a);
    })
    .await
    .unwrap();
    Instant::now()
}

/// Polls `path` on the admin listener until `want(status, body)` holds, within [`FOLLOW`] of
/// `since`; returns the body and how long it took.
async fn follow(
    admin: &str,
    path: &str,
    since: Instant,
    want: impl Fn(u16, &str) -> bool,
) -> (String, Duration) {
    loop {
        let (status, raw) = request(admin, "GET", path, &[], b"").await;
        let b = body(&raw).to_owned();
        if want(status, &b) {
            return (b, since.elapsed());
        }
        assert!(
            since.elapsed() < FOLLOW,
            "{path} after {:?}: {status} {b}",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of the series `name` whose labels include every `labels` pair.
fn series(page: &str, name: &str, labels: &[(&str, &str)]) -> Option<i64> {
    page.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.strip_prefix('{')?;
        let (set, value) = rest.rsplit_once("} ")?;
        labels
            .iter()
            .all(|(k, v)| set.split(',').any(|p| p == format!("{k}=\"{v}\"")))
            .then(|| value.trim().parse().ok())?
    })
}

fn health_is(code: u16) -> impl Fn(u16, &str) -> bool {
    move |s, _| s == code
}

#[actix_web::test]
async fn events_health_and_metrics_follow_a_scratch_volume() {
    if !eventsd_installed() {
        eprintln!("glustereventsd not installed: skipped");
        return;
    }
    let scratch = tokio::task::spawn_blocking(|| Scratch::new("opse2e"))
        .await
        .unwrap();
    let (vol, host, bricks) = (scratch.name.clone(), scratch.host.clone(), scratch.bricks());
    let gw = Gw::start_with(|c| {
        c.admin_listen = ([127, 0, 0, 1], PORT).into();
        c.volume = vol.clone();
        c.cluster_refresh = Some(REFRESH);
    })
    .await;
    let admin = gw.admin.clone();
    events_up(PORT, ADMIN_TOKEN).await;
    let ch = Channels::open(&admin, &vol).await;
    let named = |m: &Value| m["name"] == vol.as_str();

    let create = scratch.create_args();
    let done = act(&create.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let created = ch.expect(done, "VOLUME_CREATE", named).await;
    eprintln!("event as received on the websocket: {created}");

    let done = act(&["volume", "start", &vol]).await;
    ch.expect(done, "VOLUME_START", |m| named(m) && m["force"] == false)
        .await;
    let (_, took) = follow(&admin, "/health/cluster", done, |s, b| {
        s == 200 && b.contains("\"online\":3")
    })
    .await;
    eprintln!("/health/cluster 200 with 3 bricks {took:?} after volume start");

    let done = act(&["volume", "set", &vol, "features.cache-invalidation", "on"]).await;
    ch.expect(done, "VOLUME_SET", named).await;

    for pid in brick_kills(&ch, &admin, &vol, &host, &bricks).await {
        wait_gone(pid).await;
    }

    let done = start_force(&vol).await;
    ch.expect(done, "VOLUME_START", |m| named(m) && m["force"] == true)
        .await;
    let (_, took) = follow(&admin, "/health/cluster", done, health_is(200)).await;
    eprintln!("/health/cluster back to 200 {took:?} after start force");

    let done = act(&["volume", "stop", &vol]).await;
    ch.expect(done, "VOLUME_STOP", named).await;
    follow(&admin, "/metrics", done, |_, page| {
        series(page, "gluster_volume_up", &[("volume", &vol)]) == Some(0)
    })
    .await;

    let done = act(&["volume", "delete", &vol]).await;
    ch.expect(done, "VOLUME_DELETE", named).await;
    let quoted = format!("\"{vol}\"");
    let (_, took) = follow(&admin, "/metrics", done, |_, page| !page.contains(&quoted)).await;
    eprintln!("/metrics dropped the deleted volume's series {took:?} after volume delete");

    drop(ch);
    gw.stop().await;
    tokio::task::spawn_blocking(move || drop(scratch)).await.unwrap();
}

/// Two bricks SIGKILLed, one after the other: a BRICK_DISCONNECTED each, `gluster_brick_up 0`
/// for the first, `/health/cluster` still 200 with one down and 503 with two. Returns the
/// killed pids.
async fn brick_kills(ch: &Channels, admin: &str, vol: &str, host: &str, bricks: &[String]) -> [u32; 2] {
    let pids = wait_pids(vol).await;
    let brick = |b: &str| {
        let b = b.to_owned();
        move |m: &Value| m["volume"] == vol && m["brick"] == b.as_str()
    };
    kill(pids[0]);
    let done = Instant::now();
    ch.expect(done, "BRICK_DISCONNECTED", brick(&bricks[0])).await;
    let labels = [("volume", vol), ("host", host), ("brick", bricks[0].as_str())];
    let (page, took) = follow(admin, "/metrics", done, |_, p| {
        series(p, "gluster_brick_up", &labels) == Some(0)
    })
    .await;
    eprintln!("gluster_brick_up 0 for the killed brick {took:?} after the kill; the scrape:");
    for l in page
        .lines()
        .filter(|l| l.starts_with("gluster_") || l.starts_with("glusters3_gluster_up"))
    {
        eprintln!("  {l}");
    }
    let other = [("volume", vol), ("host", host), ("brick", bricks[1].as_str())];
    assert_eq!(series(&page, "gluster_brick_up", &other), Some(1), "{page}");
    assert_eq!(
        series(&page, "gluster_subvol_quorum", &[("volume", vol), ("set", "0")]),
        Some(1),
        "{page}"
    );
    assert!(page.lines().any(|l| l == "glusters3_gluster_up 1"), "{page}");
    let (status, _) = request(admin, "GET", "/health/cluster", &[], b"").await;
    assert_eq!(status, 200, "one brick of three down keeps quorum");

    kill(pids[1]);
    let done = Instant::now();
    ch.expect(done, "BRICK_DISCONNECTED", brick(&bricks[1])).await;
    let (verdict, took) = follow(admin, "/health/cluster", done, health_is(503)).await;
    eprintln!("/health/cluster 503 {took:?} after the second kill");
    assert!(verdict.contains("\"no-quorum\""), "{verdict}");
    [pids[0], pids[1]]
}
