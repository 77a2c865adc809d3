//! Pre-created temp files, so that a write does not wait for the create round trip.
//!
//! Creating a file on a replica-3 volume is an entry transaction on three bricks (lock the
//! parent, create on each brick, unlock): 3.5-5 ms measured here, a third of a whole 1 MiB PUT
//! at concurrency 1, and all of it before the first byte can be written. Filler threads create
//! temp files (`.tmp.<id>` in the blob's final fan-out directory, exactly what
//! [`super::BlobStore::writer`] would create) ahead of demand, per bucket, and a writer takes
//! an open one.
//!
//! Owns the pooled files from their create until they are handed over or unlinked; it must not
//! write to or rename them (that is [`super::BlobWriter`]'s job), and it keeps nothing a client
//! wrote. A bucket's pool starts one deep when a writer first asks, doubles (up to the configured
//! depth) whenever a writer finds it empty, and is emptied after [`IDLE`] without a writer. A
//! pooled file older than [`MAX_AGE`] is unlinked rather than handed over, so the sweeper (which
//! removes temp files not written to for `sweeper::TEMP_MAX_AGE`, an hour) never meets a live
//! pooled file. When the pool stops (explicitly, or when the last store clone is dropped) its
//! files are unlinked; a killed gateway leaves them as ordinary stale temp files for the sweep.
//! Every call blocks: async callers go through `crate::blocking`.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gfapi::{File, Volume};

/// A pooled file older than this is unlinked, never handed over.
pub const MAX_AGE: Duration = Duration::from_secs(600);
/// A bucket's pool is emptied after this long without a writer.
pub const IDLE: Duration = Duration::from_secs(60);
/// How long a bucket gets no new files after a failed create (a missing fan-out directory, a
/// full volume): the writer's own create reports the error to the client.
const BACKOFF: Duration = Duration::from_secs(5);
/// Filler threads: creates are round trips, not CPU, so two hide one slow create.
const FILLERS: usize = 2;

/// An open, empty temp file and the names that go with it.
pub struct Pooled {
    /// The open file (created with `O_EXCL`, nothing written).
    pub file: File,
    /// Its temp name.
    pub tmp: PathBuf,
    /// The final name it is renamed to when finished.
    pub path: PathBuf,
    created: Instant,
}

/// Names of a new blob of a bucket: (temp name, final name). The fan-out directory is the
/// first two hex digits of the random blob id.
pub fn new_names(root: &str, bucket_id: u64) -> (PathBuf, PathBuf) {
    let id = hex::encode(rand::random::<[u8; 16]>());
    let dir = PathBuf::from(format!("{root}/blobs/{bucket_id:016x}/{}", &id[..2]));
    (dir.join(format!(".tmp.{id}")), dir.join(&id))
}

struct Bucket {
    ready: VecDeque<Pooled>,
    creating: usize,
    depth: usize,
    last_take: Instant,
    backoff_until: Option<Instant>,
}

impl Bucket {
    fn wants_more(&self, now: Instant) -> bool {
        self.ready.len() + self.creating < self.depth && self.backoff_until.is_none_or(|t| now >= t)
    }
}

#[derive(Default)]
struct State {
    buckets: HashMap<u64, Bucket>,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    vol: Volume,
    root: String,
    max_depth: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only counters and queues behind: keep going.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a filler does next, decided under the lock and done outside it.
enum Job {
    Create(u64),
    Unlink(Vec<Pooled>),
    Exit,
}

/// The pools of all buckets, and their filler threads.
pub struct TempPool {
    shared: Arc<Shared>,
    fillers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for TempPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempPool")
            .field("max_depth", &self.shared.max_depth)
            .finish_non_exhaustive()
    }
}

