//! Buckets: uniqueness, listing, deletion and its race with writes.

use std::sync::{Arc, Barrier};
use std::thread;

use metadata::{Error, ListQuery, PutCondition, UploadRecord};

use crate::{object, registry};

#[test]
fn names_are_unique_across_owners() {
    let reg = registry();
    let b = reg.create_bucket("photos", "alice", "us-east-1", 7).unwrap();
    assert_eq!(
        (b.name.as_str(), b.owner.as_str(), b.region.as_str(), b.created_ms),
        ("photos", "alice", "us-east-1", 7)
    );
    for owner in ["alice", "bob"] {
        match reg.create_bucket("photos", owner, "us-east-1", 8) {
            Err(Error::BucketAlreadyExists { owner }) => assert_eq!(owner, "alice"),
            other => panic!("expected BucketAlreadyExists, got {other:?}"),
        }
    }
    assert_eq!(reg.get_bucket("photos").unwrap(), Some(b));
    assert_eq!(reg.get_bucket("other").unwrap(), None);
}

#[test]
fn list_buckets_by_name_with_owner_filter_and_pages() {
    let reg = registry();
    let names = ["zeta", "alpha", "mid", "beta", "omega"];
    for (n, name) in names.iter().enumerate() {
        reg.create_bucket(name, if n % 2 == 0 { "alice" } else { "bob" }, "r", 1)
            .unwrap();
    }
    let (all, more) = reg.list_buckets(None, None, 100).unwrap();
    let got: Vec<_> = all.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(got, ["alpha", "beta", "mid", "omega", "zeta"]);
    assert!(!more);

    let (alice, more) = reg.list_buckets(Some("alice"), None, 100).unwrap();
    let got: Vec<_> = alice.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(got, ["mid", "omega", "zeta"]);
    assert!(!more);

    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (page, more) = reg.list_buckets(Some("alice"), after.as_deref(), 2).unwrap();
        pages.push(page.iter().map(|b| b.name.clone()).collect::<Vec<_>>());
        if !more {
            break;
        }
        after = page.last().map(|b| b.name.clone());
    }
    assert_eq!(pages, [vec!["mid", "omega"], vec!["zeta"]]);
    // Exactly max buckets left: not truncated.
    let (page, more) = reg.list_buckets(Some("bob"), None, 2).unwrap();
    assert_eq!(page.len(), 2);
    assert!(!more);
    assert_eq!(reg.list_buckets(None, None, 0).unwrap(), (vec![], false));
}

#[test]
fn delete_bucket_requires_empty_and_ids_are_not_reused() {
    let reg = registry();
    assert!(matches!(reg.delete_bucket("nope"), Err(Error::NoSuchBucket)));
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.put_object(b.id, b"k", &object("e", "/p1"), &PutCondition::None)
        .unwrap();
    assert!(matches!(reg.delete_bucket("b"), Err(Error::BucketNotEmpty)));
    // The failed delete left the bucket writable.
    reg.put_object(b.id, b"k2", &object("e", "/p2"), &PutCondition::None)
        .unwrap();
    reg.delete_object(b.id, b"k", &PutCondition::None).unwrap();
    reg.delete_object(b.id, b"k2", &PutCondition::None).unwrap();

    // An object keeps the bucket even beside an upload, and the failed delete keeps the upload.
    let upload = reg
        .create_upload(
            b.id,
            &UploadRecord {
                key: b"u".to_vec(),
                ..UploadRecord::default()
            },
        )
        .unwrap();
    reg.put_object(b.id, b"k3", &object("e", "/p5"), &PutCondition::None)
        .unwrap();
    assert!(matches!(reg.delete_bucket("b"), Err(Error::BucketNotEmpty)));
    assert!(reg.get_upload(&upload).unwrap().is_some());
    reg.delete_object(b.id, b"k3", &PutCondition::None).unwrap();

    // Uploads alone do not keep it (AWS deletes them with the bucket).
    assert_eq!(reg.delete_bucket("b").unwrap(), b);
    assert_eq!(reg.get_upload(&upload).unwrap(), None);
    assert_eq!(reg.get_bucket("b").unwrap(), None);
    assert!(matches!(
        reg.put_object(b.id, b"k", &object("e", "/p3"), &PutCondition::None),
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        reg.delete_object(b.id, b"k", &PutCondition::None),
        Err(Error::NoSuchBucket)
    ));
    let again = reg.create_bucket("b", "o", "r", 2).unwrap();
    assert_ne!(again.id, b.id);
    // Writes through the old id do not land in the new bucket of the same name.
    assert!(matches!(
        reg.put_object(b.id, b"k", &object("e", "/p4"), &PutCondition::None),
        Err(Error::NoSuchBucket)
    ));
}

#[test]
fn delete_bucket_never_orphans_a_racing_put() {
    let reg = registry();
    for round in 0..40 {
        let name = format!("race{round}");
        let b = reg.create_bucket(&name, "o", "r", 1).unwrap();
        let barrier = Arc::new(Barrier::new(5));
        let putters: Vec<_> = (0..4)
            .map(|t| {
                let (reg, barrier) = (reg.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    let key = format!("k{t}");
                    reg.put_object(
                        b.id,
                        key.as_bytes(),
                        &object("e", &format!("/{round}/{t}")),
                        &PutCondition::None,
                    )
                })
            })
            .collect();
        barrier.wait();
        let deleted = reg.delete_bucket(&name);
        let puts: Vec<_> = putters.into_iter().map(|h| h.join().unwrap()).collect();
        let listing = reg
            .list_objects(
                b.id,
                &ListQuery {
                    max: 100,
                    ..ListQuery::default()
                },
            )
            .unwrap();
        match deleted {
            Ok(_) => {
                assert!(
                    puts.iter().all(|p| matches!(p, Err(Error::NoSuchBucket))),
                    "{puts:?}"
                );
                assert!(listing.entries.is_empty(), "orphaned objects: {listing:?}");
                assert_eq!(reg.get_bucket(&name).unwrap(), None);
            }
            Err(Error::BucketNotEmpty) => {
                let stored = puts.iter().filter(|p| p.is_ok()).count();
                assert!(stored >= 1);
                assert_eq!(listing.entries.len(), stored);
                // The bucket is not left marked as being deleted.
                reg.put_object(b.id, b"after", &object("e", "/after"), &PutCondition::None)
                    .unwrap();
            }
            Err(e) => panic!("unexpected delete error {e:?}"),
        }
    }
}
