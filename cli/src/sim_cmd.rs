//! `linnet sim`: run the in-memory Kubernetes API server and its simulated cluster (controllers,
//! kubelet, traffic, metrics) in the foreground until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use linnet_sim::SimOptions;
use linnet_sim::cluster::ClusterOptions;

#[derive(Args)]
pub struct SimArgs {
    /// Address of the API; port 0 picks a free port and the printed line says which.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Where to write a kubeconfig for kubectl and kube-rs (plain HTTP on loopback).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Address to serve the simulated traffic's `/metrics` (Prometheus text) and `/stats` on.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,
    /// Seed for uids, generated names and traffic, for reproducible runs.
    #[arg(long)]
    seed: Option<u64>,
}

pub fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let opts = SimOptions {
        listen: args.listen,
        kubeconfig: args.kubeconfig,
        seed: args.seed,
        ..SimOptions::default()
    };
    let cluster = ClusterOptions {
        metrics_listen: args.metrics_listen,
        seed: args.seed,
        ..ClusterOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(linnet_sim::run_until_signal(opts, cluster))?;
    Ok(ExitCode::SUCCESS)
}
