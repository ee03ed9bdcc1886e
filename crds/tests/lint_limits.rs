//! Bad input gets a clear error, never a hang or a panic.

use std::io::Write;

use linnet_crds::lint::{self, Report};

fn lint(text: &str) -> Report {
    let mut report = Report::default();
    lint::lint_text("input.yaml", text, &mut report);
    report
}

#[test]
fn malformed_yaml_is_one_clear_error() {
    let report = lint("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec: {replicas: [1,\n");
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let shown = report.findings[0].to_string();
    assert!(
        shown.starts_with("input.yaml: error: not valid YAML or JSON"),
        "{shown}"
    );
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let report = lint(&text);
    assert!(report.has_errors(), "alias bomb accepted");
    assert!(
        report.findings[0].to_string().contains("not valid YAML"),
        "{}",
        report.findings[0]
    );
    assert!(started.elapsed().as_secs() < 10, "took {:?}", started.elapsed());
}

#[test]
fn a_50_megabyte_file_is_refused_with_the_limit_named() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    for _ in 0..(50 * 1024 * 1024 / line.len() + 1) {
        file.write_all(line.as_bytes()).expect("write");
    }
    let report = lint::lint_paths(&[file.path().to_path_buf()], lint::DEFAULT_MAX_BYTES);
    assert_eq!(report.findings.len(), 1);
    let shown = report.findings[0].to_string();
    assert!(shown.contains("larger than the 16777216-byte limit"), "{shown}");
}

#[test]
fn other_kinds_are_ignored_and_lists_are_opened() {
    let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
- apiVersion: argoproj.io/v1alpha1
  kind: Workflow
  metadata: {name: wf}
---
---
apiVersion: v1
kind: ConfigMap
";
    let report = lint(text);
    assert_eq!((report.checked, report.ignored), (0, 3));
    assert!(report.findings.is_empty());
}

#[test]
fn a_misspelt_step_is_a_warning_naming_the_field() {
    let text = "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
  strategy:
    canary:
      steps:
      - setWieght: 20
";
    let report = lint(text);
    let shown: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(
        shown.iter().any(|s| s.starts_with(
            "input.yaml:1: spec.strategy.canary.steps[0].setWieght: warning: unknown field \"setWieght\" (did you mean \"setWeight\"?)"
        )),
        "{shown:#?}"
    );
}

#[test]
fn a_directory_symlink_loop_does_not_hang_the_walk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sub = dir.path().join("apps");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::write(
        sub.join("app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).expect("symlink");
    let report = lint::lint_paths(&[dir.path().to_path_buf()], lint::DEFAULT_MAX_BYTES);
    assert_eq!((report.checked, report.ignored), (0, 1), "{:?}", report.findings);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}
