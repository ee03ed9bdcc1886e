//! The Application controller end to end with the label and annotation+label tracking methods,
//! and a hard refresh that renders afresh what a normal refresh takes from the render cache.

mod application_world;
mod support;

use std::path::Path;
use std::time::Duration;

use application_world::*;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use linnet_controller::sync::tracking::TrackingMethod;
use linnet_crds::Kind;
use linnet_crds::application::AppProject;
use serde_json::{Value, json};

const FAST: Duration = Duration::from_secs(1);
const INSTANCE: &str = "/metadata/labels/app.kubernetes.io~1instance";
const TRACKING_ID: &str = "/metadata/annotations/argocd.argoproj.io~1tracking-id";

/// Creates a ConfigMap that no Application applied, with the given labels and annotations.
async fn given_a_config_map(world: &World, name: &str, labels: Value, annotations: Value) {
    let object = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "data": {"v": "1"},
    });
    let object = serde_json::from_value(object).unwrap_or_else(|e| panic!("bad ConfigMap: {e}"));
    world
        .dynamic("v1", "ConfigMap")
        .create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("cannot create ConfigMap {name}: {e}"));
}

/// The control-plane namespace with a `default` AppProject that lets Applications of the test
/// namespace deploy anything into it.
async fn given_a_default_project_admitting(world: &World, control_plane: &str) {
    install_crd(&world.client, Kind::AppProject.crd()).await;
    let namespace = serde_json::from_value(json!({"metadata": {"name": control_plane}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    Api::<Namespace>::all(world.client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {control_plane}: {e}"));
    let project: AppProject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": control_plane},
        "spec": {
            "sourceRepos": ["*"],
            "sourceNamespaces": [world.namespace],
            "destinations": [{"server": "*", "namespace": "*"}],
        },
    }))
    .unwrap_or_else(|e| panic!("bad AppProject: {e}"));
    Api::<AppProject>::namespaced(world.client.clone(), control_plane)
        .create(&PostParams::default(), &project)
        .await
        .unwrap_or_else(|e| panic!("cannot create the default AppProject: {e}"));
}

fn resource_names(app: &Value) -> Vec<String> {
    app["status"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_label_method_labels_what_it_applies_and_prunes_only_what_is_labelled_for_it() {
    // Given the controller tracking by label, a repository with a Deployment and two ConfigMaps,
    // and two ConfigMaps it did not apply: one labelled for another app, one carrying this app's
    // tracking annotation but not its label
    let world = given_a_cluster_with_the_app_controller_configured("label-app", FAST, |options| {
        options.tracking_method = TrackingMethod::Label;
    })
    .await;
    world.commit(
        &[
            ("app/web.yaml", &deployment("web", "0.3", json!({}))),
            ("app/a.yaml", &config_map("a", json!({"v": "1"}), json!({}))),
            ("app/b.yaml", &config_map("b", json!({"v": "1"}), json!({}))),
        ],
        "three",
    );
    given_a_config_map(
        &world,
        "foreign",
        json!({"app.kubernetes.io/instance": "other"}),
        json!({}),
    )
    .await;
    given_a_config_map(
        &world,
        "annotated",
        json!({}),
        json!({"argocd.argoproj.io/tracking-id": "shop:/ConfigMap:label-app/annotated"}),
    )
    .await;

    // When an automated, pruning Application syncs it
    world
        .create_app(
            "shop",
            world.spec("app", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;

    // Then it reaches Synced and Healthy, its objects labelled with its name and not annotated
    let app = world
        .eventually("shop", "Synced and Healthy", synced_and_healthy)
        .await;
    let mut names = resource_names(&app);
    names.sort();
    assert_eq!(names, ["a", "b", "web"], "{app:#}");
    for (api_version, kind, name) in [
        ("apps/v1", "Deployment", "web"),
        ("v1", "ConfigMap", "a"),
        ("v1", "ConfigMap", "b"),
    ] {
        let object = world
            .object(api_version, kind, name)
            .await
            .unwrap_or_else(|| panic!("{kind} {name} exists"));
        assert_eq!(text(&object, INSTANCE), "shop", "{object:#}");
        assert_eq!(text(&object, TRACKING_ID), "", "{object:#}");
    }

    // When b leaves Git
    world.sim.clear_requests();
    world.remove("app/b.yaml");
    let second = world.commit(&[], "b goes");

    // Then b is pruned, and neither object it does not own by label is touched
    world
        .eventually_object("v1", "ConfigMap", "b", "pruned", |o| o.is_none())
        .await;
    let app = world
        .eventually("shop", "synced to the second commit", |a| {
            text(a, "/status/operationState/syncResult/revision") == second
                && operation_phase(a) == "Succeeded"
                && synced_and_healthy(a)
        })
        .await;
    let mut names = resource_names(&app);
    names.sort();
    assert_eq!(names, ["a", "web"], "{app:#}");
    for name in ["foreign", "annotated", "a"] {
        assert!(
            world.object("v1", "ConfigMap", name).await.is_some(),
            "ConfigMap {name} survives"
        );
    }
    let deletes: Vec<_> = world
        .writes_to("configmaps")
        .into_iter()
        .filter(|(method, _)| method == "DELETE")
        .collect();
    assert_eq!(deletes, [("DELETE".to_string(), "b".to_string())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotation_and_label_writes_both_and_names_apps_outside_the_control_plane_with_their_namespace() {
    // Given the controller tracking by annotation+label, with its control plane in another
    // namespace than the Application's
    let world = given_a_cluster_with_the_app_controller_configured("both-app", FAST, |options| {
        options.tracking_method = TrackingMethod::AnnotationAndLabel;
        options.control_plane_namespace = "argocd".into();
    })
    .await;
    given_a_default_project_admitting(&world, "argocd").await;
    world.commit(
        &[("cm/a.yaml", &config_map("a", json!({"v": "1"}), json!({})))],
        "one",
    );
    // And an object carrying the instance label of the app but no annotation
    given_a_config_map(
        &world,
        "labelled",
        json!({"app.kubernetes.io/instance": "both-app_web"}),
        json!({}),
    )
    .await;

    // When an automated, pruning Application syncs
    world
        .create_app(
            "web",
            world.spec("cm", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;

    // Then the object carries both marks, named `<namespace>_<name>`
    let app = world
        .eventually("web", "Synced", |a| text(a, "/status/sync/status") == "Synced")
        .await;
    let a = world.object("v1", "ConfigMap", "a").await.expect("ConfigMap a");
    assert_eq!(
        text(&a, TRACKING_ID),
        "both-app_web:/ConfigMap:both-app/a",
        "{a:#}"
    );
    assert_eq!(text(&a, INSTANCE), "both-app_web", "{a:#}");
    // And the label alone does not make an object the app's: it is neither listed nor pruned
    assert_eq!(resource_names(&app), ["a"], "{app:#}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(world.object("v1", "ConfigMap", "labelled").await.is_some());
}

/// A kubectl that passes everything to the real one and replaces `EXTERNAL_COLOR` in its output
/// with the contents of `color_file`: a kustomize build reading something the commit does not
/// pin, as a remote base does.
fn kubectl_reading(dir: &Path, color_file: &Path) -> std::path::PathBuf {
    let script = dir.join("kubectl");
    let body = format!(
        "#!/bin/bash\nset -o pipefail\n{:?} \"$@\" | sed \"s/EXTERNAL_COLOR/$(cat {:?})/g\"\n",
        support::kubectl(),
        color_file
    );
    std::fs::write(&script, body).unwrap_or_else(|e| panic!("cannot write the kubectl wrapper: {e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot make the wrapper executable: {e}"));
    script
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_refresh_renders_afresh_what_a_normal_refresh_takes_from_the_cache() {
    // Given a kustomization whose build reads a color from outside the repository, and an
    // automated app that polls rarely
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
    let color = outside.path().join("color");
    std::fs::write(&color, "blue").unwrap_or_else(|e| panic!("cannot write the color: {e}"));
    let kubectl = kubectl_reading(outside.path(), &color);
    let world = given_a_cluster_with_the_app_controller_configured(
        "hard-refresh",
        Duration::from_secs(600),
        |options| options.kubectl = kubectl,
    )
    .await;
    world.commit(
        &[
            ("k/kustomization.yaml", "resources:\n- settings.yaml\n"),
            (
                "k/settings.yaml",
                &config_map("settings", json!({"color": "EXTERNAL_COLOR"}), json!({})),
            ),
        ],
        "kustomize",
    );
    world
        .create_app("settings", world.spec("k", json!({"automated": {}})), &[])
        .await;
    world
        .eventually("settings", "Synced", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
    let color_of = |cm: Option<Value>| cm.map(|c| text(&c, "/data/color").to_string());
    assert_eq!(
        color_of(world.object("v1", "ConfigMap", "settings").await).as_deref(),
        Some("blue")
    );

    // When the color changes outside Git and a normal refresh is asked for
    std::fs::write(&color, "green").unwrap_or_else(|e| panic!("cannot write the color: {e}"));
    let refresh = |value: &str| json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": value}}});
    world.patch_app("settings", refresh("normal")).await;

    // Then the refresh is done (the annotation removed) from the cached render: still blue, Synced
    world
        .eventually("settings", "the normal refresh is done", |a| {
            a.pointer("/metadata/annotations/argocd.argoproj.io~1refresh")
                .is_none()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let app = world.app("settings").await;
    assert_eq!(text(&app, "/status/sync/status"), "Synced", "{:#}", app["status"]);
    assert_eq!(
        color_of(world.object("v1", "ConfigMap", "settings").await).as_deref(),
        Some("blue"),
        "a normal refresh reuses the render of the same commit"
    );

    // When a hard refresh is asked for
    world.patch_app("settings", refresh("hard")).await;

    // Then the kustomization is built again: the app is OutOfSync at the same commit (automated
    // sync, as in Argo CD, does not sync one revision twice) and the annotation is removed
    let app = world
        .eventually("settings", "OutOfSync after the hard refresh", |a| {
            a.pointer("/metadata/annotations/argocd.argoproj.io~1refresh")
                .is_none()
                && text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;
    assert_eq!(app["status"]["resources"][0]["name"], "settings", "{app:#}");
    assert_eq!(app["status"]["resources"][0]["status"], "OutOfSync", "{app:#}");

    // And a sync applies what the fresh render holds
    world.sync("settings", false).await;
    world
        .eventually_object("v1", "ConfigMap", "settings", "green", |cm| {
            cm.is_some_and(|c| text(c, "/data/color") == "green")
        })
        .await;
    world
        .eventually("settings", "Synced again", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_relabelled_for_another_app_is_out_of_sync_until_a_sync_takes_it_back() {
    // Given the label method and a synced Application of one ConfigMap, without automation
    let world = given_a_cluster_with_the_app_controller_configured("relabel-app", FAST, |options| {
        options.tracking_method = TrackingMethod::Label;
    })
    .await;
    world.commit(
        &[("cm/a.yaml", &config_map("a", json!({"v": "1"}), json!({})))],
        "one",
    );
    world.create_app("shop", world.spec("cm", json!({})), &[]).await;
    world.sync("shop", false).await;
    world
        .eventually("shop", "Synced", |a| text(a, "/status/sync/status") == "Synced")
        .await;

    // When another client relabels the ConfigMap for another app
    let relabel = json!({"metadata": {"labels": {"app.kubernetes.io/instance": "other"}}});
    world
        .dynamic("v1", "ConfigMap")
        .patch(
            "a",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(relabel),
        )
        .await
        .unwrap_or_else(|e| panic!("cannot relabel ConfigMap a: {e}"));

    // Then the app no longer counts it as its own and is OutOfSync
    world
        .eventually("shop", "OutOfSync", |a| {
            text(a, "/status/sync/status") == "OutOfSync"
        })
        .await;

    // And a sync takes it back with this app's label
    world.sync("shop", false).await;
    world
        .eventually_object("v1", "ConfigMap", "a", "labelled for shop again", |cm| {
            cm.is_some_and(|c| text(c, INSTANCE) == "shop")
        })
        .await;
    world
        .eventually("shop", "Synced again", |a| {
            text(a, "/status/sync/status") == "Synced"
        })
        .await;
}
