//! An Apache APISIX `ApisixRoute` as a traffic source: each of `spec.http[]` is an entry point
//! (requests spread evenly over them), split over its `backends[].serviceName` by integer
//! `weight` (100 when unset, as in APISIX). Synthetic requests carry no path or host to match,
//! so every rule's `match` is taken as met.

use serde_json::Value;

use super::super::headers::HeaderModel;
use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec, backend_index, spec_of};

const KIND: &str = "ApisixRoute";
const DEFAULT_WEIGHT: u64 = 100;

pub(super) fn compile(out: &mut Compiled<'_>) {
    let apisix_routes = out.inputs.apisix_routes.clone();
    for apisix_route in &apisix_routes {
        let Some((rps, headers)) = out.source_settings(KIND, &apisix_route.metadata) else {
            continue;
        };
        let namespace = apisix_route.metadata.namespace.clone().unwrap_or_default();
        let mut backends = Vec::new();
        let mut routes = Vec::new();
        for rule in spec_of(apisix_route)
            .get("http")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut weights = Vec::new();
            for backend in rule
                .get("backends")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(service) = backend.get("serviceName").and_then(Value::as_str) else {
                    continue;
                };
                let weight = match backend.get("weight") {
                    None => DEFAULT_WEIGHT,
                    Some(weight) => match weight.as_u64() {
                        Some(weight) => weight,
                        None => {
                            let reason = format!("backend {service}: weight {weight} is not a whole number");
                            out.problem(KIND, &apisix_route.metadata, reason);
                            continue;
                        }
                    },
                };
                let reference = BackendRef {
                    namespace: namespace.clone(),
                    service: service.to_string(),
                    subset: None,
                };
                weights.push((backend_index(&mut backends, reference), weight));
            }
            routes.push(Route {
                rules: vec![Rule::unconditional(Weighted::new(weights))],
            });
        }
        let spec = SourceSpec {
            kind: KIND,
            meta: &apisix_route.metadata,
            headers: HeaderModel::clone(&headers),
            routes,
            backends,
        };
        out.add(rps, spec);
    }
}
