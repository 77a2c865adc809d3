//! The public record types: what the gateway reads and writes through the registry.
//!
//! Owns the shape of bucket, object, upload and part records and of listing queries and pages.
//! Stored records are serialised with `#[serde(default)]`, so fields may be added later without a
//! format bump. These types must not carry engine types or S3 wire formatting (quoting, XML).

use serde::{Deserialize, Serialize};

/// A bucket as the gateway sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRecord {
    /// Registry-assigned id, unique for the registry's lifetime (never reused after a delete), used
    /// to key objects and blob directories.
    pub id: u64,
    /// The bucket name (unique across owners).
    pub name: String,
    /// Canonical id of the owner.
    pub owner: String,
    /// Region the bucket was created in (`LocationConstraint`).
    pub region: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The bucket's tag set, in order (empty: none).
    pub tags: Vec<(String, String)>,
    /// The Gluster volume holding the bucket's blobs (empty: the gateway's default volume, for
    /// buckets created before a gateway served several volumes).
    pub volume: String,
    /// The bucket's versioning state.
    pub versioning: Versioning,
    /// Configuration documents by kind (for example `object-lock`, `lifecycle`), sorted by kind.
    /// The registry stores them opaque; the gateway owns their format.
    pub configs: Vec<(String, String)>,
}

impl BucketRecord {
    /// The configuration document of `kind`, if set.
    pub fn config(&self, kind: &str) -> Option<&str> {
        self.configs
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, v)| v.as_str())
    }
}

/// What a bucket starts with besides its name and owner ([`crate::Registry::create_bucket_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketInit {
    /// Initial versioning state.
    pub versioning: Versioning,
    /// Initial configuration documents (kind, document).
    pub configs: Vec<(String, String)>,
}

/// A bucket's versioning state (`PutBucketVersioning`). A bucket that was once versioned never
/// goes back to [`Versioning::Unversioned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Versioning {
    /// Never versioned: a write replaces the object, a delete removes it.
    #[default]
    Unversioned,
    /// Every write and delete adds a version with a new id; older versions stay.
    Enabled,
    /// Writes and deletes replace the `null` version; versions with ids stay.
    Suspended,
}

/// A reference to one blob file on the volume.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BlobRef {
    /// Path of the blob on the blob volume.
    pub path: String,
    /// Size of the blob in bytes.
    pub size: u64,
    /// The volume the blob is on (empty: the gateway's default volume, for blobs written before
    /// a gateway served several volumes). Always its bucket's volume.
    pub volume: String,
}

/// A blob being written: recorded (durably) before the blob gets its final name, and removed in
/// the transaction of the commit that references it ([`crate::Registry::put_object`],
/// [`crate::Registry::put_part`]) or by its writer when the write fails. One that stays is the trace
/// of a writer that died between the rename and the commit: its owner names the writer (the
/// gateway's node and process, see the gateway's `TempOwner`), so the next process of that node
/// deletes the blob at once, and anyone may after a long age. Intents are not exported: an
/// imported namespace starts with none, and a blob an intent named shows as an orphan to `fsck`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Intent {
    /// The blob's final path and volume (`size` is not known yet: 0).
    pub blob: BlobRef,
    /// The writer (`<node>-<boot>`).
    pub owner: String,
    /// When the intent was recorded (Unix milliseconds).
    pub since_ms: u64,
}

