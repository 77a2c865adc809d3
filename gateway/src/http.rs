//! actix-web glue, and nothing else: turns an actix request into `RequestInfo` plus a body
//! stream, calls `s3::handle`, and turns the `S3Response` or `S3Error` back into an actix
//! response (request id headers, XML error body, no body for HEAD). One catch-all service:
//! S3 routing is ours, not actix's. Must not contain S3 semantics.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody, SizedStream};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::s3::error::{Code, S3Error};
use crate::s3::request::{self, RequestInfo};
use crate::s3::response::{Body, S3Response};
use crate::s3::{self, xml, AppState};

/// Registers the S3 service on an actix app: every method, every path.
pub fn configure(state: Arc<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(state))
            .default_service(web::to(entry));
    }
}

/// A request id: process start time mixed with a counter, 16 hex digits, unique per process.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(rand::random::<u64>);
    format!("{:016X}", base.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)))
}

async fn entry(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    // Every value is kept, byte for byte: non-ASCII `x-amz-meta-*` values are signed and stored.
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), request::header_value(v.as_bytes())));
    let mut info = RequestInfo::new(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
        headers,
        request_id(),
    );
    // The connection's own address and transport, never forwarded headers a client could set.
    info.peer = req.peer_addr().map(|a| a.ip());
    info.secure = req.app_config().secure();
    let is_head = req.method() == actix_web::http::Method::HEAD;
    let body: s3::body::BodyStream = Box::pin(payload.map(|chunk| {
        chunk.map_err(|e| {
            S3Error::with_message(Code::IncompleteBody, format!("reading the request body: {e}"))
        })
    }));
    let started = std::time::Instant::now();
    let method = info.method.as_str().to_owned();
    let path = info.raw_path.clone();
    let id = info.request_id.clone();
    let result = s3::handle(state.into_inner(), info, body).await;
    let resp = match result {
        Ok(r) => render(r, &id),
        Err(e) => {
            if e.status() >= 500 {
                tracing::error!(request_id = %id, %method, %path, error = %e, "request failed");
            } else {
                tracing::debug!(request_id = %id, %method, %path, code = e.code.as_str(), "client error");
            }
            render_error(&e, &path, &id, is_head)
        }
    };
    tracing::debug!(request_id = %id, %method, %path, status = resp.status().as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "done");
    resp
}

fn builder(status: u16, id: &str) -> HttpResponseBuilder {
    let mut b =
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    b.insert_header(("x-amz-request-id", id.to_owned()));
    b.insert_header(("x-amz-id-2", id.to_owned()));
    b.insert_header(("server", "glusters3"));
    b
}

fn render(r: S3Response, id: &str) -> HttpResponse {
    let mut b = builder(r.status, id);
    for (k, v) in r.headers {
        match actix_web::http::header::HeaderValue::from_bytes(&request::header_bytes(&v)) {
            Ok(v) => {
                b.append_header((k.as_ref(), v));
            }
            Err(_) => tracing::warn!(header = %k, "dropping a header value that is not valid in HTTP"),
        }
    }
    match r.body {
        Body::Empty => b.finish(),
        Body::Full(bytes) => b.body(bytes),
        Body::Stream { len, stream } => b.body(SizedStream::new(len, stream)),
        Body::HeadOnly(len) => b.body(HeadBody(len)),
    }
}

/// The error document (no body for HEAD, as AWS does).
fn render_error(e: &S3Error, path: &str, id: &str, is_head: bool) -> HttpResponse {
    let mut b = builder(e.status(), id);
    for (k, v) in &e.headers {
        b.insert_header((*k, v.clone()));
    }
    if e.code == Code::RequestTimeout {
        // The rest of a stalled body may still come: never read it as the next request.
        b.force_close();
    }
    if e.code == Code::NotModified || is_head {
        return b.finish();
    }
    let message = if e.code == Code::InternalError {
        Code::InternalError.message().to_owned()
    } else {
        e.message.to_string()
    };
    let doc = xml::ErrorResponse {
        code: e.code.as_str().to_owned(),
        message,
        resource: Some(e.resource.clone().unwrap_or_else(|| path.to_owned())),
        extra: e.extra.clone(),
        request_id: id.to_owned(),
        host_id: Some(id.to_owned()),
    };
    b.content_type("application/xml").body(doc.to_xml())
}

/// An empty body that announces `len` bytes: the Content-Length of a HEAD response.
struct HeadBody(u64);

impl MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0)
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}
