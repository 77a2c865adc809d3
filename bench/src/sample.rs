//! Resource sampling from `/proc`: resident set (`VmRSS` in `/proc/<pid>/status`) every 50 ms
//! in a background thread, CPU time (`utime + stime` of `/proc/<pid>/stat`) at the start and
//! the end of a measured phase.
//!
//! For `make soak` also the thread count (`Threads:` in the same status file) and the number of
//! open file descriptors (entries of `/proc/<pid>/fd`).
//!
//! Owns the parsing of those files. Must not signal or otherwise touch the processes it
//! watches; a process that vanished reads as zero.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux).
fn clk_tck() -> f64 {
    static TCK: OnceLock<f64> = OnceLock::new();
    *TCK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// A process to watch: a pid, or this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pid {
    /// Another process.
    Other(u32),
    /// The load generator itself (the raw gfapi "server" runs in it).
    Myself,
}

impl Pid {
    fn dir(self) -> String {
        match self {
            Pid::Other(p) => format!("/proc/{p}"),
            Pid::Myself => "/proc/self".to_owned(),
        }
    }

    /// Resident set in KiB (0 if the process is gone).
    pub fn rss_kib(self) -> u64 {
        kib_field(&format!("{}/status", self.dir()), "VmRSS:")
    }

    /// Threads of the process (0 if it is gone).
    pub fn threads(self) -> u64 {
        kib_field(&format!("{}/status", self.dir()), "Threads:")
    }

    /// Open file descriptors (entries of `/proc/<pid>/fd`; 0 if the process is gone).
    pub fn fds(self) -> u64 {
        std::fs::read_dir(format!("{}/fd", self.dir())).map_or(0, |d| d.count() as u64)
    }

    /// User + system CPU seconds so far (0 if the process is gone).
    pub fn cpu_s(self) -> f64 {
        let Ok(stat) = std::fs::read_to_string(format!("{}/stat", self.dir())) else {
            return 0.0;
        };
        // The command name (field 2) may hold spaces; fields after its closing ')' are plain.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            return 0.0;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After ')': state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
        let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        (tick(11) + tick(12)) as f64 / clk_tck()
    }
}

/// Dirty page-cache memory waiting for writeback, in KiB (0 if unreadable).
pub fn dirty_kib() -> u64 {
    kib_field("/proc/meminfo", "Dirty:")
}

/// The value of the `name  N kB` line of a `/proc` file, in KiB (0 if missing or unreadable);
/// also the plain number of a `name  N` line (`Threads:`).
fn kib_field(path: &str, name: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds of several processes together.
pub fn cpu_s(pids: &[Pid]) -> f64 {
    pids.iter().map(|p| p.cpu_s()).sum()
}

/// Samples the summed resident set of some processes until stopped, keeping the peak.
pub struct RssSampler {
    start_kib: u64,
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// Starts sampling `pids` every 50 ms.
    pub fn start(pids: Vec<Pid>) -> RssSampler {
        let start_kib: u64 = pids.iter().map(|p| p.rss_kib()).sum();
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(start_kib));
        let (s, p) = (stop.clone(), peak_kib.clone());
        let thread = std::thread::Builder::new()
            .name("rss-sampler".into())
            .spawn(move || {
                // Bounded by the stop flag, which `finish` (or Drop) always sets.
                while !s.load(Ordering::Relaxed) {
                    let rss: u64 = pids.iter().map(|p| p.rss_kib()).sum();
                    p.fetch_max(rss, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
            .ok();
        RssSampler {
            start_kib,
            stop,
            peak_kib,
            thread,
        }
    }

    /// The resident set when sampling started, MiB: what the workload found, so that the
    /// report can tell memory the workload added from memory held before it.
    pub fn start_mib(&self) -> f64 {
        self.start_kib as f64 / 1024.0
    }

    /// Stops sampling and returns the peak in MiB.
    pub fn finish(mut self) -> f64 {
        self.halt();
        self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kib_fields_parse_by_name() {
        let path = std::env::temp_dir().join(format!("loadgen-kib-{}", std::process::id()));
        std::fs::write(&path, "MemFree:  12 kB\nDirty:      345 kB\nVmRSS:\t678 kB\n").unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(kib_field(path, "Dirty:"), 345);
        assert_eq!(kib_field(path, "VmRSS:"), 678);
        assert_eq!(kib_field(path, "Writeback:"), 0, "a missing line reads as 0");
        std::fs::remove_file(path).unwrap();
        assert_eq!(kib_field(path, "Dirty:"), 0, "a missing file reads as 0");
    }

    #[test]
    fn reads_this_process() {
        assert!(Pid::Myself.rss_kib() > 0);
        // The test harness runs this test on a thread of its own, and stdin/out/err are open.
        assert!(Pid::Myself.threads() >= 2);
        assert!(Pid::Myself.fds() >= 3);
        assert_eq!(Pid::Other(u32::MAX).threads() + Pid::Other(u32::MAX).fds(), 0);
        // Spin until the kernel has charged this process some CPU time (its clock ticks are
        // coarse, and a loaded machine may give this thread little of the wall time), with a
        // generous cap so a broken reader fails instead of hanging.
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while Pid::Myself.cpu_s() <= 0.0 && spin.elapsed() < Duration::from_secs(60) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        // (`x` stays 0 when the process had CPU time before the first check: no spin needed.)
        std::hint::black_box(x);
        assert!(
            Pid::Myself.cpu_s() > 0.0,
            "no CPU time after {:?}",
            spin.elapsed()
        );
        assert!((Pid::Other(u32::MAX).cpu_s() - 0.0).abs() < f64::EPSILON);
        let s = RssSampler::start(vec![Pid::Myself]);
        std::thread::sleep(Duration::from_millis(80));
        let start = s.start_mib();
        assert!(start > 0.0 && s.finish() >= start);
    }
}
