//! SigV4 query signing (presigned URLs), written here rather than borrowed from the gateway,
//! whose `sigv4` module verifies and must stay an independent check of this code.
//!
//! Owns: the signing key (derived once per [`Signer`]), the canonical request of a presigned
//! request (only `host` signed, payload `UNSIGNED-PAYLOAD`), the string to sign, and AWS
//! `UriEncode`. Must not do I/O or read the clock after construction: a [`Signer`] fixes its
//! request time, so a URL signed twice is identical, and it is cheap to sign per request
//! (one SHA-256 of a short string and one HMAC).

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// How long a presigned URL stays valid; a suite run is far shorter.
const EXPIRES_SECS: u32 = 3600;

/// Signs requests for one access key, region and host, at one request time.
#[derive(Clone, Debug)]
pub struct Signer {
    access_key: String,
    host: String,
    amz_date: String,
    scope: String,
    key: [u8; 32],
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// AWS `UriEncode`: every byte but `A-Za-z0-9-._~` as `%XX` (upper-case hex); `/` kept when
/// `keep_slash` (paths), encoded otherwise (query names and values).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Signer {
    /// A signer for `host` (as sent in the `Host` header, e.g. `127.0.0.1:9000`) at `now`.
    pub fn new(access_key: &str, secret_key: &str, region: &str, host: &str, now: OffsetDateTime) -> Signer {
        let amz_date = now
            .format(format_description!("[year][month][day]T[hour][minute][second]Z"))
            .expect("a UTC date formats");
        let day = &amz_date[..8];
        let k_date = hmac(format!("AWS4{secret_key}").as_bytes(), day.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, b"s3");
        Signer {
            access_key: access_key.to_owned(),
            host: host.to_owned(),
            scope: format!("{day}/{region}/s3/aws4_request"),
            key: hmac(&k_service, b"aws4_request"),
            amz_date,
        }
    }

    /// A signer for `host` at the current time.
    pub fn now(access_key: &str, secret_key: &str, region: &str, host: &str) -> Signer {
        Signer::new(access_key, secret_key, region, host, OffsetDateTime::now_utc())
    }

    /// The `Host` header value the signature covers.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The presigned path and query for `method` on `path` (unencoded, starting with `/`) with
    /// the extra query parameters `params` (unencoded names and values).
    pub fn presign(&self, method: &str, path: &str, params: &[(&str, &str)]) -> String {
        let credential = format!("{}/{}", self.access_key, self.scope);
        let mut query: Vec<(String, String)> = vec![
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            ("X-Amz-Credential".into(), uri_encode(&credential, false)),
            ("X-Amz-Date".into(), self.amz_date.clone()),
            ("X-Amz-Expires".into(), EXPIRES_SECS.to_string()),
            ("X-Amz-SignedHeaders".into(), "host".into()),
        ];
        query.extend(
            params
                .iter()
                .map(|(n, v)| (uri_encode(n, false), uri_encode(v, false))),
        );
        query.sort();
        let canonical_query = join_query(&query);
        let canonical_uri = uri_encode(path, true);
        let canonical_request = format!(
            "{method}\n{canonical_uri}\n{canonical_query}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD",
            self.host
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let signature = hex::encode(hmac(&self.key, string_to_sign.as_bytes()));
        format!("{canonical_uri}?{canonical_query}&X-Amz-Signature={signature}")
    }
}

fn join_query(pairs: &[(String, String)]) -> String {
    let mut out = String::with_capacity(256);
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway::s3::sigv4;
    use std::time::{Duration, UNIX_EPOCH};

    fn verify(method: &str, signer: &Signer, path_query: &str, at: OffsetDateTime) -> bool {
        let (path, query) = path_query.split_once('?').unwrap();
        let headers = [("host", signer.host())];
        let req = sigv4::Request {
            method,
            raw_path: path,
            raw_query: query,
            headers: &headers,
        };
        let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(at.unix_timestamp()).unwrap() + 5);
        sigv4::verify(&req, "us-east-1", now, |ak| {
            (ak == "AK").then(|| "SECRET".to_owned())
        })
        .is_ok()
    }

    #[test]
    fn the_gateway_accepts_our_urls() {
        let at = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        let s = Signer::new("AK", "SECRET", "us-east-1", "127.0.0.1:9000", at);
        let put = s.presign("PUT", "/bench/s4k-c8-w03-000012", &[]);
        assert!(verify("PUT", &s, &put, at));
        assert!(!verify("GET", &s, &put, at), "the method is signed");
        let list = s.presign(
            "GET",
            "/list1m",
            &[
                ("list-type", "2"),
                ("max-keys", "1000"),
                ("continuation-token", "a+b/c="),
            ],
        );
        assert!(verify("GET", &s, &list, at));
        let wrong = Signer::new("AK", "OTHER", "us-east-1", "127.0.0.1:9000", at);
        assert!(!verify("GET", &wrong, &wrong.presign("GET", "/b/k", &[]), at));
    }

    #[test]
    fn uri_encoding() {
        assert_eq!(uri_encode("a b/c~d+", true), "a%20b/c~d%2B");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }
}
