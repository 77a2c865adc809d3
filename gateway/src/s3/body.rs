//! Object bodies in both directions, as streams end to end.
//!
//! In: [`RequestBody`] is the decoded request payload (framing already removed), and
//! [`write_blob`] pipes it to one blocking writer through a small bounded channel: the actix
//! worker gathers 1 MiB buffers, the writer hashes them ([`BodyHasher`]) and `pwrite`s them,
//! then verifies every expectation and only then makes the blob durable and visible. A body
//! that fails anywhere (client gone, digest mismatch, volume error) leaves no blob behind.
//! Out: [`read_blobs`] streams a byte range of an object's blobs with read-ahead of one chunk.
//! Must not buffer a whole object, and must not call gfapi on the async executor.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use crate::blocking;
use crate::s3::checksum::{Algorithm, BodyDigest, BodyHasher, Expectations};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::response::ByteStream;
use crate::store::BlobStore;

/// Size of the buffers handed to the volume: large enough that gfapi round trips do not
/// dominate, small enough that 32 concurrent uploads stay far below the memory target.
pub const IO_CHUNK: usize = 1 << 20;

/// A stream of request body bytes (not `Send`: it lives on one actix worker).
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, S3Error>>>>;

/// A checksum that arrives in an aws-chunked trailer, filled in by the decoder when it reaches
/// the end of the body.
pub type TrailerSlot = Rc<RefCell<Option<(Algorithm, String)>>>;

/// The request payload after transport framing and signature checks.
pub struct RequestBody {
    stream: BodyStream,
    /// SHA-256 the payload must hash to (signed `x-amz-content-sha256`).
    pub sha256: Option<[u8; 32]>,
    /// The payload's length when known (Content-Length, or `x-amz-decoded-content-length`).
    pub length: Option<u64>,
    /// Where an aws-chunked decoder leaves the trailer's checksum.
    pub trailer: Option<TrailerSlot>,
}

impl RequestBody {
    /// Wraps a decoded stream.
    pub fn new(stream: BodyStream, length: Option<u64>) -> RequestBody {
        RequestBody {
            stream,
            sha256: None,
            length,
            trailer: None,
        }
    }

    /// An empty body (tests, and requests without one).
    pub fn empty() -> RequestBody {
        RequestBody::new(Box::pin(futures_util::stream::empty()), Some(0))
    }

