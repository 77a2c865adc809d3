//! Tests: AWS's published S3 `SigV4` examples first, then one crafted request per error, then
//! the building blocks, then garbage input.
//!
//! Sources of the expected values (all with `AKIAIOSFODNN7EXAMPLE` /
//! `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, 20130524T000000Z, us-east-1):
//! - "Signature Calculations for the Authorization Header: Transferring Payload in a Single
//!   Chunk" (`sig-v4-header-based-auth.html`): GET Object, PUT Object, GET Bucket Lifecycle,
//!   GET Bucket (List Objects);
//! - "Authenticating Requests: Using Query Parameters" (`sigv4-query-string-auth.html`);
//! - "Transferring Payload in Multiple Chunks" (`sigv4-streaming.html`);
//! - "Signature calculations for trailing headers" (`sigv4-streaming-trailers.html`).

use super::*;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const DATE: &str = "20130524T000000Z";
/// 2013-05-24T00:00:00Z.
const T0: u64 = 1_369_353_600;
const HOST: &str = "examplebucket.s3.amazonaws.com";
const SCOPE: &str = "20130524/us-east-1/s3/aws4_request";

/// `T0 + offset` seconds.
fn at(offset: i64) -> SystemTime {
    let t0 = UNIX_EPOCH + Duration::from_secs(T0);
    if offset >= 0 {
        t0 + Duration::from_secs(offset.unsigned_abs())
    } else {
        t0 - Duration::from_secs(offset.unsigned_abs())
    }
}

#[allow(clippy::unnecessary_wraps)] // reason: the shape `verify` wants
fn lookup(ak: &str) -> Option<String> {
    (ak == AK).then(|| SECRET.to_owned())
}

fn request<'a>(
    method: &'a str,
    raw_path: &'a str,
    raw_query: &'a str,
    headers: &'a [(&'a str, &'a str)],
) -> Request<'a> {
    Request {
        method,
        raw_path,
        raw_query,
        headers,
    }
}

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn sha_hex(data: &str) -> String {
    hex::encode(Sha256::digest(data.as_bytes()))
}

fn auth(signed_headers: &str, signature: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={AK}/{SCOPE},SignedHeaders={signed_headers},Signature={signature}")
}

