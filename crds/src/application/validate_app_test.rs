//! One table of cases per Application validation rule: each rule stays silent on a valid
//! manifest and reports the broken field at its path.

use serde_json::{Value, json};

use super::validate_test_support::{app, assert_one, valid_app};
use crate::Severity;

#[test]
fn a_valid_application_has_no_findings() {
    assert_eq!(app(&[]), vec![]);
}

#[test]
fn source_xor_sources() {
    let source = valid_app()["spec"]["source"].clone();
    let both = app(&[("/spec/sources", json!([source.clone()]))]);
    assert_one(&both, "spec.sources", Severity::Error, "both set");
    let neither = app(&[("/spec/source", Value::Null)]);
    assert_one(&neither, "spec.source", Severity::Error, "needs spec.source");
    let empty = app(&[("/spec/source", Value::Null), ("/spec/sources", json!([]))]);
    assert_one(&empty, "spec.sources", Severity::Error, "at least one source");
    let only_sources = app(&[("/spec/source", Value::Null), ("/spec/sources", json!([source]))]);
    assert_eq!(only_sources, vec![]);
    let hydrator = json!({
        "drySource": {"repoURL": "https://github.com/example/deploy.git", "targetRevision": "main", "path": "app"},
        "syncSource": {"targetBranch": "env/prod", "path": "app"}
    });
    assert_eq!(
        app(&[("/spec/source", Value::Null), ("/spec/sourceHydrator", hydrator)]),
        vec![]
    );
}

#[test]
fn repo_url_must_not_be_empty() {
    assert_one(
        &app(&[("/spec/source/repoURL", json!(""))]),
        "spec.source.repoURL",
        Severity::Error,
        "empty",
    );
    let sources = json!([
        {"repoURL": "https://charts.bitnami.com/bitnami", "chart": "redis", "targetRevision": "19.0.1"},
        {"repoURL": " "}
    ]);
    let findings = app(&[("/spec/source", Value::Null), ("/spec/sources", sources)]);
    assert_one(&findings, "spec.sources[1].repoURL", Severity::Error, "empty");
}

#[test]
fn at_most_one_tool_per_source() {
    let findings = app(&[
        ("/spec/source/helm", json!({"releaseName": "guestbook"})),
        ("/spec/source/kustomize", json!({"namePrefix": "prod-"})),
    ]);
    assert_one(
        &findings,
        "spec.source",
        Severity::Error,
        "sets helm and kustomize",
    );
    assert_eq!(
        app(&[("/spec/source/directory", json!({"recurse": true}))]),
        vec![]
    );
}

#[test]
fn a_chart_needs_a_target_revision() {
    let chart = [
        ("/spec/source/chart", json!("redis")),
        ("/spec/source/path", Value::Null),
    ];
    let mut edits = chart.to_vec();
    edits.push(("/spec/source/targetRevision", Value::Null));
    assert_one(
        &app(&edits),
        "spec.source.targetRevision",
        Severity::Error,
        "chart \"redis\"",
    );
    assert_eq!(app(&chart), vec![]);
}

#[test]
fn a_path_stays_inside_the_repository() {
    let cases = [
        ("/etc/manifests", "absolute"),
        ("apps/../../secrets", "'..'"),
        ("..", "'..'"),
    ];
    for (path, words) in cases {
        let findings = app(&[("/spec/source/path", json!(path))]);
        assert_one(&findings, "spec.source.path", Severity::Error, words);
    }
    for path in ["apps/guestbook", "./guestbook", ".", "apps/..x"] {
        assert_eq!(app(&[("/spec/source/path", json!(path))]), vec![], "{path}");
    }
}

#[test]
fn value_file_refs_name_a_source() {
    let sources = |file: &str| {
        json!([
            {"repoURL": "https://charts.example.com", "chart": "web", "targetRevision": "1.2.0",
             "helm": {"valueFiles": [file]}},
            {"repoURL": "https://github.com/example/values.git", "targetRevision": "main", "ref": "values"}
        ])
    };
    let edits = |file| [("/spec/source", Value::Null), ("/spec/sources", sources(file))];
    assert_eq!(app(&edits("$values/web/prod.yaml")), vec![]);
    let findings = app(&edits("$config/web/prod.yaml"));
    assert_one(
        &findings,
        "spec.sources[0].helm.valueFiles[0]",
        Severity::Error,
        "no source in spec.sources has ref: config",
    );
}

