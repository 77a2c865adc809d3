//! Tests of the safe wrapper against the real local replica-3 volume (scripts/gluster-up.sh).
//! No mocks: every call goes through libgfapi to three brick processes.
//!
//! Environment: `GLUSTERS3_TEST_VOLUME` (default `s3vol`), `GLUSTERS3_TEST_SERVER` (default the
//! host name, as the bricks are named).

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gfapi::{Server, Volume, VolumeOptions};

fn volume_name() -> String {
    std::env::var("GLUSTERS3_TEST_VOLUME").unwrap_or_else(|_| "s3vol".into())
}

fn server() -> Server {
    let s = std::env::var("GLUSTERS3_TEST_SERVER").unwrap_or_else(|_| "localhost".into());
    Server::parse(&s).expect("GLUSTERS3_TEST_SERVER parses")
}

/// One connection for the whole test binary, as in the gateway (`glfs_fini` is slow).
fn vol() -> &'static Volume {
    static VOL: OnceLock<Volume> = OnceLock::new();
    VOL.get_or_init(|| {
        let opts = VolumeOptions {
            servers: vec![server()],
            // GLUSTERS3_TEST_GFAPI_LOG=/path keeps gfapi's own log (INFO) for a failing run.
            log_file: std::env::var_os("GLUSTERS3_TEST_GFAPI_LOG").map(PathBuf::from),
            log_level: 7,
            ..VolumeOptions::default()
        };
        Volume::connect(&volume_name(), &opts)
            .unwrap_or_else(|e| panic!("connect to the test volume (run scripts/gluster-up.sh): {e}"))
    })
}

