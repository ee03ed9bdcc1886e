//! An SMI `TrafficSplit` as a traffic source: requests to `spec.service` are split over
//! `spec.backends[].service` by weight. Weights may be integers or quantities (`500m`), so
//! they are compared in thousandths.

use serde_json::Value;

use super::super::headers::HeaderModel;
use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec, backend_index, spec_of};

pub(super) fn compile(out: &mut Compiled<'_>) {
    let splits = out.inputs.traffic_splits.clone();
    for split in &splits {
        let Some((rps, headers)) = out.source_settings("TrafficSplit", &split.metadata) else {
            continue;
        };
        let namespace = split.metadata.namespace.clone().unwrap_or_default();
        let mut backends = Vec::new();
        let mut weights = Vec::new();
        for backend in spec_of(split)
            .get("backends")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(service) = backend.get("service").and_then(Value::as_str) else {
                continue;
            };
            let Some(weight) = backend.get("weight").and_then(milli_weight) else {
                out.problem(
                    "TrafficSplit",
                    &split.metadata,
                    format!("backend {service}: weight is not a number"),
                );
                continue;
            };
            let reference = BackendRef {
                namespace: namespace.clone(),
                service: service.to_string(),
                subset: None,
            };
            weights.push((backend_index(&mut backends, reference), weight));
        }
        let spec = SourceSpec {
            kind: "TrafficSplit",
            meta: &split.metadata,
            headers: HeaderModel::clone(&headers),
            routes: vec![Route {
                rules: vec![Rule::unconditional(Weighted::new(weights))],
            }],
            backends,
        };
        out.add(rps, spec);
    }
}

/// A weight in thousandths: `5` → 5000, `"5"` → 5000, `"500m"` → 500.
fn milli_weight(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return n.checked_mul(1000);
    }
    let text = value.as_str()?.trim();
    match text.strip_suffix('m') {
        Some(milli) => milli.parse().ok(),
        None => text.parse::<u64>().ok()?.checked_mul(1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weights_in_thousandths() {
        assert_eq!(milli_weight(&json!(5)), Some(5000));
        assert_eq!(milli_weight(&json!("5")), Some(5000));
        assert_eq!(milli_weight(&json!("500m")), Some(500));
        assert_eq!(milli_weight(&json!("half")), None);
    }
}
