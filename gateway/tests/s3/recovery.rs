//! Recovery with the real binary: `kill -9` during concurrent PUTs leaves at most orphans and
//! temp files of the cut uploads, which the temp sweep and `gateway fsck --repair` remove, after
//! which `fsck` is clean; `gateway reindex` rebuilds a registry whose gateway serves the same
//! objects (listing entries, ETags, Content-Type, metadata, bytes) as the lost one.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective, Tag, Tagging};
use aws_sdk_s3::Client;
use serde_json::Value;

use crate::common::{data, remove_root, volume, AK, AK2, SK, SK2};

const MIB: usize = 1 << 20;

struct Proc(Child);

impl Proc {
    /// SIGTERM (a clean stop: the registry is flushed and its lock released), then wait.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.0.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The volume flags shared by `serve`, `fsck` and `reindex`.
fn common_args(cmd: &mut Command, reg: &Path, root: &str) {
    let vol = std::env::var("GLUSTERS3_TEST_VOLUME").unwrap_or_else(|_| "s3vol".into());
    let server = std::env::var("GLUSTERS3_TEST_SERVER").unwrap_or_else(|_| "localhost".into());
    cmd.args(["--volume", &vol, "--volfile-server", &server, "--blob-root", root])
        .arg("--registry-dir")
        .arg(reg)
        .args(["--user", &format!("{AK}:{SK}"), "--user", &format!("{AK2}:{SK2}")]);
}

fn spawn(reg: &Path, root: &str) -> (Proc, u16) {
    let (port, admin) = (free_port(), free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--admin-listen",
        &format!("127.0.0.1:{admin}"),
    ]);
    common_args(&mut cmd, reg, root);
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "gateway did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Proc(child), port)
}

