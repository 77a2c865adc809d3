//! The gateway's Prometheus metrics: one [`Metrics`] per running gateway, owning a
//! `prometheus::Registry` and every series in it, rendered by the admin `/metrics` route in the
//! text format 0.0.4. The S3 pipeline records requests here ([`Metrics::request`]), the blob store
//! times its gfapi calls ([`GfapiTimings`]), the admin route sets the point-in-time gauges
//! from a [`Snapshot`] just before rendering, and collectors from elsewhere register on
//! [`Metrics::registry`] (the Gluster gauges, `gluster::gauges::Gauges::register`, which read
//! the cluster collector's snapshot at each scrape; this module does not know them).
//!
//! Label values are always from a fixed set (operation names from `router::Endpoint::name()`,
//! error codes from the `Code` enum, status classes, gfapi call names): never from request input
//! such as bucket names, keys or methods, so the number of series stays bounded (the Gluster
//! gauges' labels are the cluster's own peer, volume and brick names). This module
//! must not do I/O itself: whatever needs the volume or the registry is measured by the caller.

use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::s3::error::Code;

/// The `operation` label of a request that failed before it was routed.
pub const UNKNOWN_OPERATION: &str = "Unknown";

/// Request latency buckets, in seconds: 1 ms to 60 s.
const REQUEST_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// gfapi call latency buckets, in seconds: 100 µs to 10 s.
const GFAPI_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The gfapi calls the blob store times (the `call` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GfapiCall {
    /// Opening a blob for reading.
    Open,
    /// Creating a blob's temp file.
    Create,
    /// Writing to a blob.
    Pwrite,
    /// Reading from a blob.
    Pread,
    /// Flushing a blob to the bricks.
    Fsync,
    /// Renaming a finished blob to its final name.
    Rename,
    /// Deleting a blob or a temp file.
    Unlink,
    /// Stat of a blob (sweeper, recovery).
    Stat,
    /// Setting a blob's metadata xattr.
    Setxattr,
    /// Reading a blob's metadata xattr.
    Getxattr,
}

impl GfapiCall {
    /// Every call, in label order.
    pub const ALL: [GfapiCall; 10] = [
        GfapiCall::Open,
        GfapiCall::Create,
        GfapiCall::Pwrite,
        GfapiCall::Pread,
        GfapiCall::Fsync,
        GfapiCall::Rename,
        GfapiCall::Unlink,
        GfapiCall::Stat,
        GfapiCall::Setxattr,
        GfapiCall::Getxattr,
    ];

    /// The `call` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            GfapiCall::Open => "open",
            GfapiCall::Create => "create",
            GfapiCall::Pwrite => "pwrite",
            GfapiCall::Pread => "pread",
            GfapiCall::Fsync => "fsync",
            GfapiCall::Rename => "rename",
            GfapiCall::Unlink => "unlink",
            GfapiCall::Stat => "stat",
            GfapiCall::Setxattr => "setxattr",
            GfapiCall::Getxattr => "getxattr",
        }
    }
}

/// `glusters3_gfapi_call_duration_seconds{call}`: cheap to clone, one histogram per call
/// resolved up front so timing a call never looks up a label.
#[derive(Clone)]
pub struct GfapiTimings {
    by_call: [Histogram; GfapiCall::ALL.len()],
}

impl std::fmt::Debug for GfapiTimings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GfapiTimings")
    }
}

impl GfapiTimings {
    fn from_vec(vec: &HistogramVec) -> GfapiTimings {
        GfapiTimings {
            by_call: GfapiCall::ALL.map(|c| vec.with_label_values(&[c.as_str()])),
        }
    }

    /// Timings registered nowhere (a store that nobody scrapes, e.g. in tools and tests).
    pub fn detached() -> GfapiTimings {
        GfapiTimings::from_vec(&gfapi_vec())
    }

    /// Runs `f` (one gfapi call) and records how long it took, whatever it returned.
    pub fn time<T>(&self, call: GfapiCall, f: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = f();
        self.observe(call, started.elapsed());
        out
    }

