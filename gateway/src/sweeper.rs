//! The background garbage sweep: deletes blobs the registry queued when their objects were
//! overwritten or deleted, in batches, off the executor. A blob is queued in the same registry
//! transaction that drops its last reference, so nothing referenced is ever deleted and
//! nothing unreferenced is forgotten. Must not decide what is garbage itself.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::blocking;
use crate::s3::AppState;

/// How often the queue is looked at when idle.
const PERIOD: Duration = Duration::from_secs(2);
/// Blobs deleted per batch.
const BATCH: usize = 256;

/// Controls a running sweeper.
pub struct Handle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Handle {
    /// Stops the sweeper after its current batch.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// One pass: deletes up to [`BATCH`] queued blobs; returns how many were handled.
pub async fn sweep_once(state: &Arc<AppState>) -> usize {
    let reg = state.registry.clone();
    let store = state.store.clone();
    let res = blocking::run(move || -> Result<usize, String> {
        let pending = reg.gc_pending(BATCH).map_err(|e| e.to_string())?;
        let mut done = Vec::with_capacity(pending.len());
        for (id, blob) in &pending {
            match store.delete(&blob.path) {
                Ok(()) => done.push(*id),
                Err(e) => tracing::warn!(path = %blob.path, error = %e, "sweeper: deleting blob"),
            }
        }
        reg.gc_done(&done).map_err(|e| e.to_string())?;
        Ok(done.len())
    })
    .await;
    match res {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "sweeper: registry");
            0
        }
        Err(e) => {
            tracing::warn!(error = %e, "sweeper: task");
            0
        }
    }
}

/// Starts the sweeper.
pub fn start(state: Arc<AppState>) -> Handle {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            while sweep_once(&state).await == BATCH {}
            tokio::select! {
                () = tokio::time::sleep(PERIOD) => {}
                _ = stopped.changed() => break,
            }
        }
    });
    Handle { stop, task }
}
