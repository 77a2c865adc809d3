//! The registry's one error type.
//!
//! It owns the mapping from storage-engine failures and corrupt records to typed outcomes the gateway
//! can turn into S3 errors. It must not leak engine types (sled, PostgreSQL) except as the boxed
//! `source` of [`Error::Storage`] and [`Error::Unavailable`], so the backend in use does not change
//! this enum's shape.

/// Everything a registry call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bucket does not exist, or is being deleted (S3 `NoSuchBucket`).
    #[error("the bucket does not exist")]
    NoSuchBucket,
    /// A bucket with that name exists; `owner` lets the caller choose between S3
    /// `BucketAlreadyOwnedByYou` and `BucketAlreadyExists`.
    #[error("the bucket already exists (owned by {owner})")]
    BucketAlreadyExists {
        /// Owner of the existing bucket.
        owner: String,
    },
    /// The bucket still holds objects or in-progress multipart uploads (S3 `BucketNotEmpty`).
    #[error("the bucket is not empty")]
    BucketNotEmpty,
    /// Another delete of this bucket is in progress (S3 `OperationAborted`, 409).
    #[error("a conflicting operation on this bucket is in progress")]
    OperationAborted,
    /// A conditional write or delete found the object in the wrong state (S3 `PreconditionFailed`).
    #[error("the precondition on the object did not hold")]
    PreconditionFailed,
    /// The multipart upload does not exist: never created, completed or aborted (S3 `NoSuchUpload`).
    #[error("the multipart upload does not exist")]
    NoSuchUpload,
    /// Object lock forbids deleting the version (a legal hold or an unexpired retention).
    #[error("the object version is locked")]
    ObjectLocked,
    /// A caller's change of a record refused it (see `Registry::update_version`); the caller
    /// knows why.
    #[error("the change was refused: {0}")]
    Refused(String),
    /// A version id names no version of the key (S3 `NoSuchVersion`).
    #[error("the version does not exist")]
    NoSuchVersion,
    /// `import` was called on a registry that already holds data.
    #[error("import needs an empty registry")]
    ImportTargetNotEmpty,
    /// A stored record or an export stream could not be decoded (unknown format version, truncated or
    /// garbled body). Never a panic: the caller decides whether to report or repair.
    #[error("corrupt registry data: {0}")]
    Corrupt(String),
    /// A record could not be serialised. This is a bug in this crate, not a data problem.
    #[error("cannot encode a registry record: {0}")]
    Encode(String),
    /// The storage engine failed (I/O error, engine corruption, engine bug, an SQL error).
    #[error("registry storage error")]
    Storage(#[source] BoxError),
    /// The storage engine cannot be reached right now (the PostgreSQL connection was lost or
    /// refused, the server is shutting down or is a read-only standby after a failover). Nothing
    /// was committed unless the loss came during the commit itself; retrying later may succeed.
    #[error("registry storage unavailable")]
    Unavailable(#[source] BoxError),
    /// Reading or writing an export stream failed.
    #[error("export stream I/O error")]
    Io(#[source] std::io::Error),
}

/// The boxed cause of an engine error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The registry's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps sled results into ours without a public `From<sled::Error>` (which would put sled in our API).
pub(crate) trait StorageExt<T> {
    /// Wraps a sled error as [`Error::Storage`].
    fn storage(self) -> Result<T>;
}

impl<T> StorageExt<T> for std::result::Result<T, sled::Error> {
    fn storage(self) -> Result<T> {
        self.map_err(|e| Error::Storage(Box::new(e)))
    }
}