/// A fresh directory for one test.
fn scratch(test: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let dir = PathBuf::from(format!("/gfapi-tests/{test}-{}-{nanos}", std::process::id()));
    vol().mkdir_all(&dir, 0o755).unwrap();
    dir
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn vectored_write_and_appending_read() {
    let v = vol();
    let dir = scratch("vectored");
    let data = pattern((3 << 20) + 7, 9);
    // Pieces of uneven sizes, an empty one among them, written in two calls.
    let (p1, rest) = data.split_at(5);
    let (p2, rest) = rest.split_at(1 << 20);
    let (p3, p4) = rest.split_at(65_537);
    let path = dir.join("v");
    let f = v.create_new(&path, 0o644).unwrap();
    f.write_all_vectored_at(&[p1, &[], p2], 0).unwrap();
    f.write_all_vectored_at(&[p3, p4], (p1.len() + p2.len()) as u64)
        .unwrap();
    f.write_all_vectored_at(&[], data.len() as u64).unwrap();
    f.close().unwrap();
    assert_eq!(v.stat(&path).unwrap().len(), data.len() as u64);

    let f = v.open(&path, libc::O_RDONLY).unwrap();
    // Appends after what the buffer holds; short only at the end of the file.
    let mut buf = b"head".to_vec();
    assert_eq!(f.read_append_at(&mut buf, 1 << 20, 3).unwrap(), 1 << 20);
    assert_eq!(&buf[..4], b"head");
    assert!(buf[4..] == data[3..3 + (1 << 20)]);
    let mut tail = Vec::new();
    let from = data.len() as u64 - 10;
    assert_eq!(f.read_append_at(&mut tail, 100, from).unwrap(), 10);
    assert!(tail[..] == data[data.len() - 10..]);
    let mut none = Vec::new();
    assert_eq!(f.read_append_at(&mut none, 10, data.len() as u64 + 1).unwrap(), 0);
    assert!(none.is_empty());
}

#[test]
fn write_read_round_trip_sizes() {
    let v = vol();
    let dir = scratch("roundtrip");
    for (i, len) in [0usize, 1, (1 << 20) + 1].into_iter().enumerate() {
        let path = dir.join(format!("f{i}"));
        let data = pattern(len, i as u8);
        let f = v.create_new(&path, 0o644).unwrap();
        f.write_all_at(&data, 0).unwrap();
        f.sync_all().unwrap();
        f.close().unwrap();

        let f = v.open(&path, libc::O_RDONLY).unwrap();
        assert_eq!(f.metadata().unwrap().len(), len as u64);
        let mut back = vec![0u8; len + 10];
        let n = f.read_full_at(&mut back, 0).unwrap();
        assert_eq!(n, len, "length read back for {len}-byte file");
        assert!(back[..n] == data[..], "bytes differ for {len}-byte file");
        // A read past the end returns 0, not an error.
        assert_eq!(f.read_at(&mut back, len as u64 + 5).unwrap(), 0);
        assert_eq!(v.stat(&path).unwrap().len(), len as u64);
    }
}

#[test]
fn rename_over_never_shows_a_torn_file() {
    const LEN: usize = 64 * 1024;
    let v = vol();
    let dir = scratch("renameover");
    let target = dir.join("target");
    let write = |letter: u8, name: &str| {
        let tmp = dir.join(name);
        let f = v.create_new(&tmp, 0o644).unwrap();
        f.write_all_at(&vec![letter; LEN], 0).unwrap();
        f.sync_all().unwrap();
        f.close().unwrap();
        v.rename(&tmp, &target).unwrap();
    };
    write(b'a', ".tmp-init");

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (reads, torn) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, reads, torn, target) = (stop.clone(), reads.clone(), torn.clone(), target.clone());
            thread::spawn(move || {
                let mut buf = vec![0u8; LEN + 1];
                while !stop.load(Ordering::Relaxed) {
                    // The rename window can show ENOENT/ESTALE for a moment: retry like the gateway.
                    let mut file = None;
                    for attempt in 0..6 {
                        match vol().open(&target, libc::O_RDONLY) {
                            Ok(f) => {
                                file = Some(f);
                                break;
                            }
                            Err(e)
                                if e.kind() == ErrorKind::NotFound
                                    || e.raw_os_error() == Some(libc::ESTALE) =>
                            {
                                thread::sleep(Duration::from_millis(1 << attempt));
                            }
                            Err(e) => panic!("open failed: {e}"),
                        }
                    }
                    let f = file.expect("target opened within 6 attempts");
                    let n = f.read_full_at(&mut buf, 0).unwrap();
                    reads.fetch_add(1, Ordering::Relaxed);
                    if n != LEN || buf[..n].iter().any(|b| *b != buf[0]) {
                        torn.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for round in 0..40u8 {
        write(b'b' + round % 20, &format!(".tmp-{round}"));
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) > 0, "readers never read");
    assert_eq!(
        torn.load(Ordering::Relaxed),
        0,
        "a reader saw a torn or mixed file"
    );
}

#[test]
fn exclusive_create_has_exactly_one_winner() {
    let dir = scratch("excl");
    for round in 0..5 {
        let path = dir.join(format!("race{round}"));
        let barrier = Arc::new(Barrier::new(8));
        let results: Vec<_> = (0..8)
            .map(|_| {
                let (barrier, path) = (barrier.clone(), path.clone());
                thread::spawn(move || {
                    barrier.wait();
                    vol().create_new(&path, 0o644).map(drop).map_err(|e| e.kind())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        assert!(results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| *r == Err(ErrorKind::AlreadyExists)));
    }
}

#[test]
fn xattrs_round_trip_and_limits_surface_as_errors() {
    let v = vol();
    let dir = scratch("xattr");
    let f = v.create_new(dir.join("x"), 0o644).unwrap();
    f.set_xattr("user.s3.meta", b"{\"k\":\"v\"}", 0).unwrap();
    assert_eq!(f.get_xattr("user.s3.meta").unwrap(), b"{\"k\":\"v\"}");
    // XATTR_CREATE on an existing name is EEXIST: usable as a create-once flag.
    let e = f
        .set_xattr("user.s3.meta", b"again", libc::XATTR_CREATE)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    // A missing attribute is ENODATA.
    let e = f.get_xattr("user.missing").unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENODATA));
    // Path-based calls see the same value.
    assert_eq!(
        v.getxattr(dir.join("x"), "user.s3.meta").unwrap(),
        b"{\"k\":\"v\"}"
    );
    // Over 64 KiB: E2BIG from the kernel/gluster cap.
    let e = f.set_xattr("user.huge", &vec![b'x'; 65537], 0).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::E2BIG), "{e}");
    // Between the brick file system's limit and 64 KiB: ENOSPC on ext4 bricks (one block for
    // all xattrs). Bricks on a file system with larger xattr space accept it; either way the
    // call must answer, not crash, and a failure must be ENOSPC.
    match f.set_xattr("user.big", &vec![b'y'; 8192], 0) {
        Ok(()) => assert_eq!(f.get_xattr("user.big").unwrap().len(), 8192),
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}"),
    }
}

#[test]
fn mkdir_all_tolerates_races_and_existing_dirs() {
    let dir = scratch("mkdirall");
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (barrier, dir) = (barrier.clone(), dir.clone());
            thread::spawn(move || {
                barrier.wait();
                // Half share the full path, half a sibling under the same new parents.
                let leaf = if i % 2 == 0 { "c/d/e" } else { "c/d/f" };
                vol().mkdir_all(dir.join("a/b").join(leaf), 0o755)
            })
        })
        .collect();
    for h in handles {
        if let Err(e) = h.join().unwrap() {
            panic!("mkdir_all: {e:?} (raw {:?})", e.raw_os_error());
        }
    }
    for leaf in ["a/b/c/d/e", "a/b/c/d/f"] {
        assert!(vol().stat(dir.join(leaf)).unwrap().is_dir());
    }
    // Again: everything exists, still fine. Under a regular file: an error, not success.
    vol().mkdir_all(dir.join("a/b/c/d/e"), 0o755).unwrap();
    vol().create_new(dir.join("file"), 0o644).unwrap();
    assert!(vol().mkdir_all(dir.join("file/sub"), 0o755).is_err());
    assert!(vol().mkdir_all(dir.join("file"), 0o755).is_err());
}

