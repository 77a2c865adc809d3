//! Events: captured glustereventsd webhook bodies posted to the admin listener, read back from
//! the history, from SSE (resumed with Last-Event-ID) and from the websocket; a PUT through the
//! SDK shows up as ObjectCreated:Put. The real glustereventsd is in `ops_e2e`.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::gluster::{bearer, request};
use crate::common::{bucket, Gw, ADMIN_TOKEN};

const EXAMPLES: &str = include_str!("../fixtures/gluster/eventsd-webhook-examples.json");
/// Bounded waits: the machine is loaded, but nothing here takes more than a few seconds.
const WAIT: Duration = Duration::from_secs(30);

async fn post_event(admin: &str, auth: &[(&str, String)], body: &str) -> u16 {
    let mut h = auth.to_vec();
    h.push(("Content-Type", "application/json".into()));
    request(admin, "POST", "/admin/v1/events/listen", &h, body.as_bytes())
        .await
        .0
}

/// The history as (id, event name) pairs, through the JSON route.
async fn history(admin: &str, query: &str) -> Vec<serde_json::Value> {
    let (status, raw) = request(
        admin,
        "GET",
        &format!("/admin/v1/events?{query}"),
        &bearer(ADMIN_TOKEN),
        b"",
    )
    .await;
    assert_eq!(status, 200, "{raw}");
    let body = raw.split_once("\r\n\r\n").unwrap().1;
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["events"].as_array().unwrap().clone()
}

