//! Object and bucket tags: replaced in place, kept by nothing else, dropped by an overwrite.

use std::sync::{Arc, Barrier};
use std::thread;

use metadata::{Error, PutCondition};

use crate::{gc_paths, object, registry};

fn tags(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn object_tags_change_only_the_tags() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    assert_eq!(
        reg.set_object_tags(b.id, b"missing", &tags(&[("a", "1")]))
            .unwrap(),
        None
    );
    let rec = object("e1", "/b1");
    reg.put_object(b.id, b"k", &rec, &PutCondition::None).unwrap();

    let tagged = reg
        .set_object_tags(b.id, b"k", &tags(&[("a", "1"), ("b", "")]))
        .unwrap()
        .unwrap();
    assert_eq!(tagged.tags, tags(&[("a", "1"), ("b", "")]));
    let mut expected = rec.clone();
    expected.tags = tagged.tags.clone();
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), Some(expected));
    assert!(gc_paths(&reg).is_empty(), "a tag change frees no blob");

    reg.set_object_tags(b.id, b"k", &[]).unwrap().unwrap();
    assert_eq!(reg.get_object(b.id, b"k").unwrap(), Some(rec.clone()));

    // An overwrite is a new record: no tags.
    reg.set_object_tags(b.id, b"k", &tags(&[("a", "1")])).unwrap();
    reg.put_object(b.id, b"k", &object("e2", "/b2"), &PutCondition::None)
        .unwrap();
    assert!(reg.get_object(b.id, b"k").unwrap().unwrap().tags.is_empty());
    assert!(matches!(
        reg.set_object_tags(999, b"k", &[]),
        Err(Error::NoSuchBucket)
    ));
}

/// Tagging racing overwrites never brings back an overwritten record: every final record is
/// the last written object, whatever tags it ended with.
#[test]
fn tagging_never_clobbers_a_racing_overwrite() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.put_object(b.id, b"k", &object("e0", "/p0"), &PutCondition::None)
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let (r1, b1) = (reg.clone(), barrier.clone());
    let writer = thread::spawn(move || {
        b1.wait();
        for i in 1..=50 {
            r1.put_object(
                b.id,
                b"k",
                &object(&format!("e{i}"), &format!("/p{i}")),
                &PutCondition::None,
            )
            .unwrap();
        }
    });
    barrier.wait();
    for i in 0..200 {
        reg.set_object_tags(b.id, b"k", &tags(&[("n", &i.to_string())]))
            .unwrap()
            .unwrap();
    }
    writer.join().unwrap();
    let last = reg.get_object(b.id, b"k").unwrap().unwrap();
    assert_eq!(last.etag, "e50");
    assert_eq!(last.blobs[0].path, "/p50");
    // Every replaced blob was queued exactly once, none resurrected.
    assert_eq!(gc_paths(&reg).len(), 50);
}

#[test]
fn bucket_tags_are_set_and_cleared() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    assert!(b.tags.is_empty());
    reg.set_bucket_tags("b", &tags(&[("team", "x")])).unwrap();
    assert_eq!(reg.get_bucket("b").unwrap().unwrap().tags, tags(&[("team", "x")]));
    reg.set_bucket_tags("b", &[]).unwrap();
    assert!(reg.get_bucket("b").unwrap().unwrap().tags.is_empty());
    assert!(matches!(
        reg.set_bucket_tags("none", &[]),
        Err(Error::NoSuchBucket)
    ));
}
