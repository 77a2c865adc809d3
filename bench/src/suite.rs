//! The matrix: the same sequence of workloads against one system, each measured with the
//! server's resident set and CPU time, appended to the CSV as it finishes.
//!
//! Sequence, per object size (smallest first): PUT at each concurrency (the objects they
//! create become the read pool), GET at each concurrency, then HEAD (smallest size) and
//! ranged GET (largest size) at 8, DELETE at 8 (smallest size), and an unmeasured clean-up of
//! everything left; then LIST pages from each listing bucket at each listing concurrency.
//! Between workloads the system is let settle (server CPU back to idle, e.g. the gateway's
//! garbage sweep). Owns that order and the measurement wrapper; must not know how a target
//! performs an operation.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::raw::RawTarget;
use crate::s3::S3Target;
use crate::sample::{cpu_s, Pid, RssSampler};
use crate::stats::{size_label, Row, Usage, WorkerStats, CSV_HEADER};
use crate::work::{Op, Workload};

/// What a suite runs against.
pub enum Target {
    /// An S3 endpoint (gateway or peer).
    S3(Arc<S3Target>),
    /// The volume itself.
    Raw(RawTarget),
}

/// The sizes, concurrencies and durations of a run.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// Object sizes, bytes.
    pub sizes: Vec<u64>,
    /// Concurrencies for PUT and GET.
    pub concs: Vec<usize>,
    /// Concurrency of HEAD, ranged GET and DELETE.
    pub side_conc: usize,
    /// Measured duration of each workload.
    pub duration: Duration,
    /// Warm-up of each workload (none for objects over 1 MiB: one of them is warm-up enough).
    pub warmup: Duration,
    /// Listing sources: (bucket or directory, keys it holds).
    pub lists: Vec<(String, u64)>,
    /// Concurrencies for LIST.
    pub list_concs: Vec<usize>,
    /// Longest wait for the server to go idle between workloads.
    pub settle_max: Duration,
}

/// One system's run.
pub struct Suite {
    system: String,
    target: Target,
    pids: Vec<Pid>,
    rt: tokio::runtime::Runtime,
    csv: Option<PathBuf>,
}

