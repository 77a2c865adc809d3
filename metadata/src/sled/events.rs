//! The event history: Gluster and gateway events kept for replay (`GET /admin/v1/events`, a
//! stream resumed with `Last-Event-ID`).
//!
//! Owns the `events` tree: id (u64 BE, from sled's monotonic id generator plus one, so ids only
//! grow, across restarts and after trims too) -> the time the event was received and its body.
//! The body is opaque bytes here (the gateway stores JSON): this module must not parse it, and
//! must not know about webhooks or streams. Bounded by [`SledBackend::trim_events`], which the
//! gateway calls; nothing here trims by itself. Not part of `export`/`import`: history is not
//! the namespace.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::SledBackend;
use crate::codec::{decode, encode, read_u64};
use crate::error::StorageExt;
use crate::{EventEntry, Result};

/// The stored value (the id is the key).
#[derive(Serialize, Deserialize)]
struct Stored {
    received: u64,
    body: Vec<u8>,
}

impl SledBackend {
    /// Appends an event received at `received` (Unix seconds) and returns its id (> 0).
    pub fn append_event(&self, received: u64, body: &[u8]) -> Result<u64> {
        let id = self.db.generate_id().storage()? + 1;
        let value = encode(&Stored {
            received,
            body: body.to_vec(),
        })?;
        self.events.insert(id.to_be_bytes(), value).storage()?;
        Ok(id)
    }

    /// Up to `limit` events with an id greater than `after`, oldest first (`after` 0: from the
    /// oldest kept).
    pub fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventEntry>> {
        let Some(start) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in self.events.range(start.to_be_bytes()..).take(limit) {
            let (k, v) = item.storage()?;
            let s: Stored = decode("event", &v)?;
            out.push(EventEntry {
                id: read_u64("event id", &k)?,
                received: s.received,
                body: s.body,
            });
        }
        Ok(out)
    }

    /// The id of the newest kept event (0 if none).
    pub fn last_event_id(&self) -> Result<u64> {
        match self.events.last().storage()? {
            Some((k, _)) => read_u64("event id", &k),
            None => Ok(0),
        }
    }

    /// Drops the oldest events beyond `max_count`, and every event received more than `max_age`
    /// ago. Returns how many were dropped.
    pub fn trim_events(&self, max_count: usize, max_age: Duration) -> Result<usize> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cutoff = now.saturating_sub(max_age.as_secs());
        let tree = &self.events;
        let mut excess = tree.len().saturating_sub(max_count);
        let mut dropped = 0;
        loop {
            let Some((k, v)) = tree.first().storage()? else {
                break;
            };
            if excess == 0 {
                let s: Stored = decode("event", &v)?;
                // Ids grow with receive time (one clock, one appender), so the first young
                // event ends the scan.
                if s.received >= cutoff {
                    break;
                }
            }
            tree.remove(&k).storage()?;
            excess = excess.saturating_sub(1);
            dropped += 1;
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn events_come_back_in_append_order_after_an_id() {
        let r = SledBackend::temporary().unwrap();
        let ids: Vec<u64> = (0..5)
            .map(|i| r.append_event(now(), format!("e{i}").as_bytes()).unwrap())
            .collect();
        assert!(ids[0] > 0);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        let all = r.events_since(0, 100).unwrap();
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
        assert_eq!(all[3].body, b"e3");
        let tail = r.events_since(ids[1], 2).unwrap();
        assert_eq!(tail.iter().map(|e| e.id).collect::<Vec<_>>(), &ids[2..4]);
        assert!(r.events_since(ids[4], 10).unwrap().is_empty());
        assert!(r.events_since(u64::MAX, 10).unwrap().is_empty());
        assert_eq!(r.last_event_id().unwrap(), ids[4]);
    }

    #[test]
    fn trim_keeps_the_newest_max_count() {
        let r = SledBackend::temporary().unwrap();
        let ids: Vec<u64> = (0..10).map(|_| r.append_event(now(), b"x").unwrap()).collect();
        assert_eq!(r.trim_events(4, Duration::from_secs(3600)).unwrap(), 6);
        let kept: Vec<u64> = r.events_since(0, 100).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(kept, &ids[6..]);
        assert_eq!(r.trim_events(4, Duration::from_secs(3600)).unwrap(), 0);
    }

    #[test]
    fn trim_drops_events_older_than_max_age() {
        let r = SledBackend::temporary().unwrap();
        let old = now() - 7200;
        r.append_event(old, b"old1").unwrap();
        r.append_event(old + 1, b"old2").unwrap();
        let young = r.append_event(now(), b"young").unwrap();
        assert_eq!(r.trim_events(100, Duration::from_secs(3600)).unwrap(), 2);
        let kept = r.events_since(0, 100).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, young);
    }

    #[test]
    fn ids_keep_growing_after_the_history_is_emptied() {
        let r = SledBackend::temporary().unwrap();
        let first = r.append_event(now() - 7200, b"a").unwrap();
        r.trim_events(100, Duration::from_secs(60)).unwrap();
        assert_eq!(r.last_event_id().unwrap(), 0);
        let next = r.append_event(now(), b"b").unwrap();
        assert!(next > first);
    }
}
