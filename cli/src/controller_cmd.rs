//! `linnet controller`: runs the Rollout controller against the cluster of the current
//! kubeconfig (or the in-cluster service account) until SIGINT/SIGTERM.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use linnet_controller::run::{ControllerOptions, run as run_controller};
use tracing_subscriber::EnvFilter;

#[derive(Args)]
pub struct ControllerArgs {
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// Handle only Rollouts labelled `argo-rollouts.argoproj.io/controller-instance-id=ID`;
    /// without it, only Rollouts without that label.
    #[arg(long, value_name = "ID")]
    instance_id: Option<String>,
}

pub fn run(args: ControllerArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let opts = ControllerOptions {
        namespace: args.namespace,
        instance_id: args.instance_id,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let client = kube::Client::try_default()
            .await
            .context("cannot reach a cluster (KUBECONFIG, ~/.kube/config or in-cluster)")?;
        run_controller(client, opts).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
