//! Observation: reads what the planner needs about one Rollout (the ReplicaSets and
//! AnalysisRuns it owns and the Services its strategy names from the controller's caches, its
//! pods directly while a restart is pending) and computes the template and step hashes,
//! yielding the [`Observed`] snapshot `plan()` takes.
//!
//! What the previous pass wrote is read directly until the cache shows it (see
//! [`cache::Caches::record_writes`]), so a lagging cache cannot make a pass repeat or undo one;
//! a cache not filled yet is waited for, and a kind whose watch cannot start is listed directly.

pub mod cache;
pub mod hashes;
pub mod pending_writes;
pub mod workload;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};
use kube::{Client, Resource, ResourceExt};
use linnet_crds::analysis::{self as crd, AnalysisRun};
use linnet_crds::rollout::Rollout;

use self::cache::{CacheState, Caches, ObjectCache, WrittenKind, same_version};
use self::hashes::SpecHashes;
use super::objects::template_match::running_hash;
use super::objects::{self, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION};
use super::plan::{
    AnalysisPhase, AnalysisRunState, Observed, PodState, ReplicaFailure, ReplicaSetState, ServiceState,
    TemplateMetadata,
};
use super::reconcile::Error;

/// How long a pass waits for a cache's first list before reading the API directly.
const SYNC_WAIT: Duration = Duration::from_secs(30);

/// Reads the Rollout's ReplicaSets, AnalysisRuns and Services and returns the planner's input.
///
/// Fails with [`Error::Kube`] when the API cannot be read, and with [`Error::Hash`] when the
/// template cannot be hashed as Argo Rollouts does.
pub async fn observe(
    client: &Client,
    caches: &Caches,
    rollout: &Arc<Rollout>,
    now: Timestamp,
) -> Result<Observed, Error> {
    let written = rollout;
    let name = rollout.name_any();
    let namespace = rollout.namespace().unwrap_or_default();
    let workload::Resolved {
        rollout,
        workload,
        kind: workload_kind,
        problem: workload_problem,
    } = workload::resolve(client, written.clone()).await?;
    if let Some(kind) = workload_kind {
        caches.workload_watches.followed(kind);
    }
    if workload.is_some() {
        // Only a pass learns a workload's labels: neighbours compare pods through them.
        caches.neighbours.resolved(written, &rollout);
    }
    let rollout = &rollout;
    let workload_generation = workload.as_ref().map(|w| w.generation);
    let SpecHashes {
        pod: pod_hash,
        step: step_hash,
    } = caches
        .hashes
        .get_or_compute(rollout, workload_generation, || spec_hashes(rollout))
        .map_err(|source| Error::Hash {
            rollout: name.clone(),
            source,
        })?;
    let reader = Reader {
        client,
        caches,
        rollout,
        namespace: &namespace,
        uid: rollout.uid().unwrap_or_default(),
    };
    let owned = reader.owned_replica_sets().await?;
    // A template written back from an old ReplicaSet (an undo) runs on that ReplicaSet.
    let pod_hash = match &rollout.spec.template {
        Some(template) => running_hash(template, &pod_hash, owned.iter().map(AsRef::as_ref)),
        None => pod_hash,
    };
    let replica_sets: Vec<ReplicaSetState> = owned.iter().map(|rs| replica_set_state(rs)).collect();
    let services = reader.named_services().await?;
    let pods = if restart_pending(rollout) {
        owned_pods(client, rollout, &namespace, &replica_sets).await?
    } else {
        Vec::new()
    };
    let routers = super::observe_router::observe_routers(client, rollout, &pod_hash).await?;
    Ok(Observed {
        rollout: rollout.clone(),
        now,
        pod_hash,
        step_hash,
        replica_sets,
        services,
        pods,
        analysis_runs: reader.owned_analysis_runs().await?,
        router_weights: routers.weights,
        missing_routes: routers.missing,
        overlapping: caches.neighbours.overlapping(rollout),
        workload,
        workload_problem,
    })
}

/// The Rollout's pod template hash (with its collision count) and step hash.
fn spec_hashes(rollout: &Rollout) -> Result<SpecHashes, objects::ObjectError> {
    let collision_count = rollout.status.as_ref().and_then(|s| s.collision_count);
    let pod = match &rollout.spec.template {
        Some(template) => objects::pod_template_hash(template, collision_count)?,
        None => String::new(),
    };
    let step = objects::step_hash(rollout)?;
    Ok(SpecHashes { pod, step })
}

