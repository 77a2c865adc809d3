//! The blob store: object bytes as files on the Gluster volume, through gfapi.
//!
//! Owns the on-volume layout and the write protocol; knows nothing of keys, listings or HTTP.
//! Layout: `<root>/blobs/<bucket id, 16 hex>/<2 hex fan-out>/<blob id, 32 hex>`. Keys never
//! become paths, so any key S3 allows works and `a` and `a/b` coexist. The 256 fan-out
//! directories of a bucket are created once, serially, when the bucket is created: racing
//! mkdirs of one name on a replicate volume can leave a GFID split-brain (see
//! `gfapi::Volume::mkdir_all`).
//!
//! Write protocol ([`BlobWriter`]): `creat(O_EXCL)` a temp name in the final directory ->
//! `pwrite`... -> `fsetxattr(user.s3.meta)` -> `fsync` -> `close` -> `rename` to the final name.
//! A writer dropped before [`BlobWriter::finish`] unlinks its temp file, and one whose rename
//! failed also unlinks the final name (a rename cut off by a lost connection may have happened),
//! so a failed or interrupted upload leaves nothing; a crash leaves at most a temp file, which the sweep
//! removes (at once when it was this node's, else after an hour), or a blob renamed but not yet
//! committed, whose intent ([`intents`], recorded durably before the rename) the sweep finds and
//! deletes the same way.
//! Every call here blocks: async callers go through `crate::blocking`. Walking the layout (for
//! `fsck`, `reindex` and the stale-temp sweep) is in [`scan`]. Blobs opened for reading stay
//! open for the next read, up to a bound ([`open`]).

pub mod bucket_xattr;
pub mod intents;
pub mod meta;
pub mod open;
pub mod scan;
pub mod volumes;

pub use volumes::Stores;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use gfapi::{File, Volume};

use crate::metrics::{GfapiCall, GfapiTimings};

/// Name of the xattr that carries an object's core metadata on its blob, so the registry can
/// be rebuilt from the volume.
pub const META_XATTR: &str = "user.s3.meta";

/// Largest value we write to [`META_XATTR`]: ext4 bricks hold about 3 KiB of xattrs per inode
/// in all, and Gluster keeps some of its own there.
pub const META_XATTR_MAX: usize = 2048;

/// The default top directory of the gateway's files on the volume.
pub const DEFAULT_ROOT: &str = "/.s3";

/// Whether a volume call failed because the volume is not reachable right now, or because the
/// handle it used went bad with the connection behind it (a kept-open blob after the bricks
/// came and went): a lost connection (`ENOTCONN`, `ECONNREFUSED`, `ECONNRESET`,
/// `ECONNABORTED`, `EHOSTDOWN`, `EHOSTUNREACH`, `ENETDOWN`, `ENETUNREACH`), a call that timed
/// out (`ETIMEDOUT`), a file descriptor in a bad state (`EBADFD`, what gfapi answers on an fd
/// opened before a quorum loss) and a stale handle (`ESTALE`, during a rename or a heal).
/// A fresh handle may work; retrying later will. Not `EIO`: on a replicate volume it means a
/// split-brain or a brick fault, which no retry repairs.
pub fn connection_lost(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::NotConnected
            | K::TimedOut
            | K::ConnectionRefused
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::StaleNetworkFileHandle
    ) || matches!(
        e.raw_os_error(),
        Some(
            libc::ENOTCONN
                | libc::ECONNREFUSED
                | libc::ECONNRESET
                | libc::ECONNABORTED
                | libc::EHOSTDOWN
                | libc::EHOSTUNREACH
                | libc::ENETDOWN
                | libc::ENETUNREACH
                | libc::ETIMEDOUT
                | libc::EBADFD
                | libc::ESTALE
        )
    )
}

/// Runs `op` on `file`; if that fails as [`connection_lost`] says, takes a fresh handle from
/// `reopen` (which drops the bad one wherever it was kept) and runs `op` on it once more. The
/// seam the reads of kept-open blobs go through.
pub fn retry_with_fresh_handle<F, T>(
    file: &mut F,
    reopen: impl FnOnce() -> io::Result<F>,
    mut op: impl FnMut(&F) -> io::Result<T>,
) -> io::Result<T> {
    match op(file) {
        Err(e) if connection_lost(&e) => {
            tracing::debug!(error = %e, "volume handle went bad; reopening once");
            *file = reopen()?;
            op(file)
        }
        other => other,
    }
}