fn expect_err(result: Result<Verified, AuthError>) -> AuthError {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// AWS published examples
// ---------------------------------------------------------------------------------------------

/// AWS General Reference, "Deriving the signing key" (IAM example, secret with a `+`).
#[test]
fn signing_key_matches_the_aws_general_reference() {
    let key = signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "20120215",
        "us-east-1",
        "iam",
    );
    assert_eq!(
        hex::encode(key),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

const GET_OBJECT_SIG: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

#[test]
fn aws_example_get_object_with_range() {
    let authorization = auth("host;range;x-amz-content-sha256;x-amz-date", GET_OBJECT_SIG);
    let headers = [
        ("Host", HOST),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256_HEX),
        ("x-amz-date", DATE),
        ("Authorization", authorization.as_str()),
    ];
    let req = request("GET", "/test.txt", "", &headers);

    // The canonical request and string-to-sign printed in the AWS page.
    let canonical = canonical_request(
        "GET",
        &canonical_uri("/test.txt"),
        &canonical_query("", false),
        &canonical_headers(&headers, &["host", "range", "x-amz-content-sha256", "x-amz-date"]).unwrap(),
        "host;range;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256_HEX,
    );
    assert_eq!(
        canonical,
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
         x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
         x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let sts = string_to_sign(DATE, SCOPE, &canonical);
    assert_eq!(
        sts,
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
         7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    );
    let key = signing_key(SECRET, "20130524", REGION, "s3");
    assert_eq!(signature(&key, &sts), GET_OBJECT_SIG);

    let v = verify(&req, REGION, at(0), lookup).unwrap();
    assert_eq!(v.access_key, AK);
    assert!(!v.presigned);
    assert_eq!(v.payload, Payload::Sha256(sha(b"")));
}

const PUT_OBJECT_SIG: &str = "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd";

fn put_object_headers(authorization: &str) -> [(&str, &str); 6] {
    [
        ("Host", HOST),
        ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("x-amz-date", DATE),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "x-amz-content-sha256",
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        ),
        ("Authorization", authorization),
    ]
}

#[test]
fn aws_example_put_object_with_dollar_in_key() {
    assert_eq!(
        sha_hex("Welcome to Amazon S3."),
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
    let authorization = auth(
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        PUT_OBJECT_SIG,
    );
    let headers = put_object_headers(&authorization);
    let canonical = canonical_request(
        "PUT",
        &canonical_uri("/test%24file.text"),
        "",
        &canonical_headers(
            &headers,
            &[
                "date",
                "host",
                "x-amz-content-sha256",
                "x-amz-date",
                "x-amz-storage-class",
            ],
        )
        .unwrap(),
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
    );
    assert_eq!(
        canonical,
        "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n\
         host:examplebucket.s3.amazonaws.com\n\
         x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n\
         x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n\
         date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n\
         44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
    assert_eq!(
        sha_hex(&canonical),
        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"
    );
    // `$` escaped (as the SDKs send it) or raw on the wire: one canonical form.
    for path in ["/test%24file.text", "/test$file.text"] {
        let v = verify(&request("PUT", path, "", &headers), REGION, at(0), lookup).unwrap();
        assert_eq!(v.payload, Payload::Sha256(sha(b"Welcome to Amazon S3.")));
        assert_eq!(v.payload.check_sha256(&sha(b"Welcome to Amazon S3.")), Ok(()));
    }
}

const LIFECYCLE_SIG: &str = "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543";
const LIST_SIG: &str = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";

fn bucket_get_headers(authorization: &str) -> [(&str, &str); 4] {
    [
        ("Host", HOST),
        ("x-amz-date", DATE),
        ("x-amz-content-sha256", EMPTY_SHA256_HEX),
        ("Authorization", authorization),
    ]
}

#[test]
fn aws_example_get_bucket_lifecycle() {
    let authorization = auth("host;x-amz-content-sha256;x-amz-date", LIFECYCLE_SIG);
    let headers = bucket_get_headers(&authorization);
    assert_eq!(canonical_query("lifecycle", false), "lifecycle=");
    let canonical = canonical_request(
        "GET",
        "/",
        "lifecycle=",
        &canonical_headers(&headers, &["host", "x-amz-content-sha256", "x-amz-date"]).unwrap(),
        "host;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256_HEX,
    );
    assert_eq!(
        sha_hex(&canonical),
        "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"
    );
    for query in ["lifecycle", "lifecycle="] {
        verify(&request("GET", "/", query, &headers), REGION, at(0), lookup).unwrap();
    }
}

#[test]
fn aws_example_get_bucket_list_objects() {
    let authorization = auth("host;x-amz-content-sha256;x-amz-date", LIST_SIG);
    let headers = bucket_get_headers(&authorization);
    assert_eq!(
        canonical_query("prefix=J&max-keys=2", false),
        "max-keys=2&prefix=J"
    );
    let canonical = canonical_request(
        "GET",
        "/",
        "max-keys=2&prefix=J",
        &canonical_headers(&headers, &["host", "x-amz-content-sha256", "x-amz-date"]).unwrap(),
        "host;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256_HEX,
    );
    assert_eq!(
        sha_hex(&canonical),
        "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"
    );
    for query in ["max-keys=2&prefix=J", "prefix=J&max-keys=2"] {
        verify(&request("GET", "/", query, &headers), REGION, at(0), lookup).unwrap();
    }
    // The same signature does not cover another query.
    let e = expect_err(verify(
        &request("GET", "/", "max-keys=3&prefix=J", &headers),
        REGION,
        at(0),
        lookup,
    ));
    assert_eq!(e.code(), "SignatureDoesNotMatch");
}

const PRESIGNED_SIG: &str = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

fn presigned_query(expires: &str, signature: &str) -> String {
    format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F20130524%2Fus-east-1%2Fs3%2F\
         aws4_request&X-Amz-Date={DATE}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host\
         &X-Amz-Signature={signature}"
    )
}

#[test]
fn aws_example_presigned_get_object() {
    let query = presigned_query("86400", PRESIGNED_SIG);
    let headers = [("Host", HOST)];
    let req = request("GET", "/test.txt", &query, &headers);
    let canonical = canonical_request(
        "GET",
        &canonical_uri("/test.txt"),
        &canonical_query(&query, true),
        &canonical_headers(&headers, &["host"]).unwrap(),
        "host",
        UNSIGNED_PAYLOAD,
    );
    assert_eq!(
        canonical,
        "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\
         AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=\
         20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n\
         host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
    );
    assert_eq!(
        sha_hex(&canonical),
        "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
    );
    for now in [at(0), at(3600), at(86_400)] {
        let v = verify(&req, REGION, now, lookup).unwrap();
        assert!(v.presigned);
        assert_eq!(v.payload, Payload::Unsigned);
        assert_eq!(v.access_key, AK);
    }
    // Expired one second after X-Amz-Date + X-Amz-Expires.
    let e = expect_err(verify(&req, REGION, at(86_401), lookup));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.message(), "Request has expired");
    assert_eq!(
        e.details(),
        vec![
            ("X-Amz-Expires", "86400".to_owned()),
            ("Expires", "2013-05-25T00:00:00Z".to_owned()),
            ("ServerTime", "2013-05-25T00:00:01Z".to_owned()),
        ]
    );
}

const STREAMING_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const STREAMING_CHUNKS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

#[test]
fn aws_example_streaming_put_object() {
    let signed_headers = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
                  x-amz-decoded-content-length;x-amz-storage-class";
    let authorization = auth(signed_headers, STREAMING_SEED);
    let headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", DATE),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", authorization.as_str()),
        ("x-amz-content-sha256", STREAMING_PAYLOAD),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ];
    let req = request("PUT", "/examplebucket/chunkObject.txt", "", &headers);
    let names: Vec<&str> = signed_headers.split(';').collect();
    let canonical = canonical_request(
        "PUT",
        "/examplebucket/chunkObject.txt",
        "",
        &canonical_headers(&headers, &names).unwrap(),
        signed_headers,
        STREAMING_PAYLOAD,
    );
    assert_eq!(
        sha_hex(&string_to_sign(DATE, SCOPE, &canonical)),
        sha_hex(&format!(
            "AWS4-HMAC-SHA256\n{DATE}\n{SCOPE}\n\
             cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455"
        ))
    );

    let v = verify(&req, REGION, at(0), lookup).unwrap();
    let Payload::Streaming(mut signer) = v.payload else {
        panic!("expected Streaming, got {:?}", v.payload);
    };
    assert_eq!(signer.previous_signature(), STREAMING_SEED);
    let big = vec![b'a'; 65_536];
    let chunks: [&[u8]; 3] = [&big, &[b'a'; 1024], b""];

    // A wrong signature is refused and does not move the chain.
    let e = signer
        .verify_chunk(&sha(chunks[0]), STREAMING_CHUNKS[1])
        .unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    assert_eq!(signer.previous_signature(), STREAMING_SEED);
    // Right data, wrong order: the second signature does not fit the first chunk.
    assert!(signer.verify_chunk(&sha(chunks[1]), STREAMING_CHUNKS[0]).is_err());

    for (data, sig) in chunks.iter().zip(STREAMING_CHUNKS) {
        signer.verify_chunk(&sha(data), sig).unwrap();
        assert_eq!(signer.previous_signature(), sig);
    }
    // The first chunk's string-to-sign, as printed by AWS.
    let fresh = ChunkSigner::new(
        signing_key(SECRET, "20130524", REGION, "s3"),
        DATE,
        SCOPE,
        STREAMING_SEED,
    );
    assert_eq!(
        fresh.chunk_string_to_sign(&sha(chunks[0])),
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\n{STREAMING_SEED}\n{EMPTY_SHA256_HEX}\n\
             bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a"
        )
    );
}

const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
const TRAILER_CHUNKS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const TRAILER_SIG: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

#[test]
fn aws_example_streaming_put_object_with_trailer() {
    let signed_headers = "content-encoding;host;x-amz-content-sha256;x-amz-date;\
                  x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer";
    let authorization = auth(signed_headers, TRAILER_SEED);
    let headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", DATE),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", authorization.as_str()),
        ("x-amz-content-sha256", STREAMING_PAYLOAD_TRAILER),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("x-amz-trailer", "x-amz-checksum-crc32c"),
        ("Content-Length", "66824"),
    ];
    let req = request("PUT", "/examplebucket/chunkObject.txt", "", &headers);
    let v = verify(&req, REGION, at(0), lookup).unwrap();
    let Payload::StreamingTrailer(mut signer) = v.payload else {
        panic!("expected StreamingTrailer, got {:?}", v.payload);
    };
    let big = vec![b'a'; 65_536];
    let chunks: [&[u8]; 3] = [&big, &[b'a'; 1024], b""];
    for (data, sig) in chunks.iter().zip(TRAILER_CHUNKS) {
        signer.verify_chunk(&sha(data), sig).unwrap();
    }
    let trailer = b"x-amz-checksum-crc32c:sOO8/Q==\n";
    // A changed checksum fails, and leaves the chain where it was.
    let e = signer
        .verify_trailer(b"x-amz-checksum-crc32c:AAAAAA==\n", TRAILER_SIG)
        .unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    signer.verify_trailer(trailer, TRAILER_SIG).unwrap();
    assert_eq!(signer.previous_signature(), TRAILER_SIG);
}

