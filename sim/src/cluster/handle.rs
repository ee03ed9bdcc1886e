//! Starting and stopping the simulated cluster.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use tokio::task::JoinSet;

use super::errors::ClusterError;
use super::metrics::exposition::{self, Stats};
use super::metrics::registry::Registry;
use super::rng::SimRng;
use super::view::ClusterView;
use super::{deployment, endpoints, job, kubelet, metrics, replicaset, traffic};

/// How long [`start_cluster`] waits for its caches to fill.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How to run the simulated cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Where to serve `/metrics` and `/stats`; `None` serves nothing (the counts are still
    /// kept and readable through [`ClusterHandle::stats`]).
    pub metrics_listen: Option<SocketAddr>,
    /// Seed of the traffic generator; `None` is random.
    pub seed: Option<u64>,
    /// How often traffic is generated (requests are spread over ticks).
    pub traffic_tick: Duration,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            metrics_listen: None,
            seed: None,
            traffic_tick: Duration::from_millis(100),
        }
    }
}

/// A running simulated cluster. Dropping it stops every controller, the traffic and the
/// metrics listener.
pub struct ClusterHandle {
    metrics_addr: Option<SocketAddr>,
    registry: Arc<Registry>,
    tasks: JoinSet<()>,
}

impl std::fmt::Debug for ClusterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHandle")
            .field("metrics_addr", &self.metrics_addr)
            .finish_non_exhaustive()
    }
}

/// Starts the cluster's controllers against the API server at `api_url`
/// (e.g. `SimHandle::url()`), and returns once their caches have filled.
pub async fn start_cluster(api_url: &str, opts: ClusterOptions) -> Result<ClusterHandle, ClusterError> {
    let uri = api_url
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| ClusterError::BadUrl {
            url: api_url.to_string(),
            reason: e.to_string(),
        })?;
    let client = Client::try_from(kube::Config::new(uri)).map_err(ClusterError::Client)?;
    let mut tasks = JoinSet::new();
    let metrics_addr = match opts.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| ClusterError::MetricsBind { addr, source })?;
            let bound = listener
                .local_addr()
                .map_err(|source| ClusterError::MetricsBind { addr, source })?;
            Some((listener, bound))
        }
        None => None,
    };
    let registry = Arc::new(Registry::default());
    let view = ClusterView::start(&client, &mut tasks);
    if tokio::time::timeout(READY_TIMEOUT, view.wait_until_ready()).await != Ok(true) {
        return Err(ClusterError::NotReady(READY_TIMEOUT));
    }
    tasks.spawn(deployment::controller::run(client.clone(), view.clone()));
    tasks.spawn(replicaset::controller::run(client.clone(), view.clone()));
    tasks.spawn(kubelet::controller::run(client.clone(), view.clone()));
    tasks.spawn(job::controller::run(client.clone(), view.clone()));
    tasks.spawn(endpoints::controller::run(client.clone(), view.clone()));
    let seed = opts.seed.unwrap_or_else(SimRng::seed_from_time);
    tasks.spawn(traffic::task::run(
        view,
        registry.clone(),
        SimRng::new(seed),
        opts.traffic_tick,
    ));
    let metrics_addr = metrics_addr.map(|(listener, bound)| {
        tasks.spawn(metrics::server::serve(listener, registry.clone()));
        bound
    });
    Ok(ClusterHandle {
        metrics_addr,
        registry,
        tasks,
    })
}

impl ClusterHandle {
    /// Where `/metrics` and `/stats` are served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The traffic counts so far, as `/stats` serves them.
    pub fn stats(&self) -> Stats {
        exposition::stats(&self.registry.snapshot())
    }

    /// The Prometheus exposition, as `/metrics` serves it.
    pub fn metrics_text(&self) -> String {
        exposition::render(&self.registry.snapshot())
    }

    /// Stops everything and waits until it has stopped.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}
