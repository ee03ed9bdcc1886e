//! Kustomize sources built by the real `kubectl kustomize`, with Argo CD's kustomize options
//! written into a scratch copy; Helm sources refused clearly when no `helm` is installed, and
//! the `helm template` command line they would run.

mod support;

use std::path::PathBuf;

use linnet_controller::render::helm::{HelmValue, plan, template_args};
use linnet_controller::render::{RenderConfig, RenderContext, RenderError, render};
use linnet_controller::source::SourceError;
use linnet_crds::application::ApplicationSource;
use serde_json::{Value, json};
use support::{Checkout, GitRepo, checkout_of, checkout_repo, kubectl};

fn source(mut spec: Value) -> ApplicationSource {
    spec["repoURL"] = "/unused".into();
    serde_json::from_value(spec).expect("valid source")
}

fn ctx() -> RenderContext {
    RenderContext {
        app_name: "guestbook".into(),
        namespace: "prod".into(),
        ..Default::default()
    }
}

fn config(c: &Checkout) -> RenderConfig {
    RenderConfig {
        kubectl: kubectl(),
        scratch_dir: c.cache.dir.path().join("scratch"),
        ..RenderConfig::default()
    }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
";

fn kustomize_repo() -> Checkout {
    checkout_of(&[
        ("base/deployment.yaml", DEPLOYMENT),
        ("base/service.yaml", SERVICE),
        (
            "base/kustomization.yaml",
            "resources: [deployment.yaml, service.yaml]\n",
        ),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\ncommonLabels: {tier: frontend}\n",
        ),
    ])
}

fn find<'a>(manifests: &'a [linnet_controller::render::Manifest], kind: &str) -> &'a Value {
    &manifests
        .iter()
        .find(|m| m.object["kind"] == kind)
        .expect("kind present")
        .object
}

#[test]
fn builds_a_kustomization_with_a_base_elsewhere_in_the_repo() {
    let c = kustomize_repo();
    let manifests = render(
        &c.tree,
        &source(json!({"path": "overlays/prod"})),
        &ctx(),
        &config(&c),
    )
    .unwrap();
    assert_eq!(manifests.len(), 2);
    let deployment = find(&manifests, "Deployment");
    assert_eq!(deployment["metadata"]["name"], "web");
    assert_eq!(deployment["metadata"]["labels"]["tier"], "frontend");
    assert!(manifests.iter().all(|m| m.file == "overlays/prod"));
}

#[test]
fn applies_the_applications_kustomize_options() {
    let c = kustomize_repo();
    let spec = json!({
        "path": "overlays/prod",
        "kustomize": {
            "namePrefix": "prod-",
            "images": ["nginx=registry.example/nginx:1.27"],
            "commonLabels": {"team": "shop"},
            "namespace": "shop",
            "replicas": [{"name": "web", "count": 3}],
        }
    });
    let manifests = render(&c.tree, &source(spec), &ctx(), &config(&c)).unwrap();
    let deployment = find(&manifests, "Deployment");
    assert_eq!(deployment["metadata"]["name"], "prod-web");
    assert_eq!(deployment["metadata"]["namespace"], "shop");
    assert_eq!(deployment["metadata"]["labels"]["team"], "shop");
    assert_eq!(
        deployment["metadata"]["labels"]["tier"], "frontend",
        "labels of the kustomization stay"
    );
    assert_eq!(deployment["spec"]["replicas"], 3);
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example/nginx:1.27"
    );
    assert_eq!(find(&manifests, "Service")["metadata"]["name"], "prod-web");

    // The checkout itself is never edited.
    let original = std::fs::read_to_string(c.tree.root().join("overlays/prod/kustomization.yaml")).unwrap();
    assert!(!original.contains("prod-"), "{original}");
}

#[test]
fn a_conflicting_label_without_force_is_refused() {
    let c = kustomize_repo();
    let spec = json!({"path": "overlays/prod", "kustomize": {"commonLabels": {"tier": "backend"}}});
    let err = render(&c.tree, &source(spec), &ctx(), &config(&c)).unwrap_err();
    assert!(
        matches!(&err, RenderError::KustomizeOption { field, .. } if field == "commonLabels"),
        "{err:?}"
    );
    let forced = json!({"path": "overlays/prod", "kustomize": {"commonLabels": {"tier": "backend"}, "forceCommonLabels": true}});
    let manifests = render(&c.tree, &source(forced), &ctx(), &config(&c)).unwrap();
    assert_eq!(
        find(&manifests, "Deployment")["metadata"]["labels"]["tier"],
        "backend"
    );
}

