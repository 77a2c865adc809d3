//! [`File`]: one open `glfs_fd_t` with positional I/O, fstat, fsync and xattrs by descriptor.
//! Closes on `Drop`; [`File::close`] reports the close error, which with Gluster's flush-behind
//! can be the first sign of a failed write. Must not buffer: every call goes to gfapi.

use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use gfapi_sys as sys;

use crate::volume::{read_sized, Fs, Metadata};
use crate::{check, check_len, cstr, last_error, Volume};

/// An open file on a [`Volume`].
pub struct File {
    fd: NonNull<sys::glfs_fd_t>,
    /// Keeps the `glfs_t` alive for as long as the descriptor is.
    fs: Arc<Fs>,
}

// SAFETY: a glfs_fd_t may be used from any thread; gfapi takes its own locks per fd and inode.
unsafe impl Send for File {}
// SAFETY: the shared-reference API is positional only (pread/pwrite/fstat/fsync/xattrs), which
// gfapi documents as safe on a shared fd; nothing here uses the fd's implicit offset.
unsafe impl Sync for File {}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("fd", &self.fd)
            .finish_non_exhaustive()
    }
}

impl File {
    pub(crate) fn from_raw(vol: &Volume, fd: *mut sys::glfs_fd_t, call: &'static str) -> io::Result<File> {
        match NonNull::new(fd) {
            Some(fd) => Ok(File {
                fd,
                fs: Arc::clone(&vol.fs),
            }),
            None => Err(last_error(call)),
        }
    }

