//! End-to-end scenarios of the Rollout controller against the sim and its simulated cluster:
//! a blue-green update promoted by hand or fully, an aborted and retried canary, a fast
//! rollback to the stable template and one within the rollback window. Each test has its own sim, namespace and controller, all stopped
//! when it ends.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

mod rollout_world;

use rollout_world::{TIMEOUT, World, given_a_cluster_with_the_controller, replicas_of, str_at};

impl World {
    fn services(&self) -> Api<Service> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// A Service selecting `app: <app>`, as a user would write it before the Rollout.
    async fn create_service(&self, name: &str, app: &str) {
        let service: Service = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"selector": {"app": app}, "ports": [{"port": 80}]},
        }))
        .unwrap_or_else(|e| panic!("bad Service {name}: {e}"));
        self.services()
            .create(&PostParams::default(), &service)
            .await
            .unwrap_or_else(|e| panic!("cannot create Service {name}: {e}"));
    }

    /// The `rollouts-pod-template-hash` Service `name` selects, if any.
    async fn selected_hash(&self, name: &str) -> Option<String> {
        let live = self
            .services()
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("cannot read Service {name}: {e}"));
        live.spec
            .and_then(|s| s.selector)
            .and_then(|s| s.get("rollouts-pod-template-hash").cloned())
    }

    /// Polls until Service `name` selects `hash`, or fails after [`TIMEOUT`].
    async fn eventually_selects(&self, name: &str, hash: &str) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let selected = self.selected_hash(name).await;
            if selected.as_deref() == Some(hash) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Service {name} selects {selected:?}, not {hash}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A merge patch on the Rollout's status subresource, as the kubectl plugin sends.
    async fn patch_status(&self, name: &str, patch: Value) {
        self.rollouts()
            .patch_status(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot patch the status of Rollout {name}: {e}"));
    }

    async fn set_image(&self, name: &str, image: &str) {
        self.patch_spec(
            name,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}),
        )
        .await;
    }

    /// Polls until the Rollout is Healthy on its first ReplicaSet with `replicas` ready, and
    /// returns that ReplicaSet's hash.
    async fn eventually_deployed(&self, name: &str, replicas: i32) -> String {
        let first = self
            .eventually(
                name,
                &format!("Healthy on its first ReplicaSet with {replicas} ready"),
                |status, replica_sets| {
                    let hash = str_at(status, "currentPodHash");
                    str_at(status, "phase") == "Healthy"
                        && !hash.is_empty()
                        && str_at(status, "stableRS") == hash
                        && replicas_of(replica_sets, hash) == Some((replicas, replicas))
                },
            )
            .await;
        str_at(&first, "currentPodHash").to_string()
    }
}

fn rollout(name: &str, image: &str, replicas: i32, strategy: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            "strategy": strategy,
        },
    })
}

fn canary_40_then_pause(name: &str, image: &str) -> Value {
    rollout(
        name,
        image,
        5,
        json!({"canary": {"steps": [{"setWeight": 40}, {"pause": {}}]}}),
    )
}

fn pause_reason(status: &Value) -> Option<&str> {
    status["pauseConditions"][0]["reason"].as_str()
}

fn no_pause_conditions(status: &Value) -> bool {
    status["pauseConditions"]
        .as_array()
        .is_none_or(|conditions| conditions.is_empty())
}

