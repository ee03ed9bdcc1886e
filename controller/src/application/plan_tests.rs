//! Table tests of the pure planner: which operation starts (manual, automated, self-heal,
//! refused), how a running one steps through waves, when it ends, retries, history, deletion.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::application::Application;
use linnet_crds::application::codes::OperationPhase;
use serde_json::{Value, json};

use super::model::{Action, ActionFailure, Rendered};
use super::operation::record_failures;
use super::plan::{Plan, PlanInputs, plan};
use crate::sync::ResourceKey;
use crate::sync::tracking::Tracking;

const REVISION: &str = "1111111111111111111111111111111111111111";
const NAMESPACE: &str = "shop";

fn now() -> Timestamp {
    "2026-11-22T10:00:00Z".parse().expect("a timestamp")
}

fn later(seconds: i64) -> Timestamp {
    now() + jiff::SignedDuration::from_secs(seconds)
}

fn app(extra: Value) -> Application {
    let mut manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://git.example/repo.git", "path": "app", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": NAMESPACE},
        },
    });
    merge(&mut manifest, &extra);
    serde_json::from_value(manifest).expect("an Application")
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn cm(name: &str, value: &str, annotations: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": NAMESPACE, "annotations": annotations},
           "data": {"v": value}})
}

fn tracked(mut obj: Value) -> Value {
    let key = ResourceKey::of(&obj);
    Tracking::annotation("shop_web").mark(&mut obj, &key);
    obj
}

fn deployment(name: &str, wave: &str, ready: bool) -> Value {
    let mut obj = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "generation": 1,
                     "annotations": {"argocd.argoproj.io/sync-wave": wave}},
        "spec": {"replicas": 1}});
    if ready {
        obj["status"] = json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                               "readyReplicas": 1, "availableReplicas": 1});
    } else {
        obj["status"] = json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1});
    }
    obj
}

fn rendered(objects: Vec<Value>) -> Result<Rendered, String> {
    let app = app(json!({}));
    Ok(Rendered {
        revision: REVISION.into(),
        source: app.spec.source.clone().expect("a source"),
        objects,
    })
}

fn live_of(objects: &[Value]) -> BTreeMap<ResourceKey, Value> {
    objects
        .iter()
        .map(|o| (ResourceKey::of(o), tracked(o.clone())))
        .collect()
}

fn run(app: &Application, target: &Result<Rendered, String>, live: &[Value], at: Timestamp) -> Plan {
    let live = live_of(live);
    plan(&PlanInputs {
        app,
        now: at,
        tracking: &Tracking::annotation("shop_web"),
        target,
        operation_render: None,
        live: &live,
        namespace_exists: true,
        invalid_spec: Vec::new(),
        forbidden: Vec::new(),
        windows: super::rules::Windows::open(),
        self_heal_timeout: Duration::from_secs(5),
    })
}

/// The app with the plan's status (and no requested operation), as the next pass reads it.
fn after(app: &Application, plan: &Plan) -> Application {
    let mut next = app.clone();
    next.status = Some(plan.status.clone());
    if plan.clear_operation {
        next.operation = None;
    }
    next
}

fn applied(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|a| match a {
            Action::Apply { key, .. } => format!("apply {}", key.name),
            Action::Delete { key, .. } => format!("delete {}", key.name),
            Action::CreateNamespace { name } => format!("namespace {name}"),
        })
        .collect()
}

fn phase(plan: &Plan) -> Option<OperationPhase> {
    plan.status.operation_state.as_ref().map(|s| s.phase)
}

fn condition(plan: &Plan, type_: &str) -> Option<String> {
    plan.status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_)
        .map(|c| c.message.clone())
}

const AUTOMATED: &str = r#"{"spec": {"syncPolicy": {"automated": {}}}}"#;

fn automated(policy: Value) -> Application {
    app(json!({"spec": {"syncPolicy": {"automated": policy}}}))
}

