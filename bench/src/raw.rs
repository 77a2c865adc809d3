//! The ceiling: the same workloads done directly with the `gfapi` crate, N threads on one
//! [`gfapi::Volume`], in the layout and with the write protocol the gateway uses.
//!
//! PUT = `creat(O_EXCL)` of a temp name in the object's fan-out directory -> `pwrite` in 1 MiB
//! pieces -> `fsync` -> `close` -> `rename` to the final name (the gateway also sets one xattr);
//! GET = `open` -> `pread` in 1 MiB pieces -> `close`; range = `open` -> one `pread`; HEAD =
//! `stat`; DELETE = `unlink`; LIST = 1,000 entries of `readdirplus` on a directory of the
//! listing's size. Owns only that mapping and the blocking runner; must not touch anything
//! outside the root directory it is given.

use std::io;
use std::sync::{Arc, Barrier, OnceLock};
use std::time::Instant;

use gfapi::{Dir, Volume};

use crate::stats::WorkerStats;
use crate::work::{range_len, Clock, Plan, Planner, Workload, PAGE};

/// Pieces of this size go to `pwrite`/`pread`, as in the gateway (`IO_CHUNK`).
pub const CHUNK: usize = 1 << 20;

/// A volume and the directory the raw objects live in.
#[derive(Clone, Debug)]
pub struct RawTarget {
    /// The connected volume.
    pub vol: Volume,
    /// Directory of the objects, with 256 fan-out subdirectories (`00`..`ff`).
    pub root: String,
}

/// The fan-out directory of a key: FNV-1a of the key, low byte, in hex.
fn fanout(key: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    format!("{:02x}", h & 0xff)
}

