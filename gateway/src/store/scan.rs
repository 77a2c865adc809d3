//! Walking the blob layout on the volume: the bucket directories under `<root>/blobs`, and every
//! file of a bucket's fan-out directories with the stat `glfs_readdirplus_r` returns (one round
//! trip per entry batch, no extra `stat`), classified as blob, temp file or unexpected entry.
//! gfapi leaves that stat zeroed when its own lookup of the entry failed (an entry being healed
//! after a client died mid-write, say): such an entry is looked up again, and reported as an
//! error if that fails too, never taken for an unexpected file.
//!
//! Used by `gateway fsck`, `gateway reindex` and the sweeper's stale-temp pass. Owns only the
//! walk and the naming rules of the layout: it must not delete anything and must not decide what
//! is garbage (callers decide, against the registry). Every call blocks: async callers go
//! through `crate::blocking`. Readdir order is hash order, so nothing here relies on it.

use std::io;
use std::time::{Duration, SystemTime};

use gfapi::Metadata;

use super::BlobStore;
use crate::metrics::GfapiCall;

/// Name prefix of a blob being written (`.tmp.<writer>.<blob id>`, see [`TempOwner`]; older
/// gateways wrote `.tmp.<blob id>`); `BlobWriter::finish` renames it to the final name, so one
/// that stays is the trace of an interrupted write.
pub const TEMP_PREFIX: &str = ".tmp.";

/// Who writes a blob's temp file: the gateway's node (its host name and S3 address, hashed:
/// two gateways sharing a blob root never have the same one at once) and this process's boot
/// (random). A temp file of this node from another boot belongs to a gateway process that is
/// gone (killed, crashed), so it is garbage at once; any other temp file may belong to a live
/// upload of another gateway and waits for the age rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempOwner {
    /// 8 hex digits.
    pub node: String,
    /// 8 hex digits.
    pub boot: String,
}

impl TempOwner {
    /// This process's owner for node `node` (any text naming the gateway: hashed).
    pub fn new(node: &str) -> TempOwner {
        use md5::{Digest, Md5};
        let digest = Md5::digest(node.as_bytes());
        TempOwner {
            node: hex::encode(&digest[..4]),
            boot: hex::encode(rand::random::<[u8; 4]>()),
        }
    }

    /// The temp name of blob `id` written by this owner.
    pub fn temp_name(&self, id: &str) -> String {
        format!("{TEMP_PREFIX}{}.{id}", self.tag())
    }

    /// This owner as `<node>-<boot>`, as it is spelled in temp names and blob intents.
    pub fn tag(&self) -> String {
        format!("{}-{}", self.node, self.boot)
    }

    /// True if `tag` (see [`TempOwner::tag`]) names an earlier boot of this node.
    pub fn is_earlier_boot(&self, tag: &str) -> bool {
        tag.split_once('-')
            .is_some_and(|(node, boot)| node == self.node && boot != self.boot)
    }

    /// The owner spelled in temp file name `name`, if it has one.
    pub fn of(name: &str) -> Option<(&str, &str)> {
        let rest = name.strip_prefix(TEMP_PREFIX)?;
        let (owner, id) = rest.split_once('.')?;
        let (node, boot) = owner.split_once('-')?;
        (is_hex(node, 8) && is_hex(boot, 8) && is_hex(id, 32)).then_some((node, boot))
    }

    /// True if temp file `name` was written by an earlier boot of this node.
    pub fn left_by_earlier_boot(&self, name: &str) -> bool {
        Self::of(name).is_some_and(|(node, boot)| node == self.node && boot != self.boot)
    }
}

/// What a file in a fan-out directory is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A finished blob (32 hex digits).
    Blob,
    /// A temp file of a write in progress or interrupted ([`TEMP_PREFIX`]).
    Temp,
    /// Anything else: not written by the gateway; reported, never touched.
    Unexpected,
}

/// One entry met by [`BlobStore::walk_bucket`].
#[derive(Debug, Clone)]
pub struct BlobFile {
    /// Full path on the volume, spelled as blob records spell it.
    pub path: String,
    /// What the name says it is. Directories where files belong are [`FileKind::Unexpected`].
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time (for a temp file: its last write).
    pub modified: SystemTime,
}

impl BlobFile {
    /// Time since the last modification at `now`; zero if the clocks disagree.
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.modified).unwrap_or_default()
    }
}

/// The top level of the layout: bucket directories and anything else found there.
#[derive(Debug, Default)]
pub struct BucketDirs {
    /// Bucket ids that name a directory (`<root>/blobs/<16 hex>`), unsorted.
    pub ids: Vec<u64>,
    /// Paths of entries that are not bucket directories.
    pub unexpected: Vec<String>,
}