impl Suite {
    /// A suite for `system` on `target`, watching `pids` (the raw target watches itself).
    pub fn new(system: &str, target: Target, pids: Vec<Pid>, csv: Option<PathBuf>) -> std::io::Result<Suite> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let pids = if pids.is_empty() { vec![Pid::Myself] } else { pids };
        Ok(Suite {
            system: system.to_owned(),
            target,
            pids,
            rt,
            csv,
        })
    }

    /// What this suite runs against.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Runs one workload and measures it; the row is written to the CSV when `record`.
    pub fn measure(&self, w: &Workload, pool: &[String], record: bool) -> (Row, Vec<String>) {
        let pool = Arc::new(pool.to_vec());
        let sampler = RssSampler::start(self.pids.clone());
        let at_start = Arc::new(Mutex::new((0.0f64, 0.0f64)));
        let snapshot: Arc<dyn Fn() + Send + Sync> = {
            let (pids, at_start) = (self.pids.clone(), at_start.clone());
            Arc::new(move || {
                if let Ok(mut s) = at_start.lock() {
                    *s = (cpu_s(&pids), Pid::Myself.cpu_s());
                }
            })
        };
        let (stats, created): (WorkerStats, Vec<String>) = match &self.target {
            Target::S3(t) => self.rt.block_on(crate::s3::run(t.clone(), w, pool, snapshot)),
            Target::Raw(t) => crate::raw::run(t, w, &pool, &snapshot),
        };
        let (srv0, cli0) = at_start.lock().map(|s| *s).unwrap_or_default();
        let usage = Usage {
            server_cpu_s: cpu_s(&self.pids) - srv0,
            client_cpu_s: Pid::Myself.cpu_s() - cli0,
            server_rss_peak_mib: sampler.finish(),
        };
        let note = stats.first_error.clone().unwrap_or_default();
        let row = Row::new(&self.system, w.op.name(), w.size, w.conc, &stats, usage, note);
        if record {
            eprintln!(
                "  {:<8} {:<22} {:>9.1} ops/s {:>8.1} MiB/s  p50 {:>8.2} p99 {:>8.2} max {:>8.2} ms  err {:>3}  rss {:>6.1} MiB  cpu {:>5.1}%  client {:.2}s",
                row.system,
                row.workload(),
                row.ops_s(),
                row.mib_s(),
                row.p50_ms,
                row.p99_ms,
                row.max_ms,
                row.errors,
                row.usage.server_rss_peak_mib,
                if row.elapsed_s > 0.0 { 100.0 * usage.server_cpu_s / row.elapsed_s } else { 0.0 },
                usage.client_cpu_s,
            );
            if !row.note.is_empty() {
                eprintln!("           first error: {}", row.note);
            }
            if let Err(e) = self.append_csv(&row) {
                eprintln!("  cannot write the CSV: {e}");
            }
        }
        (row, created)
    }

    fn append_csv(&self, row: &Row) -> std::io::Result<()> {
        let Some(path) = &self.csv else { return Ok(()) };
        let new = !path.exists();
        let mut f = OpenOptions::new().create(true).append(true).open(path)?;
        if new {
            writeln!(f, "{CSV_HEADER}")?;
        }
        writeln!(f, "{}", row.csv())
    }

    /// Waits until the watched server processes use under 5 % of a core over half a second
    /// (at most `max`), so one workload's background work (a garbage sweep, write-behind)
    /// does not land in the next one's figures.
    fn settle(&self, max: Duration) {
        let until = Instant::now() + max;
        std::thread::sleep(Duration::from_millis(300));
        if self.pids == [Pid::Myself] {
            return;
        }
        while Instant::now() < until {
            let c0 = cpu_s(&self.pids);
            std::thread::sleep(Duration::from_millis(500));
            if cpu_s(&self.pids) - c0 < 0.025 {
                return;
            }
        }
        eprintln!(
            "  (server still busy after {:.0}s of settling)",
            max.as_secs_f64()
        );
    }

    fn workload(m: &Matrix, op: Op, size: u64, conc: usize) -> Workload {
        Workload {
            op,
            size,
            conc,
            duration: m.duration,
            warmup: if size > 1 << 20 || op == Op::Delete {
                Duration::ZERO
            } else {
                m.warmup
            },
            tag: format!(
                "{}{}-c{conc}",
                op.name(),
                size_label("put", size).replace(' ', "")
            ),
            range_len: if size >= 16 << 20 {
                1 << 20
            } else {
                (size / 4).max(1)
            },
            list_from: String::new(),
        }
    }

    /// Runs the whole matrix.
    pub fn run(&self, m: &Matrix) -> Result<(), String> {
        if let Target::S3(t) = &self.target {
            self.rt.block_on(t.create_bucket())?;
        }
        if let Target::Raw(t) = &self.target {
            t.prepare().map_err(|e| format!("raw root {}: {e}", t.root))?;
        }
        let (smallest, largest) = (
            m.sizes.iter().copied().min().unwrap_or(0),
            m.sizes.iter().copied().max().unwrap_or(0),
        );
        for &size in &m.sizes {
            let mut pool: Vec<String> = Vec::new();
            for &c in &m.concs {
                let (_, created) = self.measure(&Self::workload(m, Op::Put, size, c), &[], true);
                pool.extend(created);
                self.settle(m.settle_max);
            }
            for &c in &m.concs {
                self.measure(&Self::workload(m, Op::Get, size, c), &pool, true);
            }
            if size == smallest {
                self.measure(&Self::workload(m, Op::Head, size, m.side_conc), &pool, true);
            }
            if size == largest {
                self.measure(&Self::workload(m, Op::Range, size, m.side_conc), &pool, true);
            }
            if size == smallest {
                self.measure(&Self::workload(m, Op::Delete, size, m.side_conc), &pool, true);
            }
            // Clean-up of whatever is left (keys already deleted answer 204 or ENOENT: ignored).
            let mut cleanup = Self::workload(m, Op::Delete, size, 8);
            cleanup.duration = Duration::from_secs(3600);
            let began = Instant::now();
            self.measure(&cleanup, &pool, false);
            eprintln!(
                "  {:<8} clean-up of {} {} objects: {:.1}s",
                self.system,
                pool.len(),
                size_label("put", size),
                began.elapsed().as_secs_f64()
            );
            self.settle(m.settle_max);
        }
        for (from, keys) in &m.lists {
            for &c in &m.list_concs {
                let mut w = Self::workload(m, Op::List, *keys, c);
                w.list_from.clone_from(from);
                self.measure(&w, &[], true);
            }
        }
        Ok(())
    }
}
