//! [`Volume`]: one connected `glfs_t`, its connection options and the namespace calls made by
//! path (mkdir, rename, unlink, stat, xattrs, ...). Owns the watchdog around `glfs_init` and the
//! bounded `glfs_fini`. Must not hold any per-request state: one `Volume` serves every thread.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gfapi_sys as sys;

use crate::{check, check_len, cpath, cstr, last_error, Dir, File};

/// The default glusterd management port.
pub const DEFAULT_PORT: u16 = 24007;

/// A volfile server: where `glfs_init` fetches the volume's layout from (any glusterd of the
/// trusted pool). Give several so that one dead server costs seconds, not an outage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Host name or address.
    pub host: String,
    /// Management port (24007 unless glusterd was configured otherwise).
    pub port: u16,
}

impl Server {
    /// Parses `host`, `host:port`, `[v6addr]` or `[v6addr]:port`.
    pub fn parse(s: &str) -> io::Result<Server> {
        let bad = || io::Error::new(io::ErrorKind::InvalidInput, format!("bad volfile server '{s}'"));
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(bad)?;
            match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None if after.is_empty() => (h, None),
                None => return Err(bad()),
            }
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h, Some(p)),
                _ => (s, None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            None => DEFAULT_PORT,
        };
        Ok(Server {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// How to connect a [`Volume`].
#[derive(Clone, Debug)]
pub struct VolumeOptions {
    /// Volfile servers, tried in order by gfapi. Must not be empty.
    pub servers: Vec<Server>,
    /// gfapi's own log: `None` logs nothing, `Some("-")` logs to stderr, else a file path.
    pub log_file: Option<PathBuf>,
    /// gfapi log level (0 none .. 7 info .. 9 trace).
    pub log_level: i32,
    /// How long `glfs_init` may take before [`Volume::connect`] gives up.
    pub init_timeout: Duration,
}

impl Default for VolumeOptions {
    fn default() -> Self {
        VolumeOptions {
            servers: vec![Server {
                host: "localhost".into(),
                port: DEFAULT_PORT,
            }],
            log_file: None,
            log_level: 4, // warnings
            init_timeout: Duration::from_secs(30),
        }
    }
}

/// The `glfs_t` and what it needs at the end. Shared (by `Arc`) by the [`Volume`] and every
/// [`File`]/[`Dir`], so the handle outlives all of its descriptors.
pub(crate) struct Fs {
    raw: NonNull<sys::glfs_t>,
    name: String,
    /// Serialises `mkdir_all` within the process; see `Volume::mkdir_all` for why.
    mkdir_lock: Mutex<()>,
}

// SAFETY: a glfs_t is documented thread-safe: gfapi serialises internally and the project's
// measurements ran 8 threads on one glfs_t without errors. We never hand out &mut access.
unsafe impl Send for Fs {}
// SAFETY: as above; every call takes the raw pointer by value and gfapi locks internally.
unsafe impl Sync for Fs {}

impl Fs {
    pub(crate) fn raw(&self) -> *mut sys::glfs_t {
        self.raw.as_ptr()
    }
}

impl Drop for Fs {
    fn drop(&mut self) {
        // glfs_fini blocks 4-11 s (upstream waits for a 10 s RPC timer); never make a dropping
        // thread wait for it. `Volume::shutdown` is the way to wait, with a bound.
        let raw = SendPtr(self.raw);
        let spawned = thread::Builder::new().name("glfs-fini".into()).spawn(move || {
            let raw = raw;
            // SAFETY: the last reference to this glfs_t is gone (all Files and Dirs hold an Arc),
            // so nothing else can use it during or after fini.
            unsafe { sys::glfs_fini(raw.0.as_ptr()) };
        });
        if spawned.is_err() {
            // No thread to spare: leaking the handle is the safe choice at process end.
        }
    }
}

/// A raw handle moved to another thread for `glfs_fini` or `glfs_init`.
struct SendPtr(NonNull<sys::glfs_t>);
// SAFETY: glfs_t is thread-safe (see `Fs`); the pointer is used by exactly one thread at a time.
unsafe impl Send for SendPtr {}

/// A connected GlusterFS volume: one `glfs_t`, shared by every thread of the process.
///
/// Cheap to clone (an `Arc`). The connection is torn down when the last clone and the last
/// [`File`]/[`Dir`] are dropped, on a background thread; call [`Volume::shutdown`] to wait for it.
#[derive(Clone)]
pub struct Volume {
    pub(crate) fs: Arc<Fs>,
}

impl fmt::Debug for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Volume")
            .field("name", &self.fs.name)
            .finish_non_exhaustive()
    }
}

