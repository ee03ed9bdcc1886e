//! The ReplicaSets a Rollout owns: building a new one as Argo Rollouts names and labels it,
//! the patches that move role metadata and scale-down deadlines onto existing ones, and the
//! choice of old ReplicaSets that `revisionHistoryLimit` lets go.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{
    Affinity, PodAffinityTerm, PodAntiAffinity, PodTemplateSpec, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference,
};
use k8s_openapi::jiff::Timestamp;
use linnet_crds::common::Metadata;
use linnet_crds::rollout::{AntiAffinity, Rollout};
use serde_json::{Value, json};

use super::{
    DESIRED_REPLICAS_ANNOTATION, ObjectError, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION,
    SCALE_DOWN_DEADLINE_ANNOTATION,
};

/// Rollout annotations that describe the Rollout itself and are not copied onto ReplicaSets.
const NOT_COPIED_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "rollout.argoproj.io/revision-history",
    DESIRED_REPLICAS_ANNOTATION,
    "notified.notifications.argoproj.io",
];

/// The node label pods are kept apart by when `antiAffinity` is set.
const ANTI_AFFINITY_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

/// Default of `spec.revisionHistoryLimit`.
const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;

/// The role a ReplicaSet plays, which decides the ephemeral metadata its pods carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaSetRole {
    /// Canary: `canary.canaryMetadata`.
    Canary,
    /// Canary strategy's stable: `canary.stableMetadata`.
    Stable,
    /// Blue-green preview: `blueGreen.previewMetadata`.
    Preview,
    /// Blue-green active: `blueGreen.activeMetadata`.
    Active,
}

impl ReplicaSetRole {
    /// The role whose metadata this one replaces when a ReplicaSet changes role.
    fn counterpart(self) -> ReplicaSetRole {
        match self {
            ReplicaSetRole::Canary => ReplicaSetRole::Stable,
            ReplicaSetRole::Stable => ReplicaSetRole::Canary,
            ReplicaSetRole::Preview => ReplicaSetRole::Active,
            ReplicaSetRole::Active => ReplicaSetRole::Preview,
        }
    }

    /// The metadata the Rollout asks for in this role, if any.
    fn metadata(self, rollout: &Rollout) -> Option<&Metadata> {
        let strategy = rollout.spec.strategy.as_ref()?;
        match self {
            ReplicaSetRole::Canary => strategy.canary.as_ref()?.canary_metadata.as_ref(),
            ReplicaSetRole::Stable => strategy.canary.as_ref()?.stable_metadata.as_ref(),
            ReplicaSetRole::Preview => strategy.blue_green.as_ref()?.preview_metadata.as_ref(),
            ReplicaSetRole::Active => strategy.blue_green.as_ref()?.active_metadata.as_ref(),
        }
    }
}

/// What the planner decided about a ReplicaSet to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReplicaSet<'a> {
    /// The pod template hash (from [`super::pod_template_hash`]).
    pub hash: &'a str,
    /// Replicas to start with.
    pub replicas: i32,
    /// The Rollout revision it belongs to.
    pub revision: u64,
    /// The role it starts in, for `canaryMetadata` and friends.
    pub role: Option<ReplicaSetRole>,
    /// The hash of the stable ReplicaSet whose pods the new ones avoid when `antiAffinity` is
    /// set; `None` on a first deploy.
    pub avoid_hash: Option<&'a str>,
}

/// The name of Rollout `rollout_name`'s ReplicaSet for pod template hash `hash`.
pub fn replica_set_name(rollout_name: &str, hash: &str) -> String {
    format!("{rollout_name}-{hash}")
}

