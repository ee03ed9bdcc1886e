//! The analysis and experiment fixtures under `tests/compat` and `tests/broken`, checked
//! against this crate's types directly: compat manifests parse, validate without findings,
//! name no field the schema lacks, and round-trip exactly; broken ones report what their
//! `.expected` file lists.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Kind, schema_check};

/// Fixture files of `dir` whose names start with one of `prefixes`.
fn fixtures(dir: &str, prefixes: &[&str]) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            prefixes.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// The documents of a YAML stream, each as JSON, with the kind it declares.
fn documents(path: &Path) -> Vec<(Kind, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        text.starts_with("# "),
        "{}: the first line must say what it shows",
        path.display()
    );
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.lines().chain(std::iter::once("---")) {
        if line == "---" {
            if !current.trim().is_empty() {
                let doc: Value = serde_saphyr::from_str(&current)
                    .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
                let kind = doc["kind"]
                    .as_str()
                    .and_then(Kind::from_name)
                    .unwrap_or_else(|| panic!("{}: not a linnet kind", path.display()));
                docs.push((kind, doc));
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    docs
}

#[test]
fn compat_fixtures_parse_validate_and_round_trip() {
    let files = fixtures("tests/compat", &["analysis-", "experiment-"]);
    let mut failures = Vec::new();
    let mut kinds = std::collections::HashSet::new();
    for path in &files {
        for (i, (kind, doc)) in documents(path).into_iter().enumerate() {
            let at = format!("{}[{i}]", path.display());
            kinds.insert(kind);
            for finding in kind
                .check(&doc)
                .into_iter()
                .chain(schema_check::unknown_fields(kind, &doc))
            {
                failures.push(format!("{at}: {finding}"));
            }
            match kind.round_trip(&doc) {
                Ok(back) if back == doc => {}
                Ok(back) => failures.push(format!("{at}: changed in round trip:\n{doc}\n{back}")),
                Err(finding) => failures.push(format!("{at}: {finding}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        files.len() >= 10,
        "only {} analysis and experiment fixtures",
        files.len()
    );
    for kind in [
        Kind::AnalysisTemplate,
        Kind::ClusterAnalysisTemplate,
        Kind::AnalysisRun,
        Kind::Experiment,
    ] {
        assert!(kinds.contains(&kind), "no compat fixture of kind {kind:?}");
    }
}

#[test]
fn broken_fixtures_report_what_they_expect() {
    let files = fixtures("tests/broken", &["analysis-"]);
    assert!(files.len() >= 3, "only {} broken analysis fixtures", files.len());
    let mut failures = Vec::new();
    for path in files {
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let shown: Vec<String> = documents(&path)
            .into_iter()
            .flat_map(|(kind, doc)| kind.check(&doc))
            .map(|f| f.to_string())
            .collect();
        let lines: Vec<&str> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(!lines.is_empty(), "{}: nothing expected", expected_path.display());
        for line in lines {
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
