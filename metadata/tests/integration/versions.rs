//! Versioning: versions kept by writes, delete markers, deletes of one version, the `null`
//! version of suspended buckets, version listing with markers and delimiters, races, and the
//! O(page) listing of current objects beside a key with many versions.

use std::sync::{Arc, Barrier};
use std::thread;

use metadata::{
    Error, ListQuery, LockCheck, ObjectRecord, PutCondition, Registry, VersionEntry, VersionQuery,
    Versioning, NULL_VERSION,
};

use crate::{gc_paths, object, registry};

const NOW: LockCheck = LockCheck {
    now_ms: 0,
    bypass_governance: false,
};

/// Every version of bucket `b` as (key, version id, latest, marker), paging by `max`.
fn all_versions(
    reg: &Registry,
    b: u64,
    max: usize,
    delimiter: Option<&str>,
) -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    let mut q = VersionQuery {
        max,
        delimiter: delimiter.map(|d| d.as_bytes().to_vec()),
        ..VersionQuery::default()
    };
    for _ in 0..10_000 {
        let page = reg.list_versions(b, &q).unwrap();
        assert!(page.entries.len() <= max);
        for e in &page.entries {
            match e {
                VersionEntry::Version {
                    key,
                    record,
                    is_latest,
                } => out.push((
                    String::from_utf8(key.clone()).unwrap(),
                    record.version_label().to_owned(),
                    *is_latest,
                    record.delete_marker,
                )),
                VersionEntry::CommonPrefix(p) => {
                    out.push((String::from_utf8(p.clone()).unwrap(), String::new(), false, false));
                }
            }
        }
        if !page.truncated {
            return out;
        }
        q.key_marker = page.next_key_marker;
        q.version_marker = page.next_version_marker;
    }
    panic!("listing did not end");
}

fn put(reg: &Registry, b: u64, key: &str, etag: &str) -> Option<String> {
    reg.put_object(
        b,
        key.as_bytes(),
        &object(etag, &format!("/{etag}")),
        &PutCondition::None,
    )
    .unwrap()
    .version_id
}

#[test]
fn enabled_bucket_keeps_every_version() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    assert_eq!(b.versioning, Versioning::Unversioned);
    assert_eq!(put(&reg, b.id, "k", "v0"), None, "unversioned: no version id");
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    assert_eq!(
        reg.get_bucket("b").unwrap().unwrap().versioning,
        Versioning::Enabled
    );
    let v1 = put(&reg, b.id, "k", "v1").unwrap();
    let v2 = put(&reg, b.id, "k", "v2").unwrap();
    assert!(v2 > v1, "ids are time-ordered: {v1} {v2}");
    assert!(
        gc_paths(&reg).is_empty(),
        "nothing is garbage in a versioned bucket"
    );
    assert_eq!(reg.get_object(b.id, b"k").unwrap().unwrap().etag, "v2");
    assert_eq!(reg.get_version(b.id, b"k", &v1).unwrap().unwrap().etag, "v1");
    assert_eq!(
        reg.get_version(b.id, b"k", NULL_VERSION).unwrap().unwrap().etag,
        "v0"
    );
    assert_eq!(
        reg.get_version(b.id, b"k", "0000000000000001aaaaaaaa").unwrap(),
        None
    );
    assert_eq!(reg.get_version(b.id, b"k", "garbage").unwrap(), None);
    let listed = all_versions(&reg, b.id, 1000, None);
    assert_eq!(
        listed,
        [
            ("k".into(), v2.clone(), true, false),
            ("k".into(), v1.clone(), false, false),
            ("k".into(), NULL_VERSION.into(), false, false),
        ]
    );
    let current = reg
        .list_objects(
            b.id,
            &ListQuery {
                max: 10,
                ..ListQuery::default()
            },
        )
        .unwrap();
    assert_eq!(current.entries.len(), 1);
    // Versions keep the bucket from being deleted even when no current object is left.
    reg.delete_object(b.id, b"k", &PutCondition::None).unwrap();
    assert!(matches!(reg.delete_bucket("b"), Err(Error::BucketNotEmpty)));
    assert!(matches!(
        reg.set_bucket_versioning("b", Versioning::Unversioned),
        Err(Error::Corrupt(_))
    ));
    let blobs: Vec<String> = reg.referenced_blobs().map(|r| r.unwrap().path).collect();
    for p in ["/v0", "/v1", "/v2"] {
        assert!(blobs.iter().any(|b| b == p), "{p} is referenced: {blobs:?}");
    }
}

