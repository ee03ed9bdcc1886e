//! An Istio `VirtualService` as a traffic source: the first `http` entry whose `match` fits
//! the request decides; its `route[].destination {host, subset}` weights split the traffic
//! (a lone destination without weight takes everything). A subset narrows the Service's
//! pods to the labels of the `DestinationRule` subset of that name for the same host.
//! Header matches may be `exact`, `prefix` or `regex`; requests are `GET /`.

use std::sync::Arc;

use kube::api::DynamicObject;
use serde_json::Value;

use super::super::headers::HeaderModel;
use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec, backend_index, full_match, header_mask, spec_of};
use crate::cluster::selector::Labels;

pub(super) fn compile(out: &mut Compiled<'_>) {
    let services = out.inputs.virtual_services.clone();
    let rules = out.inputs.destination_rules.clone();
    for vs in &services {
        let Some((rps, headers)) = out.source_settings("VirtualService", &vs.metadata) else {
            continue;
        };
        let namespace = vs.metadata.namespace.clone().unwrap_or_default();
        let mut backends = Vec::new();
        let mut compiled = Vec::new();
        for http in spec_of(vs)
            .get("http")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let split = split(http, &namespace, &rules, &mut backends);
            let matches = http
                .get("match")
                .and_then(Value::as_array)
                .filter(|m| !m.is_empty());
            let Some(matches) = matches else {
                compiled.push(Rule::unconditional(split));
                continue;
            };
            for m in matches {
                if let Some(require) = requirements(m, &headers) {
                    compiled.push(Rule {
                        require,
                        split: split.clone(),
                    });
                }
            }
        }
        let spec = SourceSpec {
            kind: "VirtualService",
            meta: &vs.metadata,
            headers,
            routes: vec![Route { rules: compiled }],
            backends,
        };
        out.add(rps, spec);
    }
}

/// `reviews`, `reviews.ns` or `reviews.ns.svc.cluster.local` → (namespace, service).
fn resolve_host(host: &str, default_namespace: &str) -> (String, String) {
    let mut labels = host.split('.');
    let service = labels.next().unwrap_or_default().to_string();
    let namespace = labels.next().unwrap_or(default_namespace).to_string();
    (namespace, service)
}

fn split(
    http: &Value,
    namespace: &str,
    rules: &[Arc<DynamicObject>],
    backends: &mut Vec<BackendRef>,
) -> Weighted<usize> {
    let destinations: Vec<&Value> = http
        .get("route")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let lone = destinations.len() == 1;
    Weighted::new(destinations.into_iter().filter_map(|route| {
        let destination = route.get("destination")?;
        let (dest_namespace, service) =
            resolve_host(destination.get("host").and_then(Value::as_str)?, namespace);
        let subset = destination
            .get("subset")
            .and_then(Value::as_str)
            .map(|name| subset_labels(rules, &dest_namespace, &service, name).unwrap_or_else(unmatchable));
        let weight = route
            .get("weight")
            .and_then(Value::as_u64)
            .unwrap_or(if lone { 100 } else { 0 });
        let reference = BackendRef {
            namespace: dest_namespace,
            service,
            subset,
        };
        Some((backend_index(backends, reference), weight))
    }))
}

/// A label set no pod has: a subset that no DestinationRule defines routes nowhere, as Istio
/// answers such requests with 503.
fn unmatchable() -> Labels {
    [("sim.linnet.dev/undefined-subset".to_string(), "true".to_string())]
        .into_iter()
        .collect()
}

fn subset_labels(
    rules: &[Arc<DynamicObject>],
    namespace: &str,
    service: &str,
    subset: &str,
) -> Option<Labels> {
    rules
        .iter()
        .filter(|dr| {
            let host = spec_of(dr)
                .get("host")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let dr_namespace = dr.metadata.namespace.clone().unwrap_or_default();
            resolve_host(host, &dr_namespace) == (namespace.to_string(), service.to_string())
        })
        .flat_map(|dr| {
            spec_of(dr)
                .get("subsets")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .find(|s| s.get("name").and_then(Value::as_str) == Some(subset))
        .map(|s| serde_json::from_value(s.get("labels").cloned().unwrap_or_default()).unwrap_or_default())
}

/// A test on a string value.
type Accepts = Box<dyn Fn(&str) -> bool>;

/// Whether an Istio StringMatch accepts a value; `None` for a kind the sim does not know.
fn string_match(matcher: &Value) -> Option<Accepts> {
    if let Some(exact) = matcher.get("exact").and_then(Value::as_str) {
        let exact = exact.to_string();
        return Some(Box::new(move |v| v == exact));
    }
    if let Some(prefix) = matcher.get("prefix").and_then(Value::as_str) {
        let prefix = prefix.to_string();
        return Some(Box::new(move |v| v.starts_with(&prefix)));
    }
    if let Some(pattern) = matcher.get("regex").and_then(Value::as_str) {
        let re = full_match(pattern)?;
        return Some(Box::new(move |v| re.is_match(v)));
    }
    None
}

fn requirements(m: &Value, headers: &HeaderModel) -> Option<Vec<u64>> {
    if let Some(uri) = m.get("uri") {
        let accepts = string_match(uri)?;
        if !accepts("/") {
            return None;
        }
    }
    if let Some(method) = m.get("method") {
        let accepts = string_match(method)?;
        if !accepts("GET") {
            return None;
        }
    }
    if m.get("queryParams")
        .and_then(Value::as_object)
        .is_some_and(|q| !q.is_empty())
    {
        return None;
    }
    let mut require = Vec::new();
    for (name, matcher) in m.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let accepts = string_match(matcher)?;
        require.push(header_mask(headers, name, |v| accepts(v)));
    }
    Some(require)
}