impl TempPool {
    /// Starts the filler threads. `max_depth` is the most files pooled per bucket (at least 1).
    pub fn start(vol: Volume, root: &str, max_depth: usize) -> io::Result<TempPool> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            vol,
            root: root.to_owned(),
            max_depth: max_depth.max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        });
        let pool = TempPool {
            shared: shared.clone(),
            fillers: Mutex::new(Vec::new()),
        };
        for i in 0..FILLERS {
            let shared = shared.clone();
            let handle = thread::Builder::new()
                .name(format!("temp-pool-{i}"))
                .spawn(move || fill(&shared))?;
            pool.fillers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(handle);
        }
        Ok(pool)
    }

    /// A pooled temp file of `bucket_id`, if one is ready. Either way the bucket's pool is
    /// topped up in the background, and deepened if it was empty.
    pub fn take(&self, bucket_id: u64) -> Option<Pooled> {
        let now = Instant::now();
        let mut st = self.shared.lock();
        if st.stop {
            return None;
        }
        let b = st.buckets.entry(bucket_id).or_insert_with(|| Bucket {
            ready: VecDeque::new(),
            creating: 0,
            depth: 1,
            last_take: now,
            backoff_until: None,
        });
        b.last_take = now;
        // Oldest first; stale ones stay for a filler to unlink.
        let fresh = b
            .ready
            .iter()
            .position(|p| now.duration_since(p.created) < MAX_AGE);
        let got = fresh.and_then(|i| b.ready.remove(i));
        if got.is_none() {
            b.depth = (b.depth * 2).min(self.shared.max_depth);
        }
        drop(st);
        self.shared.wake.notify_all();
        let counter = if got.is_some() {
            &self.shared.hits
        } else {
            &self.shared.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        got
    }

    /// Unlinks the pooled files of a bucket and forgets it (before its directories are removed).
    /// A file a filler is creating right now is unlinked by that filler.
    pub fn discard(&self, bucket_id: u64) {
        let gone = self.shared.lock().buckets.remove(&bucket_id);
        if let Some(b) = gone {
            unlink_all(&self.shared.vol, b.ready);
        }
    }

    /// Writers served from the pool and writers that created their own file, since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.shared.hits.load(Ordering::Relaxed),
            self.shared.misses.load(Ordering::Relaxed),
        )
    }

    /// Stops the fillers and unlinks every pooled file. Idempotent.
    pub fn stop(&self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        let fillers = std::mem::take(
            &mut *self
                .fillers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for f in fillers {
            let _ = f.join();
        }
        let buckets = std::mem::take(&mut self.shared.lock().buckets);
        for b in buckets.into_values() {
            unlink_all(&self.shared.vol, b.ready);
        }
    }
}

impl Drop for TempPool {
    fn drop(&mut self) {
        self.stop();
    }
}

fn unlink_all(vol: &Volume, files: impl IntoIterator<Item = Pooled>) {
    for p in files {
        drop(p.file);
        if let Err(e) = vol.unlink(&p.tmp) {
            tracing::debug!(path = %p.tmp.display(), error = %e, "unlinking a pooled temp file");
        }
    }
}

/// A filler thread: creates files where a pool is below its depth, unlinks stale and idle
/// ones, sleeps otherwise.
fn fill(shared: &Shared) {
    loop {
        match next_job(shared) {
            Job::Exit => return,
            Job::Unlink(files) => unlink_all(&shared.vol, files),
            Job::Create(bucket_id) => {
                let (tmp, path) = new_names(&shared.root, bucket_id);
                let created = shared.vol.create_new(&tmp, 0o644);
                let mut st = shared.lock();
                let live = !st.stop;
                let b = st.buckets.get_mut(&bucket_id);
                match (created, b) {
                    (Ok(file), Some(b)) if live => {
                        b.creating -= 1;
                        b.ready.push_back(Pooled {
                            file,
                            tmp,
                            path,
                            created: Instant::now(),
                        });
                    }
                    (Ok(file), b) => {
                        // The bucket was discarded (or the pool stopped) meanwhile.
                        if let Some(b) = b {
                            b.creating -= 1;
                        }
                        drop(st);
                        let p = Pooled {
                            file,
                            tmp,
                            path,
                            created: Instant::now(),
                        };
                        unlink_all(&shared.vol, [p]);
                    }
                    (Err(e), b) => {
                        if let Some(b) = b {
                            b.creating -= 1;
                            b.backoff_until = Some(Instant::now() + BACKOFF);
                        }
                        drop(st);
                        tracing::debug!(bucket = bucket_id, error = %e, "pre-creating a temp file");
                    }
                }
            }
        }
    }
}

fn next_job(shared: &Shared) -> Job {
    let mut st = shared.lock();
    loop {
        if st.stop {
            return Job::Exit;
        }
        let now = Instant::now();
        // Idle buckets go; stale files go.
        let idle: Vec<u64> = st
            .buckets
            .iter()
            .filter(|(_, b)| b.creating == 0 && now.duration_since(b.last_take) >= IDLE)
            .map(|(id, _)| *id)
            .collect();
        let mut doomed = Vec::new();
        for id in idle {
            if let Some(b) = st.buckets.remove(&id) {
                doomed.extend(b.ready);
            }
        }
        for b in st.buckets.values_mut() {
            while b
                .ready
                .front()
                .is_some_and(|p| now.duration_since(p.created) >= MAX_AGE)
            {
                doomed.extend(b.ready.pop_front());
            }
        }
        if !doomed.is_empty() {
            return Job::Unlink(doomed);
        }
        // The emptiest pool that wants a file gets it.
        let pick = st
            .buckets
            .iter()
            .filter(|(_, b)| b.wants_more(now))
            .min_by_key(|(_, b)| b.ready.len() + b.creating)
            .map(|(id, _)| *id);
        if let Some(id) = pick {
            if let Some(b) = st.buckets.get_mut(&id) {
                b.creating += 1;
            }
            return Job::Create(id);
        }
        // Nothing to do: sleep until a writer takes a file, or until the next expiry is due.
        let wait = if st.buckets.is_empty() {
            Duration::from_secs(3600)
        } else {
            Duration::from_secs(5)
        };
        st = shared
            .wake
            .wait_timeout(st, wait)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
}
