//! Per-bucket counters: every write that changes an object moves them exactly, against a model
//! and against a listing of what is really stored, also under concurrent writers.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;

use metadata::{
    BucketStats, Error, ListEntry, ListQuery, ObjectRecord, PartRecord, PutCondition, Registry, UploadRecord,
};

use crate::{blob, registry};

fn sized(size: u64, path: &str) -> ObjectRecord {
    ObjectRecord {
        size,
        etag: format!("e{size}"),
        blobs: vec![blob(path)],
        ..ObjectRecord::default()
    }
}

fn stats(objects: u64, bytes: u64) -> BucketStats {
    BucketStats { objects, bytes }
}

/// What a full listing of bucket `id` says it holds (the ground truth the counters must match).
fn listed(reg: &Registry, id: u64) -> BucketStats {
    let mut q = ListQuery {
        max: 1000,
        ..ListQuery::default()
    };
    let mut total = BucketStats::default();
    loop {
        let page = reg.list_objects(id, &q).unwrap();
        for e in &page.entries {
            if let ListEntry::Object(_, rec) = e {
                total.objects += 1;
                total.bytes += rec.size;
            }
        }
        if !page.truncated {
            return total;
        }
        q.start_after = page.next_marker;
    }
}

/// Completes a one-part upload of `key` of `size` bytes under `cond`.
fn complete(
    reg: &Registry,
    bucket: u64,
    key: &[u8],
    size: u64,
    cond: &PutCondition,
) -> Result<Option<ObjectRecord>, Error> {
    let up = reg
        .create_upload(
            bucket,
            &UploadRecord {
                key: key.to_vec(),
                ..UploadRecord::default()
            },
        )
        .unwrap();
    let path = format!("/parts/{up}");
    reg.put_part(
        &up,
        1,
        &PartRecord {
            size,
            etag: "p".into(),
            blob: blob(&path),
            ..PartRecord::default()
        },
    )
    .unwrap();
    let mut rec = sized(size, &path);
    rec.parts = vec![size];
    let done = reg.complete_upload(&up, &rec, cond);
    if done.is_err() {
        reg.abort_upload(&up).unwrap();
    }
    done.map(|c| c.replaced)
}

#[test]
fn put_overwrite_tag_delete() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap().id;
    let other = reg.create_bucket("other", "o", "r", 1).unwrap().id;
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(0, 0));

    reg.put_object(b, b"k", &sized(3, "/1"), &PutCondition::None)
        .unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 3));
    reg.put_object(b, b"k", &sized(10, "/2"), &PutCondition::None)
        .unwrap();
    assert_eq!(
        reg.bucket_stats(b).unwrap(),
        stats(1, 10),
        "overwrite: same count"
    );
    reg.put_object(b, b"j", &sized(0, "/3"), &PutCondition::None)
        .unwrap();
    assert_eq!(
        reg.bucket_stats(b).unwrap(),
        stats(2, 10),
        "an empty object counts"
    );

    // A failed condition changes nothing; nor do tags.
    let pf = reg.put_object(b, b"k", &sized(99, "/x"), &PutCondition::IfNoneMatchAny);
    assert!(matches!(pf, Err(Error::PreconditionFailed)));
    let pf = reg.delete_object(b, b"k", &PutCondition::IfMatch("nope".into()));
    assert!(matches!(pf, Err(Error::PreconditionFailed)));
    reg.set_object_tags(b, b"k", &[("t".into(), "1".into())]).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(2, 10));

    reg.put_object(other, b"k", &sized(5, "/o"), &PutCondition::None)
        .unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(2, 10), "buckets are separate");
    assert_eq!(reg.bucket_stats(other).unwrap(), stats(1, 5));

    reg.delete_object(b, b"k", &PutCondition::None).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 0));
    reg.delete_object(b, b"k", &PutCondition::None).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 0), "deleting nothing");
    reg.delete_object(b, b"j", &PutCondition::None).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(0, 0));

    let all = reg.all_bucket_stats().unwrap();
    assert_eq!(all.get(&other), Some(&stats(1, 5)));
    assert_eq!(all.get(&b), None, "an empty bucket has no rows");
}

#[test]
fn multipart_counts_only_completed_objects() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap().id;
    let up = reg
        .create_upload(
            b,
            &UploadRecord {
                key: b"m".to_vec(),
                ..UploadRecord::default()
            },
        )
        .unwrap();
    reg.put_part(
        &up,
        1,
        &PartRecord {
            size: 100,
            blob: blob("/p1"),
            ..PartRecord::default()
        },
    )
    .unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(0, 0), "parts are not objects");
    reg.abort_upload(&up).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(0, 0));

    complete(&reg, b, b"m", 100, &PutCondition::None).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 100));
    complete(&reg, b, b"m", 40, &PutCondition::None).unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 40), "completed over a key");
    let pf = complete(&reg, b, b"m", 7, &PutCondition::IfNoneMatchAny);
    assert!(matches!(pf, Err(Error::PreconditionFailed)));
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 40));
}

#[test]
fn delete_bucket_drops_its_counters() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap().id;
    reg.put_object(b, b"k", &sized(3, "/1"), &PutCondition::None)
        .unwrap();
    assert!(matches!(reg.delete_bucket("b"), Err(Error::BucketNotEmpty)));
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(1, 3));
    reg.delete_object(b, b"k", &PutCondition::None).unwrap();
    reg.delete_bucket("b").unwrap();
    assert_eq!(reg.bucket_stats(b).unwrap(), stats(0, 0));
    assert!(reg.all_bucket_stats().unwrap().is_empty());
    // The name again: a new id, counted from zero.
    let again = reg.create_bucket("b", "o", "r", 2).unwrap().id;
    assert_ne!(again, b);
    assert_eq!(reg.bucket_stats(again).unwrap(), stats(0, 0));
}

