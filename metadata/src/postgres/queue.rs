//! The GC queue, the inventory of referenced blobs and the event history, in SQL.
//!
//! Owns the statements on `gc`, `intents` and `events`. A sweeper claims queue entries with `UPDATE ...
//! WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)` setting a lease (`claimed_until`, on the
//! server's clock, so gateways' clocks do not matter): two sweepers never get one entry while its
//! lease runs, and an entry whose claimer died is handed out again when the lease ends. It must
//! not delete files. Event ids come from a sequence: they grow in the order ids were drawn, which
//! across concurrent appenders may differ slightly from commit order.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::namespace::queue_blobs;
use super::{exec, get, id_of, row, rows, sql_id, sql_limit, transaction, with_client, PgBackend, Shared};
use crate::codec::{decode, encode};
use crate::{BlobRef, EventEntry, Intent, ObjectRecord, PartRecord, Result};

/// Rows fetched per round trip by [`Referenced`].
const PAGE: i64 = 1000;

/// Decodes `(id, value)` queue rows.
fn entries(found: &[tokio_postgres::Row]) -> Result<Vec<(u64, BlobRef)>> {
    let mut out = found
        .iter()
        .map(|r| Ok((id_of(get(r, 0)?)?, decode("gc entry", get::<&[u8]>(r, 1)?)?)))
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

impl PgBackend {
    /// See `Registry::gc_pending`.
    pub(super) fn queue_head(&self, max: usize) -> Result<Vec<(u64, BlobRef)>> {
        let found = with_client!(self, |c| {
            rows(
                &c,
                "SELECT id, value FROM gc ORDER BY id LIMIT $1",
                &[&sql_limit(max)],
            )
            .await
        })?;
        entries(&found)
    }

    /// See `Registry::gc_claim`.
    pub(super) fn queue_claim(&self, max: usize, lease: Duration) -> Result<Vec<(u64, BlobRef)>> {
        let secs = lease.as_secs_f64();
        let found = with_client!(self, |c| {
            rows(
                &c,
                "UPDATE gc SET claimed_until = now() + $2::float8 * interval '1 second' \
                 WHERE id IN (SELECT id FROM gc WHERE claimed_until IS NULL OR claimed_until <= now() \
                              ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, value",
                &[&sql_limit(max), &secs],
            )
            .await
        })?;
        entries(&found)
    }

    /// See `Registry::gc_queue_len`.
    pub(super) fn queue_len(&self) -> Result<usize> {
        let n: i64 = with_client!(self, |c| {
            match row(&c, "SELECT count(*) FROM gc", &[]).await? {
                Some(r) => get(&r, 0),
                None => Ok(0),
            }
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// See `Registry::gc_done`.
    pub(super) fn queue_done(&self, ids: &[u64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = ids.iter().map(|id| sql_id(*id)).collect();
        with_client!(self, |c| {
            exec(&c, "DELETE FROM gc WHERE id = ANY($1)", &[&ids]).await?;
            Ok(())
        })
    }

    /// See `Registry::gc_release`.
    pub(super) fn queue_release(&self, ids: &[u64]) -> Result<()> {
        let ids: Vec<i64> = ids.iter().map(|id| sql_id(*id)).collect();
        with_client!(self, |c| {
            exec(
                &c,
                "UPDATE gc SET claimed_until = NULL WHERE id = ANY($1)",
                &[&ids],
            )
            .await?;
            Ok(())
        })
    }

    /// See `Registry::gc_enqueue`.
    pub(super) fn queue_add(&self, blobs: &[BlobRef]) -> Result<()> {
        transaction!(self, |tx| {
            queue_blobs(&tx, blobs, &std::collections::HashSet::new()).await
        })
    }

    /// See `Registry::intent_begin`.
    pub(super) fn intent_put(&self, intent: &Intent) -> Result<()> {
        let value = encode(intent)?;
        with_client!(self, |c| {
            exec(
                &c,
                "INSERT INTO intents (path, value) VALUES ($1, $2) \
                 ON CONFLICT (path) DO UPDATE SET value = EXCLUDED.value",
                &[&intent.blob.path, &value],
            )
            .await?;
            Ok(())
        })
    }

    /// See `Registry::intent_end`.
    pub(super) fn intent_remove(&self, path: &str) -> Result<()> {
        with_client!(self, |c| {
            exec(&c, "DELETE FROM intents WHERE path = $1", &[&path]).await?;
            Ok(())
        })
    }

    /// See `Registry::intents`.
    pub(super) fn intent_all(&self) -> Result<Vec<Intent>> {
        let found = with_client!(self, |c| {
            rows(&c, "SELECT value FROM intents ORDER BY path", &[]).await
        })?;
        found
            .iter()
            .map(|r| decode("intent", get::<&[u8]>(r, 0)?))
            .collect()
    }

    /// See `Registry::append_event`.
    pub(super) fn event_append(&self, received: u64, body: &[u8]) -> Result<u64> {
        let received = sql_id(received);
        with_client!(self, |c| {
            let r = row(
                &c,
                "INSERT INTO events (id, received, body) VALUES (nextval('event_ids'), $1, $2) RETURNING id",
                &[&received, &body],
            )
            .await?;
            id_of(r.map_or(Ok(0), |r| get(&r, 0))?)
        })
    }

    /// See `Registry::events_since`.
    pub(super) fn events_after(&self, after: u64, limit: usize) -> Result<Vec<EventEntry>> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let found = with_client!(self, |c| {
            rows(
                &c,
                "SELECT id, received, body FROM events WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &sql_limit(limit)],
            )
            .await
        })?;
        found
            .iter()
            .map(|r| {
                Ok(EventEntry {
                    id: id_of(get(r, 0)?)?,
                    received: id_of(get(r, 1)?)?,
                    body: get(r, 2)?,
                })
            })
            .collect()
    }

    /// See `Registry::last_event_id`.
    pub(super) fn event_last(&self) -> Result<u64> {
        with_client!(self, |c| {
            match row(&c, "SELECT id FROM events ORDER BY id DESC LIMIT 1", &[]).await? {
                Some(r) => id_of(get(&r, 0)?),
                None => Ok(0),
            }
        })
    }

    /// See `Registry::trim_events`.
    pub(super) fn events_trim(&self, max_count: usize, max_age: Duration) -> Result<usize> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cutoff = sql_id(now.saturating_sub(max_age.as_secs()));
        let max_count = sql_limit(max_count);
        let dropped = transaction!(self, |tx| {
            let total: i64 = match row(&tx, "SELECT count(*) FROM events", &[]).await? {
                Some(r) => get(&r, 0)?,
                None => 0,
            };
            let excess = (total - max_count).max(0);
            let by_count = exec(
                &tx,
                "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT $1)",
                &[&excess],
            )
            .await?;
            let by_age = exec(&tx, "DELETE FROM events WHERE received < $1", &[&cutoff]).await?;
            Ok(by_count + by_age)
        })?;
        Ok(usize::try_from(dropped).unwrap_or(usize::MAX))
    }
}

/// Which table [`Referenced`] is walking.
enum Phase {
    Objects {
        bucket: i64,
        key: Vec<u8>,
    },
    Versions {
        bucket: i64,
        key: Vec<u8>,
        seq: i64,
        id: String,
    },
    Parts {
        upload: Vec<u8>,
        part: i64,
    },
    Done,
}

/// Every referenced blob, by pages of [`PAGE`] rows walked in key order (objects, versions, then
/// parts).
pub(super) struct Referenced {
    shared: Arc<Shared>,
    phase: Phase,
    pending: VecDeque<BlobRef>,
}

impl Referenced {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Referenced {
            shared,
            phase: Phase::Objects {
                bucket: -1,
                key: Vec::new(),
            },
            pending: VecDeque::new(),
        }
    }

    /// Reads the next page into `pending`, moving to the next phase at the end of a table.
    fn fetch(&mut self) -> Result<()> {
        let shared = &self.shared;
        match &mut self.phase {
            Phase::Objects { bucket, key } => {
                let found = shared.block_on(async {
                    let c = shared.client().await?;
                    rows(
                        &c,
                        "SELECT bucket_id, key, value FROM objects WHERE (bucket_id, key) > ($1, $2) \
                         ORDER BY bucket_id, key LIMIT $3",
                        &[&*bucket, &*key, &PAGE],
                    )
                    .await
                })?;
                for r in &found {
                    let rec: ObjectRecord = decode("object", get::<&[u8]>(r, 2)?)?;
                    self.pending.extend(rec.blobs);
                }
                match found.last() {
                    Some(last) if found.len() == PAGE as usize => {
                        *bucket = get(last, 0)?;
                        *key = get(last, 1)?;
                    }
                    _ => {
                        self.phase = Phase::Versions {
                            bucket: -1,
                            key: Vec::new(),
                            seq: -1,
                            id: String::new(),
                        };
                    }
                }
            }
            Phase::Versions { bucket, key, seq, id } => {
                let found = shared.block_on(async {
                    let c = shared.client().await?;
                    rows(
                        &c,
                        "SELECT bucket_id, key, seq, version_id, value FROM versions \
                         WHERE (bucket_id, key, seq, version_id) > ($1, $2, $3, $4) \
                         ORDER BY bucket_id, key, seq, version_id LIMIT $5",
                        &[&*bucket, &*key, &*seq, &*id, &PAGE],
                    )
                    .await
                })?;
                for r in &found {
                    let rec: ObjectRecord = decode("version", get::<&[u8]>(r, 4)?)?;
                    self.pending.extend(rec.blobs);
                }
                match found.last() {
                    Some(last) if found.len() == PAGE as usize => {
                        *bucket = get(last, 0)?;
                        *key = get(last, 1)?;
                        *seq = get(last, 2)?;
                        *id = get(last, 3)?;
                    }
                    _ => {
                        self.phase = Phase::Parts {
                            upload: Vec::new(),
                            part: -1,
                        };
                    }
                }
            }
            Phase::Parts { upload, part } => {
                let found = shared.block_on(async {
                    let c = shared.client().await?;
                    rows(
                        &c,
                        "SELECT upload_id, part, value FROM parts WHERE (upload_id, part) > ($1, $2) \
                         ORDER BY upload_id, part LIMIT $3",
                        &[&*upload, &*part, &PAGE],
                    )
                    .await
                })?;
                for r in &found {
                    let p: PartRecord = decode("part", get::<&[u8]>(r, 2)?)?;
                    self.pending.push_back(p.blob);
                }
                match found.last() {
                    Some(last) if found.len() == PAGE as usize => {
                        *upload = get(last, 0)?;
                        *part = get(last, 1)?;
                    }
                    _ => self.phase = Phase::Done,
                }
            }
            Phase::Done => {}
        }
        Ok(())
    }
}

impl Iterator for Referenced {
    type Item = Result<BlobRef>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(blob) = self.pending.pop_front() {
                return Some(Ok(blob));
            }
            if matches!(self.phase, Phase::Done) {
                return None;
            }
            if let Err(e) = self.fetch() {
                self.phase = Phase::Done;
                return Some(Err(e));
            }
        }
    }
}
