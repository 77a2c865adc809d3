//! The PostgreSQL side of the suite: a fresh schema per registry, and the tests only PostgreSQL
//! has a reason for (several handles on one database, as several gateways would hold).
//!
//! Schemas are named `gs3t_<unix secs>_<pid>_<n>`; the first registry of a test process drops
//! those older than an hour, so a throwaway cluster does not fill up run after run. The tests
//! below pass vacuously (and say so on stderr) when `GLUSTERS3_TEST_POSTGRES` is unset.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Once};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use metadata::{BlobRef, Error, PutCondition, Registry};

use crate::{blob, object};

/// The base URL of the test server, if the PostgreSQL run was asked for.
pub(crate) fn base_url() -> Option<String> {
    std::env::var("GLUSTERS3_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Runs `sql` on the server at `base`.
fn execute(base: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
            .await
            .expect("connect to GLUSTERS3_TEST_POSTGRES");
        let conn = tokio::spawn(conn);
        client.batch_execute(sql).await.expect(sql);
        drop(client);
        let _ = conn.await;
    });
}

/// Creates a new schema and returns `base` with it as the search path.
pub(crate) fn fresh_schema(base: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static CLEANUP: Once = Once::new();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    CLEANUP.call_once(|| drop_old_schemas(base, now.saturating_sub(3600)));
    let schema = format!(
        "gs3t_{now}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    execute(base, &format!("CREATE SCHEMA {schema}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// Drops the test schemas created before `cutoff` (Unix seconds).
fn drop_old_schemas(base: &str, cutoff: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let old: Vec<String> = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
            .await
            .expect("connect to GLUSTERS3_TEST_POSTGRES");
        tokio::spawn(conn);
        let rows = client
            .query(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'gs3t\\_%'",
                &[],
            )
            .await
            .unwrap();
        rows.iter().map(|r| r.get::<_, String>(0)).collect()
    });
    for schema in old {
        let created = schema.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|c| c < cutoff) {
            execute(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Two handles on one fresh PostgreSQL registry, as two gateways hold it; `None` (and a note)
/// without a test server.
fn two_handles(test: &str) -> Option<(Registry, Registry)> {
    let Some(base) = base_url() else {
        eprintln!("{test}: GLUSTERS3_TEST_POSTGRES unset, PostgreSQL test skipped");
        return None;
    };
    let url = fresh_schema(&base);
    Some((
        Registry::open_url(&url).unwrap(),
        Registry::open_url(&url).unwrap(),
    ))
}

#[test]
fn racing_if_none_match_through_two_handles_has_one_winner() {
    let Some((a, b)) = two_handles("racing_if_none_match") else {
        return;
    };
    let bucket = a.create_bucket("race", "o", "r", 1).unwrap().id;
    for round in 0..10 {
        let key = format!("k{round}");
        let barrier = Arc::new(Barrier::new(8));
        let writers: Vec<_> = (0..8)
            .map(|t| {
                let reg = if t % 2 == 0 { a.clone() } else { b.clone() };
                let (barrier, key) = (barrier.clone(), key.clone());
                thread::spawn(move || {
                    barrier.wait();
                    let rec = object(&format!("e{t}"), &format!("/{round}/{t}"));
                    reg.put_object(bucket, key.as_bytes(), &rec, &PutCondition::IfNoneMatchAny)
                })
            })
            .collect();
        let results: Vec<_> = writers.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        assert!(results.iter().all(
            |r| matches!(r, Ok(c) if c.replaced.is_none()) || matches!(r, Err(Error::PreconditionFailed))
        ));
        let stored = b.get_object(bucket, key.as_bytes()).unwrap().unwrap();
        let winner = results.iter().position(Result::is_ok).unwrap();
        assert_eq!(stored.etag, format!("e{winner}"));
    }
    assert_eq!(a.bucket_stats(bucket).unwrap().objects, 10);
    assert!(
        crate::gc_paths(&a).is_empty(),
        "a loser's blob is not the registry's to queue"
    );
}

#[test]
fn concurrent_gc_claimers_never_share_an_entry() {
    let Some((a, b)) = two_handles("concurrent_gc_claimers") else {
        return;
    };
    let blobs: Vec<BlobRef> = (0..400).map(|i| blob(&format!("/gc/{i}"))).collect();
    a.gc_enqueue(&blobs).unwrap();
    let claimers: Vec<_> = (0..4)
        .map(|t| {
            let reg = if t % 2 == 0 { a.clone() } else { b.clone() };
            thread::spawn(move || {
                let mut mine = Vec::new();
                loop {
                    let got = reg.gc_claim(7, Duration::from_secs(600)).unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|(id, _)| id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for h in claimers {
        for id in h.join().unwrap() {
            assert!(seen.insert(id), "entry {id} claimed twice");
        }
    }
    assert_eq!(seen.len(), 400, "every entry claimed once");
    // Claimed is not done: the entries stay queued until gc_done.
    assert_eq!(b.gc_queue_len().unwrap(), 400);
    let ids: Vec<u64> = seen.into_iter().collect();
    a.gc_done(&ids).unwrap();
    assert_eq!(b.gc_queue_len().unwrap(), 0);
}

#[test]
fn an_expired_claim_is_handed_out_again() {
    let Some((a, b)) = two_handles("expired_claim") else {
        return;
    };
    a.gc_enqueue(&[blob("/gc/lost"), blob("/gc/kept")]).unwrap();
    let first = a.gc_claim(1, Duration::from_millis(300)).unwrap();
    assert_eq!(first.len(), 1);
    let long = b.gc_claim(10, Duration::from_secs(600)).unwrap();
    assert_eq!(long.len(), 1, "only the unclaimed entry: {long:?}");
    assert_ne!(long[0].0, first[0].0);
    // The first claimer "died": once its lease ends, its entry goes to the next claimer.
    let deadline = Instant::now() + Duration::from_secs(30);
    let again = loop {
        let got = b.gc_claim(10, Duration::from_secs(600)).unwrap();
        if !got.is_empty() {
            break got;
        }
        assert!(Instant::now() < deadline, "the expired claim never came back");
        thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(again.len(), 1);
    assert_eq!(again[0], first[0]);
}

#[test]
fn an_unreachable_server_is_unavailable() {
    // Port 1 on loopback: nothing listens there.
    let e = Registry::open_url("postgres://nobody@127.0.0.1:1/none?connect_timeout=2").unwrap_err();
    assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
}
