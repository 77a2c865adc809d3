//! The `Content-Encoding: aws-chunked` request body decoder ([`AwsChunked`]), for the three
//! streaming values of `x-amz-content-sha256` ([`Mode`]).
//!
//! Owns the wire format of "Signature Version 4 streaming" bodies: chunk header lines
//! (`<hex size>;chunk-signature=<sig>` signed, `<hex size>[;ext]` unsigned), the CRLF after each
//! chunk's data, the final empty chunk, the trailer lines (`x-amz-checksum-*`, then
//! `x-amz-trailer-signature` when signed), the per-chunk and trailer signature checks (through
//! [`ChunkSigner`]), the sum of chunk sizes against `x-amz-decoded-content-length`, and the
//! parsing of the checksum trailer into the [`TrailerSlot`]. It yields payload bytes only, never
//! framing; a signed chunk's data is held (at most one chunk, [`MAX_CHUNK_SIZE`]) until its
//! signature checks out, unsigned data streams through as it arrives. Any fault ends the stream
//! with one `S3Error` item carrying the AWS code, so the blob writer stores nothing.
//!
//! Must not verify the trailer's checksum against the data (the blob writer does, from the
//! slot), buffer more than one chunk, read the clock, or panic on any input.
//!
//! Error codes, following what AWS answers where it is known (versitygw's tests against S3):
//! a body that ends early or has malformed chunk framing (size line, CRLF) is
//! `IncompleteBody`; a wrong chunk or trailer signature is `SignatureDoesNotMatch`; chunk sizes
//! adding up to more than the decoded length, a chunk above [`MAX_CHUNK_SIZE`], or bytes after
//! the end of the encoding are `InvalidRequest`; a missing, unannounced, misnamed or
//! ill-formed trailer is `MalformedTrailerError`; a trailer value that is not base64 of the
//! algorithm's digest length is `InvalidRequest` ("Value for x-amz-checksum-crc32 trailing
//! header is invalid."). Leniency, where SDKs differ: chunk extensions other than the size are
//! ignored in the unsigned form, trailer lines may end in a bare LF, the final CRLF may be
//! missing at the end of the body, and non-final chunks may be shorter than the 8 KiB AWS
//! demands (AWS answers `InvalidChunkSizeError`; botocore's reads can produce such chunks).

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use sha2::{Digest as _, Sha256};

use crate::s3::body::{BodyStream, RequestBody, TrailerSlot};
use crate::s3::checksum::Algorithm;
use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::request::RequestInfo;
use crate::s3::sigv4::{ChunkSigner, Payload};

/// Largest chunk accepted (16 MiB): a signed chunk is held in memory until its signature is
/// checked. SDKs send 64 KiB to 1 MiB.
pub const MAX_CHUNK_SIZE: u64 = 16 << 20;
/// Longest chunk header line, CRLF included (a signed one is about 100 bytes).
const MAX_HEADER_LINE: usize = 4096;
/// Largest trailer section, all lines together.
const MAX_TRAILER: usize = 4096;
/// Most trailer lines (one checksum and one signature are expected).
const MAX_TRAILER_LINES: usize = 8;
/// The trailer line carrying the trailer's signature.
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";
/// The chunk extension carrying a chunk's signature.
const CHUNK_SIGNATURE: &[u8] = b"chunk-signature=";

/// Which aws-chunked variant a body uses, from `x-amz-content-sha256`.
#[derive(Debug, Clone)]
pub enum Mode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailer.
    Signed(ChunkSigner),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then a signed trailer.
    SignedTrailer(ChunkSigner),
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then an unsigned trailer.
    UnsignedTrailer,
}

impl Mode {
    /// The mode of a streaming payload; `None` for the non-streaming ones.
    pub fn from_payload(payload: Payload) -> Option<Mode> {
        match payload {
            Payload::Streaming(s) => Some(Mode::Signed(s)),
            Payload::StreamingTrailer(s) => Some(Mode::SignedTrailer(s)),
            Payload::StreamingUnsignedTrailer => Some(Mode::UnsignedTrailer),
            Payload::Unsigned | Payload::Sha256(_) => None,
        }
    }

    /// Whether trailer lines may follow the final chunk.
    pub fn has_trailer(&self) -> bool {
        !matches!(self, Mode::Signed(_))
    }

    fn signer(&mut self) -> Option<&mut ChunkSigner> {
        match self {
            Mode::Signed(s) | Mode::SignedTrailer(s) => Some(s),
            Mode::UnsignedTrailer => None,
        }
    }
}

/// Builds the decoded body of an aws-chunked request: its length is
/// `x-amz-decoded-content-length` (required: missing is `MissingContentLength`, not a number is
/// `InvalidArgument`), its trailer slot is filled from the checksum announced in
/// `x-amz-trailer` (trailer modes only; a value other than one `x-amz-checksum-*` name is
/// `InvalidRequest`), and its stream is an [`AwsChunked`] decoder over `raw`.
pub fn request_body(raw: BodyStream, mode: Mode, req: &RequestInfo) -> S3Result<RequestBody> {
    let length = decoded_length(req.header("x-amz-decoded-content-length"))?;
    let announced = if mode.has_trailer() {
        announced_trailer(req.header("x-amz-trailer"))?
    } else {
        None
    };
    let slot = TrailerSlot::default();
    let decoder = AwsChunked::new(raw, mode, length, announced, Rc::clone(&slot));
    let mut body = RequestBody::new(Box::pin(decoder), Some(length));
    body.trailer = Some(slot);
    Ok(body)
}

/// Parses `x-amz-decoded-content-length`: `MissingContentLength` when absent, `InvalidArgument`
/// when not a decimal number.
pub fn decoded_length(value: Option<&str>) -> S3Result<u64> {
    let v = value
        .ok_or_else(|| S3Error::new(Code::MissingContentLength))?
        .trim();
    let n = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse::<u64>().ok()
    } else {
        None
    };
    n.ok_or_else(|| {
        S3Error::with_message(
            Code::InvalidArgument,
            "x-amz-decoded-content-length is not a number",
        )
        .extra("ArgumentName", "x-amz-decoded-content-length")
        .extra("ArgumentValue", v.to_owned())
    })
}

