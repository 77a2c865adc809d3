//! What a workload is, and what each worker does next: [`Workload`], [`Plan`], [`Planner`],
//! and the phase clock shared by the S3 and the raw runners.
//!
//! Owns the key naming (`<tag>-w<worker>-<seq>` for new objects, `k<7 digits>` in listing
//! buckets), the choice of the next key (uniform over the pool for reads, a disjoint slice per
//! worker for deletes) and the stop rule: a worker issues operations until the duration is up
//! *and* it has finished at least one (so 32 uploads of 64 MiB are measured even when one round
//! outlasts the duration), or until a hard cap. Must not perform operations itself.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Hard cap on a measured phase beyond its nominal duration: every worker loop is bounded.
pub const OVERRUN_CAP: Duration = Duration::from_secs(600);

/// Keys per listing page.
pub const PAGE: usize = 1000;

/// Pages a listing worker reads from one random starting point before jumping elsewhere.
pub const PAGES_PER_WALK: u64 = 3;

/// An operation kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Upload a new object.
    Put,
    /// Download a whole object.
    Get,
    /// Download a byte range.
    Range,
    /// Object metadata only.
    Head,
    /// Delete an object.
    Delete,
    /// One page of 1,000 keys.
    List,
}

impl Op {
    /// The lower-case name used in the CSV.
    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::Get => "get",
            Op::Range => "range",
            Op::Head => "head",
            Op::Delete => "delete",
            Op::List => "list",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Op, String> {
        Ok(match s {
            "put" => Op::Put,
            "get" => Op::Get,
            "range" => Op::Range,
            "head" => Op::Head,
            "delete" => Op::Delete,
            "list" => Op::List,
            _ => {
                return Err(format!(
                    "unknown operation {s:?} (put|get|range|head|delete|list)"
                ))
            }
        })
    }
}

/// One workload: an operation at a size and concurrency, for a duration after a warm-up.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The operation.
    pub op: Op,
    /// Object size (for `List`: keys in the listed bucket).
    pub size: u64,
    /// Concurrent workers.
    pub conc: usize,
    /// Nominal measured duration.
    pub duration: Duration,
    /// Unmeasured warm-up before it (connections opened, caches warm).
    pub warmup: Duration,
    /// Prefix of the keys a `Put` creates (unique per workload).
    pub tag: String,
    /// Bytes per `Range` request.
    pub range_len: u64,
    /// Where a `List` reads: bucket name (S3) or directory (raw).
    pub list_from: String,
}

/// The next thing a worker does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Upload this new key.
    Put(String),
    /// Download this key.
    Get(String),
    /// Download bytes `[first, last]` of this key.
    Range(String, u64, u64),
    /// Metadata of this key.
    Head(String),
    /// Delete this key.
    Delete(String),
    /// The next listing page (the worker keeps the cursor).
    List,
}

/// Chooses each worker's operations.
pub struct Planner {
    w: Workload,
    worker: usize,
    seq: u64,
    next_delete: usize,
    pool: Arc<Vec<String>>,
    rng: StdRng,
}

impl Planner {
    /// A planner for worker `worker` of `w`, reading from `pool` (existing keys).
    pub fn new(w: &Workload, worker: usize, pool: Arc<Vec<String>>) -> Planner {
        Planner {
            w: w.clone(),
            worker,
            seq: 0,
            next_delete: 0,
            pool,
            rng: StdRng::seed_from_u64(0x5eed ^ (worker as u64) << 8 ^ w.size),
        }
    }

    /// The next operation, or `None` when this worker has nothing left (deletes ran out, or a
    /// read workload has no keys).
    pub fn next(&mut self) -> Option<Plan> {
        let w = &self.w;
        match w.op {
            Op::Put => {
                let key = format!("{}-w{:02}-{:06}", w.tag, self.worker, self.seq);
                self.seq += 1;
                Some(Plan::Put(key))
            }
            Op::Get | Op::Head | Op::Range => {
                if self.pool.is_empty() {
                    return None;
                }
                let key = self.pool[self.rng.random_range(0..self.pool.len())].clone();
                Some(match w.op {
                    Op::Get => Plan::Get(key),
                    Op::Head => Plan::Head(key),
                    _ => {
                        let len = w.range_len.clamp(1, w.size.max(1));
                        let slots = (w.size / len).max(1);
                        let first = self.rng.random_range(0..slots) * len;
                        Plan::Range(key, first, first + len - 1)
                    }
                })
            }
            Op::Delete => {
                let i = self.worker + self.next_delete * w.conc;
                self.next_delete += 1;
                self.pool.get(i).cloned().map(Plan::Delete)
            }
            Op::List => Some(Plan::List),
        }
    }

