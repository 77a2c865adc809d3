//! [`RequestInfo`]: the parts of an HTTP request the S3 layer reads, copied out of the HTTP
//! framework once per request (method, raw path and query, decoded query pairs, headers with
//! lowercase names, request id). Owns query and path decoding. Must not authenticate, route or
//! touch the body.

use percent_encoding::percent_decode;

/// An HTTP method as S3 routes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// Anything else (answered with `MethodNotAllowed`).
    Other(String),
}

impl Method {
    /// Parses a method name.
    pub fn parse(s: &str) -> Method {
        match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            other => Method::Other(other.to_owned()),
        }
    }

    /// The method name.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Other(s) => s,
        }
    }
}

/// What the S3 layer knows of a request.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    /// The method.
    pub method: Method,
    /// The path exactly as received (percent-encoded).
    pub raw_path: String,
    /// The query exactly as received, without `?`.
    pub raw_query: String,
    /// Decoded query pairs, in order (`+` is a space, as in forms).
    pub query: Vec<(String, String)>,
    /// Headers with lowercase names, in order; a name may repeat. A value is the header's bytes
    /// when they are UTF-8; otherwise (obs-text, e.g. a Latin-1 `é` = 0xE9) it is
    /// [`OBS_TEXT_MARK`] followed by the bytes read as Latin-1, one char per byte, so that no
    /// byte is lost: see [`header_value`], [`header_text`], [`header_bytes`].
    pub headers: Vec<(String, String)>,
    /// A unique id for logs and the `x-amz-request-id` header.
    pub request_id: String,
    /// The address of the client's connection (`aws:SourceIp` in bucket policies).
    pub peer: Option<std::net::IpAddr>,
    /// True when the request arrived over TLS (`aws:SecureTransport`).
    pub secure: bool,
}

impl RequestInfo {
    /// Builds the request view; `headers` may have names in any case.
    pub fn new(
        method: &str,
        raw_path: &str,
        raw_query: &str,
        headers: impl IntoIterator<Item = (String, String)>,
        request_id: String,
    ) -> RequestInfo {
        RequestInfo {
            method: Method::parse(method),
            raw_path: raw_path.to_owned(),
            raw_query: raw_query.to_owned(),
            query: parse_query(raw_query),
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            request_id,
            peer: None,
            secure: false,
        }
    }

    /// The first value of a header (name in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a query parameter is present (with or without a value).
    pub fn has_query(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    /// Presigned URLs carry the request headers they sign in the query: botocore puts
    /// `Metadata` there as `x-amz-meta-*` parameters, and `Tagging` as `x-amz-tagging`. Once the
    /// signature (which covers the query) has been checked, those parameters count as headers,
    /// as AWS counts them; a header of the same name sent as well wins. Call only for a request
    /// authenticated by its query.
    pub fn adopt_signed_query_headers(&mut self) {
        let adopted: Vec<(String, String)> = self
            .query
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .filter(|(k, _)| k.starts_with("x-amz-meta-") || k == "x-amz-tagging")
            .filter(|(k, _)| self.header(k).is_none())
            .map(|(k, v)| (k, v.clone()))
            .collect();
        self.headers.extend(adopted);
    }

    /// Whether the request is authenticated by its query (a presigned URL, SigV4 or SigV2).
    pub fn is_presigned(&self) -> bool {
        self.has_query("X-Amz-Signature") || self.has_query("Signature")
    }

    /// The host the client addressed (from `Host`), without the port.
    pub fn host(&self) -> Option<&str> {
        let h = self.header("host")?;
        if let Some(rest) = h.strip_prefix('[') {
            return rest.split(']').next();
        }
        Some(h.rsplit_once(':').map_or(h, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                h
            }
        }))
    }
}

/// Starts a header value whose bytes are not UTF-8 (no real header value can contain NUL).
pub const OBS_TEXT_MARK: char = '\0';

/// A header value's bytes as [`RequestInfo::headers`] holds them: the UTF-8 text, or
/// [`OBS_TEXT_MARK`] + the Latin-1 reading of bytes that are not UTF-8.
pub fn header_value(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => std::iter::once(OBS_TEXT_MARK)
            .chain(bytes.iter().map(|&b| char::from(b)))
            .collect(),
    }
}

/// The text a client signed for a header value: UTF-8 as sent, or the Latin-1 reading of
/// bytes that are not UTF-8 (Python's http.client, for one, sends a `str` value Latin-1
/// encoded while SDKs sign the string's UTF-8).
pub fn header_text(value: &str) -> &str {
    value.strip_prefix(OBS_TEXT_MARK).unwrap_or(value)
}