/// A directory that could not be read during a walk.
#[derive(Debug)]
pub struct WalkError {
    /// The directory.
    pub path: String,
    /// Why.
    pub error: io::Error,
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    /// The stat of a directory entry: readdirplus's, or a fresh one when readdirplus gave none
    /// (no file type). `Ok(None)`: the entry is gone.
    fn settle(&self, path: &str, m: Metadata) -> io::Result<Option<Metadata>> {
        if m.mode() & libc::S_IFMT != 0 {
            return Ok(Some(m));
        }
        match self.timings.time(GfapiCall::Stat, || self.vol.stat(path)) {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The top directory of this store on the volume (no trailing slash).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Lists the bucket directories. A missing `<root>/blobs` is an empty list.
    pub fn bucket_dirs(&self) -> io::Result<BucketDirs> {
        let top = format!("{}/blobs", self.root);
        let mut out = BucketDirs::default();
        let dir = match self.vol.read_dir(&top) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            other => other?,
        };
        for entry in dir {
            let entry = entry?;
            let name = entry.name.to_string_lossy();
            let path = format!("{top}/{name}");
            let Some(meta) = self.settle(&path, entry.metadata)? else {
                continue;
            };
            match u64::from_str_radix(&name, 16) {
                Ok(id) if is_hex(&name, 16) && meta.is_dir() => out.ids.push(id),
                _ => out.unexpected.push(path),
            }
        }
        Ok(out)
    }

    /// Walks the fan-out directories of bucket directory `bucket_id`, calling `f` for every
    /// entry in them (and for unexpected entries of the bucket directory itself). Directories
    /// that cannot be read are skipped and returned; a missing bucket directory is empty.
    pub fn walk_bucket(&self, bucket_id: u64, f: &mut dyn FnMut(BlobFile)) -> Vec<WalkError> {
        let bdir = self.bucket_dir(bucket_id).to_string_lossy().into_owned();
        let mut errors = Vec::new();
        let fans = match self.vol.read_dir(&bdir) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return errors,
            Err(error) => {
                errors.push(WalkError { path: bdir, error });
                return errors;
            }
        };
        let mut fan_names = Vec::new();
        for entry in fans {
            match entry {
                Ok(e) => {
                    let name = e.name.to_string_lossy().into_owned();
                    let path = format!("{bdir}/{name}");
                    let meta = match self.settle(&path, e.metadata) {
                        Ok(Some(m)) => m,
                        Ok(None) => continue,
                        Err(error) => {
                            errors.push(WalkError { path, error });
                            continue;
                        }
                    };
                    if is_hex(&name, 2) && meta.is_dir() {
                        fan_names.push(name);
                    } else {
                        f(BlobFile {
                            path,
                            kind: FileKind::Unexpected,
                            size: meta.len(),
                            modified: meta.modified(),
                        });
                    }
                }
                Err(error) => {
                    errors.push(WalkError {
                        path: bdir.clone(),
                        error,
                    });
                    break;
                }
            }
        }
        for fan in fan_names {
            let fdir = format!("{bdir}/{fan}");
            let entries = match self.vol.read_dir(&fdir) {
                Ok(d) => d,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => {
                    errors.push(WalkError { path: fdir, error });
                    continue;
                }
            };
            for entry in entries {
                let e = match entry {
                    Ok(e) => e,
                    Err(error) => {
                        errors.push(WalkError {
                            path: fdir.clone(),
                            error,
                        });
                        break;
                    }
                };
                let name = e.name.to_string_lossy();
                let path = format!("{fdir}/{name}");
                let meta = match self.settle(&path, e.metadata) {
                    Ok(Some(m)) => m,
                    Ok(None) => continue,
                    Err(error) => {
                        errors.push(WalkError { path, error });
                        continue;
                    }
                };
                let kind = if !meta.is_file() {
                    FileKind::Unexpected
                } else if name.starts_with(TEMP_PREFIX) {
                    FileKind::Temp
                } else if is_hex(&name, 32) && name.starts_with(fan.as_str()) {
                    FileKind::Blob
                } else {
                    FileKind::Unexpected
                };
                f(BlobFile {
                    path,
                    kind,
                    size: meta.len(),
                    modified: meta.modified(),
                });
            }
        }
        errors
    }

    /// Size of the file at `path` (`None` if it does not exist).
    pub fn blob_size(&self, path: &str) -> io::Result<Option<u64>> {
        match self.timings.time(GfapiCall::Stat, || self.vol.stat(path)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the metadata xattr of an existing blob (multipart Complete marks its parts
    /// with the object they now belong to, so `reindex` can rebuild it).
    pub fn write_meta(&self, path: &str, meta: &[u8]) -> io::Result<()> {
        if meta.len() > super::META_XATTR_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "blob metadata larger than the xattr limit",
            ));
        }
        self.vol.setxattr(path, super::META_XATTR, meta, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::{is_hex, TempOwner};

    #[test]
    fn temp_names_tell_an_earlier_boot_of_this_node_from_anyone_else() {
        let id = "0123456789abcdef0123456789abcdef";
        let me = TempOwner::new("host 0.0.0.0:9000 /");
        let mine = me.temp_name(id);
        assert_eq!(TempOwner::of(&mine), Some((me.node.as_str(), me.boot.as_str())));
        assert!(!me.left_by_earlier_boot(&mine), "my own live temp file");
        let earlier = TempOwner {
            boot: if me.boot == "00000000" {
                "00000001"
            } else {
                "00000000"
            }
            .to_owned(),
            ..me.clone()
        };
        assert!(me.left_by_earlier_boot(&earlier.temp_name(id)));
        let other = TempOwner::new("other-host 0.0.0.0:9000 /");
        assert_ne!(other.node, me.node);
        assert!(
            !me.left_by_earlier_boot(&other.temp_name(id)),
            "another gateway's upload"
        );
        // Names of older gateways, and anything malformed, have no owner: the age rule only.
        for name in [
            format!(".tmp.{id}"),
            format!(".tmp.xyz-00000000.{id}"),
            ".tmp.".to_owned(),
        ] {
            assert_eq!(TempOwner::of(&name), None, "{name}");
            assert!(!me.left_by_earlier_boot(&name));
        }
    }

    #[test]
    fn hex_names() {
        assert!(is_hex("00ff", 4));
        assert!(!is_hex("00FF", 4), "the layout writes lowercase only");
        assert!(!is_hex("0g", 2));
        assert!(!is_hex("abc", 2));
    }
}
