//! The S3 side: workloads against an S3 endpoint (the gateway or the peer) over presigned URLs,
//! one keep-alive connection per worker, all workers on one tokio thread.
//!
//! Owns the mapping of each [`Plan`] to an S3 request and the check of its answer (status, and
//! for downloads the byte count), the listing cursor (a random start, then continuation
//! tokens) and the async runner. Must not send anything anywhere but the endpoint it is given,
//! which the CLI restricts to loopback addresses.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use hyper::Method;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::Barrier;

use crate::http::Conn;
use crate::presign::Signer;
use crate::stats::WorkerStats;
use crate::work::{range_len, Clock, Plan, Planner, Workload, PAGE, PAGES_PER_WALK};

/// Where and as whom to send requests.
#[derive(Clone, Debug)]
pub struct S3Target {
    /// Server address (loopback).
    pub addr: SocketAddr,
    /// Access key.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Region the signatures name.
    pub region: String,
    /// Bucket for object workloads.
    pub bucket: String,
}

impl S3Target {
    fn signer(&self) -> Signer {
        Signer::now(
            &self.access_key,
            &self.secret_key,
            &self.region,
            &self.addr.to_string(),
        )
    }

    /// Creates the object bucket; "already exists" is fine.
    pub async fn create_bucket(&self) -> Result<(), String> {
        let s = self.signer();
        let mut conn = Conn::new(self.addr, s.host());
        let url = s.presign("PUT", &format!("/{}", self.bucket), &[]);
        let r = conn.send(Method::PUT, &url, Bytes::new(), None, true).await?;
        match r.status {
            200 | 409 => Ok(()),
            st => Err(format!(
                "CreateBucket {}: HTTP {st}: {}",
                self.bucket,
                String::from_utf8_lossy(&r.body.unwrap_or_default())
            )),
        }
    }
}

/// The listing cursor of one worker.
struct ListCursor {
    token: Option<String>,
    left_in_walk: u64,
    rng: StdRng,
}

/// One worker: a connection, a signer, the upload payload.
struct Worker {
    t: Arc<S3Target>,
    conn: Conn,
    signer: Signer,
    payload: Bytes,
    size: u64,
    list_bucket: String,
    list_keys: u64,
    cursor: ListCursor,
}

fn expect(status: u16, want: u16, what: &str) -> Result<(), String> {
    if status == want {
        Ok(())
    } else {
        Err(format!("{what}: HTTP {status}"))
    }
}

/// The text of the first `<tag>` element of an XML document.
pub(crate) fn xml_text<'a>(doc: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = doc.find(&open)? + open.len();
    let end = doc[start..].find("</")? + start;
    Some(&doc[start..end])
}

impl Worker {
    fn path(&self, key: &str) -> String {
        format!("/{}/{key}", self.t.bucket)
    }

    async fn exec(&mut self, plan: &Plan) -> Result<u64, String> {
        match plan {
            Plan::Put(k) => {
                let url = self.signer.presign("PUT", &self.path(k), &[]);
                let r = self
                    .conn
                    .send(Method::PUT, &url, self.payload.clone(), None, false)
                    .await?;
                expect(r.status, 200, "PUT")?;
                Ok(self.size)
            }
            Plan::Get(k) => {
                let url = self.signer.presign("GET", &self.path(k), &[]);
                let r = self
                    .conn
                    .send(Method::GET, &url, Bytes::new(), None, false)
                    .await?;
                expect(r.status, 200, "GET")?;
                if r.len != self.size {
                    return Err(format!("GET {k}: {} bytes, expected {}", r.len, self.size));
                }
                Ok(r.len)
            }
            Plan::Range(k, first, last) => {
                let url = self.signer.presign("GET", &self.path(k), &[]);
                let r = self
                    .conn
                    .send(Method::GET, &url, Bytes::new(), Some((*first, *last)), false)
                    .await?;
                expect(r.status, 206, "ranged GET")?;
                if r.len != range_len(*first, *last) {
                    return Err(format!("ranged GET {k}: {} bytes", r.len));
                }
                Ok(r.len)
            }
            Plan::Head(k) => {
                let url = self.signer.presign("HEAD", &self.path(k), &[]);
                let r = self
                    .conn
                    .send(Method::HEAD, &url, Bytes::new(), None, false)
                    .await?;
                expect(r.status, 200, "HEAD")?;
                Ok(0)
            }
            Plan::Delete(k) => {
                let url = self.signer.presign("DELETE", &self.path(k), &[]);
                let r = self
                    .conn
                    .send(Method::DELETE, &url, Bytes::new(), None, false)
                    .await?;
                expect(r.status, 204, "DELETE")?;
                Ok(0)
            }
            Plan::List => self.list_page().await,
        }
    }