/// Given a basic canary deployed and updated to a new image, paused at its pause step with
/// a canary of 2-3 replicas: returns (stable hash, canary hash).
async fn given_a_canary_paused_at_its_pause_step(world: &World) -> (String, String) {
    world.create(canary_40_then_pause("web", "nginx:1.0")).await;
    let stable = world.eventually_deployed("web", 5).await;
    world.set_image("web", "nginx:2.0").await;
    let paused = world
        .eventually(
            "web",
            "Paused with CanaryPauseStep and a canary of 2-3 replicas",
            |status, replica_sets| {
                let canary = str_at(status, "currentPodHash");
                canary != stable
                    && str_at(status, "phase") == "Paused"
                    && pause_reason(status) == Some("CanaryPauseStep")
                    && status["currentStepIndex"] == json!(1)
                    && str_at(status, "stableRS") == stable
                    && replicas_of(replica_sets, canary)
                        .is_some_and(|(replicas, _)| (2..=3).contains(&replicas))
            },
        )
        .await;
    let canary = str_at(&paused, "currentPodHash").to_string();
    (stable, canary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_is_previewed_paused_promoted_and_the_old_replica_set_scaled_down() {
    let world = given_a_cluster_with_the_controller("bluegreen-manual").await;
    world.create_service("web-active", "web").await;
    world.create_service("web-preview", "web").await;
    world
        .create(rollout(
            "web",
            "nginx:1.0",
            3,
            json!({"blueGreen": {
                "activeService": "web-active",
                "previewService": "web-preview",
                "autoPromotionEnabled": false,
                "scaleDownDelaySeconds": 2,
            }}),
        ))
        .await;
    // Given it is deployed: Healthy, both Services selecting the first hash
    let blue = world.eventually_deployed("web", 3).await;
    world.eventually_selects("web-active", &blue).await;
    world.eventually_selects("web-preview", &blue).await;

    // When the image changes
    world.set_image("web", "nginx:2.0").await;
    // Then a second ReplicaSet is scaled up and the Rollout pauses with BlueGreenPause
    let paused = world
        .eventually(
            "web",
            "Paused with BlueGreenPause and a second ReplicaSet of 3 ready",
            |status, replica_sets| {
                let green = str_at(status, "currentPodHash");
                green != blue
                    && str_at(status, "phase") == "Paused"
                    && pause_reason(status) == Some("BlueGreenPause")
                    && str_at(status, "stableRS") == blue
                    && replicas_of(replica_sets, green) == Some((3, 3))
            },
        )
        .await;
    let green = str_at(&paused, "currentPodHash").to_string();
    // And the preview Service selects the new hash while the active one keeps the old
    world.eventually_selects("web-preview", &green).await;
    // And a second later it still waits for promotion: paused, the active Service on the old hash
    tokio::time::sleep(Duration::from_secs(1)).await;
    let active = world.selected_hash("web-active").await;
    assert_eq!(
        active.as_deref(),
        Some(blue.as_str()),
        "web-active switched before promotion"
    );
    let still = world
        .rollouts()
        .get("web")
        .await
        .unwrap_or_else(|e| panic!("cannot read Rollout web: {e}"));
    let still = serde_json::to_value(&still.status).unwrap_or(Value::Null);
    assert!(
        str_at(&still, "phase") == "Paused" && pause_reason(&still) == Some("BlueGreenPause"),
        "the BlueGreenPause did not hold without promotion: {still:#}"
    );

    // When it is promoted as the kubectl plugin does
    world
        .patch_status("web", json!({"status": {"pauseConditions": null}}))
        .await;
    let promoted_at = tokio::time::Instant::now();
    // Then the active Service selects the new hash
    world.eventually_selects("web-active", &green).await;
    // And the Rollout ends Healthy with the new hash stable
    world
        .eventually(
            "web",
            "Healthy with stableRS == currentPodHash == the new hash",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "stableRS") == green
                    && str_at(status, "currentPodHash") == green
                    && replicas_of(replica_sets, &green) == Some((3, 3))
            },
        )
        .await;
    // And after the scale-down delay the old ReplicaSet is at 0
    world
        .eventually(
            "web",
            "the old ReplicaSet scaled to 0 after the scale-down delay",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && replicas_of(replica_sets, &blue).is_some_and(|(replicas, _)| replicas == 0)
            },
        )
        .await;
    // (the delay starts at the switch, after the promotion; deadlines are whole seconds, so
    // allow one second less than the delay)
    let waited = promoted_at.elapsed();
    assert!(
        waited >= Duration::from_secs(1),
        "the old ReplicaSet was scaled down {waited:?} after promotion, within its 2 s delay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_blue_green_preview_is_promoted_fully_to_its_full_size() {
    let world = given_a_cluster_with_the_controller("bluegreen-full").await;
    world.create_service("web-active", "web").await;
    world.create_service("web-preview", "web").await;
    let strategy = json!({"blueGreen": {
        "activeService": "web-active",
        "previewService": "web-preview",
        "autoPromotionEnabled": false,
        "previewReplicaCount": 1,
    }});
    world.create(rollout("web", "nginx:1.0", 3, strategy)).await;
    let blue = world.eventually_deployed("web", 3).await;
    // Given an update paused with a preview of one pod
    world.set_image("web", "nginx:2.0").await;
    let paused = world
        .eventually("web", "Paused with a preview of 1", |status, replica_sets| {
            let green = str_at(status, "currentPodHash");
            green != blue
                && pause_reason(status) == Some("BlueGreenPause")
                && replicas_of(replica_sets, green) == Some((1, 1))
        })
        .await;
    let green = str_at(&paused, "currentPodHash").to_string();

    // When it is promoted fully, as `promote --full` does
    world
        .patch_status("web", json!({"status": {"promoteFull": true}}))
        .await;
    // Then the new ReplicaSet goes to full size, takes the active Service and becomes stable
    world.eventually_selects("web-active", &green).await;
    world
        .eventually(
            "web",
            "Healthy on the new hash with 3 ready",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "stableRS") == green
                    && status["promoteFull"].is_null()
                    && replicas_of(replica_sets, &green) == Some((3, 3))
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_canary_rolls_back_and_a_retry_starts_its_steps_again() {
    let world = given_a_cluster_with_the_controller("abort-retry").await;
    let (stable, canary) = given_a_canary_paused_at_its_pause_step(&world).await;

    // When the update is aborted as the kubectl plugin does
    world
        .patch_status("web", json!({"status": {"abort": true}}))
        .await;
    // Then the Rollout is Degraded with RolloutAborted, the canary at 0 and the stable at 5
    world
        .eventually(
            "web",
            "Degraded (RolloutAborted) with the canary at 0 and the stable at 5 ready",
            |status, replica_sets| {
                str_at(status, "phase") == "Degraded"
                    && str_at(status, "message").starts_with("RolloutAborted")
                    && str_at(status, "stableRS") == stable
                    && replicas_of(replica_sets, &canary).is_some_and(|(replicas, _)| replicas == 0)
                    && replicas_of(replica_sets, &stable) == Some((5, 5))
            },
        )
        .await;

    // When it is retried as the kubectl plugin does
    world
        .patch_status("web", json!({"status": {"abort": false}}))
        .await;
    // Then the steps start again: the canary is scaled up and pauses at the pause step
    world
        .eventually(
            "web",
            "Paused again at the pause step with a canary of 2-3 replicas",
            |status, replica_sets| {
                str_at(status, "phase") == "Paused"
                    && pause_reason(status) == Some("CanaryPauseStep")
                    && status["currentStepIndex"] == json!(1)
                    && str_at(status, "currentPodHash") == canary
                    && str_at(status, "stableRS") == stable
                    && replicas_of(replica_sets, &canary)
                        .is_some_and(|(replicas, _)| (2..=3).contains(&replicas))
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reapplying_the_stable_template_mid_update_is_a_fast_rollback() {
    let world = given_a_cluster_with_the_controller("fast-rollback").await;
    let (stable, canary) = given_a_canary_paused_at_its_pause_step(&world).await;

    // When the stable template is applied again while the update is paused
    world.set_image("web", "nginx:1.0").await;
    // Then the Rollout is Healthy on the stable hash with its steps skipped, and the canary at 0
    world
        .eventually(
            "web",
            "Healthy on the stable hash, steps at their end, the canary at 0",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "currentPodHash") == stable
                    && str_at(status, "stableRS") == stable
                    && status["currentStepIndex"] == json!(2)
                    && no_pause_conditions(status)
                    && replicas_of(replica_sets, &canary).is_some_and(|(replicas, _)| replicas == 0)
                    && replicas_of(replica_sets, &stable) == Some((5, 5))
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_back_within_the_rollback_window_skips_the_steps() {
    let world = given_a_cluster_with_the_controller("rollback-window").await;
    // Given a canary with `rollbackWindow: {revisions: 2}` deployed on 1.0
    let mut manifest = canary_40_then_pause("web", "nginx:1.0");
    manifest["spec"]["rollbackWindow"] = json!({"revisions": 2});
    world.create(manifest).await;
    let first = world.eventually_deployed("web", 5).await;
    // (creation times have seconds precision: the next ReplicaSet must be visibly younger)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // and then updated to 2.0, promoted past its pause and Healthy
    world.set_image("web", "nginx:2.0").await;
    let paused = world
        .eventually("web", "Paused at its pause step on 2.0", |status, _| {
            str_at(status, "currentPodHash") != first && pause_reason(status) == Some("CanaryPauseStep")
        })
        .await;
    let second = str_at(&paused, "currentPodHash").to_string();
    world
        .patch_status("web", json!({"status": {"pauseConditions": null}}))
        .await;
    world
        .eventually("web", "Healthy on 2.0", |status, _| {
            str_at(status, "phase") == "Healthy" && str_at(status, "stableRS") == second
        })
        .await;

    // When 1.0 is applied again
    world.set_image("web", "nginx:1.0").await;
    // Then the first ReplicaSet takes over with the steps skipped, never pausing
    world
        .eventually(
            "web",
            "Healthy on the first ReplicaSet, steps at their end, 2.0 at 0",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "stableRS") == first
                    && status["currentStepIndex"] == json!(2)
                    && no_pause_conditions(status)
                    && replicas_of(replica_sets, &second).is_some_and(|(replicas, _)| replicas == 0)
                    && replicas_of(replica_sets, &first) == Some((5, 5))
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_with_the_plugins_json_patch_goes_back_to_the_old_replica_set() {
    let world = given_a_cluster_with_the_controller("undo").await;
    let (stable, canary) = given_a_canary_paused_at_its_pause_step(&world).await;

    // When the stable ReplicaSet's template (as the API server returns it, defaults filled in)
    // is written back with the JSON patch `kubectl argo rollouts undo` sends
    let replica_sets: Api<ReplicaSet> = Api::namespaced(world.client.clone(), &world.namespace);
    let old = replica_sets
        .get(&format!("web-{stable}"))
        .await
        .unwrap_or_else(|e| panic!("cannot read the stable ReplicaSet: {e}"));
    let mut template = serde_json::to_value(old.spec.and_then(|s| s.template))
        .unwrap_or_else(|e| panic!("cannot encode the template: {e}"));
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("rollouts-pod-template-hash");
    }
    assert_eq!(
        template["spec"]["containers"][0]["terminationMessagePath"], "/dev/termination-log",
        "the template read back carries the server's defaults"
    );
    let undo = json!([{"op": "replace", "path": "/spec/template", "value": template}]).to_string();
    let sent = kubectl(&world, &["patch", "rollout", "web", "--type=json", "-p", &undo]);
    assert!(
        sent.status.success(),
        "kubectl patch failed: {}",
        String::from_utf8_lossy(&sent.stderr)
    );

    // Then the old ReplicaSet runs the template again (a fast rollback: no steps, no third
    // ReplicaSet) and the canary is scaled away
    world
        .eventually(
            "web",
            "Healthy on the old ReplicaSet, with no new one",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "currentPodHash") == stable
                    && str_at(status, "stableRS") == stable
                    && replica_sets.len() == 2
                    && replicas_of(replica_sets, &canary).is_some_and(|(replicas, _)| replicas == 0)
                    && replicas_of(replica_sets, &stable) == Some((5, 5))
            },
        )
        .await;
}

/// The `role` label of each pod carrying `hash`, by pod name.
async fn pod_roles(world: &World, hash: &str) -> Vec<(String, Option<String>)> {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(world.client.clone(), &world.namespace);
    let selector = kube::api::ListParams::default().labels(&format!("rollouts-pod-template-hash={hash}"));
    let listed = pods
        .list(&selector)
        .await
        .unwrap_or_else(|e| panic!("cannot list pods: {e}"));
    let mut roles: Vec<_> = listed
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .map(|p| {
            let role = p.metadata.labels.as_ref().and_then(|l| l.get("role").cloned());
            (p.metadata.name.unwrap_or_default(), role)
        })
        .collect();
    roles.sort();
    roles
}

/// Polls until every pod of `hash` (at least `count`) carries `role`; returns their names.
async fn eventually_pods_labelled(world: &World, hash: &str, count: usize, role: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let roles = pod_roles(world, hash).await;
        if roles.len() >= count && roles.iter().all(|(_, r)| r.as_deref() == Some(role)) {
            return roles.into_iter().map(|(name, _)| name).collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pods of {hash} are not all role={role}: {roles:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_pods_are_relabelled_stable_on_promotion_without_a_restart() {
    // Given a canary with canaryMetadata and stableMetadata, deployed and updated to a new image
    let world = given_a_cluster_with_the_controller("role-metadata").await;
    let strategy = json!({"canary": {
        "canaryMetadata": {"labels": {"role": "canary"}},
        "stableMetadata": {"labels": {"role": "stable"}},
        "steps": [{"setWeight": 50}, {"pause": {}}],
    }});
    world.create(rollout("web", "nginx:1.0", 2, strategy)).await;
    let stable = world.eventually_deployed("web", 2).await;
    eventually_pods_labelled(&world, &stable, 2, "stable").await;
    world.set_image("web", "nginx:2.0").await;
    let paused = world
        .eventually("web", "Paused at its pause step", |status, _| {
            str_at(status, "phase") == "Paused" && str_at(status, "currentPodHash") != stable
        })
        .await;
    let canary = str_at(&paused, "currentPodHash").to_string();

    // Then the canary's pods carry the canary metadata
    let canary_pods = eventually_pods_labelled(&world, &canary, 1, "canary").await;

    // When it is promoted to the end
    world
        .patch_status("web", json!({"status": {"promoteFull": true}}))
        .await;

    // Then the same pods, not restarted, carry the stable metadata, as does their template
    world
        .eventually("web", "Healthy on the new version", |status, _| {
            str_at(status, "phase") == "Healthy" && str_at(status, "stableRS") == canary
        })
        .await;
    let relabelled = eventually_pods_labelled(&world, &canary, 2, "stable").await;
    for pod in &canary_pods {
        assert!(
            relabelled.contains(pod),
            "pod {pod} was replaced, not relabelled: {relabelled:?}"
        );
    }
    let replica_sets: Api<k8s_openapi::api::apps::v1::ReplicaSet> =
        Api::namespaced(world.client.clone(), &world.namespace);
    let new = replica_sets
        .get(&format!("web-{canary}"))
        .await
        .unwrap_or_else(|e| panic!("cannot read the new ReplicaSet: {e}"));
    let template_role = new
        .spec
        .and_then(|s| s.template)
        .and_then(|t| t.metadata?.labels?.get("role").cloned());
    assert_eq!(template_role.as_deref(), Some("stable"));
}

/// Runs kubectl 1.32 against the world's sim, in its namespace.
fn kubectl(world: &World, args: &[&str]) -> std::process::Output {
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
    std::process::Command::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.32")
        .arg("--kubeconfig")
        .arg(world.sim().kubeconfig_path())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["-n", &world.namespace])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_indefinite_pause_is_promoted_with_the_plugins_patch_sent_by_kubectl() {
    // Given a canary paused at its indefinite pause
    let world = given_a_cluster_with_the_controller("kubectl-promote").await;
    let (_, canary) = given_a_canary_paused_at_its_pause_step(&world).await;

    // When the plugin's promote patch is applied with kubectl
    let out = kubectl(
        &world,
        &[
            "patch",
            "rollout",
            "web",
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"pauseConditions":null}}"#,
        ],
    );
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Then the update goes on to the end, on the new version
    world
        .eventually(
            "web",
            "Healthy on the canary's version",
            |status, replica_sets| {
                str_at(status, "phase") == "Healthy"
                    && str_at(status, "stableRS") == canary
                    && replicas_of(replica_sets, &canary) == Some((5, 5))
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_pushed_during_an_update_replaces_the_canary() {
    // Given a canary paused mid-update on version 2
    let world = given_a_cluster_with_the_controller("new-version").await;
    let (stable, second) = given_a_canary_paused_at_its_pause_step(&world).await;

    // When version 3 is pushed
    world.set_image("web", "nginx:3.0").await;

    // Then version 3 becomes the canary from the first step, version 2 is scaled away and the
    // stable version keeps serving
    let paused = world
        .eventually(
            "web",
            "paused on version 3 with version 2 at 0",
            |status, replica_sets| {
                let third = str_at(status, "currentPodHash");
                third != second
                    && third != stable
                    && str_at(status, "phase") == "Paused"
                    && str_at(status, "stableRS") == stable
                    && replicas_of(replica_sets, &second).is_some_and(|(replicas, _)| replicas == 0)
                    && replicas_of(replica_sets, third)
                        .is_some_and(|(replicas, _)| (2..=3).contains(&replicas))
            },
        )
        .await;
    let third = str_at(&paused, "currentPodHash").to_string();

    // And promoted, it ends on version 3 with one ReplicaSet per version
    world
        .patch_status("web", json!({"status": {"promoteFull": true}}))
        .await;
    world
        .eventually("web", "Healthy on version 3", |status, replica_sets| {
            str_at(status, "phase") == "Healthy"
                && str_at(status, "stableRS") == third
                && replicas_of(replica_sets, &third) == Some((5, 5))
                && replica_sets.len() == 3
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_that_never_become_ready_hit_the_progress_deadline() {
    // Given a canary deployed with a 3 s progress deadline
    let world = given_a_cluster_with_the_controller("deadline").await;
    let mut manifest = canary_40_then_pause("web", "nginx:1.0");
    manifest["spec"]["progressDeadlineSeconds"] = json!(3);
    world.create(manifest).await;
    let stable = world.eventually_deployed("web", 5).await;

    // When a version whose pods crash is pushed
    world
        .patch_spec(
            "web",
            json!({"spec": {"template": {"metadata": {"annotations": {"sim.linnet.dev/crash": "true"}}}}}),
        )
        .await;

    // Then the update is Degraded with ProgressDeadlineExceeded
    let degraded = world
        .eventually("web", "Degraded by the progress deadline", |status, _| {
            let progressing = status["conditions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"));
            str_at(status, "phase") == "Degraded"
                && progressing.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded")
        })
        .await;
    assert_eq!(str_at(&degraded, "stableRS"), stable);
    // Without progressDeadlineAbort the update stays where it is: the stable pods it had not
    // scaled away (at most maxUnavailable, one of five) keep serving.
    let replica_sets = world.replica_sets().await;
    let ready = replicas_of(&replica_sets, &stable).map(|(_, ready)| ready);
    assert!(ready.is_some_and(|r| r >= 4), "stable ready: {ready:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_promotes_itself_after_auto_promotion_seconds() {
    // Given a blue-green Rollout with autoPromotionSeconds: 2
    let world = given_a_cluster_with_the_controller("bg-auto").await;
    world.create_service("web-active", "web").await;
    world.create_service("web-preview", "web").await;
    let strategy = json!({"blueGreen": {
        "activeService": "web-active",
        "previewService": "web-preview",
        "autoPromotionSeconds": 2,
    }});
    world.create(rollout("web", "nginx:1.0", 2, strategy)).await;
    let first = world.eventually_deployed("web", 2).await;
    world.eventually_selects("web-active", &first).await;

    // When a new version is pushed
    world.set_image("web", "nginx:2.0").await;

    // Then it is previewed, and after the delay promoted with no one asking
    let previewed = world
        .eventually("web", "previewing the new version", |status, _| {
            let hash = str_at(status, "currentPodHash");
            hash != first && !hash.is_empty()
        })
        .await;
    let second = str_at(&previewed, "currentPodHash").to_string();
    world.eventually_selects("web-preview", &second).await;
    world
        .eventually("web", "Healthy on the new version", |status, _| {
            str_at(status, "phase") == "Healthy" && str_at(status, "stableRS") == second
        })
        .await;
    world.eventually_selects("web-active", &second).await;
}

fn invalid_spec_message(status: &Value) -> &str {
    status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "InvalidSpec"))
        .and_then(|c| c["message"].as_str())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_selecting_another_rollouts_pods_is_invalid_until_that_one_is_gone() {
    // Given a Rollout "web" deployed with pods labelled app=web
    let world = given_a_cluster_with_the_controller("overlap").await;
    world.create(canary_40_then_pause("web", "nginx:1.0")).await;
    world.eventually_deployed("web", 5).await;

    // When a second Rollout whose selector (app=web) selects those pods is created
    let mut second = canary_40_then_pause("web-2", "nginx:1.0");
    second["spec"]["selector"] = json!({"matchLabels": {"app": "web"}});
    second["spec"]["template"]["metadata"]["labels"] = json!({"app": "web", "track": "two"});
    world.create(second).await;

    // Then the second is Degraded with InvalidSpec naming spec.selector and the first Rollout,
    // and it made no ReplicaSet
    let invalid = world
        .eventually("web-2", "InvalidSpec naming spec.selector", |status, _| {
            str_at(status, "phase") == "Degraded"
                && invalid_spec_message(status).contains("spec.selector")
                && invalid_spec_message(status).contains("Rollout \"web\"")
        })
        .await;
    assert!(
        invalid_spec_message(&invalid).contains("selects the pods"),
        "{invalid:#}"
    );
    let replica_sets = world.replica_sets().await;
    assert_eq!(replica_sets.len(), 1, "only web's ReplicaSet: {replica_sets:?}");
    // And the first, which was there first, stays Healthy
    world
        .eventually("web", "still Healthy", |status, _| {
            str_at(status, "phase") == "Healthy"
        })
        .await;

    // When the first Rollout is deleted
    world
        .rollouts()
        .delete("web", &Default::default())
        .await
        .unwrap_or_else(|e| panic!("cannot delete Rollout web: {e}"));
    // Then the second goes on by itself and is deployed
    world.eventually_deployed("web-2", 5).await;
}
