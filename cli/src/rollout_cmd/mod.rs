//! `linnet rollout`: operations on Rollouts by the same patches Argo's kubectl plugin sends
//! (promote, abort, retry, pause, restart, undo, set image), and status, get and list.
//!
//! `patches` and `template` build the patches and `summary` the output, all pure; `exec` talks
//! to the cluster; `commands` ties one to the other per subcommand.

mod commands;
mod error;
mod exec;
mod patches;
mod summary;
mod template;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use patches::Promotion;

#[derive(Args)]
pub struct RolloutArgs {
    /// Namespace of the Rollouts (default: the kubeconfig context's, else `default`).
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    namespace: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster).
    #[arg(long, global = true, value_name = "PATH")]
    kubeconfig: Option<PathBuf>,
    #[command(subcommand)]
    command: RolloutCommand,
}

#[derive(Subcommand)]
enum RolloutCommand {
    /// Move a paused Rollout on: past its pause, or further with a flag.
    Promote {
        name: String,
        /// Go straight to the new version, skipping remaining steps, pauses and analysis.
        #[arg(long, conflicts_with_all = ["skip_current_step", "skip_all_steps"])]
        full: bool,
        /// Skip the current canary step.
        #[arg(long, short = 'c', conflicts_with = "skip_all_steps")]
        skip_current_step: bool,
        /// Skip all remaining canary steps.
        #[arg(long, short = 'a')]
        skip_all_steps: bool,
    },
    /// Abort the update: traffic back to stable, the Rollout Degraded until retry.
    Abort { name: String },
    /// Retry an aborted update from its first step.
    Retry { name: String },
    /// Pause the Rollout (`spec.paused`).
    Pause { name: String },
    /// Replace the Rollout's pods created before now (or now plus `--in`).
    Restart {
        name: String,
        /// Restart this long from now, e.g. `30s`, `5m`.
        #[arg(long = "in", value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
        delay: Duration,
    },
    /// Go back to the pod template of an earlier revision (default: the previous one).
    Undo {
        name: String,
        #[arg(long, value_name = "N")]
        to_revision: Option<i64>,
    },
    /// Change the Rollout's template.
    #[command(subcommand)]
    Set(SetCommand),
    /// Print the Rollout's phase and message; with --watch, wait until Healthy or Degraded.
    Status {
        name: String,
        /// Wait until Healthy (exit 0) or Degraded (exit 1).
        #[arg(long, short = 'w')]
        watch: bool,
        /// Give up waiting after this long (exit 1); implies --watch.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// A short summary of one Rollout, its ReplicaSets and AnalysisRuns.
    Get { name: String },
    /// The Rollouts of the namespace, one per line.
    List,
}

#[derive(Subcommand)]
enum SetCommand {
    /// Set a container's image (`*` for every container).
    Image {
        name: String,
        #[arg(value_name = "CONTAINER=IMAGE")]
        assignment: String,
    },
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    linnet_crds::common::parse_go_duration(text)
}

pub fn run(args: RolloutArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let rollouts = exec::connect(args.kubeconfig.as_deref(), args.namespace).await?;
        let result = match args.command {
            RolloutCommand::Promote {
                name,
                full,
                skip_current_step,
                skip_all_steps,
            } => {
                let how = match (full, skip_current_step, skip_all_steps) {
                    (true, _, _) => Promotion::Full,
                    (_, true, _) => Promotion::SkipCurrentStep,
                    (_, _, true) => Promotion::SkipAllSteps,
                    _ => Promotion::Next,
                };
                commands::promote(&rollouts, &name, how).await
            }
            RolloutCommand::Abort { name } => commands::abort(&rollouts, &name).await,
            RolloutCommand::Retry { name } => commands::retry(&rollouts, &name).await,
            RolloutCommand::Pause { name } => commands::pause(&rollouts, &name).await,
            RolloutCommand::Restart { name, delay } => commands::restart(&rollouts, &name, delay).await,
            RolloutCommand::Undo { name, to_revision } => commands::undo(&rollouts, &name, to_revision).await,
            RolloutCommand::Set(SetCommand::Image { name, assignment }) => {
                commands::set_image(&rollouts, &name, &assignment).await
            }
            RolloutCommand::Status { name, watch, timeout } => {
                commands::status(&rollouts, &name, watch || timeout.is_some(), timeout).await
            }
            RolloutCommand::Get { name } => commands::get(&rollouts, &name).await,
            RolloutCommand::List => commands::list(&rollouts).await,
        };
        Ok(match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("linnet rollout: {error}");
                ExitCode::FAILURE
            }
        })
    })
}
