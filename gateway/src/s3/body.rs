//! Object bodies in both directions, as streams end to end.
//!
//! In: [`RequestBody`] is the decoded request payload (framing already removed), and
//! [`write_blob`] pipes it to one blocking writer through a small bounded channel: the actix
//! worker gathers the pieces it receives (no copy) into ~1 MiB chunks within the process-wide
//! [`UploadBudget`], the writer `pwritev`s them while a hasher thread beside it hashes them
//! ([`BodyHasher`]); the writer then verifies every expectation and only then makes the blob
//! durable and visible. A body
//! that fails anywhere (client gone, digest mismatch, volume error) leaves no blob behind.
//! Out: [`read_blobs`] streams a byte range of an object's blobs with read-ahead of one chunk.
//! Must not buffer a whole object, and must not call gfapi on the async executor.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use crate::blocking;
use crate::s3::checksum::{Algorithm, BodyDigest, BodyHasher, Expectations};
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::response::ByteStream;
use crate::s3::sse::{self, Key, Opener, Sealer, SseError};
use crate::store::BlobStore;

/// Size of the buffers handed to the volume: large enough that gfapi round trips do not
/// dominate, small enough that 32 concurrent uploads stay far below the memory target.
pub const IO_CHUNK: usize = 1 << 20;

/// A stream of request body bytes (not `Send`: it lives on one actix worker).
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, S3Error>>>>;

/// `stream`, failing with `EntityTooLarge` once it has carried more than `max` bytes (a body
/// whose length nobody announced).
pub fn capped(stream: BodyStream, max: u64) -> BodyStream {
    // State: bytes seen so far, or None once the cap was hit (the stream then ends).
    Box::pin(stream.scan(Some(0u64), move |seen, item| {
        let out = match (seen.as_mut(), item) {
            (None, _) => None,
            (Some(n), Ok(b)) => {
                *n += b.len() as u64;
                if *n > max {
                    *seen = None;
                    Some(Err(
                        S3Error::new(Code::EntityTooLarge).extra("MaxSizeAllowed", max.to_string())
                    ))
                } else {
                    Some(Ok(b))
                }
            }
            (Some(_), Err(e)) => Some(Err(e)),
        };
        std::future::ready(out)
    }))
}

/// A request body that fails with `RequestTimeout` when its client stays silent for longer
/// than a limit while the gateway waits for it. The clock starts when a read finds nothing to
/// read (so time the gateway spends elsewhere, waiting for the upload budget or the volume,
/// never counts against the client) and stops at the next byte; the timer is only created
/// the first time a body stalls, so a body that streams costs nothing extra.
pub struct ReadTimeout {
    inner: BodyStream,
    limit: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: bool,
    done: bool,
}

impl ReadTimeout {
    /// Wraps `inner`.
    pub fn new(inner: BodyStream, limit: Duration) -> ReadTimeout {
        ReadTimeout {
            inner,
            limit,
            timer: None,
            armed: false,
            done: false,
        }
    }
}

