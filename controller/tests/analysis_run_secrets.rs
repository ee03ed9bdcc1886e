//! Arguments from Secrets: read in the run's namespace through the client, used in the query,
//! and never written into the run (its spec keeps the placeholder, its status masks the
//! value). A Secret that is missing ends the run in Error naming the argument.

#[path = "analysis_run_support/mod.rs"]
mod support;

use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun, Argument, SecretKeyRef, ValueFrom};
use support::*;

/// `run` with its query's version taken from key `version` of Secret `app-version`.
fn with_secret_version(mut run: AnalysisRun) -> AnalysisRun {
    run.spec.args = Some(vec![Argument {
        name: "version".to_string(),
        value: None,
        value_from: Some(ValueFrom {
            secret_key_ref: Some(SecretKeyRef {
                name: "app-version".to_string(),
                key: "version".to_string(),
            }),
            field_ref: None,
        }),
    }]);
    if let Some(spec) = run.spec.metrics[0].provider.prometheus.as_mut() {
        spec.query = Some(success_rate_query("{{args.version}}"));
    }
    run
}

fn completed(status: &linnet_crds::analysis::AnalysisRunStatus) -> bool {
    status.phase.is_some_and(AnalysisPhase::is_completed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_argument_is_measured_with_and_kept_out_of_the_run() {
    let app = MetricsApp::start().await;
    let prometheus = Prometheus::start(&app.address.to_string()).await;
    prometheus
        .wait_for(&success_rate_query("stable"), Duration::from_secs(10))
        .await;
    let cluster = Cluster::start().await;
    let mut secret = Secret::default();
    secret.metadata.name = Some("app-version".to_string());
    secret.data = Some([("version".to_string(), ByteString(b"stable".to_vec()))].into());
    Api::<Secret>::namespaced(cluster.client.clone(), NAMESPACE)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap_or_else(|error| panic!("Secret not created: {error}"));
    let _controller = cluster.start_controller();

    let run = success_rate_run("secret-check", &prometheus.address, "unused", 2, "1s");
    cluster.create(&with_secret_version(run)).await;
    let status = cluster
        .wait_until("secret-check", Duration::from_secs(20), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Successful), "{status:#?}");
    let stored = cluster
        .runs()
        .get("secret-check")
        .await
        .unwrap_or_else(|error| panic!("run unreadable: {error}"));
    let text = serde_json::to_string(&stored).unwrap_or_default();
    assert!(
        !text.contains("stable"),
        "the Secret's value is nowhere in the run: {text}"
    );
    assert!(
        text.contains("{{args.version}}"),
        "the spec keeps the placeholder"
    );
    let query = status.metric_results.as_deref().unwrap_or_default()[0]
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get("ResolvedPrometheusQuery"))
        .cloned()
        .unwrap_or_default();
    assert!(query.contains("version=\"*****\""), "{query}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_ends_the_run_in_error_naming_the_argument() {
    let cluster = Cluster::start().await;
    let _controller = cluster.start_controller();
    let run = success_rate_run("no-secret", "http://127.0.0.1:1", "unused", 1, "1s");
    cluster.create(&with_secret_version(run)).await;

    let status = cluster
        .wait_until("no-secret", Duration::from_secs(10), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Error), "{status:#?}");
    let message = status.message.as_deref().unwrap_or_default();
    assert!(
        message.contains("\"version\"") && message.contains("app-version"),
        "{message}"
    );
    assert!(
        status.metric_results.is_none(),
        "nothing was measured: {status:#?}"
    );
}
