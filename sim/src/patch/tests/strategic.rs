//! Strategic merge patch: each merge key, each directive, and the patches kubectl sends.

use serde_json::{Value, json};

use super::{Expect, check};
use crate::patch::strategic_merge_patch;

macro_rules! strategic_cases {
    ($($name:ident: $kind:literal, $doc:expr, $patch:expr => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            check(strategic_merge_patch(&$doc, &$patch, $kind), $expected);
        }
    )*};
}

/// A Deployment whose pod template has the given pod spec.
fn deployment(pod_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}}
    })
}

/// A Deployment with these containers, as an expected result.
fn deployment_with(containers: Value) -> Expect {
    Expect::Doc(deployment(json!({ "containers": containers })))
}

/// The pod spec patch wrapped as a Deployment patch.
fn template_patch(pod_spec_patch: Value) -> Value {
    json!({"spec": {"template": {"spec": pod_spec_patch}}})
}

/// A pod whose single container `c` has `list` in `field`.
fn pod_with_container_list(field: &str, list: Value) -> Value {
    json!({"kind": "Pod", "spec": {"containers": [{"name": "c", field: list}]}})
}

/// The nginx container with the given image and env value; it also has a port.
fn nginx_as(image: &str, mode: &str) -> Value {
    json!({
        "name": "nginx", "image": image,
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": mode}]
    })
}

fn nginx() -> Value {
    nginx_as("nginx:1.26", "prod")
}

fn sidecar() -> Value {
    json!({"name": "sidecar", "image": "envoy"})
}

fn config_map(metadata: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata})
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

