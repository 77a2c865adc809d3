//! `loadgen`: the glusters3 benchmark's load generator and report writer.
//!
//! Subcommands: `suite` runs the whole workload matrix against one or more systems (S3 endpoints
//! over presigned URLs, and/or the volume through gfapi), each workload on every system back to
//! back, and appends one CSV line per workload and system; `run` runs a single workload against
//! one system (for profiling); `seed` fills the gateway's registry with large listing
//! buckets before the gateway starts; `fill` and `rmtree` prepare and remove directories on the
//! volume; `report` turns a CSV into the Markdown table and target verdicts. `bench/run.sh`
//! (`make bench`) drives them. `faultload` and `verify` are the client load and ledger check of
//! `make faults` (scripts/faults.sh); `soak` is the hour-long load of `make soak`
//! (scripts/soak.sh), which samples the gateway's process and judges its trends, and uses
//! `verify` after it. The benchmark must not send traffic anywhere but loopback addresses; only
//! `faultload`, `verify` and `soak` talk to the address they are given (the gateway in the fault
//! cluster's namespace, or the soak's local one). Nothing here changes the gateway: it only uses its public
//! library API.

#![allow(
    clippy::cast_precision_loss,
    reason = "statistics: counts, bytes and ticks (all far below 2^52) become f64 for rates"
)]

mod fault;
mod http;
mod presign;
mod raw;
mod report;
mod s3;
mod sample;
mod soak;
mod stats;
mod suite;
mod tools;
mod trend;
mod work;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::sample::Pid;
use crate::suite::{Matrix, Suite, System, Target};
use crate::work::{Op, Workload};

/// Deterministic incompressible bytes (xorshift64), the body of every upload.
///
/// # Panics
/// If `len` does not fit in memory (`usize`).
pub fn payload(len: u64) -> Vec<u8> {
    let len = usize::try_from(len).expect("object sizes fit in memory");
    let mut out = Vec::with_capacity(len + 8);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// glusters3 benchmark load generator.
#[derive(Parser, Debug)]
#[command(about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the whole matrix against one or more systems, interleaved, appending to a CSV
    ///
    /// Each workload (e.g. PUT 4 KiB c1) is measured on every --system in the order given, back
    /// to back, before the next workload starts, so the machine's drifting noise hits all
    /// systems alike. Example:
    ///
    ///   loadgen suite --csv results.csv --raw-root /glusters3-bench/raw \
    ///     --system raw --system gateway=127.0.0.1:19100 --system peer=127.0.0.1:19200 \
    ///     --pid gateway=4242 --pid peer=4343 --pid peer=4344 \
    ///     --list raw:/glusters3-bench/peer/list10k=10k \
    ///     --list gateway:list10k=10k --list gateway:list1m=1M --list peer:list10k=10k
    #[command(verbatim_doc_comment)]
    Suite(SuiteArgs),
    /// Run one workload and print its result line.
    Run(RunArgs),
    /// Insert listing buckets into a gateway registry (gateway stopped).
    Seed(SeedArgs),
    /// Create empty files k0000000... in a directory of the volume.
    Fill(FillArgs),
    /// Remove directory trees from the volume.
    Rmtree(RmtreeArgs),
    /// Write the Markdown report of a CSV.
    Report(ReportArgs),
    /// Mixed PUT / GET-and-verify / overwrite load with a ledger of acknowledged writes; prints
    /// a JSON summary (errors by status and code, stalls, times after the fault marks).
    Faultload(FaultloadArgs),
    /// Read back every ledger key (latest acknowledged version) and compare MD5s; prints JSON,
    /// exits 1 when anything is lost, torn or unreadable.
    Verify(VerifyArgs),
    /// Long mixed load over a bounded key space (PUT, multipart, verified GETs, DELETE) while
    /// sampling a gateway process; writes a Markdown report with the slopes of its RSS, fds and
    /// threads after the warm-up; exits 1 on an error, a mismatch or growth.
    Soak(SoakArgs),
}

