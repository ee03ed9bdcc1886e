//! An Ingress as a traffic source, with the NGINX canary annotations: a canary Ingress
//! (`nginx.ingress.kubernetes.io/canary: "true"`) with the same host and path takes
//! `canary-weight` out of `canary-weight-total` (default 100) of the stable Ingress's
//! requests, and `canary-by-header` sends requests to it (header value `always`, or the
//! `canary-by-header-value`) or keeps them away (`never`) before any weight applies.
//! Requests spread evenly over the stable Ingress's host/path pairs. A path to port
//! `use-annotation` of a Service that has an AWS ALB forward action
//! (`alb.ingress.kubernetes.io/actions.<service>`, the default prefix) is split over the
//! action's target groups by their `Weight` (0 when left out).

use std::sync::Arc;

use k8s_openapi::api::networking::v1::Ingress;

use super::super::headers::HeaderModel;
use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec, annotations, backend_index, header_mask};

pub const CANARY: &str = "nginx.ingress.kubernetes.io/canary";
pub const CANARY_WEIGHT: &str = "nginx.ingress.kubernetes.io/canary-weight";
pub const CANARY_WEIGHT_TOTAL: &str = "nginx.ingress.kubernetes.io/canary-weight-total";
pub const CANARY_BY_HEADER: &str = "nginx.ingress.kubernetes.io/canary-by-header";
pub const CANARY_BY_HEADER_VALUE: &str = "nginx.ingress.kubernetes.io/canary-by-header-value";
pub const ALB_ACTION_PREFIX: &str = "alb.ingress.kubernetes.io/actions.";
const USE_ANNOTATION: &str = "use-annotation";

fn is_canary(ingress: &Ingress) -> bool {
    annotations(&ingress.metadata).get(CANARY).map(String::as_str) == Some("true")
}

/// One path of an Ingress and where it sends requests.
struct IngressPath {
    host: String,
    path: String,
    service: String,
    /// The Service port's name, when the backend names it by name.
    port_name: Option<String>,
}

/// Every path of an Ingress, or its default backend.
fn paths(ingress: &Ingress) -> Vec<IngressPath> {
    let Some(spec) = ingress.spec.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rule in spec.rules.iter().flatten() {
        let host = rule.host.clone().unwrap_or_default();
        for path in rule.http.iter().flat_map(|h| h.paths.iter()) {
            if let Some(service) = path.backend.service.as_ref() {
                out.push(IngressPath {
                    host: host.clone(),
                    path: path.path.clone().unwrap_or_else(|| "/".into()),
                    service: service.name.clone(),
                    port_name: service.port.as_ref().and_then(|p| p.name.clone()),
                });
            }
        }
    }
    if out.is_empty()
        && let Some(service) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref())
    {
        out.push(IngressPath {
            host: String::new(),
            path: "/".into(),
            service: service.name.clone(),
            port_name: service.port.as_ref().and_then(|p| p.name.clone()),
        });
    }
    out
}

pub(super) fn compile(out: &mut Compiled<'_>) {
    let ingresses = out.inputs.ingresses.clone();
    for ingress in ingresses.iter().filter(|i| !is_canary(i)) {
        let Some((rps, headers)) = out.source_settings("Ingress", &ingress.metadata) else {
            continue;
        };
        let namespace = ingress.metadata.namespace.clone().unwrap_or_default();
        let mut backends = Vec::new();
        let mut routes = Vec::new();
        for IngressPath {
            host,
            path,
            service: stable_service,
            port_name,
        } in paths(ingress)
        {
            if port_name.as_deref() == Some(USE_ANNOTATION)
                && let Some(action) =
                    annotations(&ingress.metadata).get(&format!("{ALB_ACTION_PREFIX}{stable_service}"))
            {
                match alb_split(action, &namespace, &mut backends) {
                    Ok(split) => routes.push(Route {
                        rules: vec![Rule::unconditional(split)],
                    }),
                    Err(reason) => out.problem("Ingress", &ingress.metadata, reason),
                }
                continue;
            }
            let stable = backend_index(&mut backends, reference(&namespace, &stable_service));
            let canary = canary_for(&ingresses, &namespace, &host, &path);
            let rules = match canary {
                None => vec![Rule::unconditional(Weighted::new([(stable, 1)]))],
                Some((canary_ingress, canary_service)) => {
                    let canary = backend_index(&mut backends, reference(&namespace, &canary_service));
                    canary_rules(&canary_ingress, &headers, stable, canary)
                }
            };
            routes.push(Route { rules });
        }
        let spec = SourceSpec {
            kind: "Ingress",
            meta: &ingress.metadata,
            headers,
            routes,
            backends,
        };
        out.add(rps, spec);
    }
}

