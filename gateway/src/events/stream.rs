//! Reading events: `GET /admin/v1/events` (the history as JSON), `GET /admin/v1/events/stream`
//! (Server-Sent Events) and `GET /admin/v1/events/ws` (websocket, one JSON text frame per
//! event). All take the admin token as a Bearer header or `?token=` (browsers cannot set headers
//! on EventSource/WebSocket), a [`Filter`] (`?event=A,B&volume=&node=`), and the streams resume
//! after `Last-Event-ID` (header or `?last_event_id=`). A [`Feed`] subscribes to the live
//! broadcast first, then replays the history after the resume point, then goes live, skipping
//! ids it already sent: no gap, no duplicate. Must not hold a request on anything but the feed.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use tokio::sync::broadcast;

use super::{history, Event, Filter};
use crate::admin_auth::check_bearer;
use crate::s3::AppState;

/// Events fetched from the history per trip.
const PAGE: usize = 500;
/// A comment line on an idle SSE stream, so proxies keep it and a gone client is noticed.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// 401 with the Bearer challenge.
pub fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("www-authenticate", "Bearer"))
        .body("admin token required\n")
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// The admin token from the Authorization header, else from `?token=`.
fn authorized(req: &HttpRequest, state: &AppState, q: &HashMap<String, String>) -> bool {
    let token = state.config.admin_token.as_ref();
    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    if check_bearer(header, token).is_ok() {
        return true;
    }
    q.get("token")
        .is_some_and(|t| check_bearer(Some(&format!("Bearer {t}")), token).is_ok())
}

fn filter(q: &HashMap<String, String>) -> Filter {
    Filter::new(
        q.get("event").map(String::as_str),
        q.get("volume").map(String::as_str),
        q.get("node").map(String::as_str),
    )
}

/// The resume point: `Last-Event-ID` header, else `?last_event_id=`. `Err` for a value that is
/// not an id.
fn resume(req: &HttpRequest, q: &HashMap<String, String>) -> Result<Option<u64>, &'static str> {
    let v = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| q.get("last_event_id").cloned());
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| "Last-Event-ID is not an event id\n"),
    }
}

/// The events of one stream, in id order.
pub struct Feed {
    registry: metadata::Registry,
    live: broadcast::Receiver<Arc<Event>>,
    backlog: VecDeque<Event>,
    /// Reading the history (after a resume, or after falling behind the broadcast).
    replaying: bool,
    /// The last id passed on (or skipped by the filter).
    last: u64,
    filter: Filter,
    closed: tokio::sync::watch::Receiver<bool>,
}

impl Feed {
    /// A feed of the events after `after`, or of those from now on.
    pub async fn new(state: &AppState, after: Option<u64>, filter: Filter) -> Feed {
        let registry = state.events.registry().clone();
        let start = match after {
            Some(id) => id,
            None => {
                // Read before subscribing: the replay covers what is stored between the two.
                let reg = registry.clone();
                crate::blocking::run(move || reg.last_event_id().unwrap_or(0))
                    .await
                    .unwrap_or(0)
            }
        };
        let live = state.events.subscribe();
        Feed {
            registry,
            live,
            backlog: VecDeque::new(),
            replaying: true,
            last: start,
            filter,
            closed: state.events.closed(),
        }
    }

    /// The next event that passes the filter; `None` once the hub is gone. Cancel-safe.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.closed.borrow() {
                return None;
            }
            if let Some(e) = self.backlog.pop_front() {
                self.last = e.id;
                if self.filter.matches(&e) {
                    return Some(e);
                }
                continue;
            }
            if self.replaying {
                let page = history(&self.registry, self.last, PAGE).await;
                if page.is_empty() {
                    self.replaying = false;
                } else {
                    self.backlog.extend(page);
                }
                continue;
            }
            let next = tokio::select! {
                r = self.live.recv() => r,
                _ = self.closed.changed() => return None,
            };
            match next {
                Ok(e) if e.id <= self.last => {}
                Ok(e) => {
                    self.last = e.id;
                    if self.filter.matches(&e) {
                        return Some((*e).clone());
                    }
                }
                // Fell behind: everything missed is in the history.
                Err(broadcast::error::RecvError::Lagged(_)) => self.replaying = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// One SSE frame.
fn sse_frame(e: &Event) -> Bytes {
    let data = serde_json::to_string(e).unwrap_or_default();
    Bytes::from(format!("id: {}\nevent: {}\ndata: {data}\n\n", e.id, e.event))
}

/// `GET /admin/v1/events/stream`.
pub async fn sse(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = query(&req);
    if !authorized(&req, &state, &q) {
        return unauthorized();
    }
    let after = match resume(&req, &q) {
        Ok(a) => a,
        Err(r) => return HttpResponse::BadRequest().body(r),
    };
    let feed = Feed::new(&state, after, filter(&q)).await;
    let body = futures_util::stream::unfold(feed, |mut feed| async move {
        let frame = match tokio::time::timeout(KEEPALIVE, feed.next()).await {
            Ok(Some(e)) => sse_frame(&e),
            Ok(None) => return None,
            Err(_) => Bytes::from_static(b": keepalive\n\n"),
        };
        Some((Ok::<_, actix_web::Error>(frame), feed))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .streaming(body)
}

/// `GET /admin/v1/events/ws`.
pub async fn websocket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let q = query(&req);
    if !authorized(&req, &state, &q) {
        return Ok(unauthorized());
    }
    let after = match resume(&req, &q) {
        Ok(a) => a,
        Err(r) => return Ok(HttpResponse::BadRequest().body(r)),
    };
    let (res, mut session, mut msgs) = actix_ws::handle(&req, body)?;
    let mut feed = Feed::new(&state, after, filter(&q)).await;
    actix_web::rt::spawn(async move {
        loop {
            tokio::select! {
                e = feed.next() => {
                    let Some(e) = e else { break };
                    let text = serde_json::to_string(&e).unwrap_or_default();
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                m = msgs.recv() => match m {
                    Some(Ok(actix_ws::Message::Ping(b))) => {
                        if session.pong(&b).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(actix_ws::Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        let _ = session.close(None).await;
    });
    Ok(res)
}

/// `GET /admin/v1/events?since=ID&limit=N`: `{"events": [...], "last_id": N}`, oldest first.
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = query(&req);
    if !authorized(&req, &state, &q) {
        return unauthorized();
    }
    let num = |k: &str, default: u64| -> Result<u64, String> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{k} is not a number\n")),
        }
    };
    let (since, limit) = match (num("since", 0), num("limit", 100)) {
        (Ok(s), Ok(l)) => (s, usize::try_from(l.clamp(1, 1000)).unwrap_or(1000)),
        (Err(r), _) | (_, Err(r)) => return HttpResponse::BadRequest().body(r),
    };
    let f = filter(&q);
    let page = history(state.events.registry(), since, limit).await;
    let last_id = page.last().map_or(since, |e| e.id);
    let events: Vec<Event> = page.into_iter().filter(|e| f.matches(e)).collect();
    HttpResponse::Ok().json(serde_json::json!({ "events": events, "last_id": last_id }))
}
