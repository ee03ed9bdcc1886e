//! The renderer's cache: a second render of one commit, path and options is a hit; a change
//! of options or commit is a miss; a plain directory is never cached.

mod support;

use std::sync::Arc;

use linnet_controller::render::{RenderConfig, RenderContext, Renderer};
use linnet_controller::source::{RepoCredentials, Worktree};
use linnet_crds::application::ApplicationSource;
use serde_json::json;
use support::{checkout_of, kubectl};

fn source(mut spec: serde_json::Value) -> ApplicationSource {
    spec["repoURL"] = "/unused".into();
    serde_json::from_value(spec).expect("valid source")
}

fn ctx() -> RenderContext {
    RenderContext {
        app_name: "web".into(),
        namespace: "prod".into(),
        ..Default::default()
    }
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";

#[test]
fn a_second_render_of_the_same_commit_is_a_cache_hit() {
    let c = checkout_of(&[
        ("app/a.yaml", CM),
        (
            "app/sub/b.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n",
        ),
    ]);
    let renderer = Renderer::new(RenderConfig {
        kubectl: kubectl(),
        ..RenderConfig::default()
    });
    let plain = source(json!({"path": "app"}));

    let first = renderer.render(&c.tree, &plain, &ctx()).unwrap();
    let second = renderer.render(&c.tree, &plain, &ctx()).unwrap();
    assert!(
        Arc::ptr_eq(&first, &second),
        "the same rendered manifests are handed out again"
    );
    let stats = renderer.cache_stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));

    let recursive = source(json!({"path": "app", "directory": {"recurse": true}}));
    assert_eq!(renderer.render(&c.tree, &recursive, &ctx()).unwrap().len(), 2);
    let other_app = RenderContext {
        app_name: "other".into(),
        ..ctx()
    };
    renderer.render(&c.tree, &plain, &other_app).unwrap();
    let stats = renderer.cache_stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 3, 3));

    // A new commit is another key.
    c.repo.write(
        "app/c.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    let newer = c.repo.commit("more");
    let url = c.repo.path().display().to_string();
    let commit = c
        .cache
        .cache
        .resolve(&url, "main", &RepoCredentials::default())
        .unwrap();
    assert_eq!(commit.to_string(), newer);
    let tree = c
        .cache
        .cache
        .checkout(&url, &commit, &RepoCredentials::default())
        .unwrap();
    assert_eq!(renderer.render(&tree, &plain, &ctx()).unwrap().len(), 2);
    assert_eq!(renderer.cache_stats().misses, 4);
}

#[test]
fn a_plain_directory_is_rendered_afresh() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), CM).unwrap();
    let tree = Worktree::from_directory(dir.path()).unwrap();
    let renderer = Renderer::new(RenderConfig::default());
    let plain = source(json!({}));
    assert_eq!(renderer.render(&tree, &plain, &ctx()).unwrap().len(), 1);
    std::fs::write(
        dir.path().join("b.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
    )
    .unwrap();
    assert_eq!(renderer.render(&tree, &plain, &ctx()).unwrap().len(), 2);
    assert_eq!(renderer.cache_stats().entries, 0);
}