/// Where the fault load goes and where its ledger lives.
#[derive(Args, Debug, Clone)]
struct FaultConn {
    /// The gateway's S3 address (any address: the fault cluster's gateway is in a namespace).
    #[arg(long)]
    endpoint: SocketAddr,
    /// Access key.
    #[arg(long, default_value = "faults")]
    access_key: String,
    /// Secret key.
    #[arg(long, default_value = "faults-secret")]
    secret_key: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Bucket.
    #[arg(long, default_value = "faults")]
    bucket: String,
    /// Ledger of acknowledged writes (JSON lines: key, size, md5, seed).
    #[arg(long)]
    ledger: PathBuf,
    /// Writes with an unknown outcome (default: LEDGER.unknown).
    #[arg(long)]
    unknown: Option<PathBuf>,
    /// Seconds one request may take before its outcome counts as unknown.
    #[arg(long, default_value_t = 60.0)]
    timeout_secs: f64,
}

#[derive(Args, Debug)]
struct FaultloadArgs {
    #[command(flatten)]
    conn: FaultConn,
    /// Concurrent workers.
    #[arg(long, default_value_t = 8)]
    workers: usize,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 600.0)]
    secs: f64,
    /// Stop as soon as this file exists.
    #[arg(long)]
    stop_file: Option<PathBuf>,
    /// File rewritten every 200 ms with the Unix ms of the latest successful request.
    #[arg(long)]
    progress: Option<PathBuf>,
    /// File of `NAME UNIX_MS` lines (fault, heal...) read at the end: the summary gives the
    /// time from each to the first success, error and 503.
    #[arg(long)]
    marks: Option<PathBuf>,
    /// Seed of key names and bodies.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    #[command(flatten)]
    conn: FaultConn,
    /// Concurrent reads.
    #[arg(long, default_value_t = 8)]
    conc: usize,
}

#[derive(Args, Debug)]
struct SoakArgs {
    #[command(flatten)]
    conn: FaultConn,
    /// Concurrent workers.
    #[arg(long, default_value_t = 32)]
    workers: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 3600.0)]
    secs: f64,
    /// Keys each worker owns (the bound of the data set).
    #[arg(long, default_value_t = 32)]
    keys_per_worker: usize,
    /// The gateway process to sample.
    #[arg(long)]
    pid: u32,
    /// The gateway's admin address (IP:PORT): its `/metrics` give the GC queue's length, which
    /// must stay flat like the process's counts.
    #[arg(long)]
    admin: Option<std::net::SocketAddr>,
    /// Seconds between samples.
    #[arg(long, default_value_t = 10.0)]
    interval_secs: f64,
    /// Samples before this are not judged (default: 10% of --secs, at least 60).
    #[arg(long)]
    warmup_secs: Option<f64>,
    /// Largest tolerated slope of the resident set after the warm-up, MiB per hour.
    #[arg(long, default_value_t = 8.0)]
    rss_max_mib_per_hour: f64,
    /// The Markdown report.
    #[arg(long)]
    report: PathBuf,
    /// Every sample as CSV (default: the report's path with .csv).
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Lines for the report's head (repeatable).
    #[arg(long = "context")]
    context: Vec<String>,
    /// Seed of the operation mix and the bodies.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl FaultConn {
    fn spec(&self) -> fault::LoadSpec {
        let mut unknown = self.ledger.clone().into_os_string();
        unknown.push(".unknown");
        fault::LoadSpec {
            addr: self.endpoint,
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            region: self.region.clone(),
            bucket: self.bucket.clone(),
            workers: 8,
            timeout: secs(self.timeout_secs),
            secs: 0.0,
            stop_file: None,
            ledger: self.ledger.clone(),
            unknown: self.unknown.clone().unwrap_or_else(|| unknown.into()),
            progress: None,
            marks: None,
            seed: 1,
        }
    }
}