#[test]
fn streaming_unsigned_trailer_needs_no_signer() {
    let (headers, _) = signed_request(
        "PUT",
        "/b/k",
        "",
        &[("x-amz-content-sha256", STREAMING_UNSIGNED_PAYLOAD_TRAILER)],
        SECRET,
        DATE,
        REGION,
    );
    let hs = as_pairs(&headers);
    let v = verify(&request("PUT", "/b/k", "", &hs), REGION, at(0), lookup).unwrap();
    assert_eq!(v.payload, Payload::StreamingUnsignedTrailer);
}

// ---------------------------------------------------------------------------------------------
// Crafted requests, signed with the building blocks checked above
// ---------------------------------------------------------------------------------------------

/// Signs a header-authenticated request: adds `host`, `x-amz-date` (unless `extra` has a date)
/// and `Authorization` to `extra`, signing every header it ends up with. Returns the headers and
/// the signature.
fn signed_request(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    extra: &[(&str, &str)],
    secret: &str,
    amz_date: &str,
    region: &str,
) -> (Vec<(String, String)>, String) {
    let mut headers: Vec<(String, String)> = vec![("Host".into(), "localhost:9000".into())];
    if !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case("date")) {
        headers.push(("X-Amz-Date".into(), amz_date.into()));
    }
    headers.extend(extra.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
    let mut names: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let signed = names.join(";");
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let pairs = as_pairs(&headers);
    let payload = pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map_or(UNSIGNED_PAYLOAD, |(_, v)| *v);
    let canonical = canonical_request(
        method,
        &canonical_uri(raw_path),
        &canonical_query(raw_query, false),
        &canonical_headers(&pairs, &name_refs).unwrap(),
        &signed,
        payload,
    );
    let day = &amz_date[..8];
    let scope = credential_scope(day, region, "s3");
    let sig = signature(
        &signing_key(secret, day, region, "s3"),
        &string_to_sign(amz_date, &scope, &canonical),
    );
    headers.push((
        "Authorization".into(),
        format!("AWS4-HMAC-SHA256 Credential={AK}/{scope}, SignedHeaders={signed}, Signature={sig}"),
    ));
    (headers, sig)
}

fn as_pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// A plain signed GET with `UNSIGNED-PAYLOAD`, as owned headers.
fn simple_get(secret: &str, amz_date: &str, region: &str) -> Vec<(String, String)> {
    signed_request(
        "GET",
        "/bucket/key",
        "",
        &[("x-amz-content-sha256", UNSIGNED_PAYLOAD)],
        secret,
        amz_date,
        region,
    )
    .0
}

fn verify_get(headers: &[(String, String)], now: SystemTime) -> Result<Verified, AuthError> {
    let pairs = as_pairs(headers);
    verify(&request("GET", "/bucket/key", "", &pairs), REGION, now, lookup)
}

#[test]
fn crafted_request_verifies_with_unsigned_payload() {
    let v = verify_get(&simple_get(SECRET, DATE, REGION), at(0)).unwrap();
    assert_eq!(v.payload, Payload::Unsigned);
    assert_eq!(v.payload.check_sha256(&sha(b"anything")), Ok(()));
}

#[test]
fn skew_of_14_minutes_passes_and_16_minutes_fails_both_ways() {
    let headers = simple_get(SECRET, DATE, REGION);
    for offset in [-14 * 60, 14 * 60, 15 * 60, -15 * 60] {
        verify_get(&headers, at(offset)).unwrap();
    }
    for offset in [16 * 60, -16 * 60, 15 * 60 + 1] {
        let e = expect_err(verify_get(&headers, at(offset)));
        assert_eq!(
            e,
            AuthError::RequestTimeTooSkewed {
                request_time: at(0),
                server_time: at(offset)
            }
        );
        assert_eq!(e.code(), "RequestTimeTooSkewed");
    }
    let e = expect_err(verify_get(&headers, at(16 * 60)));
    assert_eq!(
        e.details(),
        vec![
            ("RequestTime", "20130524T000000Z".to_owned()),
            ("ServerTime", "2013-05-24T00:16:00Z".to_owned()),
            ("MaxAllowedSkewMilliseconds", "900000".to_owned()),
        ]
    );
}

#[test]
fn date_header_is_used_when_x_amz_date_is_absent() {
    let (headers, _) = signed_request(
        "GET",
        "/bucket/key",
        "",
        &[
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ],
        SECRET,
        DATE,
        REGION,
    );
    verify_get(&headers, at(0)).unwrap();
    let e = expect_err(verify_get(&headers, at(3600)));
    assert_eq!(e.code(), "RequestTimeTooSkewed");
}

#[test]
fn missing_or_unparsable_date_is_access_denied() {
    for date in [
        None,
        Some("yesterday"),
        Some("2013-05-24T00:00:00Z"),
        Some("20131324T000000Z"),
    ] {
        let authorization = auth("host;x-amz-date", &"0".repeat(64));
        let mut headers = vec![
            ("host", "h"),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
            ("authorization", authorization.as_str()),
        ];
        if let Some(d) = date {
            headers.push(("x-amz-date", d));
        }
        let e = expect_err(verify(&request("GET", "/", "", &headers), REGION, at(0), lookup));
        assert_eq!(e.code(), "AccessDenied", "{date:?}");
        assert_eq!(e.message(), MISSING_DATE);
    }
}

#[test]
fn wrong_region_is_malformed_header_carrying_the_expected_region() {
    let headers = simple_get(SECRET, DATE, "eu-west-1");
    let e = expect_err(verify_get(&headers, at(0)));
    assert_eq!(e.code(), "AuthorizationHeaderMalformed");
    assert_eq!(
        e.message(),
        "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
    );
    assert_eq!(e.details(), vec![("Region", "us-east-1".to_owned())]);
}

#[test]
fn wrong_service_terminator_date_and_shape_are_malformed_header() {
    let cases = [
        (
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/iam/aws4_request",
            "incorrect service \"iam\"",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request",
            "incorrect terminal",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/20130523/us-east-1/s3/aws4_request",
            "Invalid credential date",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3",
            "the Credential is mal-formed",
        ),
        (
            "/20130524/us-east-1/s3/aws4_request",
            "the Credential is mal-formed",
        ),
    ];
    for (credential, wanted) in cases {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature={}",
            "0".repeat(64)
        );
        let headers = [
            ("host", "h"),
            ("x-amz-date", DATE),
            ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
            ("authorization", authorization.as_str()),
        ];
        let e = expect_err(verify(&request("GET", "/", "", &headers), REGION, at(0), lookup));
        assert_eq!(e.code(), "AuthorizationHeaderMalformed", "{credential}");
        assert!(e.message().contains(wanted), "{credential}: {}", e.message());
        assert!(e.details().is_empty());
    }
}

