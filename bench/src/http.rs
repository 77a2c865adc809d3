//! One keep-alive HTTP/1.1 connection per load worker, over hyper's low-level client.
//!
//! Owns: connecting (with `TCP_NODELAY`), reconnecting after the server closed the connection,
//! sending one request with a body that is shared, not copied (`Bytes`), and draining the
//! response body while counting it. Must not pool connections across workers (each worker's
//! latency is its own connection's), must not buffer response bodies except when asked to keep
//! them (listings), and talks only to the address it was given.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The longest any one request may take (a 64 MiB body at 32 concurrent uploads on a slow
/// peer is well under it); past it the request is an error, so every loop stays bounded.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// How a transport error that is a time-out starts (callers tell it from a refused connection).
pub const TIMEOUT_PREFIX: &str = "no response in";

/// A response: status, bytes of body received, and the body itself when it was kept.
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Body bytes received.
    pub len: u64,
    /// The body, when the caller asked to keep it.
    pub body: Option<Bytes>,
    /// The `Retry-After` header, when the server sent one.
    pub retry_after: Option<String>,
    /// The `ETag` header, when the server sent one (multipart uploads need the parts').
    pub etag: Option<String>,
}

/// A worker's connection to one server.
pub struct Conn {
    addr: SocketAddr,
    host: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    timeout: Duration,
}

impl Conn {
    /// A connection to `addr`, opened lazily; `host` is the `Host` header value.
    pub fn new(addr: SocketAddr, host: &str) -> Conn {
        Conn {
            addr,
            host: host.to_owned(),
            sender: None,
            timeout: REQUEST_TIMEOUT,
        }
    }

    /// The same connection with another per-request time limit than [`REQUEST_TIMEOUT`].
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Conn {
        self.timeout = timeout;
        self
    }

    async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if let Some(s) = self.sender.as_mut() {
            if s.ready().await.is_err() {
                self.sender = None;
            }
        }
        if self.sender.is_none() {
            let tcp = TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("connect {}: {e}", self.addr))?;
            tcp.set_nodelay(true).map_err(|e| e.to_string())?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| "no connection".to_owned())
    }

    /// Sends `method` on `path_query` with `body` and an optional `Range: bytes=a-b` header,
    /// and reads the whole response (kept only if `keep`). Any transport failure drops the
    /// connection, so the next request reconnects.
    pub async fn send(
        &mut self,
        method: Method,
        path_query: &str,
        body: Bytes,
        range: Option<(u64, u64)>,
        keep: bool,
    ) -> Result<Response, String> {
        let res = tokio::time::timeout(
            self.timeout,
            self.send_inner(method, path_query, body, range, keep),
        )
        .await
        .unwrap_or_else(|_| Err(format!("{TIMEOUT_PREFIX} {}s", self.timeout.as_secs())));
        if res.is_err() {
            self.sender = None;
        }
        res
    }

    async fn send_inner(
        &mut self,
        method: Method,
        path_query: &str,
        body: Bytes,
        range: Option<(u64, u64)>,
        keep: bool,
    ) -> Result<Response, String> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path_query)
            .header(hyper::header::HOST, self.host.as_str());
        if method == Method::PUT || method == Method::POST {
            // hyper leaves out `Content-Length: 0`; S3 wants it on every upload.
            req = req.header(hyper::header::CONTENT_LENGTH, body.len());
        }
        if let Some((first, last)) = range {
            req = req.header(hyper::header::RANGE, format!("bytes={first}-{last}"));
        }
        let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
        let sender = self.ready().await?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(hyper::header::RETRY_AFTER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let etag = resp
            .headers()
            .get(hyper::header::ETAG)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut body = resp.into_body();
        let mut kept = keep.then(BytesMut::new);
        let mut len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("response body: {e}"))?;
            if let Ok(data) = frame.into_data() {
                len += data.len() as u64;
                if let Some(k) = kept.as_mut() {
                    k.extend_from_slice(&data);
                }
            }
        }
        Ok(Response {
            status,
            len,
            body: kept.map(BytesMut::freeze),
            retry_after,
            etag,
        })
    }
}
