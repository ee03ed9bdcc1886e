//! App of apps end to end: an Application whose manifests are Applications. The parent syncs
//! its children into the control-plane namespace, each child syncs its own directory, and the
//! parent's health follows its children's.

mod application_world;
mod support;

use std::time::Duration;

use application_world::*;
use serde_json::{Value, json};

const FAST: Duration = Duration::from_secs(1);

/// A child Application manifest for the directory `path` of the same repository.
fn child(world: &World, name: &str, path: &str) -> String {
    yaml(&json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": world.namespace},
        "spec": world.spec(path, json!({"automated": {"prune": true}})),
    }))
}

fn health(app: &Value) -> &str {
    text(app, "/status/health/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_of_apps_syncs_its_children_and_follows_their_health() {
    // Given a repository with two child Applications under apps/, a Deployment that becomes
    // ready after 3 s for one child and a ConfigMap for the other
    let world = given_a_cluster_with_the_app_controller("app-of-apps", FAST).await;
    let frontend = child(&world, "frontend", "frontend");
    let settings = child(&world, "settings", "settings");
    world.commit(
        &[
            ("apps/frontend.yaml", &frontend),
            ("apps/settings.yaml", &settings),
            ("frontend/web.yaml", &deployment("web", "3", json!({}))),
            (
                "settings/config.yaml",
                &config_map("settings", json!({"mode": "live"}), json!({})),
            ),
        ],
        "app of apps",
    );

    // When a parent Application points at apps/ with automated sync
    world
        .create_app(
            "parent",
            world.spec("apps", json!({"automated": {"prune": true}})),
            &[],
        )
        .await;

    // Then the children exist, tracked by the parent, and each syncs its own directory
    for name in ["frontend", "settings"] {
        let app = world
            .eventually(name, "Synced and Healthy", synced_and_healthy)
            .await;
        let tracking = text(&app, "/metadata/annotations/argocd.argoproj.io~1tracking-id");
        assert!(
            tracking.starts_with("parent:argoproj.io/Application:"),
            "{name} is not tracked by the parent: {tracking:?}"
        );
    }
    let web = world
        .object("apps/v1", "Deployment", "web")
        .await
        .expect("the frontend's Deployment exists");
    assert_eq!(text(&web, "/metadata/name"), "web");
    let config = world
        .object("v1", "ConfigMap", "settings")
        .await
        .expect("the settings ConfigMap exists");
    assert_eq!(text(&config, "/data/mode"), "live");

    // And the parent is Synced and Healthy once its children are
    let parent = world
        .eventually("parent", "Synced and Healthy", synced_and_healthy)
        .await;
    let resources = parent["status"]["resources"]
        .as_array()
        .expect("the parent lists its resources");
    let kinds: Vec<&str> = resources.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds, ["Application", "Application"], "{resources:?}");

    // When a child's Deployment is changed to pods that take an hour to become ready
    world.commit(
        &[("frontend/web.yaml", &deployment("web", "3600", json!({})))],
        "a slow frontend",
    );

    // Then the child leaves Healthy, and the parent's health follows it
    world
        .eventually("frontend", "not Healthy", |app| {
            !health(app).is_empty() && health(app) != "Healthy"
        })
        .await;
    world
        .eventually("parent", "not Healthy", |app| {
            !health(app).is_empty() && health(app) != "Healthy"
        })
        .await;
}
