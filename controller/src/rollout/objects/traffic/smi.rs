//! SMI: the TrafficSplit (`split.smi-spec.io`) that sends the root Service's traffic to the
//! stable and canary Services by weight. The controller creates it, named after
//! `trafficSplitName` or the Rollout, and rewrites its backends at each weight change.

use linnet_crds::rollout::{Rollout, SmiTrafficRouting};
use serde_json::{Value, json};

use super::{Backends, Weights};
use crate::rollout::objects::{MANAGED_BY_ANNOTATION, ObjectError};

/// The TrafficSplit API version written (the one Argo Rollouts defaults to).
pub const API_VERSION: &str = "split.smi-spec.io/v1alpha1";

/// The TrafficSplit's name: `trafficSplitName`, else the Rollout's name.
pub fn traffic_split_name<'a>(rollout: &'a Rollout, smi: &'a SmiTrafficRouting) -> &'a str {
    smi.traffic_split_name
        .as_deref()
        .or(rollout.metadata.name.as_deref())
        .unwrap_or_default()
}

/// The whole TrafficSplit to create or replace: `rootService` (the stable Service when unset)
/// split between the stable and canary backends.
pub fn traffic_split(
    rollout: &Rollout,
    smi: &SmiTrafficRouting,
    backends: Backends<'_>,
    weights: Weights,
) -> Result<Value, ObjectError> {
    let rollout_name = rollout.metadata.name.as_deref().unwrap_or_default();
    let uid = rollout
        .metadata
        .uid
        .as_deref()
        .ok_or_else(|| ObjectError::MissingRolloutField {
            rollout: rollout_name.to_string(),
            field: "metadata.uid",
        })?;
    let root = smi.root_service.as_deref().unwrap_or(backends.stable);
    Ok(json!({
        "apiVersion": API_VERSION,
        "kind": "TrafficSplit",
        "metadata": {
            "name": traffic_split_name(rollout, smi),
            "namespace": rollout.metadata.namespace,
            "annotations": {MANAGED_BY_ANNOTATION: rollout_name},
            "ownerReferences": [{
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "name": rollout_name,
                "uid": uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "service": root,
            "backends": backends_of(backends, weights),
        },
    }))
}

/// The live TrafficSplit with its backends set to the new weights (a merge of `spec` only, so
/// labels and annotations others set are kept).
pub fn set_weight(live: &Value, smi: &SmiTrafficRouting, backends: Backends<'_>, weights: Weights) -> Value {
    let mut edited = live.clone();
    let root = smi.root_service.as_deref().unwrap_or(backends.stable);
    edited["spec"] = json!({"service": root, "backends": backends_of(backends, weights)});
    edited
}

/// The canary and stable weights of a TrafficSplit's backends (integers, or whole-number
/// strings as `v1alpha1` quantities may be written); `None` when either backend is absent.
pub fn weights(split: &Value, backends: Backends<'_>) -> Option<Weights> {
    let entries = split.pointer("/spec/backends").and_then(Value::as_array)?;
    let weight_of = |service: &str| {
        let entry = entries
            .iter()
            .find(|b| b.get("service").and_then(Value::as_str) == Some(service))?;
        match entry.get("weight")? {
            Value::Number(n) => n.as_i64().and_then(|w| i32::try_from(w).ok()),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    };
    Some(Weights {
        canary: weight_of(backends.canary)?,
        stable: weight_of(backends.stable)?,
    })
}

fn backends_of(backends: Backends<'_>, weights: Weights) -> Value {
    json!([
        {"service": backends.canary, "weight": weights.canary},
        {"service": backends.stable, "weight": weights.stable},
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout() -> Rollout {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop", "uid": "uid-1"},
            "spec": {}
        }))
        .unwrap()
    }

    const BACKENDS: Backends<'static> = Backends {
        stable: "web-stable",
        canary: "web-canary",
    };

    #[test]
    fn traffic_split_weights_table() {
        let smi = SmiTrafficRouting::default();
        for (canary, max, stable) in [
            (0, None, 100),
            (20, None, 80),
            (100, None, 0),
            (20, Some(1000), 980),
        ] {
            let split = traffic_split(&rollout(), &smi, BACKENDS, Weights::split(canary, max)).unwrap();
            assert_eq!(
                split["spec"],
                json!({"service": "web-stable", "backends": [
                    {"service": "web-canary", "weight": canary}, {"service": "web-stable", "weight": stable}
                ]}),
                "canary {canary} of {max:?}"
            );
        }
    }

    #[test]
    fn names_root_service_and_owner() {
        let smi = SmiTrafficRouting {
            root_service: Some("web".into()),
            traffic_split_name: Some("web-split".into()),
        };
        let split = traffic_split(&rollout(), &smi, BACKENDS, Weights::split(10, None)).unwrap();
        assert_eq!(split["metadata"]["name"], "web-split");
        assert_eq!(split["metadata"]["namespace"], "shop");
        assert_eq!(split["metadata"]["ownerReferences"][0]["uid"], "uid-1");
        assert_eq!(split["spec"]["service"], "web");
        assert_eq!(
            traffic_split_name(&rollout(), &SmiTrafficRouting::default()),
            "web"
        );

        let mut live = split.clone();
        live["metadata"]["labels"] = json!({"team": "web"});
        let updated = set_weight(&live, &smi, BACKENDS, Weights::split(60, None));
        assert_eq!(updated["metadata"]["labels"], json!({"team": "web"}));
        assert_eq!(updated["spec"]["backends"][0]["weight"], 60);
        assert_eq!(updated["spec"]["backends"][1]["weight"], 40);

        let mut no_uid = rollout();
        no_uid.metadata.uid = None;
        assert_eq!(weights(&updated, BACKENDS), Some(Weights::split(60, None)));
        let mut quoted = updated.clone();
        quoted["spec"]["backends"][0]["weight"] = json!("25");
        assert_eq!(weights(&quoted, BACKENDS).map(|w| w.canary), Some(25));
        quoted["spec"]["backends"].as_array_mut().unwrap().remove(1);
        assert_eq!(weights(&quoted, BACKENDS), None);

        let error = traffic_split(&no_uid, &smi, BACKENDS, Weights::split(10, None)).unwrap_err();
        assert_eq!(error.to_string(), "Rollout web: metadata.uid is not set");
    }
}