fn tokio_rt() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn faultload(a: &FaultloadArgs) -> Result<(), String> {
    let spec = fault::LoadSpec {
        workers: a.workers,
        secs: a.secs,
        stop_file: a.stop_file.clone(),
        progress: a.progress.clone(),
        marks: a.marks.clone(),
        seed: a.seed,
        ..a.conn.spec()
    };
    let summary = tokio_rt()?.block_on(fault::run(spec))?;
    println!("{summary}");
    Ok(())
}

fn verify(a: &VerifyArgs) -> Result<(), String> {
    let (report, clean) = tokio_rt()?.block_on(fault::verify(a.conn.spec(), a.conc))?;
    println!("{report}");
    if clean {
        Ok(())
    } else {
        Err("verify: objects lost, torn or unreadable".into())
    }
}

fn soak(a: &SoakArgs) -> Result<(), String> {
    let spec = soak::SoakSpec {
        load: fault::LoadSpec {
            workers: a.workers,
            secs: a.secs,
            seed: a.seed,
            ..a.conn.spec()
        },
        keys_per_worker: a.keys_per_worker,
        pid: a.pid,
        admin: a.admin,
        interval: Duration::from_secs_f64(a.interval_secs.clamp(0.1, 3600.0)),
        warmup_s: a.warmup_secs.unwrap_or((a.secs * 0.1).max(60.0)),
        limits: trend::Limits {
            rss_mib_per_h: a.rss_max_mib_per_hour,
            ..trend::Limits::default()
        },
        samples: a
            .samples
            .clone()
            .unwrap_or_else(|| a.report.with_extension("csv")),
        report: a.report.clone(),
        context: a.context.clone(),
    };
    let run = tokio_rt()?.block_on(soak::run(spec))?;
    println!("{}", run.json());
    if run.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("soak: FAIL: {}", run.failures.join("; ")))
    }
}

#[derive(Args, Debug, Clone)]
struct VolumeArgs {
    /// Volume name.
    #[arg(long, default_value = "s3vol")]
    volume: String,
    /// Volfile server (host[:port]).
    #[arg(long, default_value = "localhost")]
    volfile_server: String,
}

impl VolumeArgs {
    fn connect(&self) -> Result<gfapi::Volume, String> {
        let server = gfapi::Server::parse(&self.volfile_server).map_err(|e| e.to_string())?;
        let opts = gfapi::VolumeOptions {
            servers: vec![server],
            ..gfapi::VolumeOptions::default()
        };
        gfapi::Volume::connect(&self.volume, &opts).map_err(|e| e.to_string())
    }
}

/// How to reach the systems: S3 credentials and bucket, the volume and the raw root; the CSV.
#[derive(Args, Debug, Clone)]
struct ConnArgs {
    /// Access key.
    #[arg(long, default_value = "bench")]
    access_key: String,
    /// Secret key.
    #[arg(long, default_value = "bench-secret")]
    secret_key: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Bucket of the object workloads (on every S3 system).
    #[arg(long, default_value = "bench")]
    bucket: String,
    /// Raw target: directory on the volume for the objects.
    #[arg(long, default_value = "/glusters3-bench/raw")]
    raw_root: String,
    #[command(flatten)]
    vol: VolumeArgs,
    /// CSV to append results to.
    #[arg(long)]
    csv: Option<PathBuf>,
}

impl ConnArgs {
    /// The S3 endpoint at `endpoint` (loopback only), or without one the volume via gfapi.
    fn target(&self, endpoint: Option<SocketAddr>) -> Result<Target, String> {
        Ok(match endpoint {
            Some(addr) => {
                check_loopback(addr)?;
                Target::S3(Arc::new(s3::S3Target {
                    addr,
                    access_key: self.access_key.clone(),
                    secret_key: self.secret_key.clone(),
                    region: self.region.clone(),
                    bucket: self.bucket.clone(),
                }))
            }
            None => Target::Raw(raw::RawTarget {
                vol: self.vol.connect()?,
                root: self.raw_root.trim_end_matches('/').to_owned(),
            }),
        })
    }
}

