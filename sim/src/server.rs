//! Starting and stopping the sim: the listener, the connection tasks, the kubeconfig it writes
//! and the handle tests hold (dropping it stops the server).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admission::FieldValidation;
use crate::builtins::INITIAL_NAMESPACES;
use crate::clock::{Clock, SystemClock};
use crate::errors::ApiError;
use crate::faults::{FaultInjector, Faults};
use crate::ids::IdGenerator;
use crate::kubeconfig;
use crate::request_log::{RequestLog, RequestRecord};
use crate::store::{DEFAULT_HISTORY_LIMIT, Store};
use crate::world::{World, WriteOptions};

/// How to start a sim.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where to write the kubeconfig; `None` writes it into a temporary directory the handle owns.
    pub kubeconfig: Option<PathBuf>,
    /// Faults injected from the start.
    pub faults: Faults,
    /// Seed for uids, name suffixes and fault decisions; `None` is random.
    pub seed: Option<u64>,
    /// The clock for timestamps; `None` is the system clock.
    pub clock: Option<Arc<dyn Clock>>,
    /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK.
    pub bookmark_interval: Duration,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            kubeconfig: None,
            faults: Faults::default(),
            seed: None,
            clock: None,
            bookmark_interval: Duration::from_secs(60),
        }
    }
}

/// Why the sim could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot write the kubeconfig {path}: {source}")]
    Kubeconfig { path: PathBuf, source: std::io::Error },
    #[error("cannot wait for a stop signal: {0}")]
    Signal(std::io::Error),
    #[error("cannot seed the initial objects: {0}")]
    Seed(ApiError),
    #[error("cannot start the simulated cluster: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// State shared by every connection.
#[derive(Debug)]
pub struct SimState {
    world: Mutex<World>,
    pub faults: FaultInjector,
    pub requests: RequestLog,
    pub addr: SocketAddr,
    pub bookmark_interval: Duration,
    shutdown: watch::Receiver<bool>,
    /// The fault setting "drop watches after N seconds", seen by running watches too.
    watch_lifetime: watch::Sender<Option<Duration>>,
}

impl SimState {
    /// The world lock. A panic while it was held cannot leave a half-written object (writes
    /// store whole values), so a poisoned lock is taken over rather than propagated.
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// Follows the "drop watches after N seconds" fault as it changes.
    pub fn watch_lifetime_signal(&self) -> watch::Receiver<Option<Duration>> {
        self.watch_lifetime.subscribe()
    }

    pub fn apply_faults(&self, faults: Faults) {
        self.lock()
            .store
            .set_history_limit(faults.history_limit.unwrap_or(DEFAULT_HISTORY_LIMIT));
        self.watch_lifetime
            .send_replace(faults.drop_watches_after_secs.map(Duration::from_secs));
        self.faults.set(faults);
    }
}

/// A running sim. Dropping it stops the server and closes every watch.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    kubeconfig: PathBuf,
    state: Arc<SimState>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    _kubeconfig_dir: Option<tempfile::TempDir>,
}

/// Starts a sim on `opts.listen` and writes its kubeconfig.
pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: opts.listen,
        source,
    })?;
    let (kubeconfig_path, kubeconfig_dir) = match &opts.kubeconfig {
        Some(path) => (path.clone(), None),
        None => {
            let dir = tempfile::tempdir().map_err(|source| SimError::Kubeconfig {
                path: PathBuf::from("<tempdir>"),
                source,
            })?;
            (dir.path().join("kubeconfig"), Some(dir))
        }
    };
    kubeconfig::write(&kubeconfig_path, addr).map_err(|source| SimError::Kubeconfig {
        path: kubeconfig_path.clone(),
        source,
    })?;
    let clock = opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
    let history_limit = opts.faults.history_limit.unwrap_or(DEFAULT_HISTORY_LIMIT);
    let mut world = World::new(Store::new(history_limit), IdGenerator::new(opts.seed), clock);
    seed_namespaces(&mut world)?;
    let (stop, shutdown) = watch::channel(false);
    let state = Arc::new(SimState {
        world: Mutex::new(world),
        faults: FaultInjector::new(opts.faults.clone(), opts.seed),
        requests: RequestLog::default(),
        addr,
        bookmark_interval: opts.bookmark_interval,
        shutdown: shutdown.clone(),
        watch_lifetime: watch::Sender::new(opts.faults.drop_watches_after_secs.map(Duration::from_secs)),
    });
    let task = tokio::spawn(serve(listener, state.clone(), shutdown));
    Ok(SimHandle {
        addr,
        kubeconfig: kubeconfig_path,
        state,
        stop,
        task: Some(task),
        _kubeconfig_dir: kubeconfig_dir,
    })
}

