//! The admin listener, on its own port so a bucket called `health` never shadows it:
//! `/health` (the process is up), `/ready` (registry open and volume answering, else 503),
//! `/metrics` (Prometheus text: request counts by operation class and status class, volume
//! capacity). Unauthenticated, read-only. Must not serve S3.

use std::future::{ready, Ready};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{web, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::blocking;
use crate::s3::AppState;

/// Request counters, by HTTP method and status class.
#[derive(Default)]
pub struct Metrics {
    /// `[method][class]`: methods GET, HEAD, PUT, POST, DELETE, other; classes 2xx, 3xx, 4xx, 5xx.
    counts: [[AtomicU64; 4]; 6],
    /// Sum of request durations in microseconds, per method.
    micros: [AtomicU64; 6],
}

const METHODS: [&str; 6] = ["GET", "HEAD", "PUT", "POST", "DELETE", "OTHER"];
const CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

impl Metrics {
    fn record(&self, method: &str, status: u16, micros: u64) {
        let m = METHODS.iter().position(|x| *x == method).unwrap_or(5);
        let c = match status {
            0..=299 => 0,
            300..=399 => 1,
            400..=499 => 2,
            _ => 3,
        };
        self.counts[m][c].fetch_add(1, Ordering::Relaxed);
        self.micros[m].fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str("# HELP glusters3_requests_total S3 requests answered, by method and status class.\n");
        out.push_str("# TYPE glusters3_requests_total counter\n");
        for (m, name) in METHODS.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.counts[m][c].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "glusters3_requests_total{{method=\"{name}\",status=\"{class}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP glusters3_request_seconds_total Time spent answering S3 requests, by method.\n");
        out.push_str("# TYPE glusters3_request_seconds_total counter\n");
        for (m, name) in METHODS.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)] // microsecond sums stay far below 2^52
            let s = self.micros[m].load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "glusters3_request_seconds_total{{method=\"{name}\"}} {s}");
        }
    }
}

/// Middleware counting every S3 request into [`Metrics`].
pub struct Track(pub Arc<Metrics>);

impl<S, B> Transform<S, ServiceRequest> for Track
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type InitError = ();
    type Transform = TrackService<S>;
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TrackService {
            service,
            metrics: self.0.clone(),
        }))
    }
}

/// The service made by [`Track`].
pub struct TrackService<S> {
    service: S,
    metrics: Arc<Metrics>,
}

impl<S, B> Service<ServiceRequest> for TrackService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let method = req.method().as_str().to_owned();
        let metrics = self.metrics.clone();
        let started = std::time::Instant::now();
        let fut = self.service.call(req);
        Box::pin(async move {
            let res = fut.await?;
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            metrics.record(&method, res.status().as_u16(), micros);
            Ok(res)
        })
    }
}

/// Registers the admin routes.
pub fn configure(state: Arc<AppState>, metrics: Arc<Metrics>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(state))
            .app_data(web::Data::from(metrics))
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().body("ok\n") }),
            )
            .route("/ready", web::get().to(ready_check))
            .route("/metrics", web::get().to(metrics_page))
            .configure(crate::events::configure);
    }
}

/// Probes the registry and the volume; 503 names what failed.
async fn probe(state: Arc<AppState>) -> Result<gfapi::StatVfs, String> {
    blocking::run(move || {
        state
            .registry
            .get_bucket("")
            .map_err(|e| format!("registry: {e}"))?;
        state
            .store
            .volume()
            .statvfs("/")
            .map_err(|e| format!("volume {}: {e}", state.store.volume().name()))
    })
    .await
    .map_err(|e| e.to_string())?
}

async fn ready_check(state: web::Data<AppState>) -> HttpResponse {
    match probe(state.into_inner()).await {
        Ok(_) => HttpResponse::Ok().body("ready\n"),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("not ready: {e}\n")),
    }
}

async fn metrics_page(state: web::Data<AppState>, metrics: web::Data<Metrics>) -> HttpResponse {
    use std::fmt::Write as _;
    let mut out = String::new();
    metrics.render(&mut out);
    out.push_str(
        "# HELP glusters3_upload_budget_bytes Memory for upload bodies on their way to the volume: the whole budget, and what no body holds now.\n",
    );
    out.push_str("# TYPE glusters3_upload_budget_bytes gauge\n");
    let _ = writeln!(
        out,
        "glusters3_upload_budget_bytes{{kind=\"total\"}} {}",
        state.budget.total()
    );
    let _ = writeln!(
        out,
        "glusters3_upload_budget_bytes{{kind=\"available\"}} {}",
        state.budget.available()
    );
    let (open_now, hits, misses) = state.store.open_blobs().stats();
    out.push_str("# HELP glusters3_open_blobs Blobs kept open for the next read of the same blob.\n");
    out.push_str("# TYPE glusters3_open_blobs gauge\n");
    let _ = writeln!(out, "glusters3_open_blobs {open_now}");
    out.push_str(
        "# HELP glusters3_open_blob_reads_total Blob reads served by a file kept open (hit) or by a new open (miss).\n",
    );
    out.push_str("# TYPE glusters3_open_blob_reads_total counter\n");
    let _ = writeln!(out, "glusters3_open_blob_reads_total{{result=\"hit\"}} {hits}");
    let _ = writeln!(out, "glusters3_open_blob_reads_total{{result=\"miss\"}} {misses}");
    let (up, vfs) = match probe(state.into_inner()).await {
        Ok(v) => (1, Some(v)),
        Err(_) => (0, None),
    };
    out.push_str("# HELP glusters3_volume_up Whether the volume answered a statvfs just now.\n");
    out.push_str("# TYPE glusters3_volume_up gauge\n");
    let _ = writeln!(out, "glusters3_volume_up {up}");
    if let Some(v) = vfs {
        out.push_str("# TYPE glusters3_volume_bytes gauge\n");
        let _ = writeln!(
            out,
            "glusters3_volume_bytes{{kind=\"total\"}} {}",
            v.blocks * v.block_size
        );
        let _ = writeln!(
            out,
            "glusters3_volume_bytes{{kind=\"available\"}} {}",
            v.blocks_available * v.block_size
        );
        out.push_str("# TYPE glusters3_volume_inodes gauge\n");
        let _ = writeln!(out, "glusters3_volume_inodes{{kind=\"total\"}} {}", v.files);
        let _ = writeln!(out, "glusters3_volume_inodes{{kind=\"free\"}} {}", v.files_free);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
