//! The Deployment planner: given a Deployment and the ReplicaSets it controls, which
//! ReplicaSets to create, scale or delete, and the status to write. Pure: no client, no clock.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;

use super::rolling::{self, BadBound, Bounds, Counts};
use super::status::{self, StatusInput};
use crate::cluster::hash::pod_template_hash;
use crate::cluster::objects::{by_creation, controller_reference};

pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

/// What the planner looks at.
pub struct Observed<'a> {
    pub deployment: &'a Deployment,
    /// The ReplicaSets whose controller is this Deployment.
    pub replica_sets: Vec<&'a ReplicaSet>,
    pub now: jiff::Timestamp,
}

/// One change to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateReplicaSet(Box<ReplicaSet>),
    /// Sets `spec.replicas` and the revision annotations of a ReplicaSet.
    UpdateReplicaSet {
        name: String,
        replicas: i32,
        revision: String,
    },
    DeleteReplicaSet {
        name: String,
    },
    /// Sets the Deployment's own revision annotation.
    SetRevision(String),
    /// A ReplicaSet that is not ours already has the new one's name: try the next hash.
    BumpCollisionCount(i32),
    WriteStatus(Box<DeploymentStatus>),
}

#[derive(Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// When to look again even if nothing changes (the progress deadline).
    pub requeue_after: Option<Duration>,
}

/// Why a Deployment cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("spec.strategy.rollingUpdate.{0}")]
    Bound(#[from] BadBound),
    #[error("spec.template cannot be read: {0}")]
    Template(String),
}

/// Plans one pass over a Deployment.
pub fn plan(observed: &Observed<'_>) -> Result<Plan, PlanError> {
    let d = observed.deployment;
    let (Some(spec), Some(name)) = (d.spec.as_ref(), d.metadata.name.as_deref()) else {
        return Ok(Plan::default());
    };
    let desired = spec.replicas.unwrap_or(1);
    let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
    let bounds = if recreate {
        Bounds {
            desired,
            max_surge: 0,
            max_unavailable: 0,
        }
    } else {
        let rolling = spec.strategy.as_ref().and_then(|s| s.rolling_update.as_ref());
        Bounds::resolve(
            desired,
            rolling.and_then(|r| r.max_surge.as_ref()),
            rolling.and_then(|r| r.max_unavailable.as_ref()),
        )?
    };
    let template = template_without_hash(
        &serde_json::to_value(&spec.template).map_err(|e| PlanError::Template(e.to_string()))?,
    );
    let collision_count = d.status.as_ref().and_then(|s| s.collision_count);
    let hash = pod_template_hash(&template, collision_count);

    let mut sets = observed.replica_sets.clone();
    sets.sort_by(|a, b| by_creation(&a.metadata, &b.metadata));
    let new_rs = sets.iter().copied().find(|rs| same_template(rs, &template));
    let old: Vec<&ReplicaSet> = sets
        .iter()
        .copied()
        .filter(|rs| new_rs.is_none_or(|n| n.metadata.name != rs.metadata.name))
        .collect();
    let max_old_revision = old.iter().map(|rs| revision_of(rs)).max().unwrap_or(0);
    let new_revision = match new_rs.map(revision_of) {
        Some(current) if current > max_old_revision => current,
        _ => max_old_revision + 1,
    }
    .to_string();

    let mut actions = Vec::new();
    let paused = spec.paused.unwrap_or(false);
    let deleting = d.metadata.deletion_timestamp.is_some();
    let mut creating = None;
    if !paused && !deleting {
        match new_rs {
            Some(new) => {
                let steps = if recreate {
                    recreate_steps(bounds, Some(new), &old)
                } else {
                    rolling_steps(bounds, new, &old)
                };
                actions.extend(steps.into_iter().map(|(rs, replicas)| Action::UpdateReplicaSet {
                    name: rs.metadata.name.clone().unwrap_or_default(),
                    replicas,
                    revision: if std::ptr::eq(rs, new) {
                        new_revision.clone()
                    } else {
                        revision_of(rs).to_string()
                    },
                }));
                if revision_of(new).to_string() != new_revision && !actions.iter().any(|a| updates(a, new)) {
                    actions.push(Action::UpdateReplicaSet {
                        name: new.metadata.name.clone().unwrap_or_default(),
                        replicas: new.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
                        revision: new_revision.clone(),
                    });
                }
                actions.extend(cleanup(d, new, &old, desired));
            }
            None => {
                let rs_name = format!("{name}-{hash}");
                if sets
                    .iter()
                    .any(|rs| rs.metadata.name.as_deref() == Some(rs_name.as_str()))
                {
                    actions.push(Action::BumpCollisionCount(collision_count.unwrap_or(0) + 1));
                } else if recreate {
                    let steps = recreate_steps(bounds, None, &old);
                    actions.extend(steps.into_iter().map(|(rs, replicas)| Action::UpdateReplicaSet {
                        name: rs.metadata.name.clone().unwrap_or_default(),
                        replicas,
                        revision: revision_of(rs).to_string(),
                    }));
                    if old_pods_gone(&old) {
                        creating = Some(rs_name.clone());
                        actions.push(create(d, &rs_name, &hash, desired, bounds, &new_revision)?);
                    }
                } else {
                    let olds: Vec<Counts> = old.iter().map(|rs| counts(rs)).collect();
                    let start = rolling::new_replica_set_target(
                        bounds,
                        Counts {
                            replicas: 0,
                            available: 0,
                        },
                        &olds,
                    );
                    creating = Some(rs_name.clone());
                    actions.push(create(
                        d,
                        &rs_name,
                        &hash,
                        start.unwrap_or(0),
                        bounds,
                        &new_revision,
                    )?);
                }
            }
        }
    }
    if new_rs.is_some()
        && d.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)) != Some(&new_revision)
    {
        actions.push(Action::SetRevision(new_revision.clone()));
    }
    let (status, requeue_after) = status::compute(&StatusInput {
        deployment: d,
        new_replica_set: new_rs,
        all: &sets,
        max_unavailable: bounds.max_unavailable,
        creating: creating.as_deref(),
        now: observed.now,
    });
    if d.status.as_ref() != Some(&status) {
        actions.push(Action::WriteStatus(Box::new(status)));
    }
    Ok(Plan {
        actions,
        requeue_after,
    })
}