#[test]
fn access_key_may_contain_a_slash() {
    // The credential is split from the right, so the key is everything before the scope.
    let key = "AK/with/slashes";
    let creq_headers = [
        ("host", "h"),
        ("x-amz-date", DATE),
        ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
    ];
    let canonical = canonical_request(
        "GET",
        "/",
        "",
        &canonical_headers(&creq_headers, &["host", "x-amz-date"]).unwrap(),
        "host;x-amz-date",
        UNSIGNED_PAYLOAD,
    );
    let sig = signature(
        &signing_key("s", "20130524", REGION, "s3"),
        &string_to_sign(DATE, SCOPE, &canonical),
    );
    let authorization =
        format!("AWS4-HMAC-SHA256 Credential={key}/{SCOPE},SignedHeaders=host;x-amz-date,Signature={sig}");
    let mut headers = creq_headers.to_vec();
    headers.push(("authorization", &authorization));
    let v = verify(&request("GET", "/", "", &headers), REGION, at(0), |ak| {
        (ak == key).then(|| "s".to_owned())
    })
    .unwrap();
    assert_eq!(v.access_key, key);
}

#[test]
fn unknown_key_is_invalid_access_key_id() {
    let headers = simple_get(SECRET, DATE, REGION);
    let pairs = as_pairs(&headers);
    let e = expect_err(verify(
        &request("GET", "/bucket/key", "", &pairs),
        REGION,
        at(0),
        |_| None,
    ));
    assert_eq!(e.code(), "InvalidAccessKeyId");
    assert_eq!(e.details(), vec![("AWSAccessKeyId", AK.to_owned())]);
}

#[test]
fn wrong_secret_is_signature_does_not_match_with_the_canonical_request() {
    let headers = simple_get("not-the-secret", DATE, REGION);
    let e = expect_err(verify_get(&headers, at(0)));
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    let details = e.details();
    assert_eq!(details[0], ("AWSAccessKeyId", AK.to_owned()));
    assert_eq!(details[1].0, "StringToSign");
    assert!(details[1].1.starts_with("AWS4-HMAC-SHA256\n20130524T000000Z\n"));
    assert_eq!(details[3].0, "CanonicalRequest");
    assert!(details[3]
        .1
        .starts_with("GET\n/bucket/key\n\nhost:localhost:9000\n"));
}

#[test]
fn tampering_with_any_signed_part_breaks_the_signature() {
    let headers = simple_get(SECRET, DATE, REGION);
    let pairs = as_pairs(&headers);
    let ok = |r: &Request| verify(r, REGION, at(0), lookup);
    assert!(ok(&request("GET", "/bucket/key", "", &pairs)).is_ok());
    for r in [
        request("PUT", "/bucket/key", "", &pairs),
        request("GET", "/bucket/key2", "", &pairs),
        request("GET", "/bucket//key", "", &pairs),
        request("GET", "/bucket/./key", "", &pairs),
        request("GET", "/bucket/key", "a=b", &pairs),
    ] {
        assert_eq!(ok(&r).unwrap_err().code(), "SignatureDoesNotMatch");
    }
    let mut changed = headers.clone();
    changed[0].1 = "evil:9000".into();
    assert_eq!(
        verify_get(&changed, at(0)).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
    // An unsigned extra header does not matter (AWS's unsigned x-amz-* rule is not enforced).
    let mut extra = headers.clone();
    extra.push(("X-Other".into(), "1".into()));
    verify_get(&extra, at(0)).unwrap();
}

#[test]
fn missing_content_sha256_is_invalid_request() {
    let (headers, _) = signed_request("GET", "/bucket/key", "", &[], SECRET, DATE, REGION);
    let e = expect_err(verify_get(&headers, at(0)));
    assert_eq!(e.code(), "InvalidRequest");
    assert_eq!(
        e.message(),
        "Missing required header for this request: x-amz-content-sha256"
    );
}

#[test]
fn unknown_content_sha256_values_are_invalid_argument() {
    for value in [
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        "unsigned-payload",
        "abc",
        &"g".repeat(64),
        &"a".repeat(63),
    ] {
        let (headers, _) = signed_request(
            "PUT",
            "/bucket/key",
            "",
            &[("x-amz-content-sha256", value)],
            SECRET,
            DATE,
            REGION,
        );
        let e = expect_err(verify_get(&headers, at(0)));
        assert_eq!(e.code(), "InvalidArgument", "{value}");
        assert_eq!(
            e.details(),
            vec![
                ("ArgumentName", "x-amz-content-sha256".to_owned()),
                ("ArgumentValue", value.to_owned())
            ]
        );
    }
}

#[test]
fn body_hash_mismatch_is_x_amz_content_sha256_mismatch() {
    let payload = Payload::Sha256(sha(b"expected"));
    assert_eq!(payload.check_sha256(&sha(b"expected")), Ok(()));
    let e = payload.check_sha256(&sha(b"other")).unwrap_err();
    assert_eq!(e.code(), "XAmzContentSHA256Mismatch");
    assert_eq!(
        e.details(),
        vec![
            ("ClientComputedContentSHA256", hex::encode(sha(b"expected"))),
            ("S3ComputedContentSHA256", hex::encode(sha(b"other"))),
        ]
    );
}

#[test]
fn host_must_be_signed_and_signed_headers_must_be_present() {
    let authorization = auth("x-amz-date", &"0".repeat(64));
    let headers = [
        ("host", "h"),
        ("x-amz-date", DATE),
        ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ("authorization", authorization.as_str()),
    ];
    let e = expect_err(verify(&request("GET", "/", "", &headers), REGION, at(0), lookup));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.message(), HEADERS_NOT_SIGNED);

    // Signed with a header that is then dropped on the way.
    let (mut headers, _) = signed_request(
        "GET",
        "/bucket/key",
        "",
        &[("x-amz-content-sha256", UNSIGNED_PAYLOAD), ("x-amz-meta-a", "1")],
        SECRET,
        DATE,
        REGION,
    );
    verify_get(&headers, at(0)).unwrap();
    headers.retain(|(n, _)| n != "x-amz-meta-a");
    let e = expect_err(verify_get(&headers, at(0)));
    assert_eq!(e.code(), "SignatureDoesNotMatch");
}

