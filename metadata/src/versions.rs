//! Object versioning rules, for every engine: what a write, a delete or the delete of one version
//! does to a key's current record and to its older versions, as a [`Plan`] an engine applies in
//! one transaction.
//!
//! Layout shared by the engines: a key's *current* record (the latest version when it is not a
//! delete marker) stays where unversioned objects live (`objects`), so listing current objects
//! costs O(page) however many versions a key has. Every other version, delete markers included,
//! lives in `versions`, ordered by key, then newest first (`seq` descending, then id). The
//! invariant the plans keep: the newest version of a key is in `objects` unless it is a delete
//! marker. This module owns those rules, the version ids and their order stamps; it must not touch
//! a database (engines read a [`KeyView`] under their own lock and apply the [`Plan`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::stored::check_condition;
use crate::{BlobRef, ObjectRecord, PutCondition, Result, Versioning};

/// The id S3 shows for the `null` version (stored as an empty `version_id`).
pub const NULL_VERSION: &str = "null";

/// Length of the version ids this registry hands out: 16 hex digits of the order stamp, then 8
/// random hex digits.
const VERSION_ID_LEN: usize = 24;

static LAST_SEQ: AtomicU64 = AtomicU64::new(0);

/// A new order stamp: microseconds since the epoch, strictly above every stamp this process
/// handed out before.
pub(crate) fn next_seq() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    let mut last = LAST_SEQ.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST_SEQ.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// A new (order stamp, version id) pair for a version a caller names before its commit (the
/// gateway writes it into the blob's xattr, so `reindex` can restore versions):
/// [`crate::Registry::put_object`] keeps it in an enabled bucket.
pub fn new_version() -> (u64, String) {
    let seq = next_seq();
    (seq, new_version_id(seq))
}

/// A new version id for stamp `seq` (URL-safe, unique, ordered like the stamps).
pub(crate) fn new_version_id(seq: u64) -> String {
    format!("{seq:016x}{:08x}", rand::random::<u32>())
}

/// The order stamp inside a version id this registry handed out (`None`: `null` or a foreign
/// string, which names no version but the null one).
pub(crate) fn seq_of(version_id: &str) -> Option<u64> {
    if version_id.len() != VERSION_ID_LEN || !version_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(&version_id[..16], 16).ok()
}

/// True if `label` has the shape of a version id this registry hands out, or is `null`: any
/// other string can name no version (S3 answers it `InvalidArgument`, not `NoSuchVersion`).
pub fn is_version_id(label: &str) -> bool {
    label == NULL_VERSION || seq_of(label).is_some()
}

/// The stored form of an S3 version id: `null` is the empty id.
pub(crate) fn stored_id(label: &str) -> &str {
    if label == NULL_VERSION {
        ""
    } else {
        label
    }
}

/// The order stamp of a record, for records written before versioning (stamp 0): their mtime.
pub(crate) fn effective_seq(rec: &ObjectRecord) -> u64 {
    if rec.seq == 0 {
        rec.mtime_ms.saturating_mul(1000)
    } else {
        rec.seq
    }
}

/// What an engine reads of a key, under its lock, before planning a change.
#[derive(Debug, Default)]
pub(crate) struct KeyView {
    /// The bucket's versioning state.
    pub(crate) mode: Versioning,
    /// The record in `objects`.
    pub(crate) current: Option<ObjectRecord>,
    /// The `null` version if it is in `versions` (read only when the mode is not unversioned).
    pub(crate) null_version: Option<ObjectRecord>,
    /// The newest entries of `versions` for the key: one for a write or delete (its order stamp
    /// is a floor for the new version's), two for the delete of one version.
    pub(crate) newest: Vec<ObjectRecord>,
    /// The version a delete of one version names, if it is in `versions`.
    pub(crate) target: Option<ObjectRecord>,
}

