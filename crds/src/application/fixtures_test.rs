//! The Argo CD fixtures under `tests/compat/app-*.yaml` and `tests/broken/app-*.yaml`,
//! checked against the Application and AppProject types alone: compat manifests read, pass
//! validation and write back unchanged; broken ones report what their `.expected` lists.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Kind;

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("app-") && name.ends_with(".yaml")
        })
        .collect();
    files.sort();
    files
}

/// The manifest in `path` and its kind.
fn read(path: &Path) -> (Kind, Value) {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    assert!(
        text.starts_with("# "),
        "{}: the first line must say what it shows",
        path.display()
    );
    let doc: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let kind = doc["kind"].as_str().and_then(Kind::from_name);
    let kind = kind.unwrap_or_else(|| panic!("{}: not a linnet kind", path.display()));
    assert!(
        matches!(kind, Kind::Application | Kind::AppProject),
        "{}",
        path.display()
    );
    (kind, doc)
}

#[test]
fn compat_manifests_validate_cleanly_and_round_trip() {
    let files = fixtures("compat");
    assert!(files.len() >= 10, "only {} Argo CD compat manifests", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let (kind, doc) = read(path);
        for finding in kind.check(&doc) {
            failures.push(format!("{}: {finding}", path.display()));
        }
        match kind.round_trip(&doc) {
            Ok(back) if back == doc => {}
            Ok(back) => failures.push(format!(
                "{}: changed in round trip:\n{}",
                path.display(),
                serde_json::to_string_pretty(&back).unwrap_or_default()
            )),
            Err(finding) => failures.push(format!("{}: {finding}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_manifests_report_what_they_expect() {
    let files = fixtures("broken");
    assert!(files.len() >= 3, "only {} Argo CD broken manifests", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let (kind, doc) = read(path);
        let shown: Vec<String> = kind.check(&doc).iter().map(ToString::to_string).collect();
        let expected = std::fs::read_to_string(path.with_extension("expected"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.with_extension("expected").display()));
        let lines: Vec<&str> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            failures.push(format!("{}: the .expected file lists nothing", path.display()));
        }
        for line in lines {
            if !shown.iter().any(|s| s.starts_with(line)) {
                failures.push(format!(
                    "{}: missing `{line}`; got:\n  {}",
                    path.display(),
                    shown.join("\n  ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