fn check_loopback(addr: SocketAddr) -> Result<(), String> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "{addr} is not a loopback address: the benchmark only talks to this host"
        ))
    }
}

/// One system, for `run`.
#[derive(Args, Debug, Clone)]
struct TargetArgs {
    /// Label of the system in the CSV: raw, gateway, peer.
    #[arg(long)]
    system: String,
    /// S3 endpoint (loopback address:port). Without it the target is the volume via gfapi.
    #[arg(long)]
    endpoint: Option<SocketAddr>,
    /// Server process to sample (repeatable; summed). Default: this process.
    #[arg(long = "pid")]
    pids: Vec<u32>,
    #[command(flatten)]
    conn: ConnArgs,
}

impl TargetArgs {
    fn suite(&self) -> Result<Suite, String> {
        let target = self.conn.target(self.endpoint)?;
        let pids = self.pids.iter().map(|p| Pid::Other(*p)).collect();
        let sys = System::new(&self.system, target, pids, Vec::new());
        Suite::new(vec![sys], self.conn.csv.clone()).map_err(|e| e.to_string())
    }
}

/// `4096`, `4k`, `1m`, `64M`: bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mul) = match s.strip_suffix("kib").or_else(|| s.strip_suffix('k')) {
        Some(n) => (n, 1u64 << 10),
        None => match s.strip_suffix("mib").or_else(|| s.strip_suffix('m')) {
            Some(n) => (n, 1 << 20),
            None => (s.as_str(), 1),
        },
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n * mul)
        .map_err(|_| format!("bad size {s:?}"))
}

/// `name=count` (count accepts k/M suffixes as thousands/millions).
fn parse_list(s: &str) -> Result<(String, u64), String> {
    let (name, count) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=COUNT, got {s:?}"))?;
    let count = count.trim();
    let n = if let Some(k) = count.strip_suffix('k') {
        k.parse::<u64>().map(|n| n * 1000)
    } else if let Some(m) = count.strip_suffix('M') {
        m.parse::<u64>().map(|n| n * 1_000_000)
    } else {
        count.parse::<u64>()
    }
    .map_err(|_| format!("bad count in {s:?}"))?;
    Ok((name.to_owned(), n))
}

/// `--system NAME` or `--system NAME=ADDR:PORT`.
#[derive(Clone, Debug, PartialEq)]
struct SystemSpec {
    name: String,
    endpoint: Option<SocketAddr>,
}

/// A system's label: letters, digits, `-` and `_` (it names a CSV column value).
fn parse_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!("bad system name {s:?} (letters, digits, - and _)"));
    }
    Ok(s.to_owned())
}

/// `raw` (the volume via gfapi) or `gateway=127.0.0.1:19100` (an S3 endpoint on loopback).
fn parse_system(s: &str) -> Result<SystemSpec, String> {
    let (name, endpoint) = match s.split_once('=') {
        Some((name, addr)) => {
            let addr: SocketAddr = addr
                .trim()
                .parse()
                .map_err(|_| format!("bad endpoint in {s:?}: expected NAME=IP:PORT"))?;
            check_loopback(addr)?;
            (name, Some(addr))
        }
        None => (s, None),
    };
    Ok(SystemSpec {
        name: parse_name(name)?,
        endpoint,
    })
}

/// `gateway=4242`: a server process of a system.
fn parse_pid(s: &str) -> Result<(String, u32), String> {
    let (name, pid) = s
        .split_once('=')
        .ok_or_else(|| format!("expected SYSTEM=PID, got {s:?}"))?;
    let pid = pid.trim().parse().map_err(|_| format!("bad pid in {s:?}"))?;
    Ok((parse_name(name)?, pid))
}

/// `gateway:list1m=1M`: a listing source of a system (bucket or directory, keys it holds).
fn parse_system_list(s: &str) -> Result<(String, (String, u64)), String> {
    let (name, list) = s
        .split_once(':')
        .ok_or_else(|| format!("expected SYSTEM:SOURCE=KEYS, got {s:?}"))?;
    Ok((parse_name(name)?, parse_list(list)?))
}

