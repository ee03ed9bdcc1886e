//! Table test of health assessment: every YAML file under `tests/health/<kind>/` holds a live
//! object and the health expected of it (`expected: {status, message}`, or `expected: null` for
//! kinds without a check). All fixtures are checked and every mismatch is reported at once.

use std::fs;
use std::path::{Path, PathBuf};

use linnet_controller::sync::health::{Health, HealthStatus, assess};
use serde_json::Value;

/// Each kind's folder needs at least this many fixtures, so that its main states are covered.
const MIN_FIXTURES_PER_KIND: usize = 3;

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/health")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

fn expected_health(fixture: &Value, path: &Path) -> Option<Health> {
    let expected = fixture
        .get("expected")
        .unwrap_or_else(|| panic!("{}: no `expected`", path.display()));
    if expected.is_null() {
        return None;
    }
    let status_text = expected["status"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no expected.status", path.display()));
    let status = HealthStatus::parse(status_text)
        .unwrap_or_else(|| panic!("{}: unknown status {status_text}", path.display()));
    let message = expected["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no expected.message", path.display()));
    Some(Health::new(status, message))
}

#[test]
fn every_fixture_gets_its_expected_health() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut kinds: Vec<PathBuf> = fs::read_dir(fixture_root())
        .expect("fixture root")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.is_dir())
        .collect();
    kinds.sort();
    assert!(
        kinds.len() >= 12,
        "expected a folder per kind, found {}",
        kinds.len()
    );

    for kind_dir in &kinds {
        let files = yaml_files(kind_dir);
        assert!(
            files.len() >= MIN_FIXTURES_PER_KIND,
            "{} has {} fixtures, wants at least {MIN_FIXTURES_PER_KIND}",
            kind_dir.display(),
            files.len()
        );
        for path in files {
            let text = fs::read_to_string(&path).expect("readable fixture");
            let fixture: Value =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: bad YAML: {e}", path.display()));
            let object = fixture
                .get("object")
                .unwrap_or_else(|| panic!("{}: no `object`", path.display()));
            let expected = expected_health(&fixture, &path);
            let actual = assess(object);
            if actual != expected {
                failures.push(format!(
                    "{}:\n  expected {expected:?}\n  actual   {actual:?}",
                    path.display()
                ));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn each_kind_folder_covers_more_than_one_status() {
    for kind_dir in fs::read_dir(fixture_root()).expect("fixture root") {
        let kind_dir = kind_dir.expect("readable entry").path();
        if !kind_dir.is_dir() {
            continue;
        }
        let mut statuses: Vec<Option<HealthStatus>> = yaml_files(&kind_dir)
            .iter()
            .map(|path| {
                let fixture: Value =
                    serde_saphyr::from_str(&fs::read_to_string(path).expect("readable")).expect("valid YAML");
                expected_health(&fixture, path).map(|h| h.status)
            })
            .collect();
        statuses.sort();
        statuses.dedup();
        let only_unassessed = statuses == [None];
        assert!(
            only_unassessed || statuses.len() >= 2,
            "{} only covers {statuses:?}",
            kind_dir.display()
        );
    }
}
