//! The objects a Rollout manages, through the public API the executor uses: from a Rollout
//! read from the cluster to its ReplicaSet, the Service patch and a traffic route edit.

use linnet_controller::rollout::objects::traffic::{Backends, Weights, gateway, smi};
use linnet_controller::rollout::objects::{
    NewReplicaSet, POD_TEMPLATE_HASH_LABEL, ReplicaSetRole, new_replica_set, pod_template_hash,
    set_selector_patch, step_hash,
};
use linnet_crds::rollout::Rollout;
use serde_json::json;

/// A canary Rollout whose template is the one Argo Rollouts' own hash test pins to
/// `7bb4fbc896` (utils/hash/hash_test.go), with the steps of its `rollout-aborted` fixture
/// (recorded step hash `849b756fd4`).
fn rollout() -> Rollout {
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "red", "namespace": "shop", "uid": "8d1c0c3e-uid"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"name": "red"}},
            "template": {
                "metadata": {"labels": {"name": "red"}},
                "spec": {
                    "containers": [{"name": "red", "image": "red", "imagePullPolicy": "Always",
                                    "terminationMessagePath": "/dev/termination-log"}],
                    "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "securityContext": {}
                }
            },
            "strategy": {"canary": {
                "stableService": "red-stable", "canaryService": "red-canary",
                "canaryMetadata": {"labels": {"role": "canary"}},
                "steps": [{"setWeight": 10}, {"pause": {}}],
                "trafficRouting": {"plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "red"}}, "smi": {}}
            }}
        }
    }))
    .expect("fixture Rollout")
}

#[test]
fn replica_set_adopts_argos_name() {
    let rollout = rollout();
    let template = rollout.spec.template.as_ref().expect("template");
    let hash =
        pod_template_hash(template, rollout.status.as_ref().and_then(|s| s.collision_count)).expect("hash");
    assert_eq!(hash, "7bb4fbc896");
    assert_eq!(step_hash(&rollout).expect("step hash"), "849b756fd4");

    let rs = new_replica_set(
        &rollout,
        &NewReplicaSet {
            hash: &hash,
            replicas: 1,
            revision: 2,
            role: Some(ReplicaSetRole::Canary),
            avoid_hash: None,
        },
    )
    .expect("replica set");
    assert_eq!(rs.metadata.name.as_deref(), Some("red-7bb4fbc896"));
    let labels = rs
        .spec
        .and_then(|spec| spec.template)
        .and_then(|t| t.metadata)
        .and_then(|m| m.labels)
        .unwrap();
    assert_eq!(
        labels.get(POD_TEMPLATE_HASH_LABEL).map(String::as_str),
        Some("7bb4fbc896")
    );
    assert_eq!(labels.get("role").map(String::as_str), Some("canary"));

    let patch = set_selector_patch("red", &hash);
    assert_eq!(patch["spec"]["selector"][POD_TEMPLATE_HASH_LABEL], "7bb4fbc896");
}

#[test]
fn routes_follow_the_weight() {
    let rollout = rollout();
    let backends = Backends {
        stable: "red-stable",
        canary: "red-canary",
    };
    let config = gateway::GatewayApiConfig::of(&rollout)
        .expect("config")
        .expect("plugin configured");
    assert_eq!(config.route_names(), vec!["red"]);
    let route = json!({"metadata": {"name": "red"}, "spec": {"rules": [{"backendRefs": [
        {"name": "red-stable", "port": 80}, {"name": "red-canary", "port": 80}]}]}});
    let edited = gateway::set_weight(&route, backends, Weights::split(10, None)).expect("weights");
    assert_eq!(edited["spec"]["rules"][0]["backendRefs"][0]["weight"], 90);
    assert_eq!(edited["spec"]["rules"][0]["backendRefs"][1]["weight"], 10);

    let smi_config = rollout
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.canary.as_ref())
        .and_then(|c| c.traffic_routing.as_ref())
        .and_then(|r| r.smi.clone())
        .expect("smi");
    let split = smi::traffic_split(&rollout, &smi_config, backends, Weights::split(10, None)).expect("split");
    assert_eq!(split["metadata"]["name"], "red");
    assert_eq!(
        split["spec"]["backends"][0],
        json!({"service": "red-canary", "weight": 10})
    );
}
