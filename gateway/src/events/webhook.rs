//! `POST /admin/v1/events/listen`: glustereventsd's webhook. Checks the caller (the admin token
//! as a Bearer, or Gluster's intended HS256 JWT signed with that token), parses the body
//! (`{nodeid, ts, event, message}`, empty for `webhook-test`), queues the event, asks the
//! cluster collector for a refresh when the event may change what it shows
//! ([`crate::gluster::collector::refresh_on_event`]; the collector coalesces bursts) and answers
//! 200 (eventsd counts anything else as a failed push and never retries). Must not wait on
//! storage or on the collector.

use actix_web::{web, HttpRequest, HttpResponse};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::Event;
use crate::admin_auth::{check_bearer, AdminToken};
use crate::gluster::collector::refresh_on_event;
use crate::gluster::Collector;
use crate::s3::AppState;

/// Why a webhook body was refused (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookBodyError(pub String);

/// A webhook body as glustereventsd sends it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookBody {
    /// Event name (`VOLUME_SET`).
    pub event: String,
    /// Unix seconds of the emitter's clock.
    pub ts: serde_json::Number,
    /// UUID of the posting node.
    #[serde(default)]
    pub nodeid: Option<String>,
    /// Event-specific fields (strings mostly; see the research note).
    #[serde(default)]
    pub message: serde_json::Value,
}

/// Parses a webhook body: `Ok(None)` for the empty body of `webhook-test`.
pub fn parse_webhook(body: &[u8]) -> Result<Option<Event>, WebhookBodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let b: WebhookBody = serde_json::from_slice(body).map_err(|e| WebhookBodyError(e.to_string()))?;
    if b.event.is_empty() {
        return Err(WebhookBodyError("empty event name".into()));
    }
    #[allow(clippy::cast_precision_loss)] // seconds since 1970 are far below 2^52
    let ts =
        b.ts.as_u64()
            .or_else(|| b.ts.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .ok_or_else(|| WebhookBodyError(format!("ts {} is not a time", b.ts)))?;
    let volume = volume_of(&b.event, &b.message);
    Ok(Some(Event {
        id: 0,
        received: 0,
        source: "gluster".into(),
        event: b.event,
        ts,
        nodeid: b.nodeid.filter(|n| !n.is_empty()),
        volume,
        message: b.message,
    }))
}

/// The volume a Gluster message names: `name` of `VOLUME_*`, `volume`, the volume of an AFR
/// `subvol` (`opsvol-replicate-0`; eventsd sends the key as `" subvol"`), or the `PC_NAME` of a
/// client's `client_uid` (`PC_NAME:opsvol-client-1`).
fn volume_of(event: &str, m: &serde_json::Value) -> Option<String> {
    let s = |k: &str| {
        m.get(k)
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.is_empty())
    };
    if event.starts_with("VOLUME_") {
        if let Some(n) = s("name") {
            return Some(n.to_owned());
        }
    }
    if let Some(v) = s("volume") {
        return Some(v.to_owned());
    }
    if let Some(sub) = s("subvol").or_else(|| s(" subvol")) {
        return Some(strip_xlator(sub).to_owned());
    }
    let uid = s("client_uid")?;
    let name = uid.split_once("PC_NAME:")?.1;
    let name = name.split_once("-RECON_NO").map_or(name, |(a, _)| a);
    Some(strip_xlator(name).to_owned())
}

/// `opsvol-replicate-0` -> `opsvol`; anything else as is.
fn strip_xlator(s: &str) -> &str {
    s.rsplit_once('-')
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|(rest, _)| rest.rsplit_once('-'))
        .map_or(s, |(vol, _)| vol)
}

/// The claims of Gluster's webhook JWT.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

/// Checks Gluster's intended webhook JWT (`--secret`): HS256 signed with the admin token,
/// `iss` "gluster", not expired, `sub` the event name (`TEST` for webhook-test; `expected_sub`
/// `None` skips that check). Returns whether it passes.
pub fn check_jwt(jwt: &str, secret: &[u8], expected_sub: Option<&str>) -> bool {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&["gluster"]);
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    v.leeway = 5;
    match decode::<Claims>(jwt, &DecodingKey::from_secret(secret), &v) {
        Ok(t) => expected_sub.is_none_or(|s| t.claims.sub == s),
        Err(_) => false,
    }
}

/// Whether the request may post events: the token as a Bearer, or a valid JWT for `event`.
fn authorized(req: &HttpRequest, token: Option<&AdminToken>, event: Option<&str>) -> bool {
    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    if check_bearer(header, token).is_ok() {
        return true;
    }
    let (Some(token), Some(h)) = (token, header) else {
        return false;
    };
    let Some((scheme, jwt)) = h.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && check_jwt(jwt.trim(), token.secret(), Some(event.unwrap_or("TEST")))
}

