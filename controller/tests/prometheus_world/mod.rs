//! The world of the Prometheus-backed Rollout scenarios: a sim with the Rollout and analysis
//! CRDs, its simulated cluster serving per-pod request metrics, a real Prometheus scraping
//! them every second, and the controller (Rollouts and AnalysisRuns) running in-process.
//! Everything is stopped on drop, also when a test fails.
//!
//! The helpers write what a user would: AnalysisTemplates in ordinary PromQL over
//! `sim_http_requests_total` and `sim_http_request_duration_seconds`, a Service receiving
//! synthetic traffic, and Rollouts whose pod annotations tell the sim how to behave.

#![allow(dead_code)]

#[path = "../analysis_run_support/prometheus.rs"]
pub mod prometheus;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use linnet_controller::run::{ControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::analysis::{AnalysisRun, AnalysisTemplate};
use linnet_crds::rollout::Rollout;
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};
use linnet_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use prometheus::Prometheus;

/// How long a scenario may take to reach each state it waits for.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Synthetic requests per second sent to each scenario's Service.
pub const RPS: u32 = 200;

/// The stable and canary ReplicaSets, as (hash, spec.replicas, ready replicas).
pub type ReplicaSets = Vec<(String, i32, i32)>;

/// A sim, its simulated cluster with metrics, Prometheus and the controller.
pub struct World {
    pub client: Client,
    pub namespace: String,
    pub prometheus: Prometheus,
    pub cluster: ClusterHandle,
    controller: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _sim: SimHandle,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.controller.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// Given a sim with the CRDs and `namespace`, its cluster serving metrics, a Prometheus
/// scraping them every second, and the controller over `namespace`.
pub async fn given_a_cluster_with_prometheus(namespace: &str) -> World {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    let client = Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"));
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for kind in [
        Kind::Rollout,
        Kind::AnalysisTemplate,
        Kind::ClusterAnalysisTemplate,
        Kind::AnalysisRun,
    ] {
        crds.create(&PostParams::default(), &kind.crd())
            .await
            .unwrap_or_else(|e| panic!("cannot install the {kind:?} CRD: {e}"));
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {namespace}: {e}"));
    let runs: Api<AnalysisRun> = Api::namespaced(client.clone(), namespace);
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while runs.list(&ListParams::default()).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "AnalysisRuns never became listable"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let options = ClusterOptions {
        metrics_listen: Some(([127, 0, 0, 1], 0).into()),
        ..ClusterOptions::default()
    };
    let cluster = start_cluster(&sim.url(), options)
        .await
        .unwrap_or_else(|e| panic!("simulated cluster did not start: {e}"));
    let target = cluster
        .metrics_addr()
        .unwrap_or_else(|| panic!("the simulated cluster serves no metrics"))
        .to_string();
    let prometheus = Prometheus::start(&target).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let opts = ControllerOptions {
        namespace: Some(namespace.to_string()),
        instance_id: None,
    };
    let controller_client = client.clone();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(error) = run_until(controller_client, opts, shutdown).await {
            panic!("controller failed: {error}");
        }
    });
    World {
        client,
        namespace: namespace.to_string(),
        prometheus,
        cluster,
        controller: Some((stop, task)),
        _sim: sim,
    }
}

/// The success rate (non-5xx share) of the pods with hash `{{args.hash}}` in
/// `{{args.namespace}}` over the last 10 seconds.
pub const SUCCESS_RATE: &str = "sum(rate(sim_http_requests_total{namespace=\"{{args.namespace}}\",pod_template_hash=\"{{args.hash}}\",code!~\"5..\"}[10s])) / sum(rate(sim_http_requests_total{namespace=\"{{args.namespace}}\",pod_template_hash=\"{{args.hash}}\"}[10s]))";

/// The p99 latency in seconds of the pods with hash `{{args.hash}}`, from the histogram.
pub const P99_LATENCY: &str = "histogram_quantile(0.99, sum by (le) (rate(sim_http_request_duration_seconds_bucket{namespace=\"{{args.namespace}}\",pod_template_hash=\"{{args.hash}}\"}[10s])))";

/// A Prometheus metric named `name` on `query`, measured every `interval`, with the rest of
/// the metric's fields from `extra` (conditions, count, limits).
pub fn prometheus_metric(name: &str, address: &str, query: &str, interval: &str, extra: Value) -> Value {
    let mut metric = json!({
        "name": name,
        "interval": interval,
        "provider": {"prometheus": {"address": address, "query": query, "timeout": 2}},
    });
    if let (Some(metric), Some(extra)) = (metric.as_object_mut(), extra.as_object()) {
        metric.extend(extra.clone());
    }
    metric
}

