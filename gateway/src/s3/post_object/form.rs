//! A streaming `multipart/form-data` reader (RFC 7578 over RFC 2046 framing) for POST Object.
//!
//! Owns: finding the boundary in the request's `Content-Type`, splitting the body into parts,
//! parsing each part's headers (`Content-Disposition` name and filename, `Content-Type`), and
//! handing out each part's content chunk by chunk. Memory stays bounded whatever the body: the
//! preamble is discarded as it is scanned, a part's header block is capped, and content is
//! released as soon as it cannot be the start of the next delimiter. Must not know what the
//! fields mean (policy, keys, storage): that is `post_object`'s job.

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use memchr::memmem::Finder;

use crate::s3::body::BodyStream;
use crate::s3::error::{Code, S3Error, S3Result};

/// Longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// Largest header block of one part. Browsers send two short headers.
pub const MAX_PART_HEAD: usize = 16 * 1024;

/// Longest run of transport padding accepted after a delimiter, before its CRLF.
const MAX_PADDING: usize = 256;

/// `MalformedPOSTRequest` with a note on what was wrong (for logs; AWS's message is kept).
pub fn malformed(why: &'static str) -> S3Error {
    S3Error {
        source: Some(why.into()),
        ..S3Error::new(Code::MalformedPOSTRequest)
    }
}

/// The boundary of a `multipart/form-data` content type, or `None` if the content type is
/// something else (or names no usable boundary).
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = split_params(content_type);
    let essence = params.next()?;
    if !essence.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let value = params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| unquote(value.trim()))
    })?;
    (!value.is_empty() && value.len() <= MAX_BOUNDARY && !value.contains(['\r', '\n'])).then_some(value)
}

/// What the headers of one part say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    /// The field name (`Content-Disposition: form-data; name=...`), as sent.
    pub name: String,
    /// The `filename` parameter, if any (`filename*` wins when both are present).
    pub filename: Option<String>,
    /// The part's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Bytes of the delimiter line and header block, for the caller's size budget.
    pub head_len: usize,
}

/// Where the reader is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter: bytes are discarded.
    Preamble,
    /// Just after a delimiter: either `--` (the end) or padding and CRLF, then headers.
    Delimiter,
    /// In a part's header block.
    Head,
    /// In a part's content.
    Content,
    /// After the closing delimiter: the epilogue is ignored.
    Done,
}

/// Reads a `multipart/form-data` body as a sequence of parts, streaming their contents.
pub struct FormReader {
    body: BodyStream,
    buf: BytesMut,
    /// Finds `CRLF--boundary`.
    delimiter: Finder<'static>,
    state: State,
    eof: bool,
}

impl FormReader {
    /// A reader over `body`, whose parts are separated by `boundary` (see [`boundary`]).
    pub fn new(body: BodyStream, boundary: &str) -> FormReader {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        // The first delimiter may open the body without a CRLF before it: pretend there was
        // one, so that every delimiter looks the same.
        let mut buf = BytesMut::with_capacity(8 * 1024);
        buf.extend_from_slice(b"\r\n");
        FormReader {
            body,
            buf,
            delimiter: Finder::new(&delimiter).into_owned(),
            state: State::Preamble,
            eof: false,
        }
    }

    fn delimiter_len(&self) -> usize {
        self.delimiter.needle().len()
    }

    /// Reads one more chunk of the body into the buffer; `false` at the end of the body.
    async fn fill(&mut self) -> S3Result<bool> {
        while !self.eof {
            match self.body.next().await {
                Some(Ok(chunk)) if chunk.is_empty() => {}
                Some(Ok(chunk)) => {
                    self.buf.extend_from_slice(&chunk);
                    return Ok(true);
                }
                Some(Err(e)) => return Err(e),
                None => self.eof = true,
            }
        }
        Ok(false)
    }

