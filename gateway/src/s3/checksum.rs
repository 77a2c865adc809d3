//! Object integrity: Content-MD5, the flexible checksums (`x-amz-checksum-crc32`, `-crc32c`,
//! `-crc64nvme`, `-sha1`, `-sha256`) and the signed payload hash, computed in one pass while the
//! bytes go to the volume ([`BodyHasher`]) and compared with what the client claimed
//! ([`Expectations`]). Uses the SIMD-detecting implementations (sha2, crc32fast, crc32c,
//! crc64fast-nvme). Must not read a body twice or buffer it.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use sha2::Sha256;

use crate::s3::error::{Code, S3Error, S3Result};
use crate::s3::request::RequestInfo;

/// A flexible-checksum algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// CRC-32 (IEEE).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// The name as in `x-amz-checksum-algorithm` (`CRC32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The header carrying a value of this algorithm.
    pub fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Parses an algorithm name, case-insensitively.
    pub fn parse(s: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
    }

    /// Length of the raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }
}

/// A running flexible checksum.
#[derive(Clone)]
enum Running {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64(crc64fast_nvme::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Running {
    fn new(a: Algorithm) -> Running {
        match a {
            Algorithm::Crc32 => Running::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Running::Crc32c(0),
            Algorithm::Crc64Nvme => Running::Crc64(crc64fast_nvme::Digest::new()),
            Algorithm::Sha1 => Running::Sha1(Sha1::new()),
            Algorithm::Sha256 => Running::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, buf: &[u8]) {
        match self {
            Running::Crc32(h) => h.update(buf),
            Running::Crc32c(c) => *c = crc32c::crc32c_append(*c, buf),
            Running::Crc64(h) => h.write(buf),
            Running::Sha1(h) => h.update(buf),
            Running::Sha256(h) => h.update(buf),
        }
    }

    /// The digest, base64-encoded as S3 sends it.
    fn finish(self) -> String {
        match self {
            Running::Crc32(h) => B64.encode(h.finalize().to_be_bytes()),
            Running::Crc32c(c) => B64.encode(c.to_be_bytes()),
            Running::Crc64(h) => B64.encode(h.sum64().to_be_bytes()),
            Running::Sha1(h) => B64.encode(h.finalize()),
            Running::Sha256(h) => B64.encode(h.finalize()),
        }
    }
}

/// What the client claimed about the body, checked when the last byte has passed.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    /// Content-MD5, decoded.
    pub md5: Option<[u8; 16]>,
    /// The flexible checksum to compute, with the value the client sent if it sent one in a
    /// header (a trailer value arrives later, through [`BodyHasher::finish`]).
    pub checksum: Option<(Algorithm, Option<String>)>,
    /// SHA-256 of the payload from a signed `x-amz-content-sha256`.
    pub sha256: Option<[u8; 32]>,
    /// The exact length the body must have, when known.
    pub length: Option<u64>,
}

impl Expectations {
    /// Reads Content-MD5 and the `x-amz-checksum-*` / `x-amz-sdk-checksum-algorithm` headers.
    /// A malformed Content-MD5 is `InvalidDigest`; two checksum headers, an unknown algorithm
    /// or a value of the wrong length is `InvalidRequest`.
    pub fn from_headers(req: &RequestInfo) -> S3Result<Expectations> {
        let mut exp = Expectations::default();
        if let Some(v) = req.header("content-md5") {
            let raw = B64
                .decode(v.trim())
                .map_err(|_| S3Error::new(Code::InvalidDigest))?;
            exp.md5 = Some(raw.try_into().map_err(|_| S3Error::new(Code::InvalidDigest))?);
        }
        let mut found = None;
        for a in Algorithm::ALL {
            if let Some(v) = req.header(a.header()) {
                if found.is_some() {
                    return Err(S3Error::with_message(
                        Code::InvalidRequest,
                        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                    ));
                }
                let ok = B64.decode(v.trim()).is_ok_and(|raw| raw.len() == a.digest_len());
                if !ok {
                    return Err(S3Error::with_message(
                        Code::InvalidRequest,
                        format!("Value for {} header is invalid.", a.header()),
                    ));
                }
                found = Some((a, Some(v.trim().to_owned())));
            }
        }
        if let Some(t) = req.header("x-amz-trailer") {
            if found.is_some() {
                return Err(S3Error::with_message(
                    Code::InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            // The trailer names the checksum: its value arrives after the body.
            let name = t.trim().to_ascii_lowercase();
            if let Some(a) = Algorithm::ALL.into_iter().find(|a| a.header() == name) {
                found = Some((a, None));
            }
        }
        if found.is_none() {
            // The algorithm alone (its value comes in a trailer, or not at all).
            let alg = req
                .header("x-amz-sdk-checksum-algorithm")
                .or_else(|| req.header("x-amz-checksum-algorithm"));
            if let Some(name) = alg {
                let a = Algorithm::parse(name).ok_or_else(|| {
                    S3Error::with_message(
                        Code::InvalidRequest,
                        format!("Checksum algorithm {name} is not supported."),
                    )
                })?;
                found = Some((a, None));
            }
        }
        exp.checksum = found;
        Ok(exp)
    }
}

/// Hashes a body as it passes: always MD5 (the ETag), plus what [`Expectations`] asks for.
pub struct BodyHasher {
    md5: Md5,
    sha256: Option<Sha256>,
    checksum: Option<Running>,
    len: u64,
    exp: Expectations,
}

/// What a finished body hashed to.
#[derive(Clone, Debug)]
pub struct BodyDigest {
    /// MD5 of the body (the ETag of a simple PUT).
    pub md5: [u8; 16],
    /// The flexible checksum, if one was asked for: (algorithm, base64 value).
    pub checksum: Option<(Algorithm, String)>,
    /// Body length.
    pub len: u64,
}

impl BodyHasher {
    /// Starts hashing for these expectations.
    pub fn new(exp: Expectations) -> BodyHasher {
        BodyHasher {
            md5: Md5::new(),
            sha256: exp.sha256.map(|_| Sha256::new()),
            checksum: exp.checksum.as_ref().map(|(a, _)| Running::new(*a)),
            len: 0,
            exp,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, buf: &[u8]) {
        self.md5.update(buf);
        if let Some(h) = &mut self.sha256 {
            h.update(buf);
        }
        if let Some(h) = &mut self.checksum {
            h.update(buf);
        }
        self.len += buf.len() as u64;
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if no byte was seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends the body and checks every expectation. `trailer` is a checksum value that arrived
    /// in an aws-chunked trailer: (algorithm, base64 value).
    pub fn finish(self, trailer: Option<(Algorithm, String)>) -> S3Result<BodyDigest> {
        if let Some(want) = self.exp.length {
            if self.len != want {
                return Err(S3Error::with_message(
                    Code::IncompleteBody,
                    format!(
                        "The request body is {} bytes, the declared length is {want}.",
                        self.len
                    ),
                ));
            }
        }
        if let (Some(h), Some(want)) = (self.sha256, self.exp.sha256) {
            if h.finalize()[..] != want[..] {
                return Err(S3Error::new(Code::XAmzContentSHA256Mismatch));
            }
        }
        let md5: [u8; 16] = self.md5.finalize().into();
        if let Some(want) = self.exp.md5 {
            if md5 != want {
                return Err(S3Error::new(Code::BadDigest)
                    .extra("ExpectedDigest", hex::encode(want))
                    .extra("CalculatedDigest", hex::encode(md5)));
            }
        }
        let checksum = match (self.checksum, self.exp.checksum) {
            (Some(running), Some((alg, claimed))) => {
                let value = running.finish();
                let claimed = match (claimed, trailer) {
                    (Some(c), _) => Some(c),
                    (None, Some((talg, tval))) if talg == alg => Some(tval),
                    (None, Some((talg, _))) => {
                        return Err(S3Error::with_message(
                            Code::InvalidRequest,
                            format!(
                                "The trailer carries {} but {} was declared.",
                                talg.name(),
                                alg.name()
                            ),
                        ))
                    }
                    (None, None) => None,
                };
                if let Some(c) = claimed {
                    if c != value {
                        return Err(S3Error::with_message(
                            Code::BadDigest,
                            format!(
                                "The {} you specified did not match the calculated checksum.",
                                alg.name()
                            ),
                        ));
                    }
                }
                Some((alg, value))
            }
            _ => None,
        };
        Ok(BodyDigest {
            md5,
            checksum,
            len: self.len,
        })
    }
}

/// A one-off digest of one algorithm (used to combine part checksums).
pub struct Digest(Running);

impl Digest {
    /// Feeds bytes.
    pub fn update(&mut self, buf: &[u8]) {
        self.0.update(buf);
    }

    /// The base64 value.
    pub fn finish(self) -> String {
        self.0.finish()
    }
}

/// Starts a digest of `alg`.
pub fn digest_of(alg: Algorithm) -> Digest {
    Digest(Running::new(alg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(alg: Algorithm, data: &[u8]) -> String {
        let mut r = Running::new(alg);
        r.update(data);
        r.finish()
    }

    #[test]
    fn known_vectors() {
        // "123456789" check values from the CRC catalogue, and the SHA test vectors.
        assert_eq!(
            digest(Algorithm::Crc32, b"123456789"),
            B64.encode(0xCBF4_3926u32.to_be_bytes())
        );
        assert_eq!(
            digest(Algorithm::Crc32c, b"123456789"),
            B64.encode(0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(
            digest(Algorithm::Crc64Nvme, b"123456789"),
            B64.encode(0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
        assert_eq!(
            digest(Algorithm::Sha1, b"abc"),
            B64.encode(hex::decode("a9993e364706816aba3e25717850c26c9cd0d89d").unwrap())
        );
        assert_eq!(
            digest(Algorithm::Sha256, b""),
            B64.encode(
                hex::decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap()
            )
        );
    }

    fn hash(exp: Expectations, data: &[u8], trailer: Option<(Algorithm, String)>) -> S3Result<BodyDigest> {
        let mut h = BodyHasher::new(exp);
        for c in data.chunks(7) {
            h.update(c);
        }
        h.finish(trailer)
    }

    #[test]
    fn mismatches_are_client_errors() {
        let md5: [u8; 16] = Md5::digest(b"hello").into();
        let ok = Expectations {
            md5: Some(md5),
            ..Default::default()
        };
        assert_eq!(hash(ok.clone(), b"hello", None).unwrap().md5, md5);
        assert_eq!(hash(ok, b"hellO", None).unwrap_err().code, Code::BadDigest);

        let crc = digest(Algorithm::Crc32, b"hello");
        let exp = Expectations {
            checksum: Some((Algorithm::Crc32, Some(crc.clone()))),
            ..Default::default()
        };
        assert_eq!(
            hash(exp.clone(), b"hello", None).unwrap().checksum,
            Some((Algorithm::Crc32, crc.clone()))
        );
        assert_eq!(hash(exp, b"jello", None).unwrap_err().code, Code::BadDigest);

        let trailer_only = Expectations {
            checksum: Some((Algorithm::Crc32, None)),
            ..Default::default()
        };
        assert!(hash(
            trailer_only.clone(),
            b"hello",
            Some((Algorithm::Crc32, crc.clone()))
        )
        .is_ok());
        assert_eq!(
            hash(
                trailer_only.clone(),
                b"hello",
                Some((Algorithm::Crc32, "AAAAAA==".into()))
            )
            .unwrap_err()
            .code,
            Code::BadDigest
        );
        assert_eq!(
            hash(trailer_only, b"hello", Some((Algorithm::Crc32c, crc)))
                .unwrap_err()
                .code,
            Code::InvalidRequest
        );

        let sha = Expectations {
            sha256: Some(Sha256::digest(b"x").into()),
            ..Default::default()
        };
        assert!(hash(sha.clone(), b"x", None).is_ok());
        assert_eq!(
            hash(sha, b"y", None).unwrap_err().code,
            Code::XAmzContentSHA256Mismatch
        );

        let len = Expectations {
            length: Some(3),
            ..Default::default()
        };
        assert_eq!(hash(len, b"ab", None).unwrap_err().code, Code::IncompleteBody);
    }

    #[test]
    fn header_parsing() {
        let req = |h: &[(&str, &str)]| {
            RequestInfo::new(
                "PUT",
                "/b/k",
                "",
                h.iter().map(|(k, v)| ((*k).into(), (*v).into())),
                "r".into(),
            )
        };
        assert_eq!(
            Expectations::from_headers(&req(&[("content-md5", "nope")]))
                .unwrap_err()
                .code,
            Code::InvalidDigest
        );
        assert_eq!(
            Expectations::from_headers(&req(&[("content-md5", "aGVsbG8=")]))
                .unwrap_err()
                .code,
            Code::InvalidDigest
        );
        let two = [
            ("x-amz-checksum-crc32", "AAAAAA=="),
            ("x-amz-checksum-crc32c", "AAAAAA=="),
        ];
        assert_eq!(
            Expectations::from_headers(&req(&two)).unwrap_err().code,
            Code::InvalidRequest
        );
        let short = [("x-amz-checksum-sha256", "AAAAAA==")];
        assert_eq!(
            Expectations::from_headers(&req(&short)).unwrap_err().code,
            Code::InvalidRequest
        );
        let trailer = [("x-amz-trailer", "x-amz-checksum-crc32c")];
        assert_eq!(
            Expectations::from_headers(&req(&trailer)).unwrap().checksum,
            Some((Algorithm::Crc32c, None))
        );
        let both = [
            ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ("x-amz-checksum-crc32", "AAAAAA=="),
        ];
        assert_eq!(
            Expectations::from_headers(&req(&both)).unwrap_err().code,
            Code::InvalidRequest
        );
        let alg = [("x-amz-sdk-checksum-algorithm", "crc64nvme")];
        assert_eq!(
            Expectations::from_headers(&req(&alg)).unwrap().checksum,
            Some((Algorithm::Crc64Nvme, None))
        );
    }
}