    /// A random starting key for a listing walk in a bucket of `keys` keys named
    /// `k0000000`...: the walk's pages are all full.
    pub fn list_start(rng: &mut StdRng, keys: u64) -> String {
        let span = keys.saturating_sub(PAGE as u64 * PAGES_PER_WALK).max(1);
        format!("k{:07}", rng.random_range(0..span))
    }
}

/// The name of key `i` of a listing bucket.
pub fn list_key(i: u64) -> String {
    format!("k{i:07}")
}

/// Bytes `[first, last]` (inclusive) of a range plan: its length.
pub fn range_len(first: u64, last: u64) -> u64 {
    last - first + 1
}

/// When a worker stops issuing operations in the measured phase.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Nominal end.
    pub deadline: Instant,
    /// Hard end, whatever happened.
    pub cap: Instant,
}

impl Clock {
    /// A clock starting now for `duration`.
    pub fn start(t0: Instant, duration: Duration) -> Clock {
        Clock {
            deadline: t0 + duration,
            cap: t0 + duration + OVERRUN_CAP,
        }
    }

    /// Whether a worker that has finished `done` operations may start another.
    pub fn go_on(&self, done: u64) -> bool {
        let now = Instant::now();
        now < self.cap && (now < self.deadline || done == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wl(op: Op, conc: usize) -> Workload {
        Workload {
            op,
            size: 64 << 20,
            conc,
            duration: Duration::from_secs(1),
            warmup: Duration::ZERO,
            tag: "t".into(),
            range_len: 1 << 20,
            list_from: String::new(),
        }
    }

    #[test]
    fn deletes_split_the_pool_without_overlap() {
        let pool: Arc<Vec<String>> = Arc::new((0..10).map(|i| format!("k{i}")).collect());
        let w = wl(Op::Delete, 3);
        let mut seen = Vec::new();
        for worker in 0..3 {
            let mut p = Planner::new(&w, worker, pool.clone());
            while let Some(Plan::Delete(k)) = p.next() {
                seen.push(k);
            }
        }
        seen.sort();
        let mut all: Vec<String> = pool.to_vec();
        all.sort();
        assert_eq!(seen, all);
    }

    #[test]
    fn ranges_stay_inside_the_object() {
        let pool = Arc::new(vec!["a".to_owned()]);
        let mut p = Planner::new(&wl(Op::Range, 1), 0, pool);
        for _ in 0..100 {
            let Some(Plan::Range(_, first, last)) = p.next() else {
                panic!()
            };
            assert_eq!(range_len(first, last), 1 << 20);
            assert!(last < 64 << 20 && first % (1 << 20) == 0);
        }
    }

    #[test]
    fn put_keys_are_unique_and_list_walks_are_full() {
        let mut p = Planner::new(&wl(Op::Put, 2), 1, Arc::new(Vec::new()));
        assert_eq!(p.next(), Some(Plan::Put("t-w01-000000".into())));
        assert_eq!(p.next(), Some(Plan::Put("t-w01-000001".into())));
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            let k = Planner::list_start(&mut rng, 10_000);
            assert!(k.as_str() < "k0007000" && k.len() == 8);
        }
        assert_eq!(list_key(42), "k0000042");
    }

    #[test]
    fn clock_insists_on_one_operation() {
        let past = Instant::now().checked_sub(Duration::from_secs(5)).unwrap();
        let c = Clock::start(past, Duration::from_secs(1));
        assert!(c.go_on(0));
        assert!(!c.go_on(1));
    }
}