#[test]
fn without_automation_an_out_of_sync_app_only_reports() {
    let plan = run(
        &app(json!({})),
        &rendered(vec![cm("a", "1", json!({}))]),
        &[],
        now(),
    );
    let sync = plan.status.sync.as_ref().expect("sync status");
    assert_eq!(format!("{:?}", sync.status), "OutOfSync");
    assert_eq!(sync.revision.as_deref(), Some(REVISION));
    assert!(plan.actions.is_empty() && plan.status.operation_state.is_none());
    assert_eq!(plan.status.reconciled_at.as_ref().map(|t| t.0), Some(now()));
}

/// (case, app, live objects, now, expected phase, expected actions, SyncError substring)
type Case = (
    &'static str,
    Application,
    Vec<Value>,
    Timestamp,
    Option<OperationPhase>,
    Vec<&'static str>,
    Option<&'static str>,
);

#[test]
fn which_operation_starts() {
    let a = cm("a", "1", json!({}));
    let changed = cm("a", "2", json!({}));
    let succeeded_at = |finished: &str| {
        json!({"status": {"operationState": {
            "operation": {"sync": {"revision": REVISION}}, "phase": "Succeeded",
            "startedAt": "2026-11-22T09:59:00Z", "finishedAt": finished,
            "syncResult": {"revision": REVISION, "source": {"repoURL": "https://git.example/repo.git", "path": "app", "targetRevision": "main"}}}}})
    };
    let failed = json!({"status": {"operationState": {
        "operation": {"sync": {}}, "phase": "Failed", "message": "boom",
        "startedAt": "2026-11-22T09:59:00Z", "finishedAt": "2026-11-22T09:59:30Z",
        "syncResult": {"revision": REVISION}}}});
    let with = |base: Application, extra: Value| {
        let mut value = serde_json::to_value(&base).expect("json");
        merge(&mut value, &extra);
        serde_json::from_value::<Application>(value).expect("an Application")
    };
    // (case, app, live, now, expected phase, expected actions, condition substring)
    let cases: Vec<Case> = vec![
        (
            "manual sync starts and applies",
            app(json!({"operation": {"sync": {}}})),
            vec![],
            now(),
            Some(OperationPhase::Running),
            vec!["apply a"],
            None,
        ),
        (
            "automated: a new revision starts a sync",
            serde_json::from_str::<Value>(AUTOMATED).map(app).expect("json"),
            vec![],
            now(),
            Some(OperationPhase::Running),
            vec!["apply a"],
            None,
        ),
        (
            "automated: drift after a sync to this revision waits for selfHeal",
            with(automated(json!({})), succeeded_at("2026-11-22T09:59:30Z")),
            vec![changed.clone()],
            now(),
            Some(OperationPhase::Succeeded),
            vec![],
            None,
        ),
        (
            "selfHeal: drift is reverted after the timeout",
            with(
                automated(json!({"selfHeal": true})),
                succeeded_at("2026-11-22T09:59:30Z"),
            ),
            vec![changed.clone()],
            now(),
            Some(OperationPhase::Running),
            vec!["apply a"],
            None,
        ),
        (
            "selfHeal: not before the timeout",
            with(
                automated(json!({"selfHeal": true})),
                succeeded_at("2026-11-22T09:59:58Z"),
            ),
            vec![changed],
            now(),
            Some(OperationPhase::Succeeded),
            vec![],
            None,
        ),
        (
            "automated: a failed attempt at this revision is not repeated",
            with(automated(json!({})), failed),
            vec![],
            now(),
            Some(OperationPhase::Failed),
            vec![],
            Some("Failed sync attempt"),
        ),
    ];
    for (case, app, live, at, expected_phase, expected_actions, expected_condition) in cases {
        let plan = run(&app, &rendered(vec![a.clone()]), &live, at);
        assert_eq!(phase(&plan), expected_phase, "{case}");
        assert_eq!(applied(&plan), expected_actions, "{case}");
        assert_eq!(
            condition(&plan, "SyncError").is_some_and(|m| expected_condition.is_some_and(|e| m.contains(e))),
            expected_condition.is_some(),
            "{case}: {:?}",
            plan.status.conditions
        );
    }
}

