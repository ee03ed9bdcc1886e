//! The world of the Application controller's end-to-end tests: a sim with its simulated cluster,
//! the Application CRD, a namespace, a Git repository made by the test, and the controller
//! running in-process (stoppable and restartable), all stopped on drop even when a test fails;
//! plus polling helpers that show what was last seen on timeout.

#![allow(dead_code)]

use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use linnet_controller::application::run::{AppControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::application::Application;
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};
use linnet_sim::{RequestRecord, SimHandle, SimOptions};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::support::{self, GitRepo};

pub const TIMEOUT: Duration = Duration::from_secs(40);

type Running = (oneshot::Sender<()>, JoinHandle<()>);

/// A sim with its simulated cluster, a Git repository and the controller.
pub struct World {
    pub client: Client,
    pub namespace: String,
    pub repo: GitRepo,
    pub options: AppControllerOptions,
    controller: Option<Running>,
    rollouts: Option<Running>,
    _cache: TempDir,
    _cluster: ClusterHandle,
    pub sim: SimHandle,
}

impl Drop for World {
    fn drop(&mut self) {
        for (stop, task) in [self.controller.take(), self.rollouts.take()]
            .into_iter()
            .flatten()
        {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// Given a sim with the Application CRD, the simulated cluster, a namespace, an empty Git
/// repository and the controller polling every `refresh` (no jitter).
pub async fn given_a_cluster_with_the_app_controller(namespace: &str, refresh: Duration) -> World {
    given_a_cluster_with_the_app_controller_configured(namespace, refresh, |_| {}).await
}

/// As [`given_a_cluster_with_the_app_controller`], with `configure` changing the controller's
/// options before it starts.
pub async fn given_a_cluster_with_the_app_controller_configured(
    namespace: &str,
    refresh: Duration,
    configure: impl FnOnce(&mut AppControllerOptions),
) -> World {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    let client = Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"));
    install_crd(&client, Kind::Application.crd()).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {namespace}: {e}"));
    let cluster = start_cluster(&sim.url(), ClusterOptions::default())
        .await
        .unwrap_or_else(|e| panic!("simulated cluster did not start: {e}"));
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
    let mut options = AppControllerOptions::new(cache.path());
    options.namespaces = Some(vec![namespace.to_string()]);
    // Applications live in the control-plane namespace, as in a usual Argo CD install.
    options.control_plane_namespace = namespace.to_string();
    options.refresh_interval = refresh;
    options.refresh_jitter = Duration::ZERO;
    options.self_heal_timeout = Duration::from_millis(500);
    options.kubectl = support::kubectl();
    configure(&mut options);
    let mut world = World {
        client,
        namespace: namespace.to_string(),
        repo: GitRepo::new(),
        options,
        controller: None,
        rollouts: None,
        _cache: cache,
        _cluster: cluster,
        sim,
    };
    world.start_controller();
    world
}

pub async fn install_crd(client: &Client, crd: CustomResourceDefinition) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &crd)
        .await
        .unwrap_or_else(|e| panic!("cannot install a CRD: {e}"));
}

impl World {
    /// Starts a controller (a new one after [`World::stop_controller`]).
    pub fn start_controller(&mut self) {
        assert!(self.controller.is_none(), "a controller is already running");
        let (stop, stopped) = oneshot::channel::<()>();
        let (client, options) = (self.client.clone(), self.options.clone());
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = run_until(client, options, shutdown).await {
                panic!("application controller failed: {error}");
            }
        });
        self.controller = Some((stop, task));
    }

    /// Stops the controller and waits until it has returned.
    pub async fn stop_controller(&mut self) {
        if let Some((stop, task)) = self.controller.take() {
            let _ = stop.send(());
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    /// Installs the Rollout CRD and runs linnet's Rollout controller beside.
    pub async fn with_the_rollout_controller(&mut self) {
        install_crd(&self.client, Kind::Rollout.crd()).await;
        let (stop, stopped) = oneshot::channel::<()>();
        let client = self.client.clone();
        let opts = linnet_controller::run::ControllerOptions {
            namespace: Some(self.namespace.clone()),
            instance_id: None,
        };
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = linnet_controller::run::run_until(client, opts, shutdown).await {
                panic!("rollout controller failed: {error}");
            }
        });
        self.rollouts = Some((stop, task));
    }

    /// The repository's URL as an Application names it (a local path).
    pub fn repo_url(&self) -> String {
        self.repo.path().display().to_string()
    }

    /// Writes files and commits them; returns the commit.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (path, contents) in files {
            self.repo.write(path, contents);
        }
        self.repo.commit(message)
    }

    /// Removes a file from the working tree (commit it with [`World::commit`]).
    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.repo.path().join(path))
            .unwrap_or_else(|e| panic!("cannot remove {path}: {e}"));
    }

    pub fn apps(&self) -> Api<Application> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Creates an Application from `spec` (destination: the test namespace, in-cluster).
    pub async fn create_app(&self, name: &str, spec: Value, finalizers: &[&str]) {
        let manifest = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": self.namespace, "finalizers": finalizers},
            "spec": spec,
        });
        let app: Application =
            serde_json::from_value(manifest).unwrap_or_else(|e| panic!("bad Application: {e}"));
        self.apps()
            .create(&PostParams::default(), &app)
            .await
            .unwrap_or_else(|e| panic!("cannot create Application {name}: {e}"));
    }

    /// A spec for a directory (or detected tool) at `path`, with the given sync policy.
    pub fn spec(&self, path: &str, sync_policy: Value) -> Value {
        json!({
            "project": "default",
            "source": {"repoURL": self.repo_url(), "path": path, "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": self.namespace},
            "syncPolicy": sync_policy,
        })
    }

    pub async fn patch_app(&self, name: &str, patch: Value) {
        self.apps()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot patch Application {name}: {e}"));
    }

    /// Asks for a sync, as `argocd app sync` does.
    pub async fn sync(&self, name: &str, prune: bool) {
        self.patch_app(
            name,
            json!({"operation": {"sync": {"prune": prune}, "initiatedBy": {"username": "test"}}}),
        )
        .await;
    }

    pub async fn app(&self, name: &str) -> Value {
        match self.apps().get(name).await {
            Ok(app) => serde_json::to_value(&app).unwrap_or(Value::Null),
            Err(error) => json!({"error": error.to_string()}),
        }
    }

    /// Polls the Application until `check` holds, or fails after [`TIMEOUT`] showing it.
    pub async fn eventually(&self, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.eventually_within(name, what, TIMEOUT, check).await
    }

    /// Polls the Application until `check` holds, or fails after `within`.
    pub async fn eventually_within(
        &self,
        name: &str,
        what: &str,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let app = self.app(name).await;
            if check(&app) {
                return app;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Application {name} did not get within {within:?} to: {what}\nlast seen: {:#}",
                json!({"metadata": app["metadata"], "status": app["status"], "operation": app["operation"]})
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls until `check` holds for the object (None when absent), or fails after [`TIMEOUT`].
    pub async fn eventually_object(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        what: &str,
        check: impl Fn(Option<&Value>) -> bool,
    ) -> Option<Value> {
        self.eventually_object_within(api_version, kind, name, what, TIMEOUT, check)
            .await
    }

    /// Polls until `check` holds for the object (None when absent), or fails after `within`.
    pub async fn eventually_object_within(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        what: &str,
        within: Duration,
        check: impl Fn(Option<&Value>) -> bool,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let found = self.object(api_version, kind, name).await;
            if check(found.as_ref()) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{kind} {name} did not get within {within:?} to: {what}\nlast seen: {found:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// An object in the test namespace, through a dynamic API.
    pub async fn object(&self, api_version: &str, kind: &str, name: &str) -> Option<Value> {
        let api = self.dynamic(api_version, kind);
        let found = api
            .get_opt(name)
            .await
            .unwrap_or_else(|e| panic!("cannot read {kind} {name}: {e}"));
        found.map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
    }

    pub fn dynamic(&self, api_version: &str, kind: &str) -> Api<DynamicObject> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let resource = ApiResource::from_gvk(&gvk);
        Api::namespaced_with(self.client.clone(), &self.namespace, &resource)
    }

    /// The writes (apply PATCH, PUT, POST, DELETE) the sim answered for objects of `plural`
    /// in the test namespace, in order, as (method, name).
    pub fn writes_to(&self, plural: &str) -> Vec<(String, String)> {
        writes(&self.sim.requests(), &self.namespace, plural)
    }
}

/// The writes to `plural` in `namespace` among `requests`, as (method, object name).
pub fn writes(requests: &[RequestRecord], namespace: &str, plural: &str) -> Vec<(String, String)> {
    let prefix = format!("/namespaces/{namespace}/{plural}/");
    requests
        .iter()
        .filter(|r| r.method != "GET")
        .filter_map(|r| {
            let at = r.path.find(&prefix)?;
            let name = r.path[at + prefix.len()..].split('/').next()?.to_string();
            Some((r.method.clone(), name))
        })
        .collect()
}

/// The field at a JSON pointer as text ("" when absent).
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn synced_and_healthy(app: &Value) -> bool {
    text(app, "/status/sync/status") == "Synced" && text(app, "/status/health/status") == "Healthy"
}

pub fn operation_phase(app: &Value) -> &str {
    text(app, "/status/operationState/phase")
}

/// A Deployment of one replica in the sim, ready after `ready_after` seconds.
pub fn deployment(name: &str, ready_after: &str, annotations: Value) -> String {
    let manifest = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": {"sim.linnet.dev/ready-after": ready_after}},
                "spec": {"containers": [{"name": "main", "image": "registry.example/app:1"}]},
            },
        },
    });
    yaml(&manifest)
}

pub fn config_map(name: &str, data: Value, annotations: Value) -> String {
    yaml(&json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "annotations": annotations},
        "data": data,
    }))
}

/// A Job hook that succeeds after `seconds`.
pub fn job(name: &str, annotations: Value, seconds: &str) -> String {
    yaml(&json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"annotations": {"sim.linnet.dev/ready-after": seconds}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "registry.example/hook:1"}]},
            },
        },
    }))
}

pub fn yaml(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| panic!("cannot write a manifest: {e}"))
}