#[derive(Args, Debug)]
struct SuiteArgs {
    /// A system to measure, repeatable; within each workload the systems run in this order.
    /// NAME alone is the volume itself through gfapi (objects under --raw-root), NAME=IP:PORT an
    /// S3 endpoint on a loopback address. NAME is the CSV's system column; the report knows
    /// raw, gateway and peer. E.g. --system raw --system gateway=127.0.0.1:19100
    #[arg(long = "system", value_name = "NAME[=IP:PORT]", value_parser = parse_system, required = true)]
    systems: Vec<SystemSpec>,
    /// Server process of a system to sample, NAME=PID (repeatable; a system's processes are
    /// summed). A system without one samples this process, which is right for the gfapi one.
    #[arg(long = "pid", value_name = "NAME=PID", value_parser = parse_pid)]
    pids: Vec<(String, u32)>,
    /// Listing source of a system, NAME:SOURCE=KEYS (SOURCE: a bucket for S3, a directory on
    /// the volume for gfapi; KEYS takes k and M); repeatable. LIST workloads are named by KEYS
    /// and interleaved like the others; a system without a source of that size skips them.
    #[arg(long = "list", value_name = "NAME:SOURCE=KEYS", value_parser = parse_system_list)]
    lists: Vec<(String, (String, u64))>,
    #[command(flatten)]
    conn: ConnArgs,
    /// Quick mode: 4 KiB and 1 MiB, concurrency 1 and 8, 2 s per workload.
    #[arg(long)]
    quick: bool,
    /// Object sizes (default 4k,1m,64m; quick 4k,1m).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    sizes: Vec<u64>,
    /// Concurrencies (default 1,8,32; quick 1,8).
    #[arg(long, value_delimiter = ',')]
    concs: Vec<usize>,
    /// Measured seconds per workload (default 5; quick 2).
    #[arg(long)]
    duration: Option<f64>,
    /// Warm-up seconds per workload (default 1; quick 0.5).
    #[arg(long)]
    warmup: Option<f64>,
    /// LIST concurrencies.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    list_concs: Vec<usize>,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Operation: put, get, range, head, delete, list.
    #[arg(long)]
    op: Op,
    /// Object size (for list: keys in the bucket).
    #[arg(long, value_parser = parse_size, default_value = "4k")]
    size: u64,
    /// Concurrent workers.
    #[arg(long, default_value_t = 8)]
    conc: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Warm-up seconds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// For get/head/range/delete: first PUT this many objects (unmeasured).
    #[arg(long, default_value_t = 200)]
    objects: usize,
    /// For list: the bucket (S3) or directory (raw).
    #[arg(long, default_value = "list10k")]
    list_from: String,
}

#[derive(Args, Debug)]
struct SeedArgs {
    #[command(flatten)]
    vol: VolumeArgs,
    /// The gateway's registry: a directory (sled) or a `postgres://` URL (an empty database).
    #[arg(long)]
    registry: String,
    /// The gateway's blob root on the volume.
    #[arg(long)]
    blob_root: String,
    /// Owner id of the buckets (the gateway user's owner id).
    #[arg(long, default_value = "bench")]
    owner: String,
    /// Region of the buckets.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// NAME=COUNT, repeatable.
    #[arg(long = "bucket", value_parser = parse_list)]
    buckets: Vec<(String, u64)>,
}

#[derive(Args, Debug)]
struct FillArgs {
    #[command(flatten)]
    vol: VolumeArgs,
    /// Directory on the volume.
    #[arg(long)]
    dir: String,
    /// Number of files.
    #[arg(long)]
    count: u64,
    /// Creating threads.
    #[arg(long, default_value_t = 8)]
    threads: usize,
}