#[test]
fn import_recounts() {
    let src = registry();
    let a = src.create_bucket("a", "o", "r", 1).unwrap().id;
    let b = src.create_bucket("b", "o", "r", 1).unwrap().id;
    for i in 0..50u64 {
        let key = format!("k{i}");
        src.put_object(
            a,
            key.as_bytes(),
            &sized(i, &format!("/a{i}")),
            &PutCondition::None,
        )
        .unwrap();
    }
    src.put_object(b, b"x", &sized(9, "/b"), &PutCondition::None)
        .unwrap();
    complete(&src, b, b"y", 11, &PutCondition::None).unwrap();
    let mut stream = Vec::new();
    src.export(&mut stream).unwrap();

    let dst = registry();
    dst.import(&mut stream.as_slice()).unwrap();
    assert_eq!(dst.bucket_stats(a).unwrap(), stats(50, (0..50).sum()));
    assert_eq!(dst.bucket_stats(b).unwrap(), stats(2, 20));
    assert_eq!(dst.all_bucket_stats().unwrap(), src.all_bucket_stats().unwrap());
    // And they keep moving after the import.
    dst.delete_object(a, b"k49", &PutCondition::None).unwrap();
    assert_eq!(dst.bucket_stats(a).unwrap(), stats(49, (0..49).sum()));
}

/// Small deterministic xorshift64 generator.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % n
    }
}

/// Random puts (plain and conditional), multipart completions, tag changes and deletes over a
/// few keys of two buckets, each checked against a map of key -> size.
#[test]
fn random_operations_match_a_model() {
    let reg = registry();
    let buckets = [
        reg.create_bucket("m1", "o", "r", 1).unwrap().id,
        reg.create_bucket("m2", "o", "r", 1).unwrap().id,
    ];
    let mut model: HashMap<(u64, Vec<u8>), u64> = HashMap::new();
    let mut rng = XorShift(0x5EED_57A7);
    for step in 0..1500 {
        let bucket = buckets[usize::try_from(rng.below(2)).unwrap()];
        let key = format!("key-{}", rng.below(6)).into_bytes();
        let size = rng.below(5000);
        let exists = model.contains_key(&(bucket, key.clone()));
        let path = format!("/s{step}");
        match rng.below(6) {
            0 | 1 => {
                reg.put_object(bucket, &key, &sized(size, &path), &PutCondition::None)
                    .unwrap();
                model.insert((bucket, key), size);
            }
            2 => {
                let r = reg.put_object(bucket, &key, &sized(size, &path), &PutCondition::IfNoneMatchAny);
                assert_eq!(r.is_ok(), !exists, "step {step}");
                if !exists {
                    model.insert((bucket, key), size);
                }
            }
            3 => {
                complete(&reg, bucket, &key, size, &PutCondition::None).unwrap();
                model.insert((bucket, key), size);
            }
            4 => {
                let tags = vec![("n".to_owned(), step.to_string())];
                let r = reg.set_object_tags(bucket, &key, &tags).unwrap();
                assert_eq!(r.is_some(), exists, "step {step}");
            }
            _ => {
                let r = reg.delete_object(bucket, &key, &PutCondition::None).unwrap();
                assert_eq!(
                    r.removed.map(|o| o.size),
                    model.remove(&(bucket, key)),
                    "step {step}"
                );
            }
        }
        for b in buckets {
            let mut want = BucketStats::default();
            for ((mb, _), size) in &model {
                if *mb == b {
                    want.objects += 1;
                    want.bytes += size;
                }
            }
            assert_eq!(reg.bucket_stats(b).unwrap(), want, "step {step}, bucket {b}");
        }
    }
    for b in buckets {
        assert_eq!(reg.bucket_stats(b).unwrap(), listed(&reg, b));
    }
}

/// Threads writing, overwriting, completing and deleting in one bucket, on keys they share
/// (same-key races) and across shards: the totals end exactly what the bucket holds.
#[test]
fn concurrent_writers_end_with_exact_totals() {
    const THREADS: u64 = 6;
    const OPS: u64 = 300;
    let reg = registry();
    let b = reg.create_bucket("c", "o", "r", 1).unwrap().id;
    let start = Arc::new(Barrier::new(usize::try_from(THREADS).unwrap()));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let reg = reg.clone();
            let start = start.clone();
            thread::spawn(move || {
                let mut rng = XorShift(0x1234_5678 + t * 7919);
                start.wait();
                for i in 0..OPS {
                    let key = format!("shared-{}", rng.below(40)).into_bytes();
                    let size = rng.below(10_000);
                    let path = format!("/t{t}-{i}");
                    match rng.below(5) {
                        0 | 1 => {
                            reg.put_object(b, &key, &sized(size, &path), &PutCondition::None)
                                .unwrap();
                        }
                        2 => {
                            // Loses the race whenever the key exists: fine.
                            let _ =
                                reg.put_object(b, &key, &sized(size, &path), &PutCondition::IfNoneMatchAny);
                        }
                        3 => {
                            complete(&reg, b, &key, size, &PutCondition::None).unwrap();
                        }
                        _ => {
                            reg.delete_object(b, &key, &PutCondition::None).unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let truth = listed(&reg, b);
    assert!(truth.objects > 0, "the test wrote something");
    assert_eq!(reg.bucket_stats(b).unwrap(), truth);
    assert_eq!(reg.all_bucket_stats().unwrap().get(&b), Some(&truth));
}
