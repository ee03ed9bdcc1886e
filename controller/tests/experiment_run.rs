//! End-to-end: Experiments against the sim and its simulated cluster, run by the controller
//! in-process: templates become ReplicaSets (and a Service) for the duration, then scale down;
//! an analysis whose Job fails fails the experiment. Each test has its own sim and namespace.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use linnet_crds::Kind;
use serde_json::{Value, json};

mod rollout_world;

use rollout_world::{TIMEOUT, World, given_a_cluster, str_at};

/// Given a cluster with the Experiment and analysis CRDs and the controller running.
async fn given_a_cluster_for_experiments(namespace: &str) -> World {
    let mut world = given_a_cluster(namespace).await;
    let crds: Api<CustomResourceDefinition> = Api::all(world.client.clone());
    for kind in [Kind::Experiment, Kind::AnalysisRun, Kind::AnalysisTemplate] {
        crds.create(&PostParams::default(), &kind.crd())
            .await
            .unwrap_or_else(|e| panic!("cannot install the {kind:?} CRD: {e}"));
    }
    world.start_controller(None);
    world
}

fn api(world: &World, group: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(group, "v1alpha1", kind);
    Api::namespaced_with(
        world.client.clone(),
        &world.namespace,
        &ApiResource::from_gvk_with_plural(&gvk, plural),
    )
}