/// The Rollout as the API has it now, when its last status write may not be in the cache yet;
/// `None` when it is gone. Returns `cached` itself when nothing is pending.
pub async fn fresh_rollout(
    client: &Client,
    caches: &Caches,
    cached: Arc<Rollout>,
) -> Result<Option<Arc<Rollout>>, Error> {
    let uid = cached.uid().unwrap_or_default();
    if !caches.written(&uid).rollout {
        return Ok(Some(cached));
    }
    let api: Api<Rollout> = Api::namespaced(client.clone(), &cached.namespace().unwrap_or_default());
    let live = api
        .get_opt(&cached.name_any())
        .await
        .map_err(|source| Error::Kube {
            rollout: cached.name_any(),
            what: "get Rollout".to_string(),
            source,
        })?;
    if same_version(Some(&cached), live.as_ref()) {
        caches.settled(&uid, WrittenKind::Rollout, "");
        return Ok(Some(cached));
    }
    match live {
        Some(live) if live.uid() == cached.uid() => Ok(Some(Arc::new(live))),
        _ => {
            caches.forget(&uid);
            Ok(None)
        }
    }
}

/// Reads one Rollout's objects from the caches, or directly where the caches cannot answer.
struct Reader<'a> {
    client: &'a Client,
    caches: &'a Caches,
    rollout: &'a Rollout,
    namespace: &'a str,
    uid: String,
}

impl Reader<'_> {
    fn kube_error(&self, what: String) -> impl FnOnce(kube::Error) -> Error + '_ {
        move |source| Error::Kube {
            rollout: self.rollout.name_any(),
            what,
            source,
        }
    }

    fn owned<K: Resource>(&self, object: &K) -> bool {
        object.owner_references().iter().any(|o| o.uid == self.uid)
    }

    /// The cached objects of one kind the Rollout owns, with those it wrote last read directly.
    async fn owned_from_cache<K>(
        &self,
        cache: &ObjectCache<K>,
        api: &Api<K>,
        kind: WrittenKind,
        written: &std::collections::BTreeSet<String>,
    ) -> Result<BTreeMap<String, Arc<K>>, Error>
    where
        K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let mut owned = cache.owned_by(&self.uid);
        for name in written {
            // The watch brought the write back, and the cached object is at it or newer.
            let cached_version = owned
                .get(name)
                .and_then(|object| object.meta().resource_version.clone());
            if cache.write_held(self.namespace, name, cached_version.as_deref()) {
                cache.forget_write(self.namespace, name);
                self.caches.settled(&self.uid, kind, name);
                continue;
            }
            let live = api
                .get_opt(name)
                .await
                .map_err(self.kube_error(format!("get {} {name}", K::kind(&()))))?;
            if same_version(owned.get(name), live.as_ref()) {
                cache.forget_write(self.namespace, name);
                self.caches.settled(&self.uid, kind, name);
            }
            match live {
                Some(live) if self.owned(&live) => owned.insert(name.clone(), Arc::new(live)),
                _ => owned.remove(name),
            };
        }
        Ok(owned)
    }

    /// The ReplicaSets in the Rollout's namespace with an owner reference to the Rollout.
    async fn owned_replica_sets(&self) -> Result<Vec<Arc<ReplicaSet>>, Error> {
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), self.namespace);
        let cache = &self.caches.replica_sets;
        let owned = if cache.synced(SYNC_WAIT).await == CacheState::Ready {
            let written = self.caches.written(&self.uid).replica_sets;
            self.owned_from_cache(cache, &api, WrittenKind::ReplicaSet, &written)
                .await?
        } else {
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(self.kube_error("list ReplicaSets".to_string()))?;
            list.items
                .into_iter()
                .filter(|rs| self.owned(rs))
                .map(|rs| (rs.name_any(), Arc::new(rs)))
                .collect()
        };
        Ok(owned.into_values().collect())
    }

    /// The AnalysisRuns in the Rollout's namespace owned by the Rollout. Without the
    /// AnalysisRun CRD (the list answers 404) there are none.
    async fn owned_analysis_runs(&self) -> Result<Vec<AnalysisRunState>, Error> {
        let api: Api<AnalysisRun> = Api::namespaced(self.client.clone(), self.namespace);
        let cache = &self.caches.analysis_runs;
        let owned = if cache.synced(SYNC_WAIT).await == CacheState::Ready {
            let written = self.caches.written(&self.uid).analysis_runs;
            self.owned_from_cache(cache, &api, WrittenKind::AnalysisRun, &written)
                .await?
        } else {
            let list = match api.list(&ListParams::default()).await {
                Ok(list) => list,
                Err(kube::Error::Api(status)) if status.code == 404 => return Ok(Vec::new()),
                Err(source) => return Err(self.kube_error("list AnalysisRuns".to_string())(source)),
            };
            list.items
                .into_iter()
                .filter(|run| self.owned(run))
                .map(|run| (run.name_any(), Arc::new(run)))
                .collect()
        };
        Ok(owned.values().map(|run| analysis_run_state(run)).collect())
    }

    /// The named Services that exist, with the hash each selects.
    async fn named_services(&self) -> Result<BTreeMap<String, ServiceState>, Error> {
        let api: Api<Service> = Api::namespaced(self.client.clone(), self.namespace);
        let cache = &self.caches.services;
        let cached = cache.synced(SYNC_WAIT).await == CacheState::Ready;
        let written = self.caches.written(&self.uid).services;
        let mut services = BTreeMap::new();
        for name in service_names(self.rollout) {
            let from_cache = cache.get(self.namespace, &name);
            let found = if cached && !written.contains(&name) {
                from_cache
            } else {
                let live = api
                    .get_opt(&name)
                    .await
                    .map_err(self.kube_error(format!("get Service {name}")))?;
                if cached && same_version(from_cache.as_ref(), live.as_ref()) {
                    self.caches.settled(&self.uid, WrittenKind::Service, &name);
                }
                live.map(Arc::new)
            };
            if let Some(service) = found {
                let selected_hash = objects::selected_hash(&service).map(str::to_string);
                services.insert(name, ServiceState { selected_hash });
            }
        }
        Ok(services)
    }
}