/// Files that a failed writer could not remove (its temp file, and the final name of a rename
/// whose outcome is unknown) because the volume was unreachable at that moment, for the sweeper to retry every few seconds instead of leaving them to the hourly
/// stale-temp pass. Bounded: past [`LeftTemps::MAX`] paths, the hourly pass gets the rest.
#[derive(Debug, Default)]
pub struct LeftTemps(Mutex<Vec<PathBuf>>);

impl LeftTemps {
    /// Most paths kept.
    pub const MAX: usize = 4096;

    /// Remembers a temp file to remove later.
    pub fn push(&self, path: PathBuf) {
        let mut g = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if g.len() < Self::MAX {
            g.push(path);
        }
    }

    /// Paths waiting.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// True if none is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tries `remove` on every waiting path (a path already gone counts as removed) and keeps
    /// the ones that failed again; returns how many went.
    pub fn retry(&self, mut remove: impl FnMut(&Path) -> io::Result<()>) -> usize {
        let paths = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        let mut removed = 0;
        for p in paths {
            match remove(&p) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => self.push(p),
                _ => removed += 1,
            }
        }
        removed
    }
}

/// A new object's blob whose registry commit had an unknown outcome (the registry's connection
/// was lost during it): referenced if the commit happened, garbage if not.
#[derive(Debug, Clone)]
pub struct UncertainBlob {
    /// Bucket id of the object.
    pub bucket: u64,
    /// Object key.
    pub key: Vec<u8>,
    /// The blob.
    pub path: String,
}

/// Blobs waiting for the registry to say whether their commit happened (the sweeper asks once
/// it answers again, and deletes the ones no record references). Bounded like [`LeftTemps`]:
/// past it, `gateway fsck` finds the rest as orphans.
#[derive(Debug, Default)]
pub struct UncertainBlobs(Mutex<Vec<UncertainBlob>>);

impl UncertainBlobs {
    /// Remembers a blob to check.
    pub fn push(&self, b: UncertainBlob) {
        let mut g = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if g.len() < LeftTemps::MAX {
            g.push(b);
        }
    }

    /// Takes every blob waiting.
    pub fn take(&self) -> Vec<UncertainBlob> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// True if none is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
    }
}

/// The xattr [`BlobStore::remove_left_temps`] sets on `<root>/blobs` to learn whether the volume
/// accepts writes.
const WRITABLE_XATTR: &str = "user.s3.writable";

/// The blob store over one volume.
#[derive(Clone, Debug)]
pub struct BlobStore {
    vol: Volume,
    root: String,
    open: Arc<open::OpenBlobs>,
    left: Arc<LeftTemps>,
    uncertain: Arc<UncertainBlobs>,
    timings: GfapiTimings,
    owner: Arc<scan::TempOwner>,
    intents: Option<intents::IntentLog>,
}

impl BlobStore {
    /// Wraps a connected volume and makes sure `<root>/blobs` exists. One registry owns one
    /// root (bucket ids are the registry's).
    pub fn open(vol: Volume, root: &str) -> io::Result<BlobStore> {
        let root = root.trim_end_matches('/').to_owned();
        vol.mkdir_all(format!("{root}/blobs"), 0o755)?;
        Ok(BlobStore {
            vol,
            root,
            open: Arc::new(open::OpenBlobs::new(0)),
            left: Arc::default(),
            uncertain: Arc::default(),
            timings: GfapiTimings::detached(),
            owner: Arc::new(scan::TempOwner::new("")),
            intents: None,
        })
    }

    /// Records an intent in `log` for every new blob of this store (see [`intents`]); without
    /// one (tools, tests of the store alone) a crash between rename and commit leaves an orphan.
    #[must_use]
    pub fn with_intents(mut self, log: intents::IntentLog) -> BlobStore {
        self.intents = Some(log);
        self
    }

    /// This store's intent log, if it records intents.
    pub fn intent_log(&self) -> Option<&intents::IntentLog> {
        self.intents.as_ref()
    }

    /// Ends the intent of the blob at `path` (its file is gone).
    pub fn end_intent(&self, path: &str) {
        if let Some(log) = &self.intents {
            log.end(path);
        }
    }

