//! The pool of pre-created temp files (`store::pool`) on the real volume: writers draw from it,
//! what they write lands under the final name, and a discarded bucket or a stopped pool leaves
//! no temp file behind.

use std::time::{Duration, Instant};

use gateway::store::scan::FileKind;
use gateway::store::BlobStore;

use crate::common::{remove_root, volume};

/// (temp files, of which written to, finished blobs) in a bucket's directories.
fn census(store: &BlobStore, bucket_id: u64) -> (usize, usize, usize) {
    let (mut temps, mut written, mut blobs) = (0, 0, 0);
    let errors = store.walk_bucket(bucket_id, &mut |f| match f.kind {
        FileKind::Temp => {
            temps += 1;
            written += usize::from(f.size > 0);
        }
        FileKind::Blob => blobs += 1,
        FileKind::Unexpected => panic!("unexpected file {}", f.path),
    });
    assert!(errors.is_empty(), "walk errors: {errors:?}");
    (temps, written, blobs)
}

/// Polls `cond` for up to 10 s.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn writers_draw_pooled_temp_files_and_nothing_is_left_behind() {
    let root = format!("/glusters3-test/pool-{:016x}", rand::random::<u64>());
    let root2 = root.clone();
    tokio::task::spawn_blocking(move || {
        let store = BlobStore::open(volume(), &root2)
            .unwrap()
            .with_temp_pool(4)
            .unwrap();
        let pool = store.temp_pool().expect("a pool was asked for");
        store.create_bucket_dirs(1).unwrap();
        store.create_bucket_dirs(2).unwrap();

        // The first writer of a bucket finds its pool empty and creates its own file...
        let mut w = store.writer(1).unwrap();
        assert_eq!(pool.stats(), (0, 1));
        w.write(b"first").unwrap();
        let (p1, _) = w.finish(b"{}").unwrap();
        // ...and the pool fills up behind it (two deep: it deepened when found empty).
        eventually("the pool to fill", || census(&store, 1).0 == 2);
        assert_eq!(census(&store, 1), (2, 0, 1));

        // The next writers are served from the pool; the bytes land under the final name.
        let mut paths = vec![p1];
        for i in 0..2u8 {
            let mut w = store.writer(1).unwrap();
            w.write(&[i; 1000]).unwrap();
            paths.push(w.finish(b"{}").unwrap().0);
        }
        let (hits, _) = pool.stats();
        assert_eq!(hits, 2, "writers after the first are served from the pool");
        for (i, p) in paths.iter().enumerate().skip(1) {
            let f = volume().open(p, libc::O_RDONLY).unwrap();
            let mut buf = vec![0u8; 1000];
            assert_eq!(f.read_full_at(&mut buf, 0).unwrap(), 1000);
            assert!(
                buf.iter().all(|b| usize::from(*b) == i - 1),
                "{p} holds what was written"
            );
        }

        // A writer dropped unfinished (a failed upload) removes its pooled temp file.
        eventually("the pool to refill", || census(&store, 1).0 >= 2);
        let mut w = store.writer(1).unwrap();
        w.write(b"never finished").unwrap();
        drop(w);
        let (_, written, blobs) = census(&store, 1);
        assert_eq!((written, blobs), (0, 3), "no written temp file, no new blob");

        // Discarding a bucket (DeleteBucket) unlinks its pooled files.
        eventually("the pool to refill", || census(&store, 1).0 >= 2);
        pool.discard(1);
        eventually("the discarded pool to go", || census(&store, 1).0 == 0);

        // Stopping the pool unlinks what it holds; later writers create their own files.
        drop(store.writer(2).unwrap());
        eventually("bucket 2's pool to fill", || census(&store, 2).0 >= 1);
        store.stop_temp_pool();
        assert_eq!(census(&store, 2).0, 0, "a stopped pool leaves no temp file");
        let misses = pool.stats().1;
        let mut w = store.writer(2).unwrap();
        w.write(b"after stop").unwrap();
        w.finish(b"{}").unwrap();
        assert_eq!(pool.stats().1, misses, "a stopped pool is not asked");
        assert_eq!(census(&store, 2), (0, 0, 1));
    })
    .await
    .unwrap();
    remove_root(root).await;
}