/// The planner's view of one AnalysisRun; a run without a phase yet is Pending.
pub fn analysis_run_state(run: &AnalysisRun) -> AnalysisRunState {
    let status = run.status.as_ref();
    let phase = match status.and_then(|s| s.phase) {
        None | Some(crd::AnalysisPhase::Pending) => AnalysisPhase::Pending,
        Some(crd::AnalysisPhase::Running) => AnalysisPhase::Running,
        Some(crd::AnalysisPhase::Successful) => AnalysisPhase::Successful,
        Some(crd::AnalysisPhase::Failed) => AnalysisPhase::Failed,
        Some(crd::AnalysisPhase::Error) => AnalysisPhase::Error,
        Some(crd::AnalysisPhase::Inconclusive) => AnalysisPhase::Inconclusive,
    };
    AnalysisRunState {
        name: run.name_any(),
        phase,
        message: status.and_then(|s| s.message.clone()),
        created: run.metadata.creation_timestamp.as_ref().map(|t| t.0),
    }
}

/// The planner's view of one ReplicaSet.
pub fn replica_set_state(rs: &ReplicaSet) -> ReplicaSetState {
    let status = rs.status.as_ref();
    let failure = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
        })
        .map(|c| ReplicaFailure {
            reason: c.reason.clone().unwrap_or_default(),
            message: c.message.clone().unwrap_or_default(),
        });
    ReplicaSetState {
        name: rs.name_any(),
        hash: rs
            .labels()
            .get(POD_TEMPLATE_HASH_LABEL)
            .cloned()
            .unwrap_or_default(),
        replicas: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        current: status.map_or(0, |s| s.replicas),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: status.and_then(|s| s.available_replicas).unwrap_or(0),
        revision: rs
            .annotations()
            .get(REVISION_ANNOTATION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0),
        scale_down_deadline: objects::scale_down_deadline(rs),
        created: rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
        failure,
        template_metadata: template_metadata(rs),
    }
}

/// The labels and annotations of the ReplicaSet's pod template.
fn template_metadata(rs: &ReplicaSet) -> TemplateMetadata {
    let metadata = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref());
    TemplateMetadata {
        labels: metadata.and_then(|m| m.labels.clone()).unwrap_or_default(),
        annotations: metadata.and_then(|m| m.annotations.clone()).unwrap_or_default(),
    }
}

/// Whether `spec.restartAt` asks for a restart not yet recorded in `status.restartedAt`.
pub fn restart_pending(rollout: &Rollout) -> bool {
    let Some(restart_at) = rollout.spec.restart_at.as_ref() else {
        return false;
    };
    let restarted_at = rollout.status.as_ref().and_then(|s| s.restarted_at.as_ref());
    restarted_at.is_none_or(|done| done.0 < restart_at.0)
}

/// The pods whose controller is one of the Rollout's ReplicaSets.
async fn owned_pods(
    client: &Client,
    rollout: &Rollout,
    namespace: &str,
    replica_sets: &[ReplicaSetState],
) -> Result<Vec<PodState>, Error> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|source| Error::Kube {
            rollout: rollout.name_any(),
            what: "list Pods".to_string(),
            source,
        })?;
    let owned_by_rollout = |pod: &Pod| {
        pod.owner_references()
            .iter()
            .any(|o| o.kind == "ReplicaSet" && replica_sets.iter().any(|rs| rs.name == o.name))
    };
    Ok(list
        .items
        .iter()
        .filter(|pod| owned_by_rollout(pod))
        .filter_map(pod_state)
        .collect())
}

