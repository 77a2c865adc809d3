//! Multipart uploads: parts, listing, abort, complete, and the blobs each step queues.

use metadata::{Error, ObjectRecord, PartRecord, PutCondition, UploadRecord};

use crate::{blob, gc_paths, object, registry};

fn part(etag: &str, path: &str) -> PartRecord {
    PartRecord {
        size: 3,
        etag: etag.to_owned(),
        mtime_ms: 5,
        checksums: vec![],
        blob: blob(path),
        sse_nonce: None,
    }
}

fn upload_record(key: &[u8]) -> UploadRecord {
    UploadRecord {
        key: key.to_vec(),
        initiated_ms: 9,
        initiator: "o".to_owned(),
        content_type: Some("video/mp4".to_owned()),
        user_meta: vec![("k".to_owned(), "v".to_owned())],
        ..UploadRecord::default()
    }
}

#[test]
fn parts_replace_list_and_complete() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    reg.put_object(b.id, b"movie", &object("old", "/old"), &PutCondition::None)
        .unwrap();
    let id = reg.create_upload(b.id, &upload_record(b"movie")).unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    let up = reg.get_upload(&id).unwrap().unwrap();
    assert_eq!((up.bucket, up.record.clone()), (b.id, upload_record(b"movie")));

    assert_eq!(reg.put_part(&id, 1, &part("p1", "/p1")).unwrap(), None);
    assert_eq!(reg.put_part(&id, 2, &part("p2a", "/p2a")).unwrap(), None);
    assert_eq!(
        reg.put_part(&id, 2, &part("p2b", "/p2b")).unwrap(),
        Some(part("p2a", "/p2a"))
    );
    assert_eq!(reg.put_part(&id, 3, &part("p3", "/p3")).unwrap(), None);
    assert_eq!(gc_paths(&reg), ["/p2a"]);

    let (first, more) = reg.list_parts(&id, 0, 2).unwrap();
    assert_eq!(first.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(first[1].1, part("p2b", "/p2b"));
    assert!(more);
    let (rest, more) = reg.list_parts(&id, 2, 2).unwrap();
    assert_eq!(rest.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [3]);
    assert!(!more);

    // Precondition failure changes nothing.
    let mut done = object("abc-2", "/p1");
    done.blobs.push(blob("/p2b"));
    done.parts = vec![3, 3];
    let failed = reg.complete_upload(&id, &done, &PutCondition::IfNoneMatchAny);
    assert!(matches!(failed, Err(Error::PreconditionFailed)));
    assert!(reg.get_upload(&id).unwrap().is_some());
    assert_eq!(gc_paths(&reg), ["/p2a"]);

    // Complete with parts 1 and 2: part 3's blob and the old object's blob are garbage.
    let replaced = reg
        .complete_upload(&id, &done, &PutCondition::IfMatch("old".into()))
        .unwrap();
    assert_eq!(replaced.replaced.map(|o| o.etag), Some("old".to_owned()));
    assert_eq!(reg.get_object(b.id, b"movie").unwrap(), Some(done.clone()));
    let mut queued = gc_paths(&reg);
    queued.sort();
    assert_eq!(queued, ["/old", "/p2a", "/p3"]);
    assert_eq!(reg.get_upload(&id).unwrap(), None);
    assert!(matches!(reg.list_parts(&id, 0, 10), Err(Error::NoSuchUpload)));
    assert!(matches!(
        reg.put_part(&id, 4, &part("p4", "/p4")),
        Err(Error::NoSuchUpload)
    ));
    assert!(matches!(
        reg.complete_upload(&id, &done, &PutCondition::None),
        Err(Error::NoSuchUpload)
    ));
    let still: Vec<String> = reg.referenced_blobs().map(|b| b.unwrap().path).collect();
    assert_eq!(still, ["/p1", "/p2b"]);
    // The bucket is empty of uploads again: only the object blocks deletion.
    reg.delete_object(b.id, b"movie", &PutCondition::None).unwrap();
    reg.delete_bucket("b").unwrap();
}

