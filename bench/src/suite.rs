//! The matrix: the same sequence of workloads against every system of the run (raw gfapi, the
//! gateway, the peer), interleaved, each measured with the server's resident set and CPU time
//! and appended to the CSV as it finishes.
//!
//! Sequence, per object size (smallest first): PUT at each concurrency (the objects they
//! create become that system's read pool), GET at each concurrency, then HEAD (smallest size)
//! and ranged GET (largest size) at 8, DELETE at 8 (smallest size), and an unmeasured clean-up
//! of everything left; then LIST pages at each listing concurrency from each listing size
//! (a system without a source of that size skips it). Each workload is measured on every
//! system back to back, in the order the systems were given, before the next workload starts:
//! the noise of this shared machine drifts over minutes (memory state, other work), and
//! interleaving makes that drift hit all systems alike instead of favouring whichever ran in a
//! quiet spell. After each workload the system just measured is let settle (its server CPU
//! back to idle, e.g. the gateway's garbage sweep), so its background work lands neither in its
//! next workload nor in another system's figures. Owns that order and the measurement
//! wrapper; must not know how a target performs an operation.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::raw::RawTarget;
use crate::s3::S3Target;
use crate::sample::{cpu_s, dirty_kib, Pid, RssSampler};
use crate::stats::{size_label, Row, Usage, WorkerStats, CSV_HEADER};
use crate::work::{Op, Workload};

/// How a system is reached.
pub enum Target {
    /// An S3 endpoint (gateway or peer).
    S3(Arc<S3Target>),
    /// The volume itself.
    Raw(RawTarget),
}

/// One system of a suite.
pub struct System {
    /// Label in the CSV: raw, gateway, peer.
    pub name: String,
    /// How operations reach it.
    pub target: Target,
    /// Server processes whose RSS and CPU are measured (summed).
    pub pids: Vec<Pid>,
    /// Listing sources: (bucket for S3, directory for raw; keys it holds).
    pub lists: Vec<(String, u64)>,
}

impl System {
    /// System `name` on `target`, watching `pids` (none: this process, which is right for the
    /// raw target, whose "server" runs in the load generator).
    pub fn new(name: &str, target: Target, pids: Vec<Pid>, lists: Vec<(String, u64)>) -> System {
        System {
            name: name.to_owned(),
            target,
            pids: if pids.is_empty() { vec![Pid::Myself] } else { pids },
            lists,
        }
    }
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
    /// Concurrencies for LIST.
    pub list_concs: Vec<usize>,
    /// Longest wait for a server to go idle after a workload.
    pub settle_max: Duration,
}

/// A run over one or more systems.
pub struct Suite {
    systems: Vec<System>,
    rt: tokio::runtime::Runtime,
    csv: Option<PathBuf>,
}