    /// Moves to the next part and returns its headers, skipping whatever is left of the current
    /// part; `None` after the closing delimiter.
    pub async fn next_part(&mut self) -> S3Result<Option<PartHead>> {
        let mut head_len = 0;
        loop {
            match self.state {
                State::Preamble => {
                    if let Some(i) = self.delimiter.find(&self.buf) {
                        head_len += self.delimiter_len();
                        self.buf.advance(i + self.delimiter_len());
                        self.state = State::Delimiter;
                    } else {
                        let keep = self.delimiter_len() - 1;
                        if self.buf.len() > keep {
                            self.buf.advance(self.buf.len() - keep);
                        }
                        if !self.fill().await? {
                            return Err(malformed("no boundary in the body"));
                        }
                    }
                }
                State::Content => while self.chunk().await?.is_some() {},
                State::Delimiter => {
                    if self.buf.starts_with(b"--") {
                        self.state = State::Done;
                        continue;
                    }
                    let limit = self.buf.len().min(MAX_PADDING + 2);
                    match self.buf[..limit].windows(2).position(|w| w == b"\r\n") {
                        Some(i) => {
                            if !self.buf[..i].iter().all(|b| *b == b' ' || *b == b'\t') {
                                return Err(malformed("garbage after a boundary"));
                            }
                            head_len += i + 2;
                            self.buf.advance(i + 2);
                            self.state = State::Head;
                        }
                        None if self.buf.len() > MAX_PADDING + 2 => {
                            return Err(malformed("garbage after a boundary"));
                        }
                        None => {
                            if !self.fill().await? {
                                return Err(malformed("the body ends after a boundary"));
                            }
                        }
                    }
                }
                State::Head => {
                    let end = if self.buf.starts_with(b"\r\n") {
                        Some(0)
                    } else {
                        memchr::memmem::find(&self.buf, b"\r\n\r\n").map(|i| i + 2)
                    };
                    match end {
                        Some(end) => {
                            let block = self.buf.split_to(end + 2);
                            head_len += block.len();
                            if head_len > MAX_PART_HEAD {
                                return Err(malformed("part headers too large"));
                            }
                            let mut head = parse_head(&block[..end])?;
                            head.head_len = head_len;
                            self.state = State::Content;
                            return Ok(Some(head));
                        }
                        None if self.buf.len() > MAX_PART_HEAD => {
                            return Err(malformed("part headers too large"));
                        }
                        None => {
                            if !self.fill().await? {
                                return Err(malformed("the body ends in part headers"));
                            }
                        }
                    }
                }
                State::Done => return Ok(None),
            }
        }
    }

    /// The next piece of the current part's content; `None` at its end (or outside a part).
    pub async fn chunk(&mut self) -> S3Result<Option<Bytes>> {
        while self.state == State::Content {
            if let Some(i) = self.delimiter.find(&self.buf) {
                let out = self.buf.split_to(i).freeze();
                self.buf.advance(self.delimiter_len());
                self.state = State::Delimiter;
                if !out.is_empty() {
                    return Ok(Some(out));
                }
            } else {
                // Everything but a tail that could be the start of the delimiter is content.
                let keep = self.delimiter_len() - 1;
                if self.buf.len() > keep {
                    let n = self.buf.len() - keep;
                    return Ok(Some(self.buf.split_to(n).freeze()));
                }
                if !self.fill().await? {
                    return Err(malformed("the body ends inside a part"));
                }
            }
        }
        Ok(None)
    }

    /// The whole content of the current part, or `Ok(None)` if it is longer than `max` bytes
    /// (the rest of the part is then left unread).
    pub async fn value(&mut self, max: usize) -> S3Result<Option<Bytes>> {
        let mut out = BytesMut::new();
        while let Some(c) = self.chunk().await? {
            if out.len() + c.len() > max {
                return Ok(None);
            }
            out.extend_from_slice(&c);
        }
        Ok(Some(out.freeze()))
    }

