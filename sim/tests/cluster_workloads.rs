//! Pods, Jobs and endpoints of the simulated cluster as a client sees them.

mod cluster_support;

use std::time::Duration;

use cluster_support::{deployment, eventually, service, start};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Endpoints, Pod};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ListParams;
use serde_json::json;

fn restarts_and_reason(pod: &Pod) -> (i32, String, bool) {
    let status = pod.status.clone().unwrap_or_default();
    let container = status
        .container_statuses
        .unwrap_or_default()
        .into_iter()
        .next()
        .unwrap_or_default();
    let reason = container
        .state
        .and_then(|s| s.waiting)
        .and_then(|w| w.reason)
        .unwrap_or_default();
    (container.restart_count, reason, container.ready)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashing_pods_loop_and_never_become_ready() {
    let t = start("crash").await;
    t.create(deployment(
        "bad",
        2,
        "app:v1",
        json!({"sim.linnet.dev/crash": "true", "sim.linnet.dev/ready-after": "0.2"}),
    ))
    .await;
    let pods = eventually(Duration::from_secs(10), "two restarts", || async {
        let pods: Vec<Pod> = t.api::<Pod>().list(&ListParams::default()).await.ok()?.items;
        let looping = pods.len() == 2
            && pods.iter().all(|p| {
                let (restarts, reason, _) = restarts_and_reason(p);
                restarts >= 2 && reason == "CrashLoopBackOff"
            });
        looping.then_some(pods)
    })
    .await;
    for pod in &pods {
        let (_, _, ready) = restarts_and_reason(pod);
        assert!(!ready);
        let conditions = pod
            .status
            .clone()
            .unwrap_or_default()
            .conditions
            .unwrap_or_default();
        let pod_ready = conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .map(|c| c.status.clone());
        assert_eq!(pod_ready.as_deref(), Some("False"));
    }
    let d: Deployment = t.get("bad").await;
    let status = d.status.unwrap_or_default();
    assert_eq!(status.available_replicas, Some(0));
    assert_eq!(status.unavailable_replicas, Some(2));
}

fn job(name: &str, annotations: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 1,
            "template": {
                "metadata": {"annotations": annotations},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "task", "image": "task:v1"}]}
            }
        }
    })
}

fn condition(job: &Job, type_: &str) -> Option<String> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| c.status.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_complete_or_fail_as_annotated() {
    let t = start("jobs").await;
    t.create(job("ok", json!({"sim.linnet.dev/ready-after": "0.3"})))
        .await;
    t.create(job(
        "broken",
        json!({"sim.linnet.dev/ready-after": "0.3", "sim.linnet.dev/job-result": "failed"}),
    ))
    .await;
    let out = t
        .kubectl(&["wait", "--for=condition=complete", "job/ok", "--timeout=10s"])
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ok: Job = t.get("ok").await;
    assert_eq!(ok.status.as_ref().and_then(|s| s.succeeded), Some(1));
    assert_eq!(condition(&ok, "Failed"), None);

    let broken = eventually(Duration::from_secs(10), "the failing job to fail", || async {
        let job = t.api::<Job>().get("broken").await.ok()?;
        (condition(&job, "Failed").as_deref() == Some("True")).then_some(job)
    })
    .await;
    // backoffLimit 1: the first failure is retried once.
    assert_eq!(broken.status.as_ref().and_then(|s| s.failed), Some(2));
    assert_eq!(condition(&broken, "Complete"), None);
    let pods: Vec<Pod> = t.list().await;
    let of_broken: Vec<&Pod> = pods
        .iter()
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("job-name"))
                .map(String::as_str)
                == Some("broken")
        })
        .collect();
    assert_eq!(of_broken.len(), 2);
    assert!(
        of_broken
            .iter()
            .all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_follow_pod_readiness() {
    let t = start("endpoints").await;
    t.create(service("web", json!({"app": "web"}), json!({}))).await;
    t.create(deployment(
        "web",
        2,
        "app:v1",
        json!({"sim.linnet.dev/ready-after": "1.5"}),
    ))
    .await;
    let not_ready = eventually(Duration::from_secs(10), "not-ready addresses", || async {
        let e = t.api::<Endpoints>().get("web").await.ok()?;
        let subset = e.subsets?.into_iter().next()?;
        let waiting = subset.not_ready_addresses.unwrap_or_default();
        (waiting.len() == 2 && subset.addresses.unwrap_or_default().is_empty()).then_some(waiting)
    })
    .await;
    assert!(not_ready.iter().all(|a| a.ip.starts_with("10.")));
    let ready = eventually(Duration::from_secs(10), "ready addresses", || async {
        let e = t.api::<Endpoints>().get("web").await.ok()?;
        let subset = e.subsets?.into_iter().next()?;
        let ready = subset.addresses.unwrap_or_default();
        let ports = subset.ports.unwrap_or_default();
        (ready.len() == 2).then_some((ready, ports))
    })
    .await;
    assert_eq!(
        ready.1[0].port, 8080,
        "the named target port resolves to the container port"
    );
    let slices: Vec<EndpointSlice> = t.list().await;
    let slice = slices
        .iter()
        .find(|s| {
            s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("kubernetes.io/service-name"))
                .map(String::as_str)
                == Some("web")
        })
        .unwrap_or_else(|| panic!("no slice for web in {slices:?}"));
    eventually(Duration::from_secs(5), "both slice endpoints ready", || async {
        let slices: Vec<EndpointSlice> = t
            .api::<EndpointSlice>()
            .list(&ListParams::default())
            .await
            .ok()?
            .items;
        let slice = slices
            .into_iter()
            .find(|s| s.metadata.name == slice.metadata.name)?;
        let ready = slice
            .endpoints
            .iter()
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            .count();
        (ready == 2).then_some(())
    })
    .await;

    // Scaling to zero empties the endpoints.
    let api = t.api::<Deployment>();
    let patch = json!({"spec": {"replicas": 0}});
    api.patch("web", &Default::default(), &kube::api::Patch::Merge(&patch))
        .await
        .unwrap_or_else(|e| panic!("cannot scale: {e}"));
    eventually(Duration::from_secs(10), "empty endpoints", || async {
        let e = t.api::<Endpoints>().get("web").await.ok()?;
        e.subsets.unwrap_or_default().is_empty().then_some(())
    })
    .await;
}
