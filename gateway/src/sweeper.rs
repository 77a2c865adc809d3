//! The background garbage sweep: deletes blobs the registry queued when their objects were
//! overwritten or deleted, in batches, off the executor. A blob is queued in the same registry
//! transaction that drops its last reference, so nothing referenced is ever deleted and
//! nothing unreferenced is forgotten. Must not decide what is garbage itself.
//!
//! Every pass it retries the removal of temp files that failed writes could not remove
//! (`store::LeftTemps`: the volume was unreachable at that moment).
//!
//! At start and with every stale-temp pass it deletes the blobs of dead writers' intents
//! ([`reclaim_intents`]): renamed to their final name, never committed.
//!
//! It also removes stale temp files (`.tmp.*` not written to for [`TEMP_MAX_AGE`], or written
//! by an earlier process of this gateway node, which is gone) that a crashed or killed gateway
//! left in this gateway's blob root: at start, then at most every [`TEMP_PERIOD`], walking the fan-out directories with the gfapi `Dir` iterator, one bucket
//! directory per blocking call so a stop is not held up by a large store. A temp file is never
//! referenced (the rename to the final name comes before the registry commit), and one that has
//! not been written to for an hour belongs to no live request.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::s3::AppState;
use crate::store::intents::INTENT_MAX_AGE;
use crate::store::scan::FileKind;
use crate::store::BlobStore;
use crate::{background, blocking};

/// How often the queue is looked at when idle.
const PERIOD: Duration = Duration::from_secs(2);
/// Blobs deleted per batch.
const BATCH: usize = 256;
/// Unlinks in flight at once. One at a time kept up with an idle volume (~400/s here) but not
/// with one under 32 concurrent writers, whose garbage then piled up faster than it went (13,800
/// blobs queued after 18 minutes of `make soak`, until the disk was full): an unlink waits its
/// turn at the bricks like any write, so the sweeper needs a share of the volume that grows with
/// the load's.
const DELETERS: usize = 8;
/// How long a claimed batch is this sweeper's alone (other gateways sharing a PostgreSQL
/// registry skip it); a batch whose sweeper died, or whose blob could not be deleted, is handed
/// out again after it.
const CLAIM_LEASE: Duration = Duration::from_secs(300);
/// Least time between two stale-temp passes.
pub const TEMP_PERIOD: Duration = Duration::from_secs(600);
/// A temp file not written to for this long is stale.
pub const TEMP_MAX_AGE: Duration = Duration::from_secs(3600);

