//! The `multipart/form-data` reader of browser POST uploads (`s3::post_object::form`), over a
//! body cut at arbitrary places.
//!
//! Input: a `Content-Type` line, a line of comma-separated piece sizes (cycled), then the body.
//! Properties: no panic, no hang; the parts read (headers and contents), or the error code,
//! do not depend on how the body is cut.
#![no_main]

use gateway::s3::error::Code;
use gateway::s3::post_object::form::{boundary, FormReader, PartHead};
use gateway_fuzz::{block_on, pieces, stream_of};
use libfuzzer_sys::fuzz_target;

/// Largest part value read whole, as the real form reader's budget (smaller, to stay fast).
const MAX_VALUE: usize = 64 * 1024;

type Parts = Result<Vec<(PartHead, Option<Vec<u8>>)>, Code>;

/// Every part: a field's whole value (`None` when over [`MAX_VALUE`]), or a `file` part's
/// content read piece by piece, as the upload handler reads them.
async fn read_all(mut reader: FormReader) -> Parts {
    let mut parts = Vec::new();
    while let Some(head) = reader.next_part().await.map_err(|e| e.code)? {
        let content = if head.name.eq_ignore_ascii_case("file") {
            let mut all = Vec::new();
            while let Some(c) = reader.chunk().await.map_err(|e| e.code)? {
                assert!(!c.is_empty(), "empty content piece");
                all.extend_from_slice(&c);
            }
            Some(all)
        } else {
            reader
                .value(MAX_VALUE)
                .await
                .map_err(|e| e.code)?
                .map(|b| b.to_vec())
        };
        parts.push((head, content));
    }
    Ok(parts)
}

fn parse(body: &[u8], boundary: &str, steps: &[u8]) -> Parts {
    let reader = FormReader::new(stream_of(pieces(body, steps)), boundary);
    block_on(read_all(reader), 1).expect("the form reader waited on a ready body")
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(3, |b| *b == b'\n');
    let content_type = String::from_utf8_lossy(lines.next().unwrap_or(&[]));
    let steps: Vec<u8> = String::from_utf8_lossy(lines.next().unwrap_or(&[]))
        .trim()
        .split(',')
        .filter_map(|s| s.parse::<u8>().ok())
        .collect();
    let body = lines.next().unwrap_or(&[]);
    let Some(b) = boundary(content_type.trim_end_matches('\r')) else {
        return;
    };
    let whole = parse(body, &b, &[]);
    if let Err(code) = whole {
        assert_eq!(code.status(), 400, "{code:?}");
    }
    assert_eq!(parse(body, &b, &steps), whole, "fuzzed cuts change the parts");
    if body.len() <= 512 {
        assert_eq!(
            parse(body, &b, &[1]),
            whole,
            "byte-at-a-time reading changes the parts"
        );
    }
});
