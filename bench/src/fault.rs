//! The client side of `make faults`: a mixed S3 load that keeps a ledger of every acknowledged
//! write (`faultload`), and the read-back of that ledger (`verify`, also used by `make soak`,
//! whose ledger records acknowledged DELETEs too).
//!
//! Owns the load's operation mix (new PUTs of mixed sizes, GET-and-verify of acknowledged keys,
//! overwrites), its per-request record (status, S3 code, latency), the ledger and "unknown" files
//! (JSON lines), the JSON summary (errors by status and code, stalls, times from the marks the
//! fault script writes to the first 503 and the first success), and the verdicts of the
//! read-back (lost, torn). Unlike the benchmark, this talks to a gateway at any address (the
//! cluster's gateway runs in its own network namespace). Must never panic on a server answer:
//! every status, reset or time-out is counted and reported, a 500 is a finding.
//!
//! Each key belongs to one worker, so its versions are written one after another; a key whose
//! write had an unknown outcome (time-out, reset, 5xx) is never overwritten again, so its stored
//! version is the last acknowledged one or one of the unknown ones written after it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::Method;
use md5::{Digest, Md5};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::http::{Conn, Response, TIMEOUT_PREFIX};
use crate::presign::Signer;

/// Object sizes of new PUTs and overwrites, with their weights (of 100).
const SIZES: [(u64, u32); 5] = [
    (0, 10),
    (1 << 10, 30),
    (64 << 10, 30),
    (1 << 20, 22),
    (8 << 20, 8),
];

/// Where, as whom and how hard to load the gateway.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// The gateway's S3 address.
    pub addr: SocketAddr,
    /// Access key.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Region to sign for.
    pub region: String,
    /// The bucket (created if missing).
    pub bucket: String,
    /// Concurrent workers.
    pub workers: usize,
    /// Per-request time limit: past it the request's outcome is unknown.
    pub timeout: Duration,
    /// Run at most this long.
    pub secs: f64,
    /// Stop when this file exists.
    pub stop_file: Option<PathBuf>,
    /// Acknowledged writes, appended after each 200.
    pub ledger: PathBuf,
    /// Writes whose outcome is unknown.
    pub unknown: PathBuf,
    /// Unix milliseconds of the latest success, rewritten every 200 ms (for the fault script).
    pub progress: Option<PathBuf>,
    /// Lines `NAME UNIX_MS` the fault script writes; read once at the end.
    pub marks: Option<PathBuf>,
    /// Seed of the key names and bodies (a run's keys differ from another seed's).
    pub seed: u64,
}

/// One ledger line: an acknowledged write, or (in the unknown file) a write whose outcome is not
/// known, with why.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Entry {
    /// Object key.
    pub key: String,
    /// Body length.
    pub size: u64,
    /// Hex MD5 of the body.
    pub md5: String,
    /// Seed of the body ([`body`]).
    pub seed: u64,
    /// For unknown outcomes: the status or transport error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// An acknowledged DELETE (size, md5 and seed unused): the key must answer 404.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// What a possible version of a key is, in [`verify`]'s list of unknown outcomes, when it is a
/// DELETE whose outcome is unknown (the key may be absent).
const DELETED: &str = "deleted";

/// Deterministic incompressible bytes from `seed` (xorshift64).
pub fn body(seed: u64, len: u64) -> Vec<u8> {
    let len = usize::try_from(len).unwrap_or(0);
    let mut out = Vec::with_capacity(len + 8);
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub(crate) fn md5_hex(b: &[u8]) -> String {
    hex::encode(Md5::digest(b))
}

fn unix_ms(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()).unwrap_or(u64::MAX)
}

/// The `<Code>` of an S3 error document.
pub(crate) fn s3_code(body: &[u8]) -> Option<String> {
    let doc = String::from_utf8_lossy(body);
    let start = doc.find("<Code>")? + "<Code>".len();
    let end = doc[start..].find("</Code>")? + start;
    Some(doc[start..end].to_owned())
}

