//! Table tests of the patch builders and the summaries, against the bodies Argo's kubectl
//! plugin sends.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use linnet_controller::rollout::observe::workload::WorkloadKind;
use linnet_crds::rollout::Rollout;
use serde_json::{Value, json};

use super::error::OpError;
use super::patches::{self, MergePatches, Promotion};
use super::summary;
use super::template::{self, TemplateHome, Undo};

/// A canary Rollout with four steps (setWeight 20, pause, analysis, setWeight 60), the given
/// spec and status fields merged in.
fn canary(spec: Value, status: Value) -> Rollout {
    let mut manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "shop", "namespace": "ns", "uid": "ro-uid", "generation": 2},
        "spec": {
            "replicas": 4,
            "template": {"metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [{"name": "app", "image": "shop:1"}, {"name": "proxy", "image": "envoy:1"}],
                         "initContainers": [{"name": "migrate", "image": "shop:1"}]}},
            "strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {}},
                {"analysis": {"templates": [{"templateName": "rate"}]}}, {"setWeight": 60}]}}
        },
        "status": {"observedGeneration": "2"}
    });
    merge(&mut manifest["spec"], spec);
    merge(&mut manifest["status"], status);
    serde_json::from_value(manifest).unwrap_or_else(|e| panic!("bad Rollout fixture: {e}"))
}

fn blue_green(spec: Value, status: Value) -> Rollout {
    let mut rollout = canary(spec, status);
    rollout.spec.strategy = serde_json::from_value(json!({"blueGreen": {"activeService": "shop"}}))
        .unwrap_or_else(|e| panic!("bad strategy: {e}"));
    rollout
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

fn sent(status: Option<Value>, spec: Option<Value>) -> MergePatches {
    MergePatches { status, spec }
}

const PAUSED_AT_STEP: &str = r#"[{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]"#;

fn pause_conditions(reason: &str) -> Value {
    let text = PAUSED_AT_STEP.replace("CanaryPauseStep", reason);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad pause conditions: {e}"))
}

#[test]
fn promote_sends_what_argos_plugin_sends() {
    let cases = [
        (
            "paused by spec, blue-green: only the spec is unpaused",
            blue_green(json!({"paused": true}), json!({})),
            sent(None, Some(json!({"spec": {"paused": false}}))),
        ),
        (
            "paused at a pause step: pause conditions cleared",
            canary(
                json!({}),
                json!({"currentStepIndex": 1, "pauseConditions": pause_conditions("CanaryPauseStep")}),
            ),
            sent(Some(json!({"status": {"pauseConditions": null}})), None),
        ),
        (
            "paused by spec and at a pause step: both",
            canary(
                json!({"paused": true}),
                json!({"currentStepIndex": 1, "pauseConditions": pause_conditions("CanaryPauseStep")}),
            ),
            sent(
                Some(json!({"status": {"pauseConditions": null}})),
                Some(json!({"spec": {"paused": false}})),
            ),
        ),
        (
            "mid analysis step: moved past it",
            canary(json!({}), json!({"currentStepIndex": 2})),
            sent(
                Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 3}})),
                None,
            ),
        ),
        (
            "paused by spec mid-step, no pause condition: unpaused and moved on, as Argo's plugin",
            canary(json!({"paused": true}), json!({"currentStepIndex": 0})),
            sent(
                Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 1}})),
                Some(json!({"spec": {"paused": false}})),
            ),
        ),
        (
            "index unset reads as step 0",
            canary(json!({}), json!({})),
            sent(
                Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 1}})),
                None,
            ),
        ),
        (
            "past the last step the index stays",
            canary(json!({}), json!({"currentStepIndex": 4})),
            sent(
                Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 4}})),
                None,
            ),
        ),
        (
            "inconclusive step analysis: controller pause lifted and step moved on",
            canary(
                json!({}),
                json!({"currentStepIndex": 2, "controllerPause": true,
                    "pauseConditions": pause_conditions("InconclusiveAnalysisRun"),
                    "canary": {"currentStepAnalysisRunStatus": {"name": "shop-2", "status": "Inconclusive"}}}),
            ),
            sent(
                Some(
                    json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": 3}}),
                ),
                None,
            ),
        ),
        (
            "blue-green paused for promotion: pause conditions cleared",
            blue_green(
                json!({}),
                json!({"pauseConditions": pause_conditions("BlueGreenPause")}),
            ),
            sent(Some(json!({"status": {"pauseConditions": null}})), None),
        ),
        (
            "blue-green not paused: nothing to send",
            blue_green(json!({}), json!({})),
            sent(None, None),
        ),
    ];
    for (case, rollout, expected) in cases {
        let got = patches::promote(&rollout, Promotion::Next).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(got, expected, "{case}");
    }
}

