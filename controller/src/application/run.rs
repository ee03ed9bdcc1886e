//! Running the Application controller: a kube-runtime `Controller` over Applications in every
//! namespace, or one per namespace of a given list, until a shutdown signal. Applications are
//! refreshed on every change to them (including the refresh annotation), on every change
//! someone else makes to an object they own, while an operation runs, and by polling.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::future::join_all;
use kube::runtime::PredicateConfig;
use kube::runtime::controller::{Config as ControllerConfig, Controller};
use kube::runtime::events::Reporter;
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Client};
use linnet_crds::application::Application;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tracing::info;

use super::live_cache::LiveCache;
use super::observe::Sources;
use super::reconcile::{Context, Timing, error_policy, reconcile};
use super::settings::DEFAULT_CONTROL_PLANE_NAMESPACE;
use super::webhook;
use crate::events::Recorder;
use crate::render::{RenderConfig, Renderer};
use crate::source::{RepoCache, SourceError};
use crate::sync::tracking::TrackingMethod;
use crate::wakes::settled_objects;

/// How many Applications are reconciled at the same time.
const PASSES_AT_ONCE: u16 = 16;

/// How the Application controller runs.
#[derive(Clone, Debug)]
pub struct AppControllerOptions {
    /// Watch only these namespaces; `None` watches all.
    pub namespaces: Option<Vec<String>>,
    /// Where repositories are cached.
    pub repo_cache_dir: PathBuf,
    /// Polling period (default 120 s) and the jitter added to it (default 60 s).
    pub refresh_interval: Duration,
    pub refresh_jitter: Duration,
    /// Self-heal waits this long after a sync before reverting drift (default 5 s).
    pub self_heal_timeout: Duration,
    /// The namespace whose Applications track objects by bare name (default `argocd`); it is
    /// also searched for repository Secrets.
    pub control_plane_namespace: String,
    /// The kubectl that builds kustomizations.
    pub kubectl: PathBuf,
    /// Where to serve the push webhook (`POST /api/webhook`); `None` serves none.
    pub webhook_listen: Option<SocketAddr>,
    /// The GitHub secret / GitLab token deliveries must carry; `None` accepts any.
    pub webhook_secret: Option<String>,
    /// How objects are marked as an Application's own (default `annotation`, as in Argo CD 3).
    pub tracking_method: TrackingMethod,
    /// Read live objects from one shared watch per kind and namespace (default); off, every
    /// pass lists the kinds it compares.
    pub watch_live_objects: bool,
}

impl AppControllerOptions {
    pub fn new(repo_cache_dir: impl Into<PathBuf>) -> AppControllerOptions {
        AppControllerOptions {
            namespaces: None,
            repo_cache_dir: repo_cache_dir.into(),
            refresh_interval: Duration::from_secs(120),
            refresh_jitter: Duration::from_secs(60),
            self_heal_timeout: Duration::from_secs(5),
            control_plane_namespace: DEFAULT_CONTROL_PLANE_NAMESPACE.to_string(),
            kubectl: PathBuf::from("kubectl"),
            webhook_listen: None,
            webhook_secret: None,
            tracking_method: TrackingMethod::default(),
            watch_live_objects: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the repository cache: {0}")]
    RepoCache(#[from] SourceError),
    #[error("cannot listen for webhooks on {addr}: {source}")]
    Webhook {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Runs the Application controller until `shutdown` completes.
pub async fn run_until(
    client: Client,
    opts: AppControllerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let repos = Arc::new(RepoCache::new(opts.repo_cache_dir.join("git"))?);
    let renderer = Arc::new(Renderer::new(RenderConfig {
        kubectl: opts.kubectl.clone(),
        scratch_dir: opts.repo_cache_dir.join("render"),
        ..RenderConfig::default()
    }));
    let context = Arc::new(Context {
        client: client.clone(),
        recorder: Recorder::new(client.clone(), Reporter::from("linnet-application-controller")),
        kinds: Mutex::new(HashMap::new()),
        sources: Sources {
            repos,
            renderer,
            secret_namespaces: vec![opts.control_plane_namespace.clone()],
            resolutions: Arc::default(),
        },
        timing: Timing {
            refresh_interval: opts.refresh_interval,
            refresh_jitter: opts.refresh_jitter,
            self_heal_timeout: opts.self_heal_timeout,
            control_plane_namespace: opts.control_plane_namespace.clone(),
        },
        tracking_method: opts.tracking_method,
        live: LiveCache::new(
            opts.tracking_method,
            opts.watch_live_objects,
            &opts.control_plane_namespace,
        ),
    });
    let apis: Vec<Api<Application>> = match &opts.namespaces {
        None => vec![Api::all(client.clone())],
        Some(namespaces) => namespaces
            .iter()
            .map(|ns| Api::namespaced(client.clone(), ns))
            .collect(),
    };
    info!(namespaces = ?opts.namespaces, tracking = %opts.tracking_method, "starting the Application controller");
    let controllers = apis.into_iter().map(|api| {
        // Only changes a user makes wake an Application (spec, operation, annotations,
        // finalizers, deletion): the controller's own status writes do not, as the pass that
        // wrote them already asked to be requeued when it needs to look again.
        let (reader, writer) = reflector::store();
        let changes = settled_objects(
            watcher::watcher(api, watcher::Config::default())
                .default_backoff()
                .reflect(writer),
        )
        .predicate_filter(intent, PredicateConfig::default());
        // A bounded number of passes at once: each holds the lists of the objects it compares,
        // so a thousand Applications refreshed together must not all be in memory at once.
        // A change someone else makes to an object an Application owns wakes it at once.
        Controller::for_stream(changes, reader)
            .reconcile_on(context.live.wakes())
            .with_config(ControllerConfig::default().concurrency(PASSES_AT_ONCE))
            .run(reconcile, error_policy, Arc::clone(&context))
            .for_each(|result| async move {
                if let Err(error) = result {
                    tracing::debug!(%error, "reconcile ended with an error");
                }
            })
    });
    let webhook = serve_webhook(client.clone(), &opts).await?;
    // Stopping mid-pass is safe: status is the only memory, and the next controller carries on.
    tokio::select! {
        _ = join_all(controllers) => {}
        _ = webhook => {}
        _ = shutdown => info!("shutdown requested"),
    }
    info!("the Application controller stopped");
    Ok(())
}

/// The push webhook and the refresher it feeds, when a listen address is given; otherwise a
/// future that never completes.
async fn serve_webhook(
    client: Client,
    opts: &AppControllerOptions,
) -> Result<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>, Error> {
    let Some(addr) = opts.webhook_listen else {
        return Ok(Box::pin(std::future::pending()));
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Webhook { addr, source })?;
    info!(%addr, path = webhook::WEBHOOK_PATH, "serving the push webhook");
    let (pushes, received) = mpsc::channel(64);
    let server = webhook::serve(
        listener,
        opts.webhook_secret.clone(),
        pushes,
        std::future::pending(),
    );
    let refresher = webhook::run_refresher(client, received, opts.namespaces.clone());
    Ok(Box::pin(async move {
        tokio::join!(server, refresher);
    }))
}

/// A hash of what a user changes on an Application; equal before and after a status write.
fn intent(app: &Application) -> Option<u64> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let meta = &app.metadata;
    let text = serde_json::to_string(&(
        &app.spec,
        &app.operation,
        &meta.annotations,
        &meta.labels,
        &meta.finalizers,
        &meta.deletion_timestamp,
    ))
    .ok()?;
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    Some(hasher.finish())
}