/// What became of one request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// 2xx (for GETs: the body matched).
    Ok,
    /// An HTTP answer that is not a success: status, S3 code, `Retry-After` present.
    Status(u16, String, bool),
    /// GET body differs from every version the key may hold.
    Mismatch,
    /// No connection could be made: the request was never sent.
    Refused(String),
    /// Time-out or reset after sending: the server may have done it.
    Lost(String),
}

impl Outcome {
    pub(crate) fn label(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Status(st, code, _) => format!("{st} {code}"),
            Outcome::Mismatch => "GET body mismatch".into(),
            Outcome::Refused(_) => "connection refused".into(),
            Outcome::Lost(e) if e.starts_with(TIMEOUT_PREFIX) => "timeout".into(),
            Outcome::Lost(_) => "connection reset".into(),
        }
    }

    /// The write may have happened although it was not acknowledged.
    pub(crate) fn maybe_written(&self) -> bool {
        matches!(self, Outcome::Lost(_)) || matches!(self, Outcome::Status(st, ..) if *st >= 500)
    }
}

pub(crate) fn classify(res: Result<Response, String>, ok: u16) -> (Outcome, Option<Bytes>) {
    match res {
        Ok(r) if r.status == ok => (Outcome::Ok, r.body),
        Ok(r) => {
            let code = r.body.as_deref().and_then(s3_code).unwrap_or_else(|| "-".into());
            (Outcome::Status(r.status, code, r.retry_after.is_some()), None)
        }
        Err(e) if e.starts_with("connect ") || e.starts_with("handshake") => (Outcome::Refused(e), None),
        Err(e) => (Outcome::Lost(e), None),
    }
}

/// One request as the summary needs it.
#[derive(Clone, Debug)]
struct Rec {
    op: &'static str,
    outcome: Outcome,
    start_ms: u64,
    end_ms: u64,
}

/// The versions one key may hold.
#[derive(Clone, Debug, Default)]
struct KeyState {
    acked: Option<Entry>,
    /// Versions written after the last acknowledged one with an unknown outcome.
    maybe: Vec<String>,
}

struct Shared {
    spec: LoadSpec,
    ledger: Mutex<std::fs::File>,
    unknown: Mutex<std::fs::File>,
    last_ok_ms: std::sync::atomic::AtomicU64,
}

pub(crate) fn append(f: &Mutex<std::fs::File>, e: &Entry) {
    let mut line = serde_json::to_string(e).unwrap_or_default();
    line.push('\n');
    if let Ok(mut f) = f.lock() {
        if let Err(err) = f.write_all(line.as_bytes()) {
            eprintln!("faultload: ledger write failed: {err}");
        }
    }
}

struct Worker {
    id: usize,
    sh: Arc<Shared>,
    conn: Conn,
    rng: StdRng,
    keys: Vec<(String, KeyState)>,
    next_key: u64,
    recs: Vec<Rec>,
}

impl Worker {
    fn signer(&self) -> Signer {
        let s = &self.sh.spec;
        Signer::now(&s.access_key, &s.secret_key, &s.region, &s.addr.to_string())
    }

    fn pick_size(&mut self) -> u64 {
        let mut r = self.rng.random_range(0..100u32);
        for (size, w) in SIZES {
            if r < w {
                return size;
            }
            r -= w;
        }
        SIZES[0].0
    }