#[test]
fn delete_markers_hide_and_their_delete_restores() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&reg, b.id, "k", "v1").unwrap();
    let d = reg.delete_object(b.id, b"k", &PutCondition::None).unwrap();
    assert!(d.removed.is_none());
    let marker = d.marker.unwrap();
    assert!(marker > v1);
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), None);
    let latest = reg.latest_version(b.id, b"k").unwrap().unwrap();
    assert!(latest.delete_marker);
    assert_eq!(latest.version_id, marker);
    assert_eq!(
        all_versions(&reg, b.id, 1000, None),
        [
            ("k".into(), marker.clone(), true, true),
            ("k".into(), v1.clone(), false, false)
        ]
    );
    // A second delete adds a second marker; deleting a missing key adds one too.
    let d2 = reg
        .delete_object(b.id, b"k", &PutCondition::None)
        .unwrap()
        .marker
        .unwrap();
    reg.delete_object(b.id, b"never", &PutCondition::None).unwrap();
    assert_eq!(all_versions(&reg, b.id, 1000, None).len(), 4);
    // Removing the newest marker leaves the older one latest; removing that restores v1.
    let gone = reg.delete_version(b.id, b"k", &d2, NOW).unwrap().unwrap();
    assert!(gone.delete_marker);
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), None);
    reg.delete_version(b.id, b"k", &marker, NOW).unwrap().unwrap();
    assert_eq!(reg.get_object(b.id, b"k").unwrap().unwrap().version_id, v1);
    let listed = all_versions(&reg, b.id, 1000, None);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], ("k".into(), v1.clone(), true, false));
    assert_eq!(
        (listed[1].0.as_str(), listed[1].2, listed[1].3),
        ("never", true, true)
    );
    // An unknown version is not an error and changes nothing.
    assert_eq!(
        reg.delete_version(b.id, b"k", "0000000000000001aaaaaaaa", NOW)
            .unwrap(),
        None
    );
    assert!(gc_paths(&reg).is_empty());
}

#[test]
fn deleting_the_current_version_promotes_the_next_and_frees_its_blob() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&reg, b.id, "k", "v1").unwrap();
    let v2 = put(&reg, b.id, "k", "v2").unwrap();
    let removed = reg.delete_version(b.id, b"k", &v2, NOW).unwrap().unwrap();
    assert_eq!(removed.etag, "v2");
    assert_eq!(gc_paths(&reg), ["/v2"]);
    assert_eq!(reg.get_object(b.id, b"k").unwrap().unwrap().version_id, v1);
    assert_eq!(
        all_versions(&reg, b.id, 1000, None),
        [("k".into(), v1.clone(), true, false)]
    );
    // A noncurrent version goes without touching the current one.
    let v3 = put(&reg, b.id, "k", "v3").unwrap();
    reg.delete_version(b.id, b"k", &v1, NOW).unwrap().unwrap();
    assert_eq!(gc_paths(&reg), ["/v2", "/v1"]);
    assert_eq!(
        all_versions(&reg, b.id, 1000, None),
        [("k".into(), v3, true, false)]
    );
    // The last version gone: the key is gone, and the bucket can be deleted.
    let v3 = reg.get_object(b.id, b"k").unwrap().unwrap().version_id;
    reg.delete_version(b.id, b"k", &v3, NOW).unwrap().unwrap();
    assert_eq!(reg.latest_version(b.id, b"k").unwrap(), None);
    reg.delete_bucket("b").unwrap();
}

#[test]
fn suspended_bucket_replaces_only_the_null_version() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&reg, b.id, "k", "v1").unwrap();
    reg.set_bucket_versioning("b", Versioning::Suspended).unwrap();
    assert_eq!(put(&reg, b.id, "k", "n1").as_deref(), Some(NULL_VERSION));
    assert!(gc_paths(&reg).is_empty(), "v1 has an id: kept");
    assert_eq!(put(&reg, b.id, "k", "n2").as_deref(), Some(NULL_VERSION));
    assert_eq!(gc_paths(&reg), ["/n1"], "the old null version is destroyed");
    assert_eq!(
        all_versions(&reg, b.id, 1000, None),
        [
            ("k".into(), NULL_VERSION.into(), true, false),
            ("k".into(), v1.clone(), false, false)
        ]
    );
    // A delete in a suspended bucket: a null marker replaces the null version.
    let d = reg.delete_object(b.id, b"k", &PutCondition::None).unwrap();
    assert_eq!(d.marker.as_deref(), Some(NULL_VERSION));
    assert_eq!(d.removed.unwrap().etag, "n2");
    assert_eq!(gc_paths(&reg), ["/n1", "/n2"]);
    // Re-enabled: a new version goes on top; the null marker stays, noncurrent.
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v3 = put(&reg, b.id, "k", "v3").unwrap();
    assert_eq!(
        all_versions(&reg, b.id, 1000, None),
        [
            ("k".into(), v3, true, false),
            ("k".into(), NULL_VERSION.into(), false, true),
            ("k".into(), v1, false, false)
        ]
    );
    // Writing in a suspended bucket where the null version is noncurrent removes it.
    reg.set_bucket_versioning("b", Versioning::Suspended).unwrap();
    put(&reg, b.id, "k", "n3");
    let listed = all_versions(&reg, b.id, 1000, None);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0], ("k".into(), NULL_VERSION.into(), true, false));
    assert!(listed[1..].iter().all(|v| v.1 != NULL_VERSION));
}