    /// Records one call that took `took`.
    pub fn observe(&self, call: GfapiCall, took: Duration) {
        let i = GfapiCall::ALL.iter().position(|c| *c == call).unwrap_or(0);
        self.by_call[i].observe(took.as_secs_f64());
    }
}

fn gfapi_vec() -> HistogramVec {
    HistogramVec::new(
        HistogramOpts::new(
            "glusters3_gfapi_call_duration_seconds",
            "Time spent in gfapi calls made by the blob store, by call.",
        )
        .buckets(GFAPI_BUCKETS.to_vec()),
        &["call"],
    )
    .expect("valid histogram options")
}

/// Point-in-time values the admin route measures just before a scrape.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The upload budget: (whole budget, what no body holds now), bytes.
    pub upload_budget: (usize, usize),
    /// The open-blob cache: (files kept now, hits since start, misses since start).
    pub open_blobs: (usize, u64, u64),
    /// Blobs queued for deletion in the registry, if the registry answered.
    pub gc_queue: Option<usize>,
    /// The volume's statvfs, if it answered.
    pub volume: Option<gfapi::StatVfs>,
}

/// Every series of one gateway, in its own registry.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    errors: IntCounterVec,
    duration: HistogramVec,
    bytes_received: IntCounterVec,
    bytes_sent: IntCounterVec,
    in_flight: IntGauge,
    gfapi: GfapiTimings,
    upload_budget: IntGaugeVec,
    open_blobs: IntGauge,
    open_blob_reads: IntCounterVec,
    gc_queue: IntGauge,
    volume_up: IntGauge,
    volume_bytes: IntGaugeVec,
    volume_inodes: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter options");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric name");
    c
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge options");
    registry
        .register(Box::new(g.clone()))
        .expect("unique metric name");
    g
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid gauge options");
    registry
        .register(Box::new(g.clone()))
        .expect("unique metric name");
    g
}