    /// Names this store's temp files after gateway node `node` (see [`scan::TempOwner`]).
    #[must_use]
    pub fn with_node(mut self, node: &str) -> BlobStore {
        self.owner = Arc::new(scan::TempOwner::new(node));
        self
    }

    /// Who this store's temp files say wrote them.
    pub fn temp_owner(&self) -> &scan::TempOwner {
        &self.owner
    }

    /// Records the latency of this store's gfapi calls in `timings` (the gateway's metrics).
    #[must_use]
    pub fn with_gfapi_timings(mut self, timings: GfapiTimings) -> BlobStore {
        self.timings = timings;
        self
    }

    /// Fills `buf` from `file` at `offset`, short only at the end (timed as `pread`).
    pub fn read_full_at(&self, file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.timings
            .time(GfapiCall::Pread, || file.read_full_at(buf, offset))
    }

    /// Reads up to `len` bytes of `file` at `offset`, appended to `buf` (timed as `pread`).
    pub fn read_append_at(
        &self,
        file: &File,
        buf: &mut Vec<u8>,
        len: usize,
        offset: u64,
    ) -> io::Result<usize> {
        self.timings
            .time(GfapiCall::Pread, || file.read_append_at(buf, len, offset))
    }

    /// Keeps up to `files` blobs open after they are read, for the next read of the same blob
    /// (see [`open`]); 0 keeps none. Meant for a serving gateway.
    #[must_use]
    pub fn with_open_blobs(mut self, files: usize) -> BlobStore {
        self.open = Arc::new(open::OpenBlobs::new(files));
        self
    }

    /// The open-blob cache (for its statistics).
    pub fn open_blobs(&self) -> &open::OpenBlobs {
        &self.open
    }

    /// New blobs whose registry commit had an unknown outcome (see [`UncertainBlobs`]).
    pub fn uncertain(&self) -> &UncertainBlobs {
        &self.uncertain
    }

    /// Temp files of failed writes still to remove (see [`LeftTemps`]).
    pub fn left_temps(&self) -> &LeftTemps {
        &self.left
    }

    /// Retries the removal of the temp files failed writers could not remove; returns how many
    /// went. Blocking.
    ///
    /// Only while the volume accepts writes: a setxattr on `<root>/blobs` (a write that needs the
    /// replica set's quorum) comes first, and nothing is tried when it fails. While quorum is lost,
    /// a lookup may answer `ENOENT` for a file the bricks still hold, and a path dropped on that
    /// answer would come back with the bricks as a stray temp file.
    pub fn remove_left_temps(&self) -> usize {
        if self.left.is_empty() {
            return 0;
        }
        let blobs = Path::new(&self.root).join("blobs");
        if let Err(e) = self.vol.setxattr(&blobs, WRITABLE_XATTR, b"1", 0) {
            tracing::debug!(error = %e, "volume not writable: left files wait");
            return 0;
        }
        self.left
            .retry(|p| self.timings.time(GfapiCall::Unlink, || self.vol.unlink(p)))
    }

    /// The volume, for health checks and statistics.
    pub fn volume(&self) -> &Volume {
        &self.vol
    }

    fn bucket_dir(&self, bucket_id: u64) -> PathBuf {
        PathBuf::from(format!("{}/blobs/{bucket_id:016x}", self.root))
    }