#[test]
fn authorization_header_layout_is_tolerated() {
    let headers = simple_get(SECRET, DATE, REGION);
    let sig = headers.last().unwrap().1.rsplit('=').next().unwrap().to_owned();
    let cred = format!("{AK}/{SCOPE}");
    let signed = "host;x-amz-content-sha256;x-amz-date";
    for layout in [
        format!("AWS4-HMAC-SHA256 Credential={cred},SignedHeaders={signed},Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders={signed}, Signature={sig}"),
        format!("  AWS4-HMAC-SHA256   Signature={sig} ,SignedHeaders={signed},  Credential={cred}  "),
        format!("AWS4-HMAC-SHA256 Credential={cred} SignedHeaders={signed} Signature={sig}"),
        format!(
            "AWS4-HMAC-SHA256\tCredential={cred},,SignedHeaders={signed},Signature={}",
            sig.to_uppercase()
        ),
    ] {
        let mut hs = headers.clone();
        hs.last_mut().unwrap().1 = layout.clone();
        verify_get(&hs, at(0)).unwrap_or_else(|e| panic!("{layout}: {e:?}"));
    }
    for broken in [
        format!("AWS4-HMAC-SHA256 Credential={cred},SignedHeaders={signed}"),
        format!("AWS4-HMAC-SHA256 Credential={cred},SignedHeaders={signed},Signature={sig},Signature={sig}"),
        format!("AWS4-HMAC-SHA256 Credential={cred},SignedHeaders={signed},Signature={sig},Foo=bar"),
        format!("AWS4-HMAC-SHA256 Credential={cred},SignedHeaders=host;;x-amz-date,Signature={sig}"),
        "AWS4-HMAC-SHA256".to_owned(),
    ] {
        let mut hs = headers.clone();
        hs.last_mut().unwrap().1 = broken.clone();
        let e = expect_err(verify_get(&hs, at(0)));
        assert_eq!(e.code(), "AuthorizationHeaderMalformed", "{broken}");
    }
    // A signature that is not 64 hex digits is just wrong.
    let mut hs = headers.clone();
    hs.last_mut().unwrap().1 =
        format!("AWS4-HMAC-SHA256 Credential={cred},SignedHeaders={signed},Signature=xyz");
    assert_eq!(
        verify_get(&hs, at(0)).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn other_mechanisms_are_refused_with_aws_codes() {
    let base = simple_get(SECRET, DATE, REGION);
    for (value, code) in [
        (
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
            "InvalidRequest",
        ),
        (
            "AWS4-ECDSA-P256-SHA256 Credential=x/20130524/s3/aws4_request, SignedHeaders=host, Signature=00",
            "InvalidRequest",
        ),
        ("Bearer abc", "InvalidArgument"),
        ("", "InvalidArgument"),
    ] {
        let mut hs = base.clone();
        hs.last_mut().unwrap().1 = value.to_owned();
        assert_eq!(verify_get(&hs, at(0)).unwrap_err().code(), code, "{value}");
    }
    // Two Authorization headers.
    let mut hs = base.clone();
    hs.push(hs.last().unwrap().clone());
    assert_eq!(
        verify_get(&hs, at(0)).unwrap_err().code(),
        "AuthorizationHeaderMalformed"
    );
    // Header and presigned query at once.
    let pairs = as_pairs(&base);
    let query = presigned_query("86400", PRESIGNED_SIG);
    let e = expect_err(verify(
        &request("GET", "/bucket/key", &query, &pairs),
        REGION,
        at(0),
        lookup,
    ));
    assert_eq!(e.code(), "InvalidArgument");
    // SigV2 presigned query.
    let e = expect_err(verify(
        &request(
            "GET",
            "/k",
            "AWSAccessKeyId=A&Expires=1&Signature=x",
            &[("host", "h")],
        ),
        REGION,
        at(0),
        lookup,
    ));
    assert_eq!(e.code(), "InvalidRequest");
    // Anonymous.
    let e = expect_err(verify(
        &request("GET", "/k", "", &[("host", "h")]),
        REGION,
        at(0),
        lookup,
    ));
    assert_eq!(e.code(), "AccessDenied");
}

#[test]
fn anonymous_detection() {
    let host = [("Host", "h")];
    assert!(is_anonymous(&request("GET", "/b/k", "", &host)));
    assert!(is_anonymous(&request(
        "GET",
        "/b/k",
        "prefix=X-Amz-Signature&list-type=2",
        &host
    )));
    assert!(!is_anonymous(&request(
        "GET",
        "/b/k",
        "X-Amz-Signature=abc",
        &host
    )));
    assert!(!is_anonymous(&request(
        "GET",
        "/b/k",
        "x=1&X-Amz-Algorithm=AWS4-HMAC-SHA256",
        &host
    )));
    assert!(!is_anonymous(&request(
        "GET",
        "/b/k",
        "AWSAccessKeyId=a&Signature=b",
        &host
    )));
    assert!(!is_anonymous(&request(
        "GET",
        "/b/k",
        "",
        &[("authorization", "x")]
    )));
}

// ---------------------------------------------------------------------------------------------
// Presigned errors
// ---------------------------------------------------------------------------------------------

/// Presigns `GET /test.txt` on `HOST` like the AWS example, with the given parts.
fn presign(expires: &str, amz_date: &str, region: &str, extra_query: &str) -> String {
    let day = &amz_date[..8];
    let scope = credential_scope(day, region, "s3");
    let mut query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F{}&X-Amz-Date={amz_date}\
         &X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
        scope.replace('/', "%2F")
    );
    if !extra_query.is_empty() {
        query.push('&');
        query.push_str(extra_query);
    }
    let canonical = canonical_request(
        "GET",
        "/test.txt",
        &canonical_query(&query, true),
        &format!("host:{HOST}\n"),
        "host",
        UNSIGNED_PAYLOAD,
    );
    let sig = signature(
        &signing_key(SECRET, day, region, "s3"),
        &string_to_sign(amz_date, &scope, &canonical),
    );
    format!("{query}&X-Amz-Signature={sig}")
}

fn verify_presigned_get(query: &str, now: SystemTime) -> Result<Verified, AuthError> {
    verify(
        &request("GET", "/test.txt", query, &[("host", HOST)]),
        REGION,
        now,
        lookup,
    )
}

#[test]
fn presign_helper_reproduces_the_aws_example() {
    assert_eq!(
        presign("86400", DATE, REGION, ""),
        presigned_query("86400", PRESIGNED_SIG)
    );
}

#[test]
fn presigned_expires_bounds() {
    verify_presigned_get(&presign("604800", DATE, REGION, ""), at(0)).unwrap();
    verify_presigned_get(&presign("1", DATE, REGION, ""), at(1)).unwrap();
    assert_eq!(
        verify_presigned_get(&presign("1", DATE, REGION, ""), at(2))
            .unwrap_err()
            .message(),
        "Request has expired"
    );
    for (expires, message) in [
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        (
            "99999999999999999999999",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        ("0", "X-Amz-Expires must be non-negative"),
        ("-5", "X-Amz-Expires must be non-negative"),
        ("ten", "X-Amz-Expires should be a number"),
        ("", "X-Amz-Expires should be a number"),
    ] {
        let e = expect_err(verify_presigned_get(&presign(expires, DATE, REGION, ""), at(0)));
        assert_eq!(e.code(), "AuthorizationQueryParametersError", "{expires}");
        assert_eq!(e.message(), message);
    }
}

#[test]
fn presigned_week_long_url_is_valid_after_twenty_minutes() {
    let query = presign("604800", DATE, REGION, "");
    verify_presigned_get(&query, at(20 * 60)).unwrap();
    verify_presigned_get(&query, at(604_800)).unwrap();
    assert_eq!(
        verify_presigned_get(&query, at(604_801)).unwrap_err().code(),
        "AccessDenied"
    );
}

#[test]
fn presigned_dated_in_the_future() {
    let query = presign("3600", DATE, REGION, "");
    verify_presigned_get(&query, at(-14 * 60)).unwrap();
    let e = expect_err(verify_presigned_get(&query, at(-16 * 60)));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(e.message(), "Request is not valid yet");
}

#[test]
fn presigned_wrong_region_carries_the_expected_region() {
    let e = expect_err(verify_presigned_get(
        &presign("3600", DATE, "eu-west-1", ""),
        at(0),
    ));
    assert_eq!(e.code(), "AuthorizationQueryParametersError");
    assert_eq!(
        e.message(),
        "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
    );
    assert_eq!(e.details(), vec![("Region", "us-east-1".to_owned())]);
}

#[test]
fn presigned_parameter_errors() {
    let good = presign("3600", DATE, REGION, "");
    let cases = [
        (
            good.replace("X-Amz-Expires=3600&", ""),
            "AuthorizationQueryParametersError",
        ),
        (
            good.replace("X-Amz-SignedHeaders=host&", ""),
            "AuthorizationQueryParametersError",
        ),
        (
            good.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
            "AuthorizationQueryParametersError",
        ),
        (
            good.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
            "InvalidRequest",
        ),
        (
            good.replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24"),
            "AuthorizationQueryParametersError",
        ),
        (
            good.replace("%2Fs3%2F", "%2Fiam%2F"),
            "AuthorizationQueryParametersError",
        ),
        (
            good.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range"),
            "AccessDenied",
        ),
        (
            good.replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524T000001Z"),
            "SignatureDoesNotMatch",
        ),
        (format!("{good}&extra=1"), "SignatureDoesNotMatch"),
    ];
    for (query, code) in cases {
        let e = expect_err(verify_presigned_get(&query, at(0)));
        assert_eq!(e.code(), code, "{query}");
    }
    let e = expect_err(verify(
        &request("GET", "/test.txt", &good, &[("host", HOST)]),
        REGION,
        at(0),
        |_| None,
    ));
    assert_eq!(e.code(), "InvalidAccessKeyId");
}

#[test]
fn presigned_extra_parameters_are_signed_and_the_signature_is_not() {
    // Extra parameters (X-Amz-Security-Token, response-*) ride along and are signed; `+` and
    // `%20` read the same; the signature parameter may sit anywhere.
    let query = presign(
        "3600",
        DATE,
        REGION,
        "X-Amz-Security-Token=tok%2Fen%3D&response-content-disposition=attachment%3B%20filename%3Da%2Bb",
    );
    verify_presigned_get(&query, at(0)).unwrap();
    verify_presigned_get(&query.replace("%3B%20filename", "%3B+filename"), at(0)).unwrap();
    let (head, sig) = query.rsplit_once("&X-Amz-Signature=").unwrap();
    verify_presigned_get(&format!("X-Amz-Signature={sig}&{head}"), at(0)).unwrap();
}

#[test]
fn presigned_payload_hash_from_a_signed_header() {
    let body_hash = sha_hex("hello");
    let scope = credential_scope("20130524", REGION, "s3");
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AK}%2F{}&X-Amz-Date={DATE}\
         &X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-amz-content-sha256",
        scope.replace('/', "%2F")
    );
    let headers = [("host", "h"), ("x-amz-content-sha256", body_hash.as_str())];
    let canonical = canonical_request(
        "PUT",
        "/b/k",
        &canonical_query(&query, true),
        &canonical_headers(&headers, &["host", "x-amz-content-sha256"]).unwrap(),
        "host;x-amz-content-sha256",
        &body_hash,
    );
    let sig = signature(
        &signing_key(SECRET, "20130524", REGION, "s3"),
        &string_to_sign(DATE, &scope, &canonical),
    );
    let query = format!("{query}&X-Amz-Signature={sig}");
    let v = verify(&request("PUT", "/b/k", &query, &headers), REGION, at(0), lookup).unwrap();
    assert_eq!(v.payload, Payload::Sha256(sha(b"hello")));
    assert!(v.presigned);
}