fn seed_namespaces(world: &mut World) -> Result<(), SimError> {
    let Some(desc) = world.registry.lookup("", "v1", "namespaces") else {
        return Ok(());
    };
    let opts = WriteOptions {
        dry_run: false,
        validation: FieldValidation::Strict,
        manager: "linnet-sim",
        subresource: None,
        apply: false,
    };
    for name in INITIAL_NAMESPACES {
        let namespace =
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        world
            .create(&desc, None, namespace, opts)
            .map_err(SimError::Seed)?;
    }
    Ok(())
}

async fn serve(listener: TcpListener, state: Arc<SimState>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _peer)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| crate::service::handle(state.clone(), request));
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "sim connection ended with an error");
                    }
                }
                _ = stop.changed() => {}
            }
        });
    }
    state.lock().store.disconnect_watchers();
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests.snapshot()
    }

    pub fn clear_requests(&self) {
        self.state.requests.clear();
    }

    pub fn faults(&self) -> Faults {
        self.state.faults.current()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state.apply_faults(faults);
    }

    /// Drops the watch history: resumes from any older resourceVersion now get 410 Expired.
    pub fn compact_history(&self) {
        self.state.lock().store.compact();
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.state.lock().store.revision()
    }

    /// Reads one stored object, e.g. `get("apps", "deployments", "ns", "web")`; empty namespace
    /// for cluster-scoped ones.
    pub fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let world = self.state.lock();
        let desc = world
            .registry
            .all()
            .find(|d| d.group == group && d.plural == plural)?
            .clone();
        world
            .store
            .get(&desc.id(), namespace, name)
            .map(|o| (**o).clone())
    }

    /// Creates an object as a POST would (its `apiVersion` and `kind` pick the resource).
    pub fn create(&self, object: Value) -> Result<Value, ApiError> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
        let mut world = self.state.lock();
        let desc = world
            .registry
            .by_kind(api_version, kind)
            .ok_or_else(|| ApiError::BadRequest(format!("no resource serves {api_version} {kind}")))?;
        let opts = WriteOptions {
            dry_run: false,
            validation: FieldValidation::Strict,
            manager: "linnet-sim",
            subresource: None,
            apply: false,
        };
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        let written = world.create(&desc, namespace.as_deref(), object, opts)?;
        Ok((*written.object).clone())
    }

    /// Stops the server and waits until it no longer accepts connections.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Runs a sim and its simulated cluster until SIGINT or SIGTERM, printing where the API and
/// the metrics listen and the kubeconfig path.
pub async fn run_until_signal(
    opts: SimOptions,
    cluster: crate::cluster::ClusterOptions,
) -> Result<(), SimError> {
    let handle = start(opts).await?;
    let cluster = crate::cluster::start_cluster(&handle.url(), cluster).await?;
    println!("linnet sim listening on {}", handle.url());
    println!("kubeconfig: {}", handle.kubeconfig_path().display());
    if let Some(metrics) = cluster.metrics_addr() {
        println!("metrics: http://{metrics}/metrics");
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(SimError::Signal)?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(SimError::Signal)?,
        _ = terminate.recv() => {}
    }
    drop(cluster);
    handle.stop().await;
    Ok(())
}