strategic_cases! {
    empty_patch_is_identity: "Deployment", deployment(json!({"containers": [nginx()]})), json!({})
        => deployment_with(json!([nginx()]));
    maps_merge_and_null_deletes: "Deployment", deployment(json!({"containers": [nginx()]})),
        json!({"metadata": {"labels": {"team": "a"}, "namespace": null}, "spec": {"replicas": 5}})
        => Expect::Doc(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"team": "a"}},
            "spec": {"replicas": 5, "template": {"metadata": {"labels": {"app": "web"}},
                                                 "spec": {"containers": [nginx()]}}}}));
    kubectl_patch_container_image_keeps_ports_and_env: "Deployment",
        deployment(json!({"containers": [nginx()]})),
        template_patch(json!({"containers": [{"name": "nginx", "image": "nginx:2"}]}))
        => deployment_with(json!([nginx_as("nginx:2", "prod")]));
    kubectl_set_image: "Deployment", deployment(json!({"containers": [nginx(), sidecar()]})),
        template_patch(json!({
            "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
            "containers": [{"image": "nginx:1.27", "name": "nginx"}]}))
        => deployment_with(json!([nginx_as("nginx:1.27", "prod"), sidecar()]));
    kubectl_client_side_apply_update: "Deployment", deployment(json!({"containers": [nginx()]})),
        json!({
            "metadata": {"annotations": {LAST_APPLIED: "{\"kind\":\"Deployment\"}"}},
            "spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "nginx"}],
                "containers": [{"image": "nginx:1.27", "name": "nginx"}]}}}})
        => Expect::Doc(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default",
                         "annotations": {LAST_APPLIED: "{\"kind\":\"Deployment\"}"}},
            "spec": {"replicas": 2, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [nginx_as("nginx:1.27", "prod")]}}}}));
    kubectl_apply_removes_a_container_with_a_delete_directive: "Deployment",
        deployment(json!({"containers": [nginx(), sidecar()]})),
        template_patch(json!({"$setElementOrder/containers": [{"name": "nginx"}],
                              "containers": [{"$patch": "delete", "name": "sidecar"}]}))
        => deployment_with(json!([nginx()]));
    kubectl_rollout_restart: "Deployment", deployment(json!({"containers": [nginx()]})),
        json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: "2025-01-01T00:00:00Z"}}}}})
        => Expect::Doc(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 2, "template": {
                "metadata": {"labels": {"app": "web"},
                             "annotations": {RESTARTED_AT: "2025-01-01T00:00:00Z"}},
                "spec": {"containers": [nginx()]}}}}));
    new_container_goes_before_server_only_items: "Deployment",
        deployment(json!({"containers": [nginx()]})), template_patch(json!({"containers": [sidecar()]}))
        => deployment_with(json!([sidecar(), nginx()]));
    set_element_order_puts_a_new_container_last: "Deployment",
        deployment(json!({"containers": [nginx()]})),
        template_patch(json!({"$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                              "containers": [sidecar()]}))
        => deployment_with(json!([nginx(), sidecar()]));
    set_element_order_reorders_without_changing_items: "Deployment",
        deployment(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
        template_patch(json!({"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}))
        => deployment_with(json!([{"name": "b"}, {"name": "a"}]));
    init_containers_merge_by_name: "Deployment",
        deployment(json!({"initContainers": [{"name": "init", "image": "busybox", "args": ["x"]}]})),
        template_patch(json!({"initContainers": [{"name": "init", "image": "busybox:2"}]}))
        => Expect::Doc(deployment(json!({
            "initContainers": [{"name": "init", "image": "busybox:2", "args": ["x"]}]})));
    env_merges_by_name: "Deployment", deployment(json!({"containers": [nginx()]})),
        template_patch(json!({"containers": [{"name": "nginx", "env": [{"name": "MODE", "value": "dev"}]}]}))
        => deployment_with(json!([nginx_as("nginx:1.26", "dev")]));
    container_ports_merge_by_container_port: "Pod",
        pod_with_container_list("ports", json!([{"containerPort": 80, "name": "http"}])),
        pod_with_container_list("ports", json!([
            {"containerPort": 80, "protocol": "UDP"}, {"containerPort": 443}]))
        => Expect::Doc(pod_with_container_list("ports", json!([
            {"containerPort": 80, "name": "http", "protocol": "UDP"}, {"containerPort": 443}])));
    volume_mounts_merge_by_mount_path: "Pod",
        pod_with_container_list("volumeMounts", json!([{"mountPath": "/data", "name": "a"}])),
        pod_with_container_list("volumeMounts", json!([{"mountPath": "/data", "readOnly": true}]))
        => Expect::Doc(pod_with_container_list("volumeMounts", json!([
            {"mountPath": "/data", "name": "a", "readOnly": true}])));
    volume_devices_merge_by_device_path: "Pod",
        pod_with_container_list("volumeDevices", json!([{"devicePath": "/dev/a", "name": "a"}])),
        pod_with_container_list("volumeDevices", json!([{"devicePath": "/dev/a", "name": "b"}]))
        => Expect::Doc(pod_with_container_list("volumeDevices", json!([
            {"devicePath": "/dev/a", "name": "b"}])));
    volumes_merge_by_name: "Deployment",
        deployment(json!({
            "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "a"}}]})),
        template_patch(json!({"volumes": [{"name": "cfg", "configMap": {"name": "b"}}]}))
        => Expect::Doc(deployment(json!({
            "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "b"}}]})));
    volume_with_retain_keys_switches_source: "Deployment",
        deployment(json!({"volumes": [{"name": "data", "emptyDir": {}}]})),
        template_patch(json!({"volumes": [
            {"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]}))
        => Expect::Doc(deployment(json!({"volumes": [{"name": "data", "hostPath": {"path": "/x"}}]})));
    image_pull_secrets_merge_by_name: "Deployment", deployment(json!({"imagePullSecrets": [{"name": "a"}]})),
        template_patch(json!({"imagePullSecrets": [{"name": "b"}]}))
        => Expect::Doc(deployment(json!({"imagePullSecrets": [{"name": "b"}, {"name": "a"}]})));
    host_aliases_merge_by_ip: "Deployment",
        deployment(json!({"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["a"]}]})),
        template_patch(json!({"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["b"]}]}))
        => Expect::Doc(deployment(json!({"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["b"]}]})));
    owner_references_merge_by_uid: "ReplicaSet",
        config_map(json!({"ownerReferences": [{"uid": "1", "name": "a", "controller": true}]})),
        json!({"metadata": {"ownerReferences": [
            {"uid": "1", "controller": false}, {"uid": "2", "name": "b"}]}})
        => Expect::Doc(config_map(json!({"ownerReferences": [
            {"uid": "1", "name": "a", "controller": false}, {"uid": "2", "name": "b"}]})));
    finalizers_merge_as_a_set: "ConfigMap", config_map(json!({"finalizers": ["a", "b"]})),
        json!({"metadata": {"finalizers": ["b", "c"]}})
        => Expect::Doc(config_map(json!({"finalizers": ["a", "b", "c"]})));
    conditions_merge_by_type: "Deployment",
        json!({"status": {"conditions": [{"type": "Available", "status": "False"},
                                         {"type": "Progressing", "status": "True"}]}}),
        json!({"status": {"conditions": [{"type": "Available", "status": "True"}]}})
        => Expect::Doc(json!({"status": {"conditions": [
            {"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]}}));
    service_ports_merge_by_port: "Service",
        json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}),
        json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}})
        => Expect::Doc(json!({"spec": {"ports": [
            {"port": 80, "targetPort": 9090}, {"port": 443, "targetPort": 8443}]}}));
    cron_job_template_containers_merge_by_name: "CronJob",
        json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "c", "image": "a", "args": ["x"]}]}}}}}}),
        json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "c", "image": "b"}]}}}}}})
        => Expect::Doc(json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "c", "image": "b", "args": ["x"]}]}}}}}}));
    atomic_lists_are_replaced: "Deployment",
        deployment(json!({"tolerations": [{"key": "a"}], "containers": [{"name": "c", "args": ["1", "2"]}]})),
        template_patch(json!({"tolerations": [{"key": "b"}], "containers": [{"name": "c", "args": ["3"]}]}))
        => Expect::Doc(deployment(json!({
            "tolerations": [{"key": "b"}], "containers": [{"name": "c", "args": ["3"]}]})));
    lists_of_unknown_kinds_are_atomic: "ConfigMap", json!({"spec": {"containers": [{"name": "a", "x": 1}]}}),
        json!({"spec": {"containers": [{"name": "a", "y": 2}]}})
        => Expect::Doc(json!({"spec": {"containers": [{"name": "a", "y": 2}]}}));
    replace_directive_on_a_list: "Deployment", deployment(json!({"containers": [nginx(), sidecar()]})),
        template_patch(json!({"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}))
        => deployment_with(json!([{"name": "only", "image": "x"}]));
    delete_directive_on_a_list_item: "Deployment", deployment(json!({"containers": [nginx(), sidecar()]})),
        template_patch(json!({"containers": [{"$patch": "delete", "name": "nginx"}]}))
        => deployment_with(json!([sidecar()]));
    merge_directive_on_a_list_item_merges: "Deployment", deployment(json!({"containers": [sidecar()]})),
        template_patch(json!({"containers": [{"$patch": "merge", "name": "sidecar", "args": ["y"]}]}))
        => deployment_with(json!([{"name": "sidecar", "image": "envoy", "args": ["y"]}]));
    replace_directive_on_a_map: "Deployment",
        json!({"spec": {"selector": {"matchLabels": {"app": "web", "tier": "x"}}}}),
        json!({"spec": {"selector": {"$patch": "replace", "matchLabels": {"app": "api"}}}})
        => Expect::Doc(json!({"spec": {"selector": {"matchLabels": {"app": "api"}}}}));
    delete_directive_on_a_map: "Deployment",
        json!({"spec": {"replicas": 1, "strategy": {"type": "Recreate"}}}),
        json!({"spec": {"strategy": {"$patch": "delete"}}})
        => Expect::Doc(json!({"spec": {"replicas": 1}}));
    merge_directive_on_a_map: "Deployment", json!({"metadata": {"labels": {"a": "1"}}}),
        json!({"metadata": {"labels": {"$patch": "merge", "b": "2"}}})
        => Expect::Doc(json!({"metadata": {"labels": {"a": "1", "b": "2"}}}));
    retain_keys_clears_the_other_union_member: "Deployment",
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
        => Expect::Doc(json!({"spec": {"strategy": {"type": "Recreate"}}}));
    retain_keys_not_naming_a_patched_field_is_malformed: "Deployment", json!({"spec": {"strategy": {}}}),
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}) => Expect::Malformed;
    retain_keys_that_is_not_a_list_is_malformed: "Deployment", json!({"spec": {}}),
        json!({"spec": {"strategy": {"$retainKeys": "type"}}}) => Expect::Malformed;
    delete_from_primitive_list: "ConfigMap", config_map(json!({"finalizers": ["a", "b", "c"]})),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}})
        => Expect::Doc(config_map(json!({"finalizers": ["a", "c"]})));
    delete_from_primitive_list_and_add_in_one_patch: "ConfigMap",
        config_map(json!({"finalizers": ["a", "b"]})),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"],
                            "$setElementOrder/finalizers": ["b", "c"], "finalizers": ["c"]}})
        => Expect::Doc(config_map(json!({"finalizers": ["b", "c"]})));
    directives_do_not_leak_into_new_fields: "Deployment", json!({"spec": {}}),
        template_patch(json!({"$setElementOrder/containers": [{"name": "a"}],
                              "containers": [{"name": "a", "env": [{"name": "X", "$patch": "merge"}]}]}))
        => Expect::Doc(template_patch(json!({"containers": [{"name": "a", "env": [{"name": "X"}]}]})));
    null_inside_a_new_field_is_dropped: "Deployment", json!({}),
        json!({"spec": {"paused": null, "replicas": 1}})
        => Expect::Doc(json!({"spec": {"replicas": 1}}));
    patch_that_is_not_an_object_is_malformed: "Deployment", json!({}), json!([1]) => Expect::Malformed;
    unknown_patch_directive_is_malformed: "Deployment", json!({"spec": {}}),
        json!({"spec": {"$patch": "shuffle"}}) => Expect::Malformed;
    unknown_list_item_directive_is_malformed: "Deployment", deployment(json!({"containers": []})),
        template_patch(json!({"containers": [{"$patch": "shuffle", "name": "a"}]})) => Expect::Malformed;
    set_element_order_without_a_list_name_is_malformed: "Deployment", json!({}),
        json!({"$setElementOrder": [1]}) => Expect::Malformed;
    set_element_order_that_is_not_a_list_is_malformed: "Deployment", deployment(json!({"containers": []})),
        template_patch(json!({"$setElementOrder/containers": {"name": "a"}})) => Expect::Malformed;
    keyed_list_item_without_its_key_is_invalid: "Deployment", deployment(json!({"containers": [nginx()]})),
        template_patch(json!({"containers": [{"image": "x"}]})) => Expect::Invalid;
    keyed_list_item_that_is_not_an_object_is_invalid: "Deployment",
        deployment(json!({"containers": [nginx()]})), template_patch(json!({"containers": ["nginx"]}))
        => Expect::Invalid;
    set_list_with_object_items_is_invalid: "ConfigMap", config_map(json!({"finalizers": ["a"]})),
        json!({"metadata": {"finalizers": [{"a": 1}]}}) => Expect::Invalid;
}
