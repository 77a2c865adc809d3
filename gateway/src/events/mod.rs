//! Events: what Gluster's glustereventsd posts to our webhook and what the gateway itself does
//! to buckets and objects, kept in a bounded history and fanned out live.
//!
//! Owns the [`Event`] shape, the hub [`Events`] (a bounded queue in front of one persisting task,
//! then a tokio broadcast), the [`Filter`] of a stream and the admin routes under
//! `/admin/v1/events` ([`configure`]): the webhook receiver (`webhook`), the history, SSE and
//! websocket streams (`stream`). An event is broadcast only after it is in the history, so a
//! stream that subscribes first and then replays the history misses nothing and dedupes by id.
//! Must not block a request on storage (the webhook answers once the event is queued) nor call
//! sled outside `crate::blocking`; must not parse S3 requests (handlers hand over what they
//! committed, in one line).

mod stream;
mod webhook;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::web;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::blocking;
use crate::config::Config;
use crate::s3::Ctx;

pub use webhook::{check_jwt, parse_webhook, WebhookBody, WebhookBodyError};

/// Events waiting to be persisted; past this the webhook answers 503 and the gateway's own
/// events are dropped with a warning, rather than anything waiting on storage.
const QUEUE: usize = 4096;
/// Live events a slow subscriber may fall behind before it catches up from the history.
const LIVE: usize = 1024;

/// One event, as stored and as served (`id` and `received` are set by the history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the history (0 before it is stored).
    #[serde(default)]
    pub id: u64,
    /// When the gateway received it, Unix seconds.
    #[serde(default)]
    pub received: u64,
    /// `gluster` (from the webhook) or `gateway` (S3 operations on this gateway).
    pub source: String,
    /// Gluster's event name (`VOLUME_CREATE`) or the S3 event name (`ObjectCreated:Put`).
    pub event: String,
    /// When it happened, Unix seconds (the emitter's clock).
    pub ts: u64,
    /// The UUID of the node whose eventsd posted it (Gluster events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodeid: Option<String>,
    /// The volume it concerns, when the message names one (derived, for `?volume=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// Gluster's message object, or an S3 event notification (`{"Records": [...]}`).
    pub message: serde_json::Value,
}

/// Unix seconds now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The event hub of one gateway. Cheap to share (channels inside).
pub struct Events {
    queue: mpsc::Sender<Event>,
    live: broadcast::Sender<Arc<Event>>,
    registry: metadata::Registry,
    volume: String,
    /// Set by [`Events::close`]: open streams end, so a graceful stop does not wait on them.
    closed: watch::Sender<bool>,
}

impl Events {
    /// Starts the persisting task (needs a tokio runtime) and returns the hub. The task ends
    /// when the hub is dropped.
    pub fn start(registry: metadata::Registry, config: &Config) -> Events {
        let (queue, rx) = mpsc::channel(QUEUE);
        let (live, _) = broadcast::channel(LIVE);
        tokio::spawn(persist(
            registry.clone(),
            rx,
            live.clone(),
            config.events_max,
            config.events_max_age,
        ));
        Events {
            queue,
            live,
            registry,
            volume: config.volume.clone(),
            closed: watch::Sender::new(false),
        }
    }

    /// Ends every open stream (the gateway is stopping).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Becomes true when the hub is closed.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Queues an event for the history and the streams without waiting. False if the queue is
    /// full (the event is dropped).
    pub fn emit(&self, event: Event) -> bool {
        match self.queue.try_send(event) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "event queue full: event dropped");
                false
            }
        }
    }

    /// A bucket event (`BucketCreated`, `BucketDeleted`) after its commit.
    pub fn bucket(&self, ctx: &Ctx, name: &str, bucket: &str) {
        self.emit(self.s3_record(ctx, name, bucket, None));
    }

    /// An object event after its commit: `size` and `etag` for a created object, `None` for a
    /// removed one.
    pub fn object(&self, ctx: &Ctx, name: &str, bucket: &str, key: &str, created: Option<(u64, &str)>) {
        self.emit(self.s3_record(ctx, name, bucket, Some((key, created))));
    }

    /// An S3 event notification record (the shape AWS sends to SNS/SQS/Lambda).
    fn s3_record(
        &self,
        ctx: &Ctx,
        name: &str,
        bucket: &str,
        object: Option<(&str, Option<(u64, &str)>)>,
    ) -> Event {
        let now = time::OffsetDateTime::now_utc();
        let event_time = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut s3 = serde_json::json!({
            "s3SchemaVersion": "1.0",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": ctx.user.owner()},
                "arn": format!("arn:aws:s3:::{bucket}"),
            },
        });
        if let Some((key, created)) = object {
            let mut o = serde_json::json!({ "key": key });
            if let Some((size, etag)) = created {
                o["size"] = size.into();
                o["eTag"] = etag.into();
            }
            s3["object"] = o;
        }
        let record = serde_json::json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": ctx.state.config.region,
            "eventTime": event_time,
            "eventName": name,
            "userIdentity": {"principalId": ctx.user.owner()},
            "s3": s3,
        });
        Event {
            id: 0,
            received: 0,
            source: "gateway".into(),
            event: name.into(),
            ts: u64::try_from(now.unix_timestamp()).unwrap_or(0),
            nodeid: None,
            volume: Some(self.volume.clone()),
            message: serde_json::json!({ "Records": [record] }),
        }
    }

    /// A receiver of every event stored from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.live.subscribe()
    }

    /// The registry holding the history.
    pub fn registry(&self) -> &metadata::Registry {
        &self.registry
    }
}

