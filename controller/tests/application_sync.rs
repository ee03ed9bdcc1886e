//! The Application controller end to end against the sim, with Git repositories the tests make:
//! comparison and status, manual and automated sync, kustomize, prune, self-heal, refresh,
//! empty renders, invalid manifests, cascading deletion, and drift waking an app at once.

mod application_world;
mod support;

use std::time::Duration;

use application_world::*;
use serde_json::{Value, json};

const FAST: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_app_is_out_of_sync_until_synced_then_synced_and_healthy() {
    // Given a repository with a Deployment and a ConfigMap, and an Application without automation
    let world = given_a_cluster_with_the_app_controller("dir-app", FAST).await;
    let commit = world.commit(
        &[
            ("app/web.yaml", &deployment("web", "0.5", json!({}))),
            (
                "app/settings.yaml",
                &config_map("settings", json!({"color": "blue"}), json!({})),
            ),
        ],
        "web",
    );
    world.create_app("web", world.spec("app", json!({})), &[]).await;

    // Then it is compared: OutOfSync at the commit, resources Missing, nothing applied
    let app = world
        .eventually("web", "OutOfSync at the commit", |app| {
            text(app, "/status/sync/status") == "OutOfSync" && text(app, "/status/sync/revision") == commit
        })
        .await;
    assert_eq!(text(&app, "/status/health/status"), "Missing", "{app:#}");
    assert_eq!(
        app["status"]["resources"].as_array().map(Vec::len),
        Some(2),
        "{app:#}"
    );
    assert!(world.object("apps/v1", "Deployment", "web").await.is_none());

    // When a sync is asked for, as `argocd app sync` does
    world.sync("web", false).await;

    // Then the app reaches Synced and Healthy once the Deployment is ready
    let app = world
        .eventually("web", "Synced and Healthy", synced_and_healthy)
        .await;
    let app = if operation_phase(&app) == "Succeeded" {
        app
    } else {
        world
            .eventually("web", "operation Succeeded", |a| {
                operation_phase(a) == "Succeeded"
            })
            .await
    };
    assert!(
        app.get("operation").is_none_or(Value::is_null),
        "operation is cleared: {app:#}"
    );
    assert_eq!(text(&app, "/status/operationState/syncResult/revision"), commit);
    assert_eq!(
        app["status"]["history"].as_array().map(Vec::len),
        Some(1),
        "{app:#}"
    );
    assert_eq!(text(&app, "/status/history/0/revision"), commit);
    let web = world
        .object("apps/v1", "Deployment", "web")
        .await
        .expect("the Deployment exists");
    assert_eq!(
        text(&web, "/metadata/annotations/argocd.argoproj.io~1tracking-id"),
        "web:apps/Deployment:dir-app/web"
    );
    let managers: Vec<&str> = web["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(
        managers.contains(&"linnet"),
        "applied by field manager linnet: {managers:?}"
    );
    let applies: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/deployments/web") && r.query.contains("fieldManager=linnet"))
        .collect();
    assert_eq!(applies.len(), 1, "one apply of the Deployment: {applies:?}");
    assert_eq!(applies[0].method, "PATCH");
    assert_eq!(
        applies[0].content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kustomize_app_with_automated_sync_reaches_synced_and_healthy() {
    // Given a kustomization with a name prefix and a common label, and an automated Application
    let world = given_a_cluster_with_the_app_controller("kustomize-app", FAST).await;
    let commit = world.commit(
        &[
            (
                "overlay/kustomization.yaml",
                "resources:\n- web.yaml\nnamePrefix: prod-\ncommonLabels:\n  tier: web\n",
            ),
            ("overlay/web.yaml", &deployment("web", "0.5", json!({}))),
        ],
        "kustomize",
    );
    world
        .create_app(
            "shop",
            world.spec("overlay", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;

    // Then it syncs by itself and reaches Synced and Healthy with the kustomized Deployment
    let app = world
        .eventually("shop", "Synced and Healthy", synced_and_healthy)
        .await;
    assert_eq!(text(&app, "/status/sync/revision"), commit);
    let web = world
        .object("apps/v1", "Deployment", "prod-web")
        .await
        .expect("the kustomized Deployment exists");
    assert_eq!(text(&web, "/metadata/labels/tier"), "web");
    assert_eq!(
        app["status"]["operationState"]["operation"]["initiatedBy"]["automated"],
        json!(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_what_left_git_prune_last_goes_last_and_prune_false_stays() {
    // Given an automated, pruning app with four ConfigMaps, one marked PruneLast, one Prune=false
    let world = given_a_cluster_with_the_app_controller("prune-app", FAST).await;
    world.commit(
        &[
            ("cm/a.yaml", &config_map("a", json!({"v": "1"}), json!({}))),
            (
                "cm/b.yaml",
                &config_map(
                    "b",
                    json!({"v": "1"}),
                    json!({"argocd.argoproj.io/sync-options": "PruneLast=true"}),
                ),
            ),
            (
                "cm/keep.yaml",
                &config_map(
                    "keep",
                    json!({"v": "1"}),
                    json!({"argocd.argoproj.io/sync-options": "Prune=false"}),
                ),
            ),
            ("cm/stay.yaml", &config_map("stay", json!({"v": "1"}), json!({}))),
        ],
        "four",
    );
    world
        .create_app(
            "cms",
            world.spec("cm", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;
    world
        .eventually("cms", "Synced", |a| text(a, "/status/sync/status") == "Synced")
        .await;
    world.sim.clear_requests();

    // When a, b and keep leave Git and d arrives
    for name in ["a", "b", "keep"] {
        world.remove(&format!("cm/{name}.yaml"));
    }
    let second = world.commit(
        &[("cm/d.yaml", &config_map("d", json!({"v": "1"}), json!({})))],
        "prune",
    );

    // Then a and b are pruned, b after d was applied and after a; keep stays and requires pruning
    world
        .eventually_object("v1", "ConfigMap", "b", "pruned", |o| o.is_none())
        .await;
    let app = world
        .eventually("cms", "the sync to the second commit succeeded", |a| {
            text(a, "/status/operationState/syncResult/revision") == second
                && operation_phase(a) == "Succeeded"
        })
        .await;
    assert!(world.object("v1", "ConfigMap", "a").await.is_none());
    assert!(
        world.object("v1", "ConfigMap", "keep").await.is_some(),
        "Prune=false is never pruned"
    );
    let writes = world.writes_to("configmaps");
    let position = |method: &str, name: &str| {
        writes
            .iter()
            .position(|(m, n)| m == method && n == name)
            .unwrap_or_else(|| panic!("no {method} of {name} in {writes:?}"))
    };
    assert!(position("PATCH", "d") < position("DELETE", "b"), "{writes:?}");
    assert!(position("DELETE", "a") < position("DELETE", "b"), "{writes:?}");
    assert!(
        !writes.iter().any(|(m, n)| m == "DELETE" && n == "keep"),
        "{writes:?}"
    );
    let keep = app["status"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "keep")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(keep["requiresPruning"], json!(true), "{app:#}");
    assert_eq!(
        text(&app, "/status/sync/status"),
        "OutOfSync",
        "keep still requires pruning"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_heal_reverts_a_change_made_by_another_client() {
    // Given an automated app with selfHeal that has synced a ConfigMap another client changes
    let world = given_a_synced_config_map_that_another_client_changes(
        "heal-app",
        FAST,
        json!({"automated": {"selfHeal": true}}),
    )
    .await;

    // Then the controller puts Git's value back
    world
        .eventually_object("v1", "ConfigMap", "settings", "color back to blue", |o| {
            o.is_some_and(|o| text(o, "/data/color") == "blue")
        })
        .await;
    world
        .eventually("settings", "Synced again", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
}

/// Polling far longer than the tests below: what they see happen, a watch event caused.
const HOURLY: Duration = Duration::from_secs(3600);
/// How soon drift must be acted on: a few seconds, not the next poll.
const AT_ONCE: Duration = Duration::from_secs(5);

/// Given an app with `sync_policy`, polling every `poll`, that has synced a ConfigMap
/// `settings` (color blue); when another client patches the color to red.
async fn given_a_synced_config_map_that_another_client_changes(
    namespace: &str,
    poll: Duration,
    sync_policy: Value,
) -> World {
    let world = given_a_cluster_with_the_app_controller(namespace, poll).await;
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "blue"}), json!({})),
        )],
        "blue",
    );
    world
        .create_app("settings", world.spec("cm", sync_policy), &[])
        .await;
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced" && operation_phase(a) == "Succeeded"
        })
        .await;
    world
        .eventually_object("v1", "ConfigMap", "settings", "blue", |o| {
            o.is_some_and(|o| text(o, "/data/color") == "blue")
        })
        .await;
    // Past the self-heal timeout after the sync, so a revert need not wait for it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    world
        .dynamic("v1", "ConfigMap")
        .patch(
            "settings",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"data": {"color": "red"}})),
        )
        .await
        .expect("another client patches the ConfigMap");
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_wakes_a_self_healing_app_at_once_which_reverts_it() {
    // Given a self-healing app polling hourly, whose ConfigMap another client changes
    let world = given_a_synced_config_map_that_another_client_changes(
        "drift-heal-app",
        HOURLY,
        json!({"automated": {"selfHeal": true}}),
    )
    .await;

    // Then Git's value is back within a few seconds, not at the next poll
    world
        .eventually_object_within("v1", "ConfigMap", "settings", "back to blue", AT_ONCE, |o| {
            o.is_some_and(|o| text(o, "/data/color") == "blue")
        })
        .await;
    world
        .eventually("settings", "Synced again", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_makes_an_app_without_self_heal_out_of_sync_at_once() {
    // Given an automated app without selfHeal polling hourly, whose ConfigMap another client changes
    let world =
        given_a_synced_config_map_that_another_client_changes("drift-app", HOURLY, json!({"automated": {}}))
            .await;

    // Then the app is OutOfSync within a few seconds, and the change stays
    world
        .eventually_within("settings", "OutOfSync", AT_ONCE, |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;
    let cm = world
        .object("v1", "ConfigMap", "settings")
        .await
        .expect("ConfigMap");
    assert_eq!(
        text(&cm, "/data/color"),
        "red",
        "without selfHeal the drift stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_is_picked_up_by_the_refresh_annotation_which_is_removed() {
    // Given an automated app and a polling interval far longer than the test
    let world = given_a_cluster_with_the_app_controller("refresh-app", Duration::from_secs(600)).await;
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "blue"}), json!({})),
        )],
        "blue",
    );
    world
        .create_app("settings", world.spec("cm", json!({"automated": {}})), &[])
        .await;
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;

    // When a new commit lands and the app is annotated for a refresh
    let second = world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "green"}), json!({})),
        )],
        "green",
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = world.app("settings").await;
    assert_ne!(
        text(&before, "/status/sync/revision"),
        second,
        "not seen before the refresh"
    );
    world
        .patch_app(
            "settings",
            json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}}),
        )
        .await;

    // Then the new commit is synced and the annotation removed
    let app = world
        .eventually("settings", "synced to the new commit", |a| {
            text(a, "/status/sync/revision") == second && text(a, "/status/sync/status") == "Synced"
        })
        .await;
    assert!(
        app.pointer("/metadata/annotations/argocd.argoproj.io~1refresh")
            .is_none(),
        "{:#}",
        app["metadata"]
    );
    let cm = world
        .object("v1", "ConfigMap", "settings")
        .await
        .expect("ConfigMap");
    assert_eq!(text(&cm, "/data/color"), "green");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_render_without_allow_empty_prunes_nothing() {
    // Given an automated, pruning app that has synced a ConfigMap
    let world = given_a_cluster_with_the_app_controller("empty-app", FAST).await;
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "blue"}), json!({})),
        )],
        "blue",
    );
    world
        .create_app(
            "settings",
            world.spec("cm", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;

    // When every manifest leaves Git
    world.remove("cm/settings.yaml");
    world.commit(&[("cm/README.txt", "nothing to deploy")], "empty");

    // Then auto-sync refuses with a SyncError, and the ConfigMap stays
    let app = world
        .eventually("settings", "a SyncError condition", |a| {
            a["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "SyncError"))
        })
        .await;
    assert!(
        app.to_string().contains("auto-sync will wipe out all resources"),
        "{:#}",
        app["status"]
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(world.object("v1", "ConfigMap", "settings").await.is_some());
    assert!(!world.writes_to("configmaps").iter().any(|(m, _)| m == "DELETE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_yaml_is_a_comparison_error_naming_the_file_and_nothing_is_applied() {
    // Given a repository with one good manifest and one that is not YAML, and an automated app
    let world = given_a_cluster_with_the_app_controller("bad-yaml", FAST).await;
    world.commit(
        &[
            ("cm/good.yaml", &config_map("good", json!({"v": "1"}), json!({}))),
            (
                "cm/broken.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n",
            ),
        ],
        "broken",
    );
    world
        .create_app(
            "broken",
            world.spec("cm", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;

    // Then a ComparisonError names the file, the sync status is Unknown, and nothing is applied
    let app = world
        .eventually("broken", "a ComparisonError", |a| {
            a["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "ComparisonError"))
        })
        .await;
    let message = app["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("broken.yaml"), "{message}");
    assert_eq!(text(&app, "/status/sync/status"), "Unknown");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        world.writes_to("configmaps").is_empty(),
        "{:?}",
        world.writes_to("configmaps")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_app_with_the_resources_finalizer_deletes_what_it_tracks() {
    // Given a synced app with the resources finalizer, and an object marked Delete=false
    let world = given_a_cluster_with_the_app_controller("cascade-app", FAST).await;
    world.commit(
        &[
            ("cm/a.yaml", &config_map("a", json!({"v": "1"}), json!({}))),
            (
                "cm/kept.yaml",
                &config_map(
                    "kept",
                    json!({"v": "1"}),
                    json!({"argocd.argoproj.io/sync-options": "Delete=false"}),
                ),
            ),
        ],
        "two",
    );
    world
        .create_app(
            "cms",
            world.spec("cm", json!({"automated": {}})),
            &["resources-finalizer.argocd.argoproj.io"],
        )
        .await;
    world
        .eventually("cms", "Synced", |a| text(a, "/status/sync/status") == "Synced")
        .await;

    // When the Application is deleted
    world
        .apps()
        .delete("cms", &kube::api::DeleteParams::default())
        .await
        .expect("delete the Application");

    // Then what it tracks is deleted (except Delete=false), then the Application goes
    world
        .eventually_object("v1", "ConfigMap", "a", "deleted", |o| o.is_none())
        .await;
    world
        .eventually("cms", "gone", |a| {
            a.get("error")
                .is_some_and(|e| e.to_string().contains("404") || e.to_string().contains("not found"))
        })
        .await;
    assert!(
        world.object("v1", "ConfigMap", "kept").await.is_some(),
        "Delete=false stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_the_project_forbids_is_a_condition_and_nothing_is_applied() {
    // Given an AppProject that denies ConfigMaps, and an automated app of that project whose
    // repository holds a ConfigMap beside a Deployment
    let world = given_a_cluster_with_the_app_controller("project-app", FAST).await;
    install_crd(&world.client, linnet_crds::Kind::AppProject.crd()).await;
    let project: linnet_crds::application::AppProject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "restricted", "namespace": "project-app"},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "namespaceResourceBlacklist": [{"group": "", "kind": "ConfigMap"}],
        },
    }))
    .expect("an AppProject");
    kube::Api::<linnet_crds::application::AppProject>::namespaced(world.client.clone(), "project-app")
        .create(&kube::api::PostParams::default(), &project)
        .await
        .expect("create the AppProject");
    world.commit(
        &[
            ("app/web.yaml", &deployment("web", "0.5", json!({}))),
            (
                "app/settings.yaml",
                &config_map("settings", json!({"v": "1"}), json!({})),
            ),
        ],
        "forbidden",
    );
    let mut spec = world.spec("app", json!({"automated": {"prune": true}}));
    spec["project"] = json!("restricted");
    world.create_app("web", spec, &[]).await;

    // Then a ComparisonError names the ConfigMap and the project, and nothing is applied
    let app = world
        .eventually("web", "a ComparisonError", |a| {
            a["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "ComparisonError"))
        })
        .await;
    let message = app["status"]["conditions"].to_string();
    assert!(
        message.contains("ConfigMap") && message.contains("restricted"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(world.object("apps/v1", "Deployment", "web").await.is_none());
    assert!(world.writes_to("configmaps").is_empty() && world.writes_to("deployments").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_namespace_makes_the_destination_namespace_first() {
    // Given an automated app with CreateNamespace=true whose destination namespace does not exist
    let world = given_a_cluster_with_the_app_controller("createns-app", FAST).await;
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"v": "1"}), json!({})),
        )],
        "one",
    );
    let mut spec = world.spec(
        "cm",
        json!({"automated": {}, "syncOptions": ["CreateNamespace=true"]}),
    );
    spec["destination"]["namespace"] = json!("brand-new");
    world.create_app("settings", spec, &[]).await;

    // Then the namespace is created and the ConfigMap applied into it
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
    let namespaces = world.sim.requests();
    let created = namespaces
        .iter()
        .position(|r| r.path.ends_with("/namespaces/brand-new") && r.method == "PATCH")
        .expect("the namespace was applied");
    let applied = namespaces
        .iter()
        .position(|r| r.path.ends_with("/namespaces/brand-new/configmaps/settings") && r.method == "PATCH")
        .expect("the ConfigMap was applied");
    assert!(created < applied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_is_picked_up_by_polling_and_a_no_op_resync_writes_nothing() {
    // Given an automated app polled every second, synced to a first commit
    let world = given_a_cluster_with_the_app_controller("poll-app", FAST).await;
    world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "blue"}), json!({})),
        )],
        "blue",
    );
    world
        .create_app("settings", world.spec("cm", json!({"automated": {}})), &[])
        .await;
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;

    // When several polls pass with nothing new in Git, nothing is written to the cluster
    world.sim.clear_requests();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let object_writes: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("/applications/") && !r.path.contains("/events"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        object_writes.is_empty(),
        "a no-op resync writes nothing: {object_writes:?}"
    );
    // Every pass reads the Application afresh (live objects come from a shared watch)
    let polls = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/applications/settings"))
        .count();
    assert!(polls >= 2, "the app was polled: {polls} reads of the Application");
    let lists: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/configmaps") && !r.query.contains("watch=true"))
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect();
    assert!(
        lists.is_empty(),
        "passes read the shared watch, not lists: {lists:?}"
    );

    // When a new commit lands, the next poll picks it up without any refresh request
    let second = world.commit(
        &[(
            "cm/settings.yaml",
            &config_map("settings", json!({"color": "green"}), json!({})),
        )],
        "green",
    );
    world
        .eventually("settings", "synced to the new commit", |a| {
            text(a, "/status/operationState/syncResult/revision") == second
                && operation_phase(a) == "Succeeded"
        })
        .await;
    let cm = world
        .object("v1", "ConfigMap", "settings")
        .await
        .expect("ConfigMap");
    assert_eq!(text(&cm, "/data/color"), "green");
}

#[test]
fn many_applications_asking_at_once_share_one_fetch() {
    // Given a repository served over smart HTTP, and eight refreshes asking for `main` at once
    let repo = support::GitRepo::new();
    repo.write("cm/a.yaml", config_map("a", json!({}), json!({})));
    let commit = repo.commit("one");
    let server = support::GitHttpServer::serve(&repo.parent(), support::ServerAuth::None);
    let url = server.url(&repo.name());
    let cache = support::TestCache::new();
    let resolutions = linnet_controller::application::resolved::Resolutions::default();
    let asked = std::time::Instant::now();
    let creds = linnet_controller::source::RepoCredentials::default();

    // When they resolve it together
    let answers: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| resolutions.resolve(&cache.cache, &url, "main", &creds, asked)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("a resolving thread")
                    .expect("resolves")
                    .to_string()
            })
            .collect()
    });

    // Then all get the commit, from as many requests as one fetch into a fresh cache makes
    assert!(answers.iter().all(|a| *a == commit), "{answers:?}");
    let shared = server.requests();
    let single = {
        let fresh = support::TestCache::new();
        fresh.cache.resolve(&url, "main", &creds).expect("resolves");
        server.requests() - shared
    };
    assert_eq!(shared, single, "eight questions, one fetch");

    // And a question asked after that fetch began fetches again, and sees a new commit
    let later = std::time::Instant::now();
    let second = repo.commit("two");
    let again = resolutions
        .resolve(&cache.cache, &url, "main", &creds, later)
        .expect("resolves");
    assert_eq!(again.to_string(), second);
}
