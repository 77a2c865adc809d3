//! The gateway's log setup: `GLUSTERS3_LOG` (an `EnvFilter`, default `info`) over the `fmt`
//! output, and [`ClientFaults`], which keeps a client's malformed HTTP from looking like a
//! server fault.
//!
//! actix-http answers a malformed request itself (400, or 431 for a head over its limits) and
//! then logs the connection's end at ERROR under `actix_http::h1::dispatcher` ("stream error:
//! request parse error: ..."), whatever the cause. [`ClientFaults`] drops those events when
//! the cause is the client's (a parse error, the client's I/O, its timeouts) and logs them
//! again at DEBUG under this module; every other error, actix's or ours, stays ERROR. Must not
//! filter anything else.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

/// The target actix-http's HTTP/1 dispatcher logs under.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

/// Installs the process-wide subscriber (call once, from `main`).
pub fn init() {
    let filter = EnvFilter::try_from_env("GLUSTERS3_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(ClientFaults)
        .with(tracing_subscriber::fmt::layer())
        .init();
}

/// Whether an event of actix's dispatcher with this message reports a client's fault: what the
/// client sent could not be parsed, its connection failed or timed out, or it stopped reading.
/// Response body errors, service errors and actix's internal errors are not.
pub fn is_client_fault(target: &str, message: &str) -> bool {
    if target != DISPATCHER {
        return false;
    }
    let cause = message.strip_prefix("stream error: ").unwrap_or(message);
    [
        "request parse error",
        "I/O error",
        "request did not complete within the specified timeout",
        "connection shutdown timeout",
        "write zero",
    ]
    .iter()
    .any(|p| cause.starts_with(p))
}

/// A layer that turns actix's ERROR events about a client's malformed request into DEBUG
/// events of this module (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientFaults;

impl<S: Subscriber> Layer<S> for ClientFaults {
    fn event_enabled(&self, event: &Event<'_>, _cx: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || meta.target() != DISPATCHER {
            return true;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if !is_client_fault(meta.target(), &message.0) {
            return true;
        }
        // Logged again, lower. (Under a scoped subscriber this nested event is dropped by
        // tracing; under the global one that `init` installs it is delivered.)
        tracing::debug!(cause = %message.0, "malformed request or broken connection from a client");
        false
    }
}

/// Collects an event's `message` field.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn client_faults_are_told_from_server_faults() {
        for m in [
            "stream error: request parse error: invalid Header provided",
            "stream error: request parse error: URI error: uri too long",
            "stream error: request parse error: message head is too large",
            "stream error: I/O error: Connection reset by peer (os error 104)",
            "stream error: request did not complete within the specified timeout",
            "write zero; closing",
        ] {
            assert!(is_client_fault(DISPATCHER, m), "{m}");
        }
        for m in [
            "stream error: body error: the storage volume is not available",
            "Response payload stream error: Custom { kind: Other }",
            "stream error: internal error",
            "Internal server error: unexpected eof",
            "stream error: service error",
        ] {
            assert!(!is_client_fault(DISPATCHER, m), "{m}");
        }
        assert!(!is_client_fault(
            "gateway::http",
            "stream error: request parse error: x"
        ));
    }

    /// Records (level, target) of every event that reaches it.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<(Level, String)>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
            let m = event.metadata();
            self.0.lock().unwrap().push((*m.level(), m.target().to_owned()));
        }
    }

    #[test]
    fn the_layer_drops_client_faults_at_error_and_keeps_server_errors() {
        let cap = Capture::default();
        let sub = tracing_subscriber::registry()
            .with(ClientFaults)
            .with(cap.clone());
        tracing::subscriber::with_default(sub, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error: invalid Header provided");
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: body error: volume gone");
            tracing::error!(target: "gateway::http", "request failed");
            tracing::info!(target: "actix_http::h1::dispatcher", "stream error: request parse error: x");
        });
        let seen = cap.0.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                (Level::ERROR, DISPATCHER.to_owned()),
                (Level::ERROR, "gateway::http".to_owned()),
                (Level::INFO, DISPATCHER.to_owned()),
            ],
            "only the client's parse error was taken off ERROR"
        );
    }
}
