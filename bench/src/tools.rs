//! Setup and teardown on the volume, outside any measurement: the registry bulk seed of the
//! gateway's listing buckets, empty files for the raw and peer listing directories, and
//! removal of a benchmark's directory tree.
//!
//! Owns the bulk seed ([`seed`]): it runs *before the gateway starts* (sled allows one
//! process per registry), writes one real 4 KiB blob per listing bucket through the gateway's
//! own `BlobStore`, and loads N object records referencing it through the registry's bulk path,
//! `Registry::import` of an export stream expanded on the fly (one sled insert per record,
//! where `put_object` costs a transaction with its own log write and `sync_file_range`).
//! Listing reads only records, so the pages served are those of a bucket filled by N PUTs.
//! Relies on the documented export framing and on the key being stored as its 8 raw bytes in
//! an object frame (checked: exactly one occurrence, and the last key is read back).
//! Must not run while a gateway holds the registry.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use gateway::store::BlobStore;
use gfapi::Volume;
use metadata::{BlobRef, ObjectRecord, PutCondition, Registry};

use crate::work::list_key;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The export stream's magic line and format version (metadata's `export` module doc).
const EXPORT_MAGIC: &[u8] = b"glusters3-registry-export\n";
const TAG_END: u8 = 0;
const TAG_OBJECT: u8 = 2;

/// One frame of an export stream.
struct Frame {
    tag: u8,
    body: Vec<u8>,
}

fn parse_export(stream: &[u8]) -> Result<(Vec<u8>, Vec<Frame>), String> {
    let head = EXPORT_MAGIC.len() + 1;
    if stream.len() < head || &stream[..EXPORT_MAGIC.len()] != EXPORT_MAGIC {
        return Err("not a registry export stream".into());
    }
    let mut frames = Vec::new();
    let mut at = head;
    while at + 5 <= stream.len() {
        let tag = stream[at];
        let len =
            u32::from_be_bytes([stream[at + 1], stream[at + 2], stream[at + 3], stream[at + 4]]) as usize;
        let body = stream
            .get(at + 5..at + 5 + len)
            .ok_or("truncated export frame")?
            .to_vec();
        at += 5 + len;
        if tag == TAG_END {
            return Ok((stream[..head].to_vec(), frames));
        }
        frames.push(Frame { tag, body });
    }
    Err("export stream without its end frame".into())
}

/// An export stream made on the fly: the scratch registry's frames, each object frame of a
/// listing bucket repeated with keys `k0000001`... patched in, then the end frame.
struct Expander {
    head: Vec<u8>,
    frames: Vec<(Frame, u64, Option<usize>)>,
    frame: usize,
    copy: u64,
    written: u64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Expander {
    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if !self.head.is_empty() {
            self.buf.append(&mut self.head);
            return;
        }
        while self.buf.len() < 1 << 16 {
            let Some((f, copies, key_at)) = self.frames.get(self.frame) else {
                if !self.done {
                    self.buf.push(TAG_END);
                    self.buf.extend_from_slice(&8u32.to_be_bytes());
                    self.buf.extend_from_slice(&self.written.to_be_bytes());
                    self.done = true;
                }
                return;
            };
            let mut body = f.body.clone();
            if let Some(at) = key_at {
                body[*at..*at + 8].copy_from_slice(list_key(self.copy).as_bytes());
            }
            self.buf.push(f.tag);
            self.buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
            self.buf.extend_from_slice(&body);
            self.written += 1;
            self.copy += 1;
            if self.copy >= *copies {
                self.frame += 1;
                self.copy = 0;
            }
        }
    }
}

