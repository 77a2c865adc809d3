//! Object listing with S3 prefix, delimiter and marker rules, for every engine.
//!
//! Owns the listing algorithm over one primitive, the ordered range scan of a bucket's objects
//! ([`Backend::scan_objects`](crate::backend::Backend::scan_objects)): a page costs O(page)
//! because each common prefix is emitted once and the scan then seeks past every key under it
//! instead of iterating them (on PostgreSQL each seek is one `SELECT ... WHERE bucket_id = $1 AND
//! key >= $2 ORDER BY key LIMIT n`). It must not write, and must not decode records it does not
//! return.

use std::ops::Bound;

use crate::backend::{ObjectRows, VersionsFrom};
use crate::codec::{decode, find, prefix_successor};
use crate::versions::{seq_of, stored_id, NULL_VERSION};
use crate::{
    Error, ListEntry, ListPage, ListQuery, ObjectRecord, Registry, Result, VersionEntry, VersionPage,
    VersionQuery,
};

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

    /// Lists the versions of bucket `bucket` per `q` (`ListObjectVersions`): keys ascending, each
    /// key's versions newest first, its current record (from `objects`) before the rest (from
    /// `versions`), merged from the two ordered scans. A page costs O(page) plus one seek per
    /// common prefix. A `version_marker` that names no version of `key_marker` fails with
    /// [`Error::NoSuchVersion`].
    pub fn list_versions(&self, bucket: u64, q: &VersionQuery) -> Result<VersionPage> {
        let mut page = VersionPage::default();
        if q.max == 0 {
            return Ok(page);
        }
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
        // Where the two scans start, and the key whose remaining versions are not its latest.
        let mut cur_lower: Bound<Vec<u8>> = Bound::Included(q.prefix.clone());
        let mut ver_from = VerStart::Key(q.prefix.clone());
        let mut last_key: Option<Vec<u8>> = None;
        if let Some(km) = q.key_marker.as_ref().filter(|km| **km >= q.prefix) {
            cur_lower = Bound::Excluded(km.clone());
            ver_from = VerStart::AfterKey(km.clone());
            if let Some(vm) = &q.version_marker {
                last_key = Some(km.clone());
                let current = self.backend.get_object(bucket, km)?;
                if current.is_some_and(|c| c.version_id == stored_id(vm)) {
                    ver_from = VerStart::Key(km.clone());
                } else {
                    let seq = match seq_of(vm) {
                        Some(seq) => seq,
                        None if vm == NULL_VERSION => {
                            self.backend
                                .get_version(bucket, km, NULL_VERSION)?
                                .ok_or(Error::NoSuchVersion)?
                                .seq
                        }
                        None => return Err(Error::NoSuchVersion),
                    };
                    ver_from = VerStart::After(km.clone(), seq, stored_id(vm).to_owned());
                }
            }
        }
        'seek: loop {
            let batch = (q.max - page.entries.len() + 1).min(if delimiter.is_some() {
                SEEK_BATCH
            } else {
                usize::MAX
            });
            let mut cur = self
                .backend
                .scan_objects(bucket, cur_lower.as_ref().map(Vec::as_slice), &q.prefix, batch)?
                .peekable();
            let mut ver = self
                .backend
                .scan_versions(bucket, ver_from.as_ref(), &q.prefix, batch)?
                .peekable();
            loop {
                let Some((key, value, is_current)) = next_merged(&mut cur, &mut ver)? else {
                    break 'seek;
                };
                let rolled_up = delimiter
                    .and_then(|d| find(&key[q.prefix.len()..], d).map(|pos| q.prefix.len() + pos + d.len()));
                if let Some(cp_len) = rolled_up {
                    let common = key[..cp_len].to_vec();
                    if q.key_marker.as_deref() != Some(common.as_slice()) {
                        if page.entries.len() == q.max {
                            page.truncated = true;
                            break 'seek;
                        }
                        page.entries.push(VersionEntry::CommonPrefix(common.clone()));
                    }
                    match prefix_successor(&common) {
                        Some(next) => {
                            cur_lower = Bound::Included(next.clone());
                            ver_from = VerStart::Key(next);
                            last_key = None;
                            continue 'seek;
                        }
                        None => break 'seek,
                    }
                }
                if page.entries.len() == q.max {
                    page.truncated = true;
                    break 'seek;
                }
                let record: ObjectRecord = decode("version", &value)?;
                let is_latest = is_current || last_key.as_deref() != Some(key.as_slice());
                last_key = Some(key.clone());
                page.entries.push(VersionEntry::Version {
                    key,
                    record,
                    is_latest,
                });
            }
        }
        if page.truncated {
            match page.entries.last() {
                Some(VersionEntry::Version { key, record, .. }) => {
                    page.next_key_marker = Some(key.clone());
                    page.next_version_marker = Some(record.version_label().to_owned());
                }
                Some(VersionEntry::CommonPrefix(p)) => page.next_key_marker = Some(p.clone()),
                None => {}
            }
        }
        Ok(page)
    }
}

/// An owned [`VersionsFrom`].
enum VerStart {
    Key(Vec<u8>),
    AfterKey(Vec<u8>),
    After(Vec<u8>, u64, String),
}

impl VerStart {
    fn as_ref(&self) -> VersionsFrom<'_> {
        match self {
            VerStart::Key(k) => VersionsFrom::Key(k),
            VerStart::AfterKey(k) => VersionsFrom::AfterKey(k),
            VerStart::After(k, seq, id) => VersionsFrom::After(k, *seq, id),
        }
    }
}

/// A row of the merged scan: key, encoded record, whether it is the current record.
type MergedRow = (Vec<u8>, Vec<u8>, bool);

/// The next row of the merge of the current records and the versions: by key, a key's current
/// record first. Returns (key, encoded record, whether it is the current record).
fn next_merged(
    cur: &mut std::iter::Peekable<ObjectRows<'_>>,
    ver: &mut std::iter::Peekable<ObjectRows<'_>>,
) -> Result<Option<MergedRow>> {
    let take_current = match (cur.peek(), ver.peek()) {
        (None, None) => return Ok(None),
        (Some(_), None) | (Some(Err(_)), _) => true,
        (None, Some(_)) | (_, Some(Err(_))) => false,
        (Some(Ok((ck, _))), Some(Ok((vk, _)))) => ck <= vk,
    };
    let row = if take_current { cur.next() } else { ver.next() };
    match row {
        Some(Ok((k, v))) => Ok(Some((k, v, take_current))),
        Some(Err(e)) => Err(e),
        None => Ok(None),
    }
}
