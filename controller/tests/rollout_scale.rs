//! The Rollout controller with many Rollouts changing at once, observing through its caches:
//! every Rollout is updated and promoted concurrently, and none ends with a duplicate or
//! stray ReplicaSet or a wrong scale, however far the caches lag the controller's own writes.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams};
use linnet_crds::rollout::Rollout;
use serde_json::{Value, json};

mod rollout_world;

use rollout_world::{World, given_a_cluster_with_the_controller};

const ROLLOUTS: usize = 20;
const LIMIT: Duration = Duration::from_secs(60);

fn canary(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}},
        },
    })
}

/// Per Rollout: its status as JSON.
async fn statuses(world: &World) -> BTreeMap<String, Value> {
    let list = world
        .rollouts()
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("cannot list Rollouts: {e}"));
    list.items
        .iter()
        .map(|r: &Rollout| {
            let status = serde_json::to_value(&r.status).unwrap_or(Value::Null);
            (r.name_any(), status)
        })
        .collect()
}

/// Per Rollout (by owner name): its ReplicaSets as (pod-template hash, spec.replicas), sorted.
async fn replica_sets_by_owner(world: &World) -> BTreeMap<String, Vec<(String, i32)>> {
    let api: Api<ReplicaSet> = Api::namespaced(world.client.clone(), &world.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("cannot list ReplicaSets: {e}"));
    let mut owned: BTreeMap<String, Vec<(String, i32)>> = BTreeMap::new();
    for rs in &list.items {
        let owner = rs
            .owner_references()
            .first()
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let hash = rs
            .labels()
            .get("rollouts-pod-template-hash")
            .cloned()
            .unwrap_or_default();
        let replicas = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(-1);
        owned.entry(owner).or_default().push((hash, replicas));
    }
    for sets in owned.values_mut() {
        sets.sort();
    }
    owned
}

/// Polls until every Rollout's status satisfies `check`, or fails showing those that do not.
async fn all_eventually(
    world: &World,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> BTreeMap<String, Value> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let now = statuses(world).await;
        let lagging: Vec<_> = now.iter().filter(|(_, s)| !check(s)).collect();
        if now.len() == ROLLOUTS && lagging.is_empty() {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all {ROLLOUTS} Rollouts got to: {what}; {} did not, first: {:?}",
            lagging.len(),
            lagging.first()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn str_of<'a>(status: &'a Value, field: &str) -> &'a str {
    status[field].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rollouts_updated_and_promoted_at_once_keep_one_replica_set_per_template() {
    let world = given_a_cluster_with_the_controller("scale").await;
    let names: Vec<String> = (0..ROLLOUTS).map(|i| format!("web-{i}")).collect();

    // Given 20 canary Rollouts, all Healthy
    for name in &names {
        world.create(canary(name, "nginx:1.0")).await;
    }
    let first = all_eventually(&world, "Healthy", |s| {
        str_of(s, "phase") == "Healthy" && str_of(s, "stableRS") == str_of(s, "currentPodHash")
    })
    .await;

    // When all of them get a new image at once
    for name in &names {
        let patch =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2.0"}]}}}});
        world.patch_spec(name, patch).await;
    }
    // Then each pauses at its canary step with exactly its stable and its canary ReplicaSet
    let paused = all_eventually(&world, "paused at the canary step", |s| {
        s["pauseConditions"].as_array().is_some_and(|p| !p.is_empty())
            && str_of(s, "currentPodHash") != str_of(s, "stableRS")
    })
    .await;
    let owned = replica_sets_by_owner(&world).await;
    for name in &names {
        let stable = str_of(&first[name], "currentPodHash");
        let canary = str_of(&paused[name], "currentPodHash");
        let sets = owned.get(name).cloned().unwrap_or_default();
        let hashes: Vec<&str> = sets.iter().map(|(hash, _)| hash.as_str()).collect();
        let mut expected = vec![stable, canary];
        expected.sort();
        assert_eq!(
            hashes, expected,
            "ReplicaSets of {name} at the canary step: {sets:?}"
        );
        let canary_replicas = sets.iter().find(|(hash, _)| hash == canary).map(|(_, r)| *r);
        assert_eq!(canary_replicas, Some(1), "canary of {name} at 50% of 2: {sets:?}");
    }

    // When all are promoted at once, as the kubectl plugin does
    let api: Api<Rollout> = world.rollouts();
    for name in &names {
        let patch = Patch::Merge(json!({"status": {"pauseConditions": null}}));
        api.patch_status(name, &PatchParams::default(), &patch)
            .await
            .unwrap_or_else(|e| panic!("cannot promote {name}: {e}"));
    }
    // Then each ends Healthy on the new template, the canary at full scale and the old one at 0
    all_eventually(&world, "Healthy on the new template", |s| {
        str_of(s, "phase") == "Healthy"
            && str_of(s, "stableRS") == str_of(s, "currentPodHash")
            && !str_of(s, "currentPodHash").is_empty()
    })
    .await;
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let owned = replica_sets_by_owner(&world).await;
        let wrong: Vec<_> = names
            .iter()
            .filter(|name| {
                let stable = str_of(&first[*name], "currentPodHash").to_string();
                let canary = str_of(&paused[*name], "currentPodHash").to_string();
                let mut expected = vec![(stable, 0), (canary, 2)];
                expected.sort();
                owned.get(*name) != Some(&expected)
            })
            .map(|name| (name, owned.get(name)))
            .collect();
        if wrong.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "ReplicaSets after promotion are not (old at 0, new at 2): {wrong:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