#[test]
fn abort_queues_every_part_blob() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    let id = reg.create_upload(b.id, &upload_record(b"k")).unwrap();
    for n in 1..=5 {
        reg.put_part(&id, n, &part("e", &format!("/part{n}"))).unwrap();
    }
    reg.abort_upload(&id).unwrap();
    assert_eq!(gc_paths(&reg), ["/part1", "/part2", "/part3", "/part4", "/part5"]);
    assert!(matches!(reg.abort_upload(&id), Err(Error::NoSuchUpload)));
    assert!(reg.referenced_blobs().next().is_none());
    assert!(reg.list_uploads(b.id, b"", None, None, 10).unwrap().0.is_empty());
    assert!(matches!(reg.abort_upload("not-an-id"), Err(Error::NoSuchUpload)));
    assert!(matches!(reg.get_upload("../../etc"), Ok(None)));
}

#[test]
fn list_uploads_orders_by_key_then_initiation_with_markers() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    let other = reg.create_bucket("other", "o", "r", 1).unwrap();
    reg.create_upload(other.id, &upload_record(b"a")).unwrap();
    let keys: [&[u8]; 6] = [b"b", b"a", b"a\0", b"a", b"ab", b"c/d"];
    let mut ids = Vec::new();
    for key in keys {
        ids.push((
            key.to_vec(),
            reg.create_upload(b.id, &upload_record(key)).unwrap(),
        ));
    }
    let mut want = ids.clone();
    want.sort(); // by key, then id (ids grow with creation)
    let all = reg.list_uploads(b.id, b"", None, None, 100).unwrap().0;
    let got: Vec<_> = all.iter().map(|u| (u.record.key.clone(), u.id.clone())).collect();
    assert_eq!(got, want);
    assert!(all.iter().all(|u| u.bucket == b.id));

    let (a_only, more) = reg.list_uploads(b.id, b"a", None, None, 100).unwrap();
    assert_eq!(a_only.len(), 4);
    assert!(!more);

    // Key marker alone: keys after it. Key marker + upload id marker: the rest of that key too.
    let after_a = reg.list_uploads(b.id, b"", Some(b"a"), None, 100).unwrap().0;
    assert_eq!(
        after_a.iter().map(|u| u.record.key.clone()).collect::<Vec<_>>(),
        [b"a\0".to_vec(), b"ab".to_vec(), b"b".to_vec(), b"c/d".to_vec()]
    );
    let first_a = &want[0].1;
    let rest = reg
        .list_uploads(b.id, b"", Some(b"a"), Some(first_a), 100)
        .unwrap()
        .0;
    assert_eq!(rest.len(), 5);
    assert_eq!(rest[0].id, want[1].1);

    // Pagination with both markers walks everything exactly once.
    let mut seen = Vec::new();
    let (mut km, mut um): (Option<Vec<u8>>, Option<String>) = (None, None);
    loop {
        let (page, more) = reg
            .list_uploads(b.id, b"", km.as_deref(), um.as_deref(), 2)
            .unwrap();
        seen.extend(page.iter().map(|u| (u.record.key.clone(), u.id.clone())));
        if !more {
            break;
        }
        let last = page.last().unwrap();
        km = Some(last.record.key.clone());
        um = Some(last.id.clone());
    }
    assert_eq!(seen, want);
    assert!(matches!(
        reg.create_upload(u64::MAX, &upload_record(b"x")),
        Err(Error::NoSuchBucket)
    ));
}