    /// One step of the mix: 45% new key, 15% overwrite, 40% GET-and-verify.
    async fn step(&mut self) {
        let r = self.rng.random_range(0..100u32);
        let writable: Vec<usize> = (0..self.keys.len())
            .filter(|&i| self.keys[i].1.maybe.is_empty() && self.keys[i].1.acked.is_some())
            .collect();
        let readable: Vec<usize> = (0..self.keys.len())
            .filter(|&i| self.keys[i].1.acked.is_some())
            .collect();
        if r < 40 && !readable.is_empty() {
            let i = readable[self.rng.random_range(0..readable.len())];
            self.get(i).await;
        } else if r < 55 && !writable.is_empty() {
            let i = writable[self.rng.random_range(0..writable.len())];
            self.put(i).await;
        } else {
            let key = format!("w{:02}/k{:06}", self.id, self.next_key);
            self.next_key += 1;
            self.keys.push((key, KeyState::default()));
            self.put(self.keys.len() - 1).await;
        }
    }

    fn record(&mut self, op: &'static str, outcome: Outcome, start: SystemTime) {
        let end = SystemTime::now();
        if outcome == Outcome::Ok {
            self.sh
                .last_ok_ms
                .fetch_max(unix_ms(end), std::sync::atomic::Ordering::Relaxed);
        }
        self.recs.push(Rec {
            op,
            outcome,
            start_ms: unix_ms(start),
            end_ms: unix_ms(end),
        });
    }

    async fn put(&mut self, i: usize) {
        let size = self.pick_size();
        let seed = self.rng.random::<u64>();
        let data = body(seed, size);
        let entry = Entry {
            key: self.keys[i].0.clone(),
            size,
            md5: md5_hex(&data),
            seed,
            why: None,
            deleted: false,
        };
        let url = self
            .signer()
            .presign("PUT", &format!("/{}/{}", self.sh.spec.bucket, entry.key), &[]);
        let start = SystemTime::now();
        let res = self
            .conn
            .send(Method::PUT, &url, Bytes::from(data), None, true)
            .await;
        let (outcome, _) = classify(res, 200);
        let st = &mut self.keys[i].1;
        if outcome == Outcome::Ok {
            append(&self.sh.ledger, &entry);
            st.acked = Some(entry);
            st.maybe.clear();
        } else if outcome.maybe_written() {
            st.maybe.push(entry.md5.clone());
            append(
                &self.sh.unknown,
                &Entry {
                    why: Some(outcome.label()),
                    ..entry
                },
            );
        }
        self.record("PUT", outcome, start);
    }

    async fn get(&mut self, i: usize) {
        let key = self.keys[i].0.clone();
        let url = self
            .signer()
            .presign("GET", &format!("/{}/{key}", self.sh.spec.bucket), &[]);
        let start = SystemTime::now();
        let res = self.conn.send(Method::GET, &url, Bytes::new(), None, true).await;
        let (mut outcome, data) = classify(res, 200);
        if outcome == Outcome::Ok {
            let got = md5_hex(data.as_deref().unwrap_or_default());
            let st = &self.keys[i].1;
            let fits = st.acked.as_ref().is_some_and(|e| e.md5 == got) || st.maybe.contains(&got);
            if !fits {
                eprintln!("faultload: GET {key}: body md5 {got} is no version this key may hold");
                outcome = Outcome::Mismatch;
            }
        }
        self.record("GET", outcome, start);
    }
}

/// Longest time in which no request succeeded (over all workers), and the longest gap between
/// two successes of one worker; both in ms, from the first success to the last.
fn stalls(per_worker: &[Vec<Rec>]) -> (u64, u64) {
    let mut worker_gap = 0;
    let mut all: Vec<u64> = Vec::new();
    for recs in per_worker {
        let oks: Vec<u64> = recs
            .iter()
            .filter(|r| r.outcome == Outcome::Ok)
            .map(|r| r.end_ms)
            .collect();
        for w in oks.windows(2) {
            worker_gap = worker_gap.max(w[1].saturating_sub(w[0]));
        }
        all.extend(oks);
    }
    all.sort_unstable();
    let global = all.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    (global, worker_gap)
}

fn read_marks(path: Option<&Path>) -> Vec<(String, u64)> {
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let (name, ms) = l.trim().split_once(' ')?;
            Some((name.to_owned(), ms.trim().parse().ok()?))
        })
        .collect()
}

