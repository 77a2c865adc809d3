//! Listing against a model: a sorted key set plus a naive implementation of the S3 rules.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use metadata::{ListEntry, ListPage, ListQuery, ObjectRecord, PutCondition, Registry};

use crate::registry;

/// Small deterministic xorshift64 generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A model entry: (is a common prefix, bytes).
type Entry = (bool, Vec<u8>);

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=hay.len().checked_sub(needle.len())?).find(|&i| hay[i..].starts_with(needle))
}

/// Every entry the rules produce for `q`, ignoring `max`.
fn model(keys: &BTreeSet<Vec<u8>>, q: &ListQuery) -> Vec<Entry> {
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
    let mut out: Vec<Entry> = Vec::new();
    for key in keys {
        if !key.starts_with(&q.prefix) || q.start_after.as_ref().is_some_and(|sa| key <= sa) {
            continue;
        }
        let rest = &key[q.prefix.len()..];
        let entry = match delimiter.and_then(|d| find(rest, d).map(|p| q.prefix.len() + p + d.len())) {
            Some(len) => (true, key[..len].to_vec()),
            None => (false, key.clone()),
        };
        if entry.0 && (q.start_after.as_ref() == Some(&entry.1) || out.last() == Some(&entry)) {
            continue;
        }
        out.push(entry);
    }
    out
}

/// The page the rules produce for `q`: entries, truncated, next marker.
fn model_page(keys: &BTreeSet<Vec<u8>>, q: &ListQuery) -> (Vec<Entry>, bool, Option<Vec<u8>>) {
    if q.max == 0 {
        return (Vec::new(), false, None);
    }
    let mut all = model(keys, q);
    let truncated = all.len() > q.max;
    all.truncate(q.max);
    let marker = if truncated {
        all.last().map(|e| e.1.clone())
    } else {
        None
    };
    (all, truncated, marker)
}

fn etag_of(key: &[u8], bucket_tag: &str) -> String {
    key.iter().fold(format!("{bucket_tag}:"), |mut out, b| {
        write!(out, "{b:02x}").unwrap();
        out
    })
}

/// Converts a page to model entries, checking that each object carries its own record.
fn entries(page: &ListPage) -> Vec<Entry> {
    page.entries
        .iter()
        .map(|e| match e {
            ListEntry::Object(key, rec) => {
                assert_eq!(rec.etag, etag_of(key, "mid"), "wrong record for key {key:?}");
                (false, key.clone())
            }
            ListEntry::CommonPrefix(p) => (true, p.clone()),
        })
        .collect()
}

fn key_set() -> BTreeSet<Vec<u8>> {
    let fixed: [&[u8]; 21] = [
        b"a",
        b"a-b",
        b"a.b",
        b"a/",
        b"a/b",
        b"a/b/c",
        b"a0",
        b"b",
        "é".as_bytes(),
        "日本".as_bytes(),
        b"\x01",
        b"a b",
        b"a+b",
        b"100%",
        b"/lead",
        b"trail/",
        b"aab",
        b"xabyabz",
        b"a/\xff",
        b"\xff\xff",
        b"a\xff/b",
    ];
    let mut keys: BTreeSet<Vec<u8>> = fixed.iter().map(|k| k.to_vec()).collect();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"ab/-.";
    while keys.len() < fixed.len() + 40 {
        let len = 1 + rng.below(7) as usize;
        let key: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(3) == 0 {
                    rng.below(0xFF) as u8 // any byte but 0xFF
                } else {
                    alphabet[rng.below(alphabet.len() as u64) as usize]
                }
            })
            .collect();
        keys.insert(key);
    }
    keys
}

/// A registry with the keys in a middle bucket and the same keys in buckets on either side (so a
/// scan that leaves its bucket shows up as wrong records).
fn populated(keys: &BTreeSet<Vec<u8>>) -> (Registry, u64) {
    let reg = registry();
    let mut mid = 0;
    for tag in ["lo", "mid", "hi"] {
        let b = reg.create_bucket(tag, "o", "r", 1).unwrap();
        if tag == "mid" {
            mid = b.id;
        }
        for key in keys {
            let rec = ObjectRecord {
                etag: etag_of(key, tag),
                ..ObjectRecord::default()
            };
            reg.put_object(b.id, key, &rec, &PutCondition::None).unwrap();
        }
    }
    (reg, mid)
}