impl Volume {
    /// Connects to `volume` through the given volfile servers.
    ///
    /// `glfs_init` runs on its own thread under a watchdog of `opts.init_timeout`: a server that
    /// accepts TCP but never answers otherwise blocks it for minutes. On timeout the error
    /// (`TimedOut`) names the servers tried; the stuck thread finishes (and frees its handle) in
    /// the background whenever gfapi gives up.
    pub fn connect(volume: &str, opts: &VolumeOptions) -> io::Result<Volume> {
        if opts.servers.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no volfile server given",
            ));
        }
        let servers = opts
            .servers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let cname = cstr(volume)?;
        let hosts = opts
            .servers
            .iter()
            .map(|s| cstr(&s.host))
            .collect::<io::Result<Vec<_>>>()?;
        let log: Option<CString> = match &opts.log_file {
            Some(p) => Some(cpath(p)?),
            None => None,
        };

        // SAFETY: cname is a valid NUL-terminated string for the duration of the call.
        let raw = unsafe { sys::glfs_new(cname.as_ptr()) };
        let raw = NonNull::new(raw).ok_or_else(|| last_error("glfs_new"))?;
        let fs = Fs {
            raw,
            name: volume.to_owned(),
            mkdir_lock: Mutex::new(()),
        };

        let tcp = c"tcp";
        for (server, host) in opts.servers.iter().zip(&hosts) {
            // SAFETY: fs.raw is a live glfs_t not yet initialised; strings outlive the call.
            let ret = unsafe {
                sys::glfs_set_volfile_server(fs.raw(), tcp.as_ptr(), host.as_ptr(), i32::from(server.port))
            };
            check(ret, "glfs_set_volfile_server")?;
        }
        // Without a logging call gfapi logs nothing at all; with NULL it picks its own log dir,
        // which may not exist. "/dev/null" keeps it quiet explicitly.
        let devnull = c"/dev/null";
        let logfile = log.as_deref().unwrap_or(devnull);
        // SAFETY: as above.
        let ret = unsafe { sys::glfs_set_logging(fs.raw(), logfile.as_ptr(), opts.log_level) };
        check(ret, "glfs_set_logging")?;

        // glfs_init on a watchdog thread. The thread owns the Fs until it reports back, so a
        // timed-out init never leaves a dangling handle here.
        let (tx, rx) = mpsc::channel::<(Fs, io::Result<()>)>();
        let start = Instant::now();
        thread::Builder::new().name("glfs-init".into()).spawn(move || {
            // SAFETY: fs.raw is a live, configured, not yet initialised glfs_t owned by this thread.
            let ret = unsafe { sys::glfs_init(fs.raw()) };
            let res = check(ret, "glfs_init");
            // If the receiver gave up, the Fs comes back to us and is dropped (fini) here.
            let _ = tx.send((fs, res));
        })?;
        match rx.recv_timeout(opts.init_timeout) {
            Ok((fs, Ok(()))) => Ok(Volume { fs: Arc::new(fs) }),
            Ok((fs, Err(e))) => {
                // A failed init still needs fini; Drop does it off-thread.
                drop(fs);
                Err(io::Error::new(
                    e.kind(),
                    format!("connecting volume '{volume}' via {servers} failed: {e}"),
                ))
            }
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "connecting volume '{volume}' via {servers}: glfs_init did not finish within {:.1?} \
                     (is glusterd answering on those servers?)",
                    start.elapsed()
                ),
            )),
        }
    }

    /// The volume's name.
    pub fn name(&self) -> &str {
        &self.fs.name
    }

    /// Waits up to `timeout` for every [`File`] and [`Dir`] of this volume to be closed and
    /// for `glfs_fini` to finish. Returns `false` if the bound was hit (the handle is then left
    /// to finish, or leak, in the background: acceptable at process exit).
    pub fn shutdown(self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut fs = self.fs;
        let fs = loop {
            match Arc::try_unwrap(fs) {
                Ok(fs) => break fs,
                Err(shared) if Instant::now() < deadline => {
                    fs = shared;
                    thread::sleep(Duration::from_millis(10));
                }
                Err(_) => return false,
            }
        };
        let raw = SendPtr(fs.raw);
        std::mem::forget(fs); // fini is done here, not by Drop
        let (tx, rx) = mpsc::channel();
        let spawned = thread::Builder::new().name("glfs-fini".into()).spawn(move || {
            let raw = raw;
            // SAFETY: we held the only reference (try_unwrap succeeded) and forgot it, so no
            // other code can reach this glfs_t.
            unsafe { sys::glfs_fini(raw.0.as_ptr()) };
            let _ = tx.send(());
        });
        spawned.is_ok()
            && rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .is_ok()
    }

    /// Creates (or truncates) a file; `flags` are `libc::O_*` (for example `O_WRONLY | O_EXCL`;
    /// `O_CREAT` is implied).
    pub fn create(&self, path: impl AsRef<Path>, flags: i32, mode: u32) -> io::Result<File> {
        let p = cpath(path.as_ref())?;
        // SAFETY: fs is live while self is; p is NUL-terminated and outlives the call.
        let fd = unsafe { sys::glfs_creat(self.fs.raw(), p.as_ptr(), flags | libc::O_CREAT, mode) };
        File::from_raw(self, fd, "glfs_creat")
    }

    /// Creates a new file for writing, failing with `AlreadyExists` if the name is taken
    /// (`O_CREAT | O_EXCL`, atomic across every client of the volume).
    pub fn create_new(&self, path: impl AsRef<Path>, mode: u32) -> io::Result<File> {
        self.create(path, libc::O_WRONLY | libc::O_EXCL, mode)
    }

    /// Opens an existing file; `flags` are `libc::O_*` (`O_RDONLY` to read).
    pub fn open(&self, path: impl AsRef<Path>, flags: i32) -> io::Result<File> {
        let p = cpath(path.as_ref())?;
        // SAFETY: as in `create`.
        let fd = unsafe { sys::glfs_open(self.fs.raw(), p.as_ptr(), flags) };
        File::from_raw(self, fd, "glfs_open")
    }

    /// Opens a directory for iteration.
    pub fn read_dir(&self, path: impl AsRef<Path>) -> io::Result<Dir> {
        let p = cpath(path.as_ref())?;
        // SAFETY: as in `create`.
        let fd = unsafe { sys::glfs_opendir(self.fs.raw(), p.as_ptr()) };
        Dir::from_raw(self, fd)
    }

    /// Creates one directory (`AlreadyExists` if present, `NotFound` if the parent is missing).
    pub fn mkdir(&self, path: impl AsRef<Path>, mode: u32) -> io::Result<()> {
        let p = cpath(path.as_ref())?;
        // SAFETY: as in `create`.
        let ret = unsafe { sys::glfs_mkdir(self.fs.raw(), p.as_ptr(), mode) };
        check(ret, "glfs_mkdir")
    }

    /// Creates a directory and its missing parents (gfapi's mkdir has no `-p`). Existing
    /// directories are fine, and so is another process winning a race for any component.
    ///
    /// Calls are serialised within the process. On a replicate volume, two mkdirs of the same
    /// name racing from one client were seen (here, GlusterFS 10.3, 8 threads) to fail quorum
    /// with `EIO` and leave the directory with a different GFID on different bricks, a
    /// GFID split-brain that needs manual healing. One process cannot stop another from racing
    /// it, so callers should also create shared directories once, ahead of time (the gateway
    /// creates a bucket's fan-out directories when the bucket is created).
    pub fn mkdir_all(&self, path: impl AsRef<Path>, mode: u32) -> io::Result<()> {
        let _serial = self.fs.mkdir_lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.mkdir_all_locked(path.as_ref(), mode)
    }

    fn mkdir_all_locked(&self, path: &Path, mode: u32) -> io::Result<()> {
        match self.mkdir_raced(path, mode) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match path.parent() {
                    Some(parent) if parent != path && !parent.as_os_str().is_empty() => {
                        self.mkdir_all_locked(parent, mode)?;
                    }
                    _ => return Err(e),
                }
                self.mkdir_raced(path, mode)
            }
            other => other,
        }
    }

    /// One mkdir that treats "someone else made it" as success.
    ///
    /// A mkdir that races another client's mkdir of the same name can answer `EEXIST`, or
    /// `EIO` when AFR's quorum check fails. So after `EEXIST`, `EIO` or `ESTALE` the path is
    /// looked up: a directory is success; otherwise the mkdir is retried a few times, and the
    /// original error is returned if that does not settle it.
    fn mkdir_raced(&self, path: &Path, mode: u32) -> io::Result<()> {
        let mut attempt = 0;
        loop {
            let err = match self.mkdir(path, mode) {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let raced = err.kind() == io::ErrorKind::AlreadyExists
                || matches!(err.raw_os_error(), Some(libc::EIO | libc::ESTALE));
            if !raced {
                return Err(err);
            }
            match self.stat(path) {
                Ok(m) if m.is_dir() => return Ok(()),
                Err(_) if attempt < 5 => {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(1 << attempt));
                }
                // A file holds the name, or the lookup keeps failing.
                Ok(_) | Err(_) => return Err(err),
            }
        }
    }

    /// Renames `from` over `to` (atomic replace of an existing file).
    ///
    /// The destination's parent directory must exist: gfapi 10.3 crashes the whole process on a
    /// rename into a missing directory (upstream glusterfs#4378), so this checks first and
    /// answers `NotFound` instead. Callers that write temp files in the destination directory
    /// never pay for more than that one lookup.
    pub fn rename(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
        let to = to.as_ref();
        if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
            let m = self.stat(parent)?;
            if !m.is_dir() {
                return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
            }
        }
        let f = cpath(from.as_ref())?;
        let t = cpath(to)?;
        // SAFETY: as in `create`; both strings outlive the call.
        let ret = unsafe { sys::glfs_rename(self.fs.raw(), f.as_ptr(), t.as_ptr()) };
        check(ret, "glfs_rename")
    }

    /// Renames `from` to `to` in the same directory (atomic replace of an existing file).
    ///
    /// Unlike [`Volume::rename`] this needs no lookup of the destination directory: it is the
    /// directory that holds `from`, so it exists while `from` does (a directory holding a file
    /// cannot be removed). `InvalidInput` if the parents differ.
    pub fn rename_sibling(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
        let (from, to) = (from.as_ref(), to.as_ref());
        if from.parent() != to.parent() || to.file_name().is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "rename_sibling needs two names in one directory",
            ));
        }
        let f = cpath(from)?;
        let t = cpath(to)?;
        // SAFETY: as in `create`; both strings outlive the call. The destination directory
        // exists (see above), so the upstream crash on a missing directory cannot happen.
        let ret = unsafe { sys::glfs_rename(self.fs.raw(), f.as_ptr(), t.as_ptr()) };
        check(ret, "glfs_rename")
    }

    /// Removes a file.
    pub fn unlink(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let p = cpath(path.as_ref())?;
        // SAFETY: as in `create`.
        let ret = unsafe { sys::glfs_unlink(self.fs.raw(), p.as_ptr()) };
        check(ret, "glfs_unlink")
    }

    /// Removes an empty directory.
    pub fn rmdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let p = cpath(path.as_ref())?;
        // SAFETY: as in `create`.
        let ret = unsafe { sys::glfs_rmdir(self.fs.raw(), p.as_ptr()) };
        check(ret, "glfs_rmdir")
    }

    /// Metadata of a path (follows symlinks).
    pub fn stat(&self, path: impl AsRef<Path>) -> io::Result<Metadata> {
        let p = cpath(path.as_ref())?;
        let mut st = MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: st points to writable memory of the right type (libc's stat, which is the
        // type gfapi-sys binds); p outlives the call.
        let ret = unsafe { sys::glfs_stat(self.fs.raw(), p.as_ptr(), st.as_mut_ptr()) };
        check(ret, "glfs_stat")?;
        // SAFETY: glfs_stat succeeded, so it filled the struct (and it was zeroed before).
        Ok(Metadata(unsafe { st.assume_init() }))
    }

    /// File-system statistics of the volume (the minimum over replicas).
    pub fn statvfs(&self, path: impl AsRef<Path>) -> io::Result<StatVfs> {
        let p = cpath(path.as_ref())?;
        let mut st = MaybeUninit::<libc::statvfs>::zeroed();
        // SAFETY: as in `stat`, with libc's statvfs.
        let ret = unsafe { sys::glfs_statvfs(self.fs.raw(), p.as_ptr(), st.as_mut_ptr()) };
        check(ret, "glfs_statvfs")?;
        // SAFETY: filled by a successful call, zeroed before.
        let st = unsafe { st.assume_init() };
        Ok(StatVfs {
            block_size: st.f_frsize,
            blocks: st.f_blocks,
            blocks_free: st.f_bfree,
            blocks_available: st.f_bavail,
            files: st.f_files,
            files_free: st.f_ffree,
            name_max: st.f_namemax,
        })
    }

    /// Sets an extended attribute on a path (`flags`: 0, `libc::XATTR_CREATE` or
    /// `libc::XATTR_REPLACE`). Use `user.*` names: `trusted.*` belongs to Gluster.
    pub fn setxattr(&self, path: impl AsRef<Path>, name: &str, value: &[u8], flags: i32) -> io::Result<()> {
        let p = cpath(path.as_ref())?;
        let n = cstr(name)?;
        // SAFETY: value is a valid slice for value.len() bytes; strings outlive the call.
        let ret = unsafe {
            sys::glfs_setxattr(
                self.fs.raw(),
                p.as_ptr(),
                n.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                flags,
            )
        };
        check(ret, "glfs_setxattr")
    }

    /// Reads an extended attribute of a path.
    pub fn getxattr(&self, path: impl AsRef<Path>, name: &str) -> io::Result<Vec<u8>> {
        let p = cpath(path.as_ref())?;
        let n = cstr(name)?;
        read_sized("glfs_getxattr", |buf, len| {
            // SAFETY: buf is null with len 0 (a size query) or valid for len bytes.
            unsafe { sys::glfs_getxattr(self.fs.raw(), p.as_ptr(), n.as_ptr(), buf, len) }
        })
    }
}

