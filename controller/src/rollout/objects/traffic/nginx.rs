//! NGINX Ingress: the canary Ingress generated from the stable one. It copies the rules whose
//! paths route to the stable Service, with those backends switched to the canary Service, and
//! carries the annotations that make ingress-nginx split traffic: `canary: "true"`,
//! `canary-weight` and, when `maxTrafficWeight` is set, `canary-weight-total`.
//!
//! A header route becomes `canary-by-header` (with `canary-by-header-value` or
//! `canary-by-header-pattern`), the one header condition ingress-nginx understands.

use std::collections::BTreeMap;

use linnet_crds::rollout::{NginxTrafficRouting, Rollout, SetHeaderRoute};
use serde_json::{Map, Value, json};

use super::{Subject, Weights, prefix_regex};
use crate::rollout::objects::{MANAGED_BY_ANNOTATION, ObjectError};

/// The annotation prefix ingress-nginx uses unless configured otherwise.
pub const DEFAULT_ANNOTATION_PREFIX: &str = "nginx.ingress.kubernetes.io";

const CANARY_SUFFIX: &str = "-canary";
const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const MAX_NAME_LENGTH: usize = 253;

/// `<rollout>-<stable ingress>-canary`, the prefix cut so the name fits 253 characters.
pub fn canary_ingress_name(rollout: &str, stable_ingress: &str) -> String {
    let mut prefix = format!("{rollout}-{stable_ingress}");
    let room = MAX_NAME_LENGTH - CANARY_SUFFIX.len();
    if prefix.len() > room {
        let mut cut = room;
        while !prefix.is_char_boundary(cut) {
            cut -= 1;
        }
        prefix.truncate(cut);
    }
    prefix + CANARY_SUFFIX
}

/// The canary Ingress for `stable_ingress` (a `networking.k8s.io/v1` Ingress), with the
/// canary weight and, if given, the header route.
///
/// Fails when the Rollout lacks its services, name or uid, when the stable Ingress has no path
/// routing to the stable Service, or when the header route asks for more than ingress-nginx
/// can express.
pub fn canary_ingress(
    rollout: &Rollout,
    stable_ingress: &Value,
    weights: Weights,
    header_route: Option<&SetHeaderRoute>,
) -> Result<Value, ObjectError> {
    let subject = Subject::of("Ingress", stable_ingress);
    let rollout_name = rollout.metadata.name.as_deref().unwrap_or_default();
    let missing = |field| ObjectError::MissingRolloutField {
        rollout: rollout_name.to_string(),
        field,
    };
    let canary = rollout.spec.strategy.as_ref().and_then(|s| s.canary.as_ref());
    let canary = canary.ok_or_else(|| missing("spec.strategy.canary"))?;
    let stable_service = canary
        .stable_service
        .as_deref()
        .ok_or_else(|| missing("canary.stableService"))?;
    let canary_service = canary
        .canary_service
        .as_deref()
        .ok_or_else(|| missing("canary.canaryService"))?;
    let uid = rollout
        .metadata
        .uid
        .as_deref()
        .ok_or_else(|| missing("metadata.uid"))?;
    let routing = canary.traffic_routing.as_ref();
    let nginx = routing.and_then(|r| r.nginx.clone()).unwrap_or_default();
    let prefix = nginx
        .annotation_prefix
        .as_deref()
        .unwrap_or(DEFAULT_ANNOTATION_PREFIX);

    let rules = canary_rules(stable_ingress, stable_service, canary_service, subject)?;
    let mut spec = Map::new();
    if let Some(class) = stable_ingress.pointer("/spec/ingressClassName") {
        spec.insert("ingressClassName".into(), class.clone());
    }
    spec.insert("rules".into(), Value::Array(rules));
    if let Some(tls) = stable_ingress.pointer("/spec/tls") {
        spec.insert("tls".into(), tls.clone());
    }

    let mut annotations = BTreeMap::new();
    // ingress-nginx pairs a canary with its main Ingress by class, so the class must match.
    if let Some(class) = stable_ingress
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(INGRESS_CLASS_ANNOTATION))
    {
        annotations.insert(INGRESS_CLASS_ANNOTATION.to_string(), class.clone());
    }
    annotations.insert(MANAGED_BY_ANNOTATION.to_string(), json!(rollout_name));
    add_user_annotations(&mut annotations, &nginx, prefix);
    if let Some(header) = header_route {
        add_header_annotations(&mut annotations, header, prefix, subject)?;
    }
    annotations.insert(format!("{prefix}/canary"), json!("true"));
    annotations.insert(
        format!("{prefix}/canary-weight"),
        json!(weights.canary.to_string()),
    );
    if let Some(total) = routing.and_then(|r| r.max_traffic_weight) {
        annotations.insert(format!("{prefix}/canary-weight-total"), json!(total.to_string()));
    }

    Ok(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": canary_ingress_name(rollout_name, subject.name),
            "namespace": stable_ingress.pointer("/metadata/namespace").cloned().unwrap_or(Value::Null),
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "name": rollout_name,
                "uid": uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": spec,
    }))
}

