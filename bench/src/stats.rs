//! Measurements: per-worker latency histograms, the result row of one workload, and its CSV form.
//!
//! Owns the CSV schema (one header, one line per workload and system) that `report` and the
//! chart script read. Must not know how operations are performed.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, from 1 µs to 1 hour, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static histogram bounds are valid")
}

/// What one worker measured.
pub struct WorkerStats {
    /// Latency of every successful operation, in µs.
    pub hist: Histogram<u64>,
    /// Failed operations.
    pub errors: u64,
    /// Payload bytes moved by successful operations.
    pub bytes: u64,
    /// The first error seen, for the log.
    pub first_error: Option<String>,
    /// When the worker's last operation ended, relative to the measured start.
    pub last_end: Duration,
}

impl Default for WorkerStats {
    fn default() -> Self {
        WorkerStats {
            hist: new_histogram(),
            errors: 0,
            bytes: 0,
            first_error: None,
            last_end: Duration::ZERO,
        }
    }
}

impl WorkerStats {
    /// Records one outcome that ended at `end` (since the measured start) after `took`.
    pub fn record(&mut self, outcome: Result<u64, String>, took: Duration, end: Duration) {
        match outcome {
            Ok(bytes) => {
                let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
                self.hist.saturating_record(us);
                self.bytes += bytes;
            }
            Err(e) => {
                self.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
        self.last_end = self.last_end.max(end);
    }

    /// Folds another worker's measurements into this one.
    pub fn merge(&mut self, other: WorkerStats) {
        self.hist.add(&other.hist).expect("histograms share bounds");
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.first_error = self.first_error.take().or(other.first_error);
        self.last_end = self.last_end.max(other.last_end);
    }
}

/// Resource use of the server processes (and of this client) over one workload.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// Peak resident set of the server processes together, MiB (sampled every 50 ms).
    pub server_rss_peak_mib: f64,
    /// Resident set of the server processes when the workload began (before its preload), MiB.
    pub server_rss_start_mib: f64,
    /// CPU seconds (user + system) the server processes used during the measured phase.
    pub server_cpu_s: f64,
    /// CPU seconds this load generator used during the measured phase.
    pub client_cpu_s: f64,
}

/// One workload's result.
#[derive(Clone, Debug)]
pub struct Row {
    /// `gateway`, `raw`, `peer`.
    pub system: String,
    /// `put`, `get`, `range`, `head`, `delete`, `list`.
    pub op: String,
    /// Object size in bytes (for `range`: the object's size; for `list`: keys in the bucket).
    pub size: u64,
    /// Concurrent workers.
    pub conc: usize,
    /// Successful operations.
    pub ops: u64,
    /// Failed operations.
    pub errors: u64,
    /// Measured wall time, seconds (from the common start to the last completion).
    pub elapsed_s: f64,
    /// Payload bytes moved.
    pub bytes: u64,
    /// Latency percentiles and maximum, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest operation, ms.
    pub max_ms: f64,
    /// Server resource use.
    pub usage: Usage,
    /// Free text (e.g. the first error).
    pub note: String,
}

/// The CSV header, in column order.
pub const CSV_HEADER: &str = "system,workload,op,size,conc,ops,errors,elapsed_s,ops_s,mib_s,p50_ms,p90_ms,p99_ms,max_ms,server_rss_peak_mib,server_rss_start_mib,server_cpu_s,server_cpu_pct,client_cpu_s,note";

impl Row {
    /// Builds a row from merged worker stats.
    pub fn new(
        system: &str,
        op: &str,
        size: u64,
        conc: usize,
        s: &WorkerStats,
        usage: Usage,
        note: String,
    ) -> Row {
        let q = |p: f64| s.hist.value_at_quantile(p) as f64 / 1000.0;
        Row {
            system: system.to_owned(),
            op: op.to_owned(),
            size,
            conc,
            ops: s.hist.len(),
            errors: s.errors,
            elapsed_s: s.last_end.as_secs_f64(),
            bytes: s.bytes,
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p99_ms: q(0.99),
            max_ms: s.hist.max() as f64 / 1000.0,
            usage,
            note,
        }
    }

    /// Operations per second.
    pub fn ops_s(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.ops as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Payload MiB per second.
    pub fn mib_s(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.bytes as f64 / 1_048_576.0 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// The workload's name, the same for every system: e.g. `PUT 4 KiB c8`, `LIST 1M c1`.
    pub fn workload(&self) -> String {
        workload_name(&self.op, self.size, self.conc)
    }

    /// The row as one CSV line (no newline).
    pub fn csv(&self) -> String {
        let cpu_pct = if self.elapsed_s > 0.0 {
            100.0 * self.usage.server_cpu_s / self.elapsed_s
        } else {
            0.0
        };
        let mut s = String::new();
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{:.3},{:.2},{:.2},{:.3},{:.3},{:.3},{:.3},{:.1},{:.1},{:.3},{:.1},{:.3},{}",
            self.system,
            self.workload(),
            self.op,
            self.size,
            self.conc,
            self.ops,
            self.errors,
            self.elapsed_s,
            self.ops_s(),
            self.mib_s(),
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.usage.server_rss_peak_mib,
            self.usage.server_rss_start_mib,
            self.usage.server_cpu_s,
            cpu_pct,
            self.usage.client_cpu_s,
            self.note.replace([',', '\n', '"'], ";"),
        );
        s
    }
}

/// `4 KiB`, `1 MiB`, `64 MiB`, `10k`, `1M` (list sizes are key counts).
pub fn size_label(op: &str, size: u64) -> String {
    if op == "list" {
        return match size {
            n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
            n if n >= 1000 && n % 1000 == 0 => format!("{}k", n / 1000),
            n => n.to_string(),
        };
    }
    match size {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} B"),
    }
}

/// The workload name used in the CSV, the table and the chart.
pub fn workload_name(op: &str, size: u64, conc: usize) -> String {
    format!("{} {} c{conc}", op.to_uppercase(), size_label(op, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(workload_name("put", 4096, 8), "PUT 4 KiB c8");
        assert_eq!(workload_name("get", 64 << 20, 32), "GET 64 MiB c32");
        assert_eq!(workload_name("list", 1_000_000, 1), "LIST 1M c1");
        assert_eq!(workload_name("list", 10_000, 8), "LIST 10k c8");
    }

    #[test]
    fn row_rates() {
        let mut s = WorkerStats::default();
        s.record(Ok(1 << 20), Duration::from_millis(10), Duration::from_secs(1));
        s.record(Ok(1 << 20), Duration::from_millis(30), Duration::from_secs(2));
        s.record(
            Err("boom".into()),
            Duration::from_millis(1),
            Duration::from_secs(2),
        );
        let r = Row::new("raw", "put", 1 << 20, 1, &s, Usage::default(), String::new());
        assert_eq!((r.ops, r.errors), (2, 1));
        assert!((r.ops_s() - 1.0).abs() < 1e-9);
        assert!((r.mib_s() - 1.0).abs() < 1e-9);
        assert!(r.p99_ms >= 29.9 && r.max_ms >= 29.9);
        assert_eq!(r.csv().split(',').count(), CSV_HEADER.split(',').count());
    }
}