/// The webhook route. `cluster` is the collector [`crate::gluster::configure`] registers on the
/// admin listener (absent in an app without it).
pub async fn listen(
    req: HttpRequest,
    state: web::Data<AppState>,
    cluster: Option<web::Data<Collector>>,
    body: web::Bytes,
) -> HttpResponse {
    let parsed = parse_webhook(&body);
    let event_name = match &parsed {
        Ok(Some(e)) => Some(e.event.as_str()),
        _ => None,
    };
    if !authorized(&req, state.config.admin_token.as_ref(), event_name) {
        return super::stream::unauthorized();
    }
    match parsed {
        Ok(None) => HttpResponse::Ok().body("ok\n"),
        Ok(Some(ev)) => {
            if let Some(c) = cluster.filter(|_| refresh_on_event(&ev.event, &ev.message)) {
                // Returns at once: the refresh runs on the collector's task.
                c.refresh_now();
            }
            if state.events.emit(ev) {
                HttpResponse::Ok().body("ok\n")
            } else {
                HttpResponse::ServiceUnavailable().body("event queue full\n")
            }
        }
        Err(e) => HttpResponse::BadRequest().body(format!("bad event body: {}\n", e.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gluster");

    #[test]
    fn every_captured_webhook_body_parses() {
        let text = std::fs::read_to_string(format!("{FIXTURES}/eventsd-webhook-bodies.jsonl")).unwrap();
        let mut n = 0;
        for line in text.lines() {
            let body: String = serde_json::from_str(line).unwrap();
            let raw: serde_json::Value = if body.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&body).unwrap()
            };
            match parse_webhook(body.as_bytes()).unwrap() {
                None => assert!(body.is_empty()),
                Some(e) => {
                    assert_eq!(e.event, raw["event"].as_str().unwrap());
                    assert_eq!(e.ts, raw["ts"].as_u64().unwrap());
                    assert_eq!(e.nodeid.as_deref(), raw["nodeid"].as_str());
                    assert_eq!(e.message, raw["message"]);
                }
            }
            n += 1;
        }
        assert!(n > 1000, "{n} bodies");
    }

    #[test]
    fn volumes_of_the_example_bodies() {
        let text = std::fs::read_to_string(format!("{FIXTURES}/eventsd-webhook-examples.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (name, body) in doc["bodies"].as_object().unwrap() {
            let e = parse_webhook(body.to_string().as_bytes()).unwrap().unwrap();
            let want = match e.event.as_str() {
                "PEER_ATTACH" | "PEER_DETACH" | "SVC_CONNECTED" => None,
                _ => Some("opsvol"),
            };
            assert_eq!(e.volume.as_deref(), want, "{name}: {body}");
        }
    }

    #[test]
    fn empty_body_is_webhook_test_and_garbage_is_refused() {
        assert_eq!(parse_webhook(b"").unwrap(), None);
        assert!(parse_webhook(b"{").is_err());
        assert!(parse_webhook(b"{\"event\":\"X\"}").is_err());
        assert!(parse_webhook(b"{\"event\":\"\",\"ts\":1}").is_err());
        assert!(parse_webhook(b"{\"event\":\"X\",\"ts\":\"soon\"}").is_err());
        let e = parse_webhook(b"{\"event\":\"X\",\"ts\":12}").unwrap().unwrap();
        assert_eq!((e.ts, e.nodeid, e.volume), (12, None, None));
    }

    #[test]
    fn strips_translator_suffixes() {
        assert_eq!(strip_xlator("opsvol-replicate-0"), "opsvol");
        assert_eq!(strip_xlator("my-vol-client-12"), "my-vol");
        assert_eq!(strip_xlator("opsvol"), "opsvol");
        assert_eq!(strip_xlator("a-b"), "a-b");
    }

    fn jwt(secret: &str, iss: &str, sub: &str, exp: u64) -> String {
        let claims = serde_json::json!({"exp": exp, "iat": exp - 60, "iss": iss, "sub": sub});
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn the_captured_intended_jwt_verifies_with_its_secret_until_it_expires() {
        let text = std::fs::read_to_string(format!("{FIXTURES}/eventsd-jwt-intended-example.txt")).unwrap();
        let token = text
            .lines()
            .find_map(|l| l.strip_prefix("Authorization: Bearer "))
            .unwrap();
        // Made with exp 60 s after 1796266968, so expired by now: its signature and claims
        // are checked with expiry off, then check_jwt refuses it as expired.
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.set_issuer(&["gluster"]);
        let t = decode::<Claims>(token, &DecodingKey::from_secret(b"jwtsecret"), &v).unwrap();
        assert_eq!(t.claims.sub, "VOLUME_SET");
        assert!(decode::<Claims>(token, &DecodingKey::from_secret(b"other"), &v).is_err());
        let expired = super::super::now_secs() > 1_796_267_028 + 5;
        assert_eq!(check_jwt(token, b"jwtsecret", Some("VOLUME_SET")), !expired);
    }

    #[test]
    fn jwt_accept_and_reject() {
        let now = super::super::now_secs();
        let good = jwt("s3cret", "gluster", "VOLUME_SET", now + 60);
        assert!(check_jwt(&good, b"s3cret", Some("VOLUME_SET")));
        assert!(check_jwt(&good, b"s3cret", None));
        // Wrong secret, wrong event, wrong issuer, expired, garbage.
        assert!(!check_jwt(&good, b"other", Some("VOLUME_SET")));
        assert!(!check_jwt(&good, b"s3cret", Some("VOLUME_START")));
        assert!(!check_jwt(
            &jwt("s3cret", "someone", "VOLUME_SET", now + 60),
            b"s3cret",
            None
        ));
        assert!(!check_jwt(
            &jwt("s3cret", "gluster", "VOLUME_SET", now - 600),
            b"s3cret",
            None
        ));
        assert!(!check_jwt("not.a.jwt", b"s3cret", None));
        // An unsigned token ("alg": "none") is refused.
        let none = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0",
            good.split('.').nth(1).unwrap()
        );
        assert!(!check_jwt(&none, b"s3cret", None));
    }
}