    /// One ListObjectsV2 page of 1,000 keys; returns the XML's size.
    async fn list_page(&mut self) -> Result<u64, String> {
        let start;
        let mut params: Vec<(&str, &str)> = vec![("list-type", "2"), ("max-keys", "1000")];
        match (&self.cursor.token, self.cursor.left_in_walk) {
            (Some(t), n) if n > 0 => params.push(("continuation-token", t)),
            _ => {
                start = Planner::list_start(&mut self.cursor.rng, self.list_keys);
                self.cursor.left_in_walk = PAGES_PER_WALK;
                params.push(("start-after", &start));
            }
        }
        let url = self
            .signer
            .presign("GET", &format!("/{}", self.list_bucket), &params);
        let r = self
            .conn
            .send(Method::GET, &url, Bytes::new(), None, true)
            .await?;
        expect(r.status, 200, "ListObjectsV2")?;
        let body = r.body.unwrap_or_default();
        let doc = String::from_utf8_lossy(&body);
        let keys = doc.matches("<Key>").count();
        self.cursor.left_in_walk -= 1;
        self.cursor.token = xml_text(&doc, "NextContinuationToken").map(str::to_owned);
        if keys != PAGE {
            self.cursor.left_in_walk = 0;
            return Err(format!("ListObjectsV2 page of {keys} keys, expected {PAGE}"));
        }
        Ok(r.len)
    }
}

/// Runs workload `w` against `t` with `pool` as the existing keys, on the current tokio
/// runtime. Returns each worker's measurements, the keys that `Put`s created (warm-up
/// included), and the measured start (`snapshot` runs exactly once, at that start).
pub async fn run(
    t: Arc<S3Target>,
    w: &Workload,
    pool: Arc<Vec<String>>,
    snapshot: Arc<dyn Fn() + Send + Sync>,
) -> (WorkerStats, Vec<String>) {
    let payload = Bytes::from(crate::payload(w.size));
    let barrier = Arc::new(Barrier::new(w.conc));
    let start: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let warm_end = Instant::now() + w.warmup;
    let mut tasks = Vec::with_capacity(w.conc);
    for i in 0..w.conc {
        let mut worker = Worker {
            conn: Conn::new(t.addr, &t.addr.to_string()),
            signer: t.signer(),
            t: t.clone(),
            payload: payload.clone(),
            size: w.size,
            list_bucket: w.list_from.clone(),
            list_keys: w.size,
            cursor: ListCursor {
                token: None,
                left_in_walk: 0,
                rng: StdRng::seed_from_u64(0x11 + i as u64),
            },
        };
        let mut planner = Planner::new(w, i, pool.clone());
        let (barrier, start, snapshot, w) = (barrier.clone(), start.clone(), snapshot.clone(), w.clone());
        tasks.push(tokio::spawn(async move {
            let mut created = Vec::new();
            // Warm-up: same operations, not recorded.
            while Instant::now() < warm_end {
                let Some(plan) = planner.next() else { break };
                let ok = worker.exec(&plan).await.is_ok();
                if let (Plan::Put(k), true) = (plan, ok) {
                    created.push(k);
                }
            }
            barrier.wait().await;
            let t0 = *start.get_or_init(|| {
                snapshot();
                Instant::now()
            });
            let clock = Clock::start(t0, w.duration);
            let mut stats = WorkerStats::default();
            let mut done = 0u64;
            while clock.go_on(done) {
                let Some(plan) = planner.next() else { break };
                let began = Instant::now();
                let res = worker.exec(&plan).await;
                let end = Instant::now();
                if let (Plan::Put(k), true) = (plan, res.is_ok()) {
                    created.push(k);
                }
                stats.record(res, end - began, end - t0);
                done += 1;
            }
            (stats, created)
        }));
    }
    let mut all = WorkerStats::default();
    let mut created = Vec::new();
    for t in tasks {
        match t.await {
            Ok((s, c)) => {
                all.merge(s);
                created.extend(c);
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert(format!("worker failed: {e}"));
            }
        }
    }
    (all, created)
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn finds_the_token() {
        let doc = "<ListBucketResult><Name>b</Name><NextContinuationToken>abc+/=</NextContinuationToken>";
        assert_eq!(xml_text(doc, "NextContinuationToken"), Some("abc+/="));
        assert_eq!(xml_text(doc, "Missing"), None);
    }
}
