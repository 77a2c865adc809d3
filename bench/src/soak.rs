//! `loadgen soak`, the client side of `make soak`: a long mixed S3 load over a bounded key space
//! with every read verified, while the gateway process's resources are sampled.
//!
//! Owns the soak's operation mix (PUTs of 0 B to 3 MiB, multipart uploads completed, aborted or
//! refused, full and ranged GETs verified against the ledger, DELETEs, and requests that must
//! fail: reads of absent keys, a bad signature, a part sent to an aborted upload, a completion
//! with a too-small part), its tally of requests and errors by status and code (expected
//! failures apart from unexpected ones), the sampler of the gateway's `/proc` entries and the
//! Markdown report. The ledger (acknowledged writes and DELETEs, unknown outcomes apart) and the
//! request classification are those of [`crate::fault`]; the slopes and verdicts are
//! [`crate::trend`]'s. Must never panic on a server answer: every status, reset or time-out is
//! counted, and the run fails on any the load did not provoke.
//!
//! Each key belongs to one worker, so its versions are written one after another and the worker
//! always knows what the key must hold; a key whose write had an unknown outcome is retired.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::fault::{self, body, classify, md5_hex, s3_code, Entry, LoadSpec, Outcome};
use crate::http::{Conn, Response};
use crate::presign::Signer;
use crate::sample::Pid;
use crate::trend::{self, Limits, Sample, Series};

/// Sizes of PUTs (and of one-part multipart uploads), with their weights (of 100).
const SIZES: [(u64, u32); 6] = [
    (0, 8),
    (100, 12),
    (4 << 10, 20),
    (64 << 10, 20),
    (1 << 20, 25),
    (3 << 20, 15),
];

/// The smallest part but the last of a multipart upload (the gateway's and S3's minimum).
const MIN_PART: u64 = 5 << 20;

/// Where the load goes, how long, what to watch and where the report goes.
#[derive(Clone, Debug)]
pub struct SoakSpec {
    /// Endpoint, credentials, bucket, workers, time limit per request, duration, ledger.
    pub load: LoadSpec,
    /// Keys each worker owns (the data set's bound is workers x keys x the largest object).
    pub keys_per_worker: usize,
    /// The gateway process to sample.
    pub pid: u32,
    /// The gateway's admin address, for the GC queue's length (none: not sampled).
    pub admin: Option<std::net::SocketAddr>,
    /// Time between samples.
    pub interval: Duration,
    /// Samples before this many seconds are not judged.
    pub warmup_s: f64,
    /// When a series counts as growing.
    pub limits: Limits,
    /// The Markdown report.
    pub report: PathBuf,
    /// Every sample, as CSV.
    pub samples: PathBuf,
    /// Lines for the report's head (machine, build, command).
    pub context: Vec<String>,
}

/// Counts of a worker (then of the run): requests by operation, unexpected errors and expected
/// failures by operation, status and code, verified reads.
#[derive(Clone, Debug, Default)]
struct Tally {
    ops: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    provoked: BTreeMap<String, u64>,
    verified_full: u64,
    verified_ranged: u64,
    mismatches: u64,
    retired_keys: u64,
    max_latency_ms: u64,
}