#[test]
fn promote_full_asks_for_promote_full_only_while_an_update_is_in_flight() {
    let updating = canary(json!({}), json!({"currentPodHash": "new", "stableRS": "old"}));
    assert_eq!(
        patches::promote(&updating, Promotion::Full).ok(),
        Some(sent(Some(json!({"status": {"promoteFull": true}})), None))
    );
    let paused = canary(
        json!({"paused": true}),
        json!({"currentPodHash": "new", "stableRS": "old"}),
    );
    assert_eq!(
        patches::promote(&paused, Promotion::Full).ok(),
        Some(sent(
            Some(json!({"status": {"promoteFull": true}})),
            Some(json!({"spec": {"paused": false}}))
        ))
    );
    let done = canary(json!({}), json!({"currentPodHash": "old", "stableRS": "old"}));
    assert_eq!(
        patches::promote(&done, Promotion::Full).ok(),
        Some(sent(None, None))
    );
}

#[test]
fn skip_steps_move_the_index_of_a_canary_and_refuse_anything_else() {
    let at_one = canary(json!({}), json!({"currentStepIndex": 1}));
    assert_eq!(
        patches::promote(&at_one, Promotion::SkipCurrentStep).ok(),
        Some(sent(Some(json!({"status": {"currentStepIndex": 2}})), None))
    );
    assert_eq!(
        patches::promote(&at_one, Promotion::SkipAllSteps).ok(),
        Some(sent(Some(json!({"status": {"currentStepIndex": 4}})), None))
    );
    let bg = blue_green(json!({}), json!({}));
    assert!(matches!(
        patches::promote(&bg, Promotion::SkipCurrentStep),
        Err(OpError::NotACanary(name)) if name == "shop"
    ));
    let mut no_steps = canary(json!({}), json!({}));
    if let Some(c) = no_steps.spec.strategy.as_mut().and_then(|s| s.canary.as_mut()) {
        c.steps = None;
    }
    assert!(matches!(
        patches::promote(&no_steps, Promotion::SkipAllSteps),
        Err(OpError::NoSteps(_))
    ));
}

#[test]
fn abort_retry_pause_and_restart_bodies() {
    assert_eq!(
        patches::abort(),
        sent(Some(json!({"status": {"abort": true}})), None)
    );
    assert_eq!(
        patches::retry(),
        sent(Some(json!({"status": {"abort": false}})), None)
    );
    assert_eq!(
        patches::pause(),
        sent(None, Some(json!({"spec": {"paused": true}})))
    );
    let now: jiff::Timestamp = "2026-03-04T05:06:07.891Z"
        .parse()
        .unwrap_or_else(|e| panic!("bad time: {e}"));
    assert_eq!(
        patches::restart(now, Duration::ZERO).ok(),
        Some(sent(
            None,
            Some(json!({"spec": {"restartAt": "2026-03-04T05:06:07Z"}}))
        ))
    );
    assert_eq!(
        patches::restart(now, Duration::from_secs(90)).ok(),
        Some(sent(
            None,
            Some(json!({"spec": {"restartAt": "2026-03-04T05:07:37Z"}}))
        ))
    );
}

