//! Values the API server fills in when a manifest leaves them out.
//!
//! A live object carries them, the manifest usually does not; knowing them lets a comparison
//! treat "written as the default" and "left to the default" alike, and lets [`super::normalize`]
//! drop them from a live object so it reads like the manifest it came from.
//!
//! Paths are map keys from the object's root, with `*` standing for any list item.

use serde_json::{Map, Value, json};

/// Where the pod spec sits in each kind that holds one.
fn pod_spec_prefix(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController"
        | "Rollout" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

/// The default the server gives the field at `path` of an object of `kind`. `parent` is the map
/// holding the field, for defaults that depend on a sibling (a container's image, a port).
pub(crate) fn known_default(kind: &str, path: &[String], parent: &Map<String, Value>) -> Option<Value> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    if let Some(prefix) = pod_spec_prefix(kind)
        && let Some(rest) = path.strip_prefix(prefix)
        && let Some(value) = pod_spec_default(rest, parent)
    {
        return Some(value);
    }
    kind_default(kind, &path, parent)
}

fn pod_spec_default(path: &[&str], parent: &Map<String, Value>) -> Option<Value> {
    Some(match path {
        ["restartPolicy"] => json!("Always"),
        ["dnsPolicy"] => json!("ClusterFirst"),
        ["schedulerName"] => json!("default-scheduler"),
        ["terminationGracePeriodSeconds"] => json!(30),
        ["securityContext"] => json!({}),
        ["containers" | "initContainers", "*", field] => container_default(field, parent)?,
        ["containers" | "initContainers", "*", "ports", "*", "protocol"] => json!("TCP"),
        _ => return None,
    })
}

fn container_default(field: &str, container: &Map<String, Value>) -> Option<Value> {
    Some(match field {
        "terminationMessagePath" => json!("/dev/termination-log"),
        "terminationMessagePolicy" => json!("File"),
        "imagePullPolicy" => json!(pull_policy_for(container.get("image")?.as_str()?)),
        _ => return None,
    })
}

/// `Always` for an image with no tag or the `latest` tag, `IfNotPresent` otherwise; an image
/// pinned by digest is `IfNotPresent`.
fn pull_policy_for(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    match last_segment.split_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn kind_default(kind: &str, path: &[&str], parent: &Map<String, Value>) -> Option<Value> {
    Some(match (kind, path) {
        ("Deployment" | "ReplicaSet" | "StatefulSet", ["spec", "replicas"]) => json!(1),
        ("Deployment" | "StatefulSet" | "DaemonSet", ["spec", "revisionHistoryLimit"]) => json!(10),
        ("Deployment", ["spec", "progressDeadlineSeconds"]) => json!(600),
        ("Deployment", ["spec", "strategy", "type"]) => json!("RollingUpdate"),
        ("Deployment", ["spec", "strategy", "rollingUpdate", "maxSurge" | "maxUnavailable"]) => json!("25%"),
        ("StatefulSet", ["spec", "podManagementPolicy"]) => json!("OrderedReady"),
        ("StatefulSet" | "DaemonSet", ["spec", "updateStrategy", "type"]) => json!("RollingUpdate"),
        ("StatefulSet", ["spec", "updateStrategy", "rollingUpdate", "partition"]) => json!(0),
        ("Service", ["spec", "type"]) => json!("ClusterIP"),
        ("Service", ["spec", "sessionAffinity"]) => json!("None"),
        ("Service", ["spec", "internalTrafficPolicy"]) => json!("Cluster"),
        ("Service", ["spec", "ports", "*", "protocol"]) => json!("TCP"),
        ("Service", ["spec", "ports", "*", "targetPort"]) => parent.get("port")?.clone(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(pull_policy_for("nginx"), "Always");
        assert_eq!(pull_policy_for("nginx:latest"), "Always");
        assert_eq!(pull_policy_for("nginx:1.27"), "IfNotPresent");
        assert_eq!(pull_policy_for("registry.local:5000/team/app"), "Always");
        assert_eq!(pull_policy_for("registry.local:5000/team/app:v2"), "IfNotPresent");
        assert_eq!(pull_policy_for("app@sha256:abcd"), "IfNotPresent");
    }

    #[test]
    fn defaults_are_found_under_each_kinds_pod_spec() {
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let empty = Map::new();
        let dns = ["spec", "template", "spec", "dnsPolicy"];
        assert_eq!(
            known_default("Deployment", &path(&dns), &empty),
            Some(json!("ClusterFirst"))
        );
        assert_eq!(
            known_default("Pod", &path(&["spec", "dnsPolicy"]), &empty),
            Some(json!("ClusterFirst"))
        );
        assert_eq!(known_default("ConfigMap", &path(&dns), &empty), None);
        let cron = ["spec", "jobTemplate", "spec", "template", "spec", "schedulerName"];
        assert_eq!(
            known_default("CronJob", &path(&cron), &empty),
            Some(json!("default-scheduler"))
        );
        let port = json!({"port": 80}).as_object().cloned().unwrap_or_default();
        let target = ["spec", "ports", "*", "targetPort"];
        assert_eq!(known_default("Service", &path(&target), &port), Some(json!(80)));
    }
}
