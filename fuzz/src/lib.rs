//! Input decoding shared by the fuzz targets: an HTTP/1.1-style request head in text, byte
//! streams cut into pieces, and a poll loop for the gateway's (always ready) futures.
//!
//! It owns only the shape of fuzz inputs, so that seed corpora stay readable requests. It must
//! not parse anything the gateway parses: every S3 rule is exercised through the gateway's own
//! public functions, never copied here.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use gateway::s3::body::BodyStream;
use gateway::s3::request::RequestInfo;

/// Access key of the AWS documentation examples (the one key the targets know).
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// Its secret key, as in the AWS documentation.
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The secret of [`ACCESS_KEY`]; every other key is unknown.
pub fn lookup(access_key: &str) -> Option<String> {
    (access_key == ACCESS_KEY).then(|| SECRET_KEY.to_owned())
}

/// A request head: `METHOD TARGET [VERSION]`, then `Name: value` lines up to an empty line;
/// whatever follows is the body. Lines end in LF or CRLF. Bytes that are not UTF-8 are replaced.
#[derive(Debug, Default)]
pub struct Head {
    /// The method as sent.
    pub method: String,
    /// The target before `?`, still percent-encoded.
    pub path: String,
    /// The target after the first `?`, without it.
    pub query: String,
    /// Header names as sent, values trimmed of the one space after `:`.
    pub headers: Vec<(String, String)>,
    /// Bytes after the empty line.
    pub body: Vec<u8>,
}

impl Head {
    /// Decodes `data` (never fails: missing parts are empty).
    pub fn parse(data: &[u8]) -> Head {
        let (head, body) = match find(data, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| find(data, b"\n\n").map(|i| (i, 2)))
        {
            Some((i, n)) => (&data[..i], data[i + n..].to_vec()),
            None => (data, Vec::new()),
        };
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap_or("");
        let mut words = request_line.splitn(3, ' ');
        let method = words.next().unwrap_or("").to_owned();
        let target = words.next().unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()))
            .collect();
        Head {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body,
        }
    }

    /// The headers as borrowed pairs (what `sigv4::Request` and `sigv2::Request` take).
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// The first value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The gateway's view of this head.
    pub fn request_info(&self) -> RequestInfo {
        RequestInfo::new(
            &self.method,
            &self.path,
            &self.query,
            self.headers.iter().cloned(),
            "fuzz".to_owned(),
        )
    }
}

/// Position of the first `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `data` cut into pieces whose lengths cycle through `steps` (each step at least 1 byte).
pub fn pieces(data: &[u8], steps: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let step = steps
            .get(i % steps.len().max(1))
            .map_or(data.len(), |s| usize::from(*s).max(1));
        let end = (at + step).min(data.len());
        out.push(Bytes::copy_from_slice(&data[at..end]));
        at = end;
        i += 1;
    }
    out
}

/// A body stream yielding `pieces` in order, each one ready at once.
pub fn stream_of(pieces: Vec<Bytes>) -> BodyStream {
    Box::pin(futures_util::stream::iter(pieces.into_iter().map(Ok)))
}

/// Runs a future whose every await is ready (the gateway's parsers over [`stream_of`]); gives
/// up (`None`) after `max_polls` pending polls, which would itself be a bug.
pub fn block_on<F: Future>(f: F, max_polls: usize) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..max_polls {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}