#[test]
fn complete_retries_when_a_part_lands_concurrently() {
    // Parts written between abort/complete's snapshot and its transaction must not be orphaned:
    // exercise it by racing put_part against complete and checking no part record survives.
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    for round in 0..20 {
        let key = format!("k{round}");
        let id = reg.create_upload(b.id, &upload_record(key.as_bytes())).unwrap();
        reg.put_part(&id, 1, &part("e", &format!("/{round}/1"))).unwrap();
        let writer = {
            let (reg, id) = (reg.clone(), id.clone());
            std::thread::spawn(move || {
                (2..50)
                    .filter(|n| {
                        reg.put_part(&id, *n, &part("e", &format!("/{round}/{n}")))
                            .is_ok()
                    })
                    .count()
            })
        };
        let done = ObjectRecord {
            etag: "x-1".into(),
            blobs: vec![blob(&format!("/{round}/1"))],
            ..ObjectRecord::default()
        };
        reg.complete_upload(&id, &done, &PutCondition::None).unwrap();
        writer.join().unwrap();
        assert!(matches!(reg.list_parts(&id, 0, 100), Err(Error::NoSuchUpload)));
    }
    // Only the completed objects' first-part blobs are still referenced.
    let referenced = reg.referenced_blobs().count();
    assert_eq!(referenced, 20);
}

#[test]
fn delete_bucket_aborts_its_uploads_and_queues_their_parts() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    let other = reg.create_bucket("other", "o", "r", 1).unwrap();
    let first = reg.create_upload(b.id, &upload_record(b"k")).unwrap();
    let second = reg.create_upload(b.id, &upload_record(b"k2")).unwrap();
    let kept = reg.create_upload(other.id, &upload_record(b"k")).unwrap();
    reg.put_part(&first, 1, &part("e", "/a1")).unwrap();
    reg.put_part(&first, 2, &part("e", "/a2")).unwrap();
    reg.put_part(&second, 1, &part("e", "/b1")).unwrap();
    reg.put_part(&kept, 1, &part("e", "/kept")).unwrap();

    assert_eq!(reg.delete_bucket("b").unwrap().id, b.id);
    assert_eq!(reg.get_bucket("b").unwrap(), None);
    for id in [&first, &second] {
        assert_eq!(reg.get_upload(id).unwrap(), None);
        assert!(matches!(reg.list_parts(id, 0, 10), Err(Error::NoSuchUpload)));
        assert!(matches!(
            reg.put_part(id, 3, &part("e", "/late")),
            Err(Error::NoSuchUpload)
        ));
    }
    let mut queued = gc_paths(&reg);
    queued.sort();
    assert_eq!(queued, ["/a1", "/a2", "/b1"]);
    let still: Vec<String> = reg.referenced_blobs().map(|b| b.unwrap().path).collect();
    assert_eq!(still, ["/kept"]);
    assert_eq!(reg.list_uploads(b.id, b"", None, None, 10).unwrap().0, vec![]);
    assert_eq!(
        reg.list_uploads(other.id, b"", None, None, 10).unwrap().0.len(),
        1
    );
}

#[test]
fn delete_bucket_racing_put_part_never_orphans_a_part() {
    use std::sync::{Arc, Barrier};
    let reg = registry();
    for round in 0..30 {
        let name = format!("race{round}");
        let b = reg.create_bucket(&name, "o", "r", 1).unwrap();
        let id = reg.create_upload(b.id, &upload_record(b"k")).unwrap();
        let barrier = Arc::new(Barrier::new(3));
        let writers: Vec<_> = (0..2u32)
            .map(|t| {
                let (reg, barrier, id) = (reg.clone(), barrier.clone(), id.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (1..=20u32)
                        .filter_map(|n| {
                            let path = format!("/{round}/{t}/{n}");
                            reg.put_part(&id, t * 100 + n, &part("e", &path))
                                .ok()
                                .map(|_| path)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        barrier.wait();
        reg.delete_bucket(&name).unwrap();
        let stored: Vec<String> = writers.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let queued = gc_paths(&reg);
        for path in &stored {
            assert!(queued.contains(path), "part {path} neither referenced nor queued");
        }
        assert_eq!(reg.referenced_blobs().count(), 0);
    }
}
