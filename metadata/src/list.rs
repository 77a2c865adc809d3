//! Object listing with S3 prefix, delimiter and marker rules.
//!
//! Owns the scan of the `objects` tree for one bucket: keys are stored as `bucket id ++ key`, so a
//! bucket is one contiguous range in S3 (byte) order, and a page costs O(page): each common prefix
//! is emitted once and the scan then seeks past every key under it instead of iterating them. It
//! must not write, and must not decode records it does not return.

use std::ops::Bound;

use crate::codec::{decode, find, object_key, prefix_successor, BUCKET_ID_LEN};
use crate::error::StorageExt;
use crate::{ListEntry, ListPage, ListQuery, Registry, Result};

impl Registry {
    /// Lists bucket `bucket` per `q` (see [`ListQuery`] for the rules). Entries come in S3 order;
    /// objects and common prefixes both count against `q.max`; `q.max == 0` returns an empty,
    /// untruncated page. `truncated` is true only if another entry exists, and then `next_marker`
    /// is the last entry's key or common prefix.
    pub fn list_objects(&self, bucket: u64, q: &ListQuery) -> Result<ListPage> {
        let mut page = ListPage::default();
        if q.max == 0 {
            return Ok(page);
        }
        let full_prefix = object_key(bucket, &q.prefix);
        let mut lower = Bound::Included(full_prefix.clone());
        if let Some(start_after) = &q.start_after {
            let full = object_key(bucket, start_after);
            if full >= full_prefix {
                lower = Bound::Excluded(full);
            }
        }
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());

        // Each pass of 'seek opens a range iterator at `lower`; the inner loop walks it until a
        // common prefix makes skipping cheaper than iterating.
        'seek: loop {
            let mut iter = self.inner.objects.range((lower.clone(), Bound::Unbounded));
            loop {
                let Some(item) = iter.next() else { break 'seek };
                page.scanned += 1;
                let (tree_key, value) = item.storage()?;
                if !tree_key.starts_with(&full_prefix) {
                    break 'seek;
                }
                let key = &tree_key[BUCKET_ID_LEN..];
                let rolled_up = delimiter
                    .and_then(|d| find(&key[q.prefix.len()..], d).map(|pos| q.prefix.len() + pos + d.len()));
                if let Some(cp_len) = rolled_up {
                    let common = &key[..cp_len];
                    // A common prefix equal to the marker was returned by the previous page.
                    if q.start_after.as_deref() != Some(common) {
                        if page.entries.len() == q.max {
                            page.truncated = true;
                            break 'seek;
                        }
                        page.entries.push(ListEntry::CommonPrefix(common.to_vec()));
                    }
                    match prefix_successor(&tree_key[..BUCKET_ID_LEN + cp_len]) {
                        Some(next) => {
                            lower = Bound::Included(next);
                            continue 'seek;
                        }
                        None => break 'seek,
                    }
                }
                if page.entries.len() == q.max {
                    page.truncated = true;
                    break 'seek;
                }
                page.entries
                    .push(ListEntry::Object(key.to_vec(), decode("object", &value)?));
            }
        }
        if page.truncated {
            page.next_marker = page.entries.last().map(|e| e.marker().to_vec());
        }
        Ok(page)
    }
}