/// The analysis reference a Rollout gives a template taking `hash` (the canary's) and
/// `namespace`.
pub fn analysis_of(template: &str, namespace: &str) -> Value {
    json!({
        "templates": [{"templateName": template}],
        "args": [
            {"name": "hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
            {"name": "namespace", "value": namespace},
        ],
    })
}

impl World {
    pub fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub fn runs(&self) -> Api<AnalysisRun> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The Prometheus address templates use.
    pub fn prometheus_address(&self) -> String {
        self.prometheus.address.clone()
    }

    /// An AnalysisTemplate `name` taking `hash` and `namespace`, with `metrics`.
    pub async fn create_template(&self, name: &str, metrics: Value) {
        let template: AnalysisTemplate = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisTemplate",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": {"args": [{"name": "hash"}, {"name": "namespace"}], "metrics": metrics},
        }))
        .unwrap_or_else(|e| panic!("bad AnalysisTemplate {name}: {e}"));
        Api::<AnalysisTemplate>::namespaced(self.client.clone(), &self.namespace)
            .create(&PostParams::default(), &template)
            .await
            .unwrap_or_else(|e| panic!("cannot create AnalysisTemplate {name}: {e}"));
    }

    /// A Service `name` selecting `app: <app>` that receives [`RPS`] synthetic requests a
    /// second when `traffic`.
    pub async fn create_service(&self, name: &str, app: &str, traffic: bool) {
        let annotations = if traffic {
            json!({"sim.linnet.dev/rps": RPS.to_string()})
        } else {
            json!({})
        };
        let service: Service = serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": annotations},
            "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]},
        }))
        .unwrap_or_else(|e| panic!("bad Service {name}: {e}"));
        self.services()
            .create(&PostParams::default(), &service)
            .await
            .unwrap_or_else(|e| panic!("cannot create Service {name}: {e}"));
    }

    /// A Rollout `name` of `replicas` pods labelled `app: <name>` with `strategy`.
    pub async fn create_rollout(&self, name: &str, replicas: i32, strategy: Value, extra_spec: Value) {
        let mut spec = json!({
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, "0", "20"),
            "strategy": strategy,
        });
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra_spec.as_object()) {
            spec.extend(extra.clone());
        }
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": spec,
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"));
        self.rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .unwrap_or_else(|e| panic!("cannot create Rollout: {e}"));
    }

    /// Starts an update to a version whose pods answer `error_rate` of requests with a 5xx
    /// and take `latency_ms` on average.
    pub async fn update_to(&self, name: &str, error_rate: &str, latency_ms: &str) {
        let patch = json!({"spec": {"template": pod_template(name, error_rate, latency_ms)}});
        self.patch_spec(name, patch).await;
    }

    pub async fn patch_spec(&self, name: &str, patch: Value) {
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot patch Rollout {name}: {e}"));
    }

    /// Promotes a paused Rollout as `kubectl argo rollouts promote` does.
    pub async fn promote(&self, name: &str) {
        let patch = json!({"status": {"pauseConditions": null}});
        self.rollouts()
            .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot promote Rollout {name}: {e}"));
    }

    /// The ReplicaSets in the namespace as (hash, spec.replicas, ready replicas).
    pub async fn replica_sets(&self) -> ReplicaSets {
        use k8s_openapi::api::apps::v1::ReplicaSet;
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = api
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("cannot list ReplicaSets: {e}"));
        list.items
            .iter()
            .map(|rs| {
                let hash = rs
                    .labels()
                    .get("rollouts-pod-template-hash")
                    .cloned()
                    .unwrap_or_default();
                let replicas = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(-1);
                let ready = rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
                (hash, replicas, ready)
            })
            .collect()
    }

    /// Every AnalysisRun as (name, phase, message).
    pub async fn run_phases(&self) -> Vec<(String, String, String)> {
        let list = self
            .runs()
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("cannot list AnalysisRuns: {e}"));
        list.items
            .iter()
            .map(|run| {
                let status = run.status.as_ref();
                let phase = status
                    .and_then(|s| s.phase)
                    .map(|p| format!("{p:?}"))
                    .unwrap_or_default();
                let message = status.and_then(|s| s.message.clone()).unwrap_or_default();
                (run.name_any(), phase, message)
            })
            .collect()
    }

    /// The Events recorded in the namespace as (reason, note).
    pub async fn events(&self) -> Vec<(String, String)> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = api
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("cannot list Events: {e}"));
        list.items
            .into_iter()
            .map(|e| (e.reason.unwrap_or_default(), e.note.unwrap_or_default()))
            .collect()
    }

    /// The `rollouts-pod-template-hash` Service `name` selects, if any.
    pub async fn selected_hash(&self, name: &str) -> Option<String> {
        let live = self
            .services()
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("cannot read Service {name}: {e}"));
        live.spec
            .and_then(|s| s.selector)
            .and_then(|s| s.get("rollouts-pod-template-hash").cloned())
    }

    /// The Rollout's status as JSON.
    pub async fn status(&self, name: &str) -> Value {
        match self.rollouts().get(name).await {
            Ok(rollout) => serde_json::to_value(&rollout.status).unwrap_or(Value::Null),
            Err(error) => json!({"error": error.to_string()}),
        }
    }

    /// Polls until `check` holds for the Rollout's status and ReplicaSets, or fails after
    /// [`TIMEOUT`] showing what was last seen.
    pub async fn eventually(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&Value, &ReplicaSets) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let status = self.status(name).await;
            let replica_sets = self.replica_sets().await;
            if check(&status, &replica_sets) {
                return status;
            }
            if tokio::time::Instant::now() >= deadline {
                let runs = self.run_phases().await;
                panic!(
                    "Rollout {name} never got to: {what}\nlast status: {status:#}\nReplicaSets (hash, replicas, ready): {replica_sets:?}\nAnalysisRuns (name, phase, message): {runs:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the Rollout is Healthy on one ReplicaSet of `replicas` ready pods that is
    /// stable, and returns its hash.
    pub async fn eventually_healthy(&self, name: &str, replicas: i32, other_than: &str) -> String {
        let status = self
            .eventually(name, "Healthy and fully promoted", |status, replica_sets| {
                let hash = str_at(status, "currentPodHash");
                str_at(status, "phase") == "Healthy"
                    && !hash.is_empty()
                    && hash != other_than
                    && str_at(status, "stableRS") == hash
                    && replicas_of(replica_sets, hash) == Some((replicas, replicas))
            })
            .await;
        str_at(&status, "currentPodHash").to_string()
    }

    /// Waits until the update was rolled back by analysis: aborted and Degraded, `stable`
    /// back at `replicas`, the canary at none. Returns the status.
    pub async fn eventually_rolled_back(&self, name: &str, stable: &str, replicas: i32) -> Value {
        self.eventually(
            name,
            "rolled back: aborted, Degraded, stable at full size, canary at 0",
            |status, replica_sets| {
                let canary = str_at(status, "currentPodHash");
                status["abort"] == json!(true)
                    && str_at(status, "phase") == "Degraded"
                    && canary != stable
                    && str_at(status, "stableRS") == stable
                    && replicas_of(replica_sets, stable) == Some((replicas, replicas))
                    && replicas_of(replica_sets, canary).is_some_and(|(r, _)| r == 0)
            },
        )
        .await
    }

    /// The AnalysisRuns' (name, phase, message) whose name starts with `prefix`.
    pub async fn runs_named(&self, prefix: &str) -> Vec<(String, String, String)> {
        let mut runs = self.run_phases().await;
        runs.retain(|(name, _, _)| name.starts_with(prefix));
        runs
    }

    /// Waits until Prometheus has samples of the pods with `hash`.
    pub async fn wait_for_traffic(&self, hash: &str) {
        let query = format!(
            "sim_http_requests_total{{namespace=\"{}\",pod_template_hash=\"{hash}\"}}",
            self.namespace
        );
        self.prometheus.wait_for(&query, TIMEOUT).await;
    }

    /// The requests the pods with `hash` have answered so far.
    pub fn requests_to(&self, hash: &str) -> u64 {
        self.cluster
            .stats()
            .series
            .iter()
            .filter(|s| s.namespace == self.namespace && s.pod_template_hash == hash)
            .map(|s| s.requests)
            .sum()
    }
}

/// A pod template labelled `app: <app>` whose pods are ready quickly and answer `error_rate`
/// of requests with a 5xx after `latency_ms` on average.
pub fn pod_template(app: &str, error_rate: &str, latency_ms: &str) -> Value {
    json!({
        "metadata": {
            "labels": {"app": app},
            "annotations": {
                "sim.linnet.dev/ready-after": "0.2",
                "sim.linnet.dev/error-rate": error_rate,
                "sim.linnet.dev/latency-ms": latency_ms,
            },
        },
        "spec": {"containers": [{"name": "web", "image": "shop:1", "ports": [{"containerPort": 8080}]}]},
    })
}

pub fn str_at<'a>(status: &'a Value, field: &str) -> &'a str {
    status[field].as_str().unwrap_or("")
}

pub fn replicas_of(replica_sets: &[(String, i32, i32)], hash: &str) -> Option<(i32, i32)> {
    replica_sets
        .iter()
        .find(|(h, _, _)| h == hash)
        .map(|(_, replicas, ready)| (*replicas, *ready))
}
