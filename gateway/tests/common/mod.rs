//! Shared test context: one volume connection per test binary (`glfs_fini` is slow), one
//! gateway per test with a temporary registry on free ports, and SDK clients for it.

pub mod gluster;

use std::sync::OnceLock;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::Client;
use gateway::config::{Config, User};

pub const AK: &str = "GLTESTACCESSKEY";
pub const SK: &str = "gltest-secret-key/with+odd=chars";
pub const AK2: &str = "GLOTHERACCESSKEY";
pub const SK2: &str = "other-secret";
pub const AK3: &str = "GLTHIRDACCESSKEY";
pub const SK3: &str = "third-secret";
/// The admin API's bearer token in test gateways.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The test volume, connected once.
pub fn volume() -> gfapi::Volume {
    static VOL: OnceLock<gfapi::Volume> = OnceLock::new();
    VOL.get_or_init(|| {
        let name = std::env::var("GLUSTERS3_TEST_VOLUME").unwrap_or_else(|_| "s3vol".into());
        let server = std::env::var("GLUSTERS3_TEST_SERVER").unwrap_or_else(|_| "localhost".into());
        let opts = gfapi::VolumeOptions {
            servers: vec![gfapi::Server::parse(&server).unwrap()],
            ..gfapi::VolumeOptions::default()
        };
        gfapi::Volume::connect(&name, &opts)
            .unwrap_or_else(|e| panic!("connect the test volume (scripts/gluster-up.sh): {e}"))
    })
    .clone()
}

/// A gateway running for one test.
pub struct Gw {
    pub running: Option<gateway::Running>,
    pub blob_root: String,
    pub endpoint: String,
    pub admin: String,
    _dir: tempfile::TempDir,
}

impl Gw {
    /// Starts a gateway with three users and the `localhost` virtual-host domain.
    pub async fn start() -> Gw {
        Self::start_with(|_| {}).await
    }

    /// As [`Gw::start`], with the configuration changed by `tweak` first.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Gw {
        let dir = tempfile::tempdir().unwrap();
        let blob_root = format!(
            "/.s3-tests/{}-{}",
            std::process::id(),
            dir.path().file_name().unwrap().to_string_lossy()
        );
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            admin_listen: "127.0.0.1:0".parse().unwrap(),
            region: "us-east-1".into(),
            domains: vec!["localhost".into()],
            volume: "unused".into(),
            volfile_servers: vec![],
            registry_dir: dir.path().join("registry"),
            registry_url: None,
            // Each test gateway has its own registry, hence its own blob root.
            blob_root: blob_root.clone(),
            gfapi_log: None,
            init_timeout: Duration::from_secs(30),
            // Small, so that large and concurrent uploads in the suite run with a full budget
            // (the flush-then-wait path of `s3::body::write_blob`).
            upload_buffer: 4 << 20,
            registry_cache: metadata::DEFAULT_CACHE_BYTES,
            // Small, so the suite's reads run through eviction as well as hits.
            open_blobs: 16,
            heap_trim: Some(Duration::from_millis(100)),
            malloc_arenas: None,
            sigv2: true,
            region_agnostic: false,
            body_read_timeout: Duration::from_secs(20),
            admin_token: gateway::admin_auth::AdminToken::new(ADMIN_TOKEN.into()),
            gluster_cli: "gluster".into(),
            // No cluster collector unless a test asks: heal info spawns a client and emits events.
            cluster_refresh: None,
            gluster_cli_timeout: Duration::from_secs(10),
            events_max: 10_000,
            events_max_age: Duration::from_secs(168 * 3600),
            // The lifecycle worker only runs where a test asks for it.
            lifecycle_interval: None,
            lifecycle_day: Duration::from_secs(86_400),
            // A fixed master key, so SSE-S3 and bucket default encryption are on in the suite.
            sse_master_key: gateway::s3::sse::Key::from_bytes(&[7u8; 32]),
            volumes: Vec::new(),
            users: vec![
                User {
                    access_key: AK.into(),
                    secret_key: SK.into(),
                    owner_id: Some("owner-one".into()),
                    display_name: Some("One".into()),
                },
                User {
                    access_key: AK2.into(),
                    secret_key: SK2.into(),
                    owner_id: None,
                    display_name: None,
                },
                User {
                    access_key: AK3.into(),
                    secret_key: SK3.into(),
                    owner_id: Some("owner-three".into()),
                    display_name: None,
                },
            ],
        };
        tweak(&mut config);
        let running = gateway::start(config, volume()).await.expect("gateway starts");
        let endpoint = format!("http://{}", running.s3_addr);
        let admin = format!("http://{}", running.admin_addr);
        Gw {
            running: Some(running),
            blob_root,
            endpoint,
            admin,
            _dir: dir,
        }
    }

    /// An SDK client for the first user, path style, or virtual-host style when
    /// `GLUSTERS3_TEST_STYLE=vhost` (`make test` runs the suite both ways).
    pub fn client(&self) -> Client {
        self.client_as(AK, SK, !vhost_run())
    }

    /// A client with the given keys and addressing style.
    pub fn client_as(&self, ak: &str, sk: &str, path_style: bool) -> Client {
        self.client_full(ak, sk, path_style, "us-east-1")
    }

    /// The first user's client, signing for `region` (a gateway started in that region).
    pub fn client_in(&self, region: &str) -> Client {
        self.client_full(AK, SK, !vhost_run(), region)
    }

    /// An unsigned (anonymous) client, in this run's addressing style.
    pub fn anonymous(&self) -> Client {
        self.client_with(None, !vhost_run(), "us-east-1")
    }

    fn client_full(&self, ak: &str, sk: &str, path_style: bool, region: &str) -> Client {
        self.client_with(Some((ak, sk)), path_style, region)
    }

    fn client_with(&self, keys: Option<(&str, &str)>, path_style: bool, region: &str) -> Client {
        let endpoint = if path_style {
            self.endpoint.clone()
        } else {
            // The SDK prepends the bucket to this host: <bucket>.localhost:<port>, which the
            // client's resolver below sends to the loopback address (not every system resolver
            // maps *.localhost there).
            self.endpoint.replace("127.0.0.1", "localhost")
        };
        let mut conf = aws_sdk_s3::Config::builder();
        if !path_style {
            conf = conf.http_client(
                aws_smithy_http_client::Builder::new()
                    .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                        aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .build_with_resolver(Loopback),
            );
        }
        conf = match keys {
            Some((ak, sk)) => conf.credentials_provider(Credentials::new(ak, sk, None, None, "test")),
            None => conf.allow_no_auth(),
        };
        let conf = conf
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(endpoint)
            .force_path_style(path_style)
            .build();
        Client::from_conf(conf)
    }

    /// Stops the gateway and deletes its blob root, so test runs do not pile up on the volume.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        remove_root(self.blob_root.clone()).await;
    }
}

