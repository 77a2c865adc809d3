//! `GET /admin/v1/buckets` on the admin listener: every bucket with its owner, region, creation
//! time, object count and bytes, and the totals, sorted by name (bearer token,
//! [`crate::admin_auth`]). The counts are the registry's per-bucket counters
//! ([`metadata::Registry::all_bucket_stats`]), kept by the same transactions that change the
//! objects: this route must not scan objects, must not change anything, and must not call the
//! registry outside [`crate::blocking`].

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use metadata::{BucketRecord, BucketStats};
use serde::Serialize;

use crate::admin_auth::{check_bearer, Refusal};
use crate::blocking;
use crate::s3::dates::iso8601;
use crate::s3::AppState;

/// Buckets read from the registry per page while building the answer.
const PAGE: usize = 1000;

/// One bucket as the route shows it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BucketUsage {
    /// Bucket name.
    pub name: String,
    /// Owner id as stored (the user's `owner_id`, else its access key).
    pub owner: String,
    /// Region it was created in.
    pub region: String,
    /// Creation time, ISO 8601 with milliseconds (`2026-12-03T09:00:00.000Z`).
    pub created: String,
    /// Completed objects (uploads in progress are not counted).
    pub objects: u64,
    /// Sum of their sizes.
    pub bytes: u64,
}

/// The route's answer.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BucketsView {
    /// Every bucket, by name.
    pub buckets: Vec<BucketUsage>,
    /// Objects in all buckets.
    pub objects: u64,
    /// Bytes in all buckets.
    pub bytes: u64,
}

/// Joins bucket records (in name order) with their counters.
pub fn view(buckets: Vec<BucketRecord>, stats: &BTreeMap<u64, BucketStats>) -> BucketsView {
    let mut total = BucketStats::default();
    let buckets = buckets
        .into_iter()
        .map(|b| {
            let s = stats.get(&b.id).copied().unwrap_or_default();
            total.add(s);
            BucketUsage {
                created: iso8601(b.created_ms),
                name: b.name,
                owner: b.owner,
                region: b.region,
                objects: s.objects,
                bytes: s.bytes,
            }
        })
        .collect();
    BucketsView {
        buckets,
        objects: total.objects,
        bytes: total.bytes,
    }
}

/// Registers the route; needs `web::Data<AppState>` (set by [`crate::admin::configure`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/v1/buckets", web::get().to(get_buckets));
}

fn json_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        r.insert_header(("WWW-Authenticate", "Bearer"));
    }
    r.json(serde_json::json!({ "error": code, "message": message }))
}

/// The bearer check, answered as every `/admin/v1/` route answers it (401, JSON, challenge).
fn refuse(req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    check_bearer(header, state.config.admin_token.as_ref())
        .err()
        .map(|r| {
            let msg = match r {
                Refusal::Missing => "an Authorization: Bearer <admin token> header is required",
                Refusal::Wrong => "the bearer token is not the admin token",
            };
            json_error(StatusCode::UNAUTHORIZED, "Unauthorized", msg)
        })
}

/// Every bucket (paged through the registry) and the counters, in one trip to the blocking pool.
fn read_all(registry: &metadata::Registry) -> metadata::Result<BucketsView> {
    let mut buckets = Vec::new();
    loop {
        let after = buckets.last().map(|b: &BucketRecord| b.name.clone());
        let (page, more) = registry.list_buckets(None, after.as_deref(), PAGE)?;
        buckets.extend(page);
        if !more {
            break;
        }
    }
    let stats = registry.all_bucket_stats()?;
    Ok(view(buckets, &stats))
}

async fn get_buckets(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(r) = refuse(&req, &state) {
        return r;
    }
    let registry = state.registry.clone();
    let read = blocking::run(move || read_all(&registry).map_err(|e| e.to_string())).await;
    match read.map_err(|e| e.to_string()) {
        Ok(Ok(v)) => HttpResponse::Ok().json(v),
        Ok(Err(e)) | Err(e) => {
            tracing::warn!(error = %e, "reading bucket usage");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "reading the registry failed",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, name: &str, created_ms: u64) -> BucketRecord {
        BucketRecord {
            id,
            name: name.into(),
            owner: "AKID".into(),
            region: "us-east-1".into(),
            created_ms,
            tags: Vec::new(),
            volume: String::new(),
            versioning: metadata::Versioning::Unversioned,
            configs: Vec::new(),
        }
    }

    /// The exact JSON the web console reads.
    #[test]
    fn json_shape() {
        let stats = BTreeMap::from([
            (
                1,
                BucketStats {
                    objects: 3,
                    bytes: 12345,
                },
            ),
            (9, BucketStats { objects: 1, bytes: 1 }),
        ]);
        let v = view(
            vec![
                record(1, "a", 1_796_288_400_000),
                record(2, "b", 1_796_288_400_123),
            ],
            &stats,
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            concat!(
                r#"{"buckets":[{"name":"a","owner":"AKID","region":"us-east-1","#,
                r#""created":"2026-12-03T09:00:00.000Z","objects":3,"bytes":12345},"#,
                r#"{"name":"b","owner":"AKID","region":"us-east-1","#,
                r#""created":"2026-12-03T09:00:00.123Z","objects":0,"bytes":0}],"#,
                r#""objects":3,"bytes":12345}"#
            )
        );
    }

    #[test]
    fn paging_reads_every_bucket() {
        let reg = metadata::Registry::open_temporary().unwrap();
        for i in 0..(PAGE + 3) {
            reg.create_bucket(&format!("b{i:05}"), "o", "r", 0).unwrap();
        }
        let v = read_all(&reg).unwrap();
        assert_eq!(v.buckets.len(), PAGE + 3);
        assert!(v.buckets.windows(2).all(|w| w[0].name < w[1].name));
    }
}