/// Waits (bounded) until the history holds at least `n` events.
async fn wait_history(admin: &str, n: usize) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let h = history(admin, "limit=1000").await;
        if h.len() >= n {
            return h;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "history stuck at {} events",
            h.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads SSE `data:` events from an open stream until `done` says so (bounded).
async fn read_sse(
    s: &mut TcpStream,
    buf: &mut String,
    mut done: impl FnMut(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let events: Vec<serde_json::Value> = buf
            .split("\n\n")
            .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
        if done(&events) {
            return events;
        }
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout_at(deadline, s.read(&mut chunk))
            .await
            .unwrap_or_else(|_| panic!("SSE: timed out with {buf}"))
            .unwrap();
        assert!(n > 0, "SSE stream closed: {buf}");
        buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// The next text frame of a websocket, as JSON (bounded wait).
async fn next_text(ws: &mut Ws) -> serde_json::Value {
    loop {
        let m = tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

fn ids(events: &[serde_json::Value]) -> Vec<u64> {
    events.iter().map(|e| e["id"].as_u64().unwrap()).collect()
}

#[actix_web::test]
async fn webhook_history_sse_and_websocket() {
    let gw = Gw::start().await;
    let admin = gw.admin.clone();
    let examples: serde_json::Value = serde_json::from_str(EXAMPLES).unwrap();
    let body = |k: &str| examples["bodies"][k].to_string();
    let auth = bearer(ADMIN_TOKEN);

    // Refused: no token, a wrong one, a JWT signed with another secret or for another event.
    assert_eq!(post_event(&admin, &[], &body("VOLUME_SET")).await, 401);
    assert_eq!(
        post_event(&admin, &bearer("nope"), &body("VOLUME_SET")).await,
        401
    );
    let jwt = |secret: &str, sub: &str| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = serde_json::json!({"exp": now + 60, "iat": now, "iss": "gluster", "sub": sub});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    assert_eq!(
        post_event(&admin, &bearer(&jwt("other", "VOLUME_SET")), &body("VOLUME_SET")).await,
        401
    );
    assert_eq!(
        post_event(
            &admin,
            &bearer(&jwt(ADMIN_TOKEN, "VOLUME_START")),
            &body("VOLUME_SET")
        )
        .await,
        401
    );
    // webhook-test: empty body, no Content-Type.
    let (status, _) = request(&admin, "POST", "/admin/v1/events/listen", &auth, b"").await;
    assert_eq!(status, 200);
    // Garbage is a 400, not stored.
    assert_eq!(post_event(&admin, &auth, "{not json").await, 400);

    // Accepted: three captured bodies with the token, one with Gluster's JWT.
    let posted = ["VOLUME_SET", "BRICK_DISCONNECTED", "AFR_QUORUM_MET client-pid=0"];
    for k in posted {
        assert_eq!(post_event(&admin, &auth, &body(k)).await, 200, "{k}");
    }
    assert_eq!(
        post_event(
            &admin,
            &bearer(&jwt(ADMIN_TOKEN, "PEER_ATTACH")),
            &body("PEER_ATTACH")
        )
        .await,
        200
    );

    let h = wait_history(&admin, 4).await;
    let names: Vec<&str> = h.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "VOLUME_SET",
            "BRICK_DISCONNECTED",
            "AFR_QUORUM_MET",
            "PEER_ATTACH"
        ]
    );
    assert!(ids(&h).windows(2).all(|w| w[0] < w[1]));
    assert_eq!(h[0]["message"], examples["bodies"]["VOLUME_SET"]["message"]);
    assert_eq!(h[0]["nodeid"], examples["bodies"]["VOLUME_SET"]["nodeid"]);
    assert_eq!(h[0]["source"], "gluster");
    // History paging and filters.
    assert_eq!(
        ids(&history(&admin, &format!("since={}&limit=2", h[0]["id"])).await),
        ids(&h[1..3])
    );
    assert_eq!(history(&admin, "volume=opsvol").await.len(), 3);
    assert_eq!(history(&admin, "event=PEER_ATTACH,VOLUME_SET").await.len(), 2);
    let (status, _) = request(&admin, "GET", "/admin/v1/events", &[], b"").await;
    assert_eq!(status, 401);

    // SSE, resumed after the first event: the other three, then live.
    let addr = admin.trim_start_matches("http://").to_owned();
    let mut sse = TcpStream::connect(&addr).await.unwrap();
    let req = format!(
        "GET /admin/v1/events/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nLast-Event-ID: {}\r\n\r\n",
        h[0]["id"]
    );
    sse.write_all(req.as_bytes()).await.unwrap();
    let mut buf = String::new();
    let got = read_sse(&mut sse, &mut buf, |e| e.len() >= 3).await;
    assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
    assert!(buf.contains("text/event-stream"), "{buf}");
    assert_eq!(ids(&got), ids(&h[1..]));
    assert!(
        buf.contains(&format!("id: {}\nevent: BRICK_DISCONNECTED\n", h[1]["id"])),
        "{buf}"
    );

    // A PUT through the SDK arrives live, as an S3 event record.
    let c = gw.client();
    let b = bucket("events");
    c.create_bucket().bucket(&b).send().await.unwrap();
    let put = c
        .put_object()
        .bucket(&b)
        .key("dir/k.txt")
        .body(b"hello events".to_vec().into())
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().trim_matches('"').to_owned();
    let got = read_sse(&mut sse, &mut buf, |e| {
        e.iter().any(|x| x["event"] == "ObjectCreated:Put")
    })
    .await;
    let names: Vec<&str> = got.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names[3..], ["BucketCreated", "ObjectCreated:Put"], "{buf}");
    let rec = &got[4]["message"]["Records"][0];
    assert_eq!(rec["eventName"], "ObjectCreated:Put");
    assert_eq!(rec["s3"]["bucket"]["name"], b.as_str());
    assert_eq!(rec["s3"]["object"]["key"], "dir/k.txt");
    assert_eq!(rec["s3"]["object"]["size"], 12);
    assert_eq!(rec["s3"]["object"]["eTag"], etag.as_str());
    let all = ids(&got);
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "no duplicate, in order: {all:?}"
    );
    drop(sse);

    // Websocket with ?token=, from the start, filtered by name: the two asked for, in order,
    // then live ones that pass the filter.
    let url = format!("ws://{addr}/admin/v1/events/ws?token={ADMIN_TOKEN}&last_event_id=0&event=VOLUME_SET,ObjectRemoved:Delete");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .unwrap()
        .unwrap();
    let first = next_text(&mut ws).await;
    assert_eq!(first["event"], "VOLUME_SET");
    assert_eq!(first["id"], h[0]["id"]);
    c.delete_object()
        .bucket(&b)
        .key("dir/k.txt")
        .send()
        .await
        .unwrap();
    let second = next_text(&mut ws).await;
    assert_eq!(second["event"], "ObjectRemoved:Delete");
    assert_eq!(
        second["message"]["Records"][0]["s3"]["object"]["key"],
        "dir/k.txt"
    );

    // A stream without the token is refused.
    let (status, _) = request(&admin, "GET", "/admin/v1/events/stream", &[], b"").await;
    assert_eq!(status, 401);
    c.delete_bucket().bucket(&b).send().await.unwrap();
    // An open stream ends when the gateway stops, instead of holding the graceful stop for
    // its whole timeout (30 s).
    let stopping = tokio::time::Instant::now();
    gw.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(20),
        "stop waited on the stream"
    );
    drop(ws);
}
