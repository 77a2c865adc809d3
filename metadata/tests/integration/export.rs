//! Export and import: a full round trip, id continuity, and refusal of bad input.

use std::fmt::Write as _;

use metadata::{Error, ListQuery, PartRecord, PutCondition, Registry, UploadRecord};

use crate::{blob, object, registry};

fn populate() -> Registry {
    populate_into(registry())
}

fn populate_into(reg: Registry) -> Registry {
    let a = reg.create_bucket("alpha", "alice", "eu-west-1", 11).unwrap();
    let b = reg.create_bucket("beta", "bob", "us-east-1", 12).unwrap();
    for key in ["x", "y/z", "é"] {
        reg.put_object(
            a.id,
            key.as_bytes(),
            &object(key, &format!("/a/{key}")),
            &PutCondition::None,
        )
        .unwrap();
    }
    let mut multi = object("m-2", "/b/1");
    multi.blobs.push(blob("/b/2"));
    multi.parts = vec![3, 3];
    reg.put_object(b.id, b"\x00bin\xff", &multi, &PutCondition::None)
        .unwrap();
    reg.put_object(b.id, b"\x00bin\xff", &multi, &PutCondition::None)
        .unwrap();
    reg.put_object(a.id, b"x", &object("x2", "/a/x2"), &PutCondition::None)
        .unwrap(); // queues /a/x
    let tag = vec![("t".to_owned(), "1".to_owned())];
    reg.set_object_tags(a.id, b"x", &tag).unwrap();
    reg.set_bucket_tags("beta", &tag).unwrap();
    let up = reg
        .create_upload(
            b.id,
            &UploadRecord {
                key: b"up".to_vec(),
                initiated_ms: 3,
                tags: vec![("u".to_owned(), String::new())],
                ..UploadRecord::default()
            },
        )
        .unwrap();
    reg.put_part(
        &up,
        1,
        &PartRecord {
            size: 3,
            etag: "p".into(),
            blob: blob("/b/p1"),
            ..PartRecord::default()
        },
    )
    .unwrap();
    reg
}

fn snapshot(reg: &Registry) -> String {
    let (buckets, _) = reg.list_buckets(None, None, 100).unwrap();
    let mut out = format!("{buckets:?}\n");
    for b in &buckets {
        let all = ListQuery {
            max: 100,
            ..ListQuery::default()
        };
        writeln!(out, "{:?}", reg.list_objects(b.id, &all).unwrap().entries).unwrap();
        for u in reg.list_uploads(b.id, b"", None, None, 100).unwrap().0 {
            writeln!(out, "{u:?} {:?}", reg.list_parts(&u.id, 0, 100).unwrap()).unwrap();
        }
    }
    write!(out, "{:?}", reg.gc_pending(100).unwrap()).unwrap();
    out
}

#[test]
fn round_trip_preserves_everything() {
    let src = populate();
    let mut stream = Vec::new();
    let written = src.export(&mut stream).unwrap();
    assert_eq!(written, 2 + 4 + 1 + 1 + 1);

    let dst = registry();
    assert_eq!(dst.import(&mut stream.as_slice()).unwrap(), written);
    assert_eq!(snapshot(&dst), snapshot(&src));
    assert!(snapshot(&dst).contains("/b/p1"));

    // New ids in the imported registry never collide with imported ones.
    let (buckets, _) = dst.list_buckets(None, None, 100).unwrap();
    let fresh = dst.create_bucket("gamma", "o", "r", 1).unwrap();
    assert!(buckets.iter().all(|b| b.id < fresh.id));
    let uploads = dst.list_uploads(buckets[1].id, b"", None, None, 10).unwrap().0;
    let new_upload = dst
        .create_upload(
            buckets[1].id,
            &UploadRecord {
                key: b"up".to_vec(),
                ..UploadRecord::default()
            },
        )
        .unwrap();
    assert!(uploads.iter().all(|u| u.id < new_upload));
    let before = dst.gc_pending(100).unwrap();
    dst.gc_enqueue(&[blob("/new")]).unwrap();
    let after = dst.gc_pending(100).unwrap();
    assert_eq!(after.len(), before.len() + 1);
    assert!(before.iter().all(|(id, _)| *id < after.last().unwrap().0));

    // An imported registry exports the same stream.
    let again = registry();
    again.import(&mut stream.as_slice()).unwrap();
    let mut second = Vec::new();
    again.export(&mut second).unwrap();
    assert_eq!(second, stream);
}

/// sled -> PostgreSQL -> sled, compared object for object (and counter for counter) at each
/// step: the migration path between engines. Needs `GLUSTERS3_TEST_POSTGRES`.
#[test]
fn moves_between_sled_and_postgres_both_ways() {
    let Some(base) = crate::pg::base_url() else {
        eprintln!("moves_between_sled_and_postgres_both_ways: GLUSTERS3_TEST_POSTGRES unset, skipped");
        return;
    };
    let sled = populate_into(Registry::open_temporary().unwrap());
    let mut stream = Vec::new();
    sled.export(&mut stream).unwrap();
    let pg = Registry::open_url(&crate::pg::fresh_schema(&base)).unwrap();
    pg.import(&mut stream.as_slice()).unwrap();
    assert_eq!(snapshot(&pg), snapshot(&sled));
    assert_eq!(pg.all_bucket_stats().unwrap(), sled.all_bucket_stats().unwrap());

    let mut back_stream = Vec::new();
    pg.export(&mut back_stream).unwrap();
    assert_eq!(back_stream, stream, "the same records in the same order");
    let back = Registry::open_temporary().unwrap();
    back.import(&mut back_stream.as_slice()).unwrap();
    assert_eq!(snapshot(&back), snapshot(&sled));
    assert_eq!(back.all_bucket_stats().unwrap(), sled.all_bucket_stats().unwrap());
}

#[test]
fn import_refuses_non_empty_targets_and_bad_streams() {
    let src = populate();
    let mut stream = Vec::new();
    src.export(&mut stream).unwrap();
    assert!(matches!(
        src.import(&mut stream.as_slice()),
        Err(Error::ImportTargetNotEmpty)
    ));

    for cut in [0, 10, stream.len() / 2, stream.len() - 1] {
        let res = registry().import(&mut &stream[..cut]);
        assert!(matches!(res, Err(Error::Corrupt(_))), "cut at {cut}: {res:?}");
    }
    let mut wrong_version = stream.clone();
    wrong_version[b"glusters3-registry-export\n".len()] = 2;
    assert!(matches!(
        registry().import(&mut wrong_version.as_slice()),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        registry().import(&mut &b"hello world, not a registry"[..]),
        Err(Error::Corrupt(_))
    ));
    // A record body with an unknown value version byte.
    let mut bad_value = stream.clone();
    let first_body = b"glusters3-registry-export\n".len() + 1 + 5;
    bad_value[first_body] = 7;
    assert!(matches!(
        registry().import(&mut bad_value.as_slice()),
        Err(Error::Corrupt(_))
    ));
}
