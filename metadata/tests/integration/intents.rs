//! Intents of new blobs: recorded, listed, replaced, ended by hand and by the commit that
//! references the blob (object and part), and kept by a commit that fails.

use std::collections::BTreeSet;

use metadata::{Error, Intent, PartRecord, PutCondition, Registry, UploadRecord};

use crate::{blob, object, registry};

fn intent(path: &str, owner: &str, since_ms: u64) -> Intent {
    Intent {
        blob: blob(path),
        owner: owner.to_owned(),
        since_ms,
    }
}

fn paths(reg: &Registry) -> BTreeSet<String> {
    reg.intents().unwrap().into_iter().map(|i| i.blob.path).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn intents_are_listed_replaced_and_ended() {
    let reg = registry();
    assert!(reg.intents().unwrap().is_empty());
    reg.intent_begin(&intent("/b/1", "aaaa0000-11111111", 5)).unwrap();
    reg.intent_begin(&intent("/b/2", "aaaa0000-11111111", 6)).unwrap();
    reg.intent_begin(&intent("/b/1", "aaaa0000-22222222", 7)).unwrap();
    let all = reg.intents().unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let first = all.iter().find(|i| i.blob.path == "/b/1").unwrap();
    assert_eq!(
        (first.owner.as_str(), first.since_ms),
        ("aaaa0000-22222222", 7),
        "replaced"
    );
    reg.intent_end("/b/1").unwrap();
    reg.intent_end("/b/1").unwrap();
    reg.intent_end("/never").unwrap();
    assert_eq!(paths(&reg), set(&["/b/2"]));
}

#[test]
fn commits_end_the_intents_of_their_blobs() {
    let reg = registry();
    let b = reg.create_bucket("b", "o", "r", 1).unwrap();
    for p in ["/obj", "/part", "/other", "/failed"] {
        reg.intent_begin(&intent(p, "n-b", 1)).unwrap();
    }
    reg.put_object(b.id, b"k", &object("e1", "/obj"), &PutCondition::None)
        .unwrap();
    assert_eq!(paths(&reg), set(&["/part", "/other", "/failed"]));

    let up = reg
        .create_upload(
            b.id,
            &UploadRecord {
                key: b"m".to_vec(),
                ..UploadRecord::default()
            },
        )
        .unwrap();
    let part = PartRecord {
        size: 3,
        etag: "p".to_owned(),
        mtime_ms: 1,
        checksums: vec![],
        blob: blob("/part"),
        sse_nonce: None,
    };
    reg.put_part(&up, 1, &part).unwrap();
    assert_eq!(paths(&reg), set(&["/other", "/failed"]));

    // A commit that fails (its condition does not hold) leaves the intent: its writer ends it
    // after deleting the file.
    assert!(matches!(
        reg.put_object(
            b.id,
            b"k",
            &object("e2", "/failed"),
            &PutCondition::IfNoneMatchAny
        ),
        Err(Error::PreconditionFailed)
    ));
    assert_eq!(paths(&reg), set(&["/other", "/failed"]));
}
