//! SigV2: the `Authorization: AWS key:signature` header and the presigned query
//! (`AWSAccessKeyId`, `Expires`, `Signature`), the string to sign (sub-resources, `x-amz-*`
//! headers) on an arbitrary request head. A `x-fuzz-vhost` header names the virtual-host
//! bucket. Properties: no panic; nothing verifies with an unknown key.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use gateway::s3::sigv2::{self, Request};
use gateway_fuzz::{lookup, Head};
use libfuzzer_sys::fuzz_target;

/// Tue, 27 Mar 2007 19:36:42 GMT, the time of the AWS documentation examples (seed corpus).
const EXAMPLE_TIME: u64 = 1_175_024_202;

fuzz_target!(|data: &[u8]| {
    let head = Head::parse(data);
    let headers = head.header_pairs();
    let req = Request {
        method: &head.method,
        raw_path: &head.path,
        raw_query: &head.query,
        headers: &headers,
        vhost_bucket: head.header("x-fuzz-vhost"),
    };
    let _ = sigv2::is_sigv2(&headers, &head.query);
    let now = UNIX_EPOCH + Duration::from_secs(EXAMPLE_TIME);
    if let Err(e) = sigv2::verify(&req, now, lookup) {
        let _ = (e.code(), e.message(), e.details());
    }
    assert!(
        sigv2::verify(&req, now, |_| None).is_err(),
        "verified with no key known"
    );
    for query_auth in [false, true] {
        let sts = sigv2::string_to_sign(&req, head.header("date").unwrap_or(""), query_auth);
        let _ = sigv2::signature(gateway_fuzz::SECRET_KEY, &sts);
    }
});