#[derive(Args, Debug)]
struct RmtreeArgs {
    #[command(flatten)]
    vol: VolumeArgs,
    /// Directories on the volume to remove.
    paths: Vec<String>,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// The CSV of the run.
    #[arg(long)]
    csv: PathBuf,
    /// Where to write the Markdown.
    #[arg(long)]
    out: PathBuf,
    /// Title line.
    #[arg(long, default_value = "Benchmark")]
    title: String,
    /// Context lines (machine, load, command); repeatable.
    #[arg(long = "context")]
    context: Vec<String>,
    /// Chart file name, linked from the Markdown.
    #[arg(long)]
    chart: Option<String>,
    /// README to update between its bench markers (chart path relative to the README).
    #[arg(long)]
    readme: Option<PathBuf>,
    /// The chart's path as the README links it.
    #[arg(long)]
    readme_chart: Option<String>,
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 3600.0))
}

impl SuiteArgs {
    /// The systems, with their processes and listing sources; every --pid and --list must name
    /// a --system, and at most one system may be the volume itself (they would share --raw-root).
    fn systems(&self) -> Result<Vec<System>, String> {
        let specs = &self.systems;
        for (i, s) in specs.iter().enumerate() {
            if specs[..i].iter().any(|t| t.name == s.name) {
                return Err(format!("--system {} given twice", s.name));
            }
        }
        if specs.iter().filter(|s| s.endpoint.is_none()).count() > 1 {
            return Err("at most one --system without an endpoint (the volume via gfapi)".into());
        }
        let known = |name: &str, what: &str| {
            if specs.iter().any(|s| s.name == name) {
                Ok(())
            } else {
                Err(format!("{what} names {name:?}, which is not a --system"))
            }
        };
        for (name, _) in &self.pids {
            known(name, "--pid")?;
        }
        for (name, _) in &self.lists {
            known(name, "--list")?;
        }
        specs
            .iter()
            .map(|spec| {
                let pids = self
                    .pids
                    .iter()
                    .filter(|(n, _)| *n == spec.name)
                    .map(|(_, p)| Pid::Other(*p))
                    .collect();
                let lists = self
                    .lists
                    .iter()
                    .filter(|(n, _)| *n == spec.name)
                    .map(|(_, l)| l.clone())
                    .collect();
                let target = self.conn.target(spec.endpoint)?;
                Ok(System::new(&spec.name, target, pids, lists))
            })
            .collect()
    }
}

