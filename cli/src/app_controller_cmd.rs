//! `linnet app-controller`: runs the Application controller (Git-driven sync, Argo CD
//! compatible) against the cluster of the current kubeconfig (or the in-cluster service
//! account) until SIGINT/SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use linnet_controller::application::run::{AppControllerOptions, run_until};
use linnet_controller::sync::tracking::TrackingMethod;
use tracing_subscriber::EnvFilter;

#[derive(Args)]
pub struct AppControllerArgs {
    /// Watch Applications only in this namespace; repeat for several (default: all namespaces).
    #[arg(long, value_name = "NS")]
    namespace: Vec<String>,
    /// Where Git repositories and render scratch files are cached.
    #[arg(long, value_name = "DIR", default_value = "/tmp/linnet-repo-cache")]
    repo_cache_dir: PathBuf,
    /// Seconds between two refreshes of an Application (a jitter of up to half as much is added).
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    refresh_interval: u64,
    /// Seconds self-heal waits after a sync before reverting drift.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    self_heal_timeout: u64,
    /// The kubectl binary whose `kustomize` subcommand builds kustomizations.
    #[arg(long, value_name = "PATH", default_value = "kubectl")]
    kubectl: PathBuf,
    /// Serve the push webhook (`POST /api/webhook`, GitHub and GitLab payloads) on this address.
    /// Deliveries must carry the secret in $LINNET_WEBHOOK_SECRET when it is set.
    #[arg(long, value_name = "ADDR")]
    webhook_listen: Option<std::net::SocketAddr>,
    /// The namespace of AppProjects, cluster Secrets and shared repository Secrets.
    #[arg(long, value_name = "NS", default_value = "argocd")]
    control_plane_namespace: String,
    /// How an Application marks the objects it applies and recognizes its own, as Argo CD's
    /// `application.resourceTrackingMethod`: `annotation` (argocd.argoproj.io/tracking-id),
    /// `label` (app.kubernetes.io/instance) or `annotation+label` (the annotation decides, the
    /// label is written for other tools).
    #[arg(long, value_name = "METHOD", default_value = "annotation")]
    tracking_method: TrackingMethod,
}

pub fn run(args: AppControllerArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let mut opts = AppControllerOptions::new(args.repo_cache_dir);
    opts.namespaces = (!args.namespace.is_empty()).then_some(args.namespace);
    opts.refresh_interval = Duration::from_secs(args.refresh_interval);
    opts.refresh_jitter = Duration::from_secs(args.refresh_interval / 2);
    opts.self_heal_timeout = Duration::from_secs(args.self_heal_timeout);
    opts.kubectl = args.kubectl;
    opts.webhook_listen = args.webhook_listen;
    opts.webhook_secret = std::env::var("LINNET_WEBHOOK_SECRET")
        .ok()
        .filter(|s| !s.is_empty());
    opts.control_plane_namespace = args.control_plane_namespace;
    opts.tracking_method = args.tracking_method;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let client = kube::Client::try_default()
            .await
            .context("cannot reach a cluster (KUBECONFIG, ~/.kube/config or in-cluster)")?;
        run_until(client, opts, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