#[test]
fn version_listing_pages_and_rolls_up() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    put(&reg, b.id, "a", "a0");
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    for i in 0..3 {
        put(&reg, b.id, "a", &format!("a{}", i + 1));
        put(&reg, b.id, "d/x", &format!("x{i}"));
        put(&reg, b.id, "d/y", &format!("y{i}"));
        put(&reg, b.id, "z\u{0}", &format!("z{i}"));
    }
    reg.delete_object(b.id, b"d/y", &PutCondition::None).unwrap();
    let full = all_versions(&reg, b.id, 1000, None);
    assert_eq!(full.len(), 4 + 3 + 4 + 3);
    for max in [1, 2, 3, 5] {
        assert_eq!(all_versions(&reg, b.id, max, None), full, "max {max}");
    }
    let keys: Vec<&str> = full.iter().map(|v| v.0.as_str()).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "key order: {keys:?}");
    // One latest per key.
    assert_eq!(full.iter().filter(|v| v.2).count(), 4);
    let rolled = all_versions(&reg, b.id, 1000, Some("/"));
    assert_eq!(rolled.iter().filter(|v| v.0 == "d/").count(), 1);
    assert_eq!(rolled.len(), 4 + 1 + 3);
    for max in [1, 2] {
        assert_eq!(all_versions(&reg, b.id, max, Some("/")), rolled, "max {max}");
    }
    // A prefix, and markers that start inside a key's versions.
    let q = VersionQuery {
        prefix: b"d/".to_vec(),
        max: 1000,
        ..VersionQuery::default()
    };
    assert_eq!(reg.list_versions(b.id, &q).unwrap().entries.len(), 7);
    let second_of_a = full[1].1.clone();
    let q = VersionQuery {
        key_marker: Some(b"a".to_vec()),
        version_marker: Some(second_of_a),
        max: 1000,
        ..VersionQuery::default()
    };
    let rest = reg.list_versions(b.id, &q).unwrap();
    assert_eq!(rest.entries.len(), full.len() - 2);
    match &rest.entries[0] {
        VersionEntry::Version {
            is_latest, record, ..
        } => {
            assert!(!is_latest);
            assert_eq!(record.version_label(), full[2].1);
        }
        VersionEntry::CommonPrefix(_) => panic!("expected a version"),
    }
    let bad = VersionQuery {
        key_marker: Some(b"a".to_vec()),
        version_marker: Some("nonsense".to_owned()),
        max: 10,
        ..VersionQuery::default()
    };
    assert!(matches!(reg.list_versions(b.id, &bad), Err(Error::NoSuchVersion)));
}

#[test]
fn racing_writers_on_one_versioned_key_keep_every_version() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (reg, barrier) = (reg.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                let mut ids = Vec::new();
                for i in 0..10 {
                    if (t + i) % 5 == 0 {
                        ids.push(
                            reg.delete_object(b.id, b"k", &PutCondition::None)
                                .unwrap()
                                .marker
                                .unwrap(),
                        );
                    } else {
                        ids.push(put(&reg, b.id, "k", &format!("t{t}-{i}")).unwrap());
                    }
                }
                ids
            })
        })
        .collect();
    let mut ids: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 80, "every write got its own id");
    let listed = all_versions(&reg, b.id, 7, None);
    let mut listed_ids: Vec<String> = listed.iter().map(|v| v.1.clone()).collect();
    listed_ids.sort();
    assert_eq!(listed_ids, ids, "every version is listed once");
    assert_eq!(listed.iter().filter(|v| v.2).count(), 1, "one latest");
    assert!(gc_paths(&reg).is_empty());
}

