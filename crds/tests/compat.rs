//! Compatibility: manifests written as Argo Rollouts and Argo CD users write them parse,
//! validate cleanly, and serialize back without losing or changing a field.

use std::path::{Path, PathBuf};

use linnet_crds::{Kind, lint};
use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    assert!(
        text.starts_with("# "),
        "{}: first line must be a comment saying what it shows",
        path.display()
    );
    lint::parse_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn compat_manifests_validate_without_findings() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in fixtures() {
        for (i, doc) in documents(&path).iter().enumerate() {
            match lint::lint_document(doc) {
                None => failures.push(format!("{}:{}: not a linnet kind", path.display(), i + 1)),
                Some(findings) => {
                    checked += 1;
                    failures.extend(
                        findings
                            .iter()
                            .map(|f| format!("{}:{}: {f}", path.display(), i + 1)),
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "findings in compat manifests:\n{}",
        failures.join("\n")
    );
    assert!(
        checked >= 30,
        "only {checked} compat manifests; at least 30 are wanted"
    );
}

#[test]
fn compat_manifests_round_trip_exactly() {
    let mut failures = Vec::new();
    for path in fixtures() {
        for (i, doc) in documents(&path).iter().enumerate() {
            let Some(kind) = doc.get("kind").and_then(Value::as_str).and_then(Kind::from_name) else {
                continue;
            };
            match kind.round_trip(doc) {
                Err(f) => failures.push(format!("{}:{}: {f}", path.display(), i + 1)),
                Ok(back) if &back != doc => failures.push(format!(
                    "{}:{}: changed in round trip:\n  {}",
                    path.display(),
                    i + 1,
                    differences(doc, &back, "").join("\n  "),
                )),
                Ok(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_kind_has_compat_manifests() {
    let mut seen = std::collections::HashSet::new();
    for path in fixtures() {
        for doc in documents(&path) {
            if let Some(kind) = doc.get("kind").and_then(Value::as_str).and_then(Kind::from_name) {
                seen.insert(kind);
            }
        }
    }
    let missing: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| !seen.contains(k))
        .map(Kind::name)
        .collect();
    assert!(missing.is_empty(), "no compat manifest for {missing:?}");
}

/// The paths where two values differ, for a readable failure message.
fn differences(a: &Value, b: &Value, path: &str) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let p = format!("{path}.{k}");
                    match (x.get(k), y.get(k)) {
                        (Some(v), Some(w)) => differences(v, w, &p),
                        (Some(v), None) => vec![format!("{p}: {v} was dropped")],
                        (None, Some(w)) => vec![format!("{p}: {w} was added")],
                        (None, None) => vec![],
                    }
                })
                .collect()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (v, w))| differences(v, w, &format!("{path}[{i}]")))
            .collect(),
        _ if a == b => vec![],
        _ => vec![format!("{path}: {a} became {b}")],
    }
}