/// Up to `limit` stored events after id `after`, oldest first.
pub async fn history(registry: &metadata::Registry, after: u64, limit: usize) -> Vec<Event> {
    let reg = registry.clone();
    match blocking::run(move || reg.events_since(after, limit)).await {
        Ok(Ok(entries)) => entries.iter().filter_map(decode).collect(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "reading the event history");
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "reading the event history");
            Vec::new()
        }
    }
}

/// A stored entry as an [`Event`]; an undecodable one is skipped with a warning.
fn decode(entry: &metadata::EventEntry) -> Option<Event> {
    match serde_json::from_slice::<Event>(&entry.body) {
        Ok(mut e) => {
            e.id = entry.id;
            e.received = entry.received;
            Some(e)
        }
        Err(err) => {
            tracing::warn!(id = entry.id, error = %err, "undecodable event in the history");
            None
        }
    }
}

/// The persisting task: stores queued events in batches, then broadcasts them (in id order);
/// trims the history after every 256 events and every 5 minutes.
async fn persist(
    registry: metadata::Registry,
    mut rx: mpsc::Receiver<Event>,
    live: broadcast::Sender<Arc<Event>>,
    max: usize,
    max_age: Duration,
) {
    let trim = |reg: metadata::Registry| async move {
        match blocking::run(move || reg.trim_events(max, max_age)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "trimming the event history"),
            Err(e) => tracing::warn!(error = %e, "trimming the event history"),
        }
    };
    trim(registry.clone()).await;
    let mut since_trim = 0usize;
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    tick.tick().await;
    loop {
        let first = tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => ev,
                None => return,
            },
            _ = tick.tick() => {
                trim(registry.clone()).await;
                continue;
            }
        };
        let mut batch = vec![first];
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        let reg = registry.clone();
        let stored = blocking::run(move || {
            let received = now_secs();
            let mut out = Vec::with_capacity(batch.len());
            for mut ev in batch {
                ev.received = received;
                let body = match serde_json::to_vec(&ev) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "encoding an event");
                        continue;
                    }
                };
                match reg.append_event(received, &body) {
                    Ok(id) => {
                        ev.id = id;
                        out.push(ev);
                    }
                    Err(e) => tracing::warn!(error = %e, event = %ev.event, "storing an event"),
                }
            }
            out
        })
        .await
        .unwrap_or_default();
        since_trim += stored.len();
        for ev in stored {
            // No subscriber is not an error.
            let _ = live.send(Arc::new(ev));
        }
        if since_trim >= 256 {
            since_trim = 0;
            trim(registry.clone()).await;
        }
    }
}

/// What a stream or a history query selects: event names, a volume, a node. Empty: everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Event names (any of them).
    pub events: Vec<String>,
    /// The volume the event concerns.
    pub volume: Option<String>,
    /// The posting node's UUID.
    pub node: Option<String>,
}

impl Filter {
    /// From `event=A,B`, `volume=`, `node=` query values.
    pub fn new(event: Option<&str>, volume: Option<&str>, node: Option<&str>) -> Filter {
        let nonempty = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Filter {
            events: event
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            volume: nonempty(volume),
            node: nonempty(node),
        }
    }

    /// Whether `e` passes.
    pub fn matches(&self, e: &Event) -> bool {
        (self.events.is_empty() || self.events.contains(&e.event))
            && self.volume.as_ref().is_none_or(|v| e.volume.as_ref() == Some(v))
            && self.node.as_ref().is_none_or(|n| e.nodeid.as_ref() == Some(n))
    }
}

/// Registers `/admin/v1/events*` (the admin listener's `AppState` must be registered).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/v1/events/listen", web::post().to(webhook::listen))
        .route("/admin/v1/events/stream", web::get().to(stream::sse))
        .route("/admin/v1/events/ws", web::get().to(stream::websocket))
        .route("/admin/v1/events", web::get().to(stream::list));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, volume: Option<&str>, node: Option<&str>) -> Event {
        Event {
            id: 1,
            received: 0,
            source: "gluster".into(),
            event: name.into(),
            ts: 0,
            nodeid: node.map(Into::into),
            volume: volume.map(Into::into),
            message: serde_json::Value::Null,
        }
    }

    #[test]
    fn filters_by_names_volume_and_node() {
        let e = ev("VOLUME_SET", Some("opsvol"), Some("n1"));
        assert!(Filter::default().matches(&e));
        assert!(Filter::new(Some("VOLUME_START, VOLUME_SET"), None, None).matches(&e));
        assert!(!Filter::new(Some("VOLUME_START"), None, None).matches(&e));
        assert!(Filter::new(Some(""), Some("opsvol"), Some("n1")).matches(&e));
        assert!(!Filter::new(None, Some("s3vol"), None).matches(&e));
        assert!(!Filter::new(None, None, Some("n2")).matches(&e));
        // An event without a volume or node never matches a filter on one.
        assert!(!Filter::new(None, Some("opsvol"), None).matches(&ev("PEER_ATTACH", None, None)));
        assert!(!Filter::new(None, None, Some("n1")).matches(&ev("PEER_ATTACH", None, None)));
    }
}