    /// Creates a bucket's directory and its 256 fan-out directories. Each name is made by
    /// exactly one of a few threads (no two mkdirs of one name ever race), which cuts the
    /// time of a CreateBucket from ~1 s (256 sequential round trips) to a fraction of it.
    pub fn create_bucket_dirs(&self, bucket_id: u64) -> io::Result<()> {
        let dir = self.bucket_dir(bucket_id);
        self.vol.mkdir_all(&dir, 0o755)?;
        Self::each_fanout(&dir, |path| match self.vol.mkdir(path, 0o755) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        })
    }

    /// Removes a bucket's (empty) directories. Directories that still hold files (blobs
    /// waiting for the garbage sweep) are left for the sweeper.
    pub fn remove_bucket_dirs(&self, bucket_id: u64) -> io::Result<()> {
        let dir = self.bucket_dir(bucket_id);
        Self::each_fanout(&dir, |path| match self.vol.rmdir(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound && e.raw_os_error() != Some(libc::ENOTEMPTY) => {
                Err(e)
            }
            _ => Ok(()),
        })?;
        match self.vol.rmdir(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound && e.raw_os_error() != Some(libc::ENOTEMPTY) => {
                Err(e)
            }
            _ => Ok(()),
        }
    }

    /// Runs `f` on the 256 fan-out directory paths of `dir`, spread over 8 threads, each
    /// owning a disjoint set of names. The first error wins.
    fn each_fanout(dir: &Path, f: impl Fn(&Path) -> io::Result<()> + Sync) -> io::Result<()> {
        const THREADS: u8 = 8;
        thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let f = &f;
                    s.spawn(move || {
                        (0..=255u8)
                            .filter(|i| i % THREADS == t)
                            .try_for_each(|i| f(&dir.join(format!("{i:02x}"))))
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("fan-out thread panicked")))
            })
        })
    }

    /// Starts a new blob in `bucket_id`'s directory.
    pub fn writer(&self, bucket_id: u64) -> io::Result<BlobWriter> {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let dir = self.bucket_dir(bucket_id).join(&id[..2]);
        let tmp = dir.join(self.owner.temp_name(&id));
        let path = dir.join(&id);
        let intent = match &self.intents {
            Some(log) => Some((
                log.clone(),
                log.begin(&path.to_string_lossy(), self.vol.name(), self.owner.tag())?,
            )),
            None => None,
        };
        let end_intent = |intent: &Option<(intents::IntentLog, intents::PendingIntent)>| {
            if let Some((log, _)) = intent {
                log.end(&path.to_string_lossy());
            }
        };
        let create = |tmp: &Path| {
            self.timings
                .time(GfapiCall::Create, || self.vol.create_new(tmp, 0o644))
        };
        let created = match create(&tmp) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // The fan-out directory is gone (removed by hand?): recreate it, serialised.
                self.vol.mkdir_all(&dir, 0o755)?;
                create(&tmp)
            }
            other => other,
        };
        let file = created.inspect_err(|_| {
            // A create that failed may still have made the file on the bricks (a full brick
            // refuses the changelog xattr after the entry exists; a lost connection leaves the
            // outcome unknown): the name is ours alone, so it goes to the sweeper's retries.
            self.left.push(tmp.clone());
            end_intent(&intent);
        })?;
        Ok(BlobWriter {
            vol: self.vol.clone(),
            left: self.left.clone(),
            timings: self.timings.clone(),
            file: Some(file),
            path,
            tmp,
            len: 0,
            intent,
        })
    }

    /// A blob open for reading: the one kept open from an earlier read, or a newly opened one
    /// (then kept, within the bound).
    pub fn open_blob(&self, path: &str) -> io::Result<Arc<File>> {
        if let Some(f) = self.open.get(path) {
            return Ok(f);
        }
        let epoch = self.open.epoch();
        let file = Arc::new(self.open_blob_uncached(path)?);
        drop(self.open.insert(path, file.clone(), epoch));
        Ok(file)
    }

    /// Lets go of the copy of a blob kept open (after a failed read: the next read reopens).
    pub fn forget_open(&self, path: &str) {
        drop(self.open.remove(path));
    }

    /// A fresh handle of a blob whose kept-open one went bad: drops that one, opens anew.
    pub fn reopen_blob(&self, path: &str) -> io::Result<Arc<File>> {
        self.forget_open(path);
        self.open_blob(path)
    }

    /// Opens a blob for reading, bypassing the open-blob cache. Retries briefly on
    /// `ENOENT`/`ESTALE`: during a rename another client may see either for a moment
    /// (measured: 1-3 retries hide it).
    pub fn open_blob_uncached(&self, path: &str) -> io::Result<File> {
        let mut attempt = 0;
        loop {
            match self
                .timings
                .time(GfapiCall::Open, || self.vol.open(path, libc::O_RDONLY))
            {
                Err(e)
                    if attempt < 3
                        && (e.kind() == io::ErrorKind::NotFound
                            || e.raw_os_error() == Some(libc::ESTALE)) =>
                {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(1 << attempt));
                }
                other => return other,
            }
        }
    }

    /// Deletes a blob; a blob already gone is fine. A copy kept open for reads is let go
    /// after the unlink, so the bricks can free its space (a read in progress keeps it until it
    /// ends), and a read that opened it just before the unlink does not keep it (see [`open`]).
    pub fn delete(&self, path: &str) -> io::Result<()> {
        let res = match self.timings.time(GfapiCall::Unlink, || self.vol.unlink(path)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
        drop(self.open.remove(path));
        res
    }

    /// Reads the metadata xattr of a blob.
    pub fn read_meta(&self, path: &str) -> io::Result<Vec<u8>> {
        self.timings.time(GfapiCall::Getxattr, || {
            self.vol.getxattr(Path::new(path), META_XATTR)
        })
    }
}