impl Metrics {
    /// A registry with every series of the gateway registered (and none recorded yet).
    ///
    /// # Panics
    ///
    /// Only on a bad series definition here (a name used twice, an invalid name): these are
    /// constants, so every test run would catch it.
    pub fn new() -> Metrics {
        let r = Registry::new();
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "glusters3_s3_request_duration_seconds",
                "Time from the start of an S3 request to its response head, by operation.",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
            &["operation"],
        )
        .expect("valid histogram options");
        r.register(Box::new(duration.clone()))
            .expect("unique metric name");
        let gfapi = gfapi_vec();
        r.register(Box::new(gfapi.clone())).expect("unique metric name");
        Metrics {
            requests: counter_vec(
                &r,
                "glusters3_s3_requests_total",
                "S3 requests answered, by operation and status class.",
                &["operation", "status"],
            ),
            errors: counter_vec(
                &r,
                "glusters3_s3_errors_total",
                "S3 requests answered with an error, by operation and S3 error code.",
                &["operation", "code"],
            ),
            duration,
            bytes_received: counter_vec(
                &r,
                "glusters3_s3_bytes_received_total",
                "Request body bytes read from S3 clients, by operation.",
                &["operation"],
            ),
            bytes_sent: counter_vec(
                &r,
                "glusters3_s3_bytes_sent_total",
                "Response body bytes handed to S3 clients, by operation (error documents not counted).",
                &["operation"],
            ),
            in_flight: gauge(&r, "glusters3_s3_requests_in_flight", "S3 requests being handled now."),
            gfapi: GfapiTimings::from_vec(&gfapi),
            upload_budget: gauge_vec(
                &r,
                "glusters3_upload_budget_bytes",
                "Memory for upload bodies on their way to the volume: the whole budget, and what no body holds now.",
                &["kind"],
            ),
            open_blobs: gauge(&r, "glusters3_open_blobs", "Blobs kept open for the next read of the same blob."),
            open_blob_reads: counter_vec(
                &r,
                "glusters3_open_blob_reads_total",
                "Blob reads served by a file kept open (hit) or by a new open (miss).",
                &["result"],
            ),
            gc_queue: gauge(
                &r,
                "glusters3_gc_queue_blobs",
                "Blobs no record references any more, queued for the sweeper to delete (-1: the registry did not answer).",
            ),
            volume_up: gauge(&r, "glusters3_volume_up", "Whether the volume answered a statvfs just now."),
            volume_bytes: gauge_vec(&r, "glusters3_volume_bytes", "Volume capacity in bytes.", &["kind"]),
            volume_inodes: gauge_vec(&r, "glusters3_volume_inodes", "Volume inodes.", &["kind"]),
            registry: r,
        }
    }

    /// The registry, for collectors registered from elsewhere.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The gfapi call timings, for the blob store.
    pub fn gfapi(&self) -> GfapiTimings {
        self.gfapi.clone()
    }

    /// Counts one request in flight until the returned guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Records one answered request: `status` is the HTTP status, `error` the S3 code of an
    /// error answer.
    pub fn request(&self, operation: &'static str, status: u16, error: Option<Code>, took: Duration) {
        let class = match status {
            0..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests.with_label_values(&[operation, class]).inc();
        if let Some(code) = error {
            self.errors.with_label_values(&[operation, code.as_str()]).inc();
        }
        self.duration
            .with_label_values(&[operation])
            .observe(took.as_secs_f64());
    }

    /// The request body byte counter of `operation`.
    pub fn bytes_received(&self, operation: &'static str) -> IntCounter {
        self.bytes_received.with_label_values(&[operation])
    }

    /// The response body byte counter of `operation`.
    pub fn bytes_sent(&self, operation: &'static str) -> IntCounter {
        self.bytes_sent.with_label_values(&[operation])
    }

    /// Sets the point-in-time gauges from `s` and renders every series (text format 0.0.4).
    pub fn render(&self, s: &Snapshot) -> String {
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let us = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        self.upload_budget
            .with_label_values(&["total"])
            .set(us(s.upload_budget.0));
        self.upload_budget
            .with_label_values(&["available"])
            .set(us(s.upload_budget.1));
        let (open_now, hits, misses) = s.open_blobs;
        self.open_blobs.set(us(open_now));
        for (result, total) in [("hit", hits), ("miss", misses)] {
            let c = self.open_blob_reads.with_label_values(&[result]);
            c.inc_by(total.saturating_sub(c.get()));
        }
        match s.gc_queue {
            Some(n) => self.gc_queue.set(us(n)),
            None => self.gc_queue.set(-1),
        }
        self.volume_up.set(i64::from(s.volume.is_some()));
        self.volume_bytes.reset();
        self.volume_inodes.reset();
        if let Some(v) = &s.volume {
            self.volume_bytes
                .with_label_values(&["total"])
                .set(as_i64(v.blocks * v.block_size));
            self.volume_bytes
                .with_label_values(&["available"])
                .set(as_i64(v.blocks_available * v.block_size));
            self.volume_inodes
                .with_label_values(&["total"])
                .set(as_i64(v.files));
            self.volume_inodes
                .with_label_values(&["free"])
                .set(as_i64(v.files_free));
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "encoding metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// One request in flight: decrements `glusters3_s3_requests_in_flight` when dropped (also when
/// the request is cancelled).
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the series `line_start` (metric name and labels, exactly as rendered).
    fn value(page: &str, series: &str) -> Option<f64> {
        page.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn renders_requests_by_operation_status_and_code() {
        let m = Metrics::new();
        let ms = Duration::from_millis(3);
        m.request("PutObject", 200, None, ms);
        m.request("GetObject", 200, None, ms);
        m.request("GetObject", 404, Some(Code::NoSuchKey), ms);
        m.request(UNKNOWN_OPERATION, 403, Some(Code::SignatureDoesNotMatch), ms);
        m.bytes_received("PutObject").inc_by(5);
        m.bytes_sent("GetObject").inc_by(7);
        let guard = m.in_flight();
        m.gfapi().time(GfapiCall::Fsync, || ());
        let page = m.render(&Snapshot {
            upload_budget: (100, 60),
            open_blobs: (2, 3, 4),
            gc_queue: Some(9),
            volume: None,
        });
        let want = [
            (
                r#"glusters3_s3_requests_total{operation="PutObject",status="2xx"}"#,
                1.0,
            ),
            (
                r#"glusters3_s3_requests_total{operation="GetObject",status="2xx"}"#,
                1.0,
            ),
            (
                r#"glusters3_s3_requests_total{operation="GetObject",status="4xx"}"#,
                1.0,
            ),
            (
                r#"glusters3_s3_requests_total{operation="Unknown",status="4xx"}"#,
                1.0,
            ),
            (
                r#"glusters3_s3_errors_total{code="NoSuchKey",operation="GetObject"}"#,
                1.0,
            ),
            (
                r#"glusters3_s3_errors_total{code="SignatureDoesNotMatch",operation="Unknown"}"#,
                1.0,
            ),
            (
                r#"glusters3_s3_request_duration_seconds_count{operation="GetObject"}"#,
                2.0,
            ),
            (
                r#"glusters3_s3_request_duration_seconds_bucket{operation="GetObject",le="0.005"}"#,
                2.0,
            ),
            (
                r#"glusters3_s3_request_duration_seconds_bucket{operation="GetObject",le="0.001"}"#,
                0.0,
            ),
            (r#"glusters3_s3_bytes_received_total{operation="PutObject"}"#, 5.0),
            (r#"glusters3_s3_bytes_sent_total{operation="GetObject"}"#, 7.0),
            ("glusters3_s3_requests_in_flight", 1.0),
            (
                r#"glusters3_gfapi_call_duration_seconds_count{call="fsync"}"#,
                1.0,
            ),
            (
                r#"glusters3_gfapi_call_duration_seconds_count{call="pread"}"#,
                0.0,
            ),
            (r#"glusters3_upload_budget_bytes{kind="total"}"#, 100.0),
            (r#"glusters3_upload_budget_bytes{kind="available"}"#, 60.0),
            ("glusters3_open_blobs", 2.0),
            (r#"glusters3_open_blob_reads_total{result="hit"}"#, 3.0),
            ("glusters3_gc_queue_blobs", 9.0),
            ("glusters3_volume_up", 0.0),
        ];
        for (series, v) in want {
            assert_eq!(value(&page, series), Some(v), "{series} in:\n{page}");
        }
        assert!(
            page.contains("# TYPE glusters3_s3_requests_total counter"),
            "{page}"
        );
        assert!(
            page.contains("# TYPE glusters3_s3_request_duration_seconds histogram"),
            "{page}"
        );
        assert!(!page.contains("glusters3_volume_bytes{"), "{page}");
        drop(guard);
        let page = m.render(&Snapshot::default());
        assert_eq!(
            value(&page, "glusters3_s3_requests_in_flight"),
            Some(0.0),
            "{page}"
        );
        // Counters fed from totals only move forward.
        assert_eq!(
            value(&page, r#"glusters3_open_blob_reads_total{result="hit"}"#),
            Some(3.0),
            "{page}"
        );
    }

    #[test]
    fn volume_capacity_when_the_volume_answers() {
        let m = Metrics::new();
        let v = gfapi::StatVfs {
            block_size: 4096,
            blocks: 10,
            blocks_free: 5,
            blocks_available: 4,
            files: 100,
            files_free: 50,
            name_max: 255,
        };
        let page = m.render(&Snapshot {
            volume: Some(v),
            ..Snapshot::default()
        });
        assert_eq!(value(&page, "glusters3_volume_up"), Some(1.0), "{page}");
        assert_eq!(
            value(&page, r#"glusters3_volume_bytes{kind="total"}"#),
            Some(40960.0),
            "{page}"
        );
        assert_eq!(
            value(&page, r#"glusters3_volume_inodes{kind="free"}"#),
            Some(50.0),
            "{page}"
        );
    }
}
