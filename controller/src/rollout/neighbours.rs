//! Rollouts of one namespace whose pods overlap: one's selector selects the other's pod
//! template labels. Observation lists a Rollout's overlapping neighbours for the planner (which
//! reports the one that came later as invalid); a change to one Rollout wakes the neighbours
//! whose verdict it may change.

use std::collections::BTreeMap;
use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use linnet_crds::rollout::{Rollout, RolloutConditionType, selects};

use super::plan::OverlappingRollout;

/// The other Rollouts in `rollout`'s namespace whose pods overlap its own.
pub fn overlapping(rollout: &Rollout, all: &[Arc<Rollout>]) -> Vec<OverlappingRollout> {
    same_namespace(rollout, all)
        .filter_map(|other| {
            let selected_by_us = selects_pods_of(rollout, other);
            let selects_ours = selects_pods_of(other, rollout);
            (selected_by_us || selects_ours).then(|| OverlappingRollout {
                name: other.name_any(),
                created: other.metadata.creation_timestamp.as_ref().map(|t| t.0),
                selected_by_us,
                selects_ours,
            })
        })
        .collect()
}

/// The Rollouts to plan again after `changed` was created, changed or deleted: those whose
/// pods overlap it now, and those whose InvalidSpec names it (the overlap may be gone).
pub fn to_wake(changed: &Rollout, all: &[Arc<Rollout>]) -> Vec<ObjectRef<Rollout>> {
    let named = format!("Rollout \"{}\"", changed.name_any());
    same_namespace(changed, all)
        .filter(|other| {
            selects_pods_of(changed, other)
                || selects_pods_of(other, changed)
                || invalid_naming(other, &named)
        })
        .map(ObjectRef::from_obj)
        .collect()
}

fn same_namespace<'a>(rollout: &'a Rollout, all: &'a [Arc<Rollout>]) -> impl Iterator<Item = &'a Rollout> {
    let namespace = rollout.namespace();
    let uid = rollout.uid();
    all.iter()
        .map(AsRef::as_ref)
        .filter(move |other| other.namespace() == namespace && other.uid() != uid)
}

/// Whether `by`'s selector selects the pods `of`'s template makes. A Rollout without a
/// selector or template selects nothing and has no pods here.
fn selects_pods_of(by: &Rollout, of: &Rollout) -> bool {
    let Some(selector) = &by.spec.selector else {
        return false;
    };
    let Some(template) = &of.spec.template else {
        return false;
    };
    let empty = BTreeMap::new();
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref())
        .unwrap_or(&empty);
    selects(selector, labels)
}

fn invalid_naming(rollout: &Rollout, named: &str) -> bool {
    rollout
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == RolloutConditionType::InvalidSpec && c.message.contains(named))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(
        name: &str,
        namespace: &str,
        selector: &[(&str, &str)],
        labels: &[(&str, &str)],
    ) -> Arc<Rollout> {
        let map = |pairs: &[(&str, &str)]| -> serde_json::Map<String, serde_json::Value> {
            pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()
        };
        let value = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name, "namespace": namespace, "uid": format!("{namespace}-{name}")},
            "spec": {
                "selector": {"matchLabels": map(selector)},
                "template": {"metadata": {"labels": map(labels)}, "spec": {"containers": []}}
            }
        });
        Arc::new(serde_json::from_value(value).unwrap_or_else(|e| panic!("fixture Rollout: {e}")))
    }

    fn names(found: &[OverlappingRollout]) -> Vec<(&str, bool, bool)> {
        found
            .iter()
            .map(|o| (o.name.as_str(), o.selected_by_us, o.selects_ours))
            .collect()
    }

    #[test]
    fn overlap_is_seen_in_either_direction_within_the_namespace() {
        let broad = rollout("broad", "shop", &[("app", "shop")], &[("app", "shop")]);
        let narrow = rollout(
            "narrow",
            "shop",
            &[("app", "shop"), ("tier", "api")],
            &[("app", "shop"), ("tier", "api")],
        );
        let apart = rollout("apart", "shop", &[("app", "cart")], &[("app", "cart")]);
        let elsewhere = rollout("elsewhere", "other", &[("app", "shop")], &[("app", "shop")]);
        let all = vec![broad.clone(), narrow.clone(), apart.clone(), elsewhere];
        assert_eq!(names(&overlapping(&broad, &all)), vec![("narrow", true, false)]);
        assert_eq!(names(&overlapping(&narrow, &all)), vec![("broad", false, true)]);
        assert_eq!(names(&overlapping(&apart, &all)), vec![]);
    }

    #[test]
    fn a_change_wakes_overlapping_rollouts_and_those_that_name_it() {
        let changed = rollout("web", "shop", &[("app", "web")], &[("app", "web")]);
        let same_pods = rollout("twin", "shop", &[("app", "web")], &[("app", "web")]);
        let unrelated = rollout("cart", "shop", &[("app", "cart")], &[("app", "cart")]);
        let mut was_invalid = (*rollout("api", "shop", &[("app", "api")], &[("app", "api")])).clone();
        let condition = json!({"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec",
            "message": "spec.selector: selects the pods of Rollout \"web\", which was there first",
            "lastTransitionTime": "2026-01-01T00:00:00Z", "lastUpdateTime": "2026-01-01T00:00:00Z"});
        was_invalid.status = Some(
            serde_json::from_value(json!({"conditions": [condition]}))
                .unwrap_or_else(|e| panic!("fixture status: {e}")),
        );
        let all = vec![changed.clone(), same_pods, unrelated, Arc::new(was_invalid)];
        let woken: Vec<String> = to_wake(&changed, &all).into_iter().map(|r| r.name).collect();
        assert_eq!(woken, vec!["twin", "api"]);
    }
}