#[test]
fn an_empty_render_never_prunes_everything_unless_allow_empty() {
    let live = [cm("a", "1", json!({}))];
    let refused = run(
        &automated(json!({"prune": true})),
        &rendered(vec![]),
        &live,
        now(),
    );
    assert!(refused.actions.is_empty());
    assert!(condition(&refused, "SyncError").is_some_and(|m| m.contains("wipe out all resources")));
    let allowed = run(
        &automated(json!({"prune": true, "allowEmpty": true})),
        &rendered(vec![]),
        &live,
        now(),
    );
    assert_eq!(applied(&allowed), ["delete a"]);
}

#[test]
fn prune_respects_prune_false_and_only_touches_tracked_objects() {
    let app = app(json!({"operation": {"sync": {"prune": true}}}));
    let live = [
        cm("gone", "1", json!({})),
        cm(
            "kept",
            "1",
            json!({"argocd.argoproj.io/sync-options": "Prune=false"}),
        ),
    ];
    let plan = run(&app, &rendered(vec![cm("a", "1", json!({}))]), &live, now());
    assert_eq!(applied(&plan), ["apply a", "delete gone"]);
    let without_prune = run(
        &self::app(json!({"operation": {"sync": {}}})),
        &rendered(vec![cm("a", "1", json!({}))]),
        &live,
        now(),
    );
    assert_eq!(applied(&without_prune), ["apply a"]);
    let skipped = without_prune
        .status
        .operation_state
        .as_ref()
        .and_then(|s| s.sync_result.as_ref());
    let skipped = skipped.and_then(|r| r.resources.as_ref()).expect("results");
    assert!(
        skipped
            .iter()
            .any(|r| r.name == "gone" && format!("{:?}", r.status) == "Some(PruneSkipped)")
    );
}

#[test]
fn waves_wait_for_health_then_the_operation_succeeds_into_history() {
    let app = app(json!({"operation": {"sync": {}}, "spec": {"revisionHistoryLimit": 1}}));
    let desired = vec![
        deployment("web", "0", false),
        cm("after", "1", json!({"argocd.argoproj.io/sync-wave": "1"})),
    ];
    let target = rendered(desired.clone());
    // Pass 1: wave 0 is applied.
    let first = run(&app, &target, &[], now());
    assert_eq!(applied(&first), ["apply web"]);
    // Pass 2: the Deployment exists but is not ready: wait, apply nothing.
    let app = after(&app, &first);
    let second = run(&app, &target, &[deployment("web", "0", false)], later(1));
    assert!(second.actions.is_empty(), "{:?}", second.actions);
    assert!(
        second
            .status
            .operation_state
            .as_ref()
            .and_then(|s| s.message.clone())
            .is_some_and(|m| m.contains("waiting"))
    );
    // Pass 3: ready: wave 1.
    let app = after(&app, &second);
    let third = run(&app, &target, &[deployment("web", "0", true)], later(2));
    assert_eq!(applied(&third), ["apply after"]);
    // Pass 4: all done: Succeeded, recorded in history (bounded to 1 entry).
    let app = after(&app, &third);
    let live = [deployment("web", "0", true), desired[1].clone()];
    let fourth = run(&app, &target, &live, later(3));
    assert_eq!(phase(&fourth), Some(OperationPhase::Succeeded));
    let history = fourth.status.history.clone().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].revision.as_deref(), Some(REVISION));
    // A second success trims the oldest entry.
    let mut app = after(&app, &fourth);
    app.operation = Some(serde_json::from_value(json!({"sync": {}})).expect("operation"));
    let again = run(&app, &target, &live, later(4));
    let history = again.status.history.clone().expect("history");
    assert_eq!((history.len(), history[0].id), (1, 1));
}