/// Parses `x-amz-trailer`: absent or empty is `None`; one `x-amz-checksum-*` name (any case) is
/// its algorithm; anything else is `InvalidRequest`, as AWS answers.
pub fn announced_trailer(value: Option<&str>) -> S3Result<Option<Algorithm>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    Algorithm::ALL
        .into_iter()
        .find(|a| a.header().eq_ignore_ascii_case(v))
        .map(Some)
        .ok_or_else(|| {
            S3Error::with_message(
                Code::InvalidRequest,
                "The value specified in the x-amz-trailer header is not supported",
            )
        })
}

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk header line.
    Header,
    /// Reading chunk data, `remaining` bytes to go (never 0).
    Data { remaining: u64 },
    /// Reading the CRLF after chunk data, `seen` bytes of it so far.
    DataEnd { seen: usize },
    /// Reading trailer lines after the final chunk, up to an empty line.
    Trailer,
    /// The encoding is complete; only the end of the raw body may follow.
    End,
    /// The stream has ended (successfully or with its error).
    Closed,
}

/// A `Stream` of payload bytes decoded from an aws-chunked body. See the module doc.
pub struct AwsChunked {
    raw: BodyStream,
    mode: Mode,
    announced: Option<Algorithm>,
    slot: TrailerSlot,
    declared: u64,
    /// Sum of the chunk sizes read so far.
    total: u64,
    /// Received bytes not yet consumed.
    pending: Bytes,
    /// The line being read (header or trailer), without its terminator once complete.
    line: Vec<u8>,
    state: State,
    /// Signed modes: the current chunk's data, its hash and its claimed signature.
    chunk: BytesMut,
    hasher: Sha256,
    claimed: String,
    /// Trailer lines read so far, and their total size.
    trailer_lines: Vec<Vec<u8>>,
    trailer_size: usize,
}

impl AwsChunked {
    /// A decoder over `raw` (the body as received) in `mode`, whose chunks must add up to
    /// `decoded_length` bytes, and whose trailer must carry the `announced` checksum (stored in
    /// `slot` when the body ends well).
    pub fn new(
        raw: BodyStream,
        mode: Mode,
        decoded_length: u64,
        announced: Option<Algorithm>,
        slot: TrailerSlot,
    ) -> AwsChunked {
        AwsChunked {
            raw,
            mode,
            announced,
            slot,
            declared: decoded_length,
            total: 0,
            pending: Bytes::new(),
            line: Vec::new(),
            state: State::Header,
            chunk: BytesMut::new(),
            hasher: Sha256::new(),
            claimed: String::new(),
            trailer_lines: Vec::new(),
            trailer_size: 0,
        }
    }

    /// Consumes some of `pending` (never empty here) and says what to yield, if anything.
    fn step(&mut self) -> S3Result<Option<Bytes>> {
        match self.state {
            State::Header => {
                if let Some(line) = self.take_line(MAX_HEADER_LINE, false)? {
                    self.start_chunk(&line)?;
                }
                Ok(None)
            }
            State::Data { remaining } => self.take_data(remaining),
            State::DataEnd { seen } => {
                let mut seen = seen;
                while seen < 2 && !self.pending.is_empty() {
                    let b = self.pending.split_to(1);
                    if b[..] != b"\r\n"[seen..=seen] {
                        return Err(incomplete(
                            "The chunk data is not followed by CRLF: the chunk size is wrong.",
                        ));
                    }
                    seen += 1;
                }
                self.state = if seen == 2 {
                    State::Header
                } else {
                    State::DataEnd { seen }
                };
                Ok(None)
            }
            State::Trailer => {
                if let Some(line) = self.take_line(MAX_TRAILER, true)? {
                    if line.is_empty() {
                        self.finish_trailer(false)?;
                        self.state = State::End;
                    } else {
                        self.trailer_size += line.len();
                        if self.trailer_size > MAX_TRAILER || self.trailer_lines.len() >= MAX_TRAILER_LINES {
                            return Err(S3Error::new(Code::MalformedTrailerError));
                        }
                        self.trailer_lines.push(line);
                    }
                }
                Ok(None)
            }
            State::End => Err(S3Error::with_message(
                Code::InvalidRequest,
                "The request body continues after the end of its aws-chunked encoding.",
            )),
            State::Closed => Ok(None),
        }
    }

    /// Moves bytes of `pending` into `line` up to a line feed. Returns the complete line without
    /// its terminator: CRLF, or (with `bare_lf`) a lone LF too. `max` bounds the line.
    fn take_line(&mut self, max: usize, bare_lf: bool) -> S3Result<Option<Vec<u8>>> {
        let (end, complete) = match self.pending.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (self.pending.len(), false),
        };
        if self.line.len() + end > max {
            return Err(if self.state == State::Trailer {
                S3Error::new(Code::MalformedTrailerError)
            } else {
                incomplete("The aws-chunked chunk header line is too long.")
            });
        }
        self.line.extend_from_slice(&self.pending.split_to(end));
        if !complete {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        line.pop(); // the LF
        if line.last() == Some(&b'\r') {
            line.pop();
        } else if !bare_lf {
            return Err(incomplete(
                "An aws-chunked chunk header line does not end in CRLF.",
            ));
        }
        Ok(Some(line))
    }

