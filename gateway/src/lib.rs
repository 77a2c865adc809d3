//! glusters3: an S3 gateway over GlusterFS. Object bytes go to a replica-3 volume through
//! libgfapi (`gfapi` crate); the namespace (buckets, keys, ETags, metadata) lives in an embedded
//! registry (`metadata` crate, sled).
//!
//! This crate owns the wiring: configuration ([`config`]), the S3 API ([`s3`]), the blob store
//! over the volume ([`store`]), the actix glue ([`http`]), the log setup ([`logging`]), the admin listener ([`admin`]) and its web console ([`console`]), the
//! cluster collector and its admin routes ([`gluster`]), the garbage sweep ([`sweeper`]) and the heap trimmer ([`heap`]) (both [`background`] tasks), and
//! the offline `fsck` / `reindex` tools ([`recovery`]). [`start`] runs a gateway on a connected
//! volume (used by `main` and by the integration tests alike).

pub mod admin;
pub mod admin_auth;
pub mod admin_buckets;
pub mod background;
pub mod blocking;
pub mod config;
pub mod console;
pub mod events;
pub mod gluster;
pub mod heap;
pub mod http;
pub mod lifecycle;
pub mod logging;
pub mod metrics;
pub mod recovery;
pub mod s3;
pub mod store;
pub mod sweeper;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpServer};

use config::Config;
use s3::AppState;
use store::BlobStore;

/// Connects the configured (default) volume (blocking; run before the servers start).
pub fn connect_volume(config: &Config) -> io::Result<gfapi::Volume> {
    connect_named(config, &config.volume, &config.volfile_servers)
}

/// Connects volume `name` through `servers` with the configuration's gfapi settings (blocking).
fn connect_named(config: &Config, name: &str, servers: &[String]) -> io::Result<gfapi::Volume> {
    let servers = servers
        .iter()
        .map(|s| gfapi::Server::parse(s))
        .collect::<io::Result<Vec<_>>>()?;
    let servers = reachable_first(servers, VOLFILE_PROBE_TIMEOUT);
    let opts = gfapi::VolumeOptions {
        servers,
        log_file: config.gfapi_log.clone(),
        log_level: if config.gfapi_log.is_some() { 7 } else { 4 },
        init_timeout: config.init_timeout,
    };
    gfapi::Volume::connect(name, &opts).map_err(|e| io::Error::new(e.kind(), format!("volume {name}: {e}")))
}

/// How long a volfile server may take to accept a TCP connection before it is tried last.
const VOLFILE_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// `servers` with the ones that accept a TCP connection to their management port within
/// `timeout` first (each group in the configured order). gfapi tries volfile servers in order
/// and moves on only when a connection fails: a server whose host is cut off (link down, packets
/// dropped, an ARP entry still cached) fails only when TCP gives up, minutes later, so
/// `glfs_init` would outlast its watchdog while the other servers could have answered at once.
/// The probes run in parallel; an unreachable server stays in the list, last.
fn reachable_first(servers: Vec<gfapi::Server>, timeout: std::time::Duration) -> Vec<gfapi::Server> {
    use std::net::{TcpStream, ToSocketAddrs};
    if servers.len() < 2 {
        return servers;
    }
    let answers = |s: &gfapi::Server| {
        (s.host.as_str(), s.port)
            .to_socket_addrs()
            .is_ok_and(|mut addrs| addrs.any(|a| TcpStream::connect_timeout(&a, timeout).is_ok()))
    };
    let up: Vec<bool> = std::thread::scope(|scope| {
        let probes: Vec<_> = servers.iter().map(|s| scope.spawn(move || answers(s))).collect();
        probes.into_iter().map(|p| p.join().unwrap_or(false)).collect()
    });
    let (mut first, last): (Vec<_>, Vec<_>) = servers.into_iter().zip(up).partition(|(_, up)| *up);
    for (s, _) in &last {
        tracing::warn!(server = %s.host, port = s.port, "volfile server not answering: tried last");
    }
    first.extend(last);
    first.into_iter().map(|(s, _)| s).collect()
}

/// This gateway node's name for its temp files (`store::scan::TempOwner`): host name, S3
/// address and blob root. No two live gateways sharing a blob root have the same one (two cannot
/// listen on one address of one host). A gateway on an ephemeral port (`:0`, tests) gets a name
/// of its own that no later process repeats.
fn node_name(config: &Config) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let node = format!("{} {} {}", host.trim(), config.listen, config.blob_root);
    if config.listen.port() == 0 {
        return node + " " + &hex::encode(rand::random::<[u8; 8]>());
    }
    node
}

/// Connects every `[[volumes]]` volume and opens its blob store (blocking), as [`start`] does.
pub fn open_extra_stores(
    config: &Config,
    stores: store::Stores,
    prepare: impl Fn(BlobStore) -> BlobStore,
) -> io::Result<store::Stores> {
    let mut stores = stores;
    for v in &config.volumes {
        let vol = connect_named(config, &v.name, &v.volfile_servers)?;
        stores = stores.with(prepare(BlobStore::open(vol, &config.blob_root)?));
    }
    Ok(stores)
}