impl io::Read for Expander {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.buf.len() {
            self.refill();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A temporary registry holding each bucket and its object `k0000000`, whose 4 KiB blob is
/// written on the volume by the gateway's own `BlobStore`; returns it and the bucket ids.
fn scratch_registry(
    vol: Volume,
    blob_root: &str,
    owner: &str,
    region: &str,
    buckets: &[(String, u64)],
) -> Result<(Registry, Vec<u64>), String> {
    let store = BlobStore::open(vol, blob_root).map_err(|e| format!("blob root {blob_root}: {e}"))?;
    let scratch = Registry::open_temporary().map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for (name, _) in buckets {
        let b = scratch
            .create_bucket(name, owner, region, now_ms())
            .map_err(|e| format!("create bucket {name}: {e}"))?;
        store
            .create_bucket_dirs(b.id)
            .map_err(|e| format!("bucket dirs of {name}: {e}"))?;
        let body = crate::payload(4096);
        let etag = {
            use md5::Digest as _;
            hex::encode(md5::Md5::digest(&body))
        };
        let mut w = store.writer(b.id).map_err(|e| e.to_string())?;
        w.write(&body).map_err(|e| e.to_string())?;
        let meta = format!("{{\"v\":1,\"bucket\":\"{name}\",\"key\":\"k0000000\",\"size\":4096}}");
        let (path, size) = w.finish(meta.as_bytes()).map_err(|e| format!("seed blob: {e}"))?;
        let rec = ObjectRecord {
            size,
            etag,
            mtime_ms: now_ms(),
            content_type: Some("application/octet-stream".into()),
            blobs: vec![BlobRef {
                path,
                size,
                volume: String::new(),
            }],
            ..ObjectRecord::default()
        };
        scratch
            .put_object(b.id, list_key(0).as_bytes(), &rec, &PutCondition::None)
            .map_err(|e| e.to_string())?;
        ids.push(b.id);
    }
    Ok((scratch, ids))
}

/// Seeds `buckets` (name, key count) into the (empty) registry `registry` (a sled directory or a
/// `postgres://` URL), owned by
/// `owner`, through the registry's bulk path (`Registry::import`): a scratch registry gets each
/// bucket and one real object `k0000000` (its blob written on the volume by the gateway's own
/// `BlobStore`), its export is expanded to N object records per bucket that all reference that
/// blob, and the result is imported. Checked afterwards by reading the last key back.
pub fn seed(
    registry: &str,
    vol: Volume,
    blob_root: &str,
    owner: &str,
    region: &str,
    buckets: &[(String, u64)],
) -> Result<(), String> {
    let began = Instant::now();
    let (scratch, ids) = scratch_registry(vol, blob_root, owner, region, buckets)?;
    let mut stream = Vec::new();
    scratch.export(&mut stream).map_err(|e| format!("export: {e}"))?;
    let (head, frames) = parse_export(&stream)?;
    // Object frames are in bucket-id order, as the buckets were created: pair them up.
    let mut counts = buckets.iter().map(|(_, n)| *n);
    let mut expanded = Vec::new();
    for f in frames {
        if f.tag == TAG_OBJECT {
            let copies = counts
                .next()
                .ok_or("more objects than buckets in the scratch export")?;
            let key = list_key(0);
            let hits: Vec<usize> = f
                .body
                .windows(8)
                .enumerate()
                .filter(|(_, w)| *w == key.as_bytes())
                .map(|(i, _)| i)
                .collect();
            let [at] = hits[..] else {
                return Err(format!(
                    "the key occurs {} times in an exported object frame",
                    hits.len()
                ));
            };
            expanded.push((f, copies, Some(at)));
        } else {
            expanded.push((f, 1, None));
        }
    }
    let reg = if registry.starts_with("postgres://") || registry.starts_with("postgresql://") {
        Registry::open_url(registry)
    } else {
        std::fs::create_dir_all(registry).map_err(|e| e.to_string())?;
        Registry::open(Path::new(registry))
    }
    .map_err(|e| format!("registry {registry}: {e}"))?;
    let mut source = Expander {
        head,
        frames: expanded,
        frame: 0,
        copy: 0,
        written: 0,
        buf: Vec::new(),
        pos: 0,
        done: false,
    };
    let n = reg
        .import(&mut io::BufReader::with_capacity(1 << 20, &mut source))
        .map_err(|e| format!("import: {e}"))?;
    reg.flush().map_err(|e| e.to_string())?;
    for ((name, count), id) in buckets.iter().zip(&ids) {
        let last = list_key(count.saturating_sub(1));
        if *count > 0
            && reg
                .get_object(*id, last.as_bytes())
                .map_err(|e| e.to_string())?
                .is_none()
        {
            return Err(format!("seeded bucket {name} lacks its last key {last}"));
        }
    }
    eprintln!(
        "seed: {n} records imported ({}) in {:.1}s",
        buckets
            .iter()
            .map(|(b, c)| format!("{b}: {c} keys"))
            .collect::<Vec<_>>()
            .join(", "),
        began.elapsed().as_secs_f64()
    );
    drop(reg);
    // sled's background threads let go of the directory lock a moment after the last handle.
    std::thread::sleep(std::time::Duration::from_millis(300));
    Ok(())
}

/// Creates `count` empty files `k0000000`... in `dir` (created if missing), with `threads`
/// threads. Existing files are kept.
pub fn fill(vol: &Volume, dir: &str, count: u64, threads: usize) -> Result<(), String> {
    let began = Instant::now();
    vol.mkdir_all(dir, 0o755)
        .map_err(|e| format!("mkdir {dir}: {e}"))?;
    let failed = AtomicU64::new(0);
    let first_error = std::sync::Mutex::new(None::<String>);
    let threads = threads.clamp(1, 32) as u64;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (failed, first_error) = (&failed, &first_error);
            s.spawn(move || {
                let mut i = t;
                while i < count {
                    let path = format!("{dir}/{}", list_key(i));
                    match vol.create_new(&path, 0o644).and_then(gfapi::File::close) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert_with(|| format!("{path}: {e}"));
                            }
                        }
                    }
                    i += threads;
                }
            });
        }
    });
    let failed = failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = first_error
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .unwrap_or_default();
        return Err(format!(
            "{failed} of {count} creates in {dir} failed (first: {first})"
        ));
    }
    eprintln!(
        "fill: {count} files in {dir} in {:.1}s",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Removes `path` and everything under it (a missing path is fine), unlinking each
/// directory's files with `threads` threads.
pub fn rmtree(vol: &Volume, path: &str, threads: usize) -> Result<u64, String> {
    rmtree_depth(vol, path, threads.clamp(1, 32), 0)
}

fn rmtree_depth(vol: &Volume, path: &str, threads: usize, depth: u32) -> Result<u64, String> {
    if depth > 32 {
        return Err(format!("{path}: deeper than 32 levels"));
    }
    let dir = match vol.read_dir(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("opendir {path}: {e}")),
    };
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    for entry in dir {
        let entry = entry.map_err(|e| format!("readdir {path}: {e}"))?;
        let child = format!("{path}/{}", entry.name.to_string_lossy());
        if entry.metadata.is_dir() {
            dirs.push(child);
        } else {
            files.push(child);
        }
    }
    let mut removed = 0u64;
    for d in &dirs {
        removed += rmtree_depth(vol, d, threads, depth + 1)?;
    }
    let n = files.len() as u64;
    std::thread::scope(|s| {
        for part in files.chunks(files.len().div_ceil(threads).max(1)) {
            s.spawn(move || {
                for f in part {
                    let _ = vol.unlink(f);
                }
            });
        }
    });
    match vol.rmdir(path) {
        Ok(()) => Ok(removed + n + 1),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(removed + n),
        Err(e) => Err(format!("rmdir {path}: {e}")),
    }
}
