//! Gateway configuration: one TOML file, overridden by environment variables, overridden by
//! command-line flags (clap). Owns defaults and validation; must not open anything.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

/// A user allowed to sign requests. Its `Debug` never shows the secret key.
#[derive(Clone, Deserialize, PartialEq, Eq)]
pub struct User {
    /// Access key id (the `Credential=` part of a signature).
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Canonical owner id shown in listings; buckets belong to it. Defaults to the access key.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Display name shown in listings. Defaults to the owner id.
    #[serde(default)]
    pub display_name: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("owner_id", &self.owner_id)
            .field("display_name", &self.display_name)
            .finish()
    }
}

/// AWS's canonical id of the anonymous user: the caller of an unsigned request, and the owner
/// of what it writes.
pub const ANONYMOUS_ID: &str = "65a011a29cdf8ec533ec3d1ccaae921c";

impl User {
    /// Parses `ACCESS:SECRET[:OWNER[:DISPLAY]]`.
    pub fn parse(s: &str) -> Result<User, String> {
        let mut it = s.splitn(4, ':');
        let (Some(ak), Some(sk)) = (it.next(), it.next()) else {
            return Err(format!("user '{s}' is not ACCESS:SECRET[:OWNER[:DISPLAY]]"));
        };
        if ak.is_empty() || sk.is_empty() {
            return Err("access and secret key must not be empty".into());
        }
        Ok(User {
            access_key: ak.into(),
            secret_key: sk.into(),
            owner_id: it.next().map(Into::into),
            display_name: it.next().map(Into::into),
        })
    }

    /// The caller of an unsigned request: no keys, AWS's canonical id of the anonymous user.
    pub fn anonymous() -> User {
        User {
            access_key: String::new(),
            secret_key: String::new(),
            owner_id: Some(ANONYMOUS_ID.to_owned()),
            display_name: Some("anonymous".to_owned()),
        }
    }

    /// The owner id (defaults to the access key).
    pub fn owner(&self) -> &str {
        self.owner_id.as_deref().unwrap_or(&self.access_key)
    }

    /// The display name (defaults to the owner id).
    pub fn display(&self) -> &str {
        self.display_name.as_deref().unwrap_or_else(|| self.owner())
    }
}

/// The lifecycle worker's period from `lifecycle_interval_secs` (default an hour; 0: none) and
/// the length of its day from `lifecycle_day_secs` (default 86,400, at least 1).
fn lifecycle_times(interval_secs: Option<u64>, day_secs: Option<u64>) -> (Option<Duration>, Duration) {
    let interval = match interval_secs.unwrap_or(3600) {
        0 => None,
        s => Some(Duration::from_secs(s)),
    };
    (
        interval,
        Duration::from_secs(day_secs.map_or(86_400, |d| d.max(1))),
    )
}

/// The history's age bound from `events_max_age_hours` (default a week, at least an hour).
fn events_max_age(hours: Option<u64>) -> Duration {
    Duration::from_secs(hours.unwrap_or(168).clamp(1, 24 * 365 * 10) * 3600)
}

/// The file format (every field optional; flags and environment win).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    region: Option<String>,
    domains: Option<Vec<String>>,
    volume: Option<String>,
    volfile_servers: Option<Vec<String>>,
    registry_dir: Option<PathBuf>,
    registry: Option<String>,
    blob_root: Option<String>,
    gfapi_log: Option<PathBuf>,
    init_timeout_secs: Option<u64>,
    upload_buffer_mib: Option<u64>,
    registry_cache_mib: Option<u64>,
    open_blobs: Option<usize>,
    heap_trim_ms: Option<u64>,
    malloc_arenas: Option<usize>,
    sigv2: Option<bool>,
    region_agnostic: Option<bool>,
    body_read_timeout_secs: Option<u64>,
    admin_token: Option<String>,
    gluster_cli: Option<PathBuf>,
    cluster_refresh_secs: Option<u64>,
    gluster_cli_timeout_secs: Option<u64>,
    events_max: Option<usize>,
    events_max_age_hours: Option<u64>,
    lifecycle_interval_secs: Option<u64>,
    lifecycle_day_secs: Option<u64>,
    sse_master_key_file: Option<PathBuf>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    volumes: Vec<FileVolume>,
}