impl Suite {
    /// A suite over `systems`, measured in that order within each workload.
    pub fn new(systems: Vec<System>, csv: Option<PathBuf>) -> std::io::Result<Suite> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Suite { systems, rt, csv })
    }

    /// The systems, in measuring order.
    pub fn systems(&self) -> &[System] {
        &self.systems
    }

    /// Makes `sys` ready for the object workloads: its bucket (S3) or its root directory (raw).
    pub fn prepare(&self, sys: &System) -> Result<(), String> {
        match &sys.target {
            Target::S3(t) => self
                .rt
                .block_on(t.create_bucket())
                .map_err(|e| format!("{}: {e}", sys.name)),
            Target::Raw(t) => t
                .prepare()
                .map_err(|e| format!("{}: raw root {}: {e}", sys.name, t.root)),
        }
    }

    /// Runs one workload on `sys` and measures it; the row is written to the CSV when `record`.
    pub fn measure(&self, sys: &System, w: &Workload, pool: &[String], record: bool) -> (Row, Vec<String>) {
        let pool = Arc::new(pool.to_vec());
        let sampler = RssSampler::start(sys.pids.clone());
        let at_start = Arc::new(Mutex::new((0.0f64, 0.0f64)));
        let snapshot: Arc<dyn Fn() + Send + Sync> = {
            let (pids, at_start) = (sys.pids.clone(), at_start.clone());
            Arc::new(move || {
                if let Ok(mut s) = at_start.lock() {
                    *s = (cpu_s(&pids), Pid::Myself.cpu_s());
                }
            })
        };
        let (stats, created): (WorkerStats, Vec<String>) = match &sys.target {
            Target::S3(t) => self.rt.block_on(crate::s3::run(t.clone(), w, pool, snapshot)),
            Target::Raw(t) => crate::raw::run(t, w, &pool, &snapshot),
        };
        let (srv0, cli0) = at_start.lock().map(|s| *s).unwrap_or_default();
        let rss_start = sampler.start_mib();
        let usage = Usage {
            server_cpu_s: cpu_s(&sys.pids) - srv0,
            client_cpu_s: Pid::Myself.cpu_s() - cli0,
            server_rss_peak_mib: sampler.finish(),
            server_rss_start_mib: rss_start,
        };
        let note = stats.first_error.clone().unwrap_or_default();
        let row = Row::new(&sys.name, w.op.name(), w.size, w.conc, &stats, usage, note);
        if record {
            eprintln!(
                "  {:<8} {:<22} {:>9.1} ops/s {:>8.1} MiB/s  p50 {:>8.2} p99 {:>8.2} max {:>8.2} ms  err {:>3}  rss {:>6.1} MiB (from {:.1})  cpu {:>5.1}%  client {:.2}s",
                row.system,
                row.workload(),
                row.ops_s(),
                row.mib_s(),
                row.p50_ms,
                row.p99_ms,
                row.max_ms,
                row.errors,
                row.usage.server_rss_peak_mib,
                row.usage.server_rss_start_mib,
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

    /// Writes out the page cache (`sync`), then waits until the server processes of `sys` use
    /// at most two clock ticks (20 ms) of CPU in a [`SETTLE_WINDOW`] (at most `max`), so one
    /// workload's background work (a garbage sweep, write-behind) lands neither in the next
    /// workload of that system nor in another system's.
    ///
    /// The `sync` is for the peer: s3s-fs does not fsync, and its uploads left up to 1.8 GiB
    /// dirty in the bricks' page cache (after its 64 MiB PUTs) for the kernel to write out
    /// during the next system's workload; here it is written out between workloads (0.5-1 s
    /// on this machine) and charged to no one. Measured on the run of 2026-11-24: raw gfapi's
    /// PUT 64 MiB c1 went from 245 to 322 MiB/s.
    fn settle(sys: &System, max: Duration) {
        let until = Instant::now() + max;
        let dirty = dirty_kib();
        let t = Instant::now();
        if let Err(e) = std::process::Command::new("sync").status() {
            eprintln!("  (sync after {}: {e})", sys.name);
        }
        if dirty >= 16 << 10 {
            eprintln!(
                "  (after {}: {} MiB dirty, written out in {:.1}s)",
                sys.name,
                dirty >> 10,
                t.elapsed().as_secs_f64()
            );
        }
        if sys.pids == [Pid::Myself] {
            return; // the load generator's own gfapi client: its writes were fsynced
        }
        while Instant::now() < until {
            let c0 = cpu_s(&sys.pids);
            std::thread::sleep(SETTLE_WINDOW);
            if cpu_s(&sys.pids) - c0 < 0.025 {
                return;
            }
        }
        eprintln!(
            "  ({} still busy after {:.0}s of settling)",
            sys.name,
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

    /// Measures `w` on every system in turn, each on its own read pool, each let settle after.
    fn each(&self, m: &Matrix, w: &Workload, pools: &[Vec<String>]) {
        for (sys, pool) in self.systems.iter().zip(pools) {
            self.measure(sys, w, pool, true);
            Self::settle(sys, m.settle_max);
        }
    }

    /// The listing sizes of all systems, in the order first given.
    fn list_sizes(&self) -> Vec<u64> {
        let mut sizes = Vec::new();
        for (_, keys) in self.systems.iter().flat_map(|s| &s.lists) {
            if !sizes.contains(keys) {
                sizes.push(*keys);
            }
        }
        sizes
    }

    /// Runs the whole matrix, each workload on every system back to back.
    pub fn run(&self, m: &Matrix) -> Result<(), String> {
        for sys in &self.systems {
            self.prepare(sys)?;
        }
        let (smallest, largest) = (
            m.sizes.iter().copied().min().unwrap_or(0),
            m.sizes.iter().copied().max().unwrap_or(0),
        );
        for &size in &m.sizes {
            let mut pools: Vec<Vec<String>> = vec![Vec::new(); self.systems.len()];
            for &c in &m.concs {
                let w = Self::workload(m, Op::Put, size, c);
                for (sys, pool) in self.systems.iter().zip(&mut pools) {
                    let (_, created) = self.measure(sys, &w, &[], true);
                    pool.extend(created);
                    Self::settle(sys, m.settle_max);
                }
            }
            for &c in &m.concs {
                self.each(m, &Self::workload(m, Op::Get, size, c), &pools);
            }
            if size == smallest {
                self.each(m, &Self::workload(m, Op::Head, size, m.side_conc), &pools);
            }
            if size == largest {
                self.each(m, &Self::workload(m, Op::Range, size, m.side_conc), &pools);
            }
            if size == smallest {
                self.each(m, &Self::workload(m, Op::Delete, size, m.side_conc), &pools);
            }
            // Clean-up of whatever is left (keys already deleted answer 204 or ENOENT: ignored).
            let mut cleanup = Self::workload(m, Op::Delete, size, 8);
            cleanup.duration = Duration::from_secs(3600);
            for (sys, pool) in self.systems.iter().zip(&pools) {
                let began = Instant::now();
                self.measure(sys, &cleanup, pool, false);
                eprintln!(
                    "  {:<8} clean-up of {} {} objects: {:.1}s",
                    sys.name,
                    pool.len(),
                    size_label("put", size),
                    began.elapsed().as_secs_f64()
                );
                Self::settle(sys, m.settle_max);
            }
        }
        for keys in self.list_sizes() {
            for &c in &m.list_concs {
                for sys in &self.systems {
                    for (from, _) in sys.lists.iter().filter(|(_, k)| *k == keys) {
                        let mut w = Self::workload(m, Op::List, keys, c);
                        w.list_from.clone_from(from);
                        self.measure(sys, &w, &[], true);
                        Self::settle(sys, m.settle_max);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The window over which a settling server's CPU is sampled: two ticks in it are 5% of a core.
const SETTLE_WINDOW: Duration = Duration::from_millis(400);