#[test]
fn rename_into_missing_directory_is_an_error_not_a_crash() {
    let v = vol();
    let dir = scratch("renamemissing");
    v.create_new(dir.join("src"), 0o644).unwrap();
    let e = v
        .rename(dir.join("src"), dir.join("no/such/dir/dst"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(
        v.stat(dir.join("src")).unwrap().is_file(),
        "source must be untouched"
    );
}

#[test]
fn rename_sibling_replaces_and_refuses_other_directories() {
    let v = vol();
    let dir = scratch("sibling");
    v.mkdir(dir.join("sub"), 0o755).unwrap();
    for (name, byte) in [("a", b'a'), ("b", b'b')] {
        let f = v.create_new(dir.join(name), 0o644).unwrap();
        f.write_all_at(&[byte; 10], 0).unwrap();
    }
    v.rename_sibling(dir.join("a"), dir.join("b")).unwrap();
    let f = v.open(dir.join("b"), libc::O_RDONLY).unwrap();
    let mut buf = [0u8; 10];
    assert_eq!(f.read_full_at(&mut buf, 0).unwrap(), 10);
    assert_eq!(buf, [b'a'; 10]);
    let e = v.rename_sibling(dir.join("b"), dir.join("sub/b")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn directory_listing_returns_every_entry_once() {
    let v = vol();
    let dir = scratch("readdir");
    let mut names: Vec<String> = (0..50).map(|i| format!("n{i:02}")).collect();
    for (i, n) in names.iter().enumerate() {
        let f = v.create_new(dir.join(n), 0o644).unwrap();
        f.write_all_at(&vec![0; i], 0).unwrap();
    }
    v.mkdir(dir.join("sub"), 0o755).unwrap();
    let mut seen = Vec::new();
    for e in v.read_dir(&dir).unwrap() {
        let e = e.unwrap();
        let name = e.name.into_string().unwrap();
        if name == "sub" {
            assert!(e.metadata.is_dir());
            continue;
        }
        let idx: usize = name[1..].parse().unwrap();
        assert_eq!(e.metadata.len(), idx as u64, "readdirplus stat of {name}");
        seen.push(name);
    }
    seen.sort();
    names.sort();
    assert_eq!(seen, names);
    // unlink/rmdir remove what they name, and only that.
    v.unlink(dir.join("n00")).unwrap();
    assert_eq!(v.stat(dir.join("n00")).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(v.rmdir(&dir).unwrap_err().raw_os_error(), Some(libc::ENOTEMPTY));
    v.rmdir(dir.join("sub")).unwrap();
}

#[test]
fn statvfs_reports_capacity() {
    let s = vol().statvfs("/").unwrap();
    assert!(s.blocks > 0 && s.block_size > 0, "{s:?}");
    assert!(s.blocks_free <= s.blocks && s.files_free <= s.files, "{s:?}");
    assert_eq!(s.name_max, 255);
}

#[test]
fn connect_to_unknown_volume_fails_fast_and_names_it() {
    let opts = VolumeOptions {
        servers: vec![server()],
        init_timeout: Duration::from_secs(20),
        ..VolumeOptions::default()
    };
    let start = Instant::now();
    let e = Volume::connect("no-such-volume-xyz", &opts).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
    let msg = e.to_string();
    assert!(
        msg.contains("no-such-volume-xyz") && msg.contains(&server().to_string()),
        "{msg}"
    );
    assert_ne!(e.kind(), ErrorKind::TimedOut, "{msg}");
}

#[test]
fn connect_to_a_silent_server_is_cut_by_the_watchdog() {
    // Accepts TCP (the kernel completes the handshake into the backlog) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let opts = VolumeOptions {
        servers: vec![Server {
            host: "127.0.0.1".into(),
            port,
        }],
        init_timeout: Duration::from_secs(3),
        ..VolumeOptions::default()
    };
    let start = Instant::now();
    let e = Volume::connect("s3vol", &opts).unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(6),
        "took {took:?}"
    );
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    drop(silent);
}

#[test]
fn shutdown_waits_for_open_files_then_bounds_fini() {
    let opts = VolumeOptions {
        servers: vec![server()],
        ..VolumeOptions::default()
    };
    let v = Volume::connect(&volume_name(), &opts).unwrap();
    let dir = scratch("shutdown");
    let f = v.create_new(dir.join("open"), 0o644).unwrap();
    // A file still open past the bound: shutdown reports it did not finish.
    let start = Instant::now();
    assert!(!v.clone().shutdown(Duration::from_millis(200)));
    assert!(start.elapsed() < Duration::from_secs(2));
    // Once it closes, fini runs and finishes within the bound (upstream fini takes 4-11 s).
    let closer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        f.close().unwrap();
    });
    assert!(
        v.shutdown(Duration::from_secs(20)),
        "fini did not finish within 20 s"
    );
    closer.join().unwrap();
}
