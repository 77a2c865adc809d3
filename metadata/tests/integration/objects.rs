//! Objects: conditional writes, atomic compare-and-swap, GC queueing.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use metadata::{Committed, Deleted, Error, PutCondition, UploadRecord};

use crate::{blob, gc_paths, object, registry};

#[test]
fn put_get_replace_delete_queue_blobs() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), None);
    let first = object("e1", "/b1");
    assert_eq!(
        reg.put_object(b.id, b"k", &first, &PutCondition::None)
            .unwrap()
            .replaced,
        None
    );
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), Some(first.clone()));
    assert!(gc_paths(&reg).is_empty());

    let second = object("e2", "/b2");
    assert_eq!(
        reg.put_object(b.id, b"k", &second, &PutCondition::None)
            .unwrap()
            .replaced,
        Some(first)
    );
    assert_eq!(gc_paths(&reg), ["/b1"]);

    // A metadata-only rewrite that keeps the blob must not queue it.
    let mut relabelled = second.clone();
    relabelled.content_type = Some("image/png".to_owned());
    reg.put_object(b.id, b"k", &relabelled, &PutCondition::None)
        .unwrap();
    assert_eq!(gc_paths(&reg), ["/b1"]);

    assert_eq!(
        reg.delete_object(b.id, b"k", &PutCondition::None)
            .unwrap()
            .removed,
        Some(relabelled)
    );
    assert_eq!(gc_paths(&reg), ["/b1", "/b2"]);
    assert_eq!(
        reg.delete_object(b.id, b"k", &PutCondition::None)
            .unwrap()
            .removed,
        None
    );

    let pending = reg.gc_pending(1).unwrap();
    assert_eq!(pending.len(), 1);
    reg.gc_done(&[pending[0].0]).unwrap();
    assert_eq!(gc_paths(&reg), ["/b2"]);
}

#[test]
fn conditions_are_enforced() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    let pf = |r: Result<Committed, Error>| matches!(r, Err(Error::PreconditionFailed));
    let pfd = |r: Result<Deleted, Error>| matches!(r, Err(Error::PreconditionFailed));
    assert!(pf(reg.put_object(
        b.id,
        b"k",
        &object("x", "/x"),
        &PutCondition::IfMatch("e1".into())
    )));
    reg.put_object(b.id, b"k", &object("e1", "/1"), &PutCondition::IfNoneMatchAny)
        .unwrap();
    assert!(pf(reg.put_object(
        b.id,
        b"k",
        &object("x", "/x"),
        &PutCondition::IfNoneMatchAny
    )));
    assert!(pf(reg.put_object(
        b.id,
        b"k",
        &object("x", "/x"),
        &PutCondition::IfMatch("zz".into())
    )));
    assert!(pf(reg.put_object(
        b.id,
        b"k",
        &object("x", "/x"),
        &PutCondition::IfNoneMatch("e1".into())
    )));
    reg.put_object(
        b.id,
        b"k",
        &object("e2", "/2"),
        &PutCondition::IfMatch("e1".into()),
    )
    .unwrap();
    assert!(pfd(reg.delete_object(
        b.id,
        b"k",
        &PutCondition::IfMatch("e1".into())
    )));
    assert_eq!(
        reg.get_object(b.id, b"k").unwrap().map(|o| o.etag),
        Some("e2".to_owned())
    );
    // Failed conditions queued nothing except the one real replacement.
    assert_eq!(gc_paths(&reg), ["/1"]);
    reg.delete_object(b.id, b"k", &PutCondition::IfMatch("e2".into()))
        .unwrap();
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), None);
}

#[test]
fn exactly_one_of_eight_racing_if_none_match_writers_wins() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    for round in 0..25 {
        let key = format!("key{round}");
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (reg, barrier, key) = (reg.clone(), barrier.clone(), key.clone());
                thread::spawn(move || {
                    barrier.wait();
                    let rec = object(&format!("t{t}"), &format!("/{round}/{t}"));
                    (
                        t,
                        reg.put_object(b.id, key.as_bytes(), &rec, &PutCondition::IfNoneMatchAny),
                    )
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<usize> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        assert!(results
            .iter()
            .all(|(_, r)| matches!(r, Ok(c) if c.replaced.is_none())
                || matches!(r, Err(Error::PreconditionFailed))));
        let stored = reg.get_object(b.id, key.as_bytes()).unwrap().unwrap();
        assert_eq!(stored.etag, format!("t{}", winners[0]));
    }
    // Nothing was replaced, so nothing may be queued.
    assert!(gc_paths(&reg).is_empty());
}

#[test]
fn objects_are_per_bucket() {
    let reg = registry();
    let a = reg.create_bucket("a", "o", "r", 1).unwrap();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.put_object(a.id, b"k", &object("ea", "/a"), &PutCondition::None)
        .unwrap();
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), None);
    assert!(matches!(
        reg.put_object(u64::MAX, b"k", &object("e", "/x"), &PutCondition::None),
        Err(Error::NoSuchBucket)
    ));
}

#[test]
fn referenced_blobs_cover_objects_and_parts() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    let mut multi = object("m-2", "/m1");
    multi.blobs.push(blob("/m2"));
    multi.parts = vec![3, 3];
    reg.put_object(b.id, b"multi", &multi, &PutCondition::None)
        .unwrap();
    reg.put_object(b.id, b"single", &object("s", "/s"), &PutCondition::None)
        .unwrap();
    let upload = reg
        .create_upload(
            b.id,
            &UploadRecord {
                key: b"u".to_vec(),
                ..UploadRecord::default()
            },
        )
        .unwrap();
    reg.put_part(
        &upload,
        1,
        &metadata::PartRecord {
            blob: blob("/p1"),
            ..metadata::PartRecord::default()
        },
    )
    .unwrap();
    let got: BTreeSet<String> = reg.referenced_blobs().map(|r| r.unwrap().path).collect();
    let want: BTreeSet<String> = ["/m1", "/m2", "/s", "/p1"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn gc_enqueue_adds_entries() {
    let reg = registry();
    assert_eq!(reg.gc_queue_len().unwrap(), 0);
    reg.gc_enqueue(&[blob("/lost1"), blob("/lost2")]).unwrap();
    assert_eq!(gc_paths(&reg), ["/lost1", "/lost2"]);
    assert_eq!(reg.gc_queue_len().unwrap(), 2);
    let ids: Vec<u64> = reg
        .gc_pending(10)
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    reg.gc_done(&ids).unwrap();
    assert!(gc_paths(&reg).is_empty());
    assert_eq!(reg.gc_queue_len().unwrap(), 0);
}