// ---------------------------------------------------------------------------------------------
// Keys with awkward characters, signed as the SDKs sign them
// ---------------------------------------------------------------------------------------------

/// An independent signer for one fixed request: the canonical request is written out by hand
/// the way botocore / the AWS SDKs build it (each byte of the key `UriEncode`d once, `/` kept),
/// and the HMAC chain is spelled out here rather than taken from the module.
fn sdk_signature(canonical_request_text: &str) -> String {
    fn mac(key: &[u8], msg: &str) -> Vec<u8> {
        let mut m = HmacSha256::new_from_slice(key).unwrap();
        m.update(msg.as_bytes());
        m.finalize().into_bytes().to_vec()
    }
    let k = mac(format!("AWS4{SECRET}").as_bytes(), "20130524");
    let k = mac(&k, "us-east-1");
    let k = mac(&k, "s3");
    let k = mac(&k, "aws4_request");
    let sts = format!(
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical_request_text.as_bytes()))
    );
    hex::encode(mac(&k, &sts))
}

#[test]
fn key_with_space_plus_percent_and_unicode_verifies() {
    // Key: "a b+c%d/ü€~!'()*" in bucket "bucket".
    let sdk_path = "/bucket/a%20b%2Bc%25d/%C3%BC%E2%82%AC~%21%27%28%29%2A";
    let canonical = format!(
        "PUT\n{sdk_path}\n\nhost:localhost:9000\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n\
         x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"
    );
    let sig = sdk_signature(&canonical);
    let authorization = auth("host;x-amz-content-sha256;x-amz-date", &sig);
    let headers = [
        ("host", "localhost:9000"),
        ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ("x-amz-date", DATE),
        ("authorization", authorization.as_str()),
    ];
    // The SDKs' wire form, and other spellings of the same bytes: a literal `+`, lower-case
    // escapes, escaped unreserved characters, raw sub-delimiters, raw UTF-8.
    for path in [
        sdk_path,
        "/bucket/a%20b+c%25d/%c3%bc%e2%82%ac%7E!'()*",
        "/bucket/%61%20b%2bc%25%64/ü€~%21%27%28%29%2a",
    ] {
        assert_eq!(canonical_uri(path), sdk_path, "{path}");
        verify(&request("PUT", path, "", &headers), REGION, at(0), lookup)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
    }
    // A space sent as `+` is a plus to S3, so it is another key and another signature.
    let e = expect_err(verify(
        &request(
            "PUT",
            "/bucket/a+b%2Bc%25d/%C3%BC%E2%82%AC~%21%27%28%29%2A",
            "",
            &headers,
        ),
        REGION,
        at(0),
        lookup,
    ));
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    // A `%` sent raw is kept as a literal `%` (bad escape), i.e. the same key as `%25`.
    assert_eq!(canonical_uri("/bucket/100%"), "/bucket/100%25");
    assert_eq!(canonical_uri("/bucket/100%25"), "/bucket/100%25");
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

#[test]
fn canonical_uri_decodes_once_and_reencodes() {
    let cases = [
        ("", "/"),
        ("/", "/"),
        ("/bucket/a%20b+c", "/bucket/a%20b%2Bc"),
        ("/bucket/a%2520b", "/bucket/a%2520b"),
        ("/bucket/a%2Fb", "/bucket/a/b"),
        ("/bucket//a/./b/../c", "/bucket//a/./b/../c"),
        ("/bucket/%zz%4%", "/bucket/%25zz%254%25"),
        ("/bucket/%e2%82%ac", "/bucket/%E2%82%AC"),
        ("/b/A-Z_a.z~0", "/b/A-Z_a.z~0"),
        ("/b/:@&=$,;", "/b/%3A%40%26%3D%24%2C%3B"),
        ("/b/%00%FF", "/b/%00%FF"),
    ];
    for (raw, canonical) in cases {
        assert_eq!(canonical_uri(raw), canonical, "{raw}");
    }
}

#[test]
fn canonical_query_sorts_and_encodes() {
    let cases = [
        ("", ""),
        ("&&", ""),
        ("uploads", "uploads="),
        ("b=2&a=1&a=0", "a=0&a=1&b=2"),
        ("prefix=a/b&list-type=2", "list-type=2&prefix=a%2Fb"),
        ("prefix=a%2Fb", "prefix=a%2Fb"),
        ("k=a+b", "k=a%20b"),
        ("k=a%2Bb", "k=a%2Bb"),
        ("k=%7e%zz", "k=~%25zz"),
        ("k=x=y", "k=x%3Dy"),
        ("=v", "=v"),
        ("k=é", "k=%C3%A9"),
        ("a=1&A=1&_=1&~=1&-=1", "-=1&A=1&_=1&a=1&~=1"),
    ];
    for (raw, canonical) in cases {
        assert_eq!(canonical_query(raw, false), canonical, "{raw}");
    }
    assert_eq!(
        canonical_query("a=1&X-Amz-Signature=s&x-amz-signature=t", true),
        "a=1&x-amz-signature=t"
    );
    assert_eq!(
        canonical_query("a=1&X-Amz-Signature=s", false),
        "X-Amz-Signature=s&a=1"
    );
}

#[test]
fn canonical_headers_trim_collapse_join_and_sort() {
    let headers = [
        ("X-Amz-Meta-B", "  two   words\there  "),
        ("host", "h"),
        ("x-amz-meta-a", "first"),
        ("Other", "ignored"),
        ("X-AMZ-META-A", " second "),
        ("x-amz-meta-empty", "   "),
    ];
    assert_eq!(
        canonical_headers(
            &headers,
            &["x-amz-meta-b", "Host", "x-amz-meta-a", "x-amz-meta-empty"]
        )
        .unwrap(),
        "host:h\nx-amz-meta-a:first,second\nx-amz-meta-b:two words here\nx-amz-meta-empty:\n"
    );
    assert_eq!(
        canonical_headers(&headers, &["host", "missing"])
            .unwrap_err()
            .code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn error_codes_are_the_s3_ones() {
    let t = UNIX_EPOCH;
    let all = [
        (AuthError::access_denied("x"), "AccessDenied"),
        (
            AuthError::InvalidAccessKeyId {
                access_key: "a".into(),
            },
            "InvalidAccessKeyId",
        ),
        (AuthError::mismatch(), "SignatureDoesNotMatch"),
        (
            AuthError::RequestTimeTooSkewed {
                request_time: t,
                server_time: t,
            },
            "RequestTimeTooSkewed",
        ),
        (AuthError::header_malformed("x"), "AuthorizationHeaderMalformed"),
        (AuthError::query_error("x"), "AuthorizationQueryParametersError"),
        (AuthError::unsupported_mechanism(), "InvalidRequest"),
        (
            AuthError::InvalidArgument {
                message: "m".into(),
                name: "n",
                value: "v".into(),
            },
            "InvalidArgument",
        ),
        (
            AuthError::XAmzContentSha256Mismatch {
                client_computed: "a".into(),
                server_computed: "b".into(),
            },
            "XAmzContentSHA256Mismatch",
        ),
    ];
    for (error, code) in all {
        assert_eq!(error.code(), code);
        assert!(!error.message().is_empty());
    }
}

#[test]
fn chunk_signer_debug_hides_the_key() {
    let signer = ChunkSigner::new([7; 32], DATE, SCOPE, "AB");
    let shown = format!("{signer:?}");
    assert!(shown.contains("<redacted>"));
    assert!(!shown.contains("[7, 7"));
    assert_eq!(signer.previous_signature(), "ab");
}

// ---------------------------------------------------------------------------------------------
// Garbage
// ---------------------------------------------------------------------------------------------

/// xorshift64*, enough to spray inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap()
    }

    /// A string of `len` tokens drawn from pieces that matter to the parsers.
    fn garbage(&mut self, max_tokens: usize) -> String {
        const TOKENS: &[&str] = &[
            "AWS4-HMAC-SHA256",
            " ",
            ",",
            ";",
            "=",
            "/",
            "%",
            "%2",
            "%2F",
            "%zz",
            "+",
            "&",
            "?",
            "Credential",
            "SignedHeaders",
            "Signature",
            "host",
            "x-amz-date",
            AK,
            "20130524",
            "us-east-1",
            "s3",
            "aws4_request",
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
            "20130524T000000Z",
            "604800",
            "-1",
            "99999999999999999999",
            "é",
            "€",
            "\u{0}",
            "\t",
            "0123456789abcdef",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ];
        let n = self.below(max_tokens + 1);
        (0..n).map(|_| TOKENS[self.below(TOKENS.len())]).collect()
    }
}

#[test]
fn garbage_never_panics_and_never_verifies() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let any_key = |_: &str| Some(SECRET.to_owned());
    for _ in 0..20_000 {
        let authorization = rng.garbage(24);
        let query = rng.garbage(16);
        let path = format!("/{}", rng.garbage(6));
        let date = rng.garbage(3);
        let sha = rng.garbage(2);
        let mut headers = vec![("host", "h"), ("x-amz-date", date.as_str())];
        if rng.below(2) == 0 {
            headers.push(("authorization", authorization.as_str()));
        }
        if rng.below(2) == 0 {
            headers.push(("x-amz-content-sha256", sha.as_str()));
        }
        let req = request("GET", &path, &query, &headers);
        let _ = is_anonymous(&req);
        let _ = canonical_uri(&path);
        let _ = canonical_query(&query, true);
        let now = if rng.below(2) == 0 { at(0) } else { UNIX_EPOCH };
        match verify(&req, REGION, now, any_key) {
            Err(e) => {
                assert!(!e.code().is_empty());
                let _ = (e.message(), e.details());
            }
            Ok(v) => panic!("garbage verified: {authorization:?} {query:?} -> {v:?}"),
        }
    }
}

