//! Plain directory sources: recursion, include/exclude globs, multi-document YAML, JSON and
//! Lists, and the errors for bad YAML, alias bombs, duplicates, size limits and links.

mod support;

use std::time::{Duration, Instant};

use linnet_controller::render::{Limits, Manifest, RenderConfig, RenderContext, RenderError, render};
use linnet_controller::source::SourceError;
use linnet_crds::application::ApplicationSource;
use support::{Checkout, GitRepo, checkout_of, checkout_repo};

fn source(spec: serde_json::Value) -> ApplicationSource {
    let mut spec = spec;
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

fn render_with(c: &Checkout, spec: serde_json::Value, limits: Limits) -> Result<Vec<Manifest>, RenderError> {
    let config = RenderConfig {
        limits,
        ..RenderConfig::default()
    };
    render(&c.tree, &source(spec), &ctx(), &config)
}

fn names(manifests: &[Manifest]) -> Vec<String> {
    manifests
        .iter()
        .map(|m| m.object["metadata"]["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
}

fn tree() -> Checkout {
    checkout_of(&[
        ("app/a.yaml", &cm("a")),
        ("app/b.yml", &cm("b")),
        ("app/README.md", "not a manifest"),
        ("app/sub/c.yaml", &cm("c")),
        ("app/sub/deeper/d.yaml", &cm("d")),
        ("app/other/e.yaml", &cm("e")),
    ])
}

#[test]
fn reads_the_top_level_unless_recursing() {
    let c = tree();
    let top = render_with(&c, serde_json::json!({"path": "app"}), Limits::default()).unwrap();
    assert_eq!(names(&top), ["a", "b"]);
    assert_eq!(top[0].file, "app/a.yaml");
    let all = render_with(
        &c,
        serde_json::json!({"path": "app", "directory": {"recurse": true}}),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(names(&all), ["a", "b", "e", "c", "d"]);
    assert_eq!(all[4].file, "app/sub/deeper/d.yaml");
}

#[test]
fn include_and_exclude_globs_with_braces_and_exclude_wins() {
    let c = tree();
    let spec =
        serde_json::json!({"path": "app", "directory": {"recurse": true, "include": "{a.yaml,sub/*}"}});
    // `*` crosses `/` as in Argo CD, so sub/* takes sub/deeper/d.yaml too.
    assert_eq!(
        names(&render_with(&c, spec, Limits::default()).unwrap()),
        ["a", "c", "d"]
    );
    let spec = serde_json::json!({"path": "app", "directory": {"recurse": true, "include": "*.yaml", "exclude": "{sub/deeper/*,other/*}"}});
    assert_eq!(
        names(&render_with(&c, spec, Limits::default()).unwrap()),
        ["a", "c"]
    );
    let spec = serde_json::json!({"path": "app", "directory": {"include": "a.yaml", "exclude": "a.yaml"}});
    assert!(
        render_with(&c, spec, Limits::default()).unwrap().is_empty(),
        "exclude wins over include"
    );
    let spec = serde_json::json!({"path": "app", "directory": {"include": "{a,"}});
    let err = render_with(&c, spec, Limits::default()).unwrap_err();
    assert!(
        matches!(err, RenderError::InvalidGlob { field: "include", .. }),
        "{err:?}"
    );
}

#[test]
fn multi_document_yaml_json_and_lists() {
    let multi = format!("---\n{}---\n\n---\n# nothing here\n---\n{}", cm("one"), cm("two"));
    let list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s1}}\n- {apiVersion: v1, kind: Secret, metadata: {name: s2}}\n";
    let json = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}"#;
    let c = checkout_of(&[
        ("m/1-multi.yaml", &multi),
        ("m/2-list.yaml", list),
        ("m/3-deploy.json", json),
        ("m/4-package.json", r#"{"name": "not-a-manifest"}"#),
    ]);
    let manifests = render_with(&c, serde_json::json!({"path": "m"}), Limits::default()).unwrap();
    assert_eq!(names(&manifests), ["one", "two", "s1", "s2", "web"]);
    assert_eq!(manifests[3].file, "m/2-list.yaml");
    assert_eq!(manifests[4].object["kind"], "Deployment");
}

#[test]
fn invalid_yaml_names_the_file() {
    let c = checkout_of(&[
        ("app/good.yaml", &cm("good")),
        ("app/bad.yaml", "kind: [unclosed\n"),
    ]);
    let err = render_with(&c, serde_json::json!({"path": "app"}), Limits::default()).unwrap_err();
    match &err {
        RenderError::InvalidYaml { file, at, .. } => {
            assert_eq!(file, "app/bad.yaml");
            assert_eq!(&*at.revision, c.commit.as_str());
        }
        other => panic!("expected InvalidYaml, got {other:?}"),
    }
    assert!(err.to_string().contains("app/bad.yaml"), "{err}");
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..10 {
        let prev = format!("*a{}", level - 1);
        bomb.push_str(&format!("a{level}: &a{level} [{}]\n", vec![prev; 9].join(",")));
    }
    bomb.push_str("data: {x: *a9}\n");
    let c = checkout_of(&[("app/bomb.yaml", &bomb)]);
    let started = Instant::now();
    let err = render_with(&c, serde_json::json!({"path": "app"}), Limits::default()).unwrap_err();
    assert!(
        matches!(&err, RenderError::InvalidYaml { file, .. } if file == "app/bomb.yaml"),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn two_objects_with_one_identity_name_both_files() {
    let c = checkout_of(&[
        ("app/x.yaml", &cm("same")),
        ("app/y.yaml", &cm("same")),
        ("app/z.yaml", &cm("other")),
    ]);
    let err = render_with(&c, serde_json::json!({"path": "app"}), Limits::default()).unwrap_err();
    match &err {
        RenderError::DuplicateObject {
            first,
            second,
            object,
            ..
        } => {
            assert_eq!((first.as_str(), second.as_str()), ("app/x.yaml", "app/y.yaml"));
            assert_eq!(object, "ConfigMap same");
        }
        other => panic!("expected DuplicateObject, got {other:?}"),
    }
}

#[test]
fn size_limits_per_file_and_per_render() {
    let padded = |name: &str| format!("{}data:\n  pad: \"{}\"\n", cm(name), "x".repeat(600));
    let c = checkout_of(&[("app/a.yaml", &padded("a")), ("app/b.yaml", &padded("b"))]);
    let per_file = Limits {
        max_file_bytes: 500,
        max_render_bytes: 10_000,
    };
    let err = render_with(&c, serde_json::json!({"path": "app"}), per_file).unwrap_err();
    assert!(
        matches!(&err, RenderError::Source(SourceError::FileTooLarge { path, .. }) if path == "app/a.yaml"),
        "{err:?}"
    );
    let per_render = Limits {
        max_file_bytes: 1000,
        max_render_bytes: 1000,
    };
    let err = render_with(&c, serde_json::json!({"path": "app"}), per_render).unwrap_err();
    assert!(
        matches!(err, RenderError::OutputTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert_eq!(
        render_with(&c, serde_json::json!({"path": "app"}), Limits::default())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_manifest_linked_from_outside_is_refused() {
    let repo = GitRepo::new();
    repo.write("app/a.yaml", cm("a"))
        .symlink("app/hosts.yaml", "/etc/hosts");
    repo.commit("link out");
    let c = checkout_repo(repo);
    let err = render_with(&c, serde_json::json!({"path": "app"}), Limits::default()).unwrap_err();
    assert!(
        matches!(&err, RenderError::Source(SourceError::PathEscapes { path, .. }) if path == "app/hosts.yaml"),
        "{err:?}"
    );
    let err = render_with(&c, serde_json::json!({"path": "../elsewhere"}), Limits::default()).unwrap_err();
    assert!(
        matches!(err, RenderError::Source(SourceError::PathEscapes { .. })),
        "{err:?}"
    );
}

#[test]
fn what_is_not_implemented_says_so() {
    let c = checkout_of(&[("app/a.yaml", &cm("a")), ("jsonnet/main.jsonnet", "{}")]);
    let err = render_with(&c, serde_json::json!({"path": "jsonnet"}), Limits::default()).unwrap_err();
    assert!(
        matches!(&err, RenderError::Unsupported { path, .. } if path == "jsonnet/main.jsonnet"),
        "{err:?}"
    );
    let err = render_with(
        &c,
        serde_json::json!({"path": "app", "plugin": {"name": "cmp"}}),
        Limits::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("plugin"), "{err}");
    let err = render_with(
        &c,
        serde_json::json!({"path": "app", "directory": {}, "helm": {}}),
        Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::SeveralTools { .. }), "{err:?}");
}