/// The change of one key, applied by an engine in one transaction, in this order: the removals
/// from `versions`, the additions to `versions`, then `objects`; the garbage is queued, and the
/// bucket's counters move from `view.current` to the new current.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// What becomes of the key's record in `objects`.
    pub(crate) current: Current,
    /// Records that go into `versions` (keyed by their `seq` and `version_id`).
    pub(crate) add: Vec<ObjectRecord>,
    /// Records that leave `versions`.
    pub(crate) remove: Vec<ObjectRecord>,
    /// Blobs no record references any more.
    pub(crate) garbage: Vec<BlobRef>,
}

impl Plan {
    /// The record `objects` holds after the plan, given what it held before.
    pub(crate) fn new_current<'a>(&'a self, old: Option<&'a ObjectRecord>) -> Option<&'a ObjectRecord> {
        match &self.current {
            Current::Set(c) => Some(c),
            Current::Remove => None,
            Current::Keep => old,
        }
    }
}

/// The change a [`Plan`] makes to a key's record in `objects`.
#[derive(Debug, Default, PartialEq, Eq)]
#[allow(clippy::large_enum_variant, reason = "one per write, never stored in bulk")]
pub(crate) enum Current {
    /// Unchanged.
    #[default]
    Keep,
    /// `objects` holds this record.
    Set(ObjectRecord),
    /// The key leaves `objects`.
    Remove,
}

/// The stamp a new version of the key must exceed: its newest version's (current or not), so
/// versions order as they were committed, whatever the clocks of the writers.
fn floor(view: &KeyView) -> u64 {
    let current = view.current.as_ref().map_or(0, effective_seq);
    let newest = view.newest.first().map_or(0, effective_seq);
    current.max(newest)
}

/// A stamp above `floor`: `given` when it is, else a new one.
fn stamp_above(floor: u64, given: u64) -> u64 {
    if given > floor {
        given
    } else {
        next_seq().max(floor + 1)
    }
}

/// Moves the current record into `versions` (it keeps its id; a record from before versioning
/// gets its mtime as stamp).
fn demote(mut rec: ObjectRecord) -> ObjectRecord {
    rec.seq = effective_seq(&rec);
    rec
}

/// A write of `rec` (blobs, headers) over `view`, if `cond` holds on the current record. Fills
/// in the version id and stamp. Returns the plan and what it committed.
pub(crate) fn plan_put(
    view: KeyView,
    mut rec: ObjectRecord,
    cond: &PutCondition,
) -> Result<(Plan, crate::Committed)> {
    check_condition(cond, view.current.as_ref())?;
    let mut plan = Plan::default();
    let mut committed = crate::Committed::default();
    rec.delete_marker = false;
    let (given_seq, given_id) = (rec.seq, std::mem::take(&mut rec.version_id));
    let floor = floor(&view);
    // An unversioned record keeps stamp 0 (ordered by its mtime if versioning starts later).
    rec.seq = if view.mode == Versioning::Unversioned {
        0
    } else {
        stamp_above(floor, 0)
    };
    match view.mode {
        Versioning::Unversioned => {
            rec.version_id.clear();
            if let Some(old) = view.current {
                plan.garbage = unshared(&old, &rec);
                committed.replaced = Some(old);
            }
        }
        Versioning::Enabled => {
            if given_seq > floor && seq_of(&given_id) == Some(given_seq) {
                // Named by the caller before the commit (and written into its blob's xattr),
                // and still newer than every version of the key: kept. A writer that lost a
                // race to a later-named version gets a new id, so ids follow commit order.
                rec.seq = given_seq;
                rec.version_id = given_id;
            } else {
                rec.version_id = new_version_id(rec.seq);
            }
            committed.version_id = Some(rec.version_id.clone());
            if let Some(old) = view.current {
                plan.add.push(demote(old));
            }
        }
        Versioning::Suspended => {
            rec.seq = stamp_above(floor, given_seq);
            committed.version_id = Some(NULL_VERSION.to_owned());
            replace_null(
                &mut plan,
                &mut committed.replaced,
                view.current,
                view.null_version,
                &rec,
            );
        }
    }
    plan.current = Current::Set(rec);
    Ok((plan, committed))
}

