//! The Rollout controller against the sim and its simulated cluster: a basic canary is
//! created, updated to a new image, paused at its step, promoted, and finishes on the new
//! version. Each test has its own sim, namespace and controller, all stopped when it ends.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

mod rollout_world;

use rollout_world::{
    TIMEOUT, World, given_a_cluster_with_the_controller, given_a_cluster_with_the_controller_for,
    replicas_of, str_at,
};

fn basic_canary(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
        },
    })
}

impl World {
    /// The merge patch `kubectl argo rollouts promote` sends to the status subresource.
    async fn promote(&self, name: &str) {
        let patch = Patch::Merge(json!({"status": {"pauseConditions": null}}));
        self.rollouts()
            .patch_status(name, &PatchParams::default(), &patch)
            .await
            .unwrap_or_else(|e| panic!("cannot promote Rollout {name}: {e}"));
    }

    /// Polls until a Warning Event with `reason` on Rollout `name` mentions `text`.
    async fn eventually_warning(&self, name: &str, reason: &str, text: &str) {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let list = events
                .list(&ListParams::default())
                .await
                .unwrap_or_else(|e| panic!("cannot list Events: {e}"));
            let found = list.items.iter().any(|event| {
                event.type_.as_deref() == Some("Warning")
                    && event.reason.as_deref() == Some(reason)
                    && event.note.as_deref().is_some_and(|note| note.contains(text))
                    && event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
            });
            if found {
                return;
            }
            let seen: Vec<_> = list
                .items
                .iter()
                .map(|e| (e.reason.clone(), e.note.clone()))
                .collect();
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {reason} Warning on {name} naming {text}; Events: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_canary_is_deployed_paused_at_its_step_and_promoted() {
    let world = given_a_cluster_with_the_controller("canary-basic").await;

    // When a basic canary Rollout is created
    world.create(basic_canary("web", "nginx:1.0")).await;
    // Then its first ReplicaSet is scaled to 5 and it is Healthy with stableRS == currentPodHash
    let first = world
        .eventually(
            "web",
            "Healthy on its first ReplicaSet with 5 ready",
            |status, replica_sets| {
                let hash = str_at(status, "currentPodHash");
                str_at(status, "phase") == "Healthy"
                    && !hash.is_empty()
                    && str_at(status, "stableRS") == hash
                    && replicas_of(replica_sets, hash) == Some((5, 5))
            },
        )
        .await;
    let stable = str_at(&first, "currentPodHash").to_string();

    // When the image changes
    world
        .patch_spec(
            "web",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2.0"}]}}}}),
        )
        .await;
    // Then a second ReplicaSet gets 1-2 replicas and the Rollout pauses at its pause step
    let paused = world
        .eventually(
            "web",
            "Paused with CanaryPauseStep and a canary of 1-2 replicas",
            |status, replica_sets| {
                let canary = str_at(status, "currentPodHash");
                let pause_reason = status["pauseConditions"][0]["reason"].as_str();
                canary != stable
                    && str_at(status, "phase") == "Paused"
                    && pause_reason == Some("CanaryPauseStep")
                    && str_at(status, "stableRS") == stable
                    && replicas_of(replica_sets, canary)
                        .is_some_and(|(replicas, _)| (1..=2).contains(&replicas))
            },
        )
        .await;
    let canary = str_at(&paused, "currentPodHash").to_string();

    // When it is promoted as the kubectl plugin does
    world.promote("web").await;
    // Then it ends Healthy on the new hash and the old ReplicaSet is at 0
    world
        .eventually(
            "web",
            "Healthy on the new hash with the old ReplicaSet at 0",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "stableRS") == canary
                    && str_at(status, "currentPodHash") == canary
                    && replicas_of(replica_sets, &canary) == Some((5, 5))
                    && replicas_of(replica_sets, &stable).is_some_and(|(replicas, _)| replicas == 0)
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_handles_only_rollouts_labelled_with_its_id() {
    let world = given_a_cluster_with_the_controller_for("instances", Some("blue")).await;

    // When one Rollout carries the instance's label and another carries none
    let mut mine = basic_canary("mine", "nginx:1.0");
    mine["metadata"]["labels"] = json!({"argo-rollouts.argoproj.io/controller-instance-id": "blue"});
    world.create(mine).await;
    world.create(basic_canary("theirs", "nginx:1.0")).await;

    // Then the labelled one is deployed
    world
        .eventually("mine", "Healthy", |status, _| {
            str_at(status, "phase") == "Healthy"
        })
        .await;
    // And the unlabelled one is left alone: no status, no ReplicaSet
    let theirs = world
        .rollouts()
        .get("theirs")
        .await
        .unwrap_or_else(|e| panic!("cannot read Rollout theirs: {e}"));
    assert_eq!(
        theirs.status, None,
        "an unlabelled Rollout got a status from instance blue"
    );
    let replica_sets = world.replica_sets().await;
    assert_eq!(
        replica_sets.len(),
        1,
        "only Rollout mine should own a ReplicaSet: {replica_sets:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_analysis_template_is_reported_as_a_warning_event() {
    let world = given_a_cluster_with_the_controller("missing-template").await;
    let mut manifest = basic_canary("web", "nginx:1.0");
    manifest["spec"]["strategy"]["canary"]["steps"] =
        json!([{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "success-rate"}]}}]);
    world.create(manifest).await;
    world
        .eventually("web", "Healthy", |status, _| str_at(status, "phase") == "Healthy")
        .await;

    // When the update reaches a step that needs an AnalysisRun
    world
        .patch_spec(
            "web",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2.0"}]}}}}),
        )
        .await;

    // Then a Warning Event on the Rollout names the template that is missing
    world
        .eventually_warning(
            "web",
            "AnalysisRunNotCreated",
            "AnalysisTemplate/success-rate not found",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stable_service_created_after_the_rollout_is_pointed_at_the_stable_pods() {
    let world = given_a_cluster_with_the_controller("services").await;
    let mut manifest = basic_canary("web", "nginx:1.0");
    manifest["spec"]["strategy"]["canary"]["stableService"] = json!("web-stable");
    world.create(manifest).await;
    // Given the Rollout has been looked at while its Service is missing
    world
        .eventually("web", "a status", |status, _| !str_at(status, "phase").is_empty())
        .await;

    // When the Service appears
    let services: Api<Service> = Api::namespaced(world.client.clone(), &world.namespace);
    let service: Service = serde_json::from_value(json!({
        "metadata": {"name": "web-stable"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }))
    .unwrap_or_else(|e| panic!("bad Service: {e}"));
    services
        .create(&PostParams::default(), &service)
        .await
        .unwrap_or_else(|e| panic!("cannot create Service web-stable: {e}"));

    // Then the Rollout is Healthy and the Service selects its stable pods
    let healthy = world
        .eventually("web", "Healthy", |status, _| str_at(status, "phase") == "Healthy")
        .await;
    let stable = str_at(&healthy, "stableRS").to_string();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let live = services
            .get("web-stable")
            .await
            .unwrap_or_else(|e| panic!("cannot read Service web-stable: {e}"));
        let selected = live
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .and_then(|s| s.get("rollouts-pod-template-hash").cloned());
        if selected.as_deref() == Some(stable.as_str()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Service web-stable selects {selected:?}, not the stable hash {stable}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_returns_when_its_shutdown_completes() {
    let mut world = given_a_cluster_with_the_controller("shutdown").await;
    world.create(basic_canary("web", "nginx:1.0")).await;
    world
        .eventually("web", "Healthy", |status, _| str_at(status, "phase") == "Healthy")
        .await;
    let Some((stop, task)) = world.controller.take() else {
        panic!("the controller was not started");
    };
    let _ = stop.send(());
    let stopped = tokio::time::timeout(Duration::from_secs(5), task).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the controller did not return within 5 s of its shutdown: {stopped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_event_is_counted_in_the_series_of_the_first() {
    use k8s_openapi::api::core::v1::ObjectReference;
    use kube::runtime::events::{Event as Note, EventType, Reporter};
    use linnet_controller::events::Recorder;

    let world = rollout_world::given_a_cluster("event-series").await;
    let recorder = Recorder::new(world.client.clone(), Reporter::from("linnet".to_string()));
    let regarding = ObjectReference {
        api_version: Some("argoproj.io/v1alpha1".into()),
        kind: Some("Rollout".into()),
        namespace: Some("event-series".into()),
        name: Some("web".into()),
        uid: Some("web-uid".into()),
        ..ObjectReference::default()
    };
    let note = |reason: &str| Note {
        type_: EventType::Normal,
        reason: reason.into(),
        note: Some(format!("{reason} happened")),
        action: "Reconcile".into(),
        secondary: None,
    };
    for reason in ["Scaled", "Scaled", "Scaled", "Switched"] {
        recorder
            .publish(&note(reason), &regarding)
            .await
            .unwrap_or_else(|e| panic!("cannot record {reason}: {e}"));
    }
    let events: Api<Event> = Api::namespaced(world.client.clone(), "event-series");
    let listed = events
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("cannot list Events: {e}"));
    let mut seen: Vec<(String, Option<i32>, String)> = listed
        .items
        .iter()
        .map(|e| {
            (
                e.reason.clone().unwrap_or_default(),
                e.series.as_ref().map(|s| s.count),
                e.reporting_controller.clone().unwrap_or_default(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("Scaled".to_string(), Some(3), "linnet".to_string()),
            ("Switched".to_string(), None, "linnet".to_string()),
        ]
    );
    let scaled = listed
        .items
        .iter()
        .find(|e| e.reason.as_deref() == Some("Scaled"));
    let regarding_name = scaled
        .and_then(|e| e.regarding.as_ref())
        .and_then(|r| r.name.clone());
    assert_eq!(regarding_name.as_deref(), Some("web"));
}
