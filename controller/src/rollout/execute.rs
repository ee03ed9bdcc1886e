//! The executor: turns each planned [`Action`] into one API call, and writes the planned
//! status last. Traffic-router actions live in [`super::route`], pod evictions in
//! [`super::evict`].

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ObjectReference, Service};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::events::{Event, EventType as KubeEventType};
use kube::{Client, Resource, ResourceExt};
use linnet_crds::analysis::AnalysisRun;
use linnet_crds::rollout::{Rollout, RolloutStatus};
use serde_json::{Map, Value, json};
use tracing::{Instrument, info, info_span, warn};

use super::analysis_runs;
use super::lean_writes;
use super::objects::{self, NewReplicaSet, ReplicaSetRole};
use super::plan::{Action, EventType};
use super::reconcile::Error;
use crate::events::Recorder;

/// What the executor writes with, for one Rollout.
pub struct Executor<'a> {
    pub client: &'a Client,
    pub recorder: &'a Recorder,
    pub rollout: &'a Rollout,
    /// The pod-template hash the current template runs under (observation's `pod_hash`).
    pub pod_hash: &'a str,
}

impl Executor<'_> {
    fn name(&self) -> String {
        self.rollout.name_any()
    }

    fn namespace(&self) -> String {
        self.rollout.namespace().unwrap_or_default()
    }

    pub(super) fn kube_error(&self, what: String) -> impl FnOnce(kube::Error) -> Error + '_ {
        move |source| Error::Kube {
            rollout: self.name(),
            what,
            source,
        }
    }

    /// Performs one action with one API call; for a write to one of the Rollout's ReplicaSets,
    /// returns the resourceVersion it was answered with.
    pub async fn apply(&self, action: &Action) -> Result<Option<String>, Error> {
        let span = info_span!("apply", rollout = %self.name(), action = action_name(action));
        self.apply_inner(action).instrument(span).await
    }

    async fn apply_inner(&self, action: &Action) -> Result<Option<String>, Error> {
        let replica_sets: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &self.namespace());
        let params = PatchParams::default();
        match action {
            Action::CreateReplicaSet {
                hash,
                revision,
                replicas,
            } => {
                let replica_set = self.new_replica_set(hash, *revision, *replicas)?;
                info!(rollout = %self.name(), %hash, replicas, "creating ReplicaSet");
                match lean_writes::create(self.client, &self.namespace(), &replica_set).await {
                    Ok(version) => Ok(version),
                    // Level-triggered: a ReplicaSet created by an earlier pass is fine.
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
                    Err(source) => Err(self.kube_error(format!("create ReplicaSet for hash {hash}"))(
                        source,
                    )),
                }
            }
            Action::ScaleReplicaSet { name, replicas } => {
                info!(rollout = %self.name(), replica_set = %name, replicas, "scaling ReplicaSet");
                let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
                lean_writes::patch::<ReplicaSet>(self.client, &self.namespace(), name, None, &patch)
                    .await
                    .map_err(self.kube_error(format!("scale ReplicaSet {name}")))
            }
            Action::AnnotateScaleDownDeadline { name, deadline } => {
                let patch = Patch::Merge(objects::scale_down_deadline_patch(*deadline));
                replica_sets
                    .patch(name, &params, &patch)
                    .await
                    .map(|written| written.resource_version())
                    .map_err(self.kube_error(format!("annotate ReplicaSet {name}")))
            }
            Action::DeleteReplicaSet { name } => {
                info!(rollout = %self.name(), replica_set = %name, "deleting ReplicaSet");
                match replica_sets.delete(name, &DeleteParams::background()).await {
                    Ok(_) => Ok(None),
                    Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
                    Err(source) => Err(self.kube_error(format!("delete ReplicaSet {name}"))(source)),
                }
            }
            Action::SetServiceSelector { service, hash } => {
                let services: Api<Service> = Api::namespaced(self.client.clone(), &self.namespace());
                let live = services
                    .get(service)
                    .await
                    .map_err(self.kube_error(format!("get Service {service}")))?;
                objects::check_service_owner(&live, &self.name()).map_err(|source| Error::Object {
                    rollout: self.name(),
                    source,
                })?;
                let patch = Patch::Merge(objects::set_selector_patch(&self.name(), hash));
                services
                    .patch(service, &params, &patch)
                    .await
                    .map(|_| None)
                    .map_err(self.kube_error(format!("patch selector of Service {service}")))
            }
            Action::Event {
                event_type,
                reason,
                message,
            } => {
                self.publish(*event_type, reason, message).await;
                Ok(None)
            }
            Action::CreateAnalysisRun {
                name,
                kind,
                templates,
                args,
                options,
            } => analysis_runs::apply_create(self, name, *kind, templates, args, options)
                .await
                .map(|()| None),
            Action::TerminateAnalysisRun { name } => {
                info!(rollout = %self.name(), analysis_run = %name, "terminating AnalysisRun");
                analysis_runs::terminate(self.client, &self.namespace(), name)
                    .await
                    .map(|()| None)
                    .map_err(self.kube_error(format!("terminate AnalysisRun {name}")))
            }
            Action::DeleteAnalysisRun { name } => {
                info!(rollout = %self.name(), analysis_run = %name, "beyond the run history limit: deleting AnalysisRun");
                let runs: Api<AnalysisRun> = Api::namespaced(self.client.clone(), &self.namespace());
                crate::analysis_run::cleanup::delete(&runs, name)
                    .await
                    .map(|()| None)
                    .map_err(self.kube_error(format!("delete AnalysisRun {name}")))
            }
            Action::SetTrafficWeight { .. }
            | Action::SetHeaderRoute(_)
            | Action::SetMirrorRoute(_)
            | Action::RemoveManagedRoutes => super::route::apply(self, action).await.map(|()| None),
            Action::EvictPod { .. } => super::evict::apply(self, action).await.map(|()| None),
            Action::SetRoleMetadata { name, hash, role } => {
                super::relabel::apply(self, name, hash, *role).await
            }
            Action::ScaleWorkload { name, replicas } => {
                info!(rollout = %self.name(), deployment = %name, replicas, "scaling the referenced Deployment");
                let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
                lean_writes::patch::<Deployment>(self.client, &self.namespace(), name, None, &patch)
                    .await
                    .map_err(self.kube_error(format!("scale Deployment {name}")))
            }
            Action::AnnotateWorkloadGeneration { generation } => {
                let annotation = super::observe::workload::WORKLOAD_GENERATION_ANNOTATION;
                let patch = Patch::Merge(json!({"metadata": {"annotations": {annotation: generation}}}));
                lean_writes::patch::<Rollout>(self.client, &self.namespace(), &self.name(), None, &patch)
                    .await
                    .map_err(self.kube_error("annotate the workload generation".to_string()))
            }
        }
    }

    fn new_replica_set(&self, hash: &str, revision: i64, replicas: i32) -> Result<ReplicaSet, Error> {
        let status = self.rollout.status.as_ref();
        let stable = status.and_then(|s| s.stable_rs.as_deref()).filter(|s| *s != hash);
        let strategy = self.rollout.spec.strategy.as_ref();
        let blue_green = strategy.is_some_and(|s| s.blue_green.is_some());
        let role = match (blue_green, stable.is_some()) {
            (true, true) => ReplicaSetRole::Preview,
            (true, false) => ReplicaSetRole::Active,
            (false, true) => ReplicaSetRole::Canary,
            (false, false) => ReplicaSetRole::Stable,
        };
        let new = NewReplicaSet {
            hash,
            replicas,
            revision: u64::try_from(revision).unwrap_or(1),
            role: Some(role),
            avoid_hash: stable,
        };
        objects::new_replica_set(self.rollout, &new).map_err(|source| Error::Object {
            rollout: self.name(),
            source,
        })
    }

    /// Records an Event on the Rollout. A failure to record is logged, never fatal.
    pub async fn publish(&self, event_type: EventType, reason: &str, message: &str) {
        let reference = self.rollout.object_ref(&());
        publish(
            self.recorder,
            &reference,
            &self.name(),
            event_type,
            reason,
            message,
        )
        .await;
    }

    /// Whether `status` differs from the Rollout's (an absent status is an empty one).
    pub fn status_changes(&self, status: &RolloutStatus) -> bool {
        match &self.rollout.status {
            Some(old) => old != status,
            None => *status != RolloutStatus::default(),
        }
    }

    /// Writes `status` through the status subresource (the caller has found it differs from
    /// the current one, [`Executor::status_changes`]); returns the resourceVersion the write
    /// was answered with.
    pub async fn write_status(&self, status: &RolloutStatus) -> Result<Option<String>, Error> {
        let old = self.rollout.status.clone().unwrap_or_default();
        let to_json = |s: &RolloutStatus| {
            serde_json::to_value(s).map_err(|error| Error::Serialize {
                rollout: self.name(),
                reason: error.to_string(),
            })
        };
        let patch = json!({"status": merge_patch(&to_json(&old)?, &to_json(status)?)});
        let patch = Patch::Merge(patch);
        lean_writes::patch::<Rollout>(
            self.client,
            &self.namespace(),
            &self.name(),
            Some("status"),
            &patch,
        )
        .await
        .map_err(self.kube_error("write status".to_string()))
    }
}

