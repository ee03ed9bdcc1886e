//! End-to-end: a Rollout that takes its pod template from an existing Deployment
//! (`spec.workloadRef`), against the sim and its simulated cluster, which runs the Deployment
//! as Kubernetes would. The test has its own sim, namespace and controller.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

mod rollout_world;

use rollout_world::{TIMEOUT, World, given_a_cluster_with_the_controller, replicas_of, str_at};

const GENERATION_ANNOTATION: &str = "rollout.argoproj.io/workload-generation";

impl World {
    fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    async fn create_deployment(&self, name: &str, image: &str, replicas: i32) {
        let deployment: Deployment = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "web", "image": image}]},
                },
            },
        }))
        .unwrap_or_else(|e| panic!("bad Deployment {name}: {e}"));
        self.deployments()
            .create(&PostParams::default(), &deployment)
            .await
            .unwrap_or_else(|e| panic!("cannot create Deployment {name}: {e}"));
    }

    async fn set_deployment_image(&self, name: &str, image: &str) {
        let patch =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}});
        self.deployments()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot patch Deployment {name}: {e}"));
    }

    /// Polls until Deployment `name` has `spec.replicas` = `replicas`; returns its generation.
    async fn eventually_deployment_at(&self, name: &str, replicas: i32) -> i64 {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let live = self
                .deployments()
                .get(name)
                .await
                .unwrap_or_else(|e| panic!("cannot read Deployment {name}: {e}"));
            let at = live.spec.as_ref().and_then(|s| s.replicas);
            if at == Some(replicas) {
                return live.metadata.generation.unwrap_or(0);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Deployment {name} stays at {at:?} replicas, not {replicas}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A canary Rollout `web` of 3 replicas taking its template from Deployment `web`.
fn rollout_of_deployment(scale_down: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 3,
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "scaleDown": scale_down},
            "strategy": {"canary": {"steps": [{"setWeight": 34}, {"pause": {}}]}},
        },
    })
}