fn reference(namespace: &str, service: &str) -> BackendRef {
    BackendRef {
        namespace: namespace.to_string(),
        service: service.to_string(),
        subset: None,
    }
}

/// The canary Ingress (first by name) serving the same host and path, with its Service.
fn canary_for(
    ingresses: &[Arc<Ingress>],
    namespace: &str,
    host: &str,
    path: &str,
) -> Option<(Arc<Ingress>, String)> {
    let mut candidates: Vec<&Arc<Ingress>> = ingresses
        .iter()
        .filter(|i| is_canary(i) && i.metadata.namespace.as_deref() == Some(namespace))
        .collect();
    candidates.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    candidates.into_iter().find_map(|candidate| {
        paths(candidate)
            .into_iter()
            .find(|p| p.host == host && p.path == path)
            .map(|p| (candidate.clone(), p.service))
    })
}

/// An ALB forward action's target groups, by weight.
fn alb_split(
    action: &str,
    namespace: &str,
    backends: &mut Vec<BackendRef>,
) -> Result<Weighted<usize>, String> {
    let action: serde_json::Value =
        serde_json::from_str(action).map_err(|e| format!("ALB action is not JSON: {e}"))?;
    let groups = action
        .pointer("/ForwardConfig/TargetGroups")
        .and_then(serde_json::Value::as_array)
        .ok_or("ALB action has no ForwardConfig.TargetGroups")?;
    let mut weights = Vec::new();
    for group in groups {
        let service = group
            .get("ServiceName")
            .and_then(serde_json::Value::as_str)
            .ok_or("ALB target group has no ServiceName")?;
        let weight = match group.get("Weight") {
            None => 0,
            Some(weight) => weight.as_u64().ok_or_else(|| {
                format!("ALB target group {service}: Weight {weight} is not a whole number")
            })?,
        };
        weights.push((backend_index(backends, reference(namespace, service)), weight));
    }
    Ok(Weighted::new(weights))
}

/// The NGINX decision order: header first, then weight.
fn canary_rules(canary: &Ingress, headers: &HeaderModel, stable: usize, canary_backend: usize) -> Vec<Rule> {
    let settings = annotations(&canary.metadata);
    let mut rules = Vec::new();
    if let Some(header) = settings.get(CANARY_BY_HEADER) {
        match settings.get(CANARY_BY_HEADER_VALUE) {
            Some(value) => rules.push(Rule {
                require: vec![header_mask(headers, header, |v| v == value)],
                split: Weighted::new([(canary_backend, 1)]),
            }),
            None => {
                rules.push(Rule {
                    require: vec![header_mask(headers, header, |v| v == "always")],
                    split: Weighted::new([(canary_backend, 1)]),
                });
                rules.push(Rule {
                    require: vec![header_mask(headers, header, |v| v == "never")],
                    split: Weighted::new([(stable, 1)]),
                });
            }
        }
    }
    let number = |key: &str, default: u64| {
        settings
            .get(key)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(default)
    };
    let total = number(CANARY_WEIGHT_TOTAL, 100).max(1);
    let weight = number(CANARY_WEIGHT, 0).min(total);
    rules.push(Rule::unconditional(Weighted::new([
        (stable, total - weight),
        (canary_backend, weight),
    ])));
    rules
}