fn replica_set(revision: &str, hash: &str, image: &str, owner: &str) -> ReplicaSet {
    serde_json::from_value(json!({
        "metadata": {
            "name": format!("shop-{hash}"),
            "labels": {"app": "shop", "rollouts-pod-template-hash": hash},
            "annotations": {"rollout.argoproj.io/revision": revision},
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "shop",
                "uid": owner, "controller": true}]
        },
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "shop"}}, "template": {
            "metadata": {"labels": {"app": "shop", "rollouts-pod-template-hash": hash}},
            "spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"replicas": 1, "readyReplicas": 1}
    }))
    .unwrap_or_else(|e| panic!("bad ReplicaSet fixture: {e}"))
}

fn template_with(image: &str) -> Value {
    json!({"metadata": {"labels": {"app": "shop"}}, "spec": {"containers": [{"name": "app", "image": image}]}})
}

#[test]
fn undo_replaces_the_template_with_an_earlier_revisions_without_its_hash_label() {
    let rollout = canary(json!({"template": template_with("shop:3")}), json!({}));
    let history = [
        replica_set("1", "aaa", "shop:1", "ro-uid"),
        replica_set("3", "ccc", "shop:3", "ro-uid"),
        replica_set("2", "bbb", "shop:2", "ro-uid"),
        replica_set("9", "zzz", "other:9", "someone-else"),
    ];
    let replace = |revision: i64, image: &str| Undo::Patch {
        revision,
        patch: json!([{"op": "replace", "path": "/spec/template", "value": template_with(image)}]),
    };
    assert_eq!(
        template::undo(&rollout, rollout.spec.template.as_ref(), &history, None).ok(),
        Some(replace(2, "shop:2"))
    );
    assert_eq!(
        template::undo(&rollout, rollout.spec.template.as_ref(), &history, Some(1)).ok(),
        Some(replace(1, "shop:1"))
    );
    assert_eq!(
        template::undo(&rollout, rollout.spec.template.as_ref(), &history, Some(3)).ok(),
        Some(Undo::AlreadyAt { revision: 3 })
    );
    match template::undo(&rollout, rollout.spec.template.as_ref(), &history, Some(9)) {
        Err(OpError::NoSuchRevision {
            revision: 9, known, ..
        }) => assert_eq!(known, "1, 2, 3"),
        other => panic!("revision 9 belongs to another Rollout, got {other:?}"),
    }
    assert!(matches!(
        template::undo(&rollout, rollout.spec.template.as_ref(), &history[..1], None),
        Err(OpError::NoHistory(_))
    ));
}

#[test]
fn a_workload_refs_template_is_changed_in_its_deployment() {
    let mut rollout = canary(json!({}), json!({}));
    assert_eq!(
        template::template_home(&rollout).ok(),
        Some(TemplateHome::Rollout)
    );
    rollout.spec.template = None;
    rollout.spec.workload_ref =
        serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"}))
            .unwrap_or_else(|e| panic!("bad workloadRef: {e}"));
    assert_eq!(
        template::template_home(&rollout).ok(),
        Some(TemplateHome::Workload {
            kind: WorkloadKind::Deployment,
            name: "shop".to_string()
        })
    );
    // The patch is the same: the Deployment's template is at /spec/template too, and the
    // current template compared with is the Deployment's.
    let deployment_template: PodTemplateSpec =
        serde_json::from_value(template_with("shop:2")).unwrap_or_else(|e| panic!("bad template: {e}"));
    let history = [
        replica_set("1", "aaa", "shop:1", "ro-uid"),
        replica_set("2", "bbb", "shop:2", "ro-uid"),
    ];
    assert_eq!(
        template::undo(&rollout, Some(&deployment_template), &history, None).ok(),
        Some(Undo::Patch {
            revision: 1,
            patch: json!([{"op": "replace", "path": "/spec/template", "value": template_with("shop:1")}]),
        })
    );
    assert_eq!(
        template::undo(&rollout, Some(&deployment_template), &history, Some(2)).ok(),
        Some(Undo::AlreadyAt { revision: 2 })
    );
    // Other kinds are refused, naming the Rollout.
    rollout.spec.workload_ref =
        serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "shop"}))
            .unwrap_or_else(|e| panic!("bad workloadRef: {e}"));
    assert!(matches!(
        template::template_home(&rollout),
        Err(OpError::WorkloadRef(_))
    ));
}