#[test]
fn current_listing_stays_o_page_beside_a_key_with_many_versions() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    // PostgreSQL commits each version in its own transaction: fewer there, same shape.
    let n = if crate::pg::base_url().is_some() {
        1_000
    } else {
        10_000
    };
    let rec = object("e", "/same");
    for _ in 0..n {
        reg.put_object(b.id, b"hot", &rec, &PutCondition::None).unwrap();
    }
    for k in ["a", "z1", "z2", "z3"] {
        put(&reg, b.id, k, k);
    }
    let page = reg
        .list_objects(
            b.id,
            &ListQuery {
                max: 3,
                ..ListQuery::default()
            },
        )
        .unwrap();
    assert_eq!(page.entries.len(), 3);
    assert!(
        page.scanned <= 4,
        "scanned {} records for a page of 3",
        page.scanned
    );
    let q = VersionQuery {
        max: 5,
        ..VersionQuery::default()
    };
    let versions = reg.list_versions(b.id, &q).unwrap();
    assert!(versions.truncated);
    assert_eq!(versions.entries.len(), 5);
    let hot: Vec<&ObjectRecord> = versions
        .entries
        .iter()
        .filter_map(|e| match e {
            VersionEntry::Version { key, record, .. } if key == b"hot" => Some(record),
            _ => None,
        })
        .collect();
    assert_eq!(hot.len(), 4);
}

#[test]
fn versions_survive_export_and_import() {
    let src = registry();
    let b = src.create_bucket("b", "o", "r", 1).unwrap();
    put(&src, b.id, "k", "v0");
    src.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    put(&src, b.id, "k", "v1");
    src.delete_object(b.id, b"k", &PutCondition::None).unwrap();
    let mut stream = Vec::new();
    src.export(&mut stream).unwrap();
    let dst = registry();
    dst.import(&mut stream.as_slice()).unwrap();
    let bd = dst.get_bucket("b").unwrap().unwrap();
    assert_eq!(bd.versioning, Versioning::Enabled);
    assert_eq!(
        all_versions(&dst, bd.id, 1000, None),
        all_versions(&src, b.id, 1000, None)
    );
    assert!(matches!(dst.delete_bucket("b"), Err(Error::BucketNotEmpty)));
}

#[test]
fn locked_versions_refuse_deletes_and_update_version_changes_in_place() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&reg, b.id, "k", "v1").unwrap();
    let v2 = put(&reg, b.id, "k", "v2").unwrap();
    // Lock the noncurrent v1 (GOVERNANCE until 1000) and hold the current v2.
    let changed = reg
        .update_version(b.id, b"k", Some(&v1), &|r| {
            r.lock_mode = Some("GOVERNANCE".to_owned());
            r.lock_until_ms = 1000;
            Ok(())
        })
        .unwrap()
        .unwrap();
    assert_eq!(changed.version_id, v1);
    reg.update_version(b.id, b"k", None, &|r| {
        r.legal_hold = true;
        Ok(())
    })
    .unwrap()
    .unwrap();
    assert!(reg.get_object(b.id, b"k").unwrap().unwrap().legal_hold);
    assert_eq!(
        reg.get_version(b.id, b"k", &v1).unwrap().unwrap().lock_until_ms,
        1000
    );
    // A refused change changes nothing.
    let refused = reg.update_version(b.id, b"k", Some(&v1), &|r| {
        r.lock_until_ms = 0;
        Err(Error::Refused("no".to_owned()))
    });
    assert!(matches!(refused, Err(Error::Refused(_))));
    assert_eq!(
        reg.get_version(b.id, b"k", &v1).unwrap().unwrap().lock_until_ms,
        1000
    );
    assert_eq!(
        reg.update_version(b.id, b"k", Some("0000000000000001aaaaaaaa"), &|_| Ok(()))
            .unwrap(),
        None
    );

    let at = |now_ms, bypass_governance| LockCheck {
        now_ms,
        bypass_governance,
    };
    assert!(matches!(
        reg.delete_version(b.id, b"k", &v1, at(500, false)),
        Err(Error::ObjectLocked)
    ));
    assert!(matches!(
        reg.delete_version(b.id, b"k", &v2, at(500, true)),
        Err(Error::ObjectLocked)
    ));
    // A marker is always allowed; the locked versions are still there.
    reg.delete_object(b.id, b"k", &PutCondition::None).unwrap();
    assert_eq!(all_versions(&reg, b.id, 10, None).len(), 3);
    assert!(gc_paths(&reg).is_empty());
    // Governance bypassed, or expired: v1 goes.
    reg.delete_version(b.id, b"k", &v1, at(500, true))
        .unwrap()
        .unwrap();
    assert_eq!(gc_paths(&reg), ["/v1"]);
    // The hold lifted: v2 goes.
    reg.update_version(b.id, b"k", Some(&v2), &|r| {
        r.legal_hold = false;
        Ok(())
    })
    .unwrap()
    .unwrap();
    reg.delete_version(b.id, b"k", &v2, at(500, false))
        .unwrap()
        .unwrap();
    assert_eq!(gc_paths(&reg), ["/v1", "/v2"]);
}
