//! The manifests in examples/ are what users copy: each says what it shows on its first line,
//! each holds at least one linnet resource, and together they cover what the README promises.

use std::path::{Path, PathBuf};

use linnet_crds::lint;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn each_example_explains_itself_and_lints_clean() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 11, "only {} examples", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(
            text.starts_with("# "),
            "{}: first line must say what it shows",
            path.display()
        );
        let mut report = lint::Report::default();
        lint::lint_text(&path.display().to_string(), &text, &mut report);
        assert!(
            report.checked >= 1,
            "{}: no linnet resource in it",
            path.display()
        );
        let shown: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
        assert!(shown.is_empty(), "{}", shown.join("\n"));
    }
}

#[test]
fn the_promised_examples_exist() {
    for name in [
        "canary-basic",
        "canary-analysis",
        "canary-gateway-api",
        "canary-nginx",
        "canary-istio",
        "bluegreen-manual",
        "analysis-success-rate",
        "analysis-latency-p99",
        "app-directory",
        "app-kustomize",
        "app-of-apps",
    ] {
        let path = examples_dir().join(format!("{name}.yaml"));
        assert!(path.exists(), "{} is missing", path.display());
    }
}
