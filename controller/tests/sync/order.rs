//! Sync task order: phase, wave, kind, name; hooks; reversed prune waves; PruneLast; the
//! Namespace and CRD dependencies.

use linnet_controller::sync::SyncError;
use linnet_controller::sync::hooks::SyncPhase;
use linnet_controller::sync::order::{OrderSettings, SyncTask, TaskAction, sync_order};
use serde_json::{Value, json};

use crate::builders::{annotated, config_map, deployment, hook_job, in_wave, object};

/// "Phase/wave Kind name" of each task, in order.
fn summary(tasks: &[SyncTask]) -> Vec<String> {
    tasks
        .iter()
        .map(|t| format!("{:?}/{} {} {}", t.phase, t.wave, t.key.kind, t.key.name))
        .collect()
}

fn order(desired: &[Value]) -> Vec<String> {
    summary(&sync_order(desired, &[], OrderSettings::default()).expect("orderable"))
}

#[test]
fn tasks_sort_by_phase_then_wave_then_kind_then_name() {
    let desired = [
        deployment("b-web"),
        in_wave(deployment("a-late"), 2),
        config_map("z-settings"),
        object("v1", "Service", "shop", "web"),
        deployment("a-web"),
        in_wave(object("v1", "Secret", "shop", "early"), -1),
        hook_job("migrate", "PreSync"),
        hook_job("smoke", "PostSync"),
        hook_job("notify", "SyncFail"),
        in_wave(hook_job("seed", "PreSync"), -5),
    ];
    assert_eq!(
        order(&desired),
        [
            "PreSync/-5 Job seed",
            "PreSync/0 Job migrate",
            "Sync/-1 Secret early",
            "Sync/0 ConfigMap z-settings",
            "Sync/0 Service web",
            "Sync/0 Deployment a-web",
            "Sync/0 Deployment b-web",
            "Sync/2 Deployment a-late",
            "PostSync/0 Job smoke",
            "SyncFail/0 Job notify",
        ]
    );
}

#[test]
fn kinds_follow_the_install_order_and_unknown_kinds_come_last() {
    let desired = [
        object("example.com/v1", "Widget", "shop", "a"),
        object("apiregistration.k8s.io/v1", "APIService", "", "v1.metrics"),
        object("networking.k8s.io/v1", "Ingress", "shop", "a"),
        object("batch/v1", "CronJob", "shop", "a"),
        object("apps/v1", "StatefulSet", "shop", "a"),
        object("autoscaling/v2", "HorizontalPodAutoscaler", "shop", "a"),
        object("rbac.authorization.k8s.io/v1", "RoleBinding", "shop", "a"),
        object("rbac.authorization.k8s.io/v1", "ClusterRole", "", "a"),
        object(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "gadgets.example.com",
        ),
        object("v1", "PersistentVolumeClaim", "shop", "a"),
        object("v1", "ServiceAccount", "shop", "a"),
        object("policy/v1", "PodDisruptionBudget", "shop", "a"),
        object("v1", "Namespace", "", "a"),
    ];
    let kinds: Vec<String> = sync_order(&desired, &[], OrderSettings::default())
        .expect("orderable")
        .into_iter()
        .map(|t| t.key.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "PodDisruptionBudget",
            "ServiceAccount",
            "PersistentVolumeClaim",
            "CustomResourceDefinition",
            "ClusterRole",
            "RoleBinding",
            "HorizontalPodAutoscaler",
            "StatefulSet",
            "CronJob",
            "Ingress",
            "APIService",
            "Widget",
        ]
    );
}

#[test]
fn hooks_get_a_task_per_sync_phase_and_skipped_or_delete_hooks_none() {
    let desired = [
        hook_job("check", "PreSync,PostSync"),
        annotated(config_map("draft"), &[("argocd.argoproj.io/hook", "Skip")]),
        hook_job("cleanup", "PreDelete"),
        annotated(
            object("batch/v1", "Job", "shop", "helm-migrate"),
            &[("helm.sh/hook", "pre-upgrade")],
        ),
    ];
    let tasks = sync_order(&desired, &[], OrderSettings::default()).expect("orderable");
    assert_eq!(
        summary(&tasks),
        [
            "PreSync/0 Job check",
            "PreSync/0 Job helm-migrate",
            "PostSync/0 Job check"
        ]
    );
    assert!(tasks.iter().all(SyncTask::is_hook));
    assert!(!sync_order(&[config_map("c")], &[], OrderSettings::default()).expect("orderable")[0].is_hook());
}

#[test]
fn helm_hook_weight_is_the_wave_when_no_sync_wave_is_set() {
    let desired = [
        annotated(
            object("batch/v1", "Job", "shop", "b"),
            &[("helm.sh/hook", "pre-install"), ("helm.sh/hook-weight", "-1")],
        ),
        annotated(
            object("batch/v1", "Job", "shop", "a"),
            &[("helm.sh/hook", "pre-install"), ("helm.sh/hook-weight", "3")],
        ),
    ];
    assert_eq!(order(&desired), ["PreSync/-1 Job b", "PreSync/3 Job a"]);
}

#[test]
fn prune_waves_run_in_reverse() {
    let desired = [in_wave(deployment("kept"), 1)];
    let extraneous = [
        in_wave(config_map("first-made"), -1),
        in_wave(deployment("middle"), 0),
        in_wave(object("v1", "Service", "shop", "last-made"), 3),
    ];
    let tasks = sync_order(&desired, &extraneous, OrderSettings::default()).expect("orderable");
    assert_eq!(
        summary(&tasks),
        [
            "Sync/-1 Service last-made",
            "Sync/0 Deployment middle",
            "Sync/1 Deployment kept",
            "Sync/3 ConfigMap first-made"
        ]
    );
    let actions: Vec<TaskAction> = tasks.iter().map(|t| t.action).collect();
    use TaskAction::*;
    assert_eq!(actions, [Prune, Prune, Apply, Prune]);
}