/// An object's metadata and the blobs that hold its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectRecord {
    /// Object size in bytes.
    pub size: u64,
    /// ETag without quotes: hex MD5, or `<hex>-<parts>` for multipart objects.
    pub etag: String,
    /// Last-modified time, milliseconds since the Unix epoch.
    pub mtime_ms: u64,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`, as sent.
    pub expires: Option<String>,
    /// `x-amz-meta-*` pairs: lowercased names without the prefix, in the order received.
    pub user_meta: Vec<(String, String)>,
    /// Checksums as (algorithm, base64 value), e.g. `("CRC32", "...")`.
    pub checksums: Vec<(String, String)>,
    /// Checksum type (`FULL_OBJECT` or `COMPOSITE`) when checksums are present.
    pub checksum_type: Option<String>,
    /// Blobs holding the bytes, in order: one for a simple PUT, one per part for multipart.
    pub blobs: Vec<BlobRef>,
    /// Part sizes for a multipart object (empty for a simple PUT), for `?partNumber=` reads.
    pub parts: Vec<u64>,
    /// Each part's checksums (algorithm, base64), in part order, for a multipart object stored
    /// with checksums (GetObjectAttributes); empty otherwise.
    pub part_checksums: Vec<Vec<(String, String)>>,
    /// The object's tags (key, value), in order. Changed in place by
    /// [`Registry::set_object_tags`](crate::Registry::set_object_tags), which keeps the rest.
    pub tags: Vec<(String, String)>,
    /// The version id the registry gave this version (empty: the `null` version, which every
    /// object of an unversioned bucket is).
    pub version_id: String,
    /// True for a delete marker (no bytes, no blobs).
    pub delete_marker: bool,
    /// Object lock retention mode (`GOVERNANCE` or `COMPLIANCE`), if the version has one.
    pub lock_mode: Option<String>,
    /// Retain-until time of the retention, milliseconds since the epoch (0: none).
    pub lock_until_ms: u64,
    /// Object lock legal hold.
    pub legal_hold: bool,
    /// The version's place among the key's versions: higher is newer (microseconds since the
    /// epoch at the commit, strictly increasing within a registry process; 0 in records written
    /// before versioning, which order by `mtime_ms`).
    pub seq: u64,
    /// The version's access control list, an opaque document the gateway owns (its owner and
    /// grants); `None`: owned by the bucket owner, who alone has access.
    pub acl: Option<String>,
    /// Server-side encryption of the version's blobs, an opaque document the gateway owns
    /// (mode, wrapped data key, one nonce per blob); `None`: stored in the clear.
    pub sse: Option<String>,
}

impl ObjectRecord {
    /// True if object lock forbids deleting this version at `now_ms`: a legal hold, or a
    /// retention not yet expired (a `GOVERNANCE` one only when `bypass_governance` is false).
    pub fn locked(&self, now_ms: u64, bypass_governance: bool) -> bool {
        let retained = self.lock_until_ms > now_ms
            && match self.lock_mode.as_deref() {
                Some("COMPLIANCE") => true,
                Some(_) => !bypass_governance,
                None => false,
            };
        self.legal_hold || retained
    }

    /// The version id as S3 shows it (`null` for the null version).
    pub fn version_label(&self) -> &str {
        if self.version_id.is_empty() {
            crate::versions::NULL_VERSION
        } else {
            &self.version_id
        }
    }
}

/// What a write committed ([`crate::Registry::put_object`], [`crate::Registry::complete_upload`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Committed {
    /// The record the write destroyed (replaced in an unversioned bucket, or the `null` version a
    /// suspended bucket overwrote); `None` when the old version was kept or there was none.
    pub replaced: Option<ObjectRecord>,
    /// The new version's id as S3 shows it (`null` in a suspended bucket); `None` in an
    /// unversioned bucket.
    pub version_id: Option<String>,
}

/// What a delete did ([`crate::Registry::delete_object`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deleted {
    /// The record removed for good (an unversioned object, or the `null` version a suspended
    /// bucket's delete replaced with a marker).
    pub removed: Option<ObjectRecord>,
    /// The delete marker created, in a versioned bucket (its id as S3 shows it).
    pub marker: Option<String>,
}

/// A `ListObjectVersions` request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionQuery {
    /// Only keys starting with these bytes.
    pub prefix: Vec<u8>,
    /// Roll keys up into common prefixes (as in [`ListQuery`]).
    pub delimiter: Option<Vec<u8>>,
    /// `key-marker`: start after this key (or, with `version_marker`, after that version of it).
    pub key_marker: Option<Vec<u8>>,
    /// `version-id-marker` (S3 form, `null` accepted): start after this version of `key_marker`.
    pub version_marker: Option<String>,
    /// Maximum entries (versions, markers and common prefixes together).
    pub max: usize,
}

/// One `ListObjectVersions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "pages hold at most ~1000 entries; boxing would cost an allocation per version"
)]
pub enum VersionEntry {
    /// A version or delete marker (see `delete_marker`) of a key, and whether it is the latest.
    Version {
        /// The key.
        key: Vec<u8>,
        /// The version.
        record: ObjectRecord,
        /// True for the key's latest version.
        is_latest: bool,
    },
    /// A common prefix.
    CommonPrefix(Vec<u8>),
}

/// One page of `ListObjectVersions`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionPage {
    /// Entries in S3 order: keys ascending, each key's versions newest first.
    pub entries: Vec<VersionEntry>,
    /// True only if more entries follow.
    pub truncated: bool,
    /// When truncated: the `key-marker` to continue from.
    pub next_key_marker: Option<Vec<u8>>,
    /// When truncated after a version: its id, the `version-id-marker` to continue from.
    pub next_version_marker: Option<String>,
}

/// A condition a write or delete must satisfy, checked atomically with the write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PutCondition {
    /// Unconditional.
    #[default]
    None,
    /// `If-None-Match: *`: the key must not exist.
    IfNoneMatchAny,
    /// `If-Match: <etag>` (unquoted; surrounding quotes are tolerated): the key must exist with this
    /// ETag. `*` matches any existing object.
    IfMatch(String),
    /// `If-None-Match: <etag>`: fails if the key exists with this ETag.
    IfNoneMatch(String),
}