impl RawTarget {
    /// Creates the root and its 256 fan-out directories, one at a time (never racing mkdirs of
    /// one name on a replicate volume).
    pub fn prepare(&self) -> io::Result<()> {
        self.vol.mkdir_all(&self.root, 0o755)?;
        for i in 0..=255u8 {
            match self.vol.mkdir(format!("{}/{i:02x}", self.root), 0o755) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn path(&self, key: &str) -> String {
        format!("{}/{}/{key}", self.root, fanout(key))
    }
}

struct Worker {
    t: RawTarget,
    payload: Arc<Vec<u8>>,
    buf: Vec<u8>,
    size: u64,
    list_dir: String,
    dir: Option<Dir>,
}

fn err(what: &str, key: &str, e: &io::Error) -> String {
    format!("{what} {key}: {e}")
}

impl Worker {
    fn exec(&mut self, plan: &Plan) -> Result<u64, String> {
        match plan {
            Plan::Put(k) => self.put(k).map_err(|e| err("put", k, &e)),
            Plan::Get(k) => {
                let f = self
                    .t
                    .vol
                    .open(self.t.path(k), libc::O_RDONLY)
                    .map_err(|e| err("open", k, &e))?;
                // The size is known (the gateway has it from its record): read exactly that much,
                // so no extra pread discovers the end of file.
                let mut off = 0u64;
                while off < self.size {
                    let want = usize::try_from((self.size - off).min(CHUNK as u64)).unwrap_or(CHUNK);
                    let n = f
                        .read_full_at(&mut self.buf[..want], off)
                        .map_err(|e| err("pread", k, &e))?;
                    off += n as u64;
                    if n < want {
                        break;
                    }
                }
                f.close().map_err(|e| err("close", k, &e))?;
                if off != self.size {
                    return Err(format!("get {k}: {off} bytes, expected {}", self.size));
                }
                Ok(off)
            }
            Plan::Range(k, first, last) => {
                let len = usize::try_from(range_len(*first, *last)).map_err(|e| e.to_string())?;
                if self.buf.len() < len {
                    self.buf.resize(len, 0);
                }
                let f = self
                    .t
                    .vol
                    .open(self.t.path(k), libc::O_RDONLY)
                    .map_err(|e| err("open", k, &e))?;
                let n = f
                    .read_full_at(&mut self.buf[..len], *first)
                    .map_err(|e| err("pread", k, &e))?;
                f.close().map_err(|e| err("close", k, &e))?;
                if n != len {
                    return Err(format!("range {k}: {n} bytes"));
                }
                Ok(n as u64)
            }
            Plan::Head(k) => {
                self.t.vol.stat(self.t.path(k)).map_err(|e| err("stat", k, &e))?;
                Ok(0)
            }
            Plan::Delete(k) => {
                self.t
                    .vol
                    .unlink(self.t.path(k))
                    .map_err(|e| err("unlink", k, &e))?;
                Ok(0)
            }
            Plan::List => self.list_page().map_err(|e| err("readdir", &self.list_dir, &e)),
        }
    }

    fn put(&mut self, key: &str) -> io::Result<u64> {
        let dir = format!("{}/{}", self.t.root, fanout(key));
        let tmp = format!("{dir}/.tmp.{key}");
        let f = self.t.vol.create_new(&tmp, 0o644)?;
        let res = (|| {
            for (i, piece) in self.payload.chunks(CHUNK).enumerate() {
                f.write_all_at(piece, (i * CHUNK) as u64)?;
            }
            f.sync_all()
        })();
        let res = res.and_then(|()| f.close());
        let res = res.and_then(|()| self.t.vol.rename_sibling(&tmp, format!("{dir}/{key}")));
        if res.is_err() {
            let _ = self.t.vol.unlink(&tmp);
        }
        res.map(|()| self.size)
    }

    /// Reads the next 1,000 entries (with their stat) of the listing directory, reopening it at
    /// its end. Returns the number of entries.
    fn list_page(&mut self) -> io::Result<u64> {
        let mut n = 0u64;
        let mut reopened = false;
        while n < PAGE as u64 {
            if self.dir.is_none() {
                if reopened {
                    break; // an empty directory
                }
                self.dir = Some(self.t.vol.read_dir(&self.list_dir)?);
                reopened = true;
            }
            match self.dir.as_mut().and_then(Iterator::next) {
                Some(entry) => {
                    entry?;
                    n += 1;
                }
                None if n == 0 => self.dir = None,
                None => {
                    self.dir = None;
                    break;
                }
            }
        }
        if n != PAGE as u64 {
            return Err(io::Error::other(format!("page of {n} entries, expected {PAGE}")));
        }
        Ok(n)
    }
}

/// Runs workload `w` on `t` with `w.conc` threads; same contract as [`crate::s3::run`].
pub fn run(
    t: &RawTarget,
    w: &Workload,
    pool: &Arc<Vec<String>>,
    snapshot: &Arc<dyn Fn() + Send + Sync>,
) -> (WorkerStats, Vec<String>) {
    let payload = Arc::new(crate::payload(w.size));
    let barrier = Barrier::new(w.conc);
    let start: OnceLock<Instant> = OnceLock::new();
    let warm_end = Instant::now() + w.warmup;
    let mut all = WorkerStats::default();
    let mut created = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..w.conc)
            .map(|i| {
                let mut worker = Worker {
                    t: t.clone(),
                    payload: payload.clone(),
                    buf: vec![0u8; CHUNK],
                    size: w.size,
                    list_dir: w.list_from.clone(),
                    dir: None,
                };
                let mut planner = Planner::new(w, i, pool.clone());
                let (barrier, start, snapshot) = (&barrier, &start, snapshot.clone());
                scope.spawn(move || {
                    let mut created = Vec::new();
                    while Instant::now() < warm_end {
                        let Some(plan) = planner.next() else { break };
                        let ok = worker.exec(&plan).is_ok();
                        if let (Plan::Put(k), true) = (plan, ok) {
                            created.push(k);
                        }
                    }
                    barrier.wait();
                    let t0 = *start.get_or_init(|| {
                        snapshot();
                        Instant::now()
                    });
                    let clock = Clock::start(t0, w.duration);
                    let mut stats = WorkerStats::default();
                    let mut done = 0u64;
                    while clock.go_on(done) {
                        let Some(plan) = planner.next() else { break };
                        let began = Instant::now();
                        let res = worker.exec(&plan);
                        let end = Instant::now();
                        if let (Plan::Put(k), true) = (plan, res.is_ok()) {
                            created.push(k);
                        }
                        stats.record(res, end - began, end - t0);
                        done += 1;
                    }
                    (stats, created)
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok((s, c)) => {
                    all.merge(s);
                    created.extend(c);
                }
                Err(_) => {
                    all.errors += 1;
                    all.first_error
                        .get_or_insert_with(|| "worker panicked".to_owned());
                }
            }
        }
    });
    (all, created)
}

#[cfg(test)]
mod tests {
    use super::fanout;

    #[test]
    fn fanout_is_two_hex_digits_and_spreads() {
        let dirs: std::collections::HashSet<String> = (0..2000).map(|i| fanout(&format!("k{i}"))).collect();
        assert!(dirs.len() > 200);
        assert!(dirs.iter().all(|d| d.len() == 2));
    }
}
