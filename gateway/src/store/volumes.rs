//! The gateway's volumes: one [`BlobStore`] per configured Gluster volume (each its own
//! `glfs_t`), the default one first, and the rule that finds a bucket's or a blob's store by the
//! volume name its record carries (empty: the default volume, as written before a gateway
//! served several volumes). Owns nothing of S3 (which volume a new bucket goes to is the
//! CreateBucket handler's choice from the configuration) and does no I/O itself.

use std::collections::BTreeMap;

use super::BlobStore;

/// Every volume's blob store, by volume name.
#[derive(Clone, Debug)]
pub struct Stores {
    default: String,
    by_name: BTreeMap<String, BlobStore>,
}

impl Stores {
    /// Only `default` (a gateway of one volume).
    pub fn single(default: BlobStore) -> Stores {
        let name = default.volume().name().to_owned();
        Stores {
            by_name: BTreeMap::from([(name.clone(), default)]),
            default: name,
        }
    }

    /// Adds another volume's store (a store for a name already present replaces it).
    #[must_use]
    pub fn with(mut self, store: BlobStore) -> Stores {
        self.by_name.insert(store.volume().name().to_owned(), store);
        self
    }

    /// The default volume's store (new buckets without a location constraint, old records).
    pub fn default_store(&self) -> &BlobStore {
        &self.by_name[&self.default]
    }

    /// The default volume's name.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The store of volume `name` (empty: the default); `None` when this gateway does not serve
    /// that volume (a record written by a gateway configured with more volumes).
    pub fn get(&self, name: &str) -> Option<&BlobStore> {
        if name.is_empty() {
            Some(self.default_store())
        } else {
            self.by_name.get(name)
        }
    }

    /// The volume name a record should carry for `name` (empty -> the default's name).
    pub fn resolve<'a>(&'a self, name: &'a str) -> &'a str {
        if name.is_empty() {
            &self.default
        } else {
            name
        }
    }

    /// Every store, the default first.
    pub fn all(&self) -> impl Iterator<Item = &BlobStore> {
        std::iter::once(self.default_store()).chain(
            self.by_name
                .iter()
                .filter(|(n, _)| **n != self.default)
                .map(|(_, s)| s),
        )
    }

    /// How many volumes.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Never true (there is always the default volume); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