#[test]
fn pages_and_full_pagination_match_the_model() {
    let keys = key_set();
    let (reg, bucket) = populated(&keys);
    let mut prefixes: BTreeSet<Vec<u8>> = keys
        .iter()
        .flat_map(|k| (0..=k.len()).map(|n| k[..n].to_vec()))
        .collect();
    prefixes.extend([b"zz".to_vec(), b"a/b/c/d".to_vec(), b"\xff\xff\xff".to_vec()]);
    let delimiters: [Option<&[u8]>; 5] = [None, Some(b"/"), Some(b"-"), Some(b"ab"), Some(b"")];
    let mut markers: Vec<Option<Vec<u8>>> = vec![None];
    markers.extend(keys.iter().step_by(5).map(|k| Some(k.clone())));
    markers.extend([
        Some(b"a/".to_vec()),
        Some(b"a/b/".to_vec()),
        Some(b"xab".to_vec()),
        Some(Vec::new()),
    ]);

    let mut checked = 0u64;
    for prefix in &prefixes {
        for delimiter in delimiters {
            for start_after in &markers {
                for max in [0, 1, 2, 3, 1000] {
                    let q = ListQuery {
                        prefix: prefix.clone(),
                        delimiter: delimiter.map(<[u8]>::to_vec),
                        start_after: start_after.clone(),
                        max,
                    };
                    let page = reg.list_objects(bucket, &q).unwrap();
                    let (want, truncated, marker) = model_page(&keys, &q);
                    assert_eq!(entries(&page), want, "{q:?}");
                    assert_eq!((page.truncated, &page.next_marker), (truncated, &marker), "{q:?}");
                    checked += 1;
                }
            }
            // Full pagination from the start yields exactly the model's full listing.
            let full = model(
                &keys,
                &ListQuery {
                    prefix: prefix.clone(),
                    delimiter: delimiter.map(<[u8]>::to_vec),
                    start_after: None,
                    max: 0,
                },
            );
            for max in [1, 2, 3, 1000] {
                let mut q = ListQuery {
                    prefix: prefix.clone(),
                    delimiter: delimiter.map(<[u8]>::to_vec),
                    start_after: None,
                    max,
                };
                let mut got = Vec::new();
                for _ in 0..=keys.len() + 1 {
                    let page = reg.list_objects(bucket, &q).unwrap();
                    assert!(page.entries.len() <= max);
                    got.extend(entries(&page));
                    if !page.truncated {
                        break;
                    }
                    assert!(!page.entries.is_empty(), "truncated empty page for {q:?}");
                    q.start_after = page.next_marker.clone();
                }
                assert_eq!(
                    got, full,
                    "pagination of prefix {prefix:?} delimiter {delimiter:?} max {max}"
                );
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn empty_bucket_and_unknown_bucket_list_nothing() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    let q = ListQuery {
        max: 10,
        delimiter: Some(b"/".to_vec()),
        ..ListQuery::default()
    };
    let page = reg.list_objects(b.id, &q).unwrap();
    assert!(page.entries.is_empty() && !page.truncated && page.next_marker.is_none());
    // The last possible bucket id: no successor key exists past it.
    assert!(reg.list_objects(u64::MAX, &q).unwrap().entries.is_empty());
}

#[test]
fn a_page_under_a_huge_common_prefix_costs_a_few_steps() {
    let reg = registry();
    let b = reg.create_bucket("big", "o", "r", 1).unwrap();
    let rec = ObjectRecord {
        etag: "e".to_owned(),
        ..ObjectRecord::default()
    };
    // Four writers: a PostgreSQL put is a few round trips, and they overlap.
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let (reg, rec) = (&reg, &rec);
            s.spawn(move || {
                for n in (t..100_000u32).step_by(4) {
                    reg.put_object(b.id, format!("x/{n:06}").as_bytes(), rec, &PutCondition::None)
                        .unwrap();
                }
            });
        }
    });
    reg.put_object(b.id, b"y", &rec, &PutCondition::None).unwrap();
    let slash = Some(b"/".to_vec());

    let page = reg
        .list_objects(
            b.id,
            &ListQuery {
                delimiter: slash.clone(),
                max: 1000,
                ..ListQuery::default()
            },
        )
        .unwrap();
    let got: Vec<&[u8]> = page.entries.iter().map(ListEntry::marker).collect();
    assert_eq!(got, [b"x/".as_slice(), b"y"]);
    assert!(!page.truncated);
    assert!(page.scanned <= 3, "scanned {} records", page.scanned);

    // One entry per page: the continuation after `x/` seeks past all 100k keys.
    let first = reg
        .list_objects(
            b.id,
            &ListQuery {
                delimiter: slash.clone(),
                max: 1,
                ..ListQuery::default()
            },
        )
        .unwrap();
    assert_eq!(
        (first.truncated, first.next_marker.as_deref()),
        (true, Some(b"x/".as_slice()))
    );
    assert!(first.scanned <= 3, "scanned {}", first.scanned);
    let second = reg
        .list_objects(
            b.id,
            &ListQuery {
                delimiter: slash,
                start_after: first.next_marker,
                max: 1,
                ..ListQuery::default()
            },
        )
        .unwrap();
    assert_eq!(
        second.entries.iter().map(ListEntry::marker).collect::<Vec<_>>(),
        [b"y".as_slice()]
    );
    assert!(!second.truncated);
    assert!(second.scanned <= 3, "scanned {}", second.scanned);

    // Without a delimiter a page of 10 reads 11 records (one to detect truncation).
    let plain = reg
        .list_objects(
            b.id,
            &ListQuery {
                prefix: b"x/05".to_vec(),
                max: 10,
                ..ListQuery::default()
            },
        )
        .unwrap();
    assert_eq!(plain.entries.len(), 10);
    assert!(plain.truncated);
    assert_eq!(plain.scanned, 11);
}