    /// Handles a complete chunk header line.
    fn start_chunk(&mut self, line: &[u8]) -> S3Result<()> {
        let signed = self.mode.signer().is_some();
        let (size, claimed) = parse_header(line, signed)?;
        if size > MAX_CHUNK_SIZE {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                format!("An aws-chunked chunk of {size} bytes is larger than the {MAX_CHUNK_SIZE} bytes accepted."),
            ));
        }
        let total = self.total.saturating_add(size);
        if total > self.declared {
            return Err(S3Error::with_message(
                Code::InvalidRequest,
                format!(
                    "The aws-chunked body carries more than the {} bytes of x-amz-decoded-content-length.",
                    self.declared
                ),
            ));
        }
        self.total = total;
        self.claimed = claimed;
        if size > 0 {
            if signed {
                self.hasher = Sha256::new();
                self.chunk = BytesMut::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
            }
            self.state = State::Data { remaining: size };
            return Ok(());
        }
        // The final chunk.
        let claimed = std::mem::take(&mut self.claimed);
        if let Some(signer) = self.mode.signer() {
            signer
                .verify_chunk(&Sha256::digest(b"").into(), &claimed)
                .map_err(|_| mismatch())?;
        }
        if self.total < self.declared {
            return Err(S3Error::with_message(
                Code::IncompleteBody,
                format!(
                    "The aws-chunked body carries {} bytes, x-amz-decoded-content-length says {}.",
                    self.total, self.declared
                ),
            ));
        }
        self.state = State::Trailer;
        Ok(())
    }

    /// Reads chunk data: unsigned data is yielded as it comes, signed data once the whole chunk
    /// is there and its signature checks out.
    fn take_data(&mut self, remaining: u64) -> S3Result<Option<Bytes>> {
        let n = usize::try_from(remaining).map_or(self.pending.len(), |r| r.min(self.pending.len()));
        let data = self.pending.split_to(n);
        let remaining = remaining - n as u64;
        self.state = if remaining == 0 {
            State::DataEnd { seen: 0 }
        } else {
            State::Data { remaining }
        };
        let Some(signer) = self.mode.signer() else {
            return Ok(Some(data));
        };
        self.hasher.update(&data);
        self.chunk.extend_from_slice(&data);
        if remaining > 0 {
            return Ok(None);
        }
        let digest: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        signer
            .verify_chunk(&digest, &self.claimed)
            .map_err(|_| mismatch())?;
        Ok(Some(self.chunk.split().freeze()))
    }

    /// Checks the trailer lines and stores the checksum in the slot. `at_eof`: the body ended
    /// without the final empty line, so a missing checksum or signature means a cut body
    /// (`IncompleteBody`) rather than a malformed trailer.
    fn finish_trailer(&mut self, at_eof: bool) -> S3Result<()> {
        let missing = || {
            if at_eof {
                S3Error::new(Code::IncompleteBody)
            } else {
                malformed_trailer()
            }
        };
        let lines = std::mem::take(&mut self.trailer_lines);
        let signed = matches!(self.mode, Mode::SignedTrailer(_));
        let mut checksum: Option<(Algorithm, String)> = None;
        let mut signature: Option<String> = None;
        for line in &lines {
            let text = std::str::from_utf8(line).map_err(|_| malformed_trailer())?;
            let (name, value) = text.split_once(':').ok_or_else(malformed_trailer)?;
            let (name, value) = (name.trim_matches(is_space), value.trim_matches(is_space));
            if signature.is_some() || name.is_empty() {
                return Err(malformed_trailer()); // nothing may follow the signature
            }
            if signed && name.eq_ignore_ascii_case(TRAILER_SIGNATURE) {
                signature = Some(value.to_owned());
                continue;
            }
            match self.announced {
                Some(a) if checksum.is_none() && name.eq_ignore_ascii_case(a.header()) => {
                    checksum = Some((a, value.to_owned()));
                }
                _ => return Err(malformed_trailer()),
            }
        }
        if self.announced.is_some() && checksum.is_none() {
            return Err(missing());
        }
        if let Mode::SignedTrailer(signer) = &mut self.mode {
            let canonical = checksum
                .as_ref()
                .map(|(a, v)| format!("{}:{v}\n", a.header()))
                .unwrap_or_default();
            match signature {
                Some(sig) => signer
                    .verify_trailer(canonical.as_bytes(), &sig)
                    .map_err(|_| mismatch())?,
                // An announced checksum must be signed; no trailer at all needs no signature.
                None if checksum.is_some() => return Err(missing()),
                None => {}
            }
        }
        if let Some((a, v)) = &checksum {
            if !B64.decode(v).is_ok_and(|raw| raw.len() == a.digest_len()) {
                return Err(S3Error::with_message(
                    Code::InvalidRequest,
                    format!("Value for {} trailing header is invalid.", a.header()),
                ));
            }
        }
        *self.slot.borrow_mut() = checksum;
        Ok(())
    }

    /// The raw body ended.
    fn at_eof(&mut self) -> S3Result<()> {
        match self.state {
            // Lenient: the final CRLF after the trailer lines (or after the final chunk) may be
            // missing, but not part of a line.
            State::Trailer if self.line.is_empty() => self.finish_trailer(true),
            State::End | State::Closed => Ok(()),
            State::Header | State::Data { .. } | State::DataEnd { .. } | State::Trailer => {
                Err(S3Error::new(Code::IncompleteBody))
            }
        }
    }

    /// Ends the stream with `e`.
    fn fail(&mut self, e: S3Error) -> Poll<Option<S3Result<Bytes>>> {
        self.state = State::Closed;
        self.chunk = BytesMut::new();
        self.pending = Bytes::new();
        Poll::Ready(Some(Err(e)))
    }
}

impl Stream for AwsChunked {
    type Item = S3Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.state == State::Closed {
                return Poll::Ready(None);
            }
            if this.pending.is_empty() {
                match this.raw.as_mut().poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(b))) => this.pending = b,
                    Poll::Ready(Some(Err(e))) => return this.fail(e),
                    Poll::Ready(None) => {
                        return match this.at_eof() {
                            Ok(()) => {
                                this.state = State::Closed;
                                Poll::Ready(None)
                            }
                            Err(e) => this.fail(e),
                        };
                    }
                }
                continue;
            }
            match this.step() {
                Ok(Some(out)) if !out.is_empty() => return Poll::Ready(Some(Ok(out))),
                Ok(_) => {}
                Err(e) => return this.fail(e),
            }
        }
    }
}