#[test]
fn mutations_of_a_valid_request_never_verify() {
    let headers = simple_get(SECRET, DATE, REGION);
    let original = headers.last().unwrap().1.clone();
    let mut rng = Rng(42);
    let bytes = original.as_bytes();
    for _ in 0..5_000 {
        let mut mutated = bytes.to_vec();
        let i = rng.below(mutated.len());
        // Replace one byte with another ASCII byte; skip no-ops.
        let b = u8::try_from(32 + rng.below(95)).unwrap();
        if mutated[i] == b || (mutated[i].is_ascii_hexdigit() && mutated[i].eq_ignore_ascii_case(&b)) {
            continue;
        }
        mutated[i] = b;
        let Ok(mutated) = String::from_utf8(mutated) else {
            continue;
        };
        // Spaces and commas are separators: swapping one for the other is not a change.
        let same_layout = mutated.replace(' ', ",") == original.replace(' ', ",");
        let mut hs = headers.clone();
        hs.last_mut().unwrap().1 = mutated.clone();
        let r = verify_get(&hs, at(0));
        assert!(r.is_err() || same_layout, "{mutated} verified");
    }
}

#[test]
fn extreme_clocks_do_not_panic() {
    let headers = simple_get(SECRET, DATE, REGION);
    for now in [
        UNIX_EPOCH,
        UNIX_EPOCH - Duration::from_secs(1 << 40),
        UNIX_EPOCH + Duration::from_secs(1 << 40),
    ] {
        let e = expect_err(verify_get(&headers, now));
        assert_eq!(e.code(), "RequestTimeTooSkewed");
        let _ = e.details();
    }
    let query = presign("604800", "99991231T235959Z", REGION, "");
    let _ = verify_presigned_get(&query, UNIX_EPOCH + Duration::from_secs(1 << 40));
    let query = presign("604800", "00000101T000000Z", REGION, "");
    let _ = verify_presigned_get(&query, UNIX_EPOCH - Duration::from_secs(1 << 40));
}

