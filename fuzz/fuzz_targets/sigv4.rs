//! SigV4: the `Authorization` header and presigned-query parsers, the credential and date
//! checks, and the canonical request building blocks, on an arbitrary request head.
//! Properties: no panic; canonical URI and query are fixed points of themselves (decoding once
//! then re-encoding an already canonical form changes nothing); nothing verifies with an
//! unknown key.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use gateway::s3::sigv4::{self, Request};
use gateway_fuzz::{lookup, Head};
use libfuzzer_sys::fuzz_target;

/// 2013-05-24T00:00:00Z, the time of the AWS documentation examples (the seed corpus).
const EXAMPLE_TIME: u64 = 1_369_353_600;

fuzz_target!(|data: &[u8]| {
    let head = Head::parse(data);
    let headers = head.header_pairs();
    let req = Request {
        method: &head.method,
        raw_path: &head.path,
        raw_query: &head.query,
        headers: &headers,
    };
    let now = UNIX_EPOCH + Duration::from_secs(EXAMPLE_TIME);
    let anonymous = sigv4::is_anonymous(&req);
    for any_region in [false, true] {
        let result = sigv4::verify_with(&req, "us-east-1", any_region, now, lookup);
        assert!(!(anonymous && result.is_ok()), "an anonymous request verified");
        if let Err(e) = &result {
            let _ = (e.code(), e.message(), e.details());
        }
        // Nothing verifies when no key is known.
        assert!(sigv4::verify_with(&req, "us-east-1", any_region, now, |_| None).is_err());
    }

    let uri = sigv4::canonical_uri(&head.path);
    assert_eq!(
        sigv4::canonical_uri(&uri),
        uri,
        "canonical URI is not a fixed point"
    );
    for exclude in [false, true] {
        let query = sigv4::canonical_query(&head.query, exclude);
        assert_eq!(
            sigv4::canonical_query(&query, exclude),
            query,
            "canonical query is not a fixed point"
        );
    }
    let names: Vec<&str> = head.headers.iter().map(|(n, _)| n.as_str()).collect();
    if let Ok(block) = sigv4::canonical_headers(&headers, &names) {
        let request = sigv4::canonical_request(
            &head.method,
            &uri,
            &sigv4::canonical_query(&head.query, false),
            &block,
            &names.join(";"),
            sigv4::UNSIGNED_PAYLOAD,
        );
        let sts = sigv4::string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &request);
        let key = sigv4::signing_key(gateway_fuzz::SECRET_KEY, "20130524", "us-east-1", sigv4::SERVICE);
        assert_eq!(sigv4::signature(&key, &sts).len(), 64);
    }
});