/// Runs `gateway <sub> ... <extra>` to completion: (exit status, stdout, stderr).
async fn tool(sub: &str, reg: &Path, root: &str, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
    cmd.arg(sub);
    common_args(&mut cmd, reg, root);
    cmd.args(extra);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a tool with `--json` and parses its report.
async fn tool_json(sub: &str, reg: &Path, root: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = tool(sub, reg, root, &args).await;
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{sub} printed no JSON ({e}): {out} {err}"));
    (code, v)
}

fn client(port: u16) -> Client {
    client_as(port, AK, SK)
}

fn client_as(port: u16, ak: &str, sk: &str) -> Client {
    use aws_sdk_s3::config::retry::RetryConfig;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(ak, sk, None, None, "t"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .force_path_style(true)
        // A retry must never reach the restarted gateway.
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

fn strays(report: &Value, field: &str) -> Vec<Value> {
    report[field].as_array().cloned().unwrap_or_default()
}

fn object_size(i: usize) -> usize {
    2 * MIB + i * 6 * MIB / 32
}

#[actix_web::test]
async fn kill_during_concurrent_puts_then_fsck_repairs_to_clean() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("registry");
    let root = format!("/.s3-fsck-{}-crash", std::process::id());
    let (gw, port) = spawn(&reg, &root);
    let c = client(port);
    c.create_bucket().bucket("crash").send().await.unwrap();

    // 32 concurrent PUTs of 2-8 MiB; kill -9 once a few are acknowledged. The bodies are
    // made first, so that all 32 requests really run at once.
    let bodies: Vec<bytes::Bytes> = (0..32).map(|i| data(object_size(i), i as u64).into()).collect();
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let (c, acked, done, body) = (c.clone(), acked.clone(), done.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = c
                .put_object()
                .bucket("crash")
                .key(format!("obj{i:02}"))
                .body(body.into())
                .send()
                .await;
            if r.is_ok() {
                acked.lock().unwrap().insert(i);
            }
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < 4 && done.load(Ordering::SeqCst) < 32 {
        assert!(Instant::now() < deadline, "no PUT acknowledged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut gw = gw;
    gw.0.kill().unwrap();
    gw.0.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked: HashSet<usize> = acked.lock().unwrap().clone();
    let cut: HashSet<usize> = (0..32).filter(|i| !acked.contains(i)).collect();
    assert!(
        !cut.is_empty(),
        "every PUT finished before the kill: nothing was cut"
    );
    eprintln!(
        "crash: {} acknowledged, {} cut, after {:?}",
        acked.len(),
        cut.len(),
        t0.elapsed()
    );

    // Restart: acknowledged objects are intact; a cut one is absent, or whole if its commit
    // made it before the kill (acknowledged by the gateway, answer lost).
    let (gw, port) = spawn(&reg, &root);
    let c = client(port);
    for i in 0..32 {
        let got = c
            .get_object()
            .bucket("crash")
            .key(format!("obj{i:02}"))
            .send()
            .await;
        match got {
            Ok(o) => {
                let bytes = o.body.collect().await.unwrap().into_bytes();
                assert!(
                    bytes[..] == data(object_size(i), i as u64)[..],
                    "obj{i:02} changed"
                );
            }
            Err(e) => assert!(cut.contains(&i), "acknowledged obj{i:02} lost: {e:?}"),
        }
    }
    // fsck refuses a registry the gateway holds.
    let (code, _, err) = tool("fsck", &reg, &root, &[]).await;
    assert_eq!(code, 2, "fsck against a running gateway: {err}");
    assert!(err.contains("locked"), "{err}");
    gw.stop();

    // fsck: no record without its blob; what is left belongs to cut uploads only.
    let (code, r) = tool_json("fsck", &reg, &root, &[]).await;
    assert_eq!(strays(&r, "bad_blobs"), Vec::<Value>::new(), "{r}");
    assert!(strays(&r, "errors").is_empty(), "{r}");
    assert!(strays(&r, "unexpected").is_empty(), "{r}");
    let cut_keys: HashSet<String> = cut.iter().map(|i| format!("obj{i:02}")).collect();
    for o in strays(&r, "orphans") {
        let key = o["key"].as_str().unwrap_or("");
        assert!(cut_keys.contains(key), "orphan of an acknowledged object: {o}");
    }
    let (temps, orphans) = (strays(&r, "temps").len(), strays(&r, "orphans").len());
    assert!(temps <= cut.len() && orphans <= cut.len(), "{r}");
    assert!(temps + orphans > 0, "the cut uploads left nothing? {r}");
    assert_eq!(code, 1, "problems found: {r}");
    eprintln!("crash: fsck found {temps} temp files, {orphans} orphans");

    // The default minimum age (an hour) protects what was just written.
    let (code, r) = tool_json("fsck", &reg, &root, &["--repair"]).await;
    assert_eq!(code, 1, "{r}");
    assert!(strays(&r, "temps").iter().all(|t| t["removed"] == false), "{r}");

    // The sweeper's stale-temp pass (with no minimum age) removes the temp files...
    let root2 = root.clone();
    let removed = tokio::task::spawn_blocking(move || {
        let store = gateway::store::BlobStore::open(volume(), &root2).unwrap();
        gateway::sweeper::remove_stale_temps_everywhere(&store, Duration::ZERO).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(removed, temps);
    // ...and fsck --repair the orphans.
    let (code, r) = tool_json("fsck", &reg, &root, &["--repair", "--min-age-secs", "0"]).await;
    assert!(strays(&r, "temps").is_empty(), "{r}");
    assert!(strays(&r, "orphans").iter().all(|o| o["removed"] == true), "{r}");
    assert_eq!(code, 0, "all repaired: {r}");
    let (code, out, err) = tool("fsck", &reg, &root, &[]).await;
    eprintln!("{out}");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("result: clean"), "{out}");

    // Nothing referenced went: every committed object still reads back whole.
    let (gw, port) = spawn(&reg, &root);
    let c = client(port);
    let listed = c.list_objects_v2().bucket("crash").send().await.unwrap();
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect();
    assert!(keys.len() >= acked.len(), "{keys:?}");
    for k in &keys {
        let i: usize = k[3..].parse().unwrap();
        let o = c.get_object().bucket("crash").key(k).send().await.unwrap();
        let bytes = o.body.collect().await.unwrap().into_bytes();
        assert!(bytes == bodies[i], "{k} changed");
    }
    gw.stop();
    remove_root(root).await;
    eprintln!("crash: done in {:?}", t0.elapsed());
}

/// Everything a client sees of a bucket: per key, the listing entry and the object.
type Snapshot = BTreeMap<String, ObjectView>;

#[derive(Debug, PartialEq)]
struct ObjectView {
    size: i64,
    list_etag: String,
    last_modified: String,
    etag: String,
    content_type: String,
    metadata: BTreeMap<String, String>,
    tags: Vec<(String, String)>,
    tag_count: Option<i32>,
    bytes: Vec<u8>,
}

async fn snapshot(c: &Client, bucket: &str) -> Snapshot {
    let mut out = BTreeMap::new();
    let l = c.list_objects_v2().bucket(bucket).send().await.unwrap();
    assert!(!l.is_truncated().unwrap_or(false));
    for o in l.contents() {
        let key = o.key().unwrap().to_owned();
        let h = c.head_object().bucket(bucket).key(&key).send().await.unwrap();
        let g = c.get_object().bucket(bucket).key(&key).send().await.unwrap();
        let tagging = c
            .get_object_tagging()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        let view = ObjectView {
            size: o.size().unwrap(),
            list_etag: o.e_tag().unwrap().to_owned(),
            last_modified: o.last_modified().unwrap().to_string(),
            etag: h.e_tag().unwrap().to_owned(),
            content_type: h.content_type().unwrap_or("").to_owned(),
            metadata: h
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            tags: tagging
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
            tag_count: h.tag_count(),
            bytes: g.body.collect().await.unwrap().into_bytes().to_vec(),
        };
        out.insert(key, view);
    }
    out
}

#[actix_web::test]
async fn reindex_rebuilds_what_clients_see() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (reg_a, reg_b) = (dir.path().join("a"), dir.path().join("b"));
    let pid = std::process::id();
    let root = format!("/.s3-fsck-{pid}-reindex");
    let (b1, b2) = (format!("rx-{pid}-one"), format!("rx-{pid}-two"));
    let (gw, port) = spawn(&reg_a, &root);
    let c = client(port);
    for b in [&b1, &b2] {
        c.create_bucket().bucket(b).send().await.unwrap();
    }
    c.put_object()
        .bucket(&b1)
        .key("plain.txt")
        .content_type("text/plain; charset=utf-8")
        .metadata("color", "blue")
        .metadata("owner-note", "keep me")
        .tagging("k=v&two=2")
        .body(b"hello, reindex".to_vec().into())
        .send()
        .await
        .unwrap();
    for (key, len) in [("a", 10), ("a/b", 3000), ("empty", 0), ("ünï cødé ☃", 777)] {
        c.put_object()
            .bucket(&b1)
            .key(key)
            .body(data(len, len as u64).into())
            .send()
            .await
            .unwrap();
    }
    for seed in [1, 2] {
        c.put_object()
            .bucket(&b1)
            .key("overwritten")
            .content_type("application/x-v")
            .metadata("version", seed.to_string())
            .body(data(5000, seed).into())
            .send()
            .await
            .unwrap();
    }
    // A multipart object with metadata, in the other bucket.
    let up = c
        .create_multipart_upload()
        .bucket(&b2)
        .key("big.bin")
        .content_type("application/x-big")
        .metadata("m", "v")
        .tagging("mp=yes")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for (n, body) in [(1, data(5 * MIB, 11)), (2, data(MIB + 5, 12))] {
        let r = c
            .upload_part()
            .bucket(&b2)
            .key("big.bin")
            .upload_id(&id)
            .part_number(n)
            .body(body.into())
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(r.e_tag().unwrap())
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket(&b2)
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    // Tag changes after the write reach the blobs' xattrs too (every part of a multipart one).
    let retag = |pairs: &[(&str, &str)]| {
        let tags = pairs
            .iter()
            .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
            .collect();
        Tagging::builder().set_tag_set(Some(tags)).build().unwrap()
    };
    c.put_object_tagging()
        .bucket(&b2)
        .key("big.bin")
        .tagging(retag(&[("mp", "changed"), ("x", "")]))
        .send()
        .await
        .unwrap();
    c.put_object_tagging()
        .bucket(&b1)
        .key("a")
        .tagging(retag(&[("later", "1")]))
        .send()
        .await
        .unwrap();
    // A copy keeps the source's metadata (and tags); an unfinished upload is not an object.
    c.copy_object()
        .bucket(&b2)
        .key("copied")
        .copy_source(format!("{b1}/plain.txt"))
        .metadata_directive(MetadataDirective::Copy)
        .send()
        .await
        .unwrap();
    let pending = c
        .create_multipart_upload()
        .bucket(&b2)
        .key("pending")
        .send()
        .await
        .unwrap();
    c.upload_part()
        .bucket(&b2)
        .key("pending")
        .upload_id(pending.upload_id().unwrap())
        .part_number(1)
        .body(data(1000, 9).into())
        .send()
        .await
        .unwrap();
    let before = [snapshot(&c, &b1).await, snapshot(&c, &b2).await];
    assert_eq!(before[0].len() + before[1].len(), 8);
    assert_eq!(before[1]["copied"].metadata["color"], "blue");
    let tags = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(before[0]["plain.txt"].tags, tags(&[("k", "v"), ("two", "2")]));
    assert_eq!(before[1]["copied"].tags, tags(&[("k", "v"), ("two", "2")]));
    assert_eq!(before[0]["a"].tags, tags(&[("later", "1")]));
    assert_eq!(before[1]["big.bin"].tags, tags(&[("mp", "changed"), ("x", "")]));
    assert_eq!(before[1]["big.bin"].tag_count, Some(2));
    // Tenancy: a bucket of the second user; an empty bucket; a deleted bucket; a bucket whose
    // directory's record is unreadable (as one created before the record existed).
    let (theirs, empty, deleted, legacy) = (
        format!("rx-{pid}-theirs"),
        format!("rx-{pid}-empty"),
        format!("rx-{pid}-deleted"),
        format!("rx-{pid}-legacy"),
    );
    let c2 = client_as(port, AK2, SK2);
    c2.create_bucket().bucket(&theirs).send().await.unwrap();
    c2.put_object()
        .bucket(&theirs)
        .key("mine")
        .body(b"second user".to_vec().into())
        .send()
        .await
        .unwrap();
    for b in [&empty, &deleted, &legacy] {
        c.create_bucket().bucket(b).send().await.unwrap();
    }
    c.put_object()
        .bucket(&legacy)
        .key("old")
        .body(b"legacy".to_vec().into())
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket(&deleted).send().await.unwrap();
    gw.stop();
    let (root2, legacy2) = (root.clone(), legacy.clone());
    tokio::task::spawn_blocking(move || {
        let store = gateway::store::BlobStore::open(volume(), &root2).unwrap();
        let ids = store.bucket_dirs().unwrap().ids;
        let id = ids
            .into_iter()
            .find(|id| {
                store
                    .read_bucket_xattr(*id)
                    .unwrap()
                    .is_some_and(|x| x.name == legacy2)
            })
            .expect("the bucket directory records its bucket");
        let dir = format!("{root2}/blobs/{id:016x}");
        volume()
            .setxattr(&dir, gateway::store::bucket_xattr::BUCKET_XATTR, b"garbage", 0)
            .unwrap();
    })
    .await
    .unwrap();

    // Reindex refuses a registry that holds data, then rebuilds a fresh one.
    let (code, _, err) = tool("reindex", &reg_a, &root, &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty"), "{err}");
    let (code, r) = tool_json("reindex", &reg_b, &root, &[]).await;
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["objects"], 10, "{r}");
    assert_eq!(r["multipart_objects"], 1, "{r}");
    let owners: BTreeMap<String, (String, String)> = strays(&r, "buckets")
        .iter()
        .map(|b| {
            let s = |f: &str| b[f].as_str().unwrap().to_owned();
            (s("name"), (s("owner"), s("owner_from")))
        })
        .collect();
    let want = |o: &str, from: &str| (o.to_owned(), from.to_owned());
    let expected: BTreeMap<String, (String, String)> = [
        (b1.clone(), want(AK, "volume")),
        (b2.clone(), want(AK, "volume")),
        (theirs.clone(), want(AK2, "volume")),
        (empty.clone(), want(AK, "volume")),
        (legacy.clone(), want(AK, "default")),
    ]
    .into_iter()
    .collect();
    assert_eq!(owners, expected, "{r}");
    assert_eq!(strays(&r, "unfinished_parts").len(), 1, "{r}");
    assert!(strays(&r, "unusable").is_empty(), "{r}");
    eprintln!("reindex: {}", serde_json::to_string(&r["buckets"]).unwrap());

    // A gateway on the rebuilt registry shows the same, and takes new writes.
    let (gw, port) = spawn(&reg_b, &root);
    let c = client(port);
    let after = [snapshot(&c, &b1).await, snapshot(&c, &b2).await];
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
        for (k, v) in x {
            assert!(*v == y[k], "{k} differs after reindex");
        }
    }
    let buckets = c.list_buckets().send().await.unwrap();
    let names: HashSet<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    let mine: HashSet<&str> = [&b1, &b2, &empty, &legacy].iter().map(|b| b.as_str()).collect();
    assert_eq!(names, mine, "the first user's buckets, no more");
    // The second user's bucket is theirs again; the first user may not use it.
    let c2 = client_as(port, AK2, SK2);
    let theirs_list = c2.list_buckets().send().await.unwrap();
    let names: Vec<&str> = theirs_list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, [theirs.as_str()]);
    let got = c2.get_object().bucket(&theirs).key("mine").send().await.unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"second user"
    );
    let e = c
        .get_object()
        .bucket(&theirs)
        .key("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::common::code(&e).as_deref(), Some("AccessDenied"));
    let e = c.head_bucket().bucket(&deleted).send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert!(c
        .list_objects_v2()
        .bucket(&empty)
        .send()
        .await
        .unwrap()
        .contents()
        .is_empty());
    c.put_object()
        .bucket(&b1)
        .key("new")
        .body(b"after".to_vec().into())
        .send()
        .await
        .unwrap();
    gw.stop();

    // fsck agrees: every record has its blob; the unfinished upload's part is the one orphan,
    // listed apart as a part, and --repair keeps it until asked explicitly.
    let (code, r) = tool_json("fsck", &reg_b, &root, &[]).await;
    assert_eq!(code, 1, "{r}");
    assert!(strays(&r, "bad_blobs").is_empty(), "{r}");
    assert!(strays(&r, "orphans").is_empty(), "{r}");
    let parts = strays(&r, "orphan_parts");
    assert_eq!(parts.len(), 1, "{r}");
    assert_eq!(parts[0]["key"], "pending", "{r}");
    assert_eq!(
        strays(&r, "unused_bucket_dirs").len(),
        5,
        "the old ids' directories: {r}"
    );
    let (code, out, _) = tool("fsck", &reg_b, &root, &["--repair", "--min-age-secs", "0"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("orphan parts of unfinished uploads (kept: --delete-orphan-parts removes them): 1"),
        "{out}"
    );
    let (code, r) = tool_json("fsck", &reg_b, &root, &["--repair", "--min-age-secs", "0"]).await;
    assert_eq!(code, 1, "{r}");
    assert_eq!(strays(&r, "orphan_parts")[0]["removed"], false, "{r}");
    let (code, _, err) = tool("fsck", &reg_b, &root, &["--delete-orphan-parts"]).await;
    assert_eq!(code, 2, "--delete-orphan-parts needs --repair: {err}");
    let args = ["--repair", "--delete-orphan-parts", "--min-age-secs", "0"];
    let (code, r) = tool_json("fsck", &reg_b, &root, &args).await;
    assert_eq!(code, 0, "{r}");
    assert_eq!(strays(&r, "orphan_parts")[0]["removed"], true, "{r}");
    let (code, r) = tool_json("fsck", &reg_b, &root, &[]).await;
    assert_eq!(code, 0, "{r}");
    assert!(strays(&r, "orphan_parts").is_empty(), "{r}");
    remove_root(root).await;
    eprintln!("reindex: done in {:?}", t0.elapsed());
}

#[actix_web::test]
async fn fsck_reports_missing_and_short_blobs_and_repair_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("registry");
    let root = format!("/.s3-fsck-{}-damage", std::process::id());
    let (gw, port) = spawn(&reg, &root);
    let c = client(port);
    c.create_bucket().bucket("dmg").send().await.unwrap();
    for k in ["gone", "cut", "fine"] {
        c.put_object()
            .bucket("dmg")
            .key(k)
            .body(data(4096, 1).into())
            .send()
            .await
            .unwrap();
    }
    gw.stop();
    // Damage the volume by hand: delete one blob, truncate another, add a temp file and an
    // unreferenced blob.
    let root2 = root.clone();
    tokio::task::spawn_blocking(move || {
        let vol = volume();
        let store = gateway::store::BlobStore::open(vol.clone(), &root2).unwrap();
        let ids = store.bucket_dirs().unwrap().ids;
        let mut blobs = Vec::new();
        for id in ids {
            store.walk_bucket(id, &mut |f| blobs.push(f.path));
        }
        let fan = blobs[0].rsplit_once('/').unwrap().0.to_owned();
        for path in &blobs {
            let meta = store.read_meta(path).unwrap();
            let key = gateway::recovery::BlobMeta::parse(&meta).unwrap().key;
            match key.as_str() {
                "gone" => vol.unlink(path).unwrap(),
                "cut" => vol.open(path, libc::O_WRONLY).unwrap().set_len(100).unwrap(),
                _ => {}
            }
        }
        let name = fan.rsplit_once('/').unwrap().1;
        drop(
            vol.create_new(format!("{fan}/.tmp.{}", "0".repeat(32)), 0o644)
                .unwrap(),
        );
        drop(
            vol.create_new(format!("{fan}/{name}{}", "1".repeat(30)), 0o644)
                .unwrap(),
        );
    })
    .await
    .unwrap();

    let (code, r) = tool_json("fsck", &reg, &root, &[]).await;
    assert_eq!(code, 1, "{r}");
    let mut bad: Vec<(String, String)> = strays(&r, "bad_blobs")
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_owned(),
                b["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    bad.sort();
    assert_eq!(
        bad,
        [
            ("cut".to_owned(), "short".to_owned()),
            ("gone".to_owned(), "missing".to_owned())
        ],
        "{r}"
    );
    assert_eq!(
        (strays(&r, "temps").len(), strays(&r, "orphans").len()),
        (1, 1),
        "{r}"
    );
    // Repair removes the strays but keeps the records (and so still exits 1).
    let (code, r) = tool_json("fsck", &reg, &root, &["--repair", "--min-age-secs", "0"]).await;
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["problems"], 2, "{r}");
    let (code, out, _) = tool("fsck", &reg, &root, &[]).await;
    eprintln!("{out}");
    assert_eq!(code, 1);
    assert!(
        out.contains("missing object dmg/gone") && out.contains("short object dmg/cut"),
        "{out}"
    );
    // A registry that references nothing under the root (the wrong one) repairs nothing.
    let (other_reg, other_root) = (dir.path().join("other"), format!("{root}-other"));
    let (code, _, err) = tool("reindex", &other_reg, &other_root, &[]).await;
    assert_eq!(code, 0, "{err}");
    let (code, r) = tool_json("fsck", &other_reg, &root, &["--repair", "--min-age-secs", "0"]).await;
    assert_eq!(code, 2, "{r}");
    assert!(
        r["errors"][0].as_str().unwrap().contains("refusing to repair"),
        "{r}"
    );
    assert!(strays(&r, "orphans").iter().all(|o| o["removed"] == false), "{r}");
    let (code, _) = tool_json("fsck", &reg, &root, &[]).await;
    assert_eq!(code, 1, "the real registry still finds its blobs");
    remove_root(other_root).await;
    remove_root(root).await;
}

/// Reindex of a versioned bucket: every version whose blob names it comes back, with its id,
/// its bytes and its order; the null version written before versioning too; the bucket comes
/// back versioned. (Delete markers have no blob: they do not come back.)
#[actix_web::test]
async fn reindex_restores_versions() {
    let dir = tempfile::tempdir().unwrap();
    let (reg_a, reg_b) = (dir.path().join("a"), dir.path().join("b"));
    let pid = std::process::id();
    let root = format!("/.s3-fsck-{pid}-reindex-versions");
    let b = format!("rxv-{pid}");
    let (gw, port) = spawn(&reg_a, &root);
    let c = client(port);
    c.create_bucket().bucket(&b).send().await.unwrap();
    let put = |body: &'static str| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            c.put_object()
                .bucket(&b)
                .key("k")
                .body(body.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap()
                .version_id()
                .map(str::to_owned)
        }
    };
    assert_eq!(put("before versioning").await, None);
    c.put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let v1 = put("one").await.unwrap();
    let v2 = put("two").await.unwrap();
    let listing = |c: Client, b: String| async move {
        let v = c.list_object_versions().bucket(&b).send().await.unwrap();
        v.versions()
            .iter()
            .map(|x| {
                (
                    x.version_id().unwrap().to_owned(),
                    x.is_latest().unwrap(),
                    x.size().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = listing(c.clone(), b.clone()).await;
    assert_eq!(before.len(), 3);
    gw.stop();

    let (code, r) = tool_json("reindex", &reg_b, &root, &[]).await;
    assert_eq!(code, 0, "{r}");
    assert!(
        strays(&r, "superseded_queued").is_empty(),
        "no version may be queued for GC: {r}"
    );
    let (gw, port) = spawn(&reg_b, &root);
    let c = client(port);
    assert_eq!(listing(c.clone(), b.clone()).await, before);
    for (id, body) in [
        (v1.as_str(), "one"),
        (v2.as_str(), "two"),
        ("null", "before versioning"),
    ] {
        let got = c
            .get_object()
            .bucket(&b)
            .key("k")
            .version_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().as_ref(),
            body.as_bytes()
        );
    }
    let vers = c.get_bucket_versioning().bucket(&b).send().await.unwrap();
    assert_eq!(
        vers.status(),
        Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled)
    );
    for (id, _, _) in &before {
        c.delete_object()
            .bucket(&b)
            .key("k")
            .version_id(id)
            .send()
            .await
            .unwrap();
    }
    c.delete_bucket().bucket(&b).send().await.unwrap();
    gw.stop();
    remove_root(root).await;
}