#[test]
fn unsigned_amz_headers_are_refused() {
    // A presigned URL signed for `host` only, sent with added x-amz-* headers.
    let query = presign("86400", DATE, REGION, "");
    for (name, value) in [("x-amz-copy-source", "/bucket/other"), ("X-Amz-Meta-A", "1")] {
        let headers = [("host", HOST), (name, value)];
        let e = expect_err(verify(
            &request("GET", "/test.txt", &query, &headers),
            REGION,
            at(0),
            lookup,
        ));
        assert_eq!(e.code(), "AccessDenied");
        assert_eq!(e.message(), HEADERS_NOT_SIGNED);
        assert_eq!(e.details(), vec![("HeadersNotSigned", name.to_ascii_lowercase())]);
    }
    // The exempt ones: the payload hash and the date.
    let headers = [
        ("host", HOST),
        ("x-amz-content-sha256", UNSIGNED_PAYLOAD),
        ("x-amz-date", DATE),
    ];
    verify(
        &request("GET", "/test.txt", &query, &headers),
        REGION,
        at(0),
        lookup,
    )
    .unwrap();

    // Header auth: every x-amz-* header the client signed passes; one added after signing is
    // named (each name once).
    let mut headers = simple_get(SECRET, DATE, REGION);
    verify_get(&headers, at(0)).unwrap();
    let auth_at = headers.len() - 1;
    headers.insert(auth_at, ("x-amz-meta-b".into(), "1".into()));
    headers.insert(auth_at, ("x-amz-tagging".into(), "a=1".into()));
    headers.insert(auth_at, ("x-amz-meta-b".into(), "2".into()));
    let e = expect_err(verify_get(&headers, at(0)));
    assert_eq!(e.code(), "AccessDenied");
    assert_eq!(
        e.details(),
        vec![("HeadersNotSigned", "x-amz-meta-b, x-amz-tagging".to_owned())]
    );
}

#[test]
fn region_agnostic_accepts_any_scope_region() {
    // git-annex signs with the host name as the region.
    let headers = simple_get(SECRET, DATE, "s3.example.org");
    let pairs = as_pairs(&headers);
    let req = request("GET", "/bucket/key", "", &pairs);
    let e = expect_err(verify(&req, REGION, at(0), lookup));
    assert_eq!(e.code(), "AuthorizationHeaderMalformed");
    verify_with(&req, REGION, true, at(0), lookup).unwrap();
    // The signature is still checked, with the scope's region.
    let wrong = simple_get("other-secret", DATE, "s3.example.org");
    let pairs = as_pairs(&wrong);
    let e = expect_err(verify_with(
        &request("GET", "/bucket/key", "", &pairs),
        REGION,
        true,
        at(0),
        lookup,
    ));
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    // Presigned too.
    let query = presign("600", DATE, "eu-central-1", "");
    let headers = [("host", HOST)];
    let req = request("GET", "/test.txt", &query, &headers);
    assert_eq!(
        expect_err(verify(&req, REGION, at(0), lookup)).code(),
        "AuthorizationQueryParametersError"
    );
    verify_with(&req, REGION, true, at(0), lookup).unwrap();
}

#[test]
fn expired_presigned_is_access_denied() {
    let query = presign("60", DATE, REGION, "");
    verify_presigned_get(&query, at(60)).unwrap();
    let e = expect_err(verify_presigned_get(&query, at(61)));
    assert_eq!(
        (e.code(), e.message().as_str()),
        ("AccessDenied", "Request has expired")
    );
}