/// Reads a variable-size value with the "ask the size, then read" protocol of getxattr,
/// retrying if the value grew in between (`ERANGE`).
pub(crate) fn read_sized(
    call: &'static str,
    mut f: impl FnMut(*mut std::ffi::c_void, usize) -> isize,
) -> io::Result<Vec<u8>> {
    for _ in 0..8 {
        let size = check_len(f(ptr::null_mut(), 0), call)?;
        let mut buf = vec![0u8; size.max(1)];
        match check_len(f(buf.as_mut_ptr().cast(), buf.len()), call) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("{call}: value kept changing size")))
}

/// `struct stat` of a file or directory on the volume.
#[derive(Clone, Copy)]
pub struct Metadata(pub(crate) libc::stat);

impl Metadata {
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.0.st_size as u64
    }
    /// True for a zero-length file.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.0.st_mode & libc::S_IFMT == libc::S_IFDIR
    }
    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.0.st_mode & libc::S_IFMT == libc::S_IFREG
    }
    /// Permission and type bits.
    pub fn mode(&self) -> u32 {
        self.0.st_mode
    }
    /// Inode number (derived from the GFID by Gluster).
    pub fn ino(&self) -> u64 {
        self.0.st_ino
    }
    /// Last modification time.
    pub fn modified(&self) -> SystemTime {
        let secs = u64::try_from(self.0.st_mtime).unwrap_or(0);
        let nanos = u32::try_from(self.0.st_mtime_nsec).unwrap_or(0);
        UNIX_EPOCH + Duration::new(secs, nanos)
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("len", &self.len())
            .field("mode", &format_args!("{:o}", self.mode()))
            .field("ino", &self.ino())
            .finish()
    }
}

