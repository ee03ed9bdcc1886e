//! The `linnet` command. Each subcommand lives in its own module; `main` only dispatches.

mod app_controller_cmd;
mod controller_cmd;
mod crds_cmd;
mod lint_cmd;
mod rollout_cmd;
mod sim_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// linnet: progressive delivery for Kubernetes, speaking the argoproj.io/v1alpha1 API.
#[derive(Parser)]
#[command(name = "linnet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Application controller (Git-driven sync, Argo CD compatible) until SIGINT/SIGTERM.
    AppController(app_controller_cmd::AppControllerArgs),
    /// Run the Rollout controller against the current cluster until SIGINT/SIGTERM.
    Controller(controller_cmd::ControllerArgs),
    /// Print the CustomResourceDefinitions linnet serves, as one YAML stream.
    Crds(crds_cmd::CrdsArgs),
    /// Check manifests offline: types, validation rules and unknown fields.
    Lint(lint_cmd::LintArgs),
    /// Operate on Rollouts (promote, abort, retry, pause, restart, undo, set image, status,
    /// get, list) by the patches Argo's kubectl plugin sends.
    Rollout(rollout_cmd::RolloutArgs),
    /// Run the sim: an in-memory Kubernetes API server for tests and demos (not a product).
    Sim(sim_cmd::SimArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::AppController(args) => app_controller_cmd::run(args),
        Command::Controller(args) => controller_cmd::run(args),
        Command::Crds(args) => crds_cmd::run(args),
        Command::Lint(args) => lint_cmd::run(args),
        Command::Rollout(args) => rollout_cmd::run(args),
        Command::Sim(args) => sim_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("linnet: {error:#}");
            ExitCode::from(2)
        }
    }
}
