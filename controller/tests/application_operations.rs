//! Sync operations of the Application controller end to end against the sim: waves and hooks in
//! order (read from the sim's request log), rollback to a history entry, a sync resumed by a new
//! controller after the first was stopped mid-sync, and a Rollout delivered by an Application
//! whose health the Application follows.

mod application_world;
mod support;

use std::time::Duration;

use application_world::*;
use linnet_controller::application::rollback::rollback_operation;
use linnet_crds::application::Application;
use serde_json::{Value, json};

const FAST: Duration = Duration::from_secs(1);

/// The applies (by field manager linnet) and deletes the sim answered in the test namespace, in
/// order, as "METHOD plural/name".
fn sync_writes(world: &World) -> Vec<String> {
    let prefix = format!("/namespaces/{}/", world.namespace);
    world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" || r.query.contains("fieldManager=linnet"))
        .filter_map(|r| {
            let at = r.path.find(&prefix)?;
            let rest = &r.path[at + prefix.len()..];
            (rest.split('/').count() == 2).then(|| format!("{} {rest}", r.method))
        })
        .collect()
}

fn time_of(world: &World, method: &str, path_end: &str) -> jiff::Timestamp {
    let record = world
        .sim
        .requests()
        .into_iter()
        .find(|r| {
            r.method == method
                && r.path.ends_with(path_end)
                && (method == "DELETE" || r.query.contains("fieldManager=linnet"))
        })
        .unwrap_or_else(|| panic!("no {method} of {path_end}"));
    record
        .time
        .parse()
        .unwrap_or_else(|e| panic!("bad time {}: {e}", record.time))
}