impl Stream for ReadTimeout {
    type Item = Result<Bytes, S3Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(item) => {
                this.armed = false;
                this.done = item.is_none();
                Poll::Ready(item)
            }
            Poll::Pending => {
                let deadline = tokio::time::Instant::now() + this.limit;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !this.armed {
                    this.armed = true;
                    timer.as_mut().reset(deadline);
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.done = true;
                        Poll::Ready(Some(Err(S3Error::new(Code::RequestTimeout))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

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
    /// The body came in HTTP chunked framing without a Content-Length (curl `-T -`): its
    /// length is known only at its end, and `length` is `None`.
    pub chunked: bool,
}

impl RequestBody {
    /// Wraps a decoded stream.
    pub fn new(stream: BodyStream, length: Option<u64>) -> RequestBody {
        RequestBody {
            stream,
            sha256: None,
            length,
            trailer: None,
            chunked: false,
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
    /// The volume it is on.
    pub volume: String,
    /// What the body hashed to.
    pub digest: BodyDigest,
}

/// The memory all request bodies on their way to the volume may hold together, in bytes.
///
/// Every piece of a body takes its size from the budget when it arrives and gives it back
/// once the volume has it. With the budget spent, uploads stop reading from their sockets, so
/// TCP holds the clients back: 32 concurrent 64 MiB uploads hold the budget, not 32 x their
/// pipelines. A body that must wait first hands what it holds to its writer, so every byte
/// of the budget is always on its way to the volume and waiting cannot deadlock.
///
/// A body waits for the budget at most [`UploadBudget::max_wait`], then fails with 503
/// `SlowDown` (the budget is only ever held by bytes on their way to the volume, see
/// `write_blob`, so a wait that long means the volume is not keeping up).
#[derive(Clone, Debug)]
pub struct UploadBudget {
    sem: Arc<Semaphore>,
    total: usize,
    max_wait: Duration,
}

impl UploadBudget {
    /// A budget of `bytes` (at least one [`IO_CHUNK`]).
    pub fn new(bytes: usize) -> UploadBudget {
        let total = bytes.clamp(IO_CHUNK, Semaphore::MAX_PERMITS);
        UploadBudget {
            sem: Arc::new(Semaphore::new(total)),
            total,
            max_wait: Duration::from_secs(20),
        }
    }

    /// Sets the longest wait of a body for budget (default 20 s).
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> UploadBudget {
        self.max_wait = max_wait;
        self
    }

    /// The longest wait of a body for budget.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The whole budget, bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes not held by any body right now.
    pub fn available(&self) -> usize {
        self.sem.available_permits()
    }

    fn permits(&self, len: usize) -> u32 {
        // A piece larger than the whole budget takes the whole budget.
        u32::try_from(len.clamp(1, self.total)).unwrap_or(u32::MAX)
    }
}

/// One piece of a body as it arrived, with the budget it holds. The hasher and the writer
/// each hold it; the budget comes back when both are done with it.
struct Piece {
    bytes: Bytes,
    _held: OwnedSemaphorePermit,
}

enum Msg {
    /// Pieces that go to the volume in one `pwritev` (~1 MiB).
    Data(Vec<Arc<Piece>>),
    End(Option<(Algorithm, String)>),
}

/// How long a body may go without a new piece before it hands what it holds to its writer: a
/// client that pauses (or stalls, until `ReadTimeout` ends it) must not keep budget that other
/// uploads need. Short next to a stall, long next to the gaps between the pieces of a body
/// that streams (those never reach it, so full ~1 MiB volume writes stay the rule).
const IDLE_FLUSH: Duration = Duration::from_millis(50);

/// Bodies up to this size are hashed in the writer; larger ones on a thread beside it.
const INLINE_HASH_MAX: u64 = 128 << 10;

/// Pieces a body's hasher may have queued. The hasher (~600 MB/s) outruns any socket here, so
/// the queue is almost always empty; every queued piece still holds its share of the budget.
const HASH_QUEUE: usize = 64;

/// Where a body is hashed: in the writer (small bodies: a thread hop would cost more than the
/// hashing), or on a thread of its own that gets every piece as it arrives, so that MD5
/// (~1.7 ms per MiB here) overlaps the network and the volume writes instead of adding to
/// them (measured: 1.7 ms of the 12.9 ms of a 1 MiB PUT when done after the body).
enum Hashing {
    Inline(Box<BodyHasher>),
    Parallel(oneshot::Receiver<BodyHasher>),
}

/// Starts the hasher thread of a large body: it hashes every piece it is sent and hands the
/// hasher back when its sender is dropped.
fn spawn_hasher(exp: Expectations) -> (mpsc::Sender<Arc<Piece>>, oneshot::Receiver<BodyHasher>) {
    let (htx, mut hrx) = mpsc::channel::<Arc<Piece>>(HASH_QUEUE);
    let (done_tx, done_rx) = oneshot::channel();
    blocking::spawn(move || {
        let mut h = BodyHasher::new(exp);
        while let Some(piece) = hrx.blocking_recv() {
            h.update(&piece.bytes);
        }
        let _ = done_tx.send(h);
    });
    (htx, done_rx)
}

/// Starts the blob writer of a body: it writes every chunk, and at `End` verifies the digest,
/// then makes the blob durable and visible. Without `End` it leaves nothing behind.
fn spawn_writer<F>(
    store: BlobStore,
    bucket_id: u64,
    hashing: Hashing,
    mut rx: mpsc::Receiver<Msg>,
    meta: F,
    seal: Option<Sealing>,
) -> tokio::task::JoinHandle<S3Result<WrittenBlob>>
where
    F: FnOnce(&BodyDigest) -> Vec<u8> + Send + 'static,
{
    let mut hashing = Some(hashing);
    blocking::spawn(move || -> S3Result<WrittenBlob> {
        let mut w = BlobOut::new(store.writer(bucket_id)?, seal);
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Data(pieces) => {
                    if let Some(Hashing::Inline(h)) = &mut hashing {
                        for p in &pieces {
                            h.update(&p.bytes);
                        }
                    }
                    let slices: Vec<&[u8]> = pieces.iter().map(|p| &p.bytes[..]).collect();
                    w.write(&slices)?;
                }
                Msg::End(trailer) => {
                    let h = match hashing.take() {
                        Some(Hashing::Inline(h)) => *h,
                        Some(Hashing::Parallel(done)) => done
                            .blocking_recv()
                            .map_err(|_| S3Error::internal("the body hasher stopped"))?,
                        None => return Err(S3Error::internal("body ended twice")),
                    };
                    let digest = h.finish(trailer)?;
                    let path = w.finish(&meta(&digest))?;
                    let volume = store.volume().name().to_owned();
                    return Ok(WrittenBlob { path, volume, digest });
                }
            }
        }
        // The sender went away without End: the body failed. Dropping `w` removes the temp file.
        Err(S3Error::new(Code::IncompleteBody))
    })
}

/// How a new blob is sealed (server-side encryption, `s3::sse`): the object's data key and
/// this blob's nonce base.
pub struct Sealing {
    /// The data key.
    pub key: Key,
    /// The blob's nonce base.
    pub nonce: [u8; 8],
}

/// How an object's blobs are opened: the data key and each blob's nonce base, in blob order.
#[derive(Clone)]
pub struct Opening {
    /// The data key.
    pub key: Key,
    /// One nonce base per blob.
    pub nonces: Vec<[u8; 8]>,
}

/// A new blob being written, sealed on the way when the object is encrypted. Hashes and
/// lengths stay the plaintext's: only the stored bytes change.
struct BlobOut {
    w: crate::store::BlobWriter,
    sealer: Option<Sealer>,
    buf: Vec<u8>,
}

fn sealing_error(e: SseError) -> S3Error {
    S3Error::internal(format!("sealing a blob failed: {e}"))
}

impl BlobOut {
    fn new(w: crate::store::BlobWriter, seal: Option<Sealing>) -> BlobOut {
        BlobOut {
            w,
            sealer: seal.map(|s| Sealer::new(&s.key, s.nonce)),
            buf: Vec::new(),
        }
    }

    fn write(&mut self, slices: &[&[u8]]) -> S3Result<()> {
        let Some(sealer) = &mut self.sealer else {
            return Ok(self.w.write_vectored(slices)?);
        };
        self.buf.clear();
        for piece in slices {
            sealer.update(piece, &mut self.buf).map_err(sealing_error)?;
        }
        if !self.buf.is_empty() {
            self.w.write(&self.buf)?;
        }
        Ok(())
    }

    fn finish(mut self, meta: &[u8]) -> S3Result<String> {
        if let Some(sealer) = self.sealer.take() {
            self.buf.clear();
            sealer.finish(&mut self.buf).map_err(sealing_error)?;
            if !self.buf.is_empty() {
                self.w.write(&self.buf)?;
            }
        }
        Ok(self.w.finish(meta)?.0)
    }
}

/// Stored bytes read per call when opening sealed chunks (16 chunks, about 1 MiB).
const SEALED_BATCH: usize = 16 * (sse::CHUNK + sse::TAG);

/// Reads plaintext bytes `[from, to)` of one blob holding `size` plaintext bytes, handing
/// pieces of about [`IO_CHUNK`] to `emit` (which answers false to stop). `read(off, len)`
/// reads exactly `len` stored bytes at `off`. With `open`, the blob is sealed: only the chunks
/// covering the range are read and opened, and any tampering fails as `InvalidData`.
fn read_plain(
    read: &mut dyn FnMut(u64, usize) -> std::io::Result<Bytes>,
    (from, to, size): (u64, u64, u64),
    open: Option<(&Key, [u8; 8])>,
    emit: &mut dyn FnMut(Bytes) -> bool,
) -> std::io::Result<()> {
    let Some((key, nonce)) = open else {
        let mut off = from;
        while off < to {
            let want = usize::try_from((to - off).min(IO_CHUNK as u64)).unwrap_or(IO_CHUNK);
            if !emit(read(off, want)?) {
                return Ok(());
            }
            off += want as u64;
        }
        return Ok(());
    };
    let corrupt =
        |e: SseError| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("sealed blob: {e}"));
    let range = sse::sealed_range(from, to - 1, size);
    let mut opener = Opener::new(key, nonce, range.first_chunk, size).expect_len(range.len);
    let (mut off, end) = (range.offset, range.offset + range.len);
    let (mut skip, mut left) = (range.skip, to - from);
    let mut out = Vec::new();
    while off < end {
        let want = usize::try_from((end - off).min(SEALED_BATCH as u64)).unwrap_or(SEALED_BATCH);
        let sealed = read(off, want)?;
        off += want as u64;
        out.clear();
        opener.update(&sealed, &mut out).map_err(corrupt)?;
        let dropped = skip.min(out.len());
        skip -= dropped;
        let kept = &out[dropped..];
        let n = kept.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        left -= n as u64;
        if n > 0 && !emit(Bytes::copy_from_slice(&kept[..n])) {
            return Ok(());
        }
    }
    opener.finish(&mut out).map_err(corrupt)
}

/// Streams `body` into a new blob of `bucket_id`. `exp` says what to verify; `meta` builds
/// the `user.s3.meta` xattr from the digest once the body is verified. The blob is durable
/// (fsync) and under its final name when this returns `Ok`; on any error nothing is left.
pub async fn write_blob<F>(
    store: &BlobStore,
    budget: &UploadBudget,
    bucket_id: u64,
    body: RequestBody,
    mut exp: Expectations,
    meta: F,
    seal: Option<Sealing>,
) -> S3Result<WrittenBlob>
where
    F: FnOnce(&BodyDigest) -> Vec<u8> + Send + 'static,
{
    let RequestBody {
        mut stream,
        sha256,
        length,
        trailer,
        ..
    } = body;
    exp.sha256 = exp.sha256.or(sha256);
    exp.length = exp.length.or(length);
    let parallel = length.is_none_or(|l| l > INLINE_HASH_MAX);
    let (hashing, hash_tx) = if parallel {
        let (htx, done) = spawn_hasher(exp);
        (Hashing::Parallel(done), Some(htx))
    } else {
        (Hashing::Inline(Box::new(BodyHasher::new(exp))), None)
    };
    let (tx, rx) = mpsc::channel::<Msg>(4);
    let writer = spawn_writer(store.clone(), bucket_id, hashing, rx, meta, seal);

    let mut pending: Vec<Arc<Piece>> = Vec::new();
    let mut pending_len = 0usize;
    let mut failure = None;
    'body: loop {
        let item = if pending.is_empty() {
            stream.next().await
        } else {
            match tokio::time::timeout(IDLE_FLUSH, stream.next()).await {
                Ok(item) => item,
                Err(_) => {
                    // The client paused: let go of what this body holds (see IDLE_FLUSH).
                    pending_len = 0;
                    if tx.send(Msg::Data(std::mem::take(&mut pending))).await.is_err() {
                        break 'body;
                    }
                    stream.next().await
                }
            }
        };
        let Some(item) = item else { break };
        let bytes = match item {
            Ok(b) if b.is_empty() => continue,
            Ok(b) => b,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        let want = budget.permits(bytes.len());
        let held = match budget.sem.clone().try_acquire_many_owned(want) {
            Ok(p) => p,
            Err(_) => {
                // Out of budget: first let go of what this body holds, then wait.
                pending_len = 0;
                if !pending.is_empty() && tx.send(Msg::Data(std::mem::take(&mut pending))).await.is_err() {
                    break 'body; // the writer failed; its error is reported below
                }
                match tokio::time::timeout(budget.max_wait, budget.sem.clone().acquire_many_owned(want)).await
                {
                    Ok(Ok(p)) => p,
                    Ok(Err(_)) => return Err(S3Error::internal("upload budget closed")),
                    Err(_) => {
                        failure = Some(slow_down());
                        break 'body;
                    }
                }
            }
        };
        let piece = Arc::new(Piece { bytes, _held: held });
        if let Some(h) = &hash_tx {
            if h.send(piece.clone()).await.is_err() {
                break 'body;
            }
        }
        pending_len += piece.bytes.len();
        pending.push(piece);
        if pending_len >= IO_CHUNK {
            pending_len = 0;
            if tx.send(Msg::Data(std::mem::take(&mut pending))).await.is_err() {
                break 'body;
            }
        }
    }
    if failure.is_none() {
        if !pending.is_empty() {
            let _ = tx.send(Msg::Data(std::mem::take(&mut pending))).await;
        }
        drop(hash_tx); // the hasher ends when it has seen every piece
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

/// 503 SlowDown for a body that waited too long for the upload budget.
fn slow_down() -> S3Error {
    let mut e = S3Error::with_message(
        Code::SlowDown,
        "Too many uploads are in flight; reduce your request rate and retry.",
    );
    e.headers.push(("retry-after", "1".to_owned()));
    e
}

/// Streams bytes `[start, end)` of an object made of `blobs` (path, size) in order. One
/// blocking reader opens each blob and reads it in [`IO_CHUNK`] pieces, one piece ahead of the
/// client. Its first piece (or its error: a missing blob, a volume fault) is awaited before
/// this returns, so failures to start become S3 errors rather than cut streams, and a small
/// object costs one trip to the blocking pool.
pub async fn read_blobs(
    store: &BlobStore,
    blobs: Vec<(String, u64)>,
    start: u64,
    end: u64,
    open: Option<Opening>,
) -> S3Result<ByteStream> {
    // Which blobs overlap the range, and where in each.
    let mut pieces = Vec::new();
    let mut base = 0u64;
    for (index, (path, size)) in blobs.into_iter().enumerate() {
        let (b_start, b_end) = (base, base + size);
        base = b_end;
        if b_end <= start || b_start >= end || size == 0 {
            continue;
        }
        let nonce = match &open {
            Some(o) => Some(
                *o.nonces
                    .get(index)
                    .ok_or_else(|| S3Error::internal("an encrypted object without a nonce for each blob"))?,
            ),
            None => None,
        };
        pieces.push((
            path,
            start.max(b_start) - b_start,
            end.min(b_end) - b_start,
            size,
            nonce,
        ));
    }
    if pieces.is_empty() {
        return Ok(Box::pin(futures_util::stream::empty()));
    }
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let store = store.clone();
    let key = open.map(|o| o.key);
    blocking::spawn(move || {
        for (path, from, to, size, nonce) in pieces {
            let mut file = match store.open_blob(&path) {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            let mut read = |off: u64, want: usize| -> std::io::Result<Bytes> {
                let mut buf = Vec::new();
                // A kept-open handle may have gone bad with the connection behind it (EBADFD
                // after a quorum loss): drop it and read once more from a fresh one.
                let n = crate::store::retry_with_fresh_handle(
                    &mut file,
                    || store.reopen_blob(&path),
                    |f| {
                        buf.clear();
                        store.read_append_at(f, &mut buf, want, off)
                    },
                )?;
                if n == want {
                    Ok(Bytes::from(buf))
                } else {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "blob {path} is shorter than its record ({} < {})",
                            off + n as u64,
                            off + want as u64
                        ),
                    ))
                }
            };
            let mut gone = false;
            let mut emit = |b: Bytes| {
                gone = tx.blocking_send(Ok(b)).is_err();
                !gone
            };
            let open = key.as_ref().zip(nonce);
            let result = read_plain(&mut read, (from, to, size), open, &mut emit);
            if let Err(e) = result {
                // Whatever went wrong, the next read of this blob opens it afresh.
                store.forget_open(&path);
                let _ = tx.blocking_send(Err(e));
                return;
            }
            if gone {
                return; // the client went away
            }
        }
    });
    let first = match rx.recv().await {
        Some(Ok(b)) => b,
        Some(Err(e)) => return Err(S3Error::from(e)),
        None => return Err(S3Error::internal("the blob reader stopped before its first read")),
    };
    let rest =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Ok(Box::pin(
        futures_util::stream::once(std::future::ready(Ok(first))).chain(rest),
    ))
}

/// Bytes `[start, end)` of an object made of `blobs` (path, size) on `store`: what
/// [`copy_blobs`] copies.
pub struct BlobRange {
    /// The store (volume) the blobs are on.
    pub store: BlobStore,
    /// The object's blobs, in order, with their sizes.
    pub blobs: Vec<(String, u64)>,
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// How to open the blobs when the object is encrypted.
    pub open: Option<Opening>,
}

/// Copies a range of an object ([`BlobRange`], possibly on another volume) into a new blob of
/// `bucket_id` on `store`, through the gateway's blocking pool (the bytes never leave the
/// gateway host), hashing as they pass. Same guarantees as [`write_blob`]: durable and visible
/// when `Ok`, nothing left on error.
pub async fn copy_blobs<F>(
    src: BlobRange,
    store: &BlobStore,
    bucket_id: u64,
    exp: Expectations,
    meta: F,
    seal: Option<Sealing>,
) -> S3Result<WrittenBlob>
where
    F: FnOnce(&BodyDigest) -> Vec<u8> + Send + 'static,
{
    let store = store.clone();
    blocking::try_run(move || {
        let BlobRange {
            store: from,
            blobs: src,
            start,
            end,
            open,
        } = src;
        let mut w = BlobOut::new(store.writer(bucket_id)?, seal);
        let mut h = BodyHasher::new(exp);
        let mut base = 0u64;
        for (index, (path, size)) in src.into_iter().enumerate() {
            let (b_start, b_end) = (base, base + size);
            base = b_end;
            if b_end <= start || b_start >= end || size == 0 {
                continue;
            }
            let file = from.open_blob_uncached(&path)?;
            let mut read = |off: u64, want: usize| -> std::io::Result<Bytes> {
                let mut buf = vec![0u8; want];
                let n = from.read_full_at(&file, &mut buf, off)?;
                if n == want {
                    Ok(Bytes::from(buf))
                } else {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("blob {path} is shorter than its record"),
                    ))
                }
            };
            let mut failed = None;
            let mut emit = |b: Bytes| {
                h.update(&b);
                match w.write(&[&b]) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                }
            };
            let opening = match &open {
                Some(o) => Some((
                    &o.key,
                    *o.nonces.get(index).ok_or_else(|| {
                        S3Error::internal("an encrypted object without a nonce for each blob")
                    })?,
                )),
                None => None,
            };
            let range = (start.max(b_start) - b_start, end.min(b_end) - b_start, size);
            read_plain(&mut read, range, opening, &mut emit)?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        let digest = h.finish(None)?;
        let path = w.finish(&meta(&digest))?;
        let volume = store.volume().name().to_owned();
        Ok(WrittenBlob { path, volume, digest })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(sizes: &[usize]) -> BodyStream {
        let items: Vec<Result<Bytes, S3Error>> =
            sizes.iter().map(|&n| Ok(Bytes::from(vec![1u8; n]))).collect();
        Box::pin(futures_util::stream::iter(items))
    }

    #[tokio::test]
    async fn capped_bodies_fail_past_the_cap_and_end() {
        let ok: Vec<_> = capped(pieces(&[3, 4, 3]), 10).collect().await;
        assert_eq!(ok.len(), 3);
        assert!(ok.iter().all(Result::is_ok), "exactly the cap is fine");
        let over: Vec<_> = capped(pieces(&[6, 6, 6]), 10).collect().await;
        assert_eq!(over.len(), 2, "the stream ends after the error");
        assert_eq!(over[1].as_ref().unwrap_err().code, Code::EntityTooLarge);
    }

    #[tokio::test]
    async fn a_silent_body_times_out_but_time_spent_elsewhere_does_not_count() {
        // A body that sends one piece, then nothing: RequestTimeout after the limit.
        let silent: BodyStream = Box::pin(pieces(&[5]).chain(futures_util::stream::pending()));
        let limit = Duration::from_millis(300);
        let mut body = ReadTimeout::new(silent, limit);
        assert!(body.next().await.unwrap().is_ok());
        // The gateway is busy elsewhere for longer than the limit: not the client's silence.
        tokio::time::sleep(limit * 2).await;
        let started = tokio::time::Instant::now();
        let e = body.next().await.unwrap().unwrap_err();
        assert_eq!((e.code, e.status()), (Code::RequestTimeout, 400));
        assert!(started.elapsed() >= limit, "the clock starts when the read waits");
        assert!(body.next().await.is_none(), "and the body ends");
    }
}