/// The planner's view of one pod; `None` for a pod without a creation time.
fn pod_state(pod: &Pod) -> Option<PodState> {
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    Some(PodState {
        name: pod.name_any(),
        created: pod.metadata.creation_timestamp.as_ref()?.0,
        ready,
    })
}

/// The names of the Services the Rollout's strategy refers to.
pub fn service_names(rollout: &Rollout) -> Vec<String> {
    let Some(strategy) = rollout.spec.strategy.as_ref() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if let Some(canary) = &strategy.canary {
        names.extend(canary.stable_service.clone());
        names.extend(canary.canary_service.clone());
    }
    if let Some(blue_green) = &strategy.blue_green {
        names.push(blue_green.active_service.clone());
        names.extend(blue_green.preview_service.clone());
    }
    names.retain(|n| !n.is_empty());
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(value: serde_json::Value) -> Rollout {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("bad Rollout: {e}"))
    }

    #[test]
    fn replica_set_state_reads_labels_annotations_and_counts() {
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "web-abc", "labels": {"rollouts-pod-template-hash": "abc"},
                "annotations": {"rollout.argoproj.io/revision": "3",
                    "scale-down-deadline": "2026-01-01T00:00:30Z"},
                "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"replicas": 4, "selector": {}},
            "status": {"replicas": 3, "readyReplicas": 2, "availableReplicas": 1,
                "conditions": [{"type": "ReplicaFailure", "status": "True",
                    "reason": "FailedCreate", "message": "quota"}]},
        }))
        .unwrap_or_else(|e| panic!("bad ReplicaSet: {e}"));
        let state = replica_set_state(&rs);
        assert_eq!(state.name, "web-abc");
        assert_eq!(state.hash, "abc");
        assert_eq!(
            (state.replicas, state.current, state.ready, state.available),
            (4, 3, 2, 1)
        );
        assert_eq!(state.revision, 3);
        assert_eq!(state.scale_down_deadline, "2026-01-01T00:00:30Z".parse().ok());
        assert_eq!(state.created, "2026-01-01T00:00:00Z".parse().ok());
        assert_eq!(state.failure.map(|f| f.reason), Some("FailedCreate".to_string()));
    }

    #[test]
    fn analysis_run_state_reads_phase_and_message() {
        let run: AnalysisRun = serde_json::from_value(json!({
            "metadata": {"name": "web-h-2-1"},
            "spec": {"metrics": []},
            "status": {"phase": "Failed", "message": "metric check failed"},
        }))
        .unwrap_or_else(|e| panic!("bad AnalysisRun: {e}"));
        let state = analysis_run_state(&run);
        assert_eq!(state.name, "web-h-2-1");
        assert_eq!(state.phase, AnalysisPhase::Failed);
        assert_eq!(state.message.as_deref(), Some("metric check failed"));
        let fresh: AnalysisRun = serde_json::from_value(json!({
            "metadata": {"name": "new"}, "spec": {"metrics": []}, "status": {"phase": ""}}))
        .unwrap_or_else(|e| panic!("bad AnalysisRun: {e}"));
        assert_eq!(analysis_run_state(&fresh).phase, AnalysisPhase::Pending);
    }

    #[test]
    fn service_names_lists_the_strategy_services() {
        let canary = rollout(
            json!({"metadata": {"name": "r"}, "spec": {"strategy": {"canary": {
            "stableService": "s", "canaryService": "c"}}}}),
        );
        assert_eq!(service_names(&canary), vec!["s".to_string(), "c".to_string()]);
        let blue_green = rollout(
            json!({"metadata": {"name": "r"}, "spec": {"strategy": {"blueGreen": {
            "activeService": "a"}}}}),
        );
        assert_eq!(service_names(&blue_green), vec!["a".to_string()]);
    }

    #[test]
    fn a_restart_is_pending_until_status_records_it() {
        let asked = json!({"metadata": {"name": "r"}, "spec": {"restartAt": "2026-01-01T00:00:10Z"}});
        assert!(restart_pending(&rollout(asked.clone())));
        let mut done = asked.clone();
        done["status"] = json!({"restartedAt": "2026-01-01T00:00:10Z"});
        assert!(!restart_pending(&rollout(done)));
        let mut older = asked;
        older["status"] = json!({"restartedAt": "2026-01-01T00:00:00Z"});
        assert!(restart_pending(&rollout(older)));
        assert!(!restart_pending(&rollout(
            json!({"metadata": {"name": "r"}, "spec": {}})
        )));
    }
}
