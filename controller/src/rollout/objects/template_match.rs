//! Whether a ReplicaSet already runs a Rollout's pod template although its hash differs, as
//! Argo Rollouts decides it: the templates are equal once the hash label is removed and the
//! API server's defaults are applied. That is what makes `kubectl argo rollouts undo` (which
//! writes back an old ReplicaSet's template, defaults and all) scale the old ReplicaSet up
//! again instead of making a new one.
//!
//! Each side is reduced to a fingerprint: the caches keep only the fingerprint of a
//! ReplicaSet's template, not the template itself.

use std::hash::{DefaultHasher, Hash, Hasher};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Probe, ResourceRequirements};
use kube::ResourceExt;

use super::POD_TEMPLATE_HASH_LABEL;

/// Where a cached (stripped) ReplicaSet keeps the fingerprint of the template it no longer
/// holds. Only ever on the controller's in-memory copies; never written to the API.
pub const FINGERPRINT_ANNOTATION: &str = "linnet.internal/pod-template-fingerprint";

/// The fingerprint of `template` with the hash label removed and defaults applied; equal for
/// two templates Argo would call equal.
pub fn template_fingerprint(template: &PodTemplateSpec) -> String {
    let mut template = template.clone();
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
    }
    if let Some(metadata) = template.metadata.as_mut() {
        metadata.creation_timestamp = None;
    }
    if let Some(spec) = template.spec.as_mut() {
        default_pod_spec(spec);
    }
    let mut hasher = DefaultHasher::new();
    serde_json::to_string(&template)
        .unwrap_or_default()
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The fingerprint of a ReplicaSet's template: kept in [`FINGERPRINT_ANNOTATION`] on a cached
/// copy, computed from the template on a full one.
pub fn replica_set_fingerprint(rs: &ReplicaSet) -> Option<String> {
    if let Some(kept) = rs.annotations().get(FINGERPRINT_ANNOTATION) {
        return Some(kept.clone());
    }
    let template = rs.spec.as_ref()?.template.as_ref()?;
    template.spec.as_ref()?;
    Some(template_fingerprint(template))
}

/// The pod-template hash of the ReplicaSet that runs `template`: `pod_hash` itself when a
/// ReplicaSet carries it (or none matches), else the oldest ReplicaSet whose template matches,
/// as Argo's `FindNewReplicaSet` picks it. ReplicaSets being deleted are passed over.
pub fn running_hash<'a>(
    template: &PodTemplateSpec,
    pod_hash: &str,
    owned: impl IntoIterator<Item = &'a ReplicaSet>,
) -> String {
    let live: Vec<&ReplicaSet> = owned
        .into_iter()
        .filter(|rs| rs.metadata.deletion_timestamp.is_none())
        .collect();
    let hash_of = |rs: &ReplicaSet| rs.labels().get(POD_TEMPLATE_HASH_LABEL).cloned();
    if live.iter().any(|rs| hash_of(rs).as_deref() == Some(pod_hash)) {
        return pod_hash.to_string();
    }
    let wanted = template_fingerprint(template);
    let mut matching: Vec<&ReplicaSet> = live
        .into_iter()
        .filter(|rs| replica_set_fingerprint(rs).as_deref() == Some(wanted.as_str()))
        .collect();
    matching.sort_by_key(|rs| {
        (
            rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
            rs.name_any(),
        )
    });
    matching
        .first()
        .and_then(|rs| hash_of(rs))
        .unwrap_or_else(|| pod_hash.to_string())
}

/// The defaults the API server gives a pod spec (the common ones: those a template written
/// by hand leaves out and a ReplicaSet read back carries).
fn default_pod_spec(spec: &mut PodSpec) {
    set(&mut spec.restart_policy, "Always");
    set(&mut spec.dns_policy, "ClusterFirst");
    set(&mut spec.scheduler_name, "default-scheduler");
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.security_context.get_or_insert_with(Default::default);
    spec.enable_service_links.get_or_insert(true);
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for container in containers {
        default_container(container);
    }
    for volume in spec.volumes.iter_mut().flatten() {
        if let Some(config_map) = volume.config_map.as_mut() {
            config_map.default_mode.get_or_insert(0o644);
        }
        if let Some(secret) = volume.secret.as_mut() {
            secret.default_mode.get_or_insert(0o644);
        }
    }
}

fn default_container(container: &mut Container) {
    let pull = if pulls_always(container.image.as_deref().unwrap_or_default()) {
        "Always"
    } else {
        "IfNotPresent"
    };
    set(&mut container.image_pull_policy, pull);
    set(&mut container.termination_message_path, "/dev/termination-log");
    set(&mut container.termination_message_policy, "File");
    container
        .resources
        .get_or_insert_with(ResourceRequirements::default);
    for port in container.ports.iter_mut().flatten() {
        set(&mut port.protocol, "TCP");
    }
    for env in container.env.iter_mut().flatten() {
        if let Some(field) = env.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            set(&mut field.api_version, "v1");
        }
    }
    for probe in [
        &mut container.liveness_probe,
        &mut container.readiness_probe,
        &mut container.startup_probe,
    ]
    .into_iter()
    .flatten()
    {
        default_probe(probe);
    }
}