/// Every file under `path` on the volume (recursively), with its size.
pub fn volume_files(vol: &gfapi::Volume, path: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    if let Ok(dir) = vol.read_dir(path) {
        for e in dir.flatten() {
            let name = e.name.to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let p = format!("{path}/{name}");
            if e.metadata.is_dir() {
                out.extend(volume_files(vol, &p));
            } else {
                out.push((p, e.metadata.len()));
            }
        }
    }
    out
}

/// Deletes a tree on the volume (best effort).
pub fn remove_tree(vol: &gfapi::Volume, path: &str) {
    if let Ok(dir) = vol.read_dir(path) {
        for e in dir.flatten() {
            let p = format!("{path}/{}", e.name.to_string_lossy());
            if e.metadata.is_dir() {
                remove_tree(vol, &p);
            } else {
                let _ = vol.unlink(&p);
            }
        }
    }
    let _ = vol.rmdir(path);
}

/// Deletes a blob root, so test runs do not pile up on the volume.
pub async fn remove_root(root: String) {
    tokio::task::spawn_blocking(move || remove_tree(&volume(), &root))
        .await
        .unwrap();
}

/// Whether this run uses virtual-host-style addressing for `Gw::client()`.
pub fn vhost_run() -> bool {
    std::env::var("GLUSTERS3_TEST_STYLE").is_ok_and(|s| s == "vhost")
}

/// Resolves every `*.localhost` name to 127.0.0.1 for the SDK's connections.
#[derive(Debug, Clone)]
struct Loopback;

impl aws_smithy_runtime_api::client::dns::ResolveDns for Loopback {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> aws_smithy_runtime_api::client::dns::DnsFuture<'a> {
        let ok = name == "localhost" || name.ends_with(".localhost");
        aws_smithy_runtime_api::client::dns::DnsFuture::ready(if ok {
            Ok(vec![std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)])
        } else {
            Err(aws_smithy_runtime_api::client::dns::ResolveDnsError::new(
                format!("{name} is not a test host"),
            ))
        })
    }
}

/// A bucket name unique to this test run.
pub fn bucket(tag: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("t-{tag}-{}-{n}", std::process::id())
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The S3 error code of an SDK error, if the service answered one.
pub fn code<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> Option<String>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    match e {
        aws_sdk_s3::error::SdkError::ServiceError(s) => s.err().code().map(str::to_owned),
        _ => None,
    }
}

/// A plain HTTP GET for the admin endpoints (not S3: no signing involved).
pub fn http_get(base: &str, path: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    raw_get(addr, addr, path)
}

/// GETs a full URL (a presigned one) the way curl would: connect to the loopback address at
/// the URL's port, send the URL's host as `Host`.
pub fn http_get_url(url: &str) -> (u16, String) {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let port = host.rsplit_once(':').map_or("80", |(_, p)| p);
    raw_get(&format!("127.0.0.1:{port}"), host, &path)
}

fn raw_get(addr: &str, host: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A GET on the admin listener at `base` with an optional bearer token, on a plain socket:
/// (status, lower-cased head, body). Blocking; see [`admin_get_async`].
pub fn admin_get(base: &str, path: &str, token: Option<&str>) -> (u16, String, String) {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// [`admin_get`] off the async executor (the gateway under test may share its thread).
pub async fn admin_get_async(base: &str, path: &str, token: Option<&str>) -> (u16, String, String) {
    let (base, path, token) = (base.to_owned(), path.to_owned(), token.map(str::to_owned));
    tokio::task::spawn_blocking(move || admin_get(&base, &path, token.as_deref()))
        .await
        .unwrap()
}
