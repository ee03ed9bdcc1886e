//! `linnet lint`: check manifests offline and print findings like a compiler.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use linnet_crds::lint;

#[derive(Args)]
pub struct LintArgs {
    /// Files or directories to check; `-` reads standard input.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    paths: Vec<PathBuf>,
    /// Refuse inputs larger than this many bytes.
    #[arg(long, default_value_t = lint::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
}

/// Exit code 0 when there are no errors (warnings allowed), 1 otherwise.
pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    let report = lint::lint_paths(&args.paths, args.max_bytes);
    for located in &report.findings {
        println!("{located}");
    }
    eprintln!(
        "{} documents checked, {} of other kinds ignored: {} errors, {} warnings",
        report.checked,
        report.ignored,
        report.count(true),
        report.count(false)
    );
    Ok(if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