fn suite(a: &SuiteArgs) -> Result<(), String> {
    let quick = a.quick;
    let m = Matrix {
        sizes: if a.sizes.is_empty() {
            if quick {
                vec![4 << 10, 1 << 20]
            } else {
                vec![4 << 10, 1 << 20, 64 << 20]
            }
        } else {
            a.sizes.clone()
        },
        concs: if a.concs.is_empty() {
            if quick {
                vec![1, 8]
            } else {
                vec![1, 8, 32]
            }
        } else {
            a.concs.clone()
        },
        side_conc: 8,
        duration: secs(a.duration.unwrap_or(if quick { 2.0 } else { 5.0 })),
        warmup: secs(a.warmup.unwrap_or(if quick { 0.5 } else { 1.0 })),
        list_concs: a.list_concs.clone(),
        settle_max: Duration::from_secs(if quick { 10 } else { 30 }),
    };
    let s = Suite::new(a.systems()?, a.conn.csv.clone()).map_err(|e| e.to_string())?;
    eprintln!(
        "suite: sizes {:?}, concurrency {:?}, {:.1}s per workload (+{:.1}s warm-up); \
each workload on {} in turn",
        m.sizes,
        m.concs,
        m.duration.as_secs_f64(),
        m.warmup.as_secs_f64(),
        a.systems
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for sys in s.systems() {
        eprintln!("  {}: pids {:?}, lists {:?}", sys.name, sys.pids, sys.lists);
    }
    s.run(&m)
}

fn run_one(a: &RunArgs) -> Result<(), String> {
    let s = a.target.suite()?;
    let sys = &s.systems()[0];
    let mut w = Workload {
        op: a.op,
        size: a.size,
        conc: a.conc.max(1),
        duration: secs(a.duration),
        warmup: secs(a.warmup),
        tag: format!("run-{}", a.op),
        range_len: if a.size >= 16 << 20 {
            1 << 20
        } else {
            (a.size / 4).max(1)
        },
        list_from: a.list_from.clone(),
    };
    s.prepare(sys)?;
    let mut pool = Vec::new();
    if matches!(a.op, Op::Get | Op::Head | Op::Range | Op::Delete) {
        let fill = Workload {
            op: Op::Put,
            duration: Duration::from_secs(3600),
            warmup: Duration::ZERO,
            conc: 8,
            tag: format!("run-fill-{}", std::process::id()),
            ..w.clone()
        };
        let mut fill_w = fill;
        // One PUT per worker per "round": stop after `objects` by giving each worker its share.
        fill_w.duration = Duration::ZERO;
        for _ in 0..a.objects.div_ceil(8) {
            let (_, created) = s.measure(sys, &fill_w, &[], false);
            pool.extend(created);
        }
        w.warmup = if a.op == Op::Delete {
            Duration::ZERO
        } else {
            w.warmup
        };
    }
    s.measure(sys, &w, &pool, true);
    Ok(())
}

fn report(a: &ReportArgs) -> Result<(), String> {
    let text = std::fs::read_to_string(&a.csv).map_err(|e| format!("{}: {e}", a.csv.display()))?;
    let recs = report::parse_csv(&text)?;
    let md = report::markdown(&recs, &a.title, &a.context, a.chart.as_deref());
    std::fs::write(&a.out, &md).map_err(|e| format!("{}: {e}", a.out.display()))?;
    eprintln!("report: {}", a.out.display());
    if let Some(readme) = &a.readme {
        let body = report::markdown(&recs, &a.title, &a.context, a.readme_chart.as_deref());
        let old = std::fs::read_to_string(readme).map_err(|e| format!("{}: {e}", readme.display()))?;
        let new = report::splice_readme(&old, &body)?;
        std::fs::write(readme, new).map_err(|e| format!("{}: {e}", readme.display()))?;
        eprintln!("report: updated {}", readme.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match &cli.command {
        Command::Suite(a) => suite(a),
        Command::Run(a) => run_one(a),
        Command::Seed(a) => a
            .vol
            .connect()
            .and_then(|vol| tools::seed(&a.registry, vol, &a.blob_root, &a.owner, &a.region, &a.buckets)),
        Command::Fill(a) => a
            .vol
            .connect()
            .and_then(|vol| tools::fill(&vol, &a.dir, a.count, a.threads)),
        Command::Rmtree(a) => a.vol.connect().and_then(|vol| {
            for p in &a.paths {
                let n = tools::rmtree(&vol, p.trim_end_matches('/'), 8)?;
                eprintln!("rmtree: {p}: {n} entries removed");
            }
            Ok(())
        }),
        Command::Report(a) => report(a),
        Command::Faultload(a) => faultload(a),
        Command::Verify(a) => verify(a),
        Command::Soak(a) => soak(a),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_lists_parse() {
        assert_eq!(parse_size("4k").unwrap(), 4096);
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("x").is_err());
        assert_eq!(parse_list("list1m=1M").unwrap(), ("list1m".into(), 1_000_000));
        assert_eq!(parse_list("/d/x=10k").unwrap(), ("/d/x".into(), 10_000));
    }

    #[test]
    fn suite_specs_parse() {
        assert_eq!(
            parse_system("raw").unwrap(),
            SystemSpec {
                name: "raw".into(),
                endpoint: None
            }
        );
        let gw = parse_system("gateway=127.0.0.1:19100").unwrap();
        assert_eq!(
            (gw.name.as_str(), gw.endpoint.map(|a| a.port())),
            ("gateway", Some(19100))
        );
        assert!(parse_system("peer=[::1]:9000").is_ok());
        assert!(parse_system("gateway=10.0.0.1:9000").is_err(), "not loopback");
        assert!(parse_system("gateway=localhost").is_err());
        assert!(parse_system("").is_err());
        assert!(parse_system("a b").is_err());
        assert_eq!(parse_pid("peer=42").unwrap(), ("peer".into(), 42));
        assert!(parse_pid("42").is_err());
        assert!(parse_pid("peer=x").is_err());
        assert_eq!(
            parse_system_list("raw:/g/run/peer/list10k=10k").unwrap(),
            ("raw".into(), ("/g/run/peer/list10k".into(), 10_000))
        );
        assert_eq!(
            parse_system_list("gateway:list1m=1M").unwrap(),
            ("gateway".into(), ("list1m".into(), 1_000_000))
        );
        assert!(parse_system_list("list10k=10000").is_err());
    }

    #[test]
    fn suite_cli_checks_names() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["loadgen", "suite"];
            argv.extend_from_slice(args);
            match Cli::try_parse_from(argv).map_err(|e| e.to_string())?.command {
                Command::Suite(a) => Ok(a),
                _ => Err("not suite".to_owned()),
            }
        };
        assert!(parse(&[]).is_err(), "--system is required");
        let a = parse(&[
            "--system",
            "gateway=127.0.0.1:1",
            "--system",
            "peer=127.0.0.1:2",
            "--pid",
            "peer=1",
            "--pid",
            "peer=2",
            "--list",
            "gateway:list1m=1M",
        ])
        .unwrap();
        assert_eq!(a.pids.len(), 2);
        let sys = a.systems().unwrap();
        assert_eq!(sys.len(), 2);
        assert_eq!(sys[0].pids, vec![Pid::Myself]);
        assert_eq!(sys[1].pids, vec![Pid::Other(1), Pid::Other(2)]);
        assert_eq!(sys[0].lists, vec![("list1m".to_owned(), 1_000_000)]);
        assert!(sys[1].lists.is_empty());
        let typo = parse(&["--system", "gateway=127.0.0.1:1", "--pid", "gw=1"]).unwrap();
        assert!(typo.systems().is_err());
        let twice = parse(&["--system", "peer=127.0.0.1:1", "--system", "peer=127.0.0.1:2"]).unwrap();
        assert!(twice.systems().is_err());
        let two_raw = parse(&["--system", "raw", "--system", "raw2"]).unwrap();
        assert!(
            two_raw.systems().is_err(),
            "two gfapi systems would share --raw-root"
        );
        assert!(parse(&["--system", "gateway=192.168.1.1:80"]).is_err());
        // The form bench/run.sh passes (not resolved: the raw system would connect to the volume).
        let run_sh = parse(&[
            "--volume",
            "s3vol",
            "--volfile-server",
            "localhost",
            "--raw-root",
            "/g/r/raw",
            "--csv",
            "/tmp/x.csv",
            "--access-key",
            "bench",
            "--secret-key",
            "s",
            "--quick",
            "--system",
            "raw",
            "--list",
            "raw:/g/r/peer/list10k=10000",
            "--system",
            "gateway=127.0.0.1:19100",
            "--pid",
            "gateway=10",
            "--list",
            "gateway:list10k=10000",
            "--list",
            "gateway:list1m=1000000",
            "--system",
            "peer=127.0.0.1:19200",
            "--pid",
            "peer=11",
            "--pid",
            "peer=12",
            "--list",
            "peer:list10k=10000",
        ])
        .unwrap();
        let names: Vec<&str> = run_sh.systems.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["raw", "gateway", "peer"]);
        assert_eq!((run_sh.pids.len(), run_sh.lists.len()), (3, 4));
    }

    #[test]
    fn payload_is_deterministic_and_sized() {
        assert_eq!(payload(4097).len(), 4097);
        assert_eq!(payload(100), payload(100));
        assert_ne!(payload(16)[..8], payload(16)[8..]);
    }
}