/// A blob being written. Unlinks its temp file if dropped before [`BlobWriter::finish`].
pub struct BlobWriter {
    vol: Volume,
    left: Arc<LeftTemps>,
    timings: GfapiTimings,
    file: Option<File>,
    tmp: PathBuf,
    path: PathBuf,
    len: u64,
    /// The intent of the final name, durable before the rename; the commit ends it.
    intent: Option<(intents::IntentLog, intents::PendingIntent)>,
}

impl BlobWriter {
    /// Appends `buf`.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::other("blob writer already finished"))?;
        self.timings
            .time(GfapiCall::Pwrite, || file.write_all_at(buf, self.len))?;
        self.len += buf.len() as u64;
        Ok(())
    }

    /// Appends the concatenation of `bufs` with one gfapi call.
    pub fn write_vectored(&mut self, bufs: &[&[u8]]) -> io::Result<()> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::other("blob writer already finished"))?;
        self.timings
            .time(GfapiCall::Pwrite, || file.write_all_vectored_at(bufs, self.len))?;
        self.len += bufs.iter().map(|b| b.len() as u64).sum::<u64>();
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes the blob durable and visible under its final name: xattr, fsync, close, rename.
    /// Returns its path and size.
    pub fn finish(mut self, meta: &[u8]) -> io::Result<(String, u64)> {
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("blob writer already finished"))?;
        let res = (|| {
            if meta.len() <= META_XATTR_MAX {
                self.timings
                    .time(GfapiCall::Setxattr, || file.set_xattr(META_XATTR, meta, 0))?;
            }
            self.timings.time(GfapiCall::Fsync, || file.sync_all())?;
            file.close()?;
            if let Some((_, pending)) = &mut self.intent {
                pending.wait()?;
            }
            self.timings.time(GfapiCall::Rename, || {
                self.vol.rename_sibling(&self.tmp, &self.path)
            })
        })();
        if let Err(e) = res {
            self.remove_tmp();
            // A rename that failed on a lost connection may still have happened on the bricks
            // (its outcome is unknown), and heal would then bring the final name back as an
            // orphan. The name is this writer's alone (random), so removing it is always safe.
            let path = std::mem::take(&mut self.path);
            if self.remove_later(path.clone()) {
                self.end_intent(&path);
            }
            self.intent = None; // kept until the file is surely gone
            return Err(e);
        }
        let path = self.path.to_string_lossy().into_owned();
        self.tmp = PathBuf::new(); // nothing to clean up any more
        self.intent = None; // the commit ends it
        Ok((path, self.len))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            drop(f);
        }
        if !self.tmp.as_os_str().is_empty() {
            self.remove_tmp();
            // The final name was never made: nothing for the intent to guard.
            let path = self.path.clone();
            self.end_intent(&path);
        }
    }
}

impl BlobWriter {
    /// Removes the temp file (after a failure), or leaves it to the sweeper's retries when the
    /// volume cannot be reached right now.
    fn remove_tmp(&mut self) {
        let tmp = std::mem::take(&mut self.tmp);
        self.remove_later(tmp);
    }

