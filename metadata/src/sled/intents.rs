//! Intents: blobs about to get their final name (see [`crate::Intent`]).
//!
//! Owns the `intents` tree (key: the blob's path). The commits that reference a new blob remove
//! its intent in their own transaction (`objects`, `multipart`, through [`tx_end_intents`]). It
//! must not delete files, and must not decide which intents are dead (the gateway does, by owner
//! and age).

use sled::transaction::TransactionalTree;

use super::{SledBackend, TxResult};
use crate::codec::{decode, encode};
use crate::error::StorageExt;
use crate::{Intent, Result};

/// Inside a commit's transaction: removes the intents of `paths` (missing ones are fine: a blob
/// reused from an earlier record has none).
pub(super) fn tx_end_intents<'a, E>(
    intents: &TransactionalTree,
    paths: impl IntoIterator<Item = &'a str>,
) -> TxResult<(), E> {
    for path in paths {
        intents.remove(path.as_bytes())?;
    }
    Ok(())
}

impl SledBackend {
    /// See `Registry::intent_begin`.
    pub(crate) fn intent_begin(&self, intent: &Intent) -> Result<()> {
        self.intents
            .insert(intent.blob.path.as_bytes(), encode(intent)?)
            .storage()?;
        Ok(())
    }

    /// See `Registry::intent_end`.
    pub(crate) fn intent_end(&self, path: &str) -> Result<()> {
        self.intents.remove(path.as_bytes()).storage()?;
        Ok(())
    }

    /// See `Registry::intents`.
    pub(crate) fn intents(&self) -> Result<Vec<Intent>> {
        self.intents
            .iter()
            .map(|item| item.storage().and_then(|(_, v)| decode("intent", &v)))
            .collect()
    }
}