fn updates(action: &Action, rs: &ReplicaSet) -> bool {
    matches!(action, Action::UpdateReplicaSet { name, .. } if Some(name) == rs.metadata.name.as_ref())
}

/// Rolling update: grow the new ReplicaSet first; only when it needs nothing, shrink old ones.
fn rolling_steps<'a>(
    bounds: Bounds,
    new: &'a ReplicaSet,
    old: &[&'a ReplicaSet],
) -> Vec<(&'a ReplicaSet, i32)> {
    let olds: Vec<Counts> = old.iter().map(|rs| counts(rs)).collect();
    if let Some(target) = rolling::new_replica_set_target(bounds, counts(new), &olds) {
        return vec![(new, target)];
    }
    let targets = rolling::old_replica_set_targets(bounds, counts(new), &olds);
    old.iter()
        .zip(targets)
        .filter(|(rs, target)| counts(rs).replicas != *target)
        .map(|(rs, target)| (*rs, target))
        .collect()
}

/// Recreate: every old pod goes before the new ReplicaSet gets any.
fn recreate_steps<'a>(
    bounds: Bounds,
    new: Option<&'a ReplicaSet>,
    old: &[&'a ReplicaSet],
) -> Vec<(&'a ReplicaSet, i32)> {
    let shrink: Vec<(&ReplicaSet, i32)> = old
        .iter()
        .filter(|rs| counts(rs).replicas > 0)
        .map(|rs| (*rs, 0))
        .collect();
    if !shrink.is_empty() || !old_pods_gone(old) {
        return shrink;
    }
    match new {
        Some(new) if counts(new).replicas != bounds.desired => vec![(new, bounds.desired)],
        _ => Vec::new(),
    }
}

fn old_pods_gone(old: &[&ReplicaSet]) -> bool {
    old.iter()
        .all(|rs| rs.status.as_ref().is_none_or(|s| s.replicas == 0))
}

/// Once the rollout is complete, old empty ReplicaSets beyond `revisionHistoryLimit` go,
/// lowest revision first.
fn cleanup(d: &Deployment, new: &ReplicaSet, old: &[&ReplicaSet], desired: i32) -> Vec<Action> {
    let complete = new
        .status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
        == desired
        && old.iter().all(|rs| counts(rs).replicas == 0);
    if !complete {
        return Vec::new();
    }
    let limit = d
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .unwrap_or(10)
        .max(0) as usize;
    let mut empty: Vec<&ReplicaSet> = old.iter().copied().filter(|rs| old_pods_gone(&[rs])).collect();
    if empty.len() <= limit {
        return Vec::new();
    }
    empty.sort_by_key(|rs| revision_of(rs));
    empty[..empty.len() - limit]
        .iter()
        .map(|rs| Action::DeleteReplicaSet {
            name: rs.metadata.name.clone().unwrap_or_default(),
        })
        .collect()
}

fn counts(rs: &ReplicaSet) -> Counts {
    Counts {
        replicas: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
        available: rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0),
    }
}

fn revision_of(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// A pod template as JSON without the `pod-template-hash` label, for comparison and hashing.
fn template_without_hash(template: &Value) -> Value {
    let mut template = template.clone();
    if let Some(labels) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty()
            && let Some(meta) = template.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.remove("labels");
        }
    }
    template
}

fn same_template(rs: &ReplicaSet, deployment_template: &Value) -> bool {
    let Some(template) = rs.spec.as_ref().and_then(|s| s.template.as_ref()) else {
        return false;
    };
    serde_json::to_value(template).is_ok_and(|t| &template_without_hash(&t) == deployment_template)
}

/// The new ReplicaSet: the Deployment's template and selector plus the hash label.
fn create(
    d: &Deployment,
    name: &str,
    hash: &str,
    replicas: i32,
    bounds: Bounds,
    revision: &str,
) -> Result<Action, PlanError> {
    let spec = d.spec.clone().unwrap_or_default();
    let mut template = spec.template;
    let template_meta = template.metadata.get_or_insert_with(ObjectMeta::default);
    template_meta
        .labels
        .get_or_insert_with(Default::default)
        .insert(POD_TEMPLATE_HASH.into(), hash.into());
    let labels = template_meta.labels.clone();
    let mut selector: LabelSelector = spec.selector;
    selector
        .match_labels
        .get_or_insert_with(Default::default)
        .insert(POD_TEMPLATE_HASH.into(), hash.into());
    let annotations = [
        (REVISION.to_string(), revision.to_string()),
        (DESIRED_REPLICAS.to_string(), bounds.desired.to_string()),
        (
            MAX_REPLICAS.to_string(),
            (bounds.desired + bounds.max_surge).to_string(),
        ),
    ];
    let owner = controller_reference("apps/v1", "Deployment", &d.metadata)
        .ok_or_else(|| PlanError::Template("the Deployment has no name or uid yet".into()))?;
    Ok(Action::CreateReplicaSet(Box::new(ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: d.metadata.namespace.clone(),
            labels,
            annotations: Some(annotations.into_iter().collect()),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector,
            template: Some(template),
        }),
        status: None,
    })))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