/// For each mark: ms from it to the first success, first error and first 503 ending after it.
fn mark_times(recs: &[&Rec], marks: &[(String, u64)]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, at) in marks {
        let first = |f: &dyn Fn(&Rec) -> bool| {
            recs.iter()
                .filter(|r| r.end_ms >= *at && f(r))
                .map(|r| r.end_ms - at)
                .min()
        };
        out.insert(
            name.clone(),
            serde_json::json!({
                "at_ms": at,
                "first_ok_ms": first(&|r| r.outcome == Outcome::Ok && r.start_ms >= *at),
                "first_ok_any_ms": first(&|r| r.outcome == Outcome::Ok),
                "first_error_ms": first(&|r| r.outcome != Outcome::Ok),
                "first_503_ms": first(&|r| matches!(r.outcome, Outcome::Status(503, ..))),
            }),
        );
    }
    serde_json::Value::Object(out)
}

fn summary(spec: &LoadSpec, per_worker: &[Vec<Rec>], acked_keys: usize) -> serde_json::Value {
    let recs: Vec<&Rec> = per_worker.iter().flatten().collect();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut ops: BTreeMap<String, u64> = BTreeMap::new();
    let (mut no_retry_after, mut unknown, mut rejected, mut mismatches) = (0u64, 0u64, 0u64, 0u64);
    for r in &recs {
        *ops.entry(r.op.to_owned()).or_default() += 1;
        match &r.outcome {
            Outcome::Ok => continue,
            Outcome::Status(503, _, false) => no_retry_after += 1,
            Outcome::Mismatch => mismatches += 1,
            _ => {}
        }
        if r.op == "PUT" && matches!(r.outcome, Outcome::Lost(_)) {
            unknown += 1;
        } else if r.op == "PUT" && r.outcome.maybe_written() {
            rejected += 1;
        }
        *errors
            .entry(format!("{} {}", r.op, r.outcome.label()))
            .or_default() += 1;
    }
    let (stall_ms, worker_stall_ms) = stalls(per_worker);
    let max_latency_ms = recs.iter().map(|r| r.end_ms - r.start_ms).max().unwrap_or(0);
    let ok = recs.iter().filter(|r| r.outcome == Outcome::Ok).count();
    serde_json::json!({
        "requests": recs.len(),
        "ok": ok,
        "ops": ops,
        "errors": errors,
        "unknown_writes": unknown,
        "rejected_5xx_writes": rejected,
        "get_mismatches": mismatches,
        "status_503_without_retry_after": no_retry_after,
        "acked_keys": acked_keys,
        "stall_ms": stall_ms,
        "worker_stall_ms": worker_stall_ms,
        "max_latency_ms": max_latency_ms,
        "marks": mark_times(&recs, &read_marks(spec.marks.as_deref())),
    })
}