/// In a suspended bucket: the null version (current or not) is destroyed, a current version
/// with an id is kept among the versions.
fn replace_null(
    plan: &mut Plan,
    replaced: &mut Option<ObjectRecord>,
    current: Option<ObjectRecord>,
    null_version: Option<ObjectRecord>,
    new: &ObjectRecord,
) {
    if let Some(old) = current {
        if old.version_id.is_empty() {
            plan.garbage.extend(unshared(&old, new));
            *replaced = Some(old);
        } else {
            plan.add.push(demote(old));
        }
    }
    if let Some(null) = null_version {
        plan.garbage.extend(unshared(&null, new));
        plan.remove.push(null.clone());
        replaced.get_or_insert(null);
    }
}

/// A delete without a version id over `view`, if `cond` holds: removes the object (unversioned)
/// or adds a delete marker made at `now_ms`.
pub(crate) fn plan_delete(view: KeyView, cond: &PutCondition, now_ms: u64) -> Result<(Plan, crate::Deleted)> {
    check_condition(cond, view.current.as_ref())?;
    let mut plan = Plan::default();
    let mut deleted = crate::Deleted::default();
    if view.mode == Versioning::Unversioned {
        if let Some(old) = view.current {
            plan.garbage.clone_from(&old.blobs);
            plan.current = Current::Remove;
            deleted.removed = Some(old);
        }
        return Ok((plan, deleted));
    }
    let seq = stamp_above(floor(&view), 0);
    let mut marker = ObjectRecord {
        delete_marker: true,
        mtime_ms: now_ms,
        seq,
        ..ObjectRecord::default()
    };
    if view.mode == Versioning::Enabled {
        marker.version_id = new_version_id(seq);
        if let Some(old) = view.current {
            plan.add.push(demote(old));
        }
    } else {
        replace_null(
            &mut plan,
            &mut deleted.removed,
            view.current,
            view.null_version,
            &marker,
        );
    }
    plan.current = Current::Remove;
    deleted.marker = Some(marker.version_label().to_owned());
    plan.add.push(marker);
    Ok((plan, deleted))
}

/// The delete of version `label` (S3 form) over `view` (with `newest` and `target` read): removes
/// it for good and, if it was the latest, makes the next newest version current unless that is
/// a delete marker. Returns the removed record (`None`: no such version, not an error).
pub(crate) fn plan_delete_version(
    view: KeyView,
    label: &str,
    lock: LockCheck,
) -> Result<(Plan, Option<ObjectRecord>)> {
    let id = stored_id(label);
    let addressed = view
        .current
        .as_ref()
        .filter(|c| c.version_id == id)
        .or(view.target.as_ref());
    if addressed.is_some_and(|r| r.locked(lock.now_ms, lock.bypass_governance)) {
        return Err(crate::Error::ObjectLocked);
    }
    let mut plan = Plan::default();
    let promote = |plan: &mut Plan, newest: &[ObjectRecord], skip: Option<&ObjectRecord>| {
        let next = newest.iter().find(|v| Some(*v) != skip);
        match next {
            Some(next) if !next.delete_marker => {
                plan.remove.push(next.clone());
                plan.current = Current::Set(next.clone());
            }
            _ => plan.current = Current::Remove,
        }
    };
    if let Some(cur) = view.current.as_ref().filter(|c| c.version_id == id) {
        plan.garbage.clone_from(&cur.blobs);
        promote(&mut plan, &view.newest, None);
        return Ok((plan, view.current));
    }
    let Some(target) = view.target else {
        return Ok((plan, None));
    };
    plan.garbage.clone_from(&target.blobs);
    plan.remove.push(target.clone());
    let was_latest = view.current.is_none() && view.newest.first() == Some(&target);
    if was_latest {
        promote(&mut plan, &view.newest, Some(&target));
    }
    Ok((plan, Some(target)))
}