fn invalid_spec_message(status: &Value) -> &str {
    status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "InvalidSpec")
        .and_then(|c| c["message"].as_str())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_takes_over_a_deployment_progressively_and_follows_its_template() {
    let world = given_a_cluster_with_the_controller("workload-ref").await;
    // Given a Rollout whose workloadRef names a Deployment that does not exist yet
    world.create(rollout_of_deployment("progressively")).await;
    // Then it is an invalid spec naming the field
    world
        .eventually("web", "InvalidSpec naming spec.workloadRef.name", |status, _| {
            str_at(status, "phase") == "Degraded"
                && invalid_spec_message(status).contains("spec.workloadRef.name")
                && invalid_spec_message(status).contains("Deployment \"web\" not found")
        })
        .await;

    // When the Deployment is created, running 3 pods of 1.0
    world.create_deployment("web", "nginx:1.0", 3).await;
    // Then the Rollout runs its template on a ReplicaSet of its own and the Deployment is
    // scaled down as the Rollout's pods come up
    let healthy = world
        .eventually(
            "web",
            "Healthy on a ReplicaSet of 3 ready",
            |status, replica_sets| {
                let hash = str_at(status, "currentPodHash");
                str_at(status, "phase") == "Healthy"
                    && !hash.is_empty()
                    && replicas_of(replica_sets, hash) == Some((3, 3))
            },
        )
        .await;
    let first = str_at(&healthy, "currentPodHash").to_string();
    let generation = world.eventually_deployment_at("web", 0).await;
    // with the Deployment's generation reported and annotated as Argo does
    let followed = world
        .eventually("web", "the Deployment's generation observed", |status, _| {
            str_at(status, "workloadObservedGeneration") == generation.to_string()
        })
        .await;
    assert_eq!(
        str_at(&followed, "workloadObservedGeneration"),
        generation.to_string()
    );
    let live = world
        .rollouts()
        .get("web")
        .await
        .unwrap_or_else(|e| panic!("cannot read Rollout web: {e}"));
    assert_eq!(
        live.annotations().get(GENERATION_ANNOTATION),
        Some(&generation.to_string())
    );
    assert!(
        live.spec.template.is_none(),
        "the Rollout's own spec is left as written"
    );

    // When the Deployment's template changes to 2.0
    world.set_deployment_image("web", "nginx:2.0").await;
    // Then the Rollout starts its steps with a canary of the new template and pauses
    world
        .eventually(
            "web",
            "Paused at its pause step with a canary of 1",
            |status, replica_sets| {
                let canary = str_at(status, "currentPodHash");
                canary != first
                    && str_at(status, "stableRS") == first
                    && status["pauseConditions"][0]["reason"] == "CanaryPauseStep"
                    && replicas_of(replica_sets, canary) == Some((1, 1))
                    && str_at(status, "workloadObservedGeneration") == (generation + 1).to_string()
            },
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_rollout_selecting_the_pods_of_a_deployments_rollout_is_refused() {
    let world = given_a_cluster_with_the_controller("workload-overlap").await;
    // Given a Rollout running the template of Deployment web (pods labelled app=web), which
    // names no selector of its own
    world.create_deployment("web", "nginx:1.0", 3).await;
    world.create(rollout_of_deployment("never")).await;
    world
        .eventually("web", "Healthy", |status, _| str_at(status, "phase") == "Healthy")
        .await;

    // When a second Rollout whose selector (app=web) selects those pods is created
    world
        .create(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web-2"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web", "track": "two"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.0"}]},
                },
                "strategy": {"canary": {"steps": [{"setWeight": 50}]}},
            },
        }))
        .await;

    // Then it is Degraded with InvalidSpec naming spec.selector and the first Rollout, whose
    // labels came from the Deployment, and it made no ReplicaSet
    world
        .eventually("web-2", "InvalidSpec naming spec.selector", |status, _| {
            str_at(status, "phase") == "Degraded"
                && invalid_spec_message(status).contains("spec.selector")
                && invalid_spec_message(status).contains("Rollout \"web\"")
        })
        .await;
    let replica_sets = world.replica_sets().await;
    assert!(
        replica_sets
            .iter()
            .all(|(name, _, _)| !name.starts_with("web-2-")),
        "web-2 made no ReplicaSet: {replica_sets:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployments_status_writes_do_not_wake_its_rollout() {
    let world = given_a_cluster_with_the_controller("workload-status").await;
    // Given two Rollouts, each running the template of its own Deployment
    for name in ["web", "api"] {
        world.create_deployment(name, "nginx:1.0", 2).await;
        let mut rollout = rollout_of_deployment("never");
        rollout["metadata"]["name"] = json!(name);
        rollout["spec"]["workloadRef"]["name"] = json!(name);
        world.create(rollout).await;
        world
            .eventually(name, "Healthy", |status, _| str_at(status, "phase") == "Healthy")
            .await;
    }
    let api_stable = str_at(
        &world
            .eventually("api", "a stable ReplicaSet", |status, _| {
                !str_at(status, "stableRS").is_empty()
            })
            .await,
        "stableRS",
    )
    .to_string();

    // When Deployment web's status is written again and again (its spec unchanged), and then
    // Deployment api's template changes
    world.sim().clear_requests();
    for round in 0..5 {
        world
            .deployments()
            .patch_status(
                "web",
                &PatchParams::default(),
                &Patch::Merge(
                    json!({"status": {"conditions": [{"type": "Progressing", "status": "True",
                    "reason": "NewReplicaSetAvailable", "message": format!("status write {round}")}]}}),
                ),
            )
            .await
            .unwrap_or_else(|e| panic!("cannot write Deployment web's status: {e}"));
    }
    world.set_deployment_image("api", "nginx:2.0").await;

    // Then Rollout api starts its steps on the new template (the watch delivered every event
    // up to there, in order)
    world
        .eventually("api", "a canary of the new template", |status, _| {
            let canary = str_at(status, "currentPodHash");
            !canary.is_empty() && canary != api_stable
        })
        .await;
    // and no pass of Rollout web read its Deployment meanwhile: nothing it reads had changed
    let web_reads: Vec<String> = world
        .sim()
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/deployments/web") && !r.query.contains("watch"))
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert!(
        web_reads.is_empty(),
        "Rollout web was woken by its Deployment's status writes: {web_reads:?}"
    );
    let api_reads = world
        .sim()
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/deployments/api"))
        .count();
    assert!(api_reads > 0, "Rollout api's pass read its Deployment");
}

/// Creates `object` (any namespaced kind, by its apiVersion and kind) in the world's namespace.
async fn create_object(world: &World, object: Value) {
    let (api_version, kind) = (
        str_at(&object, "apiVersion").to_string(),
        str_at(&object, "kind").to_string(),
    );
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    let plural = format!("{}s", kind.to_lowercase());
    let resource = kube::api::ApiResource {
        group: group.to_string(),
        version: version.to_string(),
        api_version: api_version.clone(),
        kind: kind.clone(),
        plural,
    };
    let api: Api<kube::api::DynamicObject> =
        Api::namespaced_with(world.client.clone(), &world.namespace, &resource);
    let object: kube::api::DynamicObject =
        serde_json::from_value(object).unwrap_or_else(|e| panic!("bad {kind}: {e}"));
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("cannot create {kind}: {e}"));
}

fn pod_template_spec(app: &str, image: &str) -> Value {
    json!({"metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": "web", "image": image}]}})
}