pub(crate) async fn create_bucket(spec: &LoadSpec) -> Result<(), String> {
    let s = Signer::now(
        &spec.access_key,
        &spec.secret_key,
        &spec.region,
        &spec.addr.to_string(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut conn = Conn::new(spec.addr, s.host()).with_timeout(spec.timeout);
        let url = s.presign("PUT", &format!("/{}", spec.bucket), &[]);
        let r = conn.send(Method::PUT, &url, Bytes::new(), None, true).await;
        match r {
            Ok(r) if matches!(r.status, 200 | 409) => return Ok(()),
            other if Instant::now() > deadline => {
                return Err(format!(
                    "CreateBucket {}: {}",
                    spec.bucket,
                    match other {
                        Ok(r) => format!("HTTP {}", r.status),
                        Err(e) => e,
                    }
                ))
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

pub(crate) fn open_append(p: &Path) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// Runs the load until `--secs` pass or the stop file appears; returns the JSON summary.
pub async fn run(spec: LoadSpec) -> Result<serde_json::Value, String> {
    create_bucket(&spec).await?;
    let sh = Arc::new(Shared {
        ledger: Mutex::new(open_append(&spec.ledger)?),
        unknown: Mutex::new(open_append(&spec.unknown)?),
        last_ok_ms: std::sync::atomic::AtomicU64::new(0),
        spec,
    });
    let end = Instant::now() + Duration::from_secs_f64(sh.spec.secs.clamp(0.0, 86_400.0));
    let stop = {
        let sh = sh.clone();
        move || Instant::now() >= end || sh.spec.stop_file.as_deref().is_some_and(Path::exists)
    };
    let mut tasks = Vec::new();
    for id in 0..sh.spec.workers.max(1) {
        let mut w = Worker {
            id,
            conn: Conn::new(sh.spec.addr, &sh.spec.addr.to_string()).with_timeout(sh.spec.timeout),
            sh: sh.clone(),
            rng: StdRng::seed_from_u64(sh.spec.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            keys: Vec::new(),
            next_key: 0,
            recs: Vec::new(),
        };
        w.next_key = sh.spec.seed % 1_000 * 1_000;
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            while !stop() {
                w.step().await;
            }
            let acked = w.keys.iter().filter(|k| k.1.acked.is_some()).count();
            (w.recs, acked)
        }));
    }
    let progress = sh.spec.progress.clone().map(|p| {
        let sh = sh.clone();
        tokio::spawn(async move {
            loop {
                let ms = sh.last_ok_ms.load(std::sync::atomic::Ordering::Relaxed);
                let _ = std::fs::write(&p, format!("{ms}\n"));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    });
    let mut per_worker = Vec::new();
    let mut acked = 0;
    for t in tasks {
        match t.await {
            Ok((recs, a)) => {
                per_worker.push(recs);
                acked += a;
            }
            Err(e) => eprintln!("faultload: a worker failed: {e}"),
        }
    }
    if let Some(p) = progress {
        p.abort();
    }
    Ok(summary(&sh.spec, &per_worker, acked))
}

/// Reads JSON lines of entries; a line that does not parse (a torn last line) is skipped.
fn read_entries(p: &Path) -> Result<Vec<Entry>, String> {
    let f = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", p.display())),
    };
    Ok(std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect())
}

/// The verdict on one key.
#[derive(Debug, PartialEq)]
enum Verdict {
    Ok,
    /// Holds a version whose write had an unknown outcome (time-out, reset).
    UnknownVersion,
    /// Holds a version whose write was answered with a 5xx (the refusal came after the write).
    RejectedVersion,
    Lost,
    /// An acknowledged DELETE, yet the key answers with a body no unknown write explains.
    Undeleted(String),
    Torn(String),
    Error(String),
}

/// The verdict on a body `b` read back for `want` (a version, or an acknowledged deletion).
fn judge_body(want: &Entry, b: &[u8], maybe: &[(String, bool)]) -> Verdict {
    let got = md5_hex(b);
    if !want.deleted && got == want.md5 && b.len() as u64 == want.size {
        Verdict::Ok
    } else if let Some((_, rejected)) = maybe.iter().find(|(m, _)| *m == got) {
        if *rejected {
            Verdict::RejectedVersion
        } else {
            Verdict::UnknownVersion
        }
    } else if want.deleted {
        Verdict::Undeleted(format!("{} bytes, md5 {got}", b.len()))
    } else {
        Verdict::Torn(format!("{} bytes, md5 {got}", b.len()))
    }
}

/// The verdict on a 404 for `want`: right after an acknowledged DELETE, explained by a DELETE
/// whose outcome is unknown, or a lost object.
fn judge_absent(want: &Entry, maybe: &[(String, bool)]) -> Verdict {
    if want.deleted {
        Verdict::Ok
    } else if maybe.iter().any(|(m, _)| m == DELETED) {
        Verdict::UnknownVersion
    } else {
        Verdict::Lost
    }
}

async fn check(conn: &mut Conn, spec: &LoadSpec, want: &Entry, maybe: &[(String, bool)]) -> Verdict {
    let mut last = String::new();
    for attempt in 0..5u64 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
        }
        let s = Signer::now(
            &spec.access_key,
            &spec.secret_key,
            &spec.region,
            &spec.addr.to_string(),
        );
        let url = s.presign("GET", &format!("/{}/{}", spec.bucket, want.key), &[]);
        match conn.send(Method::GET, &url, Bytes::new(), None, true).await {
            Ok(r) if r.status == 200 => return judge_body(want, &r.body.unwrap_or_default(), maybe),
            Ok(r) if r.status == 404 => return judge_absent(want, maybe),
            Ok(r) => {
                last = format!(
                    "HTTP {} {}",
                    r.status,
                    r.body.as_deref().and_then(s3_code).unwrap_or_default()
                );
            }
            Err(e) => last = e,
        }
    }
    Verdict::Error(last)
}

/// Reads back the latest acknowledged version of every ledger key (a key whose latest entry is
/// an acknowledged DELETE must answer 404); returns the JSON report and whether it is clean
/// (nothing lost, torn, undeleted or unreadable).
pub async fn verify(spec: LoadSpec, conc: usize) -> Result<(serde_json::Value, bool), String> {
    let mut want: HashMap<String, Entry> = HashMap::new();
    for e in read_entries(&spec.ledger)? {
        want.insert(e.key.clone(), e);
    }
    // Unknown outcomes after the last acknowledged write of a key (the worker stops writing a key
    // after one, so every unknown line of a key in the ledger is a possible current version).
    let mut maybe: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for e in read_entries(&spec.unknown)? {
        let rejected = e.why.as_deref().is_some_and(|w| w.starts_with('5'));
        let version = if e.deleted { DELETED.to_owned() } else { e.md5 };
        maybe.entry(e.key).or_default().push((version, rejected));
    }
    let keys: Vec<Entry> = want.into_values().collect();
    let work = Arc::new(Mutex::new(keys.into_iter()));
    let maybe = Arc::new(maybe);
    let spec = Arc::new(spec);
    let mut tasks = Vec::new();
    for _ in 0..conc.max(1) {
        let (work, maybe, spec) = (work.clone(), maybe.clone(), spec.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(spec.addr, &spec.addr.to_string()).with_timeout(spec.timeout);
            let mut out = Vec::new();
            loop {
                let next = work.lock().ok().and_then(|mut w| w.next());
                let Some(e) = next else { break };
                let m = maybe.get(&e.key).cloned().unwrap_or_default();
                let v = check(&mut conn, &spec, &e, &m).await;
                out.push((e.key, v));
            }
            out
        }));
    }
    let (mut ok, mut unknown_version, mut rejected_version) = (0u64, 0u64, 0u64);
    let (mut lost, mut torn, mut errors, mut undeleted) = (0u64, 0u64, 0u64, 0u64);
    let mut detail = String::new();
    for t in tasks {
        for (key, v) in t.await.map_err(|e| e.to_string())? {
            match &v {
                Verdict::Ok => ok += 1,
                Verdict::UnknownVersion => unknown_version += 1,
                Verdict::RejectedVersion => rejected_version += 1,
                Verdict::Lost => lost += 1,
                Verdict::Torn(_) => torn += 1,
                Verdict::Undeleted(_) => undeleted += 1,
                Verdict::Error(_) => errors += 1,
            }
            if !matches!(v, Verdict::Ok | Verdict::UnknownVersion) && detail.lines().count() < 20 {
                let _ = writeln!(detail, "{key}: {v:?}");
            }
        }
    }
    if !detail.is_empty() {
        eprint!("verify: problems:\n{detail}");
    }
    let clean = lost == 0 && torn == 0 && errors == 0 && undeleted == 0;
    Ok((
        serde_json::json!({
            "keys": ok + unknown_version + rejected_version + lost + torn + undeleted + errors,
            "ok": ok,
            "unknown_version": unknown_version,
            "rejected_5xx_version": rejected_version,
            "lost": lost,
            "torn": torn,
            "undeleted": undeleted,
            "read_errors": errors,
            "unknown_or_5xx_writes": maybe.values().map(Vec::len).sum::<usize>(),
        }),
        clean,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ok: bool, end_ms: u64) -> Rec {
        Rec {
            op: "PUT",
            outcome: if ok {
                Outcome::Ok
            } else {
                Outcome::Status(503, "ServiceUnavailable".into(), true)
            },
            start_ms: end_ms.saturating_sub(5),
            end_ms,
        }
    }

    #[test]
    fn bodies_are_deterministic_and_differ_by_seed() {
        assert_eq!(body(7, 1000), body(7, 1000));
        assert_ne!(body(7, 1000), body(8, 1000));
        assert_eq!(body(7, 13).len(), 13);
        assert!(body(7, 0).is_empty());
    }

    #[test]
    fn stalls_are_gaps_between_successes() {
        let w1 = vec![rec(true, 100), rec(false, 900), rec(true, 1100)];
        let w2 = vec![rec(true, 500), rec(true, 700)];
        assert_eq!(stalls(&[w1, w2]), (400, 1000));
    }

    #[test]
    fn marks_find_first_503_and_first_success() {
        let recs = [rec(true, 100), rec(false, 1300), rec(true, 2500)];
        let refs: Vec<&Rec> = recs.iter().collect();
        let m = mark_times(&refs, &[("fault".into(), 1000), ("heal".into(), 2000)]);
        assert_eq!(m["fault"]["first_503_ms"], 300);
        assert_eq!(m["heal"]["first_ok_ms"], 500);
        assert_eq!(m["heal"]["first_503_ms"], serde_json::Value::Null);
    }

    #[test]
    fn deletions_are_verified() {
        let e = |deleted| Entry {
            key: "k".into(),
            size: 3,
            md5: md5_hex(b"abc"),
            seed: 0,
            why: None,
            deleted,
        };
        assert_eq!(judge_body(&e(false), b"abc", &[]), Verdict::Ok);
        assert!(matches!(judge_body(&e(false), b"abd", &[]), Verdict::Torn(_)));
        assert!(matches!(judge_body(&e(true), b"abc", &[]), Verdict::Undeleted(_)));
        assert_eq!(judge_absent(&e(true), &[]), Verdict::Ok);
        assert_eq!(judge_absent(&e(false), &[]), Verdict::Lost);
        assert_eq!(
            judge_absent(&e(false), &[(DELETED.into(), false)]),
            Verdict::UnknownVersion
        );
        let unknown = [(md5_hex(b"xyz"), false)];
        assert_eq!(judge_body(&e(true), b"xyz", &unknown), Verdict::UnknownVersion);
        let line = serde_json::to_string(&e(false)).unwrap();
        assert!(
            !line.contains("deleted"),
            "faultload's ledger lines stay as they were: {line}"
        );
        let back: Entry = serde_json::from_str(&serde_json::to_string(&e(true)).unwrap()).unwrap();
        assert!(back.deleted);
    }

    #[test]
    fn codes_and_outcomes() {
        assert_eq!(
            s3_code(b"<Error><Code>ServiceUnavailable</Code></Error>").as_deref(),
            Some("ServiceUnavailable")
        );
        assert!(Outcome::Lost(format!("{TIMEOUT_PREFIX} 60s")).maybe_written());
        assert_eq!(Outcome::Lost(format!("{TIMEOUT_PREFIX} 60s")).label(), "timeout");
        assert!(Outcome::Status(500, "InternalError".into(), false).maybe_written());
        assert!(!Outcome::Status(404, "NoSuchKey".into(), false).maybe_written());
        assert!(!Outcome::Refused("connect".into()).maybe_written());
    }
}
