//! The admin listener, on its own port so a bucket called `health` never shadows it:
//! `/health` (the process is up), `/ready` (registry open and volume answering, else 503),
//! `/metrics` (Prometheus text from [`crate::metrics`]: S3 requests by operation, gfapi call
//! latency, upload budget, open blobs, GC queue, volume capacity, and the Gluster gauges read
//! from the cluster collector's snapshot). Unauthenticated, read-only.
//! Must not serve S3.

use std::sync::Arc;

use actix_web::{web, HttpResponse};

use crate::blocking;
use crate::metrics::Snapshot;
use crate::s3::AppState;

/// Registers the admin routes.
pub fn configure(state: Arc<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(state))
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().body("ok\n") }),
            )
            .route("/ready", web::get().to(ready_check))
            .route("/metrics", web::get().to(metrics_page))
            .configure(crate::admin_buckets::configure)
            .configure(crate::events::configure)
            .configure(crate::console::configure);
    }
}

/// Probes the registry and every volume: `Err` (503) names the registry or the default volume
/// when they fail; `Ok` lists the other volumes that did not answer (their buckets answer 503,
/// the rest of the gateway serves on).
async fn probe(state: Arc<AppState>) -> Result<Vec<String>, String> {
    blocking::run(move || {
        state
            .registry
            .get_bucket("")
            .map_err(|e| format!("registry: {e}"))?;
        let mut down = Vec::new();
        for (i, store) in state.stores.all().enumerate() {
            if let Err(e) = store.volume().statvfs("/") {
                let what = format!("volume {}: {e}", store.volume().name());
                if i == 0 {
                    return Err(what);
                }
                down.push(what);
            }
        }
        Ok(down)
    })
    .await
    .map_err(|e| e.to_string())?
}

async fn ready_check(state: web::Data<AppState>) -> HttpResponse {
    match probe(state.into_inner()).await {
        Ok(down) if down.is_empty() => HttpResponse::Ok().body("ready\n"),
        Ok(down) => HttpResponse::Ok().body(format!("ready, degraded: {}\n", down.join("; "))),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("not ready: {e}\n")),
    }
}

/// Measures what the gauges show (one trip to the blocking pool) and renders every series.
async fn metrics_page(state: web::Data<AppState>) -> HttpResponse {
    let state = state.into_inner();
    let s = state.clone();
    let measured = blocking::run(move || {
        let gc_queue = s
            .registry
            .gc_queue_len()
            .map_err(|e| tracing::warn!(error = %e, "counting the GC queue"))
            .ok();
        (gc_queue, s.stores.default_store().volume().statvfs("/").ok())
    })
    .await;
    let (gc_queue, volume) = measured.unwrap_or((None, None));
    let snapshot = Snapshot {
        upload_budget: (state.budget.total(), state.budget.available()),
        open_blobs: state.stores.default_store().open_blobs().stats(),
        gc_queue,
        volume,
    };
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(state.metrics.render(&snapshot))
}