/// Records an Event on Rollout `name` (`reference`). A failure to record is logged, never fatal.
pub async fn publish(
    recorder: &Recorder,
    reference: &ObjectReference,
    name: &str,
    event_type: EventType,
    reason: &str,
    message: &str,
) {
    let type_ = match event_type {
        EventType::Normal => KubeEventType::Normal,
        EventType::Warning => KubeEventType::Warning,
    };
    let event = Event {
        type_,
        reason: reason.to_string(),
        note: Some(message.to_string()),
        action: reason.to_string(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, reference).await {
        warn!(rollout = %name, %error, reason, "cannot record Event");
    }
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`: keys absent from `new` are
/// set to `null`, objects are compared key by key, anything else is replaced.
pub fn merge_patch(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = Map::new();
            for (key, old_value) in old {
                match new.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new_value) if new_value != old_value => {
                        patch.insert(key.clone(), merge_patch(old_value, new_value));
                    }
                    Some(_) => {}
                }
            }
            for (key, new_value) in new {
                if !old.contains_key(key) {
                    patch.insert(key.clone(), new_value.clone());
                }
            }
            Value::Object(patch)
        }
        (_, new) => new.clone(),
    }
}

/// The action's variant name, for logs, Events and errors.
pub fn action_name(action: &Action) -> &'static str {
    match action {
        Action::CreateReplicaSet { .. } => "CreateReplicaSet",
        Action::ScaleReplicaSet { .. } => "ScaleReplicaSet",
        Action::AnnotateScaleDownDeadline { .. } => "AnnotateScaleDownDeadline",
        Action::DeleteReplicaSet { .. } => "DeleteReplicaSet",
        Action::SetServiceSelector { .. } => "SetServiceSelector",
        Action::SetTrafficWeight { .. } => "SetTrafficWeight",
        Action::SetHeaderRoute(_) => "SetHeaderRoute",
        Action::SetMirrorRoute(_) => "SetMirrorRoute",
        Action::RemoveManagedRoutes => "RemoveManagedRoutes",
        Action::CreateAnalysisRun { .. } => "CreateAnalysisRun",
        Action::TerminateAnalysisRun { .. } => "TerminateAnalysisRun",
        Action::DeleteAnalysisRun { .. } => "DeleteAnalysisRun",
        Action::EvictPod { .. } => "EvictPod",
        Action::SetRoleMetadata { .. } => "SetRoleMetadata",
        Action::ScaleWorkload { .. } => "ScaleWorkload",
        Action::AnnotateWorkloadGeneration { .. } => "AnnotateWorkloadGeneration",
        Action::Event { .. } => "Event",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_nulls_removed_keys_and_keeps_equal_ones() {
        let old = json!({"phase": "Paused", "pauseConditions": [{"reason": "CanaryPauseStep"}],
            "canary": {"weights": {"canary": 20}, "x": 1}, "stableRS": "a"});
        let new = json!({"phase": "Healthy", "canary": {"x": 1}, "stableRS": "a"});
        let patch = merge_patch(&old, &new);
        assert_eq!(
            patch,
            json!({"phase": "Healthy", "pauseConditions": null, "canary": {"weights": null}})
        );
        let mut applied = old.clone();
        json_patch::merge(&mut applied, &patch);
        assert_eq!(applied, new);
    }

    #[test]
    fn merge_patch_adds_new_keys() {
        let patch = merge_patch(&json!({}), &json!({"stableRS": "b"}));
        assert_eq!(patch, json!({"stableRS": "b"}));
    }
}
