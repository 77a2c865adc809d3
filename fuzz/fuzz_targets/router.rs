//! The S3 router (`s3::router::route`): method + path + query + headers + host to one
//! endpoint, in both addressing styles.
//!
//! Input: a request head. Properties: no panic; a request routed path style
//! (`/bucket/key`) reaches the same endpoint, or fails with the same code, when sent virtual-host
//! style (`Host: bucket.s3.example.com`, path `/key`).
#![no_main]

use gateway::s3::error::Code;
use gateway::s3::request::{decode_path, RequestInfo};
use gateway::s3::router::{route, vhost_bucket, Endpoint};
use gateway_fuzz::Head;
use libfuzzer_sys::fuzz_target;

const DOMAIN: &str = "s3.example.com";

fn routed(req: &RequestInfo, domains: &[String]) -> Result<Endpoint, Code> {
    route(req, domains).map_err(|e| e.code)
}

fuzz_target!(|data: &[u8]| {
    let head = Head::parse(data);
    let req = head.request_info();
    let domains = vec![DOMAIN.to_owned(), "localhost".to_owned()];
    if let Ok(ep) = route(&req, &domains) {
        assert!(!ep.name().is_empty());
    }
    let _ = vhost_bucket(&req, &domains);
    let _ = decode_path(&req.raw_path);

    // Path style (no virtual-host domain at all) against virtual-host style.
    let path_style = routed(&req, &[]);
    let path = req.raw_path.strip_prefix('/').unwrap_or(&req.raw_path);
    let (bucket, rest) = path.split_once('/').unwrap_or((path, ""));
    let dns_name = !bucket.is_empty()
        && bucket.len() <= 63
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if dns_name {
        let headers = head
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
            .cloned()
            .chain([("host".to_owned(), format!("{bucket}.{DOMAIN}"))]);
        let vhost = RequestInfo::new(
            &head.method,
            &format!("/{rest}"),
            &head.query,
            headers,
            "fuzz".to_owned(),
        );
        assert_eq!(
            routed(&vhost, &[DOMAIN.to_owned()]),
            path_style,
            "the two addressing styles differ"
        );
    }
});
