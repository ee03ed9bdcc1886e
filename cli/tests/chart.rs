//! The Helm chart in `charts/linnet`: its templates render (with the plain value lookups they are
//! limited to), kubectl 1.32 accepts every object against a running `linnet sim` with strict
//! server-side validation, the controllers' arguments are ones the `linnet` binary takes, and
//! the Rollout controller's ClusterRole grants what the controller calls.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
const NAMESPACE: &str = "linnet-system";

fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/linnet")
}

/// Kills the sim if the test fails before it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Looks `path` (`a.b.c`) up in `root`; scalars render as their plain text.
fn lookup(root: &Value, path: &str) -> Result<String, String> {
    let mut here = root;
    for part in path.split('.') {
        here = here.get(part).ok_or_else(|| format!("no value {path}"))?;
    }
    match here {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("{path} is not a scalar: {other}")),
    }
}

/// Renders the subset of Go templates the chart is kept to: `{{ .Values.x }}`,
/// `{{ .Release.Name }}`, `{{ .Release.Namespace }}` and `{{ .Chart.x }}`. Anything else is an
/// error, so a template that grows real logic fails here instead of being half rendered.
fn render(template: &str, values: &Value, chart: &Value) -> Result<String, String> {
    let release = serde_json::json!({"Name": "linnet", "Namespace": NAMESPACE});
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("an unclosed {{")?;
        let expr = after[..end].trim();
        let value = if let Some(path) = expr.strip_prefix(".Values.") {
            lookup(values, path)?
        } else if let Some(path) = expr.strip_prefix(".Release.") {
            lookup(&release, path)?
        } else if let Some(path) = expr.strip_prefix(".Chart.") {
            lookup(chart, path)?
        } else {
            return Err(format!(
                "template expression {expr:?} is outside the chart's subset"
            ));
        };
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every template rendered, as (file name, objects).
fn rendered() -> Vec<(String, Vec<Value>)> {
    let values = read_yaml(&chart_dir().join("values.yaml"));
    let chart = read_yaml(&chart_dir().join("Chart.yaml"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart_dir().join("templates"))
        .expect("templates directory")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("template");
            let yaml = render(&text, &values, &chart).unwrap_or_else(|e| panic!("{name}: {e}"));
            let docs: Vec<Value> =
                serde_saphyr::from_multiple(&yaml).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
            (name, docs.into_iter().filter(|d| !d.is_null()).collect())
        })
        .collect()
}

fn objects() -> Vec<Value> {
    rendered().into_iter().flat_map(|(_, docs)| docs).collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the chart"))
}

#[test]
fn the_renderer_refuses_what_it_does_not_know() {
    let values = serde_json::json!({"a": {"b": 3}});
    let chart = serde_json::json!({});
    assert_eq!(
        render("x: {{ .Values.a.b }}", &values, &chart),
        Ok("x: 3".to_string())
    );
    assert!(render("{{ if .Values.a }}", &values, &chart).is_err());
    assert!(render("{{ .Values.a.c }}", &values, &chart).is_err());
    assert!(render("{{ .Values.a", &values, &chart).is_err());
}

#[test]
fn the_chart_installs_both_controllers_with_their_accounts() {
    let objects = objects();
    for (kind, name) in [
        ("Deployment", "linnet-rollouts"),
        ("Deployment", "linnet-applications"),
        ("ServiceAccount", "linnet"),
        ("ServiceAccount", "linnet-applications"),
        ("ClusterRole", "linnet-rollouts"),
        ("ClusterRoleBinding", "linnet-rollouts"),
        ("ClusterRole", "linnet-applications"),
        ("ClusterRoleBinding", "linnet-applications"),
    ] {
        find(&objects, kind, name);
    }
    for binding in ["linnet-rollouts", "linnet-applications"] {
        let binding = find(&objects, "ClusterRoleBinding", binding);
        let account = binding["subjects"][0]["name"].as_str().expect("a subject");
        find(&objects, "ServiceAccount", account);
        let role = binding["roleRef"]["name"].as_str().expect("a role");
        find(&objects, "ClusterRole", role);
    }
}

/// Whether `role` grants `verb` on `resource` in `group`.
fn grants(role: &Value, group: &str, resource: &str, verb: &str) -> bool {
    let has = |list: &Value, item: &str| {
        list.as_array()
            .is_some_and(|l| l.iter().any(|v| v == item || v == "*"))
    };
    role["rules"].as_array().is_some_and(|rules| {
        rules.iter().any(|rule| {
            has(&rule["apiGroups"], group) && has(&rule["resources"], resource) && has(&rule["verbs"], verb)
        })
    })
}

