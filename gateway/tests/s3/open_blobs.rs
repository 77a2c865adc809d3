//! The open-blob cache (`store::open`) on the real volume: a second read of a blob reuses the
//! file the first one opened, the bound evicts the least recently used, a delete lets go of the
//! cached file, and a read already holding a file survives the blob's deletion.

use std::sync::Arc;

use gateway::store::BlobStore;

use crate::common::{remove_root, volume};

fn put(store: &BlobStore, bytes: &[u8]) -> String {
    let mut w = store.writer(1).unwrap();
    w.write(bytes).unwrap();
    w.finish(b"{}").unwrap().0
}

fn read_all(f: &gfapi::File, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    assert_eq!(f.read_full_at(&mut buf, 0).unwrap(), len);
    buf
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_reuse_open_blobs_within_the_bound_and_deletes_let_go() {
    let root = format!("/glusters3-test/open-{:016x}", rand::random::<u64>());
    let root2 = root.clone();
    tokio::task::spawn_blocking(move || {
        let store = BlobStore::open(volume(), &root2).unwrap().with_open_blobs(2);
        store.create_bucket_dirs(1).unwrap();
        let (p1, p2, p3) = (put(&store, b"one"), put(&store, b"two"), put(&store, b"three"));

        // Open once, then served from the cache: the very same file.
        let first = store.open_blob(&p1).unwrap();
        let again = store.open_blob(&p1).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second read reuses the open file"
        );
        assert_eq!(read_all(&again, 3), b"one");
        assert_eq!(store.open_blobs().stats(), (1, 1, 1));

        // A second blob, then p1 read again: p2 is now the least recently used (p1 the
        // earliest opened), so a third blob evicts p2 and keeps p1.
        let p2_first = store.open_blob(&p2).unwrap();
        assert!(Arc::ptr_eq(&first, &store.open_blob(&p1).unwrap()));
        store.open_blob(&p3).unwrap();
        assert_eq!(store.open_blobs().stats().0, 2);
        assert!(
            Arc::ptr_eq(&first, &store.open_blob(&p1).unwrap()),
            "p1, read recently, was kept"
        );
        let reopened = store.open_blob(&p2).unwrap();
        assert!(
            !Arc::ptr_eq(&p2_first, &reopened),
            "p2, the least recently used, was evicted and opened afresh"
        );
        assert_eq!(read_all(&reopened, 3), b"two");

        // A read that holds a file finishes even if the blob is deleted meanwhile; the delete
        // drops the cached copy, and the blob is then gone for new reads.
        let held = store.open_blob(&p3).unwrap();
        let kept = store.open_blobs().stats().0;
        store.delete(&p3).unwrap();
        assert_eq!(
            store.open_blobs().stats().0,
            kept - 1,
            "the delete let go of the cached file"
        );
        assert_eq!(read_all(&held, 5), b"three");
        let gone = store.open_blob(&p3).unwrap_err();
        assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);

        // A file opened before a delete (of any blob) is not kept after it: it may be of a blob
        // unlinked meanwhile, and would pin its space.
        store.forget_open(&p1);
        let kept = store.open_blobs().stats().0;
        let epoch = store.open_blobs().epoch();
        let raced = Arc::new(store.open_blob_uncached(&p1).unwrap());
        store.delete(&p3).unwrap(); // already gone: still a removal
        assert!(store.open_blobs().insert(&p1, raced.clone(), epoch).is_none());
        assert_eq!(store.open_blobs().stats().0, kept, "nothing was kept");
        assert!(
            !Arc::ptr_eq(&raced, &store.open_blob(&p1).unwrap()),
            "a file opened before a delete is not kept"
        );

        // forget_open (after a failed read) drops the cached file too.
        let before = store.open_blob(&p2).unwrap();
        store.forget_open(&p2);
        assert!(!Arc::ptr_eq(&before, &store.open_blob(&p2).unwrap()));

        // Bound 0: nothing is kept.
        let none = BlobStore::open(volume(), &root2).unwrap().with_open_blobs(0);
        let once = none.open_blob(&p1).unwrap();
        let twice = none.open_blob(&p1).unwrap();
        assert!(!Arc::ptr_eq(&once, &twice));
        assert_eq!(none.open_blobs().stats().0, 0);
    })
    .await
    .unwrap();
    remove_root(root).await;
}
