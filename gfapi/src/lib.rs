//! Safe, blocking wrapper over libgfapi: a [`Volume`] owns one `glfs_t`, a [`File`] one
//! `glfs_fd_t`, a [`Dir`] iterates a directory with `glfs_readdirplus_r`.
//!
//! This crate owns the FFI discipline: paths become C strings here, `errno` becomes
//! [`std::io::Error`] here (so `ErrorKind` is right: `NotFound`, `AlreadyExists`, `StorageFull`,
//! `NotConnected`, ...), and every handle is released by `Drop`. It knows nothing of S3, buckets
//! or objects, and it never spawns work onto an async runtime: every call blocks the calling
//! thread, so async callers must run it on a blocking pool.
//!
//! GlusterFS facts it is shaped by (measured, see the project's research notes):
//! - `glfs_init` can block for minutes on a server that accepts TCP but never answers, so
//!   [`Volume::connect`] runs it under a watchdog.
//! - `glfs_fini` takes 4-11 s (it waits for a 10 s RPC timer) and leaks if repeated, so a process
//!   keeps one `Volume` for its lifetime; [`Volume::shutdown`] bounds the wait.
//! - `glfs_t` is thread-safe; positional I/O on a shared `glfs_fd_t` is too.

mod dir;
mod file;
mod heap;
mod volume;

pub use dir::{Dir, DirEntry};
pub use file::File;
pub use heap::{limit_arenas, trim_heap};
pub use volume::{Metadata, Server, StatVfs, Volume, VolumeOptions};

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Turns a path into the C string gfapi wants; an interior NUL is `InvalidInput`.
pub(crate) fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// Turns a name (xattr name, volume name, host) into a C string.
pub(crate) fn cstr(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "string contains a NUL byte"))
}

/// The error for a gfapi call that failed: `errno` as an `io::Error`. gfapi sets `errno` on
/// every failure it reports; if a call failed without one (seen in old releases), say so rather
/// than report "success".
pub(crate) fn last_error(call: &'static str) -> io::Error {
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(0) | None => io::Error::other(format!("{call} failed without setting errno")),
        Some(_) => e,
    }
}

/// Checks an `int` return (0 or -1 with `errno`).
pub(crate) fn check(ret: i32, call: &'static str) -> io::Result<()> {
    if ret < 0 {
        Err(last_error(call))
    } else {
        Ok(())
    }
}

/// Checks an `ssize_t` return (a count, or -1 with `errno`).
pub(crate) fn check_len(ret: isize, call: &'static str) -> io::Result<usize> {
    usize::try_from(ret).map_err(|_| last_error(call))
}

// Compile-time proof of the thread-safety claims made in the Send/Sync impls.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn assert_send<T: Send>() {}
    assert_send_sync::<Volume>();
    assert_send_sync::<File>();
    assert_send::<Dir>();
};