#[test]
fn prune_last_goes_after_the_last_sync_wave() {
    let prune_last = |obj: Value| annotated(obj, &[("argocd.argoproj.io/sync-options", "PruneLast=true")]);
    let desired = [in_wave(deployment("app"), 4), hook_job("smoke", "PostSync")];
    let extraneous = [prune_last(config_map("old-settings")), config_map("old-other")];
    let tasks = sync_order(&desired, &extraneous, OrderSettings::default()).expect("orderable");
    assert_eq!(
        summary(&tasks),
        [
            "Sync/0 ConfigMap old-other",
            "Sync/4 Deployment app",
            "Sync/5 ConfigMap old-settings",
            "PostSync/0 Job smoke"
        ]
    );

    let everything_last = OrderSettings {
        prune_last: true,
        ..OrderSettings::default()
    };
    let early = [in_wave(config_map("old-early"), -2)];
    let tasks = sync_order(&[in_wave(deployment("app"), -3)], &early, everything_last).expect("orderable");
    assert_eq!(
        summary(&tasks),
        ["Sync/-3 Deployment app", "Sync/1 ConfigMap old-early"],
        "the final wave is at least 1, even when every wave is negative"
    );
}

#[test]
fn objects_that_must_not_be_pruned_get_no_task() {
    let with_option = |name: &str, option: &str| {
        annotated(config_map(name), &[("argocd.argoproj.io/sync-options", option)])
    };
    let extraneous = [
        with_option("keep", "Prune=false"),
        with_option("ask", "Prune=confirm"),
        hook_job("old-hook", "PostSync"),
        config_map("gone"),
    ];
    let names = |settings| -> Vec<String> {
        sync_order(&[], &extraneous, settings)
            .expect("orderable")
            .into_iter()
            .map(|t| t.key.name)
            .collect()
    };
    assert_eq!(names(OrderSettings::default()), ["gone"]);
    assert_eq!(
        names(OrderSettings {
            prune_confirmed: true,
            ..OrderSettings::default()
        }),
        ["ask", "gone"]
    );
}

#[test]
fn a_namespace_is_created_before_the_first_object_in_it() {
    let desired = [
        in_wave(object("v1", "Namespace", "", "team"), 2),
        in_wave(object("apps/v1", "Deployment", "team", "api"), -1),
        in_wave(object("v1", "ConfigMap", "team", "settings"), 1),
    ];
    assert_eq!(
        order(&desired),
        [
            "Sync/-1 Namespace team",
            "Sync/-1 Deployment api",
            "Sync/1 ConfigMap settings"
        ]
    );
}

#[test]
fn a_crd_is_created_before_the_first_object_of_its_kind() {
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com", "annotations": {"argocd.argoproj.io/sync-wave": "5"}},
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}},
    });
    let desired = [
        crd,
        object("example.com/v1", "Widget", "shop", "w"),
        deployment("web"),
    ];
    assert_eq!(
        order(&desired),
        [
            "Sync/0 Deployment web",
            "Sync/0 CustomResourceDefinition widgets.example.com",
            "Sync/0 Widget w"
        ]
    );
}

#[test]
fn the_task_carries_its_object_and_options() {
    let desired = [annotated(
        deployment("web"),
        &[("argocd.argoproj.io/sync-options", "Replace=true")],
    )];
    let tasks = sync_order(&desired, &[], OrderSettings::default()).expect("orderable");
    assert_eq!(tasks[0].object, desired[0]);
    assert!(tasks[0].options.replace);
    assert_eq!(tasks[0].phase, SyncPhase::Sync);
}

#[test]
fn renders_that_cannot_be_ordered_are_errors() {
    let duplicate = sync_order(
        &[deployment("web"), config_map("x"), deployment("web")],
        &[],
        OrderSettings::default(),
    );
    assert!(
        matches!(&duplicate, Err(SyncError::DuplicateResource { key, first: 0, second: 2, .. }) if key.name == "web"),
        "{duplicate:?}"
    );
    let bad_wave = sync_order(
        &[annotated(
            deployment("web"),
            &[("argocd.argoproj.io/sync-wave", "soon")],
        )],
        &[],
        OrderSettings::default(),
    );
    assert!(
        matches!(bad_wave, Err(SyncError::InvalidWave { .. })),
        "{bad_wave:?}"
    );
}

#[test]
fn generated_hooks_are_named_per_phase_for_the_operation() {
    let generated = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generateName": "check-", "namespace": "shop", "annotations": {"argocd.argoproj.io/hook": "PreSync,PostSync"}},
    });
    let settings = OrderSettings {
        operation_id: "op42",
        ..OrderSettings::default()
    };
    let tasks = sync_order(std::slice::from_ref(&generated), &[], settings).expect("orderable");
    assert_eq!(
        summary(&tasks),
        [
            "PreSync/0 Job check-op42-presync",
            "PostSync/0 Job check-op42-postsync"
        ]
    );
    assert_eq!(tasks[1].object["metadata"]["name"], "check-op42-postsync");
    let unnamed = sync_order(&[generated], &[], OrderSettings::default()).expect("orderable");
    assert_eq!(
        summary(&unnamed),
        ["PreSync/0 Job check-", "PostSync/0 Job check-"]
    );
}
