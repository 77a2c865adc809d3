//! Group commit: durable acknowledgements without one fsync per request.
//!
//! Owns the flush gate. sled's background flush runs only every 500 ms, so the gateway calls
//! [`SledBackend::flush`] after a write and before acknowledging it. Concurrent callers share flushes:
//! at most one sled flush runs at a time, and a caller that arrives while one runs waits for it and
//! then for the next one (the running flush may have started before the caller's write). It must
//! not hold the gate's mutex during the flush itself, and must not be called inside a transaction.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::SledBackend;
use crate::{Error, Result};

/// Generation counters behind the gate's mutex.
#[derive(Default)]
struct State {
    /// Generation of the most recently started flush (0: none yet).
    started: u64,
    /// Generation of the most recently finished flush.
    completed: u64,
    /// A flush is running (its generation is `started`).
    running: bool,
    /// Error of the most recently finished flush, if it failed.
    last_error: Option<sled::Error>,
}

/// Mutex + condvar shared by all clones of a registry.
#[derive(Default)]
pub(crate) struct FlushGate {
    state: Mutex<State>,
    done: Condvar,
}

impl FlushGate {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked (see `Running`), so poison is moot.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ensures that a flush which started after this call began has completed, running it here if
    /// none is running, and returns that flush's outcome (or a later one's: a later successful
    /// flush covers this caller's writes too).
    fn flush(&self, flush: impl FnOnce() -> sled::Result<usize>) -> Result<()> {
        let mut state = self.lock();
        // Writes made before this call are covered by any flush that starts from now on; the next
        // flush to start gets generation `started + 1`.
        let target = state.started + 1;
        loop {
            if state.completed >= target {
                return state
                    .last_error
                    .clone()
                    .map_or(Ok(()), |e| Err(Error::Storage(Box::new(e))));
            }
            if !state.running {
                state.started += 1;
                state.running = true;
                let generation = state.started;
                drop(state);
                let running = Running {
                    gate: self,
                    generation,
                    result: None,
                };
                let result = flush().map(|_| ());
                return running.finish(result);
            }
            state = self.done.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Number of sled flushes run through the gate so far.
    fn count(&self) -> u64 {
        self.lock().completed
    }
}

/// Ends a running flush even if the flush panicked, so waiters are never stranded.
struct Running<'a> {
    gate: &'a FlushGate,
    generation: u64,
    result: Option<sled::Result<()>>,
}

impl Running<'_> {
    fn finish(mut self, result: sled::Result<()>) -> Result<()> {
        self.result = Some(result.clone());
        drop(self);
        result.map_err(|e| Error::Storage(Box::new(e)))
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.running = false;
        state.completed = self.generation;
        state.last_error = match self.result.take() {
            Some(Ok(())) => None,
            Some(Err(e)) => Some(e),
            None => Some(sled::Error::ReportableBug("registry flush panicked".to_owned())),
        };
        self.gate.done.notify_all();
    }
}

impl SledBackend {
    /// Makes every write that returned before this call durable (group commit: concurrent callers
    /// share one sled flush; see the module doc). Call it before acknowledging a write.
    pub fn flush(&self) -> Result<()> {
        let db = &self.db;
        self.flush.flush(|| db.flush())
    }

    /// How many storage flushes [`SledBackend::flush`] has run since open (a metric: fewer than the
    /// number of `flush` calls when callers shared them).
    pub fn flush_count(&self) -> u64 {
        self.flush.count()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::Duration;

    use super::*;

    #[test]
    fn flushes_are_shared_and_never_overlap() {
        let gate = Arc::new(FlushGate::default());
        let active = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (gate, active, barrier) = (gate.clone(), active.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    gate.flush(|| {
                        assert_eq!(active.fetch_add(1, Ordering::SeqCst), 0, "two flushes overlapped");
                        thread::sleep(Duration::from_millis(20));
                        active.fetch_sub(1, Ordering::SeqCst);
                        Ok(0)
                    })
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
        let flushes = gate.count();
        assert!((1..=16).contains(&flushes), "{flushes}");
    }

    #[test]
    fn a_failed_flush_is_reported_and_the_next_one_runs() {
        let gate = FlushGate::default();
        let err = gate.flush(|| Err(sled::Error::Unsupported("disk gone".into())));
        assert!(matches!(err, Err(Error::Storage(_))));
        gate.flush(|| Ok(0)).unwrap();
        assert_eq!(gate.count(), 2);
    }

    #[test]
    fn a_panicking_flush_does_not_strand_waiters() {
        let gate = FlushGate::default();
        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gate.flush(|| panic!("boom"))));
        assert!(panicked.is_err());
        gate.flush(|| Ok(0)).unwrap();
        assert_eq!(gate.count(), 2);
    }
}