#[test]
fn a_replica_set_keeps_the_patch_and_a_pod_template_takes_it_at_template() {
    let mut rollout = canary(json!({}), json!({}));
    rollout.spec.template = None;
    let home_of = |rollout: &mut Rollout, reference: serde_json::Value| {
        rollout.spec.workload_ref =
            serde_json::from_value(reference).unwrap_or_else(|e| panic!("bad workloadRef: {e}"));
        template::template_home(rollout).unwrap_or_else(|e| panic!("not followed: {e}"))
    };
    let replica_set = home_of(
        &mut rollout,
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "shop"}),
    );
    let pod_template = home_of(
        &mut rollout,
        json!({"apiVersion": "v1", "kind": "PodTemplate", "name": "shop"}),
    );
    assert_eq!(
        pod_template,
        TemplateHome::Workload {
            kind: WorkloadKind::PodTemplate,
            name: "shop".to_string()
        }
    );
    let patch = json!([
        {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "web"},
        {"op": "add", "path": "/spec/template/spec/containers/0/image", "value": "shop:3"},
    ]);
    assert_eq!(replica_set.relocate(patch.clone()), patch);
    assert_eq!(
        pod_template.relocate(patch),
        json!([
            {"op": "test", "path": "/template/spec/containers/0/name", "value": "web"},
            {"op": "add", "path": "/template/spec/containers/0/image", "value": "shop:3"},
        ])
    );
}

#[test]
fn set_image_tests_the_name_and_sets_the_image_of_each_matching_container() {
    let rollout = canary(json!({}), json!({}));
    assert_eq!(
        template::set_image("shop", rollout.spec.template.as_ref(), "proxy", "envoy:2").ok(),
        Some(json!([
            {"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "proxy"},
            {"op": "add", "path": "/spec/template/spec/containers/1/image", "value": "envoy:2"}
        ]))
    );
    assert_eq!(
        template::set_image("shop", rollout.spec.template.as_ref(), "migrate", "shop:2").ok(),
        Some(json!([
            {"op": "test", "path": "/spec/template/spec/initContainers/0/name", "value": "migrate"},
            {"op": "add", "path": "/spec/template/spec/initContainers/0/image", "value": "shop:2"}
        ]))
    );
    let all = template::set_image("shop", rollout.spec.template.as_ref(), "*", "x:1")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.as_array().map(Vec::len), Some(6));
    match template::set_image("shop", rollout.spec.template.as_ref(), "sidecar", "x:1") {
        Err(error @ OpError::NoSuchContainer { .. }) => assert_eq!(
            error.to_string(),
            "Rollout shop has no container named sidecar (containers: app, proxy, migrate)"
        ),
        other => panic!("expected NoSuchContainer, got {other:?}"),
    }
    assert!(template::parse_image_argument("app=shop:2").is_ok());
    for bad in ["app", "=shop:2", "app="] {
        assert!(
            template::parse_image_argument(bad).is_err(),
            "{bad:?} was accepted"
        );
    }
}

