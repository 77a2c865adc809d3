//! Intents of new blobs ([`metadata::Intent`]): the record that closes the window between a
//! blob's rename to its final name and the registry commit that references it.
//!
//! A writer records its blob's intent when it starts, and the intent is durable before the
//! rename ([`IntentLog::begin`] starts a flush beside the writes; [`PendingIntent::wait`] waits
//! for it). The commit removes the intent in its own transaction; a write that fails removes it
//! with its file. A process killed between rename and commit leaves an intent naming it (the
//! store's [`super::scan::TempOwner`]), so the next process of the same node deletes the blob at
//! start (the sweeper's intent pass), and any gateway does after [`INTENT_MAX_AGE`].
//!
//! Owns the flusher thread that makes intents durable, one per store, which groups the flushes
//! of concurrent writers (sled's group commit; a no-op on PostgreSQL, where the insert is durable).
//! It must not delete files (the sweeper does) and must not be called on the async executor.

use std::io;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metadata::{BlobRef, Intent, Registry};

/// An intent whose writer has been gone this long is garbage whoever wrote it (a gateway that
/// never came back); a single PUT or part never takes this long.
pub const INTENT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Intents kept for [`IntentLog::retry_ends`] at most; past it, the 24-hour rule gets the rest.
const UNENDED_MAX: usize = 10_000;

/// A writer's request to the flusher: where to answer.
type FlushWaiter = mpsc::SyncSender<Result<(), String>>;

/// The registry side of a store's new blobs; cheap to clone.
#[derive(Clone)]
pub struct IntentLog {
    registry: Registry,
    flusher: Arc<mpsc::Sender<FlushWaiter>>,
    /// Intents of failed writes whose removal failed (the registry did not answer), or whose
    /// recording had an unknown outcome (a commit cut off by a failover can be durable on the
    /// promoted standby): ended by the sweeper once the registry answers ([`IntentLog::retry_ends`]).
    unended: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for IntentLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntentLog").finish_non_exhaustive()
    }
}

impl IntentLog {
    /// An intent log in `registry`, with its flusher thread (which ends with the last clone).
    pub fn new(registry: Registry) -> io::Result<IntentLog> {
        let (tx, rx) = mpsc::channel::<FlushWaiter>();
        let reg = registry.clone();
        thread::Builder::new()
            .name("intent-flush".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    // Every request queued by now is covered by one flush.
                    let waiters: Vec<FlushWaiter> = std::iter::once(first).chain(rx.try_iter()).collect();
                    let res = reg.flush().map_err(|e| e.to_string());
                    for w in waiters {
                        let _ = w.send(res.clone());
                    }
                }
            })?;
        Ok(IntentLog {
            registry,
            flusher: Arc::new(tx),
            unended: Arc::default(),
        })
    }

    /// Records the intent of the blob at `path` on `volume` by `owner` and starts making it
    /// durable. A registry that does not answer fails the write before any byte is stored.
    pub fn begin(&self, path: &str, volume: &str, owner: String) -> io::Result<PendingIntent> {
        let since_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let intent = Intent {
            blob: BlobRef {
                path: path.to_owned(),
                size: 0,
                volume: volume.to_owned(),
            },
            owner,
            since_ms,
        };
        if let Err(e) = self.registry.intent_begin(&intent) {
            // No file has the name yet, so ending the intent later is always right.
            self.unended_push(path.to_owned());
            return Err(io::Error::other(e));
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.flusher
            .send(tx)
            .map_err(|_| io::Error::other("the intent flusher stopped"))?;
        Ok(PendingIntent { durable: Some(rx) })
    }

    /// Removes the intent of the blob at `path` (its file is gone, or never got the name). Best
    /// effort: an intent left behind is reclaimed later, and deleting a missing file is fine.
    pub fn end(&self, path: &str) {
        if let Err(e) = self.registry.intent_end(path) {
            tracing::debug!(%path, error = %e, "ending a blob intent: retried by the sweeper");
            self.unended_push(path.to_owned());
        }
    }

    fn unended_push(&self, path: String) {
        let mut g = self.unended.lock().unwrap_or_else(PoisonError::into_inner);
        if g.len() < UNENDED_MAX {
            g.push(path);
        }
    }

    /// Ends the intents whose end failed earlier; those that fail again wait for the next call.
    /// Returns how many ended. Blocking (the sweeper's pass).
    pub fn retry_ends(&self) -> usize {
        let paths = std::mem::take(&mut *self.unended.lock().unwrap_or_else(PoisonError::into_inner));
        let mut ended = 0;
        for path in paths {
            match self.registry.intent_end(&path) {
                Ok(()) => ended += 1,
                Err(_) => self.unended_push(path),
            }
        }
        ended
    }

    /// Whether intents wait for [`IntentLog::retry_ends`].
    pub fn has_unended(&self) -> bool {
        !self
            .unended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

/// An intent on its way to being durable.
#[derive(Debug)]
pub struct PendingIntent {
    durable: Option<mpsc::Receiver<Result<(), String>>>,
}

impl PendingIntent {
    /// Waits until the intent is durable (the flush it asked for has completed).
    pub fn wait(&mut self) -> io::Result<()> {
        let Some(rx) = self.durable.take() else {
            return Ok(());
        };
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(io::Error::other(format!("making a blob intent durable: {e}"))),
            Err(_) => Err(io::Error::other("the intent flusher stopped")),
        }
    }
}
