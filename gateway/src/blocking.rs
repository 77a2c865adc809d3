//! The one way async code runs blocking work: every gfapi and sled call goes through [`run`],
//! which moves the closure to tokio's blocking pool, or [`spawn`] for the long-lived streaming
//! reader and writer of an object body. A panic in the closure becomes an
//! `InternalError` for that request instead of taking the worker down. Must not be bypassed:
//! a gfapi call on an actix worker stalls every connection of that worker (a hung brick blocks
//! I/O for up to twice `network.ping-timeout`).

use crate::s3::error::{S3Error, S3Result};

/// Runs `f` on the blocking pool and waits for it without blocking the executor.
pub async fn run<T, F>(f: F) -> S3Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| S3Error::internal(format!("blocking task failed: {e}")))
}

/// Like [`run`] for closures that already return an `S3Result`.
pub async fn try_run<T, F>(f: F) -> S3Result<T>
where
    F: FnOnce() -> S3Result<T> + Send + 'static,
    T: Send + 'static,
{
    run(f).await?
}

/// Starts `f` on the blocking pool without waiting for it: for a body's streaming reader or
/// writer, which talk to the request through channels. Await the handle for its result.
pub fn spawn<T, F>(f: F) -> tokio::task::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
}
