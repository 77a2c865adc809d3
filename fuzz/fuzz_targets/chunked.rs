//! The aws-chunked decoder (`s3::chunked::AwsChunked`) over a body cut at arbitrary places.
//!
//! Input: one line `MODE DECODED-LENGTH TRAILER STEPS SEED` then the raw body. MODE is
//! `signed`, `signed-trailer` or `unsigned-trailer`; DECODED-LENGTH and TRAILER are the
//! `x-amz-decoded-content-length` and `x-amz-trailer` values (`-` for none); STEPS the piece
//! sizes the body is cut into, comma-separated (cycled); SEED the request signature the chunk
//! signatures chain from (signed with the AWS documentation example key and scope).
//! Properties: no panic, no hang; the outcome (error code, or the bytes and trailer checksum)
//! does not depend on how the body is cut; a body that decodes has exactly the declared length.
//! (The bytes passed on before an error may differ with the cuts: the upload fails anyway.)
#![no_main]

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::Stream;
use gateway::s3::body::TrailerSlot;
use gateway::s3::checksum::Algorithm;
use gateway::s3::chunked::{announced_trailer, decoded_length, AwsChunked, Mode};
use gateway::s3::error::Code;
use gateway::s3::sigv4::{self, ChunkSigner};
use gateway_fuzz::{pieces, stream_of, SECRET_KEY};
use libfuzzer_sys::fuzz_target;

type Outcome = (Vec<u8>, Result<Option<(Algorithm, String)>, Code>);

fn decode(mode: Mode, declared: u64, announced: Option<Algorithm>, body: &[u8], steps: &[u8]) -> Outcome {
    let slot = TrailerSlot::default();
    let mut d = AwsChunked::new(
        stream_of(pieces(body, steps)),
        mode,
        declared,
        announced,
        slot.clone(),
    );
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    // Every piece is ready, so each poll makes progress: a bound far above the body size.
    for _ in 0..(4 * body.len() + 64) {
        match Pin::new(&mut d).poll_next(&mut cx) {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(b))) => out.extend_from_slice(&b),
            Poll::Ready(Some(Err(e))) => {
                assert!(
                    matches!(Pin::new(&mut d).poll_next(&mut cx), Poll::Ready(None)),
                    "not fused"
                );
                return (out, Err(e.code));
            }
            Poll::Ready(None) => {
                let trailer = slot.borrow_mut().take();
                return (out, Ok(trailer));
            }
        }
    }
    panic!("the decoder makes no progress");
}

fuzz_target!(|data: &[u8]| {
    let nl = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let line = String::from_utf8_lossy(&data[..nl]);
    let body = data.get(nl + 1..).unwrap_or(&[]);
    let mut words = line.split(' ');
    let mode_word = words.next().unwrap_or("");
    let length_word = words.next().filter(|w| *w != "-");
    let trailer_word = words.next().filter(|w| *w != "-");
    let steps: Vec<u8> = words
        .next()
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.parse::<u8>().ok())
        .collect();
    let seed = words.next().unwrap_or(sigv4::EMPTY_SHA256_HEX);

    let Ok(declared) = decoded_length(length_word) else {
        return;
    };
    let Ok(announced) = announced_trailer(trailer_word) else {
        return;
    };
    let key = sigv4::signing_key(SECRET_KEY, "20130524", "us-east-1", sigv4::SERVICE);
    let signer = ChunkSigner::new(
        key,
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        seed,
    );
    let mode = match mode_word {
        "signed" => Mode::Signed(signer),
        "signed-trailer" => Mode::SignedTrailer(signer),
        _ => Mode::UnsignedTrailer,
    };
    let announced = if mode.has_trailer() { announced } else { None };

    let whole = decode(mode.clone(), declared, announced, body, &[]);
    if whole.1.is_ok() {
        assert_eq!(
            whole.0.len() as u64,
            declared,
            "decoded length differs from the declared one"
        );
    }
    let same = |other: &Outcome, how: &str| {
        assert_eq!(other.1, whole.1, "{how}: the outcome depends on the cuts");
        if whole.1.is_ok() {
            assert!(other.0 == whole.0, "{how}: the bytes depend on the cuts");
        }
    };
    same(
        &decode(mode.clone(), declared, announced, body, &steps),
        "fuzzed cuts",
    );
    if body.len() <= 512 {
        same(&decode(mode, declared, announced, body, &[1]), "byte at a time");
    }
});