/// An object listing request (`ListObjects` / `ListObjectsV2` semantics).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    /// Only keys starting with these bytes.
    pub prefix: Vec<u8>,
    /// Roll keys up into common prefixes at the first occurrence (after `prefix`) of this byte
    /// string. `None` or empty: no roll-up.
    pub delimiter: Option<Vec<u8>>,
    /// Exclusive marker: only keys greater than this are listed, and a common prefix equal to it is
    /// skipped (continuation after a page that ended on that common prefix).
    pub start_after: Option<Vec<u8>>,
    /// Maximum number of entries (objects and common prefixes together).
    pub max: usize,
}

/// One listing entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "pages hold at most ~1000 entries; boxing would cost an allocation per object"
)]
pub enum ListEntry {
    /// An object key and its record.
    Object(Vec<u8>, ObjectRecord),
    /// A common prefix (it ends with the delimiter).
    CommonPrefix(Vec<u8>),
}

impl ListEntry {
    /// The key or common prefix: the value to continue from (`start_after`) after this entry.
    pub fn marker(&self) -> &[u8] {
        match self {
            ListEntry::Object(key, _) | ListEntry::CommonPrefix(key) => key,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    /// Objects and common prefixes, in S3 (byte) order.
    pub entries: Vec<ListEntry>,
    /// True only if at least one more entry follows this page.
    pub truncated: bool,
    /// When truncated: the last key or common prefix returned, to pass as the next `start_after`.
    pub next_marker: Option<Vec<u8>>,
    /// How many registry records the scan read to build this page (a cost metric: it stays close
    /// to the page size whatever the bucket size, because common prefixes are skipped by seeking).
    pub scanned: u64,
}

/// A multipart upload's state as given at `CreateMultipartUpload`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadRecord {
    /// Object key the upload will create.
    pub key: Vec<u8>,
    /// Initiation time, milliseconds since the Unix epoch.
    pub initiated_ms: u64,
    /// Canonical id of the initiator.
    pub initiator: String,
    /// `Content-Type` for the final object.
    pub content_type: Option<String>,
    /// `Content-Encoding` for the final object.
    pub content_encoding: Option<String>,
    /// `Content-Disposition` for the final object.
    pub content_disposition: Option<String>,
    /// `Content-Language` for the final object.
    pub content_language: Option<String>,
    /// `Cache-Control` for the final object.
    pub cache_control: Option<String>,
    /// `Expires` for the final object.
    pub expires: Option<String>,
    /// `x-amz-meta-*` pairs for the final object.
    pub user_meta: Vec<(String, String)>,
    /// Requested checksum algorithm (`x-amz-checksum-algorithm`), if any.
    pub checksum_algorithm: Option<String>,
    /// Requested checksum type (`x-amz-checksum-type`), if any.
    pub checksum_type: Option<String>,
    /// Tags for the final object (`x-amz-tagging` at creation).
    pub tags: Vec<(String, String)>,
    /// Object lock mode for the final object.
    pub lock_mode: Option<String>,
    /// Object lock retain-until for the final object, milliseconds (0: none).
    pub lock_until_ms: u64,
    /// Object lock legal hold for the final object.
    pub legal_hold: bool,
    /// The access control list the completed object gets (see `ObjectRecord::acl`).
    pub acl: Option<String>,
    /// The encryption every part gets and the completed object keeps (see `ObjectRecord::sse`,
    /// without the per-blob nonces, which the parts carry).
    pub sse: Option<String>,
}

/// An in-progress multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The upload id (URL-safe: 32 lowercase hex digits).
    pub id: String,
    /// Id of the bucket the upload belongs to.
    pub bucket: u64,
    /// What was given at creation.
    pub record: UploadRecord,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PartRecord {
    /// Part size in bytes.
    pub size: u64,
    /// ETag of the part without quotes (hex MD5).
    pub etag: String,
    /// Upload time, milliseconds since the Unix epoch.
    pub mtime_ms: u64,
    /// Checksums of the part as (algorithm, base64 value).
    pub checksums: Vec<(String, String)>,
    /// The blob holding the part's bytes.
    pub blob: BlobRef,
    /// The nonce base its blob was sealed with, when the upload is encrypted (hex).
    pub sse_nonce: Option<String>,
}

/// One stored event of the event history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEntry {
    /// Position in the history; strictly increasing in append order.
    pub id: u64,
    /// When the event was received, seconds since the Unix epoch.
    pub received: u64,
    /// The event as the gateway stored it.
    pub body: Vec<u8>,
}
