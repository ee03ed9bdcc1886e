//! Defaults the apiserver fills into built-in objects, so tests meet server-defaulted objects
//! as they would on a real cluster.

use serde_json::{Map, Value, json};

use crate::typed::TypedKind;

/// Sets `object[key] = value` when the key is absent or null.
fn default_field(object: &mut Map<String, Value>, key: &str, value: Value) {
    if object.get(key).is_none_or(Value::is_null) {
        object.insert(key.to_string(), value);
    }
}

fn object_at<'a>(value: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut current = value;
    for key in path {
        current = current.get_mut(*key)?;
    }
    current.as_object_mut()
}

/// Applies the built-in defaults of `kind` to an object about to be stored.
pub fn apply(kind: TypedKind, object: &mut Value) {
    match kind {
        TypedKind::Deployment => {
            if let Some(spec) = object_at(object, &["spec"]) {
                default_field(spec, "replicas", json!(1));
                default_field(spec, "revisionHistoryLimit", json!(10));
                default_field(spec, "progressDeadlineSeconds", json!(600));
                default_field(spec, "strategy", json!({"type": "RollingUpdate"}));
                if let Some(strategy) = spec.get_mut("strategy").and_then(Value::as_object_mut)
                    && strategy
                        .get("type")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t == "RollingUpdate")
                {
                    default_field(strategy, "type", json!("RollingUpdate"));
                    default_field(strategy, "rollingUpdate", json!({}));
                    if let Some(rolling) = strategy.get_mut("rollingUpdate").and_then(Value::as_object_mut) {
                        default_field(rolling, "maxUnavailable", json!("25%"));
                        default_field(rolling, "maxSurge", json!("25%"));
                    }
                }
            }
            pod_template(object);
        }
        TypedKind::ReplicaSet => {
            if let Some(spec) = object_at(object, &["spec"]) {
                default_field(spec, "replicas", json!(1));
            }
            pod_template(object);
        }
        TypedKind::StatefulSet => {
            if let Some(spec) = object_at(object, &["spec"]) {
                default_field(spec, "replicas", json!(1));
                default_field(spec, "podManagementPolicy", json!("OrderedReady"));
                default_field(spec, "revisionHistoryLimit", json!(10));
                default_field(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                );
            }
            pod_template(object);
        }
        TypedKind::DaemonSet => {
            if let Some(spec) = object_at(object, &["spec"]) {
                default_field(spec, "revisionHistoryLimit", json!(10));
                default_field(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
                );
            }
            pod_template(object);
        }
        TypedKind::Job => {
            if let Some(spec) = object_at(object, &["spec"]) {
                default_field(spec, "backoffLimit", json!(6));
                default_field(spec, "completions", json!(1));
                default_field(spec, "parallelism", json!(1));
            }
            pod_template(object);
        }
        TypedKind::Pod => {
            if let Some(spec) = object_at(object, &["spec"]) {
                pod_spec(spec);
            }
        }
        TypedKind::Service => {
            if let Some(spec) = object_at(object, &["spec"]) {
                default_field(spec, "type", json!("ClusterIP"));
                default_field(spec, "sessionAffinity", json!("None"));
                for port in spec
                    .get_mut("ports")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(port) = port.as_object_mut() {
                        default_field(port, "protocol", json!("TCP"));
                        if let Some(number) = port.get("port").cloned() {
                            default_field(port, "targetPort", number);
                        }
                    }
                }
            }
        }
        TypedKind::Secret => {
            if let Some(secret) = object.as_object_mut() {
                default_field(secret, "type", json!("Opaque"));
            }
        }
        TypedKind::Namespace => namespace(object),
        _ => {}
    }
}

fn namespace(object: &mut Value) {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(meta) = object_at(object, &["metadata"]) {
        default_field(meta, "labels", json!({}));
        if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
    }
    if let Some(root) = object.as_object_mut() {
        default_field(root, "spec", json!({}));
        default_field(root, "status", json!({}));
    }
    if let Some(spec) = object_at(object, &["spec"]) {
        default_field(spec, "finalizers", json!(["kubernetes"]));
    }
    if let Some(status) = object_at(object, &["status"]) {
        default_field(status, "phase", json!("Active"));
    }
}

fn pod_template(object: &mut Value) {
    if let Some(spec) = object_at(object, &["spec", "template", "spec"]) {
        pod_spec(spec);
    }
}

fn pod_spec(spec: &mut Map<String, Value>) {
    default_field(spec, "restartPolicy", json!("Always"));
    default_field(spec, "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, "schedulerName", json!("default-scheduler"));
    default_field(spec, "terminationGracePeriodSeconds", json!(30));
    default_field(spec, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        for container in spec
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(container) = container.as_object_mut() {
                container_defaults(container);
            }
        }
    }
}

fn container_defaults(container: &mut Map<String, Value>) {
    let image = container.get("image").and_then(Value::as_str).unwrap_or_default();
    let policy = if pulls_always(image) {
        "Always"
    } else {
        "IfNotPresent"
    };
    default_field(container, "imagePullPolicy", json!(policy));
    default_field(container, "terminationMessagePath", json!("/dev/termination-log"));
    default_field(container, "terminationMessagePolicy", json!("File"));
    default_field(container, "resources", json!({}));
    for port in container
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(port) = port.as_object_mut() {
            default_field(port, "protocol", json!("TCP"));
        }
    }
}

/// `:latest` or no tag (and no digest) means the kubelet always pulls.
fn pulls_always(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    match last_segment.split_once(':') {
        None => true,
        Some((_, tag)) => tag == "latest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "registry:5000/app"}]}}}});
        apply(TypedKind::Deployment, &mut d);
        assert_eq!(d["spec"]["replicas"], json!(1));
        assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], json!("25%"));
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], json!("Always"));
        assert_eq!(pod["containers"][0]["imagePullPolicy"], json!("IfNotPresent"));
        assert_eq!(pod["containers"][0]["ports"][0]["protocol"], json!("TCP"));
        assert_eq!(
            pod["containers"][1]["imagePullPolicy"],
            json!("Always"),
            "a registry port is not a tag"
        );
    }

    #[test]
    fn defaults_never_override_given_values() {
        let mut d = json!({"spec": {"replicas": 0, "strategy": {"type": "Recreate"}}});
        apply(TypedKind::Deployment, &mut d);
        assert_eq!(d["spec"]["replicas"], json!(0));
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn namespace_defaults() {
        let mut ns = json!({"metadata": {"name": "team"}});
        apply(TypedKind::Namespace, &mut ns);
        assert_eq!(ns["status"]["phase"], json!("Active"));
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            json!("team")
        );
    }
}