    /// Unlinks `path` now, or leaves it to the sweeper's retries when the volume cannot be
    /// reached. `ENOENT` is not believed here: a write fails mostly because the volume lost its
    /// quorum, and then a lookup may answer `ENOENT` for a file the bricks hold; the sweeper
    /// asks again once the volume accepts writes ([`BlobStore::remove_left_temps`]).
    fn remove_later(&self, path: PathBuf) -> bool {
        match self.timings.time(GfapiCall::Unlink, || self.vol.unlink(&path)) {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "removing a failed write's file: retried later");
                self.left.push(path);
                false
            }
        }
    }

    /// Ends the intent of `path`, if this writer recorded one.
    fn end_intent(&self, path: &Path) {
        if let Some((log, _)) = &self.intent {
            log.end(&path.to_string_lossy());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_and_bad_handles_are_told_apart_from_real_faults() {
        for errno in [
            libc::EBADFD,
            libc::ENOTCONN,
            libc::ECONNREFUSED,
            libc::ECONNRESET,
            libc::ECONNABORTED,
            libc::EHOSTDOWN,
            libc::EHOSTUNREACH,
            libc::ENETDOWN,
            libc::ENETUNREACH,
            libc::ETIMEDOUT,
            libc::ESTALE,
        ] {
            assert!(
                connection_lost(&io::Error::from_raw_os_error(errno)),
                "errno {errno}"
            );
        }
        for errno in [libc::EIO, libc::ENOENT, libc::EACCES, libc::ENOSPC, libc::EINVAL] {
            assert!(
                !connection_lost(&io::Error::from_raw_os_error(errno)),
                "errno {errno}"
            );
        }
        assert!(connection_lost(&io::Error::from(io::ErrorKind::TimedOut)));
    }

    #[test]
    fn left_temps_are_retried_until_they_go() {
        let left = LeftTemps::default();
        left.push("/r/blobs/a/.tmp.1".into());
        left.push("/r/blobs/a/.tmp.2".into());
        // The volume is still down: both stay.
        assert_eq!(
            left.retry(|_| Err(io::Error::from_raw_os_error(libc::ENOTCONN))),
            0
        );
        assert_eq!(left.len(), 2);
        // One comes back, one is already gone: both are done.
        let gone = left.retry(|p| {
            if p.ends_with(".tmp.1") {
                Ok(())
            } else {
                Err(io::Error::from(io::ErrorKind::NotFound))
            }
        });
        assert_eq!((gone, left.is_empty()), (2, true));
        for i in 0..LeftTemps::MAX + 10 {
            left.push(format!("/t/{i}").into());
        }
        assert_eq!(left.len(), LeftTemps::MAX, "bounded");
    }

    /// A stand-in for a file handle: which one it is, and whether reads on it fail.
    #[derive(Debug)]
    struct Handle {
        id: u32,
        fails: Option<i32>,
    }

    #[test]
    fn a_bad_handle_is_replaced_and_the_read_retried_once() {
        let read = |h: &Handle| match h.fails {
            Some(errno) => Err(io::Error::from_raw_os_error(errno)),
            None => Ok(h.id),
        };
        // A cached handle gone bad (EBADFD): dropped, reopened, the read succeeds on the new one.
        let mut h = Handle {
            id: 1,
            fails: Some(libc::EBADFD),
        };
        let mut reopened = 0;
        let got = retry_with_fresh_handle(
            &mut h,
            || {
                reopened += 1;
                Ok(Handle { id: 2, fails: None })
            },
            read,
        );
        assert_eq!(got.unwrap(), 2);
        assert_eq!((reopened, h.id), (1, 2), "the fresh handle replaces the bad one");

        // Still failing after the reopen (quorum still lost): one retry only, its error returned.
        let mut h = Handle {
            id: 1,
            fails: Some(libc::ENOTCONN),
        };
        let mut reopened = 0;
        let err = retry_with_fresh_handle(
            &mut h,
            || {
                reopened += 1;
                Ok(Handle {
                    id: 2,
                    fails: Some(libc::ENOTCONN),
                })
            },
            read,
        )
        .unwrap_err();
        assert_eq!((reopened, err.raw_os_error()), (1, Some(libc::ENOTCONN)));

        // The reopen itself fails: its error.
        let mut h = Handle {
            id: 1,
            fails: Some(libc::EBADFD),
        };
        let err = retry_with_fresh_handle(&mut h, || Err(io::Error::from_raw_os_error(libc::ENOTCONN)), read)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTCONN));

        // Other failures are not retried.
        let mut h = Handle {
            id: 1,
            fails: Some(libc::EIO),
        };
        let err = retry_with_fresh_handle(
            &mut h,
            || -> io::Result<Handle> { panic!("no reopen on EIO") },
            read,
        )
        .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EIO));
    }
}