async fn create(api: &Api<DynamicObject>, object: Value) {
    let object: DynamicObject = serde_json::from_value(object).unwrap_or_else(|e| panic!("bad object: {e}"));
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    // The CRD may take a moment to be served.
    while let Err(error) = api.create(&PostParams::default(), &object).await {
        assert!(tokio::time::Instant::now() < deadline, "cannot create: {error}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls the Experiment `name` until `check` holds for its status, or fails showing it.
async fn eventually(world: &World, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let experiments = api(world, "argoproj.io", "Experiment", "experiments");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let status = match experiments.get_opt(name).await {
            Ok(Some(found)) => serde_json::to_value(found).unwrap_or(Value::Null)["status"].clone(),
            _ => Value::Null,
        };
        if check(&status) {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Experiment {name} never got to: {what}\nlast status: {status:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn template(name: &str, image: &str, service: bool) -> Value {
    let mut template = json!({
        "name": name, "replicas": 1,
        "selector": {"matchLabels": {"app": "web", "variant": name}},
        "template": {
            "metadata": {"labels": {"app": "web", "variant": name},
                         "annotations": {"sim.linnet.dev/ready-after": "0.2"}},
            "spec": {"containers": [{"name": "web", "image": image,
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
        },
    });
    if service {
        template["service"] = json!({});
    }
    template
}

fn template_codes(status: &Value) -> Vec<String> {
    status["templateStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| str_at(t, "status").to_string())
        .collect()
}

async fn wanted_replicas(world: &World, name: &str) -> Option<i32> {
    let replica_sets: Api<ReplicaSet> = Api::namespaced(world.client.clone(), &world.namespace);
    let rs = replica_sets
        .get_opt(name)
        .await
        .unwrap_or_else(|e| panic!("cannot read {name}: {e}"))?;
    rs.spec.and_then(|s| s.replicas)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_experiment_runs_its_templates_for_its_duration_then_scales_them_down() {
    let world = given_a_cluster_for_experiments("experiment-duration").await;
    // Given an Experiment of a baseline and a canary (with a Service) for 3 s
    let experiments = api(&world, "argoproj.io", "Experiment", "experiments");
    create(
        &experiments,
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
            "metadata": {"name": "exp"},
            "spec": {"duration": "3s", "scaleDownDelaySeconds": 0, "templates": [
                template("baseline", "web:1", false), template("canary", "web:2", true)]}}),
    )
    .await;
    // Then both run on ReplicaSets of their own, available from a moment on
    let running = eventually(&world, "exp", "Running with both templates Running", |status| {
        str_at(status, "phase") == "Running" && template_codes(status) == ["Running", "Running"]
    })
    .await;
    assert!(!str_at(&running, "availableAt").is_empty());
    assert_eq!(wanted_replicas(&world, "exp-baseline").await, Some(1));
    assert_eq!(wanted_replicas(&world, "exp-canary").await, Some(1));
    // and the canary's Service selects its pods by hash
    let hash = str_at(&running["templateStatuses"][1], "podTemplateHash").to_string();
    let services: Api<Service> = Api::namespaced(world.client.clone(), &world.namespace);
    let service = services
        .get("exp-canary")
        .await
        .unwrap_or_else(|e| panic!("no Service for the canary: {e}"));
    let spec = service.spec.unwrap_or_default();
    assert_eq!(
        spec.selector
            .unwrap_or_default()
            .get("rollouts-pod-template-hash"),
        Some(&hash)
    );
    assert_eq!(spec.ports.unwrap_or_default()[0].port, 8080);

    // When the duration has passed: Successful, and both scaled down
    let done = eventually(&world, "exp", "Successful", |status| {
        str_at(status, "phase") == "Successful" && template_codes(status) == ["Successful", "Successful"]
    })
    .await;
    let condition = &done["conditions"][0];
    assert_eq!(str_at(condition, "reason"), "ExperimentCompleted");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while wanted_replicas(&world, "exp-baseline").await != Some(0)
        || wanted_replicas(&world, "exp-canary").await != Some(0)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ReplicaSets were not scaled down"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analysis_that_fails_fails_the_experiment() {
    let world = given_a_cluster_for_experiments("experiment-analysis").await;
    // Given an AnalysisTemplate whose Job fails, taking the canary's hash as an argument
    let templates = api(&world, "argoproj.io", "AnalysisTemplate", "analysistemplates");
    create(
        &templates,
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": {"name": "smoke"},
            "spec": {"args": [{"name": "hash"}], "metrics": [{"name": "smoke-test",
                "provider": {"job": {"spec": {"backoffLimit": 0, "template": {
                    "metadata": {"annotations": {"sim.linnet.dev/job-result": "failed",
                                                 "sim.linnet.dev/ready-after": "0.2"}},
                    "spec": {"restartPolicy": "Never",
                             "containers": [{"name": "smoke", "image": "smoke:1"}]}}}}}}]}}),
    )
    .await;
    // When an Experiment with no duration runs it beside its canary
    let experiments = api(&world, "argoproj.io", "Experiment", "experiments");
    create(
        &experiments,
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
            "metadata": {"name": "exp"},
            "spec": {"scaleDownDelaySeconds": 0, "templates": [template("canary", "web:2", false)],
                "analyses": [{"name": "smoke", "templateName": "smoke",
                    "args": [{"name": "hash", "value": "{{templates.canary.podTemplateHash}}"}]}]}}),
    )
    .await;
    // Then the run is made with the canary's hash, fails, and the experiment fails with it
    let failed = eventually(&world, "exp", "Failed by its analysis", |status| {
        str_at(status, "phase") == "Failed"
    })
    .await;
    assert_eq!(str_at(&failed["analysisRuns"][0], "analysisRun"), "exp-smoke");
    assert_eq!(str_at(&failed["analysisRuns"][0], "phase"), "Failed");
    let runs = api(&world, "argoproj.io", "AnalysisRun", "analysisruns");
    let run = runs
        .get("exp-smoke")
        .await
        .unwrap_or_else(|e| panic!("no run: {e}"));
    let run = serde_json::to_value(run).unwrap_or_default();
    let hash = str_at(&failed["templateStatuses"][0], "podTemplateHash");
    assert_eq!(str_at(&run["spec"]["args"][0], "value"), hash);
    assert_eq!(run["metadata"]["ownerReferences"][0]["kind"], "Experiment");
    // and the canary is scaled down
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while wanted_replicas(&world, "exp-canary").await != Some(0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the canary was not scaled down"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