/// A running gateway.
pub struct Running {
    /// Where the S3 API listens.
    pub s3_addr: SocketAddr,
    /// Where the admin endpoints listen.
    pub admin_addr: SocketAddr,
    /// The shared state (registry, store, config).
    pub state: Arc<AppState>,
    s3: actix_web::dev::ServerHandle,
    admin: actix_web::dev::ServerHandle,
    tasks: Vec<tokio::task::JoinHandle<io::Result<()>>>,
    sweeper: background::Handle,
    lifecycle: Option<background::Handle>,
    trimmer: Option<background::Handle>,
    cluster_task: background::Handle,
    /// The cluster collector (`gluster`): [`gluster::Collector::refresh_now`] asks for a refresh.
    pub cluster: Arc<gluster::Collector>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, stops the sweeper and flushes the
    /// registry.
    pub async fn stop(self) {
        self.state.events.close();
        self.s3.stop(true).await;
        self.admin.stop(true).await;
        for t in self.tasks {
            let _ = t.await;
        }
        self.sweeper.stop().await;
        if let Some(t) = self.lifecycle {
            t.stop().await;
        }
        if let Some(t) = self.trimmer {
            t.stop().await;
        }
        self.cluster_task.stop().await;
        let reg = self.state.registry.clone();
        let _ = blocking::run(move || reg.flush()).await;
    }
}

/// Opens the registry and starts the S3 and admin listeners and the sweeper on `vol`.
/// Ports 0 pick free ports (tests); the bound addresses are in [`Running`].
pub async fn start(config: Config, vol: gfapi::Volume) -> io::Result<Running> {
    let location = config.registry_location();
    let blob_root = config.blob_root.clone();
    let open_blobs = config.open_blobs;
    let metrics = Arc::new(metrics::Metrics::new());
    let cluster = gluster::Collector::new(&config);
    gluster::gauges::Gauges::register(cluster.clone(), metrics.registry());
    let gfapi_timings = metrics.gfapi();
    let conf = config.clone();
    let (registry, stores) = blocking::run(move || -> io::Result<_> {
        if let metadata::RegistryLocation::Sled { dir, .. } = &location {
            std::fs::create_dir_all(dir)?;
        }
        let registry = metadata::Registry::open_location(&location).map_err(|e| {
            let cause = std::error::Error::source(&e)
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            io::Error::other(format!("opening the registry at {location}: {e}{cause}"))
        })?;
        let node = node_name(&conf);
        let intents = store::intents::IntentLog::new(registry.clone())?;
        let prepare = |s: BlobStore| {
            s.with_open_blobs(open_blobs)
                .with_gfapi_timings(gfapi_timings.clone())
                .with_node(&node)
                .with_intents(intents.clone())
        };
        let default = prepare(BlobStore::open(vol, &blob_root)?);
        let stores = open_extra_stores(&conf, store::Stores::single(default), prepare)?;
        Ok((registry, stores))
    })
    .await
    .map_err(|e| io::Error::other(e.to_string()))??;

    let hub = events::Events::start(registry.clone(), &config);
    let state = Arc::new(AppState {
        config: config.clone(),
        registry,
        stores,
        budget: s3::body::UploadBudget::new(config.upload_buffer).with_max_wait(config.body_read_timeout),
        metrics,
        events: hub,
        rates: Arc::new(console::Rates::new()),
    });

    let s3_state = state.clone();
    let s3 = HttpServer::new(move || App::new().configure(http::configure(s3_state.clone())))
        // A streamed response goes out as two writes (head, then body); with Nagle on, the body
        // waits for the ACK of the head, which the client delays by ~40 ms (measured: every small
        // GET took 44 ms). Each write is a whole unit here, so no coalescing is lost.
        .tcp_nodelay(true)
        .bind(config.listen)?;
    let s3_addr = s3.addrs()[0];
    let s3 = s3.disable_signals().run();

    let admin_state = state.clone();
    let cluster_api = Arc::new(gluster::ClusterApi {
        collector: cluster.clone(),
        volume: config.volume.clone(),
        token: config.admin_token.clone(),
    });
    let admin = HttpServer::new(move || {
        App::new()
            .configure(admin::configure(admin_state.clone()))
            .configure(gluster::configure(cluster_api.clone()))
    })
    .workers(1)
    .bind(config.admin_listen)?;
    let admin_addr = admin.addrs()[0];
    let admin = admin.disable_signals().run();

    let handles = (s3.handle(), admin.handle());
    let tasks = vec![tokio::spawn(s3), tokio::spawn(admin)];
    let sweeper = sweeper::start(state.clone());
    let lifecycle = lifecycle::start(state.clone());
    let trimmer = heap::start(config.heap_trim);
    let cluster_task = gluster::collector::start(cluster.clone());
    Ok(Running {
        s3_addr,
        admin_addr,
        state,
        s3: handles.0,
        admin: handles.1,
        tasks,
        sweeper,
        lifecycle,
        trimmer,
        cluster_task,
        cluster,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(port: u16) -> gfapi::Server {
        gfapi::Server {
            host: "127.0.0.1".to_owned(),
            port,
        }
    }

    #[test]
    fn volfile_servers_that_answer_come_first_in_their_order() {
        let open_a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open_b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        // A port nobody listens on any more: the connection is refused.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (a, b) = (
            open_a.local_addr().unwrap().port(),
            open_b.local_addr().unwrap().port(),
        );
        let order = reachable_first(
            vec![server(closed), server(a), server(b)],
            std::time::Duration::from_secs(5),
        );
        let ports: Vec<u16> = order.iter().map(|s| s.port).collect();
        assert_eq!(ports, [a, b, closed]);
        // All answering, or a single server: the configured order stands.
        let order = reachable_first(vec![server(b), server(a)], std::time::Duration::from_secs(5));
        assert_eq!(order.iter().map(|s| s.port).collect::<Vec<_>>(), [b, a]);
        assert_eq!(
            reachable_first(vec![server(closed)], std::time::Duration::from_secs(5)).len(),
            1
        );
    }
}