/// One `[[volumes]]` entry of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVolume {
    name: String,
    volfile_servers: Option<Vec<String>>,
    locations: Option<Vec<String>>,
}

/// A volume served besides the default one (`[[volumes]]` in the file): CreateBucket with one
/// of its `locations` as `LocationConstraint` puts the bucket there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeConfig {
    /// Gluster volume name.
    pub name: String,
    /// Its volfile servers (`host[:port]`; default: the default volume's).
    pub volfile_servers: Vec<String>,
    /// `LocationConstraint` values that select it (default: its name).
    pub locations: Vec<String>,
}

/// `gateway serve` flags; each has an environment variable too.
#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// TOML configuration file (see README); flags and environment override it.
    #[arg(long, env = "GLUSTERS3_CONFIG")]
    pub config: Option<PathBuf>,
    /// S3 listen address [default: 127.0.0.1:9000].
    #[arg(long, env = "GLUSTERS3_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Admin listen address: /health, /ready, /metrics [default: 127.0.0.1:9001].
    #[arg(long, env = "GLUSTERS3_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// Region the gateway answers as [default: us-east-1].
    #[arg(long, env = "GLUSTERS3_REGION")]
    pub region: Option<String>,
    /// Virtual-host domain: `bucket.DOMAIN` addresses `bucket` (repeatable).
    #[arg(long = "domain", env = "GLUSTERS3_DOMAINS", value_delimiter = ',')]
    pub domains: Vec<String>,
    /// Gluster volume holding the object bytes [default: s3vol].
    #[arg(long, env = "GLUSTERS3_VOLUME")]
    pub volume: Option<String>,
    /// Volfile server `host[:port]` (repeatable; give every peer) [default: localhost:24007].
    #[arg(
        long = "volfile-server",
        env = "GLUSTERS3_VOLFILE_SERVERS",
        value_delimiter = ','
    )]
    pub volfile_servers: Vec<String>,
    /// Directory of the registry (sled) [default: /var/lib/glusters3/registry].
    #[arg(long, env = "GLUSTERS3_REGISTRY_DIR")]
    pub registry_dir: Option<PathBuf>,
    /// The registry on PostgreSQL instead: `postgres://user@host1,host2/db?target_session_attrs=read-write`
    /// (several gateways may share it). Exclusive with --registry-dir.
    #[arg(long, env = "GLUSTERS3_REGISTRY")]
    pub registry: Option<String>,
    /// Directory on the volume that holds the gateway's blobs [default: /.s3].
    #[arg(long, env = "GLUSTERS3_BLOB_ROOT")]
    pub blob_root: Option<String>,
    /// File for libgfapi's own log ("-" for stderr) [default: none].
    #[arg(long, env = "GLUSTERS3_GFAPI_LOG")]
    pub gfapi_log: Option<PathBuf>,
    /// Seconds `glfs_init` may take before startup fails [default: 30].
    #[arg(long, env = "GLUSTERS3_INIT_TIMEOUT_SECS")]
    pub init_timeout_secs: Option<u64>,
    /// MiB of request bodies held in memory on their way to the volume, all uploads together;
    /// a full budget holds back reading from clients (TCP backpressure) [default: 16].
    #[arg(long, env = "GLUSTERS3_UPLOAD_BUFFER_MIB")]
    pub upload_buffer_mib: Option<u64>,
    /// MiB of registry pages (sled) cached in memory [default: 16].
    #[arg(long, env = "GLUSTERS3_REGISTRY_CACHE_MIB")]
    pub registry_cache_mib: Option<u64>,
    /// Blobs kept open after a read, for the next read of the same blob (each holds one fd on
    /// every brick); 0 keeps none [default: 1024].
    #[arg(long, env = "GLUSTERS3_OPEN_BLOBS")]
    pub open_blobs: Option<usize>,
    /// Milliseconds between returns of the heap's free memory to the kernel (`malloc_trim`);
    /// 0 never returns it [default: 1000].
    #[arg(long, env = "GLUSTERS3_HEAP_TRIM_MS")]
    pub heap_trim_ms: Option<u64>,
    /// Most malloc arenas (glibc keeps each one's free memory apart); 0 leaves glibc's own
    /// 8 per core [default: 2 per core].
    #[arg(long, env = "GLUSTERS3_MALLOC_ARENAS")]
    pub malloc_arenas: Option<usize>,
    /// Accept AWS Signature Version 2 (`Authorization: AWS ..`, `?AWSAccessKeyId=..&Signature=..`);
    /// `--sigv2=false` refuses it with 400 InvalidRequest [default: true].
    #[arg(long, env = "GLUSTERS3_SIGV2", num_args = 0..=1, default_missing_value = "true")]
    pub sigv2: Option<bool>,
    /// Accept SigV4 scoped to any region (checked with the region the client signed with), for
    /// clients that sign with another region (git-annex signs with the host) [default: false].
    #[arg(long, env = "GLUSTERS3_REGION_AGNOSTIC", num_args = 0..=1, default_missing_value = "true")]
    pub region_agnostic: Option<bool>,
    /// Seconds a request body may stay silent (no byte arrives) before the request fails with
    /// 400 RequestTimeout and its connection is closed [default: 20].
    #[arg(long, env = "GLUSTERS3_BODY_READ_TIMEOUT_SECS")]
    pub body_read_timeout_secs: Option<u64>,
    /// Bearer token for everything under `/admin/v1/` on the admin listener (unset: those
    /// routes answer 401 to everyone; `/health`, `/ready` and `/metrics` stay open).
    #[arg(long, env = "GLUSTERS3_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Events kept in the history (`events`) [default: 10000].
    #[arg(long, env = "GLUSTERS3_EVENTS_MAX")]
    pub events_max: Option<usize>,
    /// Hours an event stays in the history (`events`) [default: 168].
    #[arg(long, env = "GLUSTERS3_EVENTS_MAX_AGE_HOURS")]
    pub events_max_age_hours: Option<u64>,
    /// Seconds between two passes of the lifecycle worker; 0 never applies lifecycle rules
    /// [default: 3600].
    #[arg(long, env = "GLUSTERS3_LIFECYCLE_INTERVAL_SECS")]
    pub lifecycle_interval_secs: Option<u64>,
    /// Seconds in a lifecycle "day" (tests shorten it, like RGW's `rgw_lc_debug_interval`)
    /// [default: 86400].
    #[arg(long, env = "GLUSTERS3_LIFECYCLE_DAY_SECS")]
    pub lifecycle_day_secs: Option<u64>,
    /// A user `ACCESS:SECRET[:OWNER[:DISPLAY]]` (repeatable; comma-separated in the env).
    #[arg(long = "user", env = "GLUSTERS3_USERS", value_delimiter = ',')]
    pub users: Vec<String>,
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// S3 listen address.
    pub listen: SocketAddr,
    /// Admin listen address.
    pub admin_listen: SocketAddr,
    /// Region.
    pub region: String,
    /// Virtual-host domains, lowercase.
    pub domains: Vec<String>,
    /// Volume name.
    pub volume: String,
    /// Volfile servers (`host[:port]`).
    pub volfile_servers: Vec<String>,
    /// Registry directory (sled; unused when `registry_url` is set).
    pub registry_dir: PathBuf,
    /// The PostgreSQL registry's URL, if the registry is on PostgreSQL (`registry` in the file,
    /// `--registry`); `None`: sled in `registry_dir`.
    pub registry_url: Option<String>,
    /// Top directory of the blobs on the volume.
    pub blob_root: String,
    /// gfapi log file.
    pub gfapi_log: Option<PathBuf>,
    /// Watchdog for `glfs_init`.
    pub init_timeout: Duration,
    /// Bytes of upload bodies held in memory at once (see `s3::body::UploadBudget`).
    pub upload_buffer: usize,
    /// Bytes of registry pages sled may cache.
    pub registry_cache: u64,
    /// Most blobs kept open for reads (`store::open`); 0: none.
    pub open_blobs: usize,
    /// How often the heap's free memory goes back to the kernel (`heap`); `None`: never.
    pub heap_trim: Option<Duration>,
    /// Cap on glibc's malloc arenas, set before any thread starts (`heap`); `None`: glibc's.
    pub malloc_arenas: Option<usize>,
    /// Whether AWS Signature Version 2 is accepted (`s3::sigv2`).
    pub sigv2: bool,
    /// Whether SigV4 scoped to a region other than `region` is accepted.
    pub region_agnostic: bool,
    /// Longest silence between two pieces of a request body (`s3::body::ReadTimeout`); also the
    /// longest wait of a body for the upload budget before 503 SlowDown.
    pub body_read_timeout: Duration,
    /// Bearer token of the admin API (`admin_auth`); `None` refuses every `/admin/v1/` call.
    pub admin_token: Option<crate::admin_auth::AdminToken>,
    /// The `gluster` CLI the cluster collector runs (`gluster`).
    pub gluster_cli: PathBuf,
    /// How often the cluster collector refreshes peers, volumes and bricks; `None`
    /// (`cluster_refresh_secs = 0`): no collector, the cluster routes answer 503.
    pub cluster_refresh: Option<Duration>,
    /// Longest run of one `gluster` command before it is killed and counted as failed.
    pub gluster_cli_timeout: Duration,
    /// Most events kept in the history (`events`).
    pub events_max: usize,
    /// Longest an event stays in the history (`events`).
    pub events_max_age: Duration,
    /// Time between two passes of the lifecycle worker (`lifecycle`); `None`: no worker.
    pub lifecycle_interval: Option<Duration>,
    /// The length of a lifecycle "day".
    pub lifecycle_day: Duration,
    /// The master key that wraps SSE-S3 data keys (`sse_master_key_file`, file only); `None`:
    /// SSE-S3 and bucket default encryption answer 501.
    pub sse_master_key: Option<crate::s3::sse::Key>,
    /// Users.
    pub users: Vec<User>,
    /// Volumes served besides the default one `volume` (`[[volumes]]`, file only).
    pub volumes: Vec<VolumeConfig>,
}

