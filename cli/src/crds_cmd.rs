//! `linnet crds`: print the generated CRDs, or write one file per CRD into directories.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct CrdsArgs {
    /// Write one file per CRD into this directory instead of printing (may be repeated).
    #[arg(long = "write", value_name = "DIR")]
    write: Vec<PathBuf>,
}

pub fn run(args: CrdsArgs) -> anyhow::Result<ExitCode> {
    if args.write.is_empty() {
        print!("{}", linnet_crds::crd::stream()?);
        return Ok(ExitCode::SUCCESS);
    }
    let files = linnet_crds::crd::files()?;
    for dir in &args.write {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, yaml) in &files {
            let path = dir.join(name);
            std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
        }
        eprintln!("wrote {} CRDs to {}", files.len(), dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