/// Builds the ReplicaSet `<rollout>-<hash>` for the Rollout's template.
///
/// Fails when the Rollout has no name, uid or template (a `workloadRef` template must be
/// resolved into `spec.template` by the caller first).
pub fn new_replica_set(rollout: &Rollout, new: &NewReplicaSet<'_>) -> Result<ReplicaSet, ObjectError> {
    let rollout_name = rollout.metadata.name.clone().unwrap_or_default();
    let missing = |field| ObjectError::MissingRolloutField {
        rollout: rollout_name.clone(),
        field,
    };
    if rollout_name.is_empty() {
        return Err(missing("metadata.name"));
    }
    let uid = rollout
        .metadata
        .uid
        .clone()
        .ok_or_else(|| missing("metadata.uid"))?;
    let mut template: PodTemplateSpec = rollout
        .spec
        .template
        .clone()
        .ok_or_else(|| missing("spec.template"))?;
    let mut selector = rollout
        .spec
        .selector
        .clone()
        .ok_or_else(|| missing("spec.selector"))?;

    let template_meta = template.metadata.get_or_insert_with(ObjectMeta::default);
    let labels = template_meta.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(POD_TEMPLATE_HASH_LABEL.to_string(), new.hash.to_string());
    if let Some(metadata) = new.role.and_then(|role| role.metadata(rollout)) {
        apply_metadata(template_meta, metadata);
    }
    let rs_labels = template_meta.labels.clone();
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(POD_TEMPLATE_HASH_LABEL.to_string(), new.hash.to_string());

    if let (Some(anti_affinity), Some(avoid)) = (anti_affinity_of(rollout), new.avoid_hash)
        && avoid != new.hash
        && let Some(spec) = template.spec.as_mut()
    {
        inject_anti_affinity(
            spec.affinity.get_or_insert_with(Affinity::default),
            anti_affinity,
            avoid,
        );
    }

    let mut annotations: BTreeMap<String, String> = rollout
        .metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(key, _)| !NOT_COPIED_ANNOTATIONS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    annotations.insert(REVISION_ANNOTATION.to_string(), new.revision.to_string());
    let desired = rollout.spec.replicas.unwrap_or(1);
    annotations.insert(DESIRED_REPLICAS_ANNOTATION.to_string(), desired.to_string());

    Ok(ReplicaSet {
        metadata: ObjectMeta {
            name: Some(replica_set_name(&rollout_name, new.hash)),
            namespace: rollout.metadata.namespace.clone(),
            labels: rs_labels,
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "argoproj.io/v1alpha1".to_string(),
                kind: "Rollout".to_string(),
                name: rollout_name.clone(),
                uid,
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(new.replicas),
            min_ready_seconds: rollout.spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    })
}

fn apply_metadata(meta: &mut ObjectMeta, metadata: &Metadata) {
    for (key, value) in metadata.labels.iter().flatten() {
        // The hash label identifies the ReplicaSet; role metadata never overrides it.
        if key != POD_TEMPLATE_HASH_LABEL {
            meta.labels
                .get_or_insert_with(BTreeMap::new)
                .insert(key.clone(), value.clone());
        }
    }
    for (key, value) in metadata.annotations.iter().flatten() {
        meta.annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(key.clone(), value.clone());
    }
}

fn anti_affinity_of(rollout: &Rollout) -> Option<&AntiAffinity> {
    let strategy = rollout.spec.strategy.as_ref()?;
    match (&strategy.canary, &strategy.blue_green) {
        (Some(canary), _) => canary.anti_affinity.as_ref(),
        (None, Some(blue_green)) => blue_green.anti_affinity.as_ref(),
        (None, None) => None,
    }
}

/// Adds a pod anti-affinity term against pods carrying the hash `avoid`, as a required or a
/// preferred rule per the Rollout's `antiAffinity`.
fn inject_anti_affinity(affinity: &mut Affinity, rule: &AntiAffinity, avoid: &str) {
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: POD_TEMPLATE_HASH_LABEL.to_string(),
                operator: "In".to_string(),
                values: Some(vec![avoid.to_string()]),
            }]),
            match_labels: None,
        }),
        topology_key: ANTI_AFFINITY_TOPOLOGY_KEY.to_string(),
        ..PodAffinityTerm::default()
    };
    let anti = affinity
        .pod_anti_affinity
        .get_or_insert_with(PodAntiAffinity::default);
    if let Some(preferred) = &rule.preferred_during_scheduling_ignored_during_execution {
        anti.preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(WeightedPodAffinityTerm {
                weight: preferred.weight,
                pod_affinity_term: term,
            });
    } else if rule.required_during_scheduling_ignored_during_execution.is_some() {
        anti.required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
    }
}

/// The merge patch that gives an existing ReplicaSet's pod template the metadata of `role`
/// and removes the keys only its counterpart role set (canary ↔ stable, preview ↔ active).
/// `None` when neither role has metadata.
pub fn role_metadata_patch(rollout: &Rollout, role: ReplicaSetRole) -> Option<Value> {
    let metadata = role_metadata(rollout, role)?;
    Some(json!({"spec": {"template": {"metadata": metadata}}}))
}

/// The same change for a live pod of that ReplicaSet (`metadata` of the Pod itself), so pods
/// that change role are relabelled without being restarted.
pub fn pod_role_metadata_patch(rollout: &Rollout, role: ReplicaSetRole) -> Option<Value> {
    let metadata = role_metadata(rollout, role)?;
    Some(json!({"metadata": metadata}))
}