    /// The rest of the current part's content as a stream; it ends, without reading further,
    /// at the delimiter that closes the part. Parts after it are never read.
    pub fn into_content_stream(self) -> impl Stream<Item = S3Result<Bytes>> {
        futures_util::stream::unfold(Some(self), |reader| async move {
            let mut r = reader?;
            match r.chunk().await {
                Ok(Some(b)) => Some((Ok(b), Some(r))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}

/// Parses a part's header block (lines without the final empty one).
fn parse_head(block: &[u8]) -> S3Result<PartHead> {
    let text = std::str::from_utf8(block).map_err(|_| malformed("part headers are not UTF-8"))?;
    let (mut name, mut filename, mut filename_ext, mut content_type) = (None, None, None, None);
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let Some((h, v)) = line.split_once(':') else {
            return Err(malformed("a part header line has no colon"));
        };
        let (h, v) = (h.trim(), v.trim());
        if h.eq_ignore_ascii_case("content-disposition") {
            let mut params = split_params(v);
            if !params
                .next()
                .is_some_and(|d| d.trim().eq_ignore_ascii_case("form-data"))
            {
                return Err(malformed("a part is not form-data"));
            }
            for p in params {
                let Some((k, val)) = p.split_once('=') else {
                    continue;
                };
                let k = k.trim();
                if k.eq_ignore_ascii_case("name") {
                    name = Some(unquote(val.trim()));
                } else if k.eq_ignore_ascii_case("filename") {
                    filename = Some(unquote(val.trim()));
                } else if k.eq_ignore_ascii_case("filename*") {
                    filename_ext = decode_ext_value(val.trim());
                }
            }
        } else if h.eq_ignore_ascii_case("content-type") {
            content_type = Some(v.to_owned());
        }
    }
    let name = name.ok_or_else(|| malformed("a part has no field name"))?;
    Ok(PartHead {
        name,
        filename: filename_ext.or(filename),
        content_type,
        head_len: 0,
    })
}

/// Splits a header value on `;`, except inside quoted strings.
fn split_params(v: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(v);
    std::iter::from_fn(move || {
        let s = rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, c) in s.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ';' if !quoted => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

/// A token, or a quoted string with its backslash escapes removed.
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An RFC 8187 extended value, `UTF-8''caf%C3%A9.txt`; `None` for another charset or bad UTF-8.
fn decode_ext_value(v: &str) -> Option<String> {
    let mut it = v.splitn(3, '\'');
    let (charset, _lang, value) = (it.next()?, it.next()?, it.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body stream that hands out `data` in pieces of `piece` bytes.
    fn body(data: &[u8], piece: usize) -> BodyStream {
        let chunks: Vec<S3Result<Bytes>> = data
            .chunks(piece.max(1))
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Box::pin(futures_util::stream::iter(chunks))
    }

    /// Every part as (head, content), reading all contents.
    async fn parts(data: &[u8], piece: usize) -> S3Result<Vec<(PartHead, Vec<u8>)>> {
        let mut r = FormReader::new(body(data, piece), "XyZ");
        let mut out = Vec::new();
        while let Some(h) = r.next_part().await? {
            let mut content = Vec::new();
            while let Some(c) = r.chunk().await? {
                content.extend_from_slice(&c);
            }
            out.push((h, content));
        }
        Ok(out)
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    const FORM: &[u8] = b"preamble to ignore\r\n--XyZ\r\n\
        Content-Disposition: form-data; name=\"key\"\r\n\r\n\
        user/${filename}\r\n--XyZ  \r\n\
        content-disposition: FORM-DATA; name=Policy\r\n\r\n\
        \r\n--XyZ\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\"; c.txt\"\r\n\
        Content-Type: text/plain\r\n\r\n\
        line one\r\n--XyX\r\n--Xy\r\n--XyZ--\r\nepilogue";

    #[test]
    fn parses_fields_and_file_at_any_chunking() {
        for piece in [1, 2, 3, 7, 13, 64, 4096] {
            let p = run(parts(FORM, piece)).unwrap();
            assert_eq!(p.len(), 3, "piece {piece}");
            assert_eq!(p[0].0.name, "key");
            assert_eq!(p[0].1, b"user/${filename}");
            assert_eq!(p[1].0.name, "Policy");
            assert_eq!(p[1].1, b"");
            assert_eq!(p[2].0.name, "file");
            assert_eq!(p[2].0.filename.as_deref(), Some("a \"b\"; c.txt"));
            assert_eq!(p[2].0.content_type.as_deref(), Some("text/plain"));
            assert_eq!(p[2].1, b"line one\r\n--XyX\r\n--Xy", "piece {piece}");
        }
    }

    #[test]
    fn file_stream_stops_at_its_delimiter() {
        run(async {
            let data = b"--XyZ\r\nContent-Disposition: form-data; name=file; filename*=UTF-8''caf%C3%A9.txt\r\n\r\n\
                         0123456789\r\n--XyZ\r\nContent-Disposition: form-data; name=after\r\n\r\nx\r\n--XyZ--";
            let mut r = FormReader::new(body(data, 5), "XyZ");
            let h = r.next_part().await.unwrap().unwrap();
            assert_eq!(h.filename.as_deref(), Some("café.txt"));
            let chunks: Vec<_> = r.into_content_stream().collect().await;
            let all: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
            assert_eq!(all, b"0123456789");
        });
    }

    #[test]
    fn truncated_and_malformed_bodies_are_malformed_post_requests() {
        let cases: &[&[u8]] = &[
            b"",
            b"no boundary at all",
            b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue without end",
            b"--XyZ\r\nContent-Disposition: form-data; name=a",
            b"--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",
            b"--XyZ\r\nno colon here\r\n\r\nv\r\n--XyZ--",
            b"--XyZgarbage\r\n\r\nv\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nv\r\n--XyZ--",
        ];
        for data in cases {
            let e = run(parts(data, 3)).unwrap_err();
            assert_eq!(
                e.code,
                Code::MalformedPOSTRequest,
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn huge_part_headers_are_refused_without_buffering_them() {
        let mut data = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ".to_vec();
        data.resize(data.len() + MAX_PART_HEAD * 2, b'a');
        let e = run(parts(&data, 1000)).unwrap_err();
        assert_eq!(e.code, Code::MalformedPOSTRequest);
    }

    #[test]
    fn empty_form_and_part_without_headers() {
        assert!(run(parts(b"--XyZ--\r\n", 2)).unwrap().is_empty());
        let e = run(parts(b"--XyZ\r\n\r\nv\r\n--XyZ--", 2)).unwrap_err();
        assert_eq!(e.code, Code::MalformedPOSTRequest, "a part needs a name");
    }

    #[test]
    fn value_is_capped() {
        run(async {
            let data = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n0123456789\r\n--XyZ--";
            let mut r = FormReader::new(body(data, 4), "XyZ");
            r.next_part().await.unwrap().unwrap();
            assert_eq!(r.value(9).await.unwrap(), None);
            let mut r = FormReader::new(body(data, 4), "XyZ");
            r.next_part().await.unwrap().unwrap();
            assert_eq!(r.value(10).await.unwrap().as_deref(), Some(&b"0123456789"[..]));
        });
    }

    #[test]
    fn boundaries_from_content_types() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk").as_deref(),
            Some("----WebKitFormBoundary7MA4YWxk")
        );
        assert_eq!(
            boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b;c\"").as_deref(),
            Some("a b;c")
        );
        for bad in [
            "application/x-www-form-urlencoded",
            "multipart/mixed; boundary=x",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"\"",
            "",
        ] {
            assert_eq!(boundary(bad), None, "{bad}");
        }
        let long = format!("multipart/form-data; boundary={}", "b".repeat(71));
        assert_eq!(boundary(&long), None);
    }
}