#[test]
fn a_failing_build_reports_kustomizes_message() {
    let c = checkout_of(&[("app/kustomization.yaml", "resources: [missing.yaml]\n")]);
    let err = render(&c.tree, &source(json!({"path": "app"})), &ctx(), &config(&c)).unwrap_err();
    match &err {
        RenderError::ToolFailed { stderr, path, .. } => {
            assert_eq!(path, "app");
            assert!(stderr.contains("missing.yaml"), "{stderr}");
        }
        other => panic!("expected ToolFailed, got {other:?}"),
    }
}

#[test]
fn a_link_out_of_the_repository_stops_kustomize() {
    let repo = GitRepo::new();
    repo.write("app/kustomization.yaml", "resources: [secret.yaml]\n")
        .symlink("app/secret.yaml", "/etc/hostname");
    repo.commit("link out");
    let c = checkout_repo(repo);
    let err = render(&c.tree, &source(json!({"path": "app"})), &ctx(), &config(&c)).unwrap_err();
    assert!(
        matches!(&err, RenderError::Source(SourceError::PathEscapes { path, .. }) if path == "app/secret.yaml"),
        "{err:?}"
    );
}

fn chart_repo() -> Checkout {
    checkout_of(&[
        ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
        ("chart/values.yaml", "replicas: 1\n"),
        ("chart/values-prod.yaml", "replicas: 3\n"),
        (
            "chart/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        ),
        ("shared/extra.yaml", "extra: true\n"),
    ])
}

#[test]
fn a_chart_without_helm_installed_is_a_clear_error() {
    let c = chart_repo();
    let helm_on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("helm").is_file());
    let err = render(&c.tree, &source(json!({"path": "chart"})), &ctx(), &config(&c));
    if helm_on_path {
        assert!(
            !matches!(err, Err(RenderError::HelmNotInstalled { .. })),
            "helm is on the PATH: {err:?}"
        );
        return;
    }
    let err = err.unwrap_err();
    assert!(matches!(err, RenderError::HelmNotInstalled { .. }), "{err:?}");
    assert!(err.to_string().contains("helm is not installed"), "{err}");
    assert!(err.to_string().contains("\"chart\""), "{err}");

    let missing = RenderConfig {
        helm: Some(PathBuf::from("/nonexistent/helm")),
        ..config(&c)
    };
    let err = render(&c.tree, &source(json!({"path": "chart"})), &ctx(), &missing).unwrap_err();
    assert!(matches!(err, RenderError::ToolNotRunnable { .. }), "{err:?}");
}

#[test]
fn builds_the_helm_template_command_line() {
    let c = chart_repo();
    let helm = source(json!({
        "path": "chart",
        "helm": {
            "valueFiles": ["values-prod.yaml", "../shared/extra.yaml"],
            "parameters": [
                {"name": "image.tag", "value": "1.2,3"},
                {"name": "port", "value": "8080", "forceString": true},
            ],
            "skipCrds": true,
        }
    }));
    let template = plan(&c.tree, "chart", helm.helm.as_ref(), &ctx()).unwrap();
    let root = c.tree.root().display().to_string();
    assert_eq!(
        template.release, "guestbook",
        "the release defaults to the app name"
    );
    assert_eq!(
        template.namespace, "prod",
        "the namespace defaults to the destination"
    );
    assert_eq!(
        template.values[1],
        HelmValue::SetString {
            name: "port".into(),
            value: "8080".into()
        }
    );
    let expected: Vec<String> = [
        "template",
        "guestbook",
        &format!("{root}/chart"),
        "--namespace",
        "prod",
        "--values",
        &format!("{root}/chart/values-prod.yaml"),
        "--values",
        &format!("{root}/shared/extra.yaml"),
        "--set",
        "image.tag=1.2\\,3",
        "--set-string",
        "port=8080",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(template_args(&template), expected);
}

#[test]
fn helm_value_files_must_stay_inside_the_repository() {
    let c = chart_repo();
    for (file, expect_escape) in [
        ("../../etc/passwd", true),
        ("/etc/passwd", false),
        ("$other/values.yaml", false),
    ] {
        let spec = source(json!({"path": "chart", "helm": {"valueFiles": [file]}}));
        let err = render(&c.tree, &spec, &ctx(), &config(&c)).unwrap_err();
        let refused = match &err {
            RenderError::Source(SourceError::PathEscapes { path, .. }) => {
                expect_escape && path.ends_with("etc/passwd")
            }
            RenderError::HelmOption { value, .. } => !expect_escape && value == file,
            _ => false,
        };
        assert!(refused, "{file}: {err:?}");
    }
    let spec = source(
        json!({"path": "chart", "helm": {"valueFiles": ["absent.yaml"], "ignoreMissingValueFiles": true}}),
    );
    let template = plan(&c.tree, "chart", spec.helm.as_ref(), &ctx()).unwrap();
    assert!(template.value_files.is_empty());
}
