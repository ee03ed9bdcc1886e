//! A weighted Traefik `TraefikService` as a traffic source: its requests are split over
//! `spec.weighted.services[]` (Services of its namespace, or of the entry's `namespace`) by
//! their integer `weight`; an entry without one weighs 1, as in Traefik.

use serde_json::Value;

use super::super::headers::HeaderModel;
use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec, backend_index, spec_of};

const KIND: &str = "TraefikService";

pub(super) fn compile(out: &mut Compiled<'_>) {
    let services = out.inputs.traefik_services.clone();
    for service in &services {
        let Some((rps, headers)) = out.source_settings(KIND, &service.metadata) else {
            continue;
        };
        let namespace = service.metadata.namespace.clone().unwrap_or_default();
        let Some(entries) = spec_of(service)
            .pointer("/weighted/services")
            .and_then(Value::as_array)
        else {
            out.problem(
                KIND,
                &service.metadata,
                "spec.weighted.services is not a list".to_string(),
            );
            continue;
        };
        let mut backends = Vec::new();
        let mut weights = Vec::new();
        for entry in entries {
            let Some(name) = entry.get("name").and_then(Value::as_str) else {
                continue;
            };
            let weight = match entry.get("weight") {
                None => 1,
                Some(weight) => match weight.as_u64() {
                    Some(weight) => weight,
                    None => {
                        let reason = format!("service {name}: weight {weight} is not a whole number");
                        out.problem(KIND, &service.metadata, reason);
                        continue;
                    }
                },
            };
            let reference = BackendRef {
                namespace: entry
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(&namespace)
                    .to_string(),
                service: name.to_string(),
                subset: None,
            };
            weights.push((backend_index(&mut backends, reference), weight));
        }
        let spec = SourceSpec {
            kind: KIND,
            meta: &service.metadata,
            headers: HeaderModel::clone(&headers),
            routes: vec![Route {
                rules: vec![Rule::unconditional(Weighted::new(weights))],
            }],
            backends,
        };
        out.add(rps, spec);
    }
}
