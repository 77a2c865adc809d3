//! `loadgen`: the glusters3 benchmark's load generator and report writer.
//!
//! Subcommands: `suite` runs the whole workload matrix against one system (an S3 endpoint over
//! presigned URLs, or the volume through gfapi) and appends one CSV line per workload; `run` runs
//! a single workload (for profiling); `seed` fills the gateway's registry with large listing
//! buckets before the gateway starts; `fill` and `rmtree` prepare and remove directories on the
//! volume; `report` turns a CSV into the Markdown table and target verdicts. `bench/run.sh`
//! (`make bench`) drives them. This crate must not send traffic anywhere but loopback
//! addresses, and must not change the gateway: it only uses its public library API.

#![allow(
    clippy::cast_precision_loss,
    reason = "statistics: counts, bytes and ticks (all far below 2^52) become f64 for rates"
)]

mod http;
mod presign;
mod raw;
mod report;
mod s3;
mod sample;
mod stats;
mod suite;
mod tools;
mod work;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::sample::Pid;
use crate::suite::{Matrix, Suite, Target};
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
    /// Run the whole matrix against one system, appending to a CSV.
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

#[derive(Args, Debug, Clone)]
struct TargetArgs {
    /// Label of the system in the CSV: raw, gateway, peer.
    #[arg(long)]
    system: String,
    /// S3 endpoint (loopback address:port). Without it the target is the volume via gfapi.
    #[arg(long)]
    endpoint: Option<SocketAddr>,
    /// Access key.
    #[arg(long, default_value = "bench")]
    access_key: String,
    /// Secret key.
    #[arg(long, default_value = "bench-secret")]
    secret_key: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Bucket of the object workloads.
    #[arg(long, default_value = "bench")]
    bucket: String,
    /// Raw target: directory on the volume for the objects.
    #[arg(long, default_value = "/glusters3-bench/raw")]
    raw_root: String,
    #[command(flatten)]
    vol: VolumeArgs,
    /// Server process to sample (repeatable; summed). Default: this process.
    #[arg(long = "pid")]
    pids: Vec<u32>,
    /// CSV to append results to.
    #[arg(long)]
    csv: Option<PathBuf>,
}

impl TargetArgs {
    fn suite(&self) -> Result<Suite, String> {
        let target = match self.endpoint {
            Some(addr) => {
                if !addr.ip().is_loopback() {
                    return Err(format!(
                        "{addr} is not a loopback address: the benchmark only talks to this host"
                    ));
                }
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
        };
        let pids = self.pids.iter().map(|p| Pid::Other(*p)).collect();
        Suite::new(&self.system, target, pids, self.csv.clone()).map_err(|e| e.to_string())
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

#[derive(Args, Debug)]
struct SuiteArgs {
    #[command(flatten)]
    target: TargetArgs,
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
    /// Listing source NAME=KEYS (bucket for S3, directory for raw); repeatable.
    #[arg(long = "list", value_parser = parse_list)]
    lists: Vec<(String, u64)>,
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
    /// The gateway's registry directory.
    #[arg(long)]
    registry: PathBuf,
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
        lists: a.lists.clone(),
        list_concs: a.list_concs.clone(),
        settle_max: Duration::from_secs(if quick { 10 } else { 30 }),
    };
    let s = a.target.suite()?;
    eprintln!(
        "suite {}: sizes {:?}, concurrency {:?}, {:.1}s per workload (+{:.1}s warm-up), lists {:?}",
        a.target.system,
        m.sizes,
        m.concs,
        m.duration.as_secs_f64(),
        m.warmup.as_secs_f64(),
        m.lists
    );
    s.run(&m)
}

fn run_one(a: &RunArgs) -> Result<(), String> {
    let s = a.target.suite()?;
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
    if let Target::Raw(t) = s.target() {
        t.prepare().map_err(|e| e.to_string())?;
    }
    if let Target::S3(t) = s.target() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(t.create_bucket())?;
    }
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
            let (_, created) = s.measure(&fill_w, &[], false);
            pool.extend(created);
        }
        w.warmup = if a.op == Op::Delete {
            Duration::ZERO
        } else {
            w.warmup
        };
    }
    s.measure(&w, &pool, true);
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
    fn payload_is_deterministic_and_sized() {
        assert_eq!(payload(4097).len(), 4097);
        assert_eq!(payload(100), payload(100));
        assert_ne!(payload(16)[..8], payload(16)[8..]);
    }
}