/// Reads the SSE-S3 master key: 32 bytes, as 64 hex characters or base64 text (surrounding
/// whitespace ignored), or the raw bytes. The file should be readable by the gateway alone.
fn read_master_key(path: &std::path::Path) -> Result<crate::s3::sse::Key, String> {
    use base64::Engine as _;
    let raw =
        std::fs::read(path).map_err(|e| format!("reading sse_master_key_file {}: {e}", path.display()))?;
    let text = std::str::from_utf8(&raw).map_or("", str::trim);
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
        .unwrap_or(raw);
    crate::s3::sse::Key::from_bytes(&bytes).ok_or_else(|| {
        format!(
            "sse_master_key_file {}: not a 32-byte key (64 hex characters, base64, or 32 raw bytes)",
            path.display()
        )
    })
}

impl Config {
    /// Resolves file, environment (through clap) and flags into a configuration.
    pub fn load(args: &ServeArgs) -> Result<Config, String> {
        Self::resolve(args, true)
    }

    /// Like [`Config::load`] for the offline tools (`fsck`, `reindex`), which sign nothing: a
    /// configuration without users is accepted.
    pub fn load_offline(args: &ServeArgs) -> Result<Config, String> {
        Self::resolve(args, false)
    }

    /// The configuration file named by `--config` (empty when none).
    fn file(args: &ServeArgs) -> Result<FileConfig, String> {
        match &args.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("parsing {}: {e}", p.display()))
            }
            None => Ok(FileConfig::default()),
        }
    }

    fn resolve(args: &ServeArgs, need_users: bool) -> Result<Config, String> {
        let mut file = Self::file(args)?;
        let (gluster_cli, cluster_refresh, gluster_cli_timeout) = Self::cluster(&file);
        let file_volumes = std::mem::take(&mut file.volumes);
        let users = Self::users(args, file.users, need_users)?;
        let (lifecycle_interval, lifecycle_day) = lifecycle_times(
            args.lifecycle_interval_secs.or(file.lifecycle_interval_secs),
            args.lifecycle_day_secs.or(file.lifecycle_day_secs),
        );
        let pick = |flag: &Vec<String>, file: Option<Vec<String>>, default: &[&str]| -> Vec<String> {
            if flag.is_empty() {
                file.unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect())
            } else {
                flag.clone()
            }
        };
        let volfile_servers = pick(&args.volfile_servers, file.volfile_servers, &["localhost:24007"]);
        for s in &volfile_servers {
            gfapi::Server::parse(s).map_err(|e| e.to_string())?;
        }
        let region = Self::region(args.region.clone().or(file.region))?;
        let volume = args
            .volume
            .clone()
            .or(file.volume)
            .unwrap_or_else(|| "s3vol".into());
        let volumes = Self::volumes(file_volumes, &volume, &volfile_servers, &region)?;
        let (registry_dir, registry_url) = Self::registry(args, file.registry_dir, file.registry)?;
        let sse_master_key = file.sse_master_key_file.as_deref().map(read_master_key);
        let sse_master_key = sse_master_key.transpose()?;
        let domains = pick(&args.domains, file.domains, &[])
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        Ok(Config {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| ([127, 0, 0, 1], 9000).into()),
            admin_listen: args
                .admin_listen
                .or(file.admin_listen)
                .unwrap_or_else(|| ([127, 0, 0, 1], 9001).into()),
            region,
            domains,
            volume,
            volfile_servers,
            registry_dir,
            registry_url,
            blob_root: args
                .blob_root
                .clone()
                .or(file.blob_root)
                .unwrap_or_else(|| crate::store::DEFAULT_ROOT.into()),
            gfapi_log: args.gfapi_log.clone().or(file.gfapi_log),
            init_timeout: Duration::from_secs(
                args.init_timeout_secs.or(file.init_timeout_secs).unwrap_or(30),
            ),
            upload_buffer: {
                let mib = args.upload_buffer_mib.or(file.upload_buffer_mib).unwrap_or(16);
                usize::try_from(mib.clamp(2, 16 << 10) << 20).unwrap_or(16 << 20)
            },
            registry_cache: args
                .registry_cache_mib
                .or(file.registry_cache_mib)
                .map_or(metadata::DEFAULT_CACHE_BYTES, |m| m.clamp(8, 64 << 10) << 20),
            open_blobs: args.open_blobs.or(file.open_blobs).unwrap_or(1024).min(16384),
            heap_trim: match args.heap_trim_ms.or(file.heap_trim_ms).unwrap_or(1000) {
                0 => None,
                ms => Some(Duration::from_millis(ms.max(100))),
            },
            malloc_arenas: match args.malloc_arenas.or(file.malloc_arenas) {
                Some(0) => None,
                Some(n) => Some(n.min(1024)),
                None => Some(2 * std::thread::available_parallelism().map_or(1, std::num::NonZero::get)),
            },
            sigv2: args.sigv2.or(file.sigv2).unwrap_or(true),
            region_agnostic: args.region_agnostic.or(file.region_agnostic).unwrap_or(false),
            body_read_timeout: Duration::from_secs(
                args.body_read_timeout_secs
                    .or(file.body_read_timeout_secs)
                    .unwrap_or(20)
                    .clamp(1, 3600),
            ),
            admin_token: args
                .admin_token
                .clone()
                .or(file.admin_token)
                .and_then(crate::admin_auth::AdminToken::new),
            gluster_cli,
            cluster_refresh,
            gluster_cli_timeout,
            events_max: args.events_max.or(file.events_max).unwrap_or(10_000).max(1),
            events_max_age: events_max_age(args.events_max_age_hours.or(file.events_max_age_hours)),
            lifecycle_interval,
            lifecycle_day,
            sse_master_key,
            users,
            volumes,
        })
    }

    /// The region (default us-east-1), checked.
    /// The registry directory (sled) and the PostgreSQL URL, checked: `postgres://` or
    /// `postgresql://`, and not together with a registry directory (exactly one registry).
    fn registry(
        args: &ServeArgs,
        file_dir: Option<PathBuf>,
        file_url: Option<String>,
    ) -> Result<(PathBuf, Option<String>), String> {
        let dir_given = args.registry_dir.is_some() || file_dir.is_some();
        let dir = args
            .registry_dir
            .clone()
            .or(file_dir)
            .unwrap_or_else(|| "/var/lib/glusters3/registry".into());
        let Some(url) = args.registry.clone().or(file_url).filter(|u| !u.is_empty()) else {
            return Ok((dir, None));
        };
        if dir_given {
            return Err("registry and registry_dir are exclusive: give one registry".into());
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("registry must be a postgres:// URL (registry_dir is for sled)".into());
        }
        Ok((dir, Some(url)))
    }

    /// Where the registry is: PostgreSQL if `registry_url` is set, else sled in `registry_dir`.
    pub fn registry_location(&self) -> metadata::RegistryLocation {
        match &self.registry_url {
            Some(url) => metadata::RegistryLocation::Postgres(url.clone()),
            None => metadata::RegistryLocation::Sled {
                dir: self.registry_dir.clone(),
                cache_bytes: self.registry_cache,
            },
        }
    }

    fn region(given: Option<String>) -> Result<String, String> {
        let region = given.unwrap_or_else(|| "us-east-1".into());
        if region.is_empty() || !region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("region '{region}' is not a valid region name"));
        }
        Ok(region)
    }

    /// The `[[volumes]]` of the file: names unique and not the default volume, servers valid,
    /// each location naming one volume and not the region (which means the default volume).
    fn volumes(
        file: Vec<FileVolume>,
        default: &str,
        default_servers: &[String],
        region: &str,
    ) -> Result<Vec<VolumeConfig>, String> {
        let mut names = std::collections::HashSet::from([default.to_owned()]);
        let mut locations = std::collections::HashSet::from([region.to_owned()]);
        let mut out = Vec::new();
        for v in file {
            if v.name.is_empty() || !names.insert(v.name.clone()) {
                return Err(format!(
                    "[[volumes]] name '{}' is empty, repeated or the default volume",
                    v.name
                ));
            }
            let servers = v.volfile_servers.unwrap_or_else(|| default_servers.to_vec());
            for s in &servers {
                gfapi::Server::parse(s).map_err(|e| format!("volume {}: {e}", v.name))?;
            }
            let locs = v.locations.unwrap_or_else(|| vec![v.name.clone()]);
            for l in &locs {
                if l.is_empty() || !locations.insert(l.clone()) {
                    return Err(format!(
                        "location '{l}' of volume {} is empty, the region, or given twice",
                        v.name
                    ));
                }
            }
            out.push(VolumeConfig {
                name: v.name,
                volfile_servers: servers,
                locations: locs,
            });
        }
        Ok(out)
    }

    /// The volume a `LocationConstraint` selects: `Some("")` for the default volume (no
    /// constraint, or the region), `Some(name)` for a `[[volumes]]` location, `None` otherwise.
    pub fn volume_for_location(&self, location: Option<&str>) -> Option<&str> {
        match location {
            None => Some(""),
            Some(l) if l == self.region => Some(""),
            Some(l) => self
                .volumes
                .iter()
                .find(|v| v.locations.iter().any(|x| x == l))
                .map(|v| v.name.as_str()),
        }
    }

    /// The `LocationConstraint` GetBucketLocation answers for a bucket on `volume`: the
    /// volume's first location, or the region for the default volume.
    pub fn location_of_volume(&self, volume: &str) -> &str {
        self.volumes
            .iter()
            .find(|v| v.name == volume)
            .and_then(|v| v.locations.first())
            .map_or(self.region.as_str(), String::as_str)
    }

    /// The cluster collector's settings (file only): CLI path, refresh period (0: off), CLI
    /// timeout.
    fn cluster(file: &FileConfig) -> (PathBuf, Option<Duration>, Duration) {
        (
            file.gluster_cli.clone().unwrap_or_else(|| "gluster".into()),
            match file.cluster_refresh_secs.unwrap_or(10) {
                0 => None,
                n => Some(Duration::from_secs(n.min(3600))),
            },
            Duration::from_secs(file.gluster_cli_timeout_secs.unwrap_or(10).clamp(1, 600)),
        )
    }

    /// The users of the file, then those of `--user`; access keys must be unique.
    fn users(args: &ServeArgs, mut users: Vec<User>, need_users: bool) -> Result<Vec<User>, String> {
        for u in &args.users {
            users.push(User::parse(u)?);
        }
        if users.is_empty() && need_users {
            return Err(
                "no user configured: give --user ACCESS:SECRET or [[users]] in the config file".into(),
            );
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(u) = users.iter().find(|u| !seen.insert(u.access_key.clone())) {
            return Err(format!("access key {} is configured twice", u.access_key));
        }
        Ok(users)
    }

    /// The user with this access key.
    pub fn user(&self, access_key: &str) -> Option<&User> {
        self.users.iter().find(|u| u.access_key == access_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_and_their_locations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Config::load(&ServeArgs {
                config: Some(path.clone()),
                users: vec!["a:s".into()],
                ..ServeArgs::default()
            })
        };
        let c = load(
            "volume = \"main\"\nvolfile_servers = [\"n1\", \"n2\"]\n\
             [[volumes]]\nname = \"fast\"\nlocations = [\"ssd\", \"eu-fast\"]\n\
             [[volumes]]\nname = \"cold\"\nvolfile_servers = [\"c1:24008\"]\n",
        )
        .unwrap();
        assert_eq!(c.volumes.len(), 2);
        assert_eq!(c.volumes[0].volfile_servers, ["n1", "n2"]);
        assert_eq!(c.volumes[1].locations, ["cold"]);
        assert_eq!(c.volume_for_location(None), Some(""));
        assert_eq!(c.volume_for_location(Some("us-east-1")), Some(""));
        assert_eq!(c.volume_for_location(Some("eu-fast")), Some("fast"));
        assert_eq!(c.volume_for_location(Some("cold")), Some("cold"));
        assert_eq!(c.volume_for_location(Some("main")), None);
        assert_eq!(c.location_of_volume("fast"), "ssd");
        assert_eq!(c.location_of_volume("main"), "us-east-1");
        for bad in [
            "volume = \"v\"\n[[volumes]]\nname = \"v\"\n",
            "[[volumes]]\nname = \"a\"\n[[volumes]]\nname = \"a\"\n",
            "[[volumes]]\nname = \"a\"\nlocations = [\"us-east-1\"]\n",
            "[[volumes]]\nname = \"a\"\nlocations = [\"x\"]\n[[volumes]]\nname = \"b\"\nlocations = [\"x\"]\n",
            "[[volumes]]\nname = \"a\"\nvolfile_servers = [\"h:notaport\"]\n",
            "[[volumes]]\nname = \"a\"\nbogus = 1\n",
        ] {
            assert!(load(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn flags_override_file_and_users_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "region = \"eu-west-1\"\nvolume = \"v\"\ndomains = [\"S3.Example.com\"]\n\
             [[users]]\naccess_key = \"a\"\nsecret_key = \"s\"\nowner_id = \"o\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            volume: Some("w".into()),
            users: vec!["b:t:ob:Bee".into()],
            ..ServeArgs::default()
        };
        let c = Config::load(&args).unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.volume, "w");
        assert_eq!(c.domains, ["s3.example.com"]);
        assert_eq!(c.user("a").unwrap().owner(), "o");
        assert_eq!(c.user("b").unwrap().display(), "Bee");
        assert_eq!(c.volfile_servers, ["localhost:24007"]);
        assert_eq!(c.upload_buffer, 16 << 20);
        assert_eq!(c.heap_trim, Some(Duration::from_secs(1)));
        assert_eq!(c.body_read_timeout, Duration::from_secs(20));
        assert!(
            c.sigv2 && !c.region_agnostic,
            "SigV2 on, region-agnostic off by default"
        );
        assert!(
            c.malloc_arenas.is_some_and(|n| n >= 2 && n % 2 == 0),
            "arenas are capped by default"
        );
        let never = ServeArgs {
            sigv2: Some(false),
            region_agnostic: Some(true),
            heap_trim_ms: Some(0),
            malloc_arenas: Some(0),
            upload_buffer_mib: Some(1),
            ..args
        };
        let c = Config::load(&never).unwrap();
        assert_eq!(c.heap_trim, None, "0 never trims");
        assert!(!c.sigv2 && c.region_agnostic);
        assert_eq!(c.malloc_arenas, None, "0 leaves glibc's default");
        assert_eq!(c.upload_buffer, 2 << 20, "the budget has a floor");
    }

    #[test]
    fn auth_switches_from_flags_and_file() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "sigv2 = false\nregion_agnostic = true\n").unwrap();
        let file = ServeArgs {
            config: Some(path.clone()),
            users: vec!["a:b".into()],
            ..ServeArgs::default()
        };
        let c = Config::load(&file).unwrap();
        assert!(!c.sigv2 && c.region_agnostic);
        let p = path.to_str().unwrap();
        let flags = Cli::parse_from([
            "t",
            "--config",
            p,
            "--sigv2",
            "--region-agnostic=false",
            "--user",
            "a:b",
        ]);
        let c = Config::load(&flags.serve).unwrap();
        assert!(c.sigv2 && !c.region_agnostic, "flags win over the file");
        let off = Cli::parse_from(["t", "--sigv2=false", "--region-agnostic", "--user", "a:b"]);
        let c = Config::load(&off.serve).unwrap();
        assert!(!c.sigv2 && c.region_agnostic);
    }

    #[test]
    fn bad_configs_are_refused() {
        assert!(Config::load(&ServeArgs::default()).is_err(), "no users");
        assert!(
            Config::load_offline(&ServeArgs::default()).is_ok(),
            "tools need no users"
        );
        let dup = ServeArgs {
            users: vec!["a:b".into(), "a:c".into()],
            ..ServeArgs::default()
        };
        assert!(Config::load(&dup).is_err());
        assert!(User::parse("nosecret").is_err());
        let bad = ServeArgs {
            users: vec!["a:b".into()],
            volfile_servers: vec!["h:x".into()],
            ..ServeArgs::default()
        };
        assert!(Config::load(&bad).is_err());
    }

    #[test]
    fn user_debug_redacts_the_secret_key() {
        let u = User::parse("AKID:very-secret/key:owner").unwrap();
        let shown = format!("{u:?} {u:#?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("AKID") && shown.contains("<redacted>"), "{shown}");
    }
}
