//! The objects an Experiment makes, as Argo Rollouts makes them: a ReplicaSet per template
//! named `<experiment>-<template>` and labelled with the template's pod-template hash, a
//! Service for a template that asks for one, and the arguments of its AnalysisRuns with the
//! experiment's placeholders filled in.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{PodTemplateSpec, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use linnet_crds::analysis::Argument;
use linnet_crds::experiment::{Experiment, TemplateSpec};

use super::plan::{duration_of, replica_set_name};
use crate::rollout::objects::hash::pod_template_hash;
use crate::rollout::objects::{ObjectError, POD_TEMPLATE_HASH_LABEL};

/// The annotation naming the experiment a ReplicaSet or Service belongs to.
pub const EXPERIMENT_NAME_ANNOTATION: &str = "experiment.argoproj.io/name";
/// The annotation naming the template a ReplicaSet or Service is for.
pub const TEMPLATE_NAME_ANNOTATION: &str = "experiment.argoproj.io/template-name";

/// The owner reference every object of the experiment carries.
pub fn owner(experiment: &Experiment) -> Result<OwnerReference, ObjectError> {
    let uid = experiment
        .metadata
        .uid
        .clone()
        .ok_or_else(|| ObjectError::MissingRolloutField {
            rollout: experiment.metadata.name.clone().unwrap_or_default(),
            field: "metadata.uid",
        })?;
    Ok(OwnerReference {
        api_version: "argoproj.io/v1alpha1".to_string(),
        kind: "Experiment".to_string(),
        name: experiment.metadata.name.clone().unwrap_or_default(),
        uid,
        controller: Some(true),
        block_owner_deletion: Some(true),
    })
}

/// The template's pods without a hash label of their own, and their hash.
pub fn template_hash(
    template: &TemplateSpec,
    collision_count: Option<i32>,
) -> Result<(PodTemplateSpec, String), ObjectError> {
    let mut pods = template.template.clone();
    if let Some(labels) = pods.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
    }
    let hash = pod_template_hash(&pods, collision_count)?;
    Ok((pods, hash))
}

fn annotations(experiment: &Experiment, template: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            EXPERIMENT_NAME_ANNOTATION.to_string(),
            experiment.metadata.name.clone().unwrap_or_default(),
        ),
        (TEMPLATE_NAME_ANNOTATION.to_string(), template.to_string()),
    ])
}

/// The template's ReplicaSet at `replicas`.
pub fn replica_set(
    experiment: &Experiment,
    template: &TemplateSpec,
    collision_count: Option<i32>,
    replicas: i32,
) -> Result<ReplicaSet, ObjectError> {
    let (mut pods, hash) = template_hash(template, collision_count)?;
    let hash_label = || BTreeMap::from([(POD_TEMPLATE_HASH_LABEL.to_string(), hash.clone())]);
    let pod_meta = pods.metadata.get_or_insert_default();
    pod_meta.labels.get_or_insert_default().extend(hash_label());
    let mut selector: LabelSelector = template.selector.clone();
    selector.match_labels.get_or_insert_default().extend(hash_label());
    let name = experiment.metadata.name.as_deref().unwrap_or_default();
    Ok(ReplicaSet {
        metadata: ObjectMeta {
            name: Some(replica_set_name(name, &template.name)),
            namespace: experiment.metadata.namespace.clone(),
            labels: Some(hash_label()),
            annotations: Some(annotations(experiment, &template.name)),
            owner_references: Some(vec![owner(experiment)?]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: template.min_ready_seconds,
            selector,
            template: Some(pods),
        }),
        status: None,
    })
}

/// The Service of a template: named as asked (else after the ReplicaSet), selecting the
/// ReplicaSet's pods by hash, with a port per container port. `None` when the pods expose no
/// port, as Argo then makes none.
pub fn service(
    experiment: &Experiment,
    template: &TemplateSpec,
    hash: &str,
) -> Result<Option<Service>, ObjectError> {
    let experiment_name = experiment.metadata.name.as_deref().unwrap_or_default();
    let name = template
        .service
        .as_ref()
        .and_then(|s| s.name.clone())
        .unwrap_or_else(|| replica_set_name(experiment_name, &template.name));
    let ports: Vec<ServicePort> = template
        .template
        .spec
        .iter()
        .flat_map(|spec| spec.containers.iter())
        .flat_map(|container| container.ports.iter().flatten())
        .map(|port| ServicePort {
            name: port.name.clone(),
            protocol: port.protocol.clone(),
            port: port.container_port,
            target_port: Some(IntOrString::Int(port.container_port)),
            ..ServicePort::default()
        })
        .collect();
    if ports.is_empty() {
        return Ok(None);
    }
    Ok(Some(Service {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: experiment.metadata.namespace.clone(),
            annotations: Some(annotations(experiment, &template.name)),
            owner_references: Some(vec![owner(experiment)?]),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([(
                POD_TEMPLATE_HASH_LABEL.to_string(),
                hash.to_string(),
            )])),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        status: None,
    }))
}

/// What an analysis's arguments may refer to.
pub struct Placeholders<'a> {
    /// Template name → (pod-template hash, ReplicaSet name).
    pub templates: &'a BTreeMap<String, (String, String)>,
    pub available_at: Option<Timestamp>,
    pub experiment: &'a Experiment,
}

/// The arguments with `{{templates.NAME.podTemplateHash}}`, `{{templates.NAME.replicaset.name}}`,
/// `{{experiment.availableAt}}` and `{{experiment.finishedAt}}` filled in. As in Argo, only
/// `value` is passed on (`valueFrom` is left out).
///
/// # Errors
/// The placeholder that has no value, as Argo's `failed to resolve {{…}}`.
pub fn resolve_args(args: &[Argument], values: &Placeholders<'_>) -> Result<Vec<Argument>, String> {
    args.iter()
        .map(|arg| {
            let value = arg.value.as_deref().map(|v| fill(v, values)).transpose()?;
            Ok(Argument {
                name: arg.name.clone(),
                value,
                value_from: None,
            })
        })
        .collect()
}