#[test]
fn the_phase_shown_waits_for_the_controller_to_catch_up() {
    let cases = [
        ("healthy", json!({"phase": "Healthy"}), json!({}), "Healthy"),
        (
            "paused at a step",
            json!({"phase": "Paused", "message": "CanaryPauseStep",
                "pauseConditions": pause_conditions("CanaryPauseStep")}),
            json!({}),
            "Paused - CanaryPauseStep",
        ),
        (
            "spec change not yet observed",
            json!({"phase": "Healthy", "observedGeneration": "1"}),
            json!({}),
            "Progressing - waiting for rollout spec update to be observed",
        ),
        (
            "promoted, controller not yet acted",
            json!({"phase": "Paused", "message": "CanaryPauseStep"}),
            json!({}),
            "Progressing - waiting for rollout to unpause",
        ),
        (
            "paused by the user stays Paused",
            json!({"phase": "Paused", "message": "manually paused"}),
            json!({"paused": true}),
            "Paused - manually paused",
        ),
        (
            "aborted",
            json!({"phase": "Degraded", "message": "RolloutAborted: Rollout aborted update to revision 2"}),
            json!({}),
            "Degraded - RolloutAborted: Rollout aborted update to revision 2",
        ),
    ];
    for (case, status, spec, expected) in cases {
        let rollout = canary(spec, status);
        let (phase, message) = summary::phase(&rollout);
        assert_eq!(summary::status_line(&phase, &message), expected, "{case}");
    }
    assert_eq!(summary::verdict("Healthy"), summary::Verdict::Healthy);
    assert_eq!(summary::verdict("Degraded"), summary::Verdict::Degraded);
    assert_eq!(summary::verdict("Paused"), summary::Verdict::Waiting);
}

#[test]
fn set_weight_is_the_last_set_weight_reached() {
    let at = |index: i32, abort: bool| {
        let rollout = canary(json!({}), json!({"currentStepIndex": index, "abort": abort}));
        summary::set_weight(&rollout)
    };
    assert_eq!(at(0, false), Some(20));
    assert_eq!(at(2, false), Some(20));
    assert_eq!(at(3, false), Some(60));
    assert_eq!(at(4, false), Some(100));
    assert_eq!(at(2, true), Some(0));
    assert_eq!(summary::set_weight(&blue_green(json!({}), json!({}))), None);
}

#[test]
fn get_and_list_show_step_weights_hashes_replica_sets_and_analysis_runs() {
    let rollout = canary(
        json!({}),
        json!({"phase": "Paused", "message": "CanaryPauseStep", "currentStepIndex": 1,
            "pauseConditions": pause_conditions("CanaryPauseStep"),
            "stableRS": "aaa", "currentPodHash": "bbb", "replicas": 5, "readyReplicas": 5,
            "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}},
                "currentBackgroundAnalysisRunStatus": {"name": "shop-bbb-2", "status": "Running"}}}),
    );
    let replica_sets = [
        replica_set("1", "aaa", "shop:1", "ro-uid"),
        replica_set("2", "bbb", "shop:2", "ro-uid"),
    ];
    let text = summary::describe(&rollout, &replica_sets);
    for expected in [
        "Status:       Paused - CanaryPauseStep",
        "Step:         1/4",
        "SetWeight:    20",
        "ActualWeight: 20",
        "Stable:       aaa",
        "Canary:       bbb",
        "2         shop-bbb  bbb   1/1    canary",
        "1         shop-aaa  aaa   1/1    stable",
        "shop-bbb-2 (background): Running",
    ] {
        assert!(text.contains(expected), "get lacks {expected:?}:\n{text}");
    }
    // Without a router the actual weight is the share of ready pods on the current template
    let mut basic = rollout.clone();
    if let Some(status) = basic.status.as_mut() {
        status.canary = None;
    }
    let basic_text = summary::describe(&basic, &replica_sets);
    assert!(basic_text.contains("ActualWeight: 50\n"), "{basic_text}");
    let revision_2 = text.find("shop-bbb ").unwrap_or(usize::MAX);
    let revision_1 = text.find("shop-aaa ").unwrap_or(0);
    assert!(revision_2 < revision_1, "newest revision first:\n{text}");

    let table = summary::list_table(&[rollout]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells,
        ["shop", "Canary", "Paused", "1/4", "20", "5/5", "4"],
        "{table}"
    );
}