#[test]
fn a_failed_apply_is_retried_after_backoff_within_the_limit() {
    let app = app(json!({"operation": {"sync": {}, "retry": {"limit": 1, "backoff": {"duration": "10s"}}}}));
    let target = rendered(vec![cm("a", "1", json!({}))]);
    let first = run(&app, &target, &[], now());
    let failure = ActionFailure {
        action: first.actions[0].clone(),
        message: "denied".into(),
    };
    let retry = app.operation.as_ref().and_then(|o| o.retry.clone());
    let state = first.status.operation_state.clone().expect("a state");
    let (state, _) = record_failures(state, std::slice::from_ref(&failure), now(), retry.as_ref());
    assert_eq!(state.phase, OperationPhase::Running, "waiting to retry");
    assert_eq!(state.retry_count, Some(1));
    let mut next = after(&app, &first);
    next.status.as_mut().expect("status").operation_state = Some(state);
    let waiting = run(&next, &target, &[], later(5));
    assert!(waiting.actions.is_empty());
    assert!(waiting.requeue.is_some_and(|r| r <= Duration::from_secs(5)));
    let retried = run(&next, &target, &[], later(11));
    assert_eq!(applied(&retried), ["apply a"]);
    // The limit is reached: the next failure ends the operation.
    let state = retried.status.operation_state.clone().expect("a state");
    let (state, _) = record_failures(state, &[failure], later(11), retry.as_ref());
    assert_eq!(state.phase, OperationPhase::Failed);
}

#[test]
fn a_render_error_is_a_comparison_error_and_ends_a_requested_sync_in_error() {
    let app = app(json!({"operation": {"sync": {}}}));
    let plan = run(&app, &Err("app/bad.yaml: not YAML".into()), &[], now());
    assert_eq!(
        condition(&plan, "ComparisonError").as_deref(),
        Some("app/bad.yaml: not YAML")
    );
    assert_eq!(
        format!("{:?}", plan.status.sync.as_ref().map(|s| s.status)),
        "Some(Unknown)"
    );
    assert_eq!(phase(&plan), Some(OperationPhase::Error));
    assert!(plan.actions.is_empty());
}

#[test]
fn deletion_with_the_finalizer_deletes_tracked_objects_then_releases_it() {
    let app = app(json!({"metadata": {"deletionTimestamp": "2026-11-22T09:00:00Z",
                                       "finalizers": ["resources-finalizer.argocd.argoproj.io"]}}));
    let target = rendered(vec![]);
    let live = [
        cm("a", "1", json!({})),
        cm(
            "kept",
            "1",
            json!({"argocd.argoproj.io/sync-options": "Delete=false"}),
        ),
    ];
    let plan = run(&app, &target, &live, now());
    assert_eq!(applied(&plan), ["delete a"]);
    assert!(!plan.remove_finalizer);
    let done = run(&app, &target, &live[1..], now());
    assert!(done.actions.is_empty() && done.remove_finalizer);
}

#[test]
fn the_refresh_annotation_is_removed() {
    let app = app(json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}}));
    assert!(run(&app, &rendered(vec![]), &[], now()).remove_refresh_annotation);
    assert!(!run(&self::app(json!({})), &rendered(vec![]), &[], now()).remove_refresh_annotation);
}

#[test]
fn a_generate_name_hook_gets_one_name_for_the_whole_operation() {
    let hook = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"generateName": "migrate-", "namespace": NAMESPACE,
                     "annotations": {"argocd.argoproj.io/hook": "PreSync"}},
        "spec": {}});
    let app = app(json!({"operation": {"sync": {}}}));
    let target = rendered(vec![hook, cm("a", "1", json!({}))]);
    let first = run(&app, &target, &[], now());
    let names = applied(&first);
    assert_eq!(names.len(), 1, "only the PreSync hook runs first: {names:?}");
    assert!(
        names[0].starts_with("apply migrate-") && names[0].ends_with("-presync"),
        "{names:?}"
    );
    // The next pass (the hook still running) finds it by the same name and waits.
    let hook_name = names[0].trim_start_matches("apply ").to_string();
    let Action::Apply { object, .. } = &first.actions[0] else {
        panic!("an apply: {:?}", first.actions[0]);
    };
    let mut running = object.clone();
    running["status"] = json!({"active": 1});
    let next = run(&after(&app, &first), &target, &[running], later(1));
    assert!(next.actions.is_empty(), "{:?}", next.actions);
    let message = next
        .status
        .operation_state
        .as_ref()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(message.contains(&hook_name), "{message}");
}