impl Tally {
    fn merge(&mut self, o: &Tally) {
        for (into, from) in [
            (&mut self.ops, &o.ops),
            (&mut self.errors, &o.errors),
            (&mut self.provoked, &o.provoked),
        ] {
            for (k, v) in from {
                *into.entry(k.clone()).or_default() += v;
            }
        }
        self.verified_full += o.verified_full;
        self.verified_ranged += o.verified_ranged;
        self.mismatches += o.mismatches;
        self.retired_keys += o.retired_keys;
        self.max_latency_ms = self.max_latency_ms.max(o.max_latency_ms);
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// What the run shares: the spec, the ledger files and the counters the sampler reads.
struct Shared {
    spec: SoakSpec,
    ledger: Mutex<std::fs::File>,
    unknown: Mutex<std::fs::File>,
    requests: AtomicU64,
    errors: AtomicU64,
}

/// One key and what it must hold: `None` when it was never written or its DELETE was
/// acknowledged.
struct Slot {
    key: String,
    acked: Option<Entry>,
    retired: bool,
}

struct Worker {
    sh: Arc<Shared>,
    conn: Conn,
    rng: StdRng,
    slots: Vec<Slot>,
    tally: Tally,
}

/// The first `<Error>`'s code of a 200 answer that carries one (CompleteMultipartUpload may).
fn embedded_error(b: Option<&Bytes>) -> Option<String> {
    let doc = b?;
    if String::from_utf8_lossy(doc).contains("<Error>") {
        s3_code(doc).or_else(|| Some("-".into()))
    } else {
        None
    }
}

/// The CompleteMultipartUpload body for parts 1..=n with their ETags.
fn complete_xml(etags: &[String]) -> String {
    let mut x = String::from("<CompleteMultipartUpload>");
    for (i, e) in etags.iter().enumerate() {
        let _ = write!(
            x,
            "<Part><PartNumber>{}</PartNumber><ETag>{e}</ETag></Part>",
            i + 1
        );
    }
    x.push_str("</CompleteMultipartUpload>");
    x
}

impl Worker {
    fn signer(&self) -> Signer {
        let s = &self.sh.spec.load;
        Signer::now(&s.access_key, &s.secret_key, &s.region, &s.addr.to_string())
    }

    fn path(&self, i: usize) -> String {
        format!("/{}/{}", self.sh.spec.load.bucket, self.slots[i].key)
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

    /// Sends one request and counts it; the caller judges the answer.
    async fn call(
        &mut self,
        op: &'static str,
        method: Method,
        url: &str,
        body: Bytes,
        range: Option<(u64, u64)>,
    ) -> Result<Response, String> {
        let start = Instant::now();
        let res = self.conn.send(method, url, body, range, true).await;
        let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.tally.max_latency_ms = self.tally.max_latency_ms.max(ms);
        *self.tally.ops.entry(op.to_owned()).or_default() += 1;
        self.sh.requests.fetch_add(1, Ordering::Relaxed);
        res
    }

    fn error(&mut self, what: String) {
        *self.tally.errors.entry(what).or_default() += 1;
        self.sh.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Judges an answer that must be `status` with S3 code `code` (a failure the load provokes
    /// on purpose, counted under `why`); anything else is an error.
    fn expect_failure(
        &mut self,
        op: &'static str,
        res: Result<Response, String>,
        status: u16,
        code: &str,
        why: &str,
    ) {
        let (outcome, body) = classify(res, status);
        let got = body.as_deref().and_then(s3_code).unwrap_or_default();
        if outcome == Outcome::Ok && got == code {
            *self
                .tally
                .provoked
                .entry(format!("{op} {status} {code} ({why})"))
                .or_default() += 1;
        } else if outcome == Outcome::Ok {
            self.error(format!("{op} {status} {got} (wanted {code}: {why})"));
        } else {
            self.error(format!(
                "{op} {} (wanted {status} {code}: {why})",
                outcome.label()
            ));
        }
    }

    /// A write's outcome that was neither acknowledged nor refused: the key may hold it, so it
    /// goes to the unknown file and the key is retired.
    fn unknown_write(&mut self, i: usize, entry: Entry, outcome: &Outcome) {
        fault::append(
            &self.sh.unknown,
            &Entry {
                why: Some(outcome.label()),
                ..entry
            },
        );
        self.slots[i].retired = true;
        self.tally.retired_keys += 1;
    }

    /// The write of `entry` to key `i` was answered `outcome`: ledger, key state, tally.
    fn settle_write(&mut self, op: &'static str, i: usize, entry: Entry, outcome: &Outcome) {
        if *outcome == Outcome::Ok {
            fault::append(&self.sh.ledger, &entry);
            self.slots[i].acked = (!entry.deleted).then_some(entry);
        } else {
            if outcome.maybe_written() {
                self.unknown_write(i, entry, outcome);
            }
            self.error(format!("{op} {}", outcome.label()));
        }
    }

    /// One step: 35% GET, 10% ranged GET, 25% PUT, 8% multipart, 18% DELETE, 4% bad signature.
    async fn step(&mut self) {
        let live: Vec<usize> = (0..self.slots.len())
            .filter(|&i| !self.slots[i].retired)
            .collect();
        if live.is_empty() {
            return;
        }
        let i = live[self.rng.random_range(0..live.len())];
        match self.rng.random_range(0..100u32) {
            0..35 => self.get(i).await,
            35..45 => self.get_range(i).await,
            45..70 => self.put(i).await,
            70..78 => self.multipart(i).await,
            78..96 => self.delete(i).await,
            _ => self.bad_signature(i).await,
        }
    }

    async fn put(&mut self, i: usize) {
        let size = self.pick_size();
        let seed = self.rng.random::<u64>();
        let data = body(seed, size);
        let entry = Entry {
            key: self.slots[i].key.clone(),
            size,
            md5: md5_hex(&data),
            seed,
            why: None,
            deleted: false,
        };
        let url = self.signer().presign("PUT", &self.path(i), &[]);
        let res = self.call("PUT", Method::PUT, &url, Bytes::from(data), None).await;
        let (outcome, _) = classify(res, 200);
        self.settle_write("PUT", i, entry, &outcome);
    }

    async fn delete(&mut self, i: usize) {
        let entry = Entry {
            key: self.slots[i].key.clone(),
            size: 0,
            md5: String::new(),
            seed: 0,
            why: None,
            deleted: true,
        };
        let url = self.signer().presign("DELETE", &self.path(i), &[]);
        let res = self
            .call("DELETE", Method::DELETE, &url, Bytes::new(), None)
            .await;
        let (outcome, _) = classify(res, 204);
        self.settle_write("DELETE", i, entry, &outcome);
    }

    async fn get(&mut self, i: usize) {
        let url = self.signer().presign("GET", &self.path(i), &[]);
        let res = self.call("GET", Method::GET, &url, Bytes::new(), None).await;
        let Some(want) = self.slots[i].acked.clone() else {
            return self.expect_failure("GET", res, 404, "NoSuchKey", "absent key");
        };
        match classify(res, 200) {
            (Outcome::Ok, b) => {
                let b = b.unwrap_or_default();
                if b.len() as u64 == want.size && md5_hex(&b) == want.md5 {
                    self.tally.verified_full += 1;
                } else {
                    eprintln!(
                        "soak: GET {}: {} bytes, md5 {}, want {} bytes md5 {}",
                        want.key,
                        b.len(),
                        md5_hex(&b),
                        want.size,
                        want.md5
                    );
                    self.tally.mismatches += 1;
                    self.error("GET body mismatch".into());
                }
            }
            (o, _) => self.error(format!("GET {}", o.label())),
        }
    }

    async fn get_range(&mut self, i: usize) {
        let want = match self.slots[i].acked.clone() {
            Some(w) if w.size > 0 => w,
            Some(_) => return self.get(i).await,
            None => {
                let url = self.signer().presign("GET", &self.path(i), &[]);
                let res = self
                    .call("GET range", Method::GET, &url, Bytes::new(), Some((0, 99)))
                    .await;
                return self.expect_failure("GET range", res, 404, "NoSuchKey", "absent key");
            }
        };
        let first = self.rng.random_range(0..want.size);
        let last = self.rng.random_range(first..want.size);
        let url = self.signer().presign("GET", &self.path(i), &[]);
        let res = self
            .call("GET range", Method::GET, &url, Bytes::new(), Some((first, last)))
            .await;
        match classify(res, 206) {
            (Outcome::Ok, b) => {
                let full = body(want.seed, want.size);
                let expected = usize::try_from(first)
                    .ok()
                    .zip(usize::try_from(last).ok())
                    .and_then(|(a, z)| full.get(a..=z));
                if b.as_deref() == expected {
                    self.tally.verified_ranged += 1;
                } else {
                    eprintln!("soak: GET {} bytes={first}-{last}: wrong bytes", want.key);
                    self.tally.mismatches += 1;
                    self.error("GET range body mismatch".into());
                }
            }
            (o, _) => self.error(format!("GET range {}", o.label())),
        }
    }

    async fn bad_signature(&mut self, i: usize) {
        let mut url = self.signer().presign("GET", &self.path(i), &[]);
        // The signature is the URL's last 64 hex digits: flip its last one.
        let flipped = if url.ends_with('0') { '1' } else { '0' };
        url.pop();
        url.push(flipped);
        let res = self.call("GET", Method::GET, &url, Bytes::new(), None).await;
        self.expect_failure("GET", res, 403, "SignatureDoesNotMatch", "bad signature");
    }
}

/// Multipart uploads: completed (one part of any size, or a 5 MiB part and a tail), aborted
/// (then a part sent to the aborted upload must be refused), or refused at completion because
/// a part but the last is under 5 MiB.
impl Worker {
    async fn multipart(&mut self, i: usize) {
        match self.rng.random_range(0..10u32) {
            0..7 => self.multipart_complete(i).await,
            7..9 => self.multipart_abort(i).await,
            _ => self.multipart_too_small(i).await,
        }
    }

    /// Initiates an upload; `None` (counted as an error) when it fails.
    async fn initiate(&mut self, i: usize) -> Option<String> {
        let url = self.signer().presign("POST", &self.path(i), &[("uploads", "")]);
        let res = self
            .call("CreateMultipartUpload", Method::POST, &url, Bytes::new(), None)
            .await;
        match classify(res, 200) {
            (Outcome::Ok, b) => {
                let doc = String::from_utf8_lossy(b.as_deref().unwrap_or_default()).into_owned();
                let id = crate::s3::xml_text(&doc, "UploadId").map(str::to_owned);
                if id.is_none() {
                    self.error("CreateMultipartUpload 200 without UploadId".into());
                }
                id
            }
            (o, _) => {
                self.error(format!("CreateMultipartUpload {}", o.label()));
                None
            }
        }
    }

    /// Uploads part `n`; its ETag, or `None` (counted as an error).
    async fn upload_part(&mut self, i: usize, id: &str, n: u32, data: Bytes) -> Option<String> {
        let num = n.to_string();
        let url = self
            .signer()
            .presign("PUT", &self.path(i), &[("partNumber", &num), ("uploadId", id)]);
        let want_md5 = md5_hex(&data);
        let res = self.call("UploadPart", Method::PUT, &url, data, None).await;
        let etag = res.as_ref().ok().and_then(|r| r.etag.clone());
        match classify(res, 200) {
            (Outcome::Ok, _) => match etag {
                Some(e) if e.trim_matches('"') == want_md5 => Some(e),
                other => {
                    self.error(format!("UploadPart ETag {other:?} is not the part's MD5"));
                    None
                }
            },
            (o, _) => {
                self.error(format!("UploadPart {}", o.label()));
                None
            }
        }
    }

    async fn abort(&mut self, i: usize, id: &str) -> bool {
        let url = self
            .signer()
            .presign("DELETE", &self.path(i), &[("uploadId", id)]);
        let res = self
            .call("AbortMultipartUpload", Method::DELETE, &url, Bytes::new(), None)
            .await;
        match classify(res, 204) {
            (Outcome::Ok, _) => true,
            (o, _) => {
                self.error(format!("AbortMultipartUpload {}", o.label()));
                false
            }
        }
    }

    async fn multipart_complete(&mut self, i: usize) {
        let size = if self.rng.random_bool(0.5) {
            self.pick_size()
        } else {
            MIN_PART + self.rng.random_range(0..=(1u64 << 20))
        };
        let seed = self.rng.random::<u64>();
        let data = Bytes::from(body(seed, size));
        let entry = Entry {
            key: self.slots[i].key.clone(),
            size,
            md5: md5_hex(&data),
            seed,
            why: None,
            deleted: false,
        };
        let Some(id) = self.initiate(i).await else { return };
        let cut = usize::try_from(size.min(MIN_PART)).unwrap_or(data.len());
        let mut etags = Vec::new();
        for (n, part) in [(1, data.slice(..cut)), (2, data.slice(cut..))] {
            if n == 2 && part.is_empty() {
                break;
            }
            match self.upload_part(i, &id, n, part).await {
                Some(e) => etags.push(e),
                None => {
                    self.abort(i, &id).await;
                    return;
                }
            }
        }
        let url = self.signer().presign("POST", &self.path(i), &[("uploadId", &id)]);
        let res = self
            .call(
                "CompleteMultipartUpload",
                Method::POST,
                &url,
                Bytes::from(complete_xml(&etags)),
                None,
            )
            .await;
        let (mut outcome, b) = classify(res, 200);
        if let Some(code) = embedded_error(b.as_ref()) {
            // An error inside a 200 may come after the object was committed: outcome unknown.
            outcome = Outcome::Lost(format!("error {code} in a 200 answer"));
        }
        self.settle_write("CompleteMultipartUpload", i, entry, &outcome);
    }

    async fn multipart_abort(&mut self, i: usize) {
        let Some(id) = self.initiate(i).await else { return };
        let size = self.rng.random_range(1..=(1u64 << 20));
        let data = Bytes::from(body(self.rng.random(), size));
        if self.upload_part(i, &id, 1, data.clone()).await.is_none() || !self.abort(i, &id).await {
            return;
        }
        let url = self
            .signer()
            .presign("PUT", &self.path(i), &[("partNumber", "2"), ("uploadId", &id)]);
        let res = self.call("UploadPart", Method::PUT, &url, data, None).await;
        self.expect_failure("UploadPart", res, 404, "NoSuchUpload", "aborted upload");
    }

    async fn multipart_too_small(&mut self, i: usize) {
        let Some(id) = self.initiate(i).await else { return };
        let mut etags = Vec::new();
        for n in 1..=2 {
            let data = Bytes::from(body(self.rng.random(), 1 << 10));
            match self.upload_part(i, &id, n, data).await {
                Some(e) => etags.push(e),
                None => {
                    self.abort(i, &id).await;
                    return;
                }
            }
        }
        let url = self.signer().presign("POST", &self.path(i), &[("uploadId", &id)]);
        let res = self
            .call(
                "CompleteMultipartUpload",
                Method::POST,
                &url,
                Bytes::from(complete_xml(&etags)),
                None,
            )
            .await;
        self.expect_failure(
            "CompleteMultipartUpload",
            res,
            400,
            "EntityTooSmall",
            "first part under 5 MiB",
        );
        self.abort(i, &id).await;
    }
}

/// The gateway's `glusters3_gc_queue_blobs` gauge from `/metrics` at `admin` (0 when it cannot be
/// read: the sample then shows a flat queue, and the other series still judge the run). Blocking.
fn gc_queue_len(admin: std::net::SocketAddr) -> u64 {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&admin, Duration::from_secs(2)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut body = String::new();
    if s.write_all(b"GET /metrics HTTP/1.0\r\nHost: admin\r\n\r\n")
        .is_err()
        || s.read_to_string(&mut body).is_err()
    {
        return 0;
    }
    body.lines()
        .find_map(|l| l.strip_prefix("glusters3_gc_queue_blobs "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// Samples the gateway every interval until the load ends; a process gone ends it (`false`).
async fn sampler(
    sh: Arc<Shared>,
    started: Instant,
    end: Instant,
    done: Arc<AtomicBool>,
) -> (Vec<Sample>, bool) {
    let pid = Pid::Other(sh.spec.pid);
    let mut out = Vec::new();
    let mut tick = tokio::time::interval(sh.spec.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut last_t, mut last_n) = (0.0, 0);
    loop {
        tick.tick().await;
        // No sample after the load, nor while its last requests finish and its connections
        // close: its rate, fds and heap would not be the load's.
        if done.load(Ordering::Relaxed) || Instant::now() >= end {
            return (out, true);
        }
        let t_s = started.elapsed().as_secs_f64();
        let n = sh.requests.load(Ordering::Relaxed);
        let rss_kib = pid.rss_kib();
        if rss_kib == 0 {
            eprintln!("soak: gateway process {} is gone at {t_s:.0} s", sh.spec.pid);
            return (out, false);
        }
        let dt: f64 = t_s - last_t;
        let gc_queue = match sh.spec.admin {
            Some(admin) => tokio::task::spawn_blocking(move || gc_queue_len(admin))
                .await
                .unwrap_or(0),
            None => 0,
        };
        out.push(Sample {
            t_s,
            rss_kib,
            fds: pid.fds(),
            threads: pid.threads(),
            gc_queue,
            rate: if dt > 0.0 { (n - last_n) as f64 / dt } else { 0.0 },
            errors: sh.errors.load(Ordering::Relaxed),
        });
        (last_t, last_n) = (t_s, n);
    }
}

/// The run's outcome: tally, samples, judged series, whether the gateway lived, and the verdict.
pub struct SoakRun {
    tally: Tally,
    samples: Vec<Sample>,
    series: Vec<Series>,
    alive: bool,
    secs: f64,
    rest: Rest,
    /// Why the run fails (empty: it passes).
    pub failures: Vec<String>,
}

/// The gateway idle before the load and at rest after it: threads, fds, RSS (KiB).
#[derive(Clone, Copy, Debug, Default)]
struct Rest {
    before: (u64, u64, u64),
    after: (u64, u64, u64),
    /// Seconds after the load until threads and fds were back (or the wait gave up).
    waited_s: f64,
}

fn idle(pid: Pid) -> (u64, u64, u64) {
    (pid.threads(), pid.fds(), pid.rss_kib())
}

/// How far above its count before the load a count may stay at rest: a quarter, at least 4.
/// The gateway's pools keep some of what the load made them grow for a while (measured after
/// 70 s of load: one more tokio blocking thread, kept alive by the periodic background tasks,
/// and one more `sled-io` thread; once 29 threads against 25 before, still after a minute),
/// while a leak of one per request, upload or connection leaves tens to thousands.
fn rest_slack(before: u64) -> u64 {
    (before / 4).max(4)
}

/// Once the load's connections are closed, waits (at most a minute) until the gateway's threads
/// and fds are back within their slack of `before`: idle blocking-pool threads exit after 10 s.
async fn wait_rest(pid: Pid, before: (u64, u64, u64), slack: (u64, u64)) -> Rest {
    let t0 = Instant::now();
    let mut after = idle(pid);
    while (after.0 > before.0 + slack.0 || after.1 > before.1 + slack.1)
        && t0.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = idle(pid);
    }
    Rest {
        before,
        after,
        waited_s: t0.elapsed().as_secs_f64(),
    }
}

/// Runs the soak and writes its report and samples; the outcome says whether it passed.
pub async fn run(spec: SoakSpec) -> Result<SoakRun, String> {
    let before = idle(Pid::Other(spec.pid));
    fault::create_bucket(&spec.load).await?;
    let sh = Arc::new(Shared {
        ledger: Mutex::new(fault::open_append(&spec.load.ledger)?),
        unknown: Mutex::new(fault::open_append(&spec.load.unknown)?),
        requests: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        spec,
    });
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(sh.spec.load.secs.clamp(0.0, 7.0 * 86_400.0));
    let done = Arc::new(AtomicBool::new(false));
    let sampling = tokio::spawn(sampler(sh.clone(), started, end, done.clone()));
    let mut tasks = Vec::new();
    for id in 0..sh.spec.load.workers.max(1) {
        let mut w = Worker {
            conn: Conn::new(sh.spec.load.addr, &sh.spec.load.addr.to_string())
                .with_timeout(sh.spec.load.timeout),
            rng: StdRng::seed_from_u64(sh.spec.load.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            slots: (0..sh.spec.keys_per_worker.max(1))
                .map(|k| Slot {
                    key: format!("w{id:02}/k{k:04}"),
                    acked: None,
                    retired: false,
                })
                .collect(),
            tally: Tally::default(),
            sh: sh.clone(),
        };
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                w.step().await;
            }
            w.tally
        }));
    }
    let mut tally = Tally::default();
    for t in tasks {
        match t.await {
            Ok(w) => tally.merge(&w),
            Err(e) => *tally.errors.entry(format!("a worker failed: {e}")).or_default() += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let (samples, alive) = sampling.await.map_err(|e| format!("sampler: {e}"))?;
    let series = trend::judge(&samples, sh.spec.warmup_s, &sh.spec.limits);
    let slack = (rest_slack(before.0), rest_slack(before.1));
    let rest = wait_rest(Pid::Other(sh.spec.pid), before, slack).await;
    let mut failures = Vec::new();
    if alive {
        failures.extend(trend::rest_failures(
            "threads",
            rest.before.0,
            rest.after.0,
            slack.0,
        ));
        failures.extend(trend::rest_failures("fds", rest.before.1, rest.after.1, slack.1));
    } else {
        failures.push("the gateway process died".to_owned());
    }
    if tally.mismatches > 0 {
        failures.push(format!("{} reads did not match the ledger", tally.mismatches));
    }
    if tally.error_count() > 0 {
        failures.push(format!("{} unexpected errors", tally.error_count()));
    }
    failures.extend(
        series
            .iter()
            .filter_map(|s| s.failure.as_ref().map(|f| format!("{}: {f}", s.name))),
    );
    let out = SoakRun {
        tally,
        samples,
        series,
        alive,
        secs,
        rest,
        failures,
    };
    write_report(&sh.spec, &out)?;
    Ok(out)
}

fn write_report(spec: &SoakSpec, o: &SoakRun) -> Result<(), String> {
    let md = report(spec, o);
    std::fs::write(&spec.report, md).map_err(|e| format!("{}: {e}", spec.report.display()))?;
    std::fs::write(&spec.samples, trend::samples_csv(&o.samples))
        .map_err(|e| format!("{}: {e}", spec.samples.display()))
}

fn counts_table(head: &str, m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none\n".to_owned();
    }
    let mut t = format!("| {head} | count |\n|---|---|\n");
    for (k, v) in m {
        let _ = writeln!(t, "| {k} | {v} |");
    }
    t
}

/// The Markdown report of a run.
fn report(spec: &SoakSpec, o: &SoakRun) -> String {
    let t = &o.tally;
    let requests: u64 = t.ops.values().sum();
    let verdict = if o.failures.is_empty() {
        "PASS".to_owned()
    } else {
        format!("FAIL: {}", o.failures.join("; "))
    };
    let mut md = String::from("# make soak\n\n");
    for c in &spec.context {
        let _ = writeln!(md, "{c}  ");
    }
    let samples_name = spec
        .samples
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = write!(
        md,
        "\n**Verdict: {verdict}**\n\n## Load\n\n{:.0} s, {} workers, {} keys ({} per worker), \
         {requests} requests ({:.1}/s), longest request {:.3} s; every GET checked against the ledger: \
         {} whole bodies and {} ranges verified, {} mismatches; {} keys retired after an unknown outcome.\n\n{}\n\
         ## Errors by status and code\n\nUnexpected (must be none):\n\n{}\nProvoked on purpose (each with the status and \
         code it must get):\n\n{}\n## Gateway resources (pid {})\n\n{} samples every {:.0} s; judged after a warm-up of \
         {:.0} s ({} samples). Fit: least squares over the judged samples, slope per hour; SE widened for the \
         residuals' lag-1 autocorrelation. Rules: memory grows when slope − {}·SE > {} MiB/h, judged over {:.0} minutes \
         or more (the bodies in flight make it drift for minutes); fds and threads grow when slope − {}·SE > 0 and the fitted rise over the window is at least {} and {:.0}% of their mean \
         (pools that follow the load's peaks drift a little while they find their high-water mark), and \
         at rest after the load they must be back within a quarter (at least 4) of their count before it. \"Would catch\": the \
         smallest slope this run would have called growth.\n\n{}\n### Samples (every one in `{samples_name}`)\n\n{}",
        o.secs,
        spec.load.workers,
        spec.load.workers * spec.keys_per_worker,
        spec.keys_per_worker,
        requests as f64 / o.secs.max(1e-9),
        t.max_latency_ms as f64 / 1000.0,
        t.verified_full,
        t.verified_ranged,
        t.mismatches,
        t.retired_keys,
        counts_table("operation", &t.ops),
        counts_table("operation, status, code", &t.errors),
        counts_table("operation, status, code (why)", &t.provoked),
        spec.pid,
        o.samples.len(),
        spec.interval.as_secs_f64(),
        spec.warmup_s,
        o.series.first().map_or(0, |s| s.n),
        spec.limits.sigmas,
        spec.limits.rss_mib_per_h,
        spec.limits.min_memory_window_h * 60.0,
        spec.limits.sigmas,
        spec.limits.count_rise,
        spec.limits.count_rel * 100.0,
        trend::series_table(&o.series, &spec.limits),
        trend::samples_table(&o.samples, 30),
    );
    if o.alive {
        let r = &o.rest;
        let _ = write!(
            md,
            "\n### At rest\n\nBefore the load: {} threads, {} fds, RSS {:.1} MiB. {:.1} s after it (the load's \
             connections closed, idle pool threads gone): {} threads, {} fds, RSS {:.1} MiB.\n",
            r.before.0,
            r.before.1,
            r.before.2 as f64 / 1024.0,
            r.waited_s,
            r.after.0,
            r.after.1,
            r.after.2 as f64 / 1024.0
        );
    } else {
        md.push_str("\nThe gateway process was gone before the load ended: the samples stop there.\n");
    }
    md
}

impl SoakRun {
    /// The run in JSON, for the script.
    pub fn json(&self) -> serde_json::Value {
        let t = &self.tally;
        serde_json::json!({
            "pass": self.failures.is_empty(),
            "failures": self.failures,
            "secs": self.secs,
            "requests": t.ops.values().sum::<u64>(),
            "ops": t.ops,
            "errors": t.errors,
            "provoked": t.provoked,
            "verified_full": t.verified_full,
            "verified_ranged": t.verified_ranged,
            "mismatches": t.mismatches,
            "retired_keys": t.retired_keys,
            "samples": self.samples.len(),
            "rest": {"before": self.rest.before, "after": self.rest.after, "waited_s": self.rest.waited_s},
            "slopes_per_hour": self.series.iter().map(|s| (s.name, s.fit.map(|f| [f.slope, f.se]))).collect::<BTreeMap<_, _>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_body_lists_parts_in_order() {
        let x = complete_xml(&["\"a\"".into(), "\"b\"".into()]);
        assert_eq!(
            x,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>"
        );
    }

    #[test]
    fn errors_inside_a_200_are_found() {
        let ok = Bytes::from_static(
            b"<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>",
        );
        assert_eq!(embedded_error(Some(&ok)), None);
        let err = Bytes::from_static(b"<Error><Code>InternalError</Code></Error>");
        assert_eq!(embedded_error(Some(&err)).as_deref(), Some("InternalError"));
        assert_eq!(embedded_error(None), None);
    }

    #[test]
    fn tallies_merge() {
        let mut a = Tally::default();
        a.ops.insert("GET".into(), 2);
        a.max_latency_ms = 5;
        let mut b = Tally::default();
        b.ops.insert("GET".into(), 3);
        b.errors.insert("PUT timeout".into(), 1);
        b.max_latency_ms = 9;
        a.merge(&b);
        assert_eq!((a.ops["GET"], a.error_count(), a.max_latency_ms), (5, 1, 9));
    }

    #[test]
    fn rest_slack_is_a_quarter_at_least_four() {
        assert_eq!(
            (rest_slack(0), rest_slack(25), rest_slack(40), rest_slack(100)),
            (4, 6, 10, 25)
        );
    }

    #[test]
    fn sizes_stay_bounded() {
        let largest = SIZES.iter().map(|s| s.0).max().unwrap_or(0);
        assert!(largest < MIN_PART, "one-part uploads use these sizes");
        assert_eq!(SIZES.iter().map(|s| s.1).sum::<u32>(), 100);
    }
}