/// The annotation prefix the Rollout's nginx settings name, or ingress-nginx's default.
pub fn annotation_prefix(nginx: &NginxTrafficRouting) -> &str {
    nginx
        .annotation_prefix
        .as_deref()
        .unwrap_or(DEFAULT_ANNOTATION_PREFIX)
}

/// The canary weight a canary Ingress applies (`canary-weight`; 0 when unset, not a number, or
/// not marked `canary: "true"`).
pub fn canary_weight(canary_ingress: &Value, prefix: &str) -> i32 {
    let annotations = canary_ingress.pointer("/metadata/annotations");
    let annotation = |key: &str| {
        annotations
            .and_then(|a| a.get(format!("{prefix}/{key}")))
            .and_then(Value::as_str)
    };
    if annotation("canary") != Some("true") {
        return 0;
    }
    annotation("canary-weight")
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(0)
}

/// Copies the header-route annotations (`canary-by-header*`) of the live canary Ingress into a
/// freshly generated one, so that changing the weight keeps a header route in place.
pub fn keep_header_annotations(generated: &mut Value, live: &Value, prefix: &str) {
    let header_key = format!("{prefix}/canary-by-header");
    let Some(live) = live.pointer("/metadata/annotations").and_then(Value::as_object) else {
        return;
    };
    let Some(annotations) = generated
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (key, value) in live.iter().filter(|(key, _)| key.starts_with(&header_key)) {
        annotations.entry(key.clone()).or_insert_with(|| value.clone());
    }
}

/// The live canary Ingress with the generated one's annotations, owner and spec; everything
/// else the server keeps (resourceVersion, labels others set) stays as read.
pub fn updated(live: &Value, generated: &Value) -> Value {
    let mut edited = live.clone();
    for pointer in ["/metadata/annotations", "/metadata/ownerReferences"] {
        if let (Some(from), Some(metadata)) = (generated.pointer(pointer), edited.get_mut("metadata")) {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            metadata[key] = from.clone();
        }
    }
    edited["spec"] = generated.get("spec").cloned().unwrap_or(Value::Null);
    edited
}

/// The stable Ingress's rules cut down to the paths that route to the stable Service, each
/// switched to the canary Service (same port).
fn canary_rules(
    stable_ingress: &Value,
    stable_service: &str,
    canary_service: &str,
    subject: Subject<'_>,
) -> Result<Vec<Value>, ObjectError> {
    let rules = stable_ingress.pointer("/spec/rules").and_then(Value::as_array);
    let mut out = Vec::new();
    for rule in rules.into_iter().flatten() {
        let paths = rule.pointer("/http/paths").and_then(Value::as_array);
        let kept: Vec<Value> = paths
            .into_iter()
            .flatten()
            .filter(|path| {
                path.pointer("/backend/service/name").and_then(Value::as_str) == Some(stable_service)
            })
            .map(|path| {
                let mut path = path.clone();
                path["backend"]["service"]["name"] = json!(canary_service);
                path
            })
            .collect();
        if !kept.is_empty() {
            let mut rule = rule.clone();
            rule["http"]["paths"] = Value::Array(kept);
            out.push(rule);
        }
    }
    if out.is_empty() {
        return Err(subject.missing(format!(
            "spec.rules[].http.paths[].backend.service.name={stable_service}"
        )));
    }
    Ok(out)
}

/// `additionalIngressAnnotations` get the prefix unless they carry it; `canaryIngressAnnotations`
/// are written as given.
fn add_user_annotations(
    annotations: &mut BTreeMap<String, Value>,
    nginx: &NginxTrafficRouting,
    prefix: &str,
) {
    for (key, value) in nginx.additional_ingress_annotations.iter().flatten() {
        let key = if key.contains(prefix) {
            key.clone()
        } else {
            format!("{prefix}/{key}")
        };
        annotations.insert(key, json!(value));
    }
    for (key, value) in nginx.canary_ingress_annotations.iter().flatten() {
        annotations.insert(key.clone(), json!(value));
    }
}

fn add_header_annotations(
    annotations: &mut BTreeMap<String, Value>,
    header: &SetHeaderRoute,
    prefix: &str,
    subject: Subject<'_>,
) -> Result<(), ObjectError> {
    let matches = header.matches.as_deref().unwrap_or_default();
    let [only] = matches else {
        if matches.is_empty() {
            return Ok(());
        }
        return Err(
            subject.unsupported("a header route with more than one header (ingress-nginx matches one)")
        );
    };
    annotations.insert(format!("{prefix}/canary-by-header"), json!(only.header_name));
    let value = &only.header_value;
    match (&value.exact, &value.prefix, &value.regex) {
        (Some(exact), _, _) => annotations.insert(format!("{prefix}/canary-by-header-value"), json!(exact)),
        (None, Some(start), _) => annotations.insert(
            format!("{prefix}/canary-by-header-pattern"),
            json!(prefix_regex(start)),
        ),
        (None, None, Some(regex)) => {
            annotations.insert(format!("{prefix}/canary-by-header-pattern"), json!(regex))
        }
        (None, None, None) => return Err(subject.missing("setHeaderRoute.match[0].headerValue")),
    };
    Ok(())
}

#[cfg(test)]
#[path = "nginx_tests.rs"]
mod tests;