/// Parses a chunk header line (without CRLF) into (size, claimed signature). Signed: exactly
/// `<hex>;chunk-signature=<sig>`. Unsigned: `<hex>` with optional `;ext` parts, ignored.
fn parse_header(line: &[u8], signed: bool) -> S3Result<(u64, String)> {
    let (size, ext) = match line.iter().position(|&b| b == b';') {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    let size = if signed { size } else { size.trim_ascii() };
    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
        return Err(incomplete(
            "An aws-chunked chunk size is not a hexadecimal number.",
        ));
    }
    let size = size.iter().fold(0u64, |n, &b| (n << 4) | u64::from(hex_value(b)));
    if !signed {
        return Ok((size, String::new()));
    }
    let sig = ext
        .and_then(|e| e.strip_prefix(CHUNK_SIGNATURE))
        .and_then(|s| std::str::from_utf8(s).ok())
        .ok_or_else(|| incomplete("An aws-chunked chunk header lacks its chunk-signature."))?;
    Ok((size, sig.to_owned()))
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn incomplete(message: &'static str) -> S3Error {
    S3Error::with_message(Code::IncompleteBody, message)
}

fn mismatch() -> S3Error {
    S3Error::new(Code::SignatureDoesNotMatch)
}

fn malformed_trailer() -> S3Error {
    S3Error::new(Code::MalformedTrailerError)
}

#[cfg(test)]
mod tests {
    //! The AWS examples of "Transferring Payload in Multiple Chunks" and "Signature calculations
    //! for trailing headers" (`AKIAIOSFODNN7EXAMPLE`, 20130524T000000Z, us-east-1, 65536 + 1024
    //! bytes of `a`), bodies built here for every mode and size, one body per error, and random
    //! garbage and mutations. Every body is fed in several splits, and the raw stream answers
    //! `Pending` between items, so the decoder never relies on how its input is cut.

    use super::*;
    use crate::s3::request::RequestInfo;
    use crate::s3::sigv4::{signature, signing_key};
    use rand::{Rng as _, SeedableRng as _};
    use std::future::Future;
    use std::task::Waker;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20130524T000000Z";
    const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
    const STREAMING_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    const STREAMING_CHUNKS: [&str; 3] = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];
    const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    const TRAILER_CHUNKS: [&str; 3] = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    const TRAILER_SIG: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
    const CRC32: Option<Algorithm> = Some(Algorithm::Crc32);

    fn key() -> [u8; 32] {
        static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
        *KEY.get_or_init(|| signing_key(SECRET, "20130524", "us-east-1", "s3"))
    }

    fn signer(seed: &str) -> ChunkSigner {
        ChunkSigner::new(key(), DATE, SCOPE, seed)
    }

    fn sha(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    fn crc32(data: &[u8]) -> String {
        B64.encode(crc32fast::hash(data).to_be_bytes())
    }

    /// The three variants, as the tests build them.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Kind {
        Signed,
        SignedTrailer,
        Unsigned,
    }

    const KINDS: [Kind; 3] = [Kind::Signed, Kind::SignedTrailer, Kind::Unsigned];

    impl Kind {
        fn mode(self) -> Mode {
            match self {
                Kind::Signed => Mode::Signed(signer(STREAMING_SEED)),
                Kind::SignedTrailer => Mode::SignedTrailer(signer(STREAMING_SEED)),
                Kind::Unsigned => Mode::UnsignedTrailer,
            }
        }

        /// What the client announces in `x-amz-trailer`.
        fn announced(self) -> Option<Algorithm> {
            if self == Kind::Signed {
                None
            } else {
                CRC32
            }
        }
    }

    /// Encodes `data` in chunks of `chunk` bytes, as an SDK would, with a CRC32 trailer in the
    /// trailer modes. Signatures chain from `STREAMING_SEED`.
    fn encode(kind: Kind, data: &[u8], chunk: usize) -> Vec<u8> {
        let mut chain = signer(STREAMING_SEED);
        let mut out = Vec::new();
        let mut chunks: Vec<&[u8]> = data.chunks(chunk.max(1)).collect();
        chunks.push(b"");
        for c in chunks {
            if kind == Kind::Unsigned {
                out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            } else {
                let h = sha(c);
                let sig = signature(&key(), &chain.chunk_string_to_sign(&h));
                chain.verify_chunk(&h, &sig).unwrap();
                out.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", c.len()).as_bytes());
            }
            if !c.is_empty() {
                out.extend_from_slice(c);
                out.extend_from_slice(b"\r\n");
            }
        }
        let value = crc32(data);
        match kind {
            Kind::Signed => {}
            Kind::Unsigned => out.extend_from_slice(format!("x-amz-checksum-crc32:{value}\r\n").as_bytes()),
            Kind::SignedTrailer => {
                let canonical = format!("x-amz-checksum-crc32:{value}\n");
                let sig = signature(&key(), &chain.trailer_string_to_sign(canonical.as_bytes()));
                out.extend_from_slice(format!("x-amz-checksum-crc32:{value}\r\n").as_bytes());
                out.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// A raw body that answers `Pending` (and wakes itself) before every item.
    struct Stutter {
        items: std::vec::IntoIter<S3Result<Bytes>>,
        ready: bool,
    }

    impl Stream for Stutter {
        type Item = S3Result<Bytes>;

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let this = self.get_mut();
            if this.ready {
                this.ready = false;
                Poll::Ready(this.items.next())
            } else {
                this.ready = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn raw(items: Vec<S3Result<Bytes>>) -> BodyStream {
        Box::pin(Stutter {
            items: items.into_iter(),
            ready: false,
        })
    }

    /// What a decode produced: the payload bytes before the end, and how it ended.
    struct Outcome {
        out: Vec<u8>,
        end: S3Result<Option<(Algorithm, String)>>,
    }

    impl Outcome {
        fn code(&self) -> Option<Code> {
            self.end.as_ref().err().map(|e| e.code)
        }

        #[track_caller]
        fn ok(self) -> (Vec<u8>, Option<(Algorithm, String)>) {
            match self.end {
                Ok(t) => (self.out, t),
                Err(e) => panic!("expected success, got {e:?}"),
            }
        }

        #[track_caller]
        fn err(self, code: Code) -> (Vec<u8>, S3Error) {
            match self.end {
                Err(e) if e.code == code => (self.out, e),
                other => panic!("expected {code:?}, got {:?}", other.map(|_| "success")),
            }
        }
    }

    /// Drives a decoder to its end with a no-op waker (the raw streams here never wait on
    /// anything but themselves), checking that it stays ended.
    fn decode_items(
        mode: Mode,
        declared: u64,
        announced: Option<Algorithm>,
        items: Vec<S3Result<Bytes>>,
    ) -> Outcome {
        let slot = TrailerSlot::default();
        let mut d = AwsChunked::new(raw(items), mode, declared, announced, Rc::clone(&slot));
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        let mut polls = 0u64;
        let end = loop {
            polls += 1;
            assert!(polls < 50_000_000, "the decoder makes no progress");
            match Pin::new(&mut d).poll_next(&mut cx) {
                Poll::Pending => {}
                Poll::Ready(Some(Ok(b))) => {
                    assert!(!b.is_empty(), "empty items are noise");
                    out.extend_from_slice(&b);
                }
                Poll::Ready(Some(Err(e))) => break Err(e),
                Poll::Ready(None) => break Ok(slot.borrow_mut().take()),
            }
        };
        assert!(
            matches!(Pin::new(&mut d).poll_next(&mut cx), Poll::Ready(None)),
            "not fused"
        );
        Outcome { out, end }
    }

    fn decode_pieces(mode: Mode, declared: u64, announced: Option<Algorithm>, pieces: &[&[u8]]) -> Outcome {
        let items = pieces.iter().map(|p| Ok(Bytes::copy_from_slice(p))).collect();
        decode_items(mode, declared, announced, items)
    }

    /// Decodes `body` in pieces of `piece` bytes.
    fn decode(kind: Kind, declared: u64, body: &[u8], piece: usize) -> Outcome {
        let pieces: Vec<&[u8]> = body.chunks(piece.max(1)).collect();
        decode_pieces(kind.mode(), declared, kind.announced(), &pieces)
    }

    fn whole(kind: Kind, declared: u64, body: &[u8]) -> Outcome {
        decode(kind, declared, body, usize::MAX)
    }

    #[track_caller]
    fn assert_decodes(kind: Kind, data: &[u8], outcome: Outcome) {
        let (out, trailer) = outcome.ok();
        assert!(
            out == data,
            "{kind:?}: {} bytes out, {} expected",
            out.len(),
            data.len()
        );
        let want = kind.announced().map(|a| (a, crc32(data)));
        assert_eq!(trailer, want, "{kind:?}");
    }

    fn aws_body(seed_chunks: [&str; 3], trailer: &str) -> (Vec<u8>, Vec<u8>) {
        let data = vec![b'a'; 66_560];
        let mut body = Vec::new();
        body.extend_from_slice(format!("10000;chunk-signature={}\r\n", seed_chunks[0]).as_bytes());
        body.extend_from_slice(&data[..65_536]);
        body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", seed_chunks[1]).as_bytes());
        body.extend_from_slice(&data[65_536..]);
        body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", seed_chunks[2]).as_bytes());
        body.extend_from_slice(trailer.as_bytes());
        body.extend_from_slice(b"\r\n");
        (body, data)
    }

    /// Split positions worth trying on a large body: every one near the framing, some elsewhere.
    fn split_points(len: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..len).step_by(997).collect();
        for mark in [0, 65_536 + 87, 65_536 + 1_024 + 175, len] {
            v.extend(mark.saturating_sub(100)..(mark + 100).min(len + 1));
        }
        v
    }

    #[test]
    fn aws_example_signed_chunks() {
        let (body, data) = aws_body(STREAMING_CHUNKS, "");
        assert_eq!(body.len(), 66_824, "the example's Content-Length");
        let mode = || Mode::Signed(signer(STREAMING_SEED));
        for piece in [usize::MAX, 1, 2, 80, 4096, 65_536] {
            let pieces: Vec<&[u8]> = body.chunks(piece).collect();
            assert!(
                decode_pieces(mode(), 66_560, None, &pieces).ok().0 == data,
                "pieces of {piece}"
            );
        }
        for at in split_points(body.len()) {
            let (a, b) = body.split_at(at);
            assert!(
                decode_pieces(mode(), 66_560, None, &[a, b]).ok().0 == data,
                "split at {at}"
            );
        }
        // The second chunk's signature on the first chunk: nothing is yielded.
        let (bad, _) = aws_body(
            [STREAMING_CHUNKS[1], STREAMING_CHUNKS[0], STREAMING_CHUNKS[2]],
            "",
        );
        let (out, _) = decode_pieces(mode(), 66_560, None, &[&bad]).err(Code::SignatureDoesNotMatch);
        assert!(out.is_empty());
    }

    #[test]
    fn aws_example_signed_trailer() {
        let trailer = format!("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIG}\r\n");
        let (body, data) = aws_body(TRAILER_CHUNKS, &trailer);
        let mode = || Mode::SignedTrailer(signer(TRAILER_SEED));
        let crc32c = Some(Algorithm::Crc32c);
        for piece in [usize::MAX, 1, 3, 1000] {
            let pieces: Vec<&[u8]> = body.chunks(piece).collect();
            let (out, t) = decode_pieces(mode(), 66_560, crc32c, &pieces).ok();
            assert!(out == data, "pieces of {piece}");
            assert_eq!(t, Some((Algorithm::Crc32c, "sOO8/Q==".to_owned())));
        }
        for at in split_points(body.len()) {
            let (a, b) = body.split_at(at);
            assert!(
                decode_pieces(mode(), 66_560, crc32c, &[a, b]).ok().0 == data,
                "split at {at}"
            );
        }
        // The example's checksum is the CRC32C of its data: the writer will accept it.
        assert_eq!(B64.encode(crc32c::crc32c(&data).to_be_bytes()), "sOO8/Q==");
        // A changed checksum no longer matches the trailer signature.
        let forged = trailer.replace("sOO8/Q==", "AAAAAA==");
        let (body, _) = aws_body(TRAILER_CHUNKS, &forged);
        let (out, _) = decode_pieces(mode(), 66_560, crc32c, &[&body]).err(Code::SignatureDoesNotMatch);
        assert!(out == data, "the chunks were good");
        // Announcing another algorithm than the trailer carries.
        let (body, _) = aws_body(TRAILER_CHUNKS, &trailer);
        decode_pieces(mode(), 66_560, CRC32, &[&body]).err(Code::MalformedTrailerError);
    }

    #[test]
    fn unsigned_trailer_body_with_real_crc32() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let body = encode(Kind::Unsigned, &data, 8192);
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("2000\r\n"));
        assert!(text.ends_with(&format!("\r\n0\r\nx-amz-checksum-crc32:{}\r\n\r\n", crc32(&data))));
        for piece in [usize::MAX, 1, 2, 8192, 8194] {
            assert_decodes(
                Kind::Unsigned,
                &data,
                decode(Kind::Unsigned, 20_000, &body, piece),
            );
        }
    }

    #[test]
    fn byte_exact_for_each_chunk_size_and_mode() {
        for kind in KINDS {
            for chunk in [1usize, 8191, 8192, 8193, 65_536] {
                let sizes = if chunk == 1 {
                    vec![0, 1, 2, 9]
                } else {
                    vec![0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk + 5]
                };
                for size in sizes {
                    let data: Vec<u8> = (0..size).map(|i| (i * 7 % 256) as u8).collect();
                    let body = encode(kind, &data, chunk);
                    let pieces: &[usize] = if body.len() <= 70_000 {
                        &[usize::MAX, 1, 1000]
                    } else {
                        &[usize::MAX, 1000]
                    };
                    for &piece in pieces {
                        let o = decode(kind, size as u64, &body, piece);
                        assert_decodes(kind, &data, o);
                    }
                }
            }
        }
    }

    #[test]
    fn every_split_of_small_bodies() {
        for kind in KINDS {
            for (size, chunk) in [(0usize, 1usize), (1, 1), (5, 2), (20, 7), (16, 16)] {
                let data: Vec<u8> = (0..size).map(|i| b'A' + (i % 26) as u8).collect();
                let body = encode(kind, &data, chunk);
                for at in 0..=body.len() {
                    let (a, b) = body.split_at(at);
                    assert_decodes(
                        kind,
                        &data,
                        decode_pieces(kind.mode(), size as u64, kind.announced(), &[a, b]),
                    );
                }
                assert_decodes(kind, &data, decode(kind, size as u64, &body, 1));
            }
            // Three pieces, on one small body: every pair of cut points unsigned, every first
            // cut and every 5th second one signed (each decode checks 4 HMACs there).
            let data = b"hello, world";
            let body = encode(kind, data, 5);
            let step = if kind == Kind::Unsigned { 1 } else { 5 };
            for i in 0..=body.len() {
                for j in (i..=body.len()).step_by(step) {
                    let pieces = [&body[..i], &body[i..j], &body[j..]];
                    assert_decodes(
                        kind,
                        data,
                        decode_pieces(kind.mode(), 12, kind.announced(), &pieces),
                    );
                }
            }
        }
    }

    #[test]
    fn largest_chunk_is_accepted_and_one_more_byte_is_not() {
        let data = vec![b'z'; 16 << 20];
        for kind in [Kind::Signed, Kind::Unsigned] {
            let body = encode(kind, &data, 16 << 20);
            assert_decodes(kind, &data, decode(kind, data.len() as u64, &body, 1 << 20));
            let line = if kind == Kind::Signed {
                format!("1000001;chunk-signature={}\r\n", "0".repeat(64))
            } else {
                "1000001\r\n".to_owned()
            };
            let o = whole(kind, u64::MAX, line.as_bytes());
            let (_, e) = o.err(Code::InvalidRequest);
            assert!(e.message.contains("larger than"), "{}", e.message);
        }
    }

    /// Replaces the first occurrence of `from` in `body`.
    fn patch(body: &[u8], from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8_lossy(body).into_owned();
        assert!(text.contains(from), "{from:?} not in body");
        text.replacen(from, to, 1).into_bytes()
    }

    #[test]
    fn bad_chunk_signatures_stop_before_the_chunk() {
        let data: Vec<u8> = (0..30u8).collect();
        for kind in [Kind::Signed, Kind::SignedTrailer] {
            let body = encode(kind, &data, 10);
            let text = String::from_utf8_lossy(&body).into_owned();
            let sigs: Vec<&str> = text
                .match_indices("chunk-signature=")
                .map(|(i, _)| &text[i + 16..i + 80])
                .collect();
            assert_eq!(sigs.len(), 4);
            // Wrong second signature: the first chunk only.
            let bad = patch(&body, sigs[1], &"0".repeat(64));
            let (out, _) = whole(kind, 30, &bad).err(Code::SignatureDoesNotMatch);
            assert_eq!(out, &data[..10]);
            // Not hex, or short: also a mismatch.
            let bad = patch(&body, sigs[0], &"zz".repeat(32));
            assert!(whole(kind, 30, &bad)
                .err(Code::SignatureDoesNotMatch)
                .0
                .is_empty());
            let bad = patch(&body, sigs[0], &sigs[0][..63]);
            whole(kind, 30, &bad).err(Code::SignatureDoesNotMatch);
            // Tampered data in the third chunk.
            let mut bad = body.clone();
            let at = text.find(sigs[2]).unwrap() + 64 + 2 + 3;
            bad[at] ^= 1;
            let (out, _) = decode(kind, 30, &bad, 7).err(Code::SignatureDoesNotMatch);
            assert_eq!(out, &data[..20]);
            // Wrong signature on the final chunk: all data, then the error.
            let bad = patch(&body, sigs[3], sigs[2]);
            let (out, _) = whole(kind, 30, &bad).err(Code::SignatureDoesNotMatch);
            assert_eq!(out, data);
            // Signed chunks without a signature, or with it misspelt or spaced.
            for (from, to) in [
                (";chunk-signature=", "\r\n"),
                ("chunk-signature", "chunk-signatur"),
                ("a;chunk", "a ;chunk"),
            ] {
                let bad = patch(&body, from, to);
                whole(kind, 30, &bad).err(Code::IncompleteBody);
            }
            // A signature from another key.
            let other = ChunkSigner::new([9; 32], DATE, SCOPE, STREAMING_SEED);
            let mode = if kind == Kind::Signed {
                Mode::Signed(other)
            } else {
                Mode::SignedTrailer(other)
            };
            decode_pieces(mode, 30, kind.announced(), &[&body]).err(Code::SignatureDoesNotMatch);
        }
    }

    #[test]
    fn trailer_signature_errors() {
        let data = b"trailer data";
        let body = encode(Kind::SignedTrailer, data, 8);
        let text = String::from_utf8_lossy(&body).into_owned();
        let at = text.find("x-amz-trailer-signature:").unwrap() + 24;
        let sig = &text[at..at + 64];
        let bad = patch(&body, sig, &"0".repeat(64));
        let (out, _) = whole(Kind::SignedTrailer, 12, &bad).err(Code::SignatureDoesNotMatch);
        assert_eq!(out, data);
        // The signature covers the value: a valid but different CRC32 fails it.
        let bad = patch(&body, &crc32(data), &crc32(b"other"));
        whole(Kind::SignedTrailer, 12, &bad).err(Code::SignatureDoesNotMatch);
        // Missing signature line, or the signature before the checksum.
        let line = format!("x-amz-trailer-signature:{sig}\r\n");
        whole(Kind::SignedTrailer, 12, &patch(&body, &line, "")).err(Code::MalformedTrailerError);
        let checksum = format!("x-amz-checksum-crc32:{}\r\n", crc32(data));
        let swapped = patch(&patch(&body, &line, ""), &checksum, &format!("{line}{checksum}"));
        whole(Kind::SignedTrailer, 12, &swapped).err(Code::MalformedTrailerError);
        // Without an announced trailer and without trailer lines: fine, nothing to sign.
        let bare = patch(&patch(&body, &line, ""), &checksum, "");
        let o = decode_pieces(Mode::SignedTrailer(signer(STREAMING_SEED)), 12, None, &[&bare]);
        assert_eq!(o.ok(), (data.to_vec(), None));
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        for kind in KINDS {
            let data = b"0123456789abcdefghij";
            let body = encode(kind, data, 8);
            for len in 0..body.len() {
                let o = whole(kind, 20, &body[..len]);
                if len == body.len() - 2 {
                    // Lenient: only the final CRLF is missing.
                    assert_decodes(kind, data, o);
                } else {
                    assert_eq!(
                        o.code(),
                        Some(Code::IncompleteBody),
                        "{kind:?} cut at {len} of {}",
                        body.len()
                    );
                }
            }
        }
    }

    #[test]
    fn malformed_framing() {
        let u = Kind::Unsigned;
        for bad in [
            &b"zz\r\n"[..],
            b"+5\r\nhello\r\n0\r\n\r\n",
            b"-1\r\n",
            b"\r\n",
            b";ext\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5\r\nhello\r0\r\n\r\n",
            b"00000000000000005\r\nhello\r\n",
            b"5 5\r\nhello\r\n",
        ] {
            let o = whole(u, 5, bad);
            assert_eq!(
                o.code(),
                Some(Code::IncompleteBody),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Data comes through before a bad CRLF is seen; the error still ends the body.
        let (out, _) = whole(u, 5, b"5\r\nhelloXX").err(Code::IncompleteBody);
        assert_eq!(out, b"hello");
        // A header line that never ends.
        let long = vec![b'0'; 10_000];
        whole(u, 5, &long).err(Code::IncompleteBody);
        whole(Kind::Signed, 5, &long).err(Code::IncompleteBody);
        // 16 hex digits are fine (leading zeros), and upper-case hex too.
        let body = format!(
            "000000000000000A\r\n0123456789\r\n0\r\nx-amz-checksum-crc32:{}\r\n\r\n",
            crc32(b"0123456789")
        );
        let (out, _) = whole(u, 10, body.as_bytes()).ok();
        assert_eq!(out, b"0123456789");
    }

    #[test]
    fn decoded_length_must_match() {
        for kind in KINDS {
            let data = [7u8; 100];
            let body = encode(kind, &data, 40);
            let (out, _) = whole(kind, 101, &body).err(Code::IncompleteBody);
            assert_eq!(out.len(), 100);
            // Too long: refused at the header of the chunk that goes over, before its data.
            let (out, e) = decode(kind, 99, &body, 1).err(Code::InvalidRequest);
            assert_eq!(out.len(), 80);
            assert!(e.message.contains("x-amz-decoded-content-length"));
            whole(kind, 0, &body).err(Code::InvalidRequest);
        }
    }

    /// An unsigned body carrying `data` with `trailer` (raw lines) after the final chunk.
    fn unsigned_with_trailer(data: &[u8], trailer: &str) -> Vec<u8> {
        let mut body = format!("{:x}\r\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n0\r\n");
        body.extend_from_slice(trailer.as_bytes());
        body
    }

    #[test]
    fn trailer_errors() {
        let data = b"hello";
        let v = crc32(data);
        let run = |announced: Option<Algorithm>, trailer: &str| {
            let body = unsigned_with_trailer(data, trailer);
            decode_pieces(Mode::UnsignedTrailer, 5, announced, &[&body])
        };
        let malformed = [
            (CRC32, "\r\n".to_owned()),
            (CRC32, format!("x-amz-checksum-crc32c:{v}\r\n\r\n")),
            (None, format!("x-amz-checksum-crc32:{v}\r\n\r\n")),
            (CRC32, format!(":{v}\r\n\r\n")),
            (CRC32, format!("x-amz-checksum-crc32{v}\r\n\r\n")),
            (
                CRC32,
                format!("x-amz-checksum-crc32:{v}\r\nx-amz-checksum-crc32:{v}\r\n\r\n"),
            ),
            (
                CRC32,
                format!(
                    "x-amz-checksum-crc32:{v}\r\nx-amz-trailer-signature:{}\r\n\r\n",
                    "0".repeat(64)
                ),
            ),
            (CRC32, format!("x-amz-checksum-crc32:{v}\r\nx-other:1\r\n\r\n")),
            (
                CRC32,
                format!("x-amz-checksum-crc32:{v}\r\n{}\r\n\r\n", "x".repeat(5000)),
            ),
            (
                CRC32,
                format!("{}x-amz-checksum-crc32:{v}\r\n\r\n", "a:b\r\n".repeat(9)),
            ),
        ];
        for (announced, trailer) in &malformed {
            let o = run(*announced, trailer);
            assert_eq!(o.code(), Some(Code::MalformedTrailerError), "{trailer:?}");
            assert_eq!(o.out, data, "the data went through before the trailer");
        }
        let not_utf8 = [
            &unsigned_with_trailer(data, "x-amz-checksum-crc32:")[..],
            b"\xff\xfe\r\n\r\n",
        ]
        .concat();
        decode_pieces(Mode::UnsignedTrailer, 5, CRC32, &[&not_utf8]).err(Code::MalformedTrailerError);
        // The no-trailer variant takes no trailer lines.
        let mut signed = encode(Kind::Signed, data, 8);
        signed.truncate(signed.len() - 2);
        signed.extend_from_slice(format!("x-amz-checksum-crc32:{v}\r\n\r\n").as_bytes());
        whole(Kind::Signed, 5, &signed).err(Code::MalformedTrailerError);
        // Values that are not base64 of the digest's length.
        for (announced, value) in [
            (CRC32, "!!!!!!=="),
            (CRC32, "AAAA"),
            (CRC32, "AAAAAAAA"),
            (Some(Algorithm::Sha256), v.as_str()),
        ] {
            let a = announced.unwrap();
            let o = run(announced, &format!("{}:{value}\r\n\r\n", a.header()));
            let (_, e) = o.err(Code::InvalidRequest);
            assert_eq!(
                e.message,
                format!("Value for {} trailing header is invalid.", a.header())
            );
        }
    }

    #[test]
    fn bytes_after_the_end_are_refused() {
        for kind in KINDS {
            let body = encode(kind, b"abc", 8);
            for extra in [&b"x"[..], b"\r\n", b"0\r\n\r\n"] {
                let o = whole(kind, 3, &[&body[..], extra].concat());
                assert_eq!(o.code(), Some(Code::InvalidRequest), "{kind:?} + {extra:?}");
            }
        }
    }

    #[test]
    fn lenient_where_sdks_differ() {
        let data = b"hello";
        let v = crc32(data);
        let ok = |body: &[u8]| {
            let (out, t) = decode_pieces(Mode::UnsignedTrailer, 5, CRC32, &[body]).ok();
            assert_eq!(out, data);
            assert_eq!(t, Some((Algorithm::Crc32, v.clone())));
        };
        // Chunk extensions and blanks around the size in the unsigned form.
        ok(
            format!("5;foo=bar;chunk-signature=x\r\nhello\r\n0 ;x\r\nx-amz-checksum-crc32:{v}\r\n\r\n")
                .as_bytes(),
        );
        ok(format!("5 \r\nhello\r\n0\r\nx-amz-checksum-crc32:{v}\r\n\r\n").as_bytes());
        // Bare LF trailer lines, a missing final CRLF, blanks and case in the trailer.
        ok(&unsigned_with_trailer(
            data,
            &format!("x-amz-checksum-crc32:{v}\n\n"),
        ));
        ok(&unsigned_with_trailer(
            data,
            &format!("x-amz-checksum-crc32:{v}\r\n"),
        ));
        ok(&unsigned_with_trailer(
            data,
            &format!("X-Amz-Checksum-CRC32 : {v} \r\n\r\n"),
        ));
        // No trailer announced and none sent (AWS accepts it).
        let (out, t) = decode_pieces(Mode::UnsignedTrailer, 5, None, &[b"5\r\nhello\r\n0\r\n\r\n"]).ok();
        assert_eq!((out, t), (data.to_vec(), None));
    }

    #[test]
    fn raw_errors_pass_through() {
        let items = vec![
            Ok(Bytes::from_static(b"5\r\nhel")),
            Err(S3Error::new(Code::RequestTimeTooSkewed)),
        ];
        let o = decode_items(Mode::UnsignedTrailer, 5, None, items);
        let (out, _) = o.err(Code::RequestTimeTooSkewed);
        assert_eq!(out, b"hel");
        // A signed chunk is held until it is complete and verified: nothing of it comes out.
        let head = format!("5;chunk-signature={}\r\nhel", "0".repeat(64));
        let items = vec![
            Ok(Bytes::from(head)),
            Err(S3Error::new(Code::RequestTimeTooSkewed)),
        ];
        let (out, _) = decode_items(Kind::Signed.mode(), 5, None, items).err(Code::RequestTimeTooSkewed);
        assert!(out.is_empty());
        // Empty items are harmless.
        let items = ["", "0", "", "\r\n", "", "\r\n", ""]
            .iter()
            .map(|s| Ok(Bytes::from_static(s.as_bytes())))
            .collect();
        assert_eq!(
            decode_items(Mode::UnsignedTrailer, 0, None, items).ok(),
            (Vec::new(), None)
        );
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    fn request(headers: &[(&str, &str)]) -> RequestInfo {
        let h = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        RequestInfo::new("PUT", "/b/k", "", h, "req".to_owned())
    }

    #[test]
    fn request_body_reads_the_headers() {
        let data = b"the payload";
        let body = encode(Kind::Unsigned, data, 4);
        let req = request(&[
            ("x-amz-decoded-content-length", "11"),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
        ]);
        let rb = request_body(raw(vec![Ok(Bytes::from(body))]), Mode::UnsignedTrailer, &req).unwrap();
        assert_eq!(rb.length, Some(11));
        let slot = rb.trailer.clone().unwrap();
        assert_eq!(&block_on(rb.collect(1000)).unwrap()[..], data);
        assert_eq!(slot.borrow().clone(), Some((Algorithm::Crc32, crc32(data))));

        let e = |headers: &[(&str, &str)], mode: Mode| match request_body(
            raw(Vec::new()),
            mode,
            &request(headers),
        ) {
            Ok(_) => panic!("expected an error for {headers:?}"),
            Err(e) => e,
        };
        let missing = e(
            &[("x-amz-trailer", "x-amz-checksum-crc32")],
            Mode::UnsignedTrailer,
        );
        assert_eq!(
            (missing.code, missing.status()),
            (Code::MissingContentLength, 411)
        );
        for bad in ["", "12a", "-1", "+5", "99999999999999999999"] {
            let got = e(&[("x-amz-decoded-content-length", bad)], Mode::UnsignedTrailer);
            assert_eq!(got.code, Code::InvalidArgument, "{bad:?}");
        }
        for bad in [
            "x-amz-checksum-sha10",
            "x-amz-checksum-crc32,x-amz-checksum-sha1",
            "content-md5",
        ] {
            let got = e(
                &[("x-amz-decoded-content-length", "1"), ("x-amz-trailer", bad)],
                Mode::UnsignedTrailer,
            );
            assert_eq!(got.code, Code::InvalidRequest, "{bad:?}");
            assert_eq!(
                got.message,
                "The value specified in the x-amz-trailer header is not supported"
            );
        }
        // The no-trailer variant does not read x-amz-trailer.
        let req = request(&[
            ("x-amz-decoded-content-length", "1"),
            ("x-amz-trailer", "nonsense"),
        ]);
        assert!(request_body(raw(Vec::new()), Mode::Signed(signer(STREAMING_SEED)), &req).is_ok());
        assert_eq!(
            announced_trailer(Some(" X-Amz-Checksum-SHA256 ")).unwrap(),
            Some(Algorithm::Sha256)
        );
        assert_eq!(announced_trailer(Some("")).unwrap(), None);
        assert_eq!(decoded_length(Some(" 42 ")).unwrap(), 42);
    }

    #[test]
    fn modes_follow_the_payload() {
        assert!(matches!(
            Mode::from_payload(Payload::Streaming(signer("a"))),
            Some(Mode::Signed(_))
        ));
        assert!(matches!(
            Mode::from_payload(Payload::StreamingTrailer(signer("a"))),
            Some(Mode::SignedTrailer(_))
        ));
        assert!(matches!(
            Mode::from_payload(Payload::StreamingUnsignedTrailer),
            Some(Mode::UnsignedTrailer)
        ));
        assert!(Mode::from_payload(Payload::Unsigned).is_none());
        assert!(Mode::from_payload(Payload::Sha256([0; 32])).is_none());
    }

    /// Random garbage and random mutations of valid bodies, cut at random places: the decoder
    /// never panics, and whatever it accepts is either the right data or (unsigned) data whose
    /// CRC32 no longer matches the trailer, which the blob writer then refuses.
    #[test]
    fn garbage_and_mutations_never_panic_or_pass_bad_data() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_c0de);
        let alphabet = b"0123456789abcdefABCDEF;:=\r\n -xamz-checksum-crc32trailer-signature";
        for _ in 0..3000 {
            let len = rng.random_range(0..200);
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.random_bool(0.8) {
                        alphabet[rng.random_range(0..alphabet.len())]
                    } else {
                        rng.random()
                    }
                })
                .collect();
            for kind in KINDS {
                let piece = rng.random_range(1..40);
                let declared = rng.random_range(0..64);
                let _ = decode(kind, declared, &garbage, piece);
            }
        }
        for round in 0..6000 {
            let kind = KINDS[round % 3];
            let size = rng.random_range(0..40);
            let data: Vec<u8> = (0..size).map(|_| rng.random()).collect();
            let body = encode(kind, &data, rng.random_range(1..16));
            let mut m = body.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..m.len());
                match rng.random_range(0..4) {
                    0 => m[at] = rng.random(),
                    1 => m[at] = alphabet[rng.random_range(0..alphabet.len())],
                    2 => {
                        m.remove(at);
                    }
                    _ => m.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
                }
            }
            let o = decode(kind, size as u64, &m, rng.random_range(1..50));
            if let Ok(trailer) = &o.end {
                let right = o.out == data && trailer == &kind.announced().map(|a| (a, crc32(&data)));
                let caught =
                    kind == Kind::Unsigned && trailer.as_ref().is_some_and(|(_, v)| *v != crc32(&o.out));
                assert!(
                    right || caught,
                    "{kind:?}: a mutated body passed with wrong data: {:?}",
                    String::from_utf8_lossy(&m)
                );
            }
        }
    }
}