/// Whether a pod template with these labels and annotations already carries the metadata of
/// `role` and none of the keys only its counterpart role sets.
pub fn role_metadata_applied(
    rollout: &Rollout,
    role: ReplicaSetRole,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> bool {
    let Some(patch) = role_metadata(rollout, role) else {
        return true;
    };
    let holds = |section: &Value, live: &BTreeMap<String, String>| {
        section.as_object().is_none_or(|keys| {
            keys.iter().all(|(key, value)| match value {
                Value::String(wanted) => live.get(key) == Some(wanted),
                _ => !live.contains_key(key),
            })
        })
    };
    holds(&patch["labels"], labels) && holds(&patch["annotations"], annotations)
}

/// `{"labels": {...}, "annotations": {...}}` setting the role's keys and clearing the
/// counterpart's other keys.
fn role_metadata(rollout: &Rollout, role: ReplicaSetRole) -> Option<Value> {
    let wanted = role.metadata(rollout);
    let previous = role.counterpart().metadata(rollout);
    if wanted.is_none() && previous.is_none() {
        return None;
    }
    let section = |pick: fn(&Metadata) -> Option<&BTreeMap<String, String>>| {
        let mut patch = serde_json::Map::new();
        for key in previous.and_then(pick).into_iter().flat_map(|map| map.keys()) {
            if key != POD_TEMPLATE_HASH_LABEL {
                patch.insert(key.clone(), Value::Null);
            }
        }
        for (key, value) in wanted.and_then(pick).into_iter().flatten() {
            if key != POD_TEMPLATE_HASH_LABEL {
                patch.insert(key.clone(), Value::String(value.clone()));
            }
        }
        Value::Object(patch)
    };
    let labels = section(|metadata| metadata.labels.as_ref());
    let annotations = section(|metadata| metadata.annotations.as_ref());
    Some(json!({"labels": labels, "annotations": annotations}))
}

/// The merge patch that sets (or, with `None`, removes) a ReplicaSet's `scale-down-deadline`
/// annotation, written as Go's `time.RFC3339` in UTC (whole seconds, `Z`).
pub fn scale_down_deadline_patch(deadline: Option<Timestamp>) -> Value {
    let value = match deadline {
        Some(at) => Value::String(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        None => Value::Null,
    };
    json!({"metadata": {"annotations": {SCALE_DOWN_DEADLINE_ANNOTATION: value}}})
}

/// Reads a ReplicaSet's `scale-down-deadline`; `None` when absent or not RFC 3339.
pub fn scale_down_deadline(replica_set: &ReplicaSet) -> Option<Timestamp> {
    replica_set
        .metadata
        .annotations
        .as_ref()?
        .get(SCALE_DOWN_DEADLINE_ANNOTATION)?
        .parse()
        .ok()
}

/// The names of old ReplicaSets to delete so that at most `revisionHistoryLimit` (default 10)
/// old ones remain, oldest first. The new and stable ReplicaSets (by hash) are never old;
/// ReplicaSets that still have pods, are being deleted or whose status lags their generation
/// are kept even if that leaves more than the limit.
pub fn replica_sets_to_delete(
    rollout: &Rollout,
    replica_sets: &[ReplicaSet],
    new_hash: Option<&str>,
    stable_hash: Option<&str>,
) -> Vec<String> {
    let limit = rollout
        .spec
        .revision_history_limit
        .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT)
        .max(0);
    let mut old: Vec<&ReplicaSet> = replica_sets
        .iter()
        .filter(|rs| rs.metadata.deletion_timestamp.is_none())
        .filter(|rs| {
            let hash = hash_of(rs);
            hash.is_none() || (hash != new_hash && hash != stable_hash)
        })
        .collect();
    let excess = old.len().saturating_sub(usize::try_from(limit).unwrap_or(0));
    old.sort_by(|a, b| {
        let created = |rs: &ReplicaSet| rs.metadata.creation_timestamp.as_ref().map(|time| time.0);
        created(a)
            .cmp(&created(b))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    old.into_iter()
        .take(excess)
        .filter(|rs| is_drained(rs))
        .filter_map(|rs| rs.metadata.name.clone())
        .collect()
}

fn hash_of(replica_set: &ReplicaSet) -> Option<&str> {
    replica_set
        .metadata
        .labels
        .as_ref()?
        .get(POD_TEMPLATE_HASH_LABEL)
        .map(String::as_str)
}

/// No pods wanted or running, and the status is up to date with the spec.
fn is_drained(replica_set: &ReplicaSet) -> bool {
    let spec_replicas = replica_set
        .spec
        .as_ref()
        .and_then(|spec| spec.replicas)
        .unwrap_or(1);
    let status = replica_set.status.as_ref();
    let status_replicas = status.map_or(0, |status| status.replicas);
    let observed = status.and_then(|status| status.observed_generation).unwrap_or(0);
    let generation = replica_set.metadata.generation.unwrap_or(0);
    spec_replicas == 0 && status_replicas == 0 && generation <= observed
}

#[cfg(test)]
#[path = "replicaset_tests.rs"]
mod tests;