fn default_probe(probe: &mut Probe) {
    probe.timeout_seconds.get_or_insert(1);
    probe.period_seconds.get_or_insert(10);
    probe.success_threshold.get_or_insert(1);
    probe.failure_threshold.get_or_insert(3);
    if let Some(http) = probe.http_get.as_mut() {
        set(&mut http.scheme, "HTTP");
    }
}

fn set(field: &mut Option<String>, default: &str) {
    field.get_or_insert_with(|| default.to_string());
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
    use serde_json::json;

    use super::*;

    fn template(value: serde_json::Value) -> PodTemplateSpec {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("fixture template: {e}"))
    }

    fn as_written() -> serde_json::Value {
        json!({
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{
                "name": "web", "image": "nginx:1.0",
                "ports": [{"containerPort": 8080}],
                "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}
            }]}
        })
    }

    /// The same template as a ReplicaSet reads back: hash label and the server's defaults.
    fn as_read_back() -> serde_json::Value {
        json!({
            "metadata": {"labels": {"app": "web", "rollouts-pod-template-hash": "6d4f9c7b8"}},
            "spec": {
                "containers": [{
                    "name": "web", "image": "nginx:1.0",
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"},
                        "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                    "imagePullPolicy": "IfNotPresent", "resources": {},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
                }],
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                "terminationGracePeriodSeconds": 30, "securityContext": {}
            }
        })
    }

    #[test]
    fn a_template_read_back_with_defaults_matches_the_one_written() {
        let written = template_fingerprint(&template(as_written()));
        assert_eq!(written, template_fingerprint(&template(as_read_back())));
    }

    #[test]
    fn a_real_difference_is_not_hidden_by_the_defaults() {
        let written = template_fingerprint(&template(as_written()));
        let mut other_image = as_read_back();
        other_image["spec"]["containers"][0]["image"] = json!("nginx:2.0");
        let mut other_policy = as_read_back();
        other_policy["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
        let mut other_label = as_read_back();
        other_label["metadata"]["labels"]["tier"] = json!("front");
        for changed in [other_image, other_policy, other_label] {
            assert_ne!(
                written,
                template_fingerprint(&template(changed.clone())),
                "{changed}"
            );
        }
    }

    fn replica_set(name: &str, hash: &str, created: &str, template: serde_json::Value) -> ReplicaSet {
        let mut template = template;
        template["metadata"]["labels"]["rollouts-pod-template-hash"] = json!(hash);
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": created,
                "labels": {"rollouts-pod-template-hash": hash}},
            "spec": {"selector": {}, "template": template}
        }))
        .unwrap_or_else(|e| panic!("fixture ReplicaSet: {e}"))
    }

    #[test]
    fn the_running_hash_is_the_template_hash_first_then_the_oldest_matching_replica_set() {
        let written = template(as_written());
        let mut newer_image = as_read_back();
        newer_image["spec"]["containers"][0]["image"] = json!("nginx:2.0");
        let old = replica_set("web-aaa", "aaa", "2026-01-01T00:00:00Z", as_read_back());
        let older_twin = replica_set("web-zzz", "zzz", "2025-01-01T00:00:00Z", as_read_back());
        let other = replica_set("web-bbb", "bbb", "2026-02-01T00:00:00Z", newer_image);
        // No ReplicaSet carries the hash: the oldest matching one runs the template.
        assert_eq!(running_hash(&written, "new", [&other, &old, &older_twin]), "zzz");
        // One carries it: that one, whatever else matches.
        let own = replica_set("web-new", "new", "2026-03-01T00:00:00Z", as_read_back());
        assert_eq!(running_hash(&written, "new", [&old, &own]), "new");
        // Nothing matches: the template's own hash (a new ReplicaSet will carry it).
        assert_eq!(running_hash(&written, "new", [&other]), "new");
        // A ReplicaSet being deleted is not reused.
        let mut deleting = old.clone();
        deleting.metadata.deletion_timestamp = other.metadata.creation_timestamp.clone();
        assert_eq!(running_hash(&written, "new", [&deleting]), "new");
    }

    #[test]
    fn a_cached_replica_set_keeps_its_fingerprint_in_an_annotation() {
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "web-6d4f9c7b8"},
            "spec": {"selector": {}, "template": as_read_back()}
        }))
        .unwrap_or_else(|e| panic!("fixture ReplicaSet: {e}"));
        let computed = replica_set_fingerprint(&rs);
        assert_eq!(computed, Some(template_fingerprint(&template(as_written()))));
        let mut stripped = rs.clone();
        stripped
            .annotations_mut()
            .insert(FINGERPRINT_ANNOTATION.into(), "kept".into());
        if let Some(template) = stripped.spec.as_mut().and_then(|s| s.template.as_mut()) {
            template.spec = None;
        }
        assert_eq!(replica_set_fingerprint(&stripped).as_deref(), Some("kept"));
    }
}
