//! One table of cases per AppProject validation rule: each rule stays silent on a valid
//! manifest and reports the broken field at its path.

use serde_json::{Value, json};

use super::validate_test_support::{assert_one, project};
use crate::Severity;

#[test]
fn a_valid_project_has_no_findings() {
    assert_eq!(project(&[]), vec![]);
}

#[test]
fn sync_window_kind_is_allow_or_deny() {
    let findings = project(&[("/spec/syncWindows/0/kind", json!("block"))]);
    assert_one(
        &findings,
        "spec.syncWindows[0].kind",
        Severity::Error,
        "\"block\" is not a window kind",
    );
    let missing = project(&[("/spec/syncWindows/0/kind", Value::Null)]);
    assert_one(
        &missing,
        "spec.syncWindows[0].kind",
        Severity::Error,
        "allow or deny",
    );
    assert_eq!(project(&[("/spec/syncWindows/0/kind", json!("allow"))]), vec![]);
}

#[test]
fn sync_window_schedule_has_five_cron_fields() {
    for good in ["*/15 * * * *", "0 9-17 * * MON-FRI", "30 2 1,15 JAN ?"] {
        assert_eq!(
            project(&[("/spec/syncWindows/0/schedule", json!(good))]),
            vec![],
            "{good}"
        );
    }
    let cases = [
        ("0 22 * *", "has 4 fields"),
        ("@daily", "has 1 fields"),
        ("0 22 * * * 2025", "has 6 fields"),
    ];
    for (schedule, words) in cases {
        let findings = project(&[("/spec/syncWindows/0/schedule", json!(schedule))]);
        assert_one(&findings, "spec.syncWindows[0].schedule", Severity::Error, words);
    }
    let bad_char = project(&[("/spec/syncWindows/0/schedule", json!("0 22 * * 5;"))]);
    assert_one(
        &bad_char,
        "spec.syncWindows[0].schedule",
        Severity::Error,
        "not a cron field",
    );
}

#[test]
fn sync_window_duration_parses() {
    let findings = project(&[("/spec/syncWindows/0/duration", json!("2 hours"))]);
    assert_one(
        &findings,
        "spec.syncWindows[0].duration",
        Severity::Error,
        "not a duration",
    );
    let missing = project(&[("/spec/syncWindows/0/duration", Value::Null)]);
    assert_one(
        &missing,
        "spec.syncWindows[0].duration",
        Severity::Error,
        "missing",
    );
}

#[test]
fn sync_window_applies_to_something() {
    let findings = project(&[("/spec/syncWindows/0/applications", Value::Null)]);
    assert_one(
        &findings,
        "spec.syncWindows[0]",
        Severity::Error,
        "applies to nothing",
    );
    assert_eq!(
        project(&[
            ("/spec/syncWindows/0/applications", Value::Null),
            ("/spec/syncWindows/0/clusters", json!(["prod-*"]))
        ]),
        vec![]
    );
}

#[test]
fn project_destinations_name_a_cluster() {
    let findings = project(&[("/spec/destinations/0/server", Value::Null)]);
    assert_one(
        &findings,
        "spec.destinations[0]",
        Severity::Error,
        "needs server or name",
    );
    let by_name = project(&[
        ("/spec/destinations/0/server", Value::Null),
        ("/spec/destinations/0/name", json!("*")),
    ]);
    assert_eq!(by_name, vec![]);
}

#[test]
fn resource_list_entries_have_a_kind() {
    for list in [
        "clusterResourceWhitelist",
        "clusterResourceBlacklist",
        "namespaceResourceWhitelist",
        "namespaceResourceBlacklist",
    ] {
        let entries = json!([{"group": "", "kind": "ResourceQuota"}, {"group": "*", "kind": " "}]);
        let pointer = format!("/spec/{list}");
        let findings = project(&[(pointer.as_str(), entries)]);
        assert_one(
            &findings,
            &format!("spec.{list}[1].kind"),
            Severity::Error,
            "must not be empty",
        );
    }
}

#[test]
fn role_names_are_what_argo_cd_accepts() {
    for bad in ["-ci", "ci deployer", "", "ci_"] {
        let findings = project(&[("/spec/roles/0/name", json!(bad))]);
        assert_one(
            &findings,
            "spec.roles[0].name",
            Severity::Error,
            "not a role name",
        );
    }
    assert_eq!(project(&[("/spec/roles/0/name", json!("read_only-2"))]), vec![]);
}