/// The exact bytes of a header value as received (the inverse of [`header_value`]); a stored
/// value (`x-amz-meta-*`) goes back on the wire byte for byte.
pub fn header_bytes(value: &str) -> std::borrow::Cow<'_, [u8]> {
    value
        .strip_prefix(OBS_TEXT_MARK)
        .and_then(|latin1| {
            latin1
                .chars()
                .map(u8::try_from)
                .collect::<Result<Vec<u8>, _>>()
                .ok()
        })
        .map_or_else(|| value.as_bytes().into(), Into::into)
}

/// Decodes a query string into pairs: `&`-separated, first `=` splits, `%XX` and `+` decoded.
/// Invalid UTF-8 after decoding is replaced (U+FFFD) rather than refused: the values that
/// matter (prefix, marker) are then simply not found.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form(k), decode_form(v))
        })
        .collect()
}

fn decode_form(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_decode(plus.as_bytes()).decode_utf8_lossy().into_owned()
}

/// Decodes a path segment: `%XX` only (a `+` in a path is a plus). `None` if the result is
/// not UTF-8.
pub fn decode_path(s: &str) -> Option<String> {
    percent_decode(s.as_bytes())
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {

    #[test]
    fn presigned_query_headers_are_adopted_but_never_override_headers() {
        let mut r = RequestInfo::new(
            "PUT",
            "/b/k",
            "X-Amz-Signature=s&x-amz-meta-color=blue&X-Amz-Meta-Size=big&x-amz-tagging=a%3D1&x-amz-meta-dup=q&x-amz-acl=public-read",
            vec![("x-amz-meta-dup".to_owned(), "header".to_owned())],
            "id".into(),
        );
        assert!(r.is_presigned());
        r.adopt_signed_query_headers();
        assert_eq!(r.header("x-amz-meta-color"), Some("blue"));
        assert_eq!(r.header("x-amz-meta-size"), Some("big"));
        assert_eq!(r.header("x-amz-tagging"), Some("a=1"));
        assert_eq!(r.header("x-amz-meta-dup"), Some("header"));
        assert_eq!(
            r.header("x-amz-acl"),
            None,
            "only metadata and tagging are adopted"
        );
        let plain = RequestInfo::new("GET", "/b/k", "x-amz-meta-a=1", vec![], "id".into());
        assert!(!plain.is_presigned());
    }
    use super::*;

    fn req(headers: &[(&str, &str)]) -> RequestInfo {
        RequestInfo::new(
            "GET",
            "/",
            "a=1&b&c=x+y%2Bz&prefix=%E6%97%A5",
            headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            "id".into(),
        )
    }

    #[test]
    fn query_pairs_decode() {
        let r = req(&[]);
        assert_eq!(r.query("a"), Some("1"));
        assert_eq!(r.query("b"), Some(""));
        assert!(r.has_query("b") && !r.has_query("z"));
        assert_eq!(r.query("c"), Some("x y+z"));
        assert_eq!(r.query("prefix"), Some("日"));
    }

    #[test]
    fn headers_are_case_insensitive_and_host_drops_port() {
        let r = req(&[("Host", "b.s3.local:9000"), ("X-Amz-Date", "d")]);
        assert_eq!(r.header("x-amz-date"), Some("d"));
        assert_eq!(r.host(), Some("b.s3.local"));
        assert_eq!(req(&[("host", "[::1]:80")]).host(), Some("::1"));
        assert_eq!(req(&[("host", "plain")]).host(), Some("plain"));
    }

    #[test]
    fn header_values_keep_every_byte() {
        for bytes in [
            &b"plain"[..],
            "caf\u{e9} \u{65e5}".as_bytes(),
            b"Hello World\xe9",
            b"\xff\x80a",
        ] {
            let v = header_value(bytes);
            assert_eq!(header_bytes(&v).as_ref(), bytes);
        }
        // UTF-8 stays itself; other bytes read as Latin-1, behind the mark.
        assert_eq!(header_value("\u{e9}".as_bytes()), "\u{e9}");
        assert_eq!(header_text(&header_value("\u{e9}".as_bytes())), "\u{e9}");
        let latin1 = header_value(b"Hello World\xe9");
        assert!(latin1.starts_with(OBS_TEXT_MARK));
        assert_eq!(header_text(&latin1), "Hello World\u{e9}");
    }

    #[test]
    fn path_decoding_keeps_plus() {
        assert_eq!(decode_path("a+b%20c%2B").as_deref(), Some("a+b c+"));
        assert_eq!(decode_path("%FF"), None);
    }
}