#[test]
fn the_rollout_role_grants_what_the_controller_calls() {
    let objects = objects();
    let role = find(&objects, "ClusterRole", "linnet-rollouts");
    // What the Rollout and AnalysisRun controllers read and write.
    let needed = [
        ("argoproj.io", "rollouts", "watch"),
        ("argoproj.io", "rollouts/status", "patch"),
        ("argoproj.io", "analysisruns", "create"),
        ("argoproj.io", "analysisruns", "patch"),
        ("argoproj.io", "analysistemplates", "get"),
        ("argoproj.io", "clusteranalysistemplates", "get"),
        ("apps", "replicasets", "create"),
        ("apps", "replicasets", "patch"),
        ("apps", "replicasets", "delete"),
        ("", "services", "patch"),
        ("", "pods", "list"),
        ("", "pods", "patch"),
        ("", "pods/eviction", "create"),
        ("", "secrets", "get"),
        ("events.k8s.io", "events", "create"),
        ("batch", "jobs", "create"),
        ("coordination.k8s.io", "leases", "update"),
        ("networking.k8s.io", "ingresses", "create"),
        ("gateway.networking.k8s.io", "httproutes", "update"),
        ("networking.istio.io", "virtualservices", "update"),
        ("split.smi-spec.io", "trafficsplits", "update"),
    ];
    let missing: Vec<_> = needed
        .iter()
        .filter(|(group, resource, verb)| !grants(role, group, resource, verb))
        .collect();
    assert!(missing.is_empty(), "linnet-rollouts lacks {missing:?}");
    assert!(
        !grants(role, "", "secrets", "list"),
        "reading one Secret by name is enough"
    );
}

/// The container's `args` of a Deployment.
fn args_of(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn the_deployments_pass_arguments_the_binary_takes() {
    let objects = objects();
    for name in ["linnet-rollouts", "linnet-applications"] {
        let mut args = args_of(find(&objects, "Deployment", name));
        // Clap checks every argument before it honours --help, so this fails on an unknown one.
        args.push("--help".into());
        let out = Command::new(env!("CARGO_BIN_EXE_linnet"))
            .args(&args)
            .output()
            .expect("linnet runs");
        assert!(
            out.status.success(),
            "{name}: linnet {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_tracking_method_value_reaches_the_app_controller_and_is_checked() {
    let objects = objects();
    let args = args_of(find(&objects, "Deployment", "linnet-applications"));
    let at = args
        .iter()
        .position(|a| a == "--tracking-method")
        .unwrap_or_else(|| panic!("no --tracking-method in {args:?}"));
    assert_eq!(
        args.get(at + 1).map(String::as_str),
        Some("annotation"),
        "{args:?}"
    );
    // The binary refuses a method it does not know, even when asked for help only.
    let mut wrong = args.clone();
    wrong[at + 1] = "labels".into();
    wrong.push("--help".into());
    let out = Command::new(env!("CARGO_BIN_EXE_linnet"))
        .args(&wrong)
        .output()
        .expect("linnet runs");
    assert!(!out.status.success(), "linnet {wrong:?} was accepted");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("annotation+label"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> Output {
    let cache = tempfile::tempdir().expect("temp dir");
    Command::new(KUBECTL)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache.path())
        .args(args)
        .output()
        .expect("kubectl runs")
}

#[test]
fn kubectl_accepts_every_object_with_strict_validation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let child = Command::new(env!("CARGO_BIN_EXE_linnet"))
        .args(["sim", "--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .spawn()
        .expect("linnet sim starts");
    let mut sim = Running(child);
    // The first line says where it listens; the kubeconfig is written by then.
    let mut lines = BufReader::new(sim.0.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.contains("127.0.0.1:"), "{first}");

    // `kubectl create namespace` sends protobuf, which the sim does not take; apply sends JSON.
    let namespace = dir.path().join("namespace.json");
    let body = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}});
    std::fs::write(&namespace, body.to_string()).expect("write namespace");
    let created = kubectl(&kubeconfig, &["apply", "-f", &namespace.to_string_lossy()]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    // One file per object: kubectl validates a `List` against a schema the API does not publish.
    let manifests = dir.path().join("chart");
    std::fs::create_dir(&manifests).expect("manifests directory");
    for (index, object) in objects().iter().enumerate() {
        std::fs::write(manifests.join(format!("{index:02}.json")), object.to_string()).expect("write");
    }
    let path = manifests.to_string_lossy().into_owned();
    let out = kubectl(
        &kubeconfig,
        &["apply", "--dry-run=server", "--validate=strict", "-f", &path],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.contains("(server dry run)")).count(),
        objects().len(),
        "{stdout}"
    );
}