    fn raw(&self) -> *mut sys::glfs_fd_t {
        self.fd.as_ptr()
    }

    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at end of file).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let off = to_off(offset)?;
        // SAFETY: buf is valid for writes of buf.len() bytes; the fd is open; a null poststat
        // is allowed by the API.
        let n = unsafe {
            sys::glfs_pread(
                self.raw(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                off,
                0,
                ptr::null_mut(),
            )
        };
        check_len(n, "glfs_pread")
    }

    /// Fills `buf` from `offset`, reading as often as needed; short only at end of file.
    /// Returns the number of bytes read.
    pub fn read_full_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Reads up to `len` bytes at `offset` into the spare capacity of `buf` (growing it if
    /// needed) and appends them, reading as often as needed; short only at end of file.
    /// Returns the number of bytes appended. Saves the zeroing a `read_full_at` into a fresh
    /// buffer would cost (measurable on large GETs).
    pub fn read_append_at(&self, buf: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<usize> {
        buf.reserve(len);
        let mut done = 0;
        while done < len {
            let off = to_off(offset + done as u64)?;
            let spare = &mut buf.spare_capacity_mut()[..len - done];
            // SAFETY: `spare` is writable memory of spare.len() bytes owned by `buf`; gfapi
            // only writes into it; a null poststat is allowed by the API.
            let n = unsafe {
                sys::glfs_pread(
                    self.raw(),
                    spare.as_mut_ptr().cast(),
                    spare.len(),
                    off,
                    0,
                    ptr::null_mut(),
                )
            };
            match check_len(n, "glfs_pread") {
                Ok(0) => break,
                Ok(n) => {
                    // SAFETY: glfs_pread initialised the first n (<= spare.len()) bytes after
                    // the current length, and the capacity holds them.
                    unsafe { buf.set_len(buf.len() + n) };
                    done += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Writes all of `bufs`, in order, from `offset` with one `glfs_pwritev` per attempt (gfapi
    /// gathers them into its own buffer, so the caller need not join them first).
    pub fn write_all_vectored_at(&self, bufs: &[&[u8]], offset: u64) -> io::Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut done = 0usize;
        while done < total {
            // The iovecs of what is left: skip whole buffers already written, cut the first.
            let mut skip = done;
            let mut iov = Vec::with_capacity(bufs.len());
            for b in bufs {
                if skip >= b.len() {
                    skip -= b.len();
                    continue;
                }
                let rest = &b[skip..];
                skip = 0;
                iov.push(libc::iovec {
                    iov_base: rest.as_ptr().cast_mut().cast(),
                    iov_len: rest.len(),
                });
            }
            let off = to_off(offset + done as u64)?;
            let cnt = i32::try_from(iov.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too many buffers"))?;
            // SAFETY: every iovec points into a live borrowed slice of its stated length; gfapi
            // only reads through them.
            let n = unsafe { sys::glfs_pwritev(self.raw(), iov.as_ptr(), cnt, off, 0) };
            match check_len(n, "glfs_pwritev") {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "glfs_pwritev wrote nothing",
                    ))
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes up to `buf.len()` bytes at `offset`; returns how many were written.
    pub fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let off = to_off(offset)?;
        // SAFETY: buf is valid for reads of buf.len() bytes; null pre/post stat are allowed.
        let n = unsafe {
            sys::glfs_pwrite(
                self.raw(),
                buf.as_ptr().cast(),
                buf.len(),
                off,
                0,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        check_len(n, "glfs_pwrite")
    }

    /// Writes all of `buf` at `offset`.
    pub fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_at(buf, offset) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "glfs_pwrite wrote nothing",
                    ))
                }
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Metadata of the open file.
    pub fn metadata(&self) -> io::Result<Metadata> {
        let mut st = MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: st is writable memory of libc's stat, the type gfapi-sys binds.
        let ret = unsafe { sys::glfs_fstat(self.raw(), st.as_mut_ptr()) };
        check(ret, "glfs_fstat")?;
        // SAFETY: filled by a successful call, zeroed before.
        Ok(Metadata(unsafe { st.assume_init() }))
    }

    /// Flushes data and metadata to every up brick (an AFR transaction; succeeds with quorum).
    /// With flush-behind on (the default) a plain close does not wait for queued writes.
    pub fn sync_all(&self) -> io::Result<()> {
        // SAFETY: the fd is open; null pre/post stat are allowed.
        let ret = unsafe { sys::glfs_fsync(self.raw(), ptr::null_mut(), ptr::null_mut()) };
        check(ret, "glfs_fsync")
    }

    /// Truncates or extends the file to `len` bytes.
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        let off = to_off(len)?;
        // SAFETY: the fd is open; null pre/post stat are allowed.
        let ret = unsafe { sys::glfs_ftruncate(self.raw(), off, ptr::null_mut(), ptr::null_mut()) };
        check(ret, "glfs_ftruncate")
    }

    /// Sets an extended attribute on the open file (`flags`: 0, `libc::XATTR_CREATE`,
    /// `libc::XATTR_REPLACE`). On ext4 bricks a value over ~3 KiB fails with `StorageFull`
    /// (ENOSPC), over 64 KiB with `E2BIG`.
    pub fn set_xattr(&self, name: &str, value: &[u8], flags: i32) -> io::Result<()> {
        let n = cstr(name)?;
        // SAFETY: value is valid for value.len() bytes; n outlives the call.
        let ret =
            unsafe { sys::glfs_fsetxattr(self.raw(), n.as_ptr(), value.as_ptr().cast(), value.len(), flags) };
        check(ret, "glfs_fsetxattr")
    }

    /// Reads an extended attribute of the open file.
    pub fn get_xattr(&self, name: &str) -> io::Result<Vec<u8>> {
        let n = cstr(name)?;
        read_sized("glfs_fgetxattr", |buf, len| {
            // SAFETY: buf is null with len 0 (a size query) or valid for len bytes.
            unsafe { sys::glfs_fgetxattr(self.raw(), n.as_ptr(), buf, len) }
        })
    }

    /// Closes the descriptor and reports the result (which may carry a deferred write error).
    pub fn close(self) -> io::Result<()> {
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: the fd is open; `me` is never dropped, so Drop will not close it again.
        let ret = unsafe { sys::glfs_close(me.raw()) };
        // SAFETY: `me` is never dropped, so this moves the Arc out exactly once. It is released
        // only after the close, so the glfs_t outlives its descriptor.
        drop(unsafe { ptr::read(&raw const me.fs) });
        check(ret, "glfs_close")
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: the fd is open and this is the only place besides `close` (which skips Drop)
        // that closes it. The error is lost here by necessity; use `close` to see it.
        unsafe { sys::glfs_close(self.raw()) };
    }
}

fn to_off(offset: u64) -> io::Result<i64> {
    i64::try_from(offset).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset beyond i64"))
}
