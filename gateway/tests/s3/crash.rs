//! Crash safety with the real binary: a PUT cut off by `kill -9` leaves no visible object,
//! acknowledged PUTs survive, and the gateway restarts cleanly on the same registry.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{code, data, remove_root, volume};

struct Proc(Child);

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

fn spawn(reg: &std::path::Path, root: &str, port: u16, admin: u16) -> Proc {
    let vol = std::env::var("GLUSTERS3_TEST_VOLUME").unwrap_or_else(|_| "s3vol".into());
    let server = std::env::var("GLUSTERS3_TEST_SERVER").unwrap_or_else(|_| "localhost".into());
    let child = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--admin-listen",
            &format!("127.0.0.1:{admin}"),
        ])
        .args(["--volume", &vol, "--volfile-server", &server, "--blob-root", root])
        .arg("--registry-dir")
        .arg(reg)
        .args(["--user", &format!("{}:{}", crate::common::AK, crate::common::SK)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "gateway did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Proc(child)
}

fn client(port: u16) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            crate::common::AK,
            crate::common::SK,
            None,
            None,
            "t",
        ))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

#[actix_web::test]
async fn killed_mid_put_leaves_no_object_and_restarts_clean() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("registry");
    let root = format!("/.s3-tests/crash-{}", std::process::id());
    let (port, admin) = (free_port(), free_port());
    let mut gw = spawn(&reg, &root, port, admin);
    let c = client(port);
    c.create_bucket().bucket("crash").send().await.unwrap();
    // Acknowledged objects before the crash.
    for i in 0..8 {
        c.put_object()
            .bucket("crash")
            .key(format!("ok{i}"))
            .body(data(10_000, i).into())
            .send()
            .await
            .unwrap();
    }
    // A PUT whose body trickles in: announce 64 MiB, send 4 MiB, then kill the gateway. The
    // request is a presigned PUT made by the SDK, so it is accepted and its body streamed.
    let url = c
        .put_object()
        .bucket("crash")
        .key("partial")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(600)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_owned();
    let path_and_query = url.split_once(&format!("127.0.0.1:{port}")).unwrap().1.to_owned();
    let stream_port = port;
    let sender = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", stream_port)).unwrap();
        let head = format!(
            "PUT {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1:{stream_port}\r\nContent-Length: {}\r\n\r\n",
            64 << 20
        );
        let _ = s.write_all(head.as_bytes());
        for _ in 0..4 {
            if s.write_all(&vec![7u8; 1 << 20]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        s
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // SIGKILL: no cleanup code runs.
    gw.0.kill().unwrap();
    gw.0.wait().unwrap();
    drop(sender.await.unwrap());
    // Whatever the cut PUT left on the volume is a temp file, never a blob under a final name,
    // and it had really started writing: its temp file is there (SIGKILL runs no cleanup).
    let leftovers = blob_dir_names(&root).await;
    let finals = leftovers.iter().filter(|n| !n.starts_with(".tmp.")).count();
    assert_eq!(finals, 8, "blobs under final names: {leftovers:?}");
    assert!(
        leftovers.iter().any(|n| n.starts_with(".tmp.")),
        "no temp file: {leftovers:?}"
    );
    // The cut PUT recorded its blob's intent, durably, while its body streamed (the killed
    // process flushed nothing at exit). Then forge what a kill between a blob's rename and its
    // commit leaves: a blob under its final name that no record references, with its intent.
    let tmp = blob_paths(&root)
        .await
        .into_iter()
        .find(|p| p.rsplit('/').next().unwrap().starts_with(".tmp."))
        .unwrap();
    let (fan_dir, tmp_name) = tmp.rsplit_once('/').unwrap();
    let owner = tmp_name
        .strip_prefix(".tmp.")
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    let uncommitted = format!(
        "{fan_dir}/{}",
        &tmp_name[tmp_name.len() - 32..tmp_name.len() - 30].repeat(16)
    );
    {
        let r = metadata::Registry::open(&reg).unwrap();
        let intents = r.intents().unwrap();
        assert!(
            intents
                .iter()
                .any(|i| i.owner == owner && i.blob.path.starts_with(fan_dir)),
            "the cut PUT's intent is not in the registry: {intents:?} (owner {owner})"
        );
        let (vol, path) = (volume(), uncommitted.clone());
        let vol_name = vol.name().to_owned();
        tokio::task::spawn_blocking(move || vol.create_new(&path, 0o644).unwrap().write_all_at(b"abc", 0))
            .await
            .unwrap()
            .unwrap();
        let intent = metadata::Intent {
            blob: metadata::BlobRef {
                path: uncommitted.clone(),
                size: 0,
                volume: vol_name,
            },
            owner: owner.clone(),
            // Recent: it must go because its writer is gone, not by age.
            since_ms: u64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis(),
            )
            .unwrap(),
        };
        r.intent_begin(&intent).unwrap();
        r.flush().unwrap();
    }

    let restarted = spawn(&reg, &root, port, admin);
    let e = c
        .head_object()
        .bucket("crash")
        .key("partial")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.raw_response().map(|r| r.status().as_u16()),
        Some(404),
        "a cut PUT must not be visible"
    );
    for i in 0..8 {
        let o = c
            .get_object()
            .bucket("crash")
            .key(format!("ok{i}"))
            .send()
            .await
            .unwrap();
        assert!(
            o.body.collect().await.unwrap().into_bytes()[..] == data(10_000, i)[..],
            "ok{i} lost or changed"
        );
    }
    let l = c.list_objects_v2().bucket("crash").send().await.unwrap();
    assert_eq!(l.contents().len(), 8);
    // The restarted gateway removed the temp file its killed predecessor left (temp names carry
    // the gateway node and process) and the blob of its predecessor's intent, at start: wait
    // for that pass.
    let forged = uncommitted.rsplit('/').next().unwrap().to_owned();
    let mut left = blob_dir_names(&root).await;
    for _ in 0..300 {
        if !left.iter().any(|n| n.starts_with(".tmp.") || *n == forged) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        left = blob_dir_names(&root).await;
    }
    assert!(
        !left.iter().any(|n| n.starts_with(".tmp.")),
        "temp file left: {left:?}"
    );
    assert!(
        !left.contains(&forged),
        "the uncommitted blob of an intent was left: {left:?}"
    );
    assert_eq!(left.len(), 8, "blobs under final names: {left:?}");
    let e = c
        .get_object()
        .bucket("crash")
        .key("partial")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e).as_deref(), Some("NoSuchKey"));
    drop(restarted);
    let r = metadata::Registry::open(&reg).unwrap();
    assert_eq!(
        r.intents().unwrap(),
        vec![],
        "intents left after the restart's pass"
    );
    remove_root(root).await;
}

/// The names of every file in the fan-out directories under blob root `root`.
async fn blob_dir_names(root: &str) -> Vec<String> {
    blob_paths(root)
        .await
        .into_iter()
        .map(|p| p.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

/// The paths of every file in the fan-out directories under blob root `root`.
async fn blob_paths(root: &str) -> Vec<String> {
    let vol = volume();
    let root = root.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut names = Vec::new();
        let Ok(top) = vol.read_dir(format!("{root}/blobs")) else {
            return names;
        };
        for b in top.flatten() {
            let bdir = format!("{root}/blobs/{}", b.name.to_string_lossy());
            for fan in vol.read_dir(&bdir).into_iter().flatten().flatten() {
                let fdir = format!("{bdir}/{}", fan.name.to_string_lossy());
                for f in vol.read_dir(&fdir).into_iter().flatten().flatten() {
                    names.push(format!("{fdir}/{}", f.name.to_string_lossy()));
                }
            }
        }
        names
    })
    .await
    .unwrap()
}