#[test]
fn a_destination_names_its_cluster_one_way() {
    let neither = app(&[("/spec/destination/server", Value::Null)]);
    assert_one(&neither, "spec.destination", Severity::Error, "needs server");
    let both = app(&[("/spec/destination/name", json!("in-cluster"))]);
    assert_one(&both, "spec.destination", Severity::Error, "both server and name");
    let by_name = app(&[
        ("/spec/destination/server", Value::Null),
        ("/spec/destination/name", json!("prod")),
    ]);
    assert_eq!(by_name, vec![]);
}

#[test]
fn project_must_not_be_empty() {
    assert_one(
        &app(&[("/spec/project", json!(""))]),
        "spec.project",
        Severity::Error,
        "AppProject",
    );
}

#[test]
fn revision_history_limit_is_not_negative() {
    let findings = app(&[("/spec/revisionHistoryLimit", json!(-1))]);
    assert_one(
        &findings,
        "spec.revisionHistoryLimit",
        Severity::Error,
        "-1 is negative",
    );
    assert_eq!(app(&[("/spec/revisionHistoryLimit", json!(0))]), vec![]);
}

#[test]
fn sync_options_are_checked_in_spec_and_operation() {
    let spec = app(&[(
        "/spec/syncPolicy/syncOptions",
        json!(["CreateNamespace=true", "PruneLst=true"]),
    )]);
    assert_one(
        &spec,
        "spec.syncPolicy.syncOptions[1]",
        Severity::Warning,
        "did you mean \"PruneLast\"",
    );
    let operation = app(&[("/operation/sync/syncOptions", json!(["ServerSideApply"]))]);
    assert_one(
        &operation,
        "operation.sync.syncOptions[0]",
        Severity::Error,
        "Key=Value",
    );
}

#[test]
fn retry_backoff_durations_parse() {
    for good in ["5s", "30", "1m30s"] {
        assert_eq!(
            app(&[("/spec/syncPolicy/retry/backoff/duration", json!(good))]),
            vec![],
            "{good}"
        );
    }
    let bad = app(&[("/spec/syncPolicy/retry/backoff/maxDuration", json!("3 minutes"))]);
    assert_one(
        &bad,
        "spec.syncPolicy.retry.backoff.maxDuration",
        Severity::Error,
        "\"3 minutes\" is not a duration",
    );
    let negative = app(&[("/operation/retry/backoff/duration", json!("-5"))]);
    assert_one(
        &negative,
        "operation.retry.backoff.duration",
        Severity::Error,
        "negative",
    );
}

#[test]
fn retry_backoff_factor_is_at_least_one() {
    let findings = app(&[("/spec/syncPolicy/retry/backoff/factor", json!(0))]);
    assert_one(
        &findings,
        "spec.syncPolicy.retry.backoff.factor",
        Severity::Error,
        "0 is below 1",
    );
    assert_eq!(
        app(&[("/spec/syncPolicy/retry/backoff/factor", json!(1))]),
        vec![]
    );
}

#[test]
fn a_first_wait_longer_than_the_longest_is_a_warning() {
    let findings = app(&[(
        "/spec/syncPolicy/retry/backoff",
        json!({"duration": "5m", "maxDuration": "1m"}),
    )]);
    assert_one(
        &findings,
        "spec.syncPolicy.retry.backoff.duration",
        Severity::Warning,
        "longer than maxDuration",
    );
}

#[test]
fn ignore_differences_need_a_kind_and_pointers() {
    let entry =
        |kind: &str, pointer: &str| json!([{"group": "apps", "kind": kind, "jsonPointers": [pointer]}]);
    assert_eq!(
        app(&[("/spec/ignoreDifferences", entry("Deployment", "/spec/replicas"))]),
        vec![]
    );
    let no_kind = app(&[("/spec/ignoreDifferences", entry("", "/spec/replicas"))]);
    assert_one(
        &no_kind,
        "spec.ignoreDifferences[0].kind",
        Severity::Error,
        "must not be empty",
    );
    let bad_pointer = app(&[("/spec/ignoreDifferences", entry("Deployment", "spec/replicas"))]);
    assert_one(
        &bad_pointer,
        "spec.ignoreDifferences[0].jsonPointers[0]",
        Severity::Error,
        "start with /",
    );
    let nothing = app(&[("/spec/ignoreDifferences", json!([{"kind": "Secret"}]))]);
    assert_one(
        &nothing,
        "spec.ignoreDifferences[0]",
        Severity::Warning,
        "ignores nothing",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let findings = app(&[
        ("/spec/project", json!("")),
        ("/spec/source/repoURL", json!("")),
        ("/spec/destination/server", Value::Null),
        ("/spec/revisionHistoryLimit", json!(-3)),
    ]);
    let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.source.repoURL",
            "spec.destination",
            "spec.project",
            "spec.revisionHistoryLimit"
        ]
    );
}