/// Unlinks the claimed blobs, [`DELETERS`] at a time, and returns the queue ids of those deleted
/// and of those that failed (an entry of a volume this gateway does not serve is in neither: its
/// claim runs out for a gateway that serves it). Blocking.
fn delete_claimed(
    stores: &crate::store::Stores,
    claimed: &[(u64, metadata::BlobRef)],
) -> (Vec<u64>, Vec<u64>) {
    let one = |(id, blob): &(u64, metadata::BlobRef)| -> Option<(u64, bool)> {
        let Some(store) = stores.get(&blob.volume) else {
            tracing::warn!(path = %blob.path, volume = %blob.volume, "sweeper: volume not served, blob left queued");
            return None;
        };
        match store.delete(&blob.path) {
            Ok(()) => Some((*id, true)),
            Err(e) => {
                tracing::warn!(path = %blob.path, error = %e, "sweeper: deleting blob");
                Some((*id, false))
            }
        }
    };
    let chunk = claimed.len().div_ceil(DELETERS).max(1);
    let outcomes: Vec<(u64, bool)> = std::thread::scope(|s| {
        let workers: Vec<_> = claimed
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().filter_map(one).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let (done, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(|(_, ok)| *ok);
    (
        done.into_iter().map(|(id, _)| id).collect(),
        failed.into_iter().map(|(id, _)| id).collect(),
    )
}

/// One pass: deletes up to [`BATCH`] queued blobs; returns how many were handled.
pub async fn sweep_once(state: &Arc<AppState>) -> usize {
    let reg = state.registry.clone();
    let stores = state.stores.clone();
    let res = blocking::run(move || -> Result<usize, String> {
        let pending = reg.gc_claim(BATCH, CLAIM_LEASE).map_err(|e| e.to_string())?;
        let (done, failed) = delete_claimed(&stores, &pending);
        reg.gc_done(&done).map_err(|e| e.to_string())?;
        reg.gc_release(&failed).map_err(|e| e.to_string())?;
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

/// Deletes the temp files of bucket directory `bucket_id` not written to for `max_age`, and
/// those an earlier process of this gateway node left (killed or crashed: see
/// [`crate::store::scan::TempOwner`]), and returns how many went. Blocking: async callers go
/// through [`blocking`].
pub fn remove_stale_temps(store: &BlobStore, bucket_id: u64, max_age: Duration) -> usize {
    let now = SystemTime::now();
    let owner = store.temp_owner();
    let mut stale = Vec::new();
    for e in store.walk_bucket(bucket_id, &mut |f| {
        let name = f.path.rsplit('/').next().unwrap_or_default();
        if f.kind == FileKind::Temp && (f.age(now) >= max_age || owner.left_by_earlier_boot(name)) {
            stale.push(f.path);
        }
    }) {
        tracing::warn!(path = %e.path, error = %e.error, "sweeper: reading a blob directory");
    }
    let mut removed = 0;
    for path in stale {
        match store.delete(&path) {
            Ok(()) => {
                tracing::info!(%path, "sweeper: removed a stale temp file");
                removed += 1;
            }
            Err(e) => tracing::warn!(%path, error = %e, "sweeper: deleting a temp file"),
        }
    }
    removed
}

/// [`remove_stale_temps`] over every bucket directory of the store, in one blocking call.
pub fn remove_stale_temps_everywhere(store: &BlobStore, max_age: Duration) -> std::io::Result<usize> {
    let dirs = store.bucket_dirs()?;
    Ok(dirs
        .ids
        .into_iter()
        .map(|id| remove_stale_temps(store, id, max_age))
        .sum())
}

/// One stale-temp pass over every volume, one blocking call per bucket directory; ends early
/// on stop.
async fn sweep_temps(state: &Arc<AppState>, stopped: &watch::Receiver<bool>) -> usize {
    let mut removed = 0;
    for store in state.stores.all() {
        if *stopped.borrow() {
            break;
        }
        removed += sweep_volume_temps(store, stopped).await;
    }
    removed
}

/// [`sweep_temps`] on one volume.
async fn sweep_volume_temps(store: &BlobStore, stopped: &watch::Receiver<bool>) -> usize {
    let all = store.clone();
    let store = all.clone();
    let ids = match blocking::run(move || store.bucket_dirs()).await {
        Ok(Ok(d)) => d.ids,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "sweeper: listing bucket directories");
            return 0;
        }
        Err(e) => {
            tracing::warn!(error = %e, "sweeper: task");
            return 0;
        }
    };
    let mut removed = 0;
    for id in ids {
        if *stopped.borrow() {
            break;
        }
        let store = all.clone();
        match blocking::run(move || remove_stale_temps(&store, id, TEMP_MAX_AGE)).await {
            Ok(n) => removed += n,
            Err(e) => tracing::warn!(error = %e, "sweeper: task"),
        }
    }
    removed
}

/// Deletes the blobs of dead writers' intents (`store::intents`) and ends the intents: those of an
/// earlier process of this gateway node (gone: killed or crashed between a blob's rename and its
/// commit) and those older than `max_age` whoever wrote them. An intent of a live writer is never
/// touched (only this process writes with this store's owner). A commit ends its intent in the
/// same transaction, so an intent that is still there means no record references the blob.
/// Returns how many went. Blocking.
pub fn reclaim_intents(stores: &crate::store::Stores, reg: &metadata::Registry, max_age: Duration) -> usize {
    let intents = match reg.intents() {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "sweeper: listing blob intents");
            return 0;
        }
    };
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let max_age_ms = u64::try_from(max_age.as_millis()).unwrap_or(u64::MAX);
    let mut reclaimed = 0;
    for intent in intents {
        let Some(store) = stores.get(&intent.blob.volume) else {
            continue; // another gateway's volume: its sweeper sees it
        };
        let dead = store.temp_owner().is_earlier_boot(&intent.owner)
            || now_ms.saturating_sub(intent.since_ms) >= max_age_ms;
        if !dead {
            continue;
        }
        let path = &intent.blob.path;
        match store
            .delete(path)
            .and_then(|()| reg.intent_end(path).map_err(std::io::Error::other))
        {
            Ok(()) => {
                tracing::info!(%path, owner = %intent.owner, "sweeper: removed the blob of a dead writer's intent");
                reclaimed += 1;
            }
            Err(e) => {
                tracing::warn!(%path, error = %e, "sweeper: removing the blob of a dead writer's intent");
            }
        }
    }
    if reclaimed > 0 {
        if let Err(e) = reg.flush() {
            tracing::warn!(error = %e, "sweeper: flushing the registry");
        }
    }
    reclaimed
}

/// Asks the registry about every blob whose commit had an unknown outcome: one a record
/// references stays (the commit happened), any other is deleted (it did not, or a later write
/// replaced the record and queued the blob); while the registry still does not answer, the
/// blob waits for the next pass. Blocking.
pub fn resolve_uncertain(store: &BlobStore, reg: &metadata::Registry) {
    for u in store.uncertain().take() {
        match reg.get_object(u.bucket, &u.key) {
            Err(_) => store.uncertain().push(u),
            Ok(Some(rec)) if rec.blobs.iter().any(|b| b.path == u.path) => {
                tracing::info!(path = %u.path, "sweeper: the commit of an uncertain blob happened: kept");
            }
            Ok(_) => match store.delete(&u.path) {
                Ok(()) => {
                    store.end_intent(&u.path);
                    tracing::info!(path = %u.path, "sweeper: the commit of an uncertain blob did not happen: deleted");
                }
                Err(e) => {
                    tracing::warn!(path = %u.path, error = %e, "sweeper: deleting an uncertain blob");
                    store.uncertain().push(u);
                }
            },
        }
    }
}

/// Starts the sweeper.
pub fn start(state: Arc<AppState>) -> background::Handle {
    background::spawn(|mut stopped| async move {
        let mut next_temp_pass = Instant::now();
        loop {
            while sweep_once(&state).await == BATCH {}
            for store in state.stores.all().filter(|s| !s.uncertain().is_empty()) {
                // New blobs whose commit had an unknown outcome: kept or deleted by the registry's word.
                let (store, reg) = (store.clone(), state.registry.clone());
                if let Err(e) = blocking::run(move || resolve_uncertain(&store, &reg)).await {
                    tracing::warn!(error = %e, "sweeper: task");
                }
            }
            for log in state
                .stores
                .all()
                .filter_map(|s| s.intent_log())
                .filter(|l| l.has_unended())
            {
                // Intents of failed writes whose end did not reach the registry.
                let log = log.clone();
                if let Err(e) = blocking::run(move || log.retry_ends()).await {
                    tracing::warn!(error = %e, "sweeper: task");
                }
            }
            for store in state.stores.all().filter(|s| !s.left_temps().is_empty()) {
                // Temp files of writes that failed while the volume was unreachable.
                let store = store.clone();
                if let Err(e) = blocking::run(move || store.remove_left_temps()).await {
                    tracing::warn!(error = %e, "sweeper: task");
                }
            }
            if Instant::now() >= next_temp_pass {
                let (stores, reg) = (state.stores.clone(), state.registry.clone());
                if let Err(e) = blocking::run(move || reclaim_intents(&stores, &reg, INTENT_MAX_AGE)).await {
                    tracing::warn!(error = %e, "sweeper: task");
                }
                sweep_temps(&state, &stopped).await;
                next_temp_pass = Instant::now() + TEMP_PERIOD;
            }
            tokio::select! {
                () = tokio::time::sleep(PERIOD) => {}
                _ = stopped.changed() => break,
            }
        }
    })
}