/// A canary Rollout `name` of 2 replicas selecting `app=name`, its template from `reference`.
fn rollout_referencing(name: &str, reference: Value, selector: bool) -> Value {
    let mut rollout = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "workloadRef": reference,
            "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}},
        },
    });
    if selector {
        rollout["spec"]["selector"] = json!({"matchLabels": {"app": name}});
    }
    rollout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_follows_the_template_of_a_pod_template_or_a_replica_set() {
    let world = given_a_cluster_with_the_controller("workload-kinds").await;
    // Given a PodTemplate and a ReplicaSet of no replicas, both of nginx:1.0, and a Rollout
    // taking its template from each (the PodTemplate's naming its own selector)
    create_object(
        &world,
        json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "from-template"},
            "template": pod_template_spec("from-template", "nginx:1.0")}),
    )
    .await;
    create_object(
        &world,
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "from-rs"},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "from-rs"}},
                "template": pod_template_spec("from-rs", "nginx:1.0")}}),
    )
    .await;
    world
        .create(rollout_referencing(
            "from-template",
            json!({"apiVersion": "v1", "kind": "PodTemplate", "name": "from-template"}),
            true,
        ))
        .await;
    world
        .create(rollout_referencing(
            "from-rs",
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "from-rs"}),
            false,
        ))
        .await;
    // Then each runs that template on a ReplicaSet of its own, Healthy
    let mut stable = Vec::new();
    for name in ["from-template", "from-rs"] {
        let healthy = world
            .eventually(
                name,
                "Healthy on a ReplicaSet of 2 ready",
                |status, replica_sets| {
                    let hash = str_at(status, "currentPodHash");
                    str_at(status, "phase") == "Healthy" && replicas_of(replica_sets, hash) == Some((2, 2))
                },
            )
            .await;
        stable.push(str_at(&healthy, "currentPodHash").to_string());
    }

    // When the PodTemplate's and the ReplicaSet's templates change to nginx:2.0
    let image = json!([{"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:2.0"}]);
    let at = |prefix: &str| {
        let mut patch = image.clone();
        patch[0]["path"] = json!(format!("{prefix}/spec/containers/0/image"));
        Patch::<()>::Json(serde_json::from_value(patch).unwrap_or_else(|e| panic!("bad patch: {e}")))
    };
    let pod_templates: Api<k8s_openapi::api::core::v1::PodTemplate> =
        Api::namespaced(world.client.clone(), &world.namespace);
    pod_templates
        .patch("from-template", &PatchParams::default(), &at("/template"))
        .await
        .unwrap_or_else(|e| panic!("cannot patch PodTemplate from-template: {e}"));
    let replica_sets: Api<k8s_openapi::api::apps::v1::ReplicaSet> =
        Api::namespaced(world.client.clone(), &world.namespace);
    replica_sets
        .patch("from-rs", &PatchParams::default(), &at("/spec/template"))
        .await
        .unwrap_or_else(|e| panic!("cannot patch ReplicaSet from-rs: {e}"));
    // Then each Rollout, woken by the change, starts its steps with a canary of the new
    // template and pauses, reporting the workload's new generation
    for (name, stable) in ["from-template", "from-rs"].into_iter().zip(&stable) {
        world
            .eventually(name, "Paused with a canary of 1", |status, replica_sets| {
                let canary = str_at(status, "currentPodHash");
                canary != stable
                    && str_at(status, "stableRS") == stable
                    && status["pauseConditions"][0]["reason"] == "CanaryPauseStep"
                    && replicas_of(replica_sets, canary) == Some((1, 1))
                    && str_at(status, "workloadObservedGeneration") == "2"
            })
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_template_needs_the_rollouts_selector_and_only_a_deployment_scales_down() {
    let world = given_a_cluster_with_the_controller("workload-kinds-invalid").await;
    create_object(
        &world,
        json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "lone"},
            "template": pod_template_spec("lone", "nginx:1.0")}),
    )
    .await;
    // Given a Rollout taking its template from a PodTemplate and naming no selector, and one
    // asking a ReplicaSet to be scaled down
    world
        .create(rollout_referencing(
            "lone",
            json!({"apiVersion": "v1", "kind": "PodTemplate", "name": "lone"}),
            false,
        ))
        .await;
    world
        .create(rollout_referencing(
            "scaled",
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "lone", "scaleDown": "onsuccess"}),
            true,
        ))
        .await;
    // Then each is Degraded with InvalidSpec naming the field, and neither made a ReplicaSet
    for (name, field) in [
        ("lone", "spec.selector"),
        ("scaled", "spec.workloadRef.scaleDown"),
    ] {
        world
            .eventually(name, &format!("InvalidSpec naming {field}"), |status, _| {
                str_at(status, "phase") == "Degraded" && invalid_spec_message(status).contains(field)
            })
            .await;
    }
    let made = world.replica_sets().await;
    assert!(
        made.iter()
            .all(|(name, _, _)| !name.starts_with("lone-") && !name.starts_with("scaled-")),
        "no ReplicaSet was made: {made:?}"
    );
}