/// What the delete of one version checks against object lock.
#[derive(Debug, Clone, Copy)]
pub struct LockCheck {
    /// The time of the delete, milliseconds since the epoch.
    pub now_ms: u64,
    /// `x-amz-bypass-governance-retention: true` (from a caller allowed to use it).
    pub bypass_governance: bool,
}

/// The blobs of `old` that `new` does not reference.
fn unshared(old: &ObjectRecord, new: &ObjectRecord) -> Vec<BlobRef> {
    old.blobs
        .iter()
        .filter(|b| !new.blobs.iter().any(|n| n.path == b.path))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: LockCheck = LockCheck {
        now_ms: 1_000,
        bypass_governance: false,
    };

    #[test]
    fn locked_versions_are_not_deleted() {
        let mut cur = obj("0000000000000002aaaaaaaa", "b");
        cur.lock_mode = Some("GOVERNANCE".into());
        cur.lock_until_ms = 2_000;
        let v = |cur: &ObjectRecord| view(Versioning::Enabled, Some(cur.clone()));
        assert!(matches!(
            plan_delete_version(v(&cur), &cur.version_id, NOW),
            Err(crate::Error::ObjectLocked)
        ));
        let bypass = LockCheck {
            bypass_governance: true,
            ..NOW
        };
        assert!(plan_delete_version(v(&cur), &cur.version_id, bypass).is_ok());
        let later = LockCheck { now_ms: 2_000, ..NOW };
        assert!(
            plan_delete_version(v(&cur), &cur.version_id, later).is_ok(),
            "expired"
        );
        cur.lock_mode = Some("COMPLIANCE".into());
        assert!(
            plan_delete_version(v(&cur), &cur.version_id, bypass).is_err(),
            "compliance"
        );
        cur.lock_mode = None;
        cur.legal_hold = true;
        assert!(
            plan_delete_version(v(&cur), &cur.version_id, bypass).is_err(),
            "legal hold"
        );
        // A delete without a version id only adds a marker: allowed.
        assert!(plan_delete(v(&cur), &PutCondition::None, 5).is_ok());
    }

    fn obj(id: &str, blob: &str) -> ObjectRecord {
        ObjectRecord {
            version_id: id.to_owned(),
            seq: next_seq(),
            blobs: vec![BlobRef {
                path: blob.to_owned(),
                ..BlobRef::default()
            }],
            ..ObjectRecord::default()
        }
    }

    fn view(mode: Versioning, current: Option<ObjectRecord>) -> KeyView {
        KeyView {
            mode,
            current,
            ..KeyView::default()
        }
    }

    #[test]
    fn ids_are_ordered_and_parse_back() {
        let a = next_seq();
        let b = next_seq();
        assert!(b > a);
        let ia = new_version_id(a);
        let ib = new_version_id(b);
        assert!(ib > ia, "{ib} sorts after {ia}");
        assert_eq!(seq_of(&ia), Some(a));
        assert_eq!(seq_of(NULL_VERSION), None);
        assert_eq!(seq_of("zz"), None);
    }

    #[test]
    fn unversioned_put_replaces_and_frees() {
        let (plan, c) = plan_put(
            view(Versioning::Unversioned, Some(obj("", "a"))),
            obj("", "b"),
            &PutCondition::None,
        )
        .unwrap();
        assert_eq!(plan.garbage.len(), 1);
        assert!(plan.add.is_empty());
        assert!(c.replaced.is_some() && c.version_id.is_none());
    }

    #[test]
    fn enabled_put_keeps_the_old_version() {
        let (plan, c) = plan_put(
            view(Versioning::Enabled, Some(obj("", "a"))),
            obj("", "b"),
            &PutCondition::None,
        )
        .unwrap();
        assert!(plan.garbage.is_empty());
        assert_eq!(plan.add.len(), 1);
        assert!(c.replaced.is_none());
        let id = c.version_id.unwrap();
        assert!(matches!(plan.current, Current::Set(r) if r.version_id == id));
    }

    #[test]
    fn a_version_named_before_the_commit_is_kept_when_enabled_only() {
        let (seq, id) = new_version();
        let mut rec = obj("", "b");
        rec.seq = seq;
        rec.version_id.clone_from(&id);
        let (plan, c) = plan_put(view(Versioning::Enabled, None), rec.clone(), &PutCondition::None).unwrap();
        assert_eq!(c.version_id.as_deref(), Some(id.as_str()));
        assert!(matches!(plan.current, Current::Set(r) if r.seq == seq));
        // Named before a version that committed first: replaced by a newer one, so ids follow
        // the commit order.
        let (late_seq, late_id) = new_version();
        let (newer, _) = new_version();
        let mut current = obj("", "c");
        current.seq = newer;
        let mut late = obj("", "d");
        late.seq = late_seq;
        late.version_id.clone_from(&late_id);
        let (_, c) = plan_put(
            view(Versioning::Enabled, Some(current)),
            late,
            &PutCondition::None,
        )
        .unwrap();
        let got = c.version_id.unwrap();
        assert_ne!(got, late_id);
        assert!(seq_of(&got).unwrap() > newer);
        // A forged pair (stamp and id disagree) is replaced.
        rec.seq = seq + 1;
        let (_, c) = plan_put(view(Versioning::Enabled, None), rec.clone(), &PutCondition::None).unwrap();
        assert_ne!(c.version_id.as_deref(), Some(id.as_str()));
        // Unversioned: neither is kept.
        let (plan, c) = plan_put(view(Versioning::Unversioned, None), rec, &PutCondition::None).unwrap();
        assert_eq!(c.version_id, None);
        assert!(matches!(plan.current, Current::Set(r) if r.seq == 0 && r.version_id.is_empty()));
    }

    #[test]
    fn suspended_put_replaces_only_the_null_version() {
        let mut v = view(Versioning::Suspended, Some(obj("0000000000000001aaaaaaaa", "a")));
        v.null_version = Some(obj("", "n"));
        let (plan, c) = plan_put(v, obj("", "b"), &PutCondition::None).unwrap();
        assert_eq!(plan.add.len(), 1, "the version with an id is kept");
        assert_eq!(plan.remove.len(), 1, "the old null version goes");
        assert_eq!(plan.garbage[0].path, "n");
        assert_eq!(c.version_id.as_deref(), Some(NULL_VERSION));
    }

    #[test]
    fn delete_adds_a_marker_and_delete_of_the_marker_restores() {
        let cur = obj("0000000000000001aaaaaaaa", "a");
        let (plan, d) = plan_delete(
            view(Versioning::Enabled, Some(cur.clone())),
            &PutCondition::None,
            5,
        )
        .unwrap();
        assert_eq!(plan.current, Current::Remove);
        assert_eq!(plan.add.len(), 2);
        let marker = plan.add[1].clone();
        assert!(marker.delete_marker);
        assert_eq!(d.marker.as_deref(), Some(marker.version_id.as_str()));
        // Now delete the marker: the old version comes back.
        let mut v = view(Versioning::Enabled, None);
        v.newest = vec![marker.clone(), demote(cur.clone())];
        v.target = Some(marker.clone());
        let (plan, removed) = plan_delete_version(v, &marker.version_id, NOW).unwrap();
        assert_eq!(removed, Some(marker));
        assert_eq!(plan.current, Current::Set(demote(cur)));
        assert!(plan.garbage.is_empty());
    }

    #[test]
    fn delete_of_the_current_version_promotes_the_next() {
        let old = obj("0000000000000001aaaaaaaa", "a");
        let cur = obj("0000000000000002aaaaaaaa", "b");
        let mut v = view(Versioning::Enabled, Some(cur.clone()));
        v.newest = vec![old.clone()];
        let (plan, removed) = plan_delete_version(v, &cur.version_id, NOW).unwrap();
        assert_eq!(removed, Some(cur));
        assert_eq!(plan.remove, vec![old.clone()]);
        assert_eq!(plan.current, Current::Set(old));
        assert_eq!(plan.garbage[0].path, "b");
    }
}
