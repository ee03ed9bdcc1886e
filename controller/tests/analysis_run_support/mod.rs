//! What the AnalysisRun reconciler's tests run against: the sim with the AnalysisRun CRD and
//! a namespace, a metrics endpoint with request counters, a real Prometheus scraping it, and
//! the controller as a task. Everything stops when dropped, so a failing test leaves nothing
//! running.

#![allow(dead_code, unused_imports)]

pub mod metrics_app;
pub mod prometheus;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use linnet_crds::analysis::providers::PrometheusMetric;
use linnet_crds::analysis::{AnalysisRun, AnalysisRunSpec, AnalysisRunStatus, Metric, MetricProvider};
use linnet_sim::{SimHandle, SimOptions};
use tokio::task::JoinHandle;

pub use metrics_app::MetricsApp;
pub use prometheus::Prometheus;

/// The namespace each test's run lives in.
pub const NAMESPACE: &str = "shop";

/// A sim with the AnalysisRun CRD installed and [`NAMESPACE`] created.
pub struct Cluster {
    pub sim: SimHandle,
    pub client: kube::Client,
}

impl Cluster {
    pub async fn start() -> Cluster {
        let sim = linnet_sim::start(SimOptions::default())
            .await
            .unwrap_or_else(|error| panic!("sim did not start: {error}"));
        let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
            .unwrap_or_else(|error| panic!("sim kubeconfig unreadable: {error}"));
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .unwrap_or_else(|error| panic!("sim kubeconfig unusable: {error}"));
        let client = kube::Client::try_from(config).unwrap_or_else(|error| panic!("no client: {error}"));
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        crds.create(&PostParams::default(), &linnet_crds::Kind::AnalysisRun.crd())
            .await
            .unwrap_or_else(|error| panic!("CRD not created: {error}"));
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let mut namespace = Namespace::default();
        namespace.metadata.name = Some(NAMESPACE.to_string());
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|error| panic!("namespace not created: {error}"));
        let cluster = Cluster { sim, client };
        cluster.wait_for_crd().await;
        cluster
    }

    async fn wait_for_crd(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.runs().list(&ListParams::default()).await.is_err() {
            assert!(Instant::now() < deadline, "AnalysisRuns never became listable");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn runs(&self) -> Api<AnalysisRun> {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    pub async fn create(&self, run: &AnalysisRun) {
        self.runs()
            .create(&PostParams::default(), run)
            .await
            .unwrap_or_else(|error| panic!("run not created: {error}"));
    }

    /// The run's status now (empty when it has none).
    pub async fn status(&self, name: &str) -> AnalysisRunStatus {
        let run = self
            .runs()
            .get(name)
            .await
            .unwrap_or_else(|error| panic!("run {name} unreadable: {error}"));
        run.status.unwrap_or_default()
    }

    /// Polls the run until `done` holds for its status, failing after `timeout`. Every
    /// status seen is passed to `seen` first.
    pub async fn wait_until(
        &self,
        name: &str,
        timeout: Duration,
        mut seen: impl FnMut(&AnalysisRunStatus),
        done: impl Fn(&AnalysisRunStatus) -> bool,
    ) -> AnalysisRunStatus {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.status(name).await;
            seen(&status);
            if done(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "run {name} not there within {timeout:?}: {status:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts the AnalysisRun controller on [`NAMESPACE`].
    pub fn start_controller(&self) -> ControllerTask {
        let client = self.client.clone();
        ControllerTask(tokio::spawn(linnet_controller::analysis_run::run_controller(
            client,
            Some(NAMESPACE.to_string()),
        )))
    }
}

/// The controller running as a task; aborted when dropped.
pub struct ControllerTask(JoinHandle<Result<(), linnet_controller::analysis_run::Error>>);

impl ControllerTask {
    /// Kills the controller wherever it is, as a crash would.
    pub async fn kill(self) {
        self.0.abort();
        let _ = (&mut { self }.0).await;
    }
}

impl Drop for ControllerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The success rate of `version` over the last 10 seconds.
pub fn success_rate_query(version: &str) -> String {
    format!(
        "sum(rate(app_requests_total{{version=\"{version}\",code=\"200\"}}[10s])) / sum(rate(app_requests_total{{version=\"{version}\"}}[10s]))"
    )
}

/// A run of one Prometheus metric `success-rate` on `version`: `count` measurements,
/// `interval` apart, successful when the rate is at least 0.95.
pub fn success_rate_run(name: &str, address: &str, version: &str, count: i32, interval: &str) -> AnalysisRun {
    let metric = Metric {
        name: "success-rate".to_string(),
        interval: Some(interval.to_string()),
        count: Some(IntOrString::Int(count)),
        success_condition: Some("result[0] >= 0.95".to_string()),
        provider: MetricProvider {
            prometheus: Some(PrometheusMetric {
                address: Some(address.to_string()),
                query: Some(success_rate_query(version)),
                timeout: Some(2),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut run = AnalysisRun::new(
        name,
        AnalysisRunSpec {
            metrics: vec![metric],
            ..Default::default()
        },
    );
    run.metadata.namespace = Some(NAMESPACE.to_string());
    run
}
