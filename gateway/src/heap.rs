//! Gives the heap's free memory back to the kernel on a timer. glibc keeps what a thread frees
//! in that thread's arena, and the gateway's buffers cross threads (libgfapi's socket threads
//! allocate reply buffers that blocking readers free; actix workers allocate what writers
//! free), so without this the resident set only grows to the high-water mark of every past
//! burst. Measured with 32 concurrent 1 MiB uploads, then 32 concurrent 1 MiB reads, then
//! 32 x 64 MiB uploads and 8 x 64 MiB reads: peak RSS during the reads 143-148 MiB instead of
//! 181-183, and 105 MiB instead of 149-159 at rest afterwards, throughput unchanged.
//!
//! It also caps the number of arenas at start ([`limit_arenas`]; default 2 per core): glibc
//! makes up to 8 per core, and each keeps its own free memory and its own fragments, which a
//! trim cannot return while a live block sits in the page. Measured in the bench suite on a
//! 1M-object registry, 2 cores: RSS before 32 x 64 MiB uploads 147 MiB with 2 arenas, 163 with
//! 4, 215 with glibc's 16; peak during them 240, 243 and 286. Fewer arenas cost the
//! allocation-heavy paths lock contention: LIST c8 on 2 arenas lost ~30% against 16 (565-600
//! vs 820-930 pages/s), on 4 about 10-15%, so the default is 2 per core, not 1.
//!
//! Owns only the timer and the start-up cap; the calls themselves are `gfapi::trim_heap` and
//! `gfapi::limit_arenas` (the one place with the FFI), and a trim always runs on the blocking
//! pool.

use std::time::Duration;

use crate::{background, blocking};

/// Caps the malloc arenas at `max` (`None`: leaves glibc's default). Call it first in the
/// process, before the volume or any runtime starts a thread: arenas made before it stay.
pub fn limit_arenas(max: Option<usize>) {
    if let Some(max) = max {
        if !gfapi::limit_arenas(max) {
            tracing::warn!(max, "glibc refused the malloc arena cap");
        }
    }
}

/// Starts trimming every `period`; `None` starts nothing.
pub fn start(period: Option<Duration>) -> Option<background::Handle> {
    let period = period?;
    Some(background::spawn(move |mut stopped| async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                _ = stopped.changed() => break,
            }
            if blocking::run(gfapi::trim_heap).await.is_err() {
                break;
            }
        }
    }))
}
