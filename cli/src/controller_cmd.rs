//! `linnet controller`: runs the Rollout controller against the cluster of the current
//! kubeconfig (or the in-cluster service account) until SIGINT/SIGTERM, by default only while
//! this replica holds the leader Lease.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{ArgAction, Args};
use linnet_controller::leader::{
    DEFAULT_LEASE_NAME, Ended, LeaseOptions, default_identity, run_with_leader_election,
};
use linnet_controller::run::{ControllerOptions, run as run_controller, run_until};
use tracing::error;
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
    /// Act only while holding the leader Lease, so several replicas can run (as Argo
    /// Rollouts, on by default); `--leader-elect=false` acts at once, for a single replica.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set,
        num_args = 0..=1, default_missing_value = "true")]
    leader_elect: bool,
    /// Namespace of the Lease (default: --namespace, else the kubeconfig's or service
    /// account's namespace).
    #[arg(long, value_name = "NS")]
    lease_namespace: Option<String>,
    /// Name of the Lease.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_LEASE_NAME)]
    lease_name: String,
    /// Seconds a Lease stays valid without renewal; the leader renews every 2/15 of it and
    /// stops working when it could not renew for 2/3 of it.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    lease_duration: u64,
    /// This replica's identity in the Lease (default: host name and a random suffix).
    #[arg(long, value_name = "ID")]
    identity: Option<String>,
}

pub fn run(args: ControllerArgs) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let opts = ControllerOptions {
        namespace: args.namespace.clone(),
        instance_id: args.instance_id.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let client = kube::Client::try_default()
            .await
            .context("cannot reach a cluster (KUBECONFIG, ~/.kube/config or in-cluster)")?;
        if !args.leader_elect {
            run_controller(client, opts).await?;
            return Ok(ExitCode::SUCCESS);
        }
        let lease_namespace = args
            .lease_namespace
            .or(args.namespace)
            .unwrap_or_else(|| client.default_namespace().to_string());
        let identity = args.identity.unwrap_or_else(default_identity);
        let lease = LeaseOptions::new(&lease_namespace, &args.lease_name, &identity)
            .with_lease_duration(Duration::from_secs(args.lease_duration));
        let controller_client = client.clone();
        let ended = run_with_leader_election(client, lease, shutdown_signal(), |stop| {
            run_until(controller_client, opts, stop.stopped())
        })
        .await?;
        match ended {
            Ended::WorkReturned(result) => result?,
            Ended::Shutdown => {}
            // Exit so that the pod restarts and stands again as a candidate, as Argo does.
            Ended::LeadershipLost => {
                error!("lost the leader Lease; exiting");
                return Ok(ExitCode::FAILURE);
            }
        }
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// Completes on SIGINT or SIGTERM.
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ControllerArgs,
    }

    fn parse(argv: &[&str]) -> ControllerArgs {
        let full = std::iter::once("controller").chain(argv.iter().copied());
        match Cli::try_parse_from(full) {
            Ok(cli) => cli.args,
            Err(error) => panic!("{argv:?} rejected: {error}"),
        }
    }

    #[test]
    fn leader_election_is_on_unless_turned_off() {
        assert!(parse(&[]).leader_elect);
        assert!(parse(&["--leader-elect"]).leader_elect);
        assert!(parse(&["--leader-elect=true"]).leader_elect);
        assert!(!parse(&["--leader-elect=false"]).leader_elect);
        assert!(Cli::try_parse_from(["controller", "--leader-elect=maybe"]).is_err());
        // As the chart passes it: the flag alone, followed by another flag.
        let args = parse(&["--leader-elect", "--lease-namespace", "ops"]);
        assert!(args.leader_elect);
        assert_eq!(args.lease_namespace.as_deref(), Some("ops"));
    }

    #[test]
    fn lease_flags_have_argo_like_defaults() {
        let args = parse(&[]);
        assert_eq!(args.lease_name, "linnet-controller-lock");
        assert_eq!(args.lease_duration, 15);
        assert_eq!((args.lease_namespace, args.identity), (None, None));
        let args = parse(&[
            "--lease-namespace",
            "ops",
            "--lease-name",
            "l",
            "--identity",
            "me",
        ]);
        assert_eq!(
            (
                args.lease_namespace.as_deref(),
                args.lease_name.as_str(),
                args.identity.as_deref()
            ),
            (Some("ops"), "l", Some("me"))
        );
    }
}
