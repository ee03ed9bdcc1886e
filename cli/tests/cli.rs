//! The `linnet` binary as a user runs it: `crds` and `lint`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn linnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linnet"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("linnet runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn crds_prints_seven_argoproj_crds() {
    let out = linnet(&["crds"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&stdout(&out)).expect("YAML stream");
    assert_eq!(docs.len(), 7);
    let mut kinds: Vec<&str> = docs
        .iter()
        .filter_map(|d| d["spec"]["names"]["kind"].as_str())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "AnalysisRun",
            "AnalysisTemplate",
            "AppProject",
            "Application",
            "ClusterAnalysisTemplate",
            "Experiment",
            "Rollout"
        ]
    );
    assert!(
        docs.iter()
            .all(|d| d["kind"] == "CustomResourceDefinition" && d["spec"]["group"] == "argoproj.io")
    );
}

#[test]
fn crds_write_creates_one_file_per_crd() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("out");
    let out = linnet(&["crds", "--write", target.to_str().expect("utf-8 path")]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_dir(&target).expect("written").count(), 7);
    assert!(target.join("argoproj.io_rollouts.yaml").exists());
}

#[test]
fn lint_passes_the_examples() {
    let out = linnet(&["lint", "examples"]);
    assert!(out.status.success(), "lint examples failed:\n{}", stdout(&out));
    assert_eq!(stdout(&out), "", "examples have findings");
}

#[test]
fn lint_fails_on_broken_manifests_and_names_the_paths() {
    let out = linnet(&["lint", "crds/tests/broken"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("crds/tests/broken/") && l.contains(": error: ")),
        "{text}"
    );
}

#[test]
fn lint_reads_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linnet"))
        .args(["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("linnet runs");
    let manifest =
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec: {replicas: -1}\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(manifest.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("finishes");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("-:1: "), "{}", stdout(&out));
}