fn hook_result<'a>(app: &'a Value, name: &str) -> &'a Value {
    app["status"]["operationState"]["syncResult"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == name)
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_and_hooks_run_in_order_each_wave_after_the_previous_is_healthy() {
    // Given a PreSync Job, three waves (-1: ConfigMap, 0: Deployment ready after 1.5 s,
    // 1: ConfigMap) and a PostSync Job
    let world = given_a_cluster_with_the_app_controller("waves-app", FAST).await;
    world.commit(
        &[
            (
                "app/migrate.yaml",
                &job(
                    "migrate",
                    json!({"argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}),
                    "0.3",
                ),
            ),
            ("app/first.yaml", &config_map("first", json!({"v": "1"}), json!({"argocd.argoproj.io/sync-wave": "-1"}))),
            ("app/web.yaml", &deployment("web", "1.5", json!({}))),
            ("app/last.yaml", &config_map("last", json!({"v": "1"}), json!({"argocd.argoproj.io/sync-wave": "1"}))),
            ("app/notify.yaml", &job("notify", json!({"argocd.argoproj.io/hook": "PostSync"}), "0.3")),
        ],
        "waves",
    );
    world.create_app("web", world.spec("app", json!({})), &[]).await;
    world
        .eventually("web", "compared", |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;

    // When it is synced
    world.sync("web", false).await;

    // Then the operation succeeds with both hooks Succeeded
    let app = world
        .eventually("web", "operation Succeeded", |a| {
            operation_phase(a) == "Succeeded"
        })
        .await;
    assert_eq!(
        hook_result(&app, "migrate")["hookPhase"],
        json!("Succeeded"),
        "{:#}",
        app["status"]
    );
    assert_eq!(hook_result(&app, "migrate")["syncPhase"], json!("PreSync"));
    assert_eq!(hook_result(&app, "notify")["hookPhase"], json!("Succeeded"));
    assert_eq!(hook_result(&app, "notify")["syncPhase"], json!("PostSync"));

    // And the sim saw: PreSync hook, its deletion (HookSucceeded), wave -1, wave 0, wave 1, PostSync
    let writes = sync_writes(&world);
    let expected = [
        "PATCH jobs/migrate",
        "DELETE jobs/migrate",
        "PATCH configmaps/first",
        "PATCH deployments/web",
        "PATCH configmaps/last",
        "PATCH jobs/notify",
    ];
    assert_eq!(writes, expected, "writes in order");
    // Wave 1 waited for the Deployment of wave 0 to become ready (1.5 s after it was applied).
    let waited = time_of(&world, "PATCH", "/deployments/web").duration_until(time_of(
        &world,
        "PATCH",
        "/configmaps/last",
    ));
    assert!(
        waited >= jiff::SignedDuration::from_millis(1400),
        "wave 1 came {waited:?} after wave 0"
    );
    assert!(
        world.object("batch/v1", "Job", "migrate").await.is_none(),
        "HookSucceeded deleted it"
    );
    assert!(
        world.object("batch/v1", "Job", "notify").await.is_some(),
        "BeforeHookCreation keeps it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_a_history_entry_syncs_its_revision() {
    // Given an app synced to two commits in turn, so history holds both
    let world = given_a_cluster_with_the_app_controller("rollback-app", FAST).await;
    let first = world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "blue"}), json!({})),
        )],
        "blue",
    );
    world
        .create_app("settings", world.spec("cm", json!({})), &[])
        .await;
    world.sync("settings", false).await;
    world
        .eventually("settings", "first sync Succeeded", |a| {
            a["status"]["history"].as_array().map(Vec::len) == Some(1)
        })
        .await;
    let second = world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "green"}), json!({})),
        )],
        "green",
    );
    world
        .patch_app(
            "settings",
            json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}}),
        )
        .await;
    world
        .eventually("settings", "the second commit seen", |a| {
            text(a, "/status/sync/revision") == second
        })
        .await;
    world.sync("settings", false).await;
    let app = world
        .eventually("settings", "second sync in history", |a| {
            a["status"]["history"].as_array().map(Vec::len) == Some(2)
        })
        .await;
    assert_eq!(text(&app, "/status/history/0/revision"), first);
    assert_eq!(text(&app, "/status/history/1/revision"), second);

    // When it is rolled back to history entry 0, as `argocd app rollback settings 0` does
    let typed: Application = serde_json::from_value(app.clone()).expect("an Application");
    let operation = rollback_operation(&typed, 0, false).expect("rollback allowed without auto-sync");
    world.patch_app("settings", json!({"operation": operation})).await;

    // Then the first commit is synced again, recorded as a third history entry, and the app is
    // OutOfSync with its target (main, at the second commit)
    let app = world
        .eventually("settings", "rolled back", |a| {
            a["status"]["history"].as_array().map(Vec::len) == Some(3)
        })
        .await;
    assert_eq!(text(&app, "/status/history/2/revision"), first);
    assert_eq!(text(&app, "/status/operationState/syncResult/revision"), first);
    let cm = world
        .object("v1", "ConfigMap", "settings")
        .await
        .expect("ConfigMap");
    assert_eq!(text(&cm, "/data/color"), "blue");
    world
        .eventually("settings", "OutOfSync with main", |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_stopped_mid_sync_is_followed_by_one_that_finishes_the_sync() {
    // Given an app whose wave 0 Deployment takes 3 s to become ready and whose wave 1 follows
    let mut world = given_a_cluster_with_the_app_controller("restart-app", FAST).await;
    world.commit(
        &[
            ("app/web.yaml", &deployment("web", "3", json!({}))),
            (
                "app/after.yaml",
                &config_map(
                    "after",
                    json!({"v": "1"}),
                    json!({"argocd.argoproj.io/sync-wave": "1"}),
                ),
            ),
        ],
        "slow",
    );
    world.create_app("web", world.spec("app", json!({})), &[]).await;
    world
        .eventually("web", "compared", |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;
    world.sync("web", false).await;

    // When the controller is stopped while wave 0 waits for health
    world
        .eventually("web", "waiting on wave 0", |a| {
            operation_phase(a) == "Running" && text(a, "/status/operationState/message").contains("waiting")
        })
        .await;
    world.stop_controller().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        world.object("v1", "ConfigMap", "after").await.is_none(),
        "nothing ran without a controller"
    );

    // Then a new controller carries on from the recorded state and finishes the sync
    world.start_controller();
    let app = world
        .eventually("web", "operation Succeeded", |a| {
            operation_phase(a) == "Succeeded"
        })
        .await;
    assert!(world.object("v1", "ConfigMap", "after").await.is_some());
    let applies_of_web = sync_writes(&world)
        .iter()
        .filter(|w| *w == "PATCH deployments/web")
        .count();
    assert_eq!(
        applies_of_web,
        1,
        "the Deployment was not applied again: {:?}",
        sync_writes(&world)
    );
    assert_eq!(app["status"]["history"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_delivered_by_an_application_drives_its_health() {
    // Given the Rollout CRD and controller, and an automated app delivering a canary Rollout
    let mut world = given_a_cluster_with_the_app_controller("rollout-app", FAST).await;
    world.with_the_rollout_controller().await;
    let rollout = |image: &str| {
        yaml(&json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}, "annotations": {"sim.linnet.dev/ready-after": "0.3"}},
                    "spec": {"containers": [{"name": "web", "image": image}]},
                },
                "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}},
            },
        }))
    };
    world.commit(&[("app/rollout.yaml", &rollout("registry.example/web:1"))], "v1");
    world
        .create_app("web", world.spec("app", json!({"automated": {}})), &[])
        .await;

    // Then the app is Synced and Healthy once the Rollout is
    world
        .eventually("web", "Synced and Healthy", synced_and_healthy)
        .await;

    // When Git moves the Rollout to a new image, it pauses at its step, and the app follows:
    // Suspended
    world.commit(&[("app/rollout.yaml", &rollout("registry.example/web:2"))], "v2");
    let app = world
        .eventually("web", "Suspended with the paused Rollout", |a| {
            text(a, "/status/health/status") == "Suspended"
        })
        .await;
    let resource = &app["status"]["resources"][0];
    assert_eq!(resource["kind"], json!("Rollout"));
    assert_eq!(resource["health"]["status"], json!("Suspended"));

    // And once the Rollout is promoted, Healthy again
    let rollouts = world.dynamic("argoproj.io/v1alpha1", "Rollout");
    rollouts
        .patch_status(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"status": {"pauseConditions": null}})),
        )
        .await
        .expect("promote the Rollout");
    world
        .eventually("web", "Healthy after promotion", synced_and_healthy)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_pre_sync_hook_fails_the_sync_runs_the_sync_fail_hook_and_applies_nothing_else() {
    // Given a PreSync Job that fails, a ConfigMap of the Sync phase and a SyncFail Job
    let world = given_a_cluster_with_the_app_controller("hookfail-app", FAST).await;
    let failing = yaml(&json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "annotations": {"argocd.argoproj.io/hook": "PreSync"}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"annotations": {"sim.linnet.dev/ready-after": "0.2", "sim.linnet.dev/job-result": "failed"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "registry.example/hook:1"}]},
            },
        },
    }));
    world.commit(
        &[
            ("app/migrate.yaml", &failing),
            (
                "app/settings.yaml",
                &config_map("settings", json!({"v": "1"}), json!({})),
            ),
            (
                "app/cleanup.yaml",
                &job("cleanup", json!({"argocd.argoproj.io/hook": "SyncFail"}), "0.2"),
            ),
        ],
        "failing hook",
    );
    world.create_app("app", world.spec("app", json!({})), &[]).await;
    world
        .eventually("app", "compared", |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;

    // When it is synced
    world.sync("app", false).await;

    // Then the operation fails naming the hook, the SyncFail hook ran, and the ConfigMap was never applied
    let app = world
        .eventually("app", "operation Failed", |a| operation_phase(a) == "Failed")
        .await;
    assert!(
        text(&app, "/status/operationState/message").contains("migrate"),
        "{:#}",
        app["status"]
    );
    assert_eq!(hook_result(&app, "migrate")["hookPhase"], json!("Failed"));
    assert_eq!(
        hook_result(&app, "cleanup")["hookPhase"],
        json!("Succeeded"),
        "{:#}",
        app["status"]
    );
    assert_eq!(sync_writes(&world), ["PATCH jobs/migrate", "PATCH jobs/cleanup"]);
    assert!(world.object("v1", "ConfigMap", "settings").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_apply_is_retried_with_backoff_up_to_the_limit_then_fails() {
    // Given a manifest the API server refuses (an unknown field under strict validation), and
    // a sync that may be retried twice with a 1 s backoff
    let world = given_a_cluster_with_the_app_controller("retry-app", FAST).await;
    let refused = yaml(&json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "refused"},
        "data": {"v": "1"},
        "bogusField": true,
    }));
    world.commit(&[("app/refused.yaml", &refused)], "refused");
    world.create_app("app", world.spec("app", json!({})), &[]).await;
    world
        .eventually("app", "compared", |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;

    // When it is synced
    world
        .patch_app(
            "app",
            json!({"operation": {"sync": {}, "retry": {"limit": 2, "backoff": {"duration": "1s", "factor": 1}}}}),
        )
        .await;

    // Then it is tried three times (a first attempt and two retries) and ends Failed
    let app = world
        .eventually("app", "operation Failed", |a| operation_phase(a) == "Failed")
        .await;
    assert_eq!(
        app["status"]["operationState"]["retryCount"],
        json!(2),
        "{:#}",
        app["status"]
    );
    assert!(
        text(&app, "/status/operationState/message").contains("refused"),
        "{:#}",
        app["status"]
    );
    let attempts = sync_writes(&world)
        .iter()
        .filter(|w| *w == "PATCH configmaps/refused")
        .count();
    assert_eq!(attempts, 3, "{:?}", sync_writes(&world));
}
