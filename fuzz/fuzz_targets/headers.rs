//! Header parsers of object requests, on an arbitrary request head: `Range` (`parse_range`),
//! the conditional headers of GET/HEAD, copies and writes with their HTTP dates, Content-MD5 and
//! the `x-amz-checksum-*` headers, `x-amz-tagging`. The object they are checked against comes
//! from the pseudo-headers `x-fuzz-size`, `x-fuzz-etag` and `x-fuzz-mtime` (milliseconds).
//! Properties: no panic; a parsed range lies within the object; an HTTP date survives a
//! format/parse round trip; each check fails only with the codes it documents.
#![no_main]

use gateway::s3::checksum::{Algorithm, Expectations};
use gateway::s3::dates::{http_date, parse_http_date};
use gateway::s3::error::Code;
use gateway::s3::handlers::copy::check_copy_conditions;
use gateway::s3::handlers::object::{check_read_conditions, parse_range, write_condition};
use gateway::s3::handlers::tagging;
use gateway_fuzz::Head;
use libfuzzer_sys::fuzz_target;
use metadata::ObjectRecord;

fuzz_target!(|data: &[u8]| {
    let head = Head::parse(data);
    let number = |name: &str| head.header(name).and_then(|v| v.trim().parse::<u64>().ok());
    let size = number("x-fuzz-size").unwrap_or(head.body.len() as u64);
    let rec = ObjectRecord {
        size,
        etag: head
            .header("x-fuzz-etag")
            .unwrap_or("d41d8cd98f00b204e9800998ecf8427e")
            .to_owned(),
        mtime_ms: number("x-fuzz-mtime").unwrap_or(1_369_353_600_000),
        ..ObjectRecord::default()
    };
    let req = head.request_info();

    match parse_range(req.header("range"), size) {
        Ok(Some(r)) => assert!(r.start < r.end && r.end <= size, "range {r:?} outside 0..{size}"),
        Ok(None) => {}
        Err(e) => assert_eq!(e.code, Code::InvalidRange),
    }
    for (_, value) in &req.headers {
        if let Some(ms) = parse_http_date(value) {
            assert_eq!(ms % 1000, 0, "HTTP dates have whole seconds");
            assert_eq!(parse_http_date(&http_date(ms)), Some(ms), "date round trip");
        }
    }
    if let Err(e) = check_read_conditions(&req, &rec) {
        assert!(
            matches!(e.code, Code::PreconditionFailed | Code::NotModified),
            "{:?}",
            e.code
        );
    }
    if let Err(e) = check_copy_conditions(&req, &rec) {
        assert_eq!(e.code, Code::PreconditionFailed);
    }
    if let Err(e) = write_condition(&req) {
        assert_eq!(e.code, Code::NotImplemented);
    }
    if let Err(e) = Expectations::from_headers(&req) {
        assert!((400..500).contains(&e.code.status()), "{:?}", e.code);
    }
    if let Some(a) = req
        .header("x-amz-sdk-checksum-algorithm")
        .and_then(Algorithm::parse)
    {
        assert_eq!(Algorithm::parse(a.name()), Some(a));
    }
    if let Some(h) = req.header("x-amz-tagging") {
        if let Ok(tags) = tagging::parse_header(h) {
            let _ = tagging::validate(&tags, tagging::Target::Object);
        }
    }
});