    /// Reads a small body completely (XML requests), refusing more than `max` bytes and
    /// checking the signed payload hash.
    pub async fn collect(mut self, max: usize) -> S3Result<Bytes> {
        let mut buf = BytesMut::new();
        while let Some(chunk) = self.stream.next().await {
            let chunk = chunk?;
            if buf.len() + chunk.len() > max {
                return Err(S3Error::with_message(
                    Code::InvalidRequest,
                    format!("The request body is larger than the {max} bytes this operation accepts."),
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        if let Some(want) = self.sha256 {
            use sha2::Digest as _;
            if sha2::Sha256::digest(&buf)[..] != want[..] {
                return Err(S3Error::new(Code::XAmzContentSHA256Mismatch));
            }
        }
        Ok(buf.freeze())
    }

    /// Whether the body is known to be empty.
    pub fn is_known_empty(&self) -> bool {
        self.length == Some(0)
    }
}

/// A blob written by [`write_blob`].
#[derive(Clone, Debug)]
pub struct WrittenBlob {
    /// Its path on the volume.
    pub path: String,
    /// What the body hashed to.
    pub digest: BodyDigest,
}

enum Msg {
    Data(Bytes),
    End(Option<(Algorithm, String)>),
}

/// Streams `body` into a new blob of `bucket_id`. `exp` says what to verify; `meta` builds
/// the `user.s3.meta` xattr from the digest once the body is verified. The blob is durable
/// (fsync) and under its final name when this returns `Ok`; on any error nothing is left.
pub async fn write_blob<F>(
    store: &BlobStore,
    bucket_id: u64,
    body: RequestBody,
    mut exp: Expectations,
    meta: F,
) -> S3Result<WrittenBlob>
where
    F: FnOnce(&BodyDigest) -> Vec<u8> + Send + 'static,
{
    let RequestBody {
        mut stream,
        sha256,
        length,
        trailer,
    } = body;
    exp.sha256 = exp.sha256.or(sha256);
    exp.length = exp.length.or(length);
    let (tx, mut rx) = mpsc::channel::<Msg>(2);
    let store = store.clone();
    let writer = tokio::task::spawn_blocking(move || -> S3Result<WrittenBlob> {
        let mut w = store.writer(bucket_id)?;
        let mut h = BodyHasher::new(exp);
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Data(buf) => {
                    h.update(&buf);
                    w.write(&buf)?;
                }
                Msg::End(trailer) => {
                    let digest = h.finish(trailer)?;
                    let (path, _) = w.finish(&meta(&digest))?;
                    return Ok(WrittenBlob { path, digest });
                }
            }
        }
        // The sender went away without End: the body failed. Dropping `w` removes the temp file.
        Err(S3Error::new(Code::IncompleteBody))
    });

    // Exactly IO_CHUNK-sized buffers, allocated once each: growing a buffer by doubling would
    // hold up to twice the chunk per upload and copy it on every doubling.
    let mut acc = BytesMut::with_capacity(IO_CHUNK);
    let mut failure = None;
    'body: while let Some(item) = stream.next().await {
        match item {
            Ok(mut b) => {
                while !b.is_empty() {
                    let take = (IO_CHUNK - acc.len()).min(b.len());
                    acc.extend_from_slice(&b.split_to(take));
                    if acc.len() == IO_CHUNK {
                        let full = std::mem::replace(&mut acc, BytesMut::with_capacity(IO_CHUNK));
                        if tx.send(Msg::Data(full.freeze())).await.is_err() {
                            break 'body; // the writer failed; its error is reported below
                        }
                    }
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if failure.is_none() {
        if !acc.is_empty() {
            let _ = tx.send(Msg::Data(acc.freeze())).await;
        }
        let t = trailer.and_then(|slot| slot.borrow_mut().take());
        let _ = tx.send(Msg::End(t)).await;
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| S3Error::internal(format!("blob writer failed: {e}")))?;
    match failure {
        Some(e) => Err(e),
        None => written,
    }
}

/// Streams bytes `[start, end)` of an object made of `blobs` (path, size) in order. The first
/// blob is opened before this returns, so a missing blob is an error here, not a cut stream.
pub async fn read_blobs(
    store: &BlobStore,
    blobs: Vec<(String, u64)>,
    start: u64,
    end: u64,
) -> S3Result<ByteStream> {
    // Which blobs overlap the range, and where in each.
    let mut pieces = Vec::new();
    let mut base = 0u64;
    for (path, size) in blobs {
        let (b_start, b_end) = (base, base + size);
        base = b_end;
        if b_end <= start || b_start >= end || size == 0 {
            continue;
        }
        pieces.push((path, start.max(b_start) - b_start, end.min(b_end) - b_start));
    }
    if pieces.is_empty() {
        return Ok(Box::pin(futures_util::stream::empty()));
    }
    let store2 = store.clone();
    let first_path = pieces[0].0.clone();
    let first = blocking::try_run(move || Ok(store2.open_blob(&first_path)?)).await?;

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut first = Some(first);
        for (path, from, to) in pieces {
            let file = match first.take() {
                Some(f) => f,
                None => match store.open_blob(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                },
            };
            let mut off = from;
            while off < to {
                let want = usize::try_from((to - off).min(IO_CHUNK as u64)).unwrap_or(IO_CHUNK);
                let mut buf = BytesMut::zeroed(want);
                let item = match file.read_full_at(&mut buf, off) {
                    Ok(n) if n == want => Ok(buf.freeze()),
                    Ok(n) => Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "blob {path} is shorter than its record ({} < {to})",
                            off + n as u64
                        ),
                    )),
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                if tx.blocking_send(item).is_err() || failed {
                    return; // client gone, or error delivered
                }
                off += want as u64;
            }
        }
    });
    Ok(Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })))
}

/// Copies bytes `[start, end)` of an object made of `src` blobs (path, size) into a new blob of
/// `bucket_id`, on the volume (the bytes never leave the gateway host), hashing as they pass.
/// Same guarantees as [`write_blob`]: durable and visible when `Ok`, nothing left on error.
pub async fn copy_blobs<F>(
    store: &BlobStore,
    bucket_id: u64,
    src: Vec<(String, u64)>,
    start: u64,
    end: u64,
    exp: Expectations,
    meta: F,
) -> S3Result<WrittenBlob>
where
    F: FnOnce(&BodyDigest) -> Vec<u8> + Send + 'static,
{
    let store = store.clone();
    blocking::try_run(move || {
        let mut w = store.writer(bucket_id)?;
        let mut h = BodyHasher::new(exp);
        let mut base = 0u64;
        let mut buf = vec![0u8; IO_CHUNK];
        for (path, size) in src {
            let (b_start, b_end) = (base, base + size);
            base = b_end;
            if b_end <= start || b_start >= end || size == 0 {
                continue;
            }
            let file = store.open_blob(&path)?;
            let (mut off, to) = (start.max(b_start) - b_start, end.min(b_end) - b_start);
            while off < to {
                let want = usize::try_from((to - off).min(IO_CHUNK as u64)).unwrap_or(IO_CHUNK);
                let n = file.read_full_at(&mut buf[..want], off)?;
                if n != want {
                    return Err(S3Error::internal(format!(
                        "blob {path} is shorter than its record"
                    )));
                }
                h.update(&buf[..n]);
                w.write(&buf[..n])?;
                off += n as u64;
            }
        }
        let digest = h.finish(None)?;
        let (path, _) = w.finish(&meta(&digest))?;
        Ok(WrittenBlob { path, digest })
    })
    .await
}
