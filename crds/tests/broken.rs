//! Lint on broken manifests reports each problem with its field path.
//!
//! Each `tests/broken/NAME.yaml` has a `NAME.expected` listing, one per line, the findings
//! lint must print for it (`path: level: message`, a line may stop early).

use std::path::{Path, PathBuf};

use linnet_crds::lint::{self, Report};

fn broken_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn each_broken_manifest_reports_what_it_expects() {
    let files = broken_files();
    assert!(files.len() >= 8, "only {} broken manifests", files.len());
    let mut failures = Vec::new();
    for path in files {
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut report = Report::default();
        lint::lint_text("x", &text, &mut report);
        let shown: Vec<String> = report.findings.iter().map(|l| l.finding.to_string()).collect();
        if !report.has_errors() {
            failures.push(format!("{}: no error reported", path.display()));
        }
        for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !shown.iter().any(|s| s.starts_with(line)) {
                failures.push(format!(
                    "{}: missing `{line}`; got:\n    {}",
                    path.display(),
                    shown.join("\n    ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lint_on_the_broken_directory_reports_every_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let report = lint::lint_paths(&[dir], lint::DEFAULT_MAX_BYTES);
    for path in broken_files() {
        let name = path.display().to_string();
        assert!(
            report
                .findings
                .iter()
                .any(|l| l.source == name && l.finding.is_error()),
            "no error located in {name}"
        );
    }
}
