//! Traefik: the weighted TraefikService (`trafficRouting.traefik.weightedTraefikServiceName`)
//! the user made, which lists the stable and canary Services under `spec.weighted.services`.
//! Only their two `weight`s are set, as Argo Rollouts does; every other entry and field is
//! left as it is.

use serde_json::Value;

use super::{Backends, Subject, Weights, array_mut, named_weights, set_named_weights};
use crate::rollout::objects::ObjectError;

const KIND: &str = "TraefikService";
const SERVICES: &str = "spec.weighted.services";

/// The live TraefikService with the canary and stable entries at `weights`.
pub fn set_weight(live: &Value, backends: Backends<'_>, weights: Weights) -> Result<Value, ObjectError> {
    let subject = Subject::of(KIND, live);
    let mut edited = live.clone();
    let services = array_mut(&mut edited, "/spec/weighted/services", subject, SERVICES)?;
    set_named_weights(services, "name", backends, weights, subject, SERVICES)?;
    Ok(edited)
}

/// The canary and stable weights the TraefikService gives; `None` when either entry or its
/// weight is absent.
pub fn weights(live: &Value, backends: Backends<'_>) -> Option<Weights> {
    let services = live
        .pointer("/spec/weighted/services")
        .and_then(Value::as_array)?;
    named_weights(services, "name", backends)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BACKENDS: Backends<'static> = Backends {
        stable: "web-stable",
        canary: "web-canary",
    };

    fn service(services: Value) -> Value {
        json!({
            "apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService",
            "metadata": {"name": "web", "labels": {"team": "web"}},
            "spec": {"weighted": {"services": services, "sticky": {"cookie": {}}}},
        })
    }

    #[test]
    fn sets_the_two_weights_and_keeps_the_rest() {
        let live = service(json!([
            {"name": "web-stable", "port": 80, "weight": 100},
            {"name": "web-canary", "port": 80},
            {"name": "web-mirror", "port": 80, "weight": 5},
        ]));
        for (canary, max, stable) in [
            (30, None, 70),
            (0, None, 100),
            (100, None, 0),
            (25, Some(1000), 975),
        ] {
            let edited =
                set_weight(&live, BACKENDS, Weights::split(canary, max)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                edited["spec"]["weighted"]["services"],
                json!([
                    {"name": "web-stable", "port": 80, "weight": stable},
                    {"name": "web-canary", "port": 80, "weight": canary},
                    {"name": "web-mirror", "port": 80, "weight": 5},
                ]),
                "canary {canary} of {max:?}"
            );
            assert_eq!(edited["metadata"], live["metadata"]);
            assert_eq!(edited["spec"]["weighted"]["sticky"], json!({"cookie": {}}));
            assert_eq!(weights(&edited, BACKENDS), Some(Weights::split(canary, max)));
        }
        assert_eq!(weights(&live, BACKENDS), None, "the canary has no weight yet");
    }

    #[test]
    fn a_missing_entry_or_list_is_named() {
        let no_canary = service(json!([{"name": "web-stable", "weight": 100}]));
        let error = set_weight(&no_canary, BACKENDS, Weights::split(10, None))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "TraefikService web: spec.weighted.services[name=web-canary] is missing or has the wrong shape"
            )
        );
        let mut unweighted = no_canary.clone();
        unweighted["spec"] = json!({"mirroring": {"name": "web-stable"}});
        let error = set_weight(&unweighted, BACKENDS, Weights::split(10, None))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("TraefikService web: spec.weighted.services is missing or has the wrong shape")
        );
    }
}