fn fill(text: &str, values: &Placeholders<'_>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let key = after[..end].trim();
        out.push_str(&lookup(key, values).ok_or_else(|| format!("failed to resolve {{{{{key}}}}}"))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn lookup(key: &str, values: &Placeholders<'_>) -> Option<String> {
    if let Some(rest) = key.strip_prefix("templates.") {
        let (template, field) = rest.split_once('.')?;
        let (hash, replica_set) = values.templates.get(template)?;
        return match field {
            "podTemplateHash" => Some(hash.clone()),
            "replicaset.name" => Some(replica_set.clone()),
            _ => None,
        };
    }
    let available_at = values.available_at?;
    match key {
        "experiment.availableAt" => Some(available_at.to_string()),
        "experiment.finishedAt" => {
            let duration = duration_of(&values.experiment.spec)?;
            let span = jiff::SignedDuration::try_from(duration).ok()?;
            Some(available_at.checked_add(span).ok()?.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn experiment() -> Experiment {
        serde_json::from_value(json!({
            "metadata": {"name": "exp", "namespace": "shop", "uid": "uid-1"},
            "spec": {"duration": "1h", "templates": [{
                "name": "canary", "replicas": 2, "minReadySeconds": 5,
                "selector": {"matchLabels": {"app": "web"}},
                "service": {},
                "template": {"metadata": {"labels": {"app": "web", POD_TEMPLATE_HASH_LABEL: "stale"}},
                    "spec": {"containers": [{"name": "web", "image": "web:2",
                        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]}}
            }]}
        }))
        .unwrap_or_else(|e| panic!("bad Experiment: {e}"))
    }

    #[test]
    fn a_templates_replica_set_is_named_labelled_and_owned_as_argo_makes_it() {
        let experiment = experiment();
        let template = &experiment.spec.templates[0];
        let rs = replica_set(&experiment, template, None, 2).unwrap_or_else(|e| panic!("{e}"));
        let (_, hash) = template_hash(template, None).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(hash, "stale", "the template's own hash label is not hashed");
        let value = serde_json::to_value(&rs).unwrap_or_default();
        assert_eq!(value["metadata"]["name"], "exp-canary");
        assert_eq!(
            value["metadata"]["labels"],
            json!({POD_TEMPLATE_HASH_LABEL: hash})
        );
        assert_eq!(
            value["metadata"]["annotations"],
            json!({EXPERIMENT_NAME_ANNOTATION: "exp", TEMPLATE_NAME_ANNOTATION: "canary"})
        );
        assert_eq!(value["metadata"]["ownerReferences"][0]["kind"], "Experiment");
        assert_eq!(value["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(value["spec"]["replicas"], 2);
        assert_eq!(value["spec"]["minReadySeconds"], 5);
        assert_eq!(
            value["spec"]["selector"]["matchLabels"],
            json!({"app": "web", POD_TEMPLATE_HASH_LABEL: hash})
        );
        assert_eq!(
            value["spec"]["template"]["metadata"]["labels"],
            json!({"app": "web", POD_TEMPLATE_HASH_LABEL: hash})
        );
        let other = template_hash(template, Some(1))
            .unwrap_or_else(|e| panic!("{e}"))
            .1;
        assert_ne!(other, hash, "a collision count changes the hash");
    }

    #[test]
    fn a_templates_service_selects_its_pods_by_hash_on_their_ports() {
        let experiment = experiment();
        let made = service(&experiment, &experiment.spec.templates[0], "h1")
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the pods expose a port"));
        let value = serde_json::to_value(&made).unwrap_or_default();
        assert_eq!(value["metadata"]["name"], "exp-canary");
        assert_eq!(value["spec"]["selector"], json!({POD_TEMPLATE_HASH_LABEL: "h1"}));
        assert_eq!(
            value["spec"]["ports"],
            json!([{"name": "http", "protocol": "TCP", "port": 8080, "targetPort": 8080}])
        );
        let mut portless = experiment.clone();
        if let Some(spec) = portless.spec.templates[0].template.spec.as_mut() {
            spec.containers[0].ports = None;
        }
        let none = service(&portless, &portless.spec.templates[0], "h1").unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_none());
    }

    #[test]
    fn analysis_arguments_get_the_experiments_values() {
        let experiment = experiment();
        let templates =
            BTreeMap::from([("canary".to_string(), ("h1".to_string(), "exp-canary".to_string()))]);
        let available_at: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
        let values = Placeholders {
            templates: &templates,
            available_at: Some(available_at),
            experiment: &experiment,
        };
        let arg = |name: &str, value: &str| Argument {
            name: name.into(),
            value: Some(value.into()),
            value_from: None,
        };
        let resolved = resolve_args(
            &[
                arg("hash", "{{templates.canary.podTemplateHash}}"),
                arg("rs", "rs={{ templates.canary.replicaset.name }}"),
                arg("window", "{{experiment.availableAt}}..{{experiment.finishedAt}}"),
            ],
            &values,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<_> = resolved
            .iter()
            .map(|a| a.value.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            got,
            [
                "h1",
                "rs=exp-canary",
                "2026-01-01T00:00:00Z..2026-01-01T01:00:00Z"
            ]
        );
        let error = resolve_args(&[arg("x", "{{templates.baseline.podTemplateHash}}")], &values).err();
        assert_eq!(
            error.as_deref(),
            Some("failed to resolve {{templates.baseline.podTemplateHash}}")
        );
    }
}
