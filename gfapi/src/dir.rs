//! [`Dir`]: iteration over one directory with `glfs_readdirplus_r` (entry and stat in one round
//! trip). Entries come in the bricks' hash order, not sorted: callers that need an order sort
//! themselves. `.` and `..` are skipped. Must not recurse or cache.

use std::ffi::{CStr, OsString};
use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStringExt;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use gfapi_sys as sys;

use crate::volume::{Fs, Metadata};
use crate::{last_error, Volume};

/// An open directory; iterate it for [`DirEntry`]s.
pub struct Dir {
    fd: NonNull<sys::glfs_fd_t>,
    /// Keeps the `glfs_t` alive for as long as the descriptor is.
    _fs: Arc<Fs>,
    done: bool,
}

// SAFETY: a directory fd may move between threads; the iterator needs &mut, so it is never used
// from two threads at once (hence no Sync).
unsafe impl Send for Dir {}

impl fmt::Debug for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dir")
            .field("fd", &self.fd)
            .finish_non_exhaustive()
    }
}

/// One directory entry.
#[derive(Debug, Clone)]
pub struct DirEntry {
    /// File name (a single path component).
    pub name: OsString,
    /// Its metadata, as returned by readdirplus.
    pub metadata: Metadata,
}

impl Dir {
    pub(crate) fn from_raw(vol: &Volume, fd: *mut sys::glfs_fd_t) -> io::Result<Dir> {
        match NonNull::new(fd) {
            Some(fd) => Ok(Dir {
                fd,
                _fs: Arc::clone(&vol.fs),
                done: false,
            }),
            None => Err(last_error("glfs_opendir")),
        }
    }
}

impl Iterator for Dir {
    type Item = io::Result<DirEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let mut st = MaybeUninit::<libc::stat>::zeroed();
            let mut ent = MaybeUninit::<libc::dirent>::zeroed();
            let mut result: *mut libc::dirent = ptr::null_mut();
            // SAFETY: st and ent are writable buffers of libc's types (the ones gfapi-sys binds);
            // result receives either null (end) or a pointer into `ent`. The reentrant variant
            // is used, so no state is shared with other directories.
            let ret = unsafe {
                sys::glfs_readdirplus_r(
                    self.fd.as_ptr(),
                    st.as_mut_ptr(),
                    ent.as_mut_ptr(),
                    &raw mut result,
                )
            };
            if ret < 0 {
                self.done = true;
                return Some(Err(last_error("glfs_readdirplus_r")));
            }
            if result.is_null() {
                self.done = true;
                return None;
            }
            // SAFETY: a non-null result means the call filled `ent` (result points into it),
            // and d_name is NUL-terminated within the struct.
            let name = unsafe { CStr::from_ptr((*ent.as_ptr()).d_name.as_ptr()) };
            let name = name.to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            // SAFETY: filled by the successful call (zeroed before).
            let metadata = Metadata(unsafe { st.assume_init() });
            return Some(Ok(DirEntry {
                name: OsString::from_vec(name.to_vec()),
                metadata,
            }));
        }
        None
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: the fd came from glfs_opendir and is closed exactly once, here.
        unsafe { sys::glfs_closedir(self.fd.as_ptr()) };
    }
}
