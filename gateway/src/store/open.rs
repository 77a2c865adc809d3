//! Open blob files kept for the next read: a bounded, least-recently-used map from blob path to
//! an open gfapi file.
//!
//! Opening a file on a replica-3 volume and closing it again are round trips to all three
//! bricks (open, then flush and release), against one to one brick for the read itself: for a
//! small GET they are most of the volume's work. Blobs are immutable and their names are never
//! reused (random ids), so an open file can never serve other bytes than the ones the registry
//! points at, and no invalidation is needed for correctness. It is needed for space: an unlinked
//! blob that is still open keeps its bytes on the bricks, so [`super::BlobStore::delete`] drops
//! a path from here once it has unlinked it. A read that opened the blob just before the unlink
//! must not put it back afterwards: every removal advances an epoch, and a file opened before a
//! removal ([`OpenBlobs::epoch`], then [`OpenBlobs::insert`]) serves its own read but is not kept.
//!
//! Owns only the map and its bound; it must not open or unlink anything itself (the store
//! does). Files are shared (`Arc`): positional reads on one gfapi fd from several threads are
//! safe. An evicted file is closed when its last reader lets go, on a blocking thread (the
//! callers are).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use gfapi::File;

/// The map, its bound, and hit/miss counters.
#[derive(Debug)]
pub struct OpenBlobs {
    capacity: usize,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    /// Path -> (file, last use).
    files: HashMap<String, (Arc<File>, u64)>,
    /// Last use -> path, the same entries in use order: the least recently used is the first,
    /// so eviction does not scan the map under the lock on every miss.
    order: BTreeMap<u64, String>,
    clock: u64,
    /// Removals so far.
    epoch: u64,
}

impl OpenBlobs {
    /// A cache of at most `capacity` open files (0: nothing is kept).
    pub fn new(capacity: usize) -> OpenBlobs {
        OpenBlobs {
            capacity,
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map holds no invariant a panic could break half-way.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The open file of `path`, if kept (and marks it used).
    pub fn get(&self, path: &str) -> Option<Arc<File>> {
        if self.capacity == 0 {
            return None;
        }
        let mut g = self.lock();
        g.clock += 1;
        let now = g.clock;
        let found = g
            .files
            .get_mut(path)
            .map(|(f, used)| (f.clone(), std::mem::replace(used, now)));
        let found = found.map(|(f, was)| {
            g.order.remove(&was);
            g.order.insert(now, path.to_owned());
            f
        });
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The removal epoch, to be read before opening a file that will be offered to
    /// [`OpenBlobs::insert`].
    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Keeps `file` as the open file of `path`, unless a removal happened since `epoch` (then
    /// the file may be of a blob deleted meanwhile, and is not kept). Returns the file it
    /// evicted, if any, for the caller to drop outside the lock (closing may be a round trip).
    #[must_use = "drop the evicted file outside the lock"]
    pub fn insert(&self, path: &str, file: Arc<File>, epoch: u64) -> Option<Arc<File>> {
        if self.capacity == 0 {
            return None;
        }
        let mut g = self.lock();
        if g.epoch != epoch {
            return None;
        }
        g.clock += 1;
        let now = g.clock;
        if let Some((_, was)) = g.files.insert(path.to_owned(), (file, now)) {
            // Two reads that both missed: the second one's file replaces the first's.
            g.order.remove(&was);
        }
        g.order.insert(now, path.to_owned());
        if g.files.len() <= self.capacity {
            return None;
        }
        let (_, oldest) = g.order.pop_first()?;
        g.files.remove(&oldest).map(|(f, _)| f)
    }

    /// Forgets `path` and advances the epoch; returns its file, if it was kept, for the caller
    /// to drop.
    #[must_use = "drop the removed file outside the lock"]
    pub fn remove(&self, path: &str) -> Option<Arc<File>> {
        let mut g = self.lock();
        g.epoch += 1;
        let (f, used) = g.files.remove(path)?;
        g.order.remove(&used);
        Some(f)
    }

    /// (files kept now, reads served from the map, reads that had to open), since start.
    pub fn stats(&self) -> (usize, u64, u64) {
        (
            self.lock().files.len(),
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}
