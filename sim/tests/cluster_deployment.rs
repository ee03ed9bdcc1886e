//! The simulated Deployment and ReplicaSet controllers as a client sees them, checked with
//! kubectl 1.32's `rollout status`.

mod cluster_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use cluster_support::{deployment, eventually, start};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_rolls_out_and_kubectl_sees_it_complete() {
    let t = start("deploy-rollout").await;
    t.create(deployment(
        "web",
        3,
        "app:v1",
        json!({"sim.linnet.dev/ready-after": "0.3"}),
    ))
    .await;
    let out = t
        .kubectl(&["rollout", "status", "deployment/web", "--timeout=15s"])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kubectl: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("successfully rolled out"), "{stdout}");

    let d: Deployment = t.get("web").await;
    let status = d.status.clone().unwrap_or_default();
    assert_eq!(status.observed_generation, d.metadata.generation);
    assert_eq!(
        (
            status.replicas,
            status.updated_replicas,
            status.ready_replicas,
            status.available_replicas
        ),
        (Some(3), Some(3), Some(3), Some(3))
    );
    let progressing = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing")
        .cloned();
    assert_eq!(
        progressing.and_then(|c| c.reason).as_deref(),
        Some("NewReplicaSetAvailable")
    );
    let annotations = d.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("1")
    );

    let sets: Vec<ReplicaSet> = t.list().await;
    assert_eq!(sets.len(), 1);
    let rs = &sets[0];
    let hash = rs
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .get("pod-template-hash")
        .cloned()
        .unwrap_or_default();
    assert_eq!(rs.metadata.name.as_deref(), Some(format!("web-{hash}").as_str()));
    let rs_status = rs.status.clone().unwrap_or_default();
    assert_eq!(
        (
            rs_status.replicas,
            rs_status.available_replicas,
            rs_status.fully_labeled_replicas
        ),
        (3, Some(3), Some(3))
    );

    let pods: Vec<Pod> = t.list().await;
    assert_eq!(pods.len(), 3);
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let suffix = name.strip_prefix(&format!("web-{hash}-")).unwrap_or_default();
        assert_eq!(suffix.len(), 5, "{name}");
        let owner = &pod.metadata.owner_references.clone().unwrap_or_default()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller, owner.block_owner_deletion),
            ("ReplicaSet", Some(true), Some(true))
        );
        assert!(is_ready(pod));
        let ip = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .unwrap_or_default();
        assert!(ip.starts_with("10."), "{ip}");
    }
}

/// Samples the pods while a rolling update runs: never more than desired + maxSurge, never
/// fewer ready than desired - maxUnavailable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_update_stays_within_surge_and_unavailability() {
    let t = start("deploy-rolling").await;
    let mut manifest = deployment("web", 4, "app:v1", json!({"sim.linnet.dev/ready-after": "0.2"}));
    manifest["spec"]["strategy"] =
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}});
    t.create(manifest).await;
    let out = t
        .kubectl(&["rollout", "status", "deployment/web", "--timeout=15s"])
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:v2", "ports": [{"name": "http", "containerPort": 8080}]}]}}}});
    t.api::<Deployment>()
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap_or_else(|e| panic!("cannot patch: {e}"));
    let most = AtomicUsize::new(0);
    let fewest_ready = AtomicUsize::new(usize::MAX);
    eventually(Duration::from_secs(15), "the rollout to finish", || {
        let pods_api = t.api::<Pod>();
        let api = t.api::<Deployment>();
        let (most, fewest_ready) = (&most, &fewest_ready);
        async move {
            let pods = pods_api.list(&ListParams::default()).await.ok()?.items;
            let live: Vec<&Pod> = pods
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .collect();
            most.fetch_max(live.len(), Ordering::Relaxed);
            fewest_ready.fetch_min(live.iter().filter(|p| is_ready(p)).count(), Ordering::Relaxed);
            let d = api.get("web").await.ok()?;
            let s = d.status.unwrap_or_default();
            let done = s.observed_generation == d.metadata.generation
                && s.updated_replicas == Some(4)
                && s.replicas == Some(4)
                && s.available_replicas == Some(4);
            done.then_some(())
        }
    })
    .await;
    let (most, fewest_ready) = (most.into_inner(), fewest_ready.into_inner());
    assert!(most <= 5, "at most 4 + 1 pods, saw {most}");
    assert!(fewest_ready >= 4, "never fewer than 4 ready, saw {fewest_ready}");

    let d: Deployment = t.get("web").await;
    let revision = d
        .metadata
        .annotations
        .unwrap_or_default()
        .get("deployment.kubernetes.io/revision")
        .cloned();
    assert_eq!(revision.as_deref(), Some("2"));
    let sets: Vec<ReplicaSet> = t.list().await;
    let replicas: Vec<i32> = {
        let mut r: Vec<i32> = sets
            .iter()
            .map(|rs| rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(-1))
            .collect();
        r.sort_unstable();
        r
    };
    assert_eq!(
        replicas,
        vec![0, 4],
        "the old ReplicaSet is scaled to zero and kept"
    );
    let out = t
        .kubectl(&["rollout", "status", "deployment/web", "--timeout=10s"])
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreate_never_runs_old_and_new_pods_together() {
    let t = start("deploy-recreate").await;
    let mut manifest = deployment("web", 2, "app:v1", json!({"sim.linnet.dev/ready-after": "0.2"}));
    manifest["spec"]["strategy"] = json!({"type": "Recreate"});
    t.create(manifest).await;
    let out = t
        .kubectl(&["rollout", "status", "deployment/web", "--timeout=15s"])
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let patch =
        json!({"spec": {"template": {"metadata": {"annotations": {"sim.linnet.dev/ready-after": "0.3"}}}}});
    t.api::<Deployment>()
        .patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap_or_else(|e| panic!("cannot patch: {e}"));
    let mixed = AtomicBool::new(false);
    eventually(Duration::from_secs(15), "the recreate to finish", || {
        let pods_api = t.api::<Pod>();
        let api = t.api::<Deployment>();
        let mixed = &mixed;
        async move {
            let pods = pods_api.list(&ListParams::default()).await.ok()?.items;
            let hashes: std::collections::BTreeSet<String> = pods
                .iter()
                .filter_map(|p| p.metadata.labels.as_ref()?.get("pod-template-hash").cloned())
                .collect();
            mixed.fetch_or(hashes.len() > 1, Ordering::Relaxed);
            let d = api.get("web").await.ok()?;
            let s = d.status.unwrap_or_default();
            let done = s.observed_generation == d.metadata.generation
                && hashes.len() == 1
                && s.updated_replicas == Some(2)
                && s.replicas == Some(2)
                && s.available_replicas == Some(2);
            done.then_some(())
        }
    })
    .await;
    assert!(!mixed.into_inner(), "old and new pods existed at the same time");
    let sets: Vec<ReplicaSet> = t.list().await;
    assert_eq!(sets.len(), 2, "a new ReplicaSet was made");
}
