//! Object listing with S3 prefix, delimiter and marker rules, for every engine.
//!
//! Owns the listing algorithm over one primitive, the ordered range scan of a bucket's objects
//! ([`Backend::scan_objects`](crate::backend::Backend::scan_objects)): a page costs O(page)
//! because each common prefix is emitted once and the scan then seeks past every key under it
//! instead of iterating them (on PostgreSQL each seek is one `SELECT ... WHERE bucket_id = $1 AND
//! key >= $2 ORDER BY key LIMIT n`). It must not write, and must not decode records it does not
//! return.

use std::ops::Bound;

use crate::codec::{decode, find, prefix_successor};
use crate::{ListEntry, ListPage, ListQuery, Registry, Result};

/// Rows a seek asks for first when a delimiter may roll keys up (each common prefix ends the
/// seek, so asking for a whole page would fetch rows only to skip them).
const SEEK_BATCH: usize = 32;

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
        let mut lower: Bound<Vec<u8>> = Bound::Included(q.prefix.clone());
        if let Some(start_after) = &q.start_after {
            if *start_after >= q.prefix {
                lower = Bound::Excluded(start_after.clone());
            }
        }
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());

        // Each pass of 'seek opens a range scan at `lower`; the inner loop walks it until a
        // common prefix makes skipping cheaper than iterating.
        'seek: loop {
            let wanted = q.max - page.entries.len() + 1;
            let batch = if delimiter.is_some() {
                wanted.min(SEEK_BATCH)
            } else {
                wanted
            };
            let mut rows =
                self.backend
                    .scan_objects(bucket, lower.as_ref().map(Vec::as_slice), &q.prefix, batch)?;
            loop {
                let Some(row) = rows.next() else { break 'seek };
                page.scanned += 1;
                let (key, value) = row?;
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
                    match prefix_successor(common) {
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
                    .push(ListEntry::Object(key, decode("object", &value)?));
            }
        }
        if page.truncated {
            page.next_marker = page.entries.last().map(|e| e.marker().to_vec());
        }
        Ok(page)
    }
}