/// Capacity figures of a volume, from `glfs_statvfs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatVfs {
    /// Fragment size: the unit of the block counts.
    pub block_size: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub blocks_free: u64,
    /// Free blocks available to unprivileged users.
    pub blocks_available: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub files_free: u64,
    /// Longest file name component.
    pub name_max: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_parsing() {
        assert_eq!(
            Server::parse("h").unwrap(),
            Server {
                host: "h".into(),
                port: 24007
            }
        );
        assert_eq!(
            Server::parse("h:1234").unwrap(),
            Server {
                host: "h".into(),
                port: 1234
            }
        );
        assert_eq!(
            Server::parse("[::1]").unwrap(),
            Server {
                host: "::1".into(),
                port: 24007
            }
        );
        assert_eq!(
            Server::parse("[::1]:9").unwrap(),
            Server {
                host: "::1".into(),
                port: 9
            }
        );
        assert_eq!(
            Server::parse("::1").unwrap(),
            Server {
                host: "::1".into(),
                port: 24007
            }
        );
        for bad in ["", ":1", "h:", "h:0", "h:x", "h:70000", "[::1", "[::1]x"] {
            assert!(Server::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Server::parse("[::1]:9").unwrap().to_string(), "[::1]:9");
        assert_eq!(Server::parse("h").unwrap().to_string(), "h:24007");
    }
}
