//! Fixtures for the Rollout planner tests: builders that read like sentences
//! (`rollout().canary(steps).replicas(10)`, `observed(ro).with_stable_rs(..)`), and a tiny
//! in-memory cluster that applies a plan's actions so that a test can run the planner to a
//! fixed point.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use linnet_controller::rollout::objects::role_metadata_patch;
use linnet_controller::rollout::plan::{
    Action, AnalysisPhase, AnalysisRunState, Observed, Plan, ReplicaSetState, RouterWeights, ServiceState,
    plan,
};
use linnet_crds::rollout::{CanaryStep, Rollout, RolloutStatus};
use serde_json::{Value, json};

/// The time every fixture starts at.
pub fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().expect("fixed timestamp")
}

pub const STABLE: &str = "stable1";
pub const NEW: &str = "new2";
pub const STEPS: &str = "steps1";

pub struct RolloutBuilder(Value);

/// A Rollout named `web` with one replica and a basic canary without steps.
pub fn rollout() -> RolloutBuilder {
    RolloutBuilder(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "default", "generation": 1},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "web:1"}]}
            },
            "strategy": {"canary": {}}
        }
    }))
}

impl RolloutBuilder {
    pub fn replicas(mut self, n: i32) -> Self {
        self.0["spec"]["replicas"] = json!(n);
        self
    }

    pub fn canary(mut self, steps: Vec<Value>) -> Self {
        self.0["spec"]["strategy"] = json!({"canary": {"steps": steps}});
        self
    }

    /// Sets a field of `spec.strategy.canary`.
    pub fn canary_field(mut self, field: &str, value: Value) -> Self {
        self.0["spec"]["strategy"]["canary"][field] = value;
        self
    }

    /// A routed canary (SMI) with canary and stable Services.
    pub fn routed(self) -> Self {
        self.canary_field("canaryService", json!("web-canary"))
            .canary_field("stableService", json!("web-stable"))
            .canary_field("trafficRouting", json!({"smi": {"rootService": "web"}}))
    }

    pub fn blue_green(mut self, fields: Value) -> Self {
        let mut strategy = json!({"activeService": "web-active", "previewService": "web-preview"});
        if let (Some(target), Some(extra)) = (strategy.as_object_mut(), fields.as_object()) {
            target.extend(extra.clone());
        }
        self.0["spec"]["strategy"] = json!({"blueGreen": strategy});
        self
    }

    pub fn spec(mut self, field: &str, value: Value) -> Self {
        self.0["spec"][field] = value;
        self
    }

    pub fn generation(mut self, n: i64) -> Self {
        self.0["metadata"]["generation"] = json!(n);
        self
    }

    pub fn build(self) -> Rollout {
        serde_json::from_value(self.0).expect("fixture rollout")
    }
}

pub fn set_weight(weight: i32) -> Value {
    json!({"setWeight": weight})
}

pub fn pause() -> Value {
    json!({"pause": {}})
}

pub fn pause_for(seconds: i64) -> Value {
    json!({"pause": {"duration": seconds}})
}

pub fn analysis_step(template: &str) -> Value {
    json!({"analysis": {"templates": [{"templateName": template}]}})
}

pub fn steps(steps: &[Value]) -> Vec<CanaryStep> {
    serde_json::from_value(json!(steps)).expect("fixture steps")
}

/// An observation of `rollout` with no ReplicaSets, the Services its strategy names, at `t0`.
pub fn observed(rollout: Rollout) -> Observed {
    let mut services = BTreeMap::new();
    for name in ["web-canary", "web-stable", "web-active", "web-preview"] {
        services.insert(name.to_string(), ServiceState::default());
    }
    Observed {
        rollout: Arc::new(rollout),
        now: t0(),
        pod_hash: NEW.to_string(),
        step_hash: STEPS.to_string(),
        replica_sets: Vec::new(),
        services,
        pods: Vec::new(),
        analysis_runs: Vec::new(),
        router_weights: None,
        missing_routes: Vec::new(),
        overlapping: Vec::new(),
        workload: None,
        workload_problem: None,
    }
}

pub fn replica_set(hash: &str, revision: i64, replicas: i32) -> ReplicaSetState {
    ReplicaSetState {
        name: format!("web-{hash}"),
        hash: hash.to_string(),
        replicas,
        current: replicas,
        ready: replicas,
        available: replicas,
        revision,
        scale_down_deadline: None,
        created: Some(t0()),
        failure: None,
        template_metadata: Default::default(),
    }
}

/// A ReplicaSet created `seconds` before [`t0`].
pub fn replica_set_made_before(hash: &str, revision: i64, replicas: i32, seconds: i64) -> ReplicaSetState {
    let mut rs = replica_set(hash, revision, replicas);
    rs.created = t0().checked_sub(jiff::SignedDuration::from_secs(seconds)).ok();
    rs
}

/// The template goes back to `hash`, an older ReplicaSet scaled to 0, while STABLE (created
/// after it, with `between` more ReplicaSets created in between) runs every pod.
pub fn rolling_back_to(rollout: Rollout, hash: &str, between: usize) -> Observed {
    let replicas = rollout.spec.replicas.unwrap_or(1);
    let mut obs = observed(rollout);
    obs.replica_sets.push(replica_set_made_before(hash, 1, 0, 300));
    for i in 0..between {
        let rs = replica_set_made_before(&format!("mid{i}"), 2 + i as i64, 0, 200 - i as i64);
        obs.replica_sets.push(rs);
    }
    obs.replica_sets
        .push(replica_set_made_before(STABLE, 2 + between as i64, replicas, 100));
    obs.pod_hash = hash.to_string();
    obs.with_status(|s| {
        s.stable_rs = Some(STABLE.into());
        s.current_pod_hash = Some(STABLE.into());
        s.current_step_hash = Some(STEPS.into());
    })
}

pub trait ObservedExt: Sized {
    fn with_stable_rs(self, replicas: i32) -> Self;
    fn with_new_rs(self, replicas: i32, available: i32) -> Self;
    fn with_status(self, edit: impl FnOnce(&mut RolloutStatus)) -> Self;
    /// Status as it is in the middle of an update from `STABLE` to `NEW` at `step`.
    fn updating(self, step: i32) -> Self;
    fn with_router(self, canary: i32, stable: i32) -> Self;
    fn with_run(self, name: &str, phase: AnalysisPhase) -> Self;
    fn at(self, seconds: i64) -> Self;
}

impl ObservedExt for Observed {
    fn with_stable_rs(mut self, replicas: i32) -> Self {
        self.replica_sets.push(replica_set(STABLE, 1, replicas));
        self
    }

    fn with_new_rs(mut self, replicas: i32, available: i32) -> Self {
        let mut rs = replica_set(NEW, 2, replicas);
        rs.available = available;
        rs.ready = available;
        self.replica_sets.push(rs);
        self
    }

    fn with_status(mut self, edit: impl FnOnce(&mut RolloutStatus)) -> Self {
        edit(Arc::make_mut(&mut self.rollout).status.get_or_insert_default());
        self
    }

    fn updating(self, step: i32) -> Self {
        self.with_status(|s| {
            s.stable_rs = Some(STABLE.to_string());
            s.current_pod_hash = Some(NEW.to_string());
            s.current_step_hash = Some(STEPS.to_string());
            s.current_step_index = Some(step);
        })
    }

    fn with_router(mut self, canary: i32, stable: i32) -> Self {
        self.router_weights = Some(RouterWeights { canary, stable });
        self
    }

    fn with_run(mut self, name: &str, phase: AnalysisPhase) -> Self {
        self.analysis_runs.push(AnalysisRunState {
            name: name.to_string(),
            phase,
            message: None,
            created: None,
        });
        self
    }

    fn at(mut self, seconds: i64) -> Self {
        self.now = t0()
            .checked_add(jiff::SignedDuration::from_secs(seconds))
            .expect("fixture time");
        self
    }
}

/// The in-test cluster: applies a plan to the observation. ReplicaSets are ready at once,
/// AnalysisRuns start Running, and the written status becomes the Rollout's status.
pub fn apply(mut obs: Observed, plan: &Plan) -> Observed {
    if let Some(status) = &plan.status {
        Arc::make_mut(&mut obs.rollout).status = Some(status.clone());
    }
    for action in &plan.actions {
        match action {
            Action::CreateReplicaSet {
                hash,
                revision,
                replicas,
            } => {
                obs.replica_sets.push(replica_set(hash, *revision, *replicas));
            }
            Action::ScaleReplicaSet { name, replicas } => {
                if let Some(rs) = obs.replica_sets.iter_mut().find(|rs| &rs.name == name) {
                    (rs.replicas, rs.current, rs.ready, rs.available) =
                        (*replicas, *replicas, *replicas, *replicas);
                }
            }
            Action::AnnotateScaleDownDeadline { name, deadline } => {
                if let Some(rs) = obs.replica_sets.iter_mut().find(|rs| &rs.name == name) {
                    rs.scale_down_deadline = *deadline;
                }
            }
            Action::DeleteReplicaSet { name } => obs.replica_sets.retain(|rs| &rs.name != name),
            Action::SetServiceSelector { service, hash } => {
                obs.services.insert(
                    service.clone(),
                    ServiceState {
                        selected_hash: Some(hash.clone()),
                    },
                );
            }
            Action::SetTrafficWeight { canary, stable, .. } => {
                obs.router_weights = Some(RouterWeights {
                    canary: *canary,
                    stable: *stable,
                });
            }
            Action::CreateAnalysisRun { name, .. } => {
                obs.analysis_runs.push(AnalysisRunState {
                    name: name.clone(),
                    phase: AnalysisPhase::Running,
                    message: None,
                    created: Some(obs.now),
                });
            }
            Action::TerminateAnalysisRun { name } => {
                if let Some(run) = obs.analysis_runs.iter_mut().find(|r| &r.name == name) {
                    run.phase = AnalysisPhase::Successful;
                }
            }
            Action::DeleteAnalysisRun { name } => obs.analysis_runs.retain(|r| &r.name != name),
            Action::EvictPod { name } => obs.pods.retain(|p| &p.name != name),
            Action::SetRoleMetadata { name, role, .. } => {
                let patch = role_metadata_patch(&obs.rollout, *role).unwrap_or_default();
                if let Some(rs) = obs.replica_sets.iter_mut().find(|rs| &rs.name == name) {
                    let metadata = &patch["spec"]["template"]["metadata"];
                    let template = &mut rs.template_metadata;
                    merge_into(&mut template.labels, &metadata["labels"]);
                    merge_into(&mut template.annotations, &metadata["annotations"]);
                }
            }
            Action::ScaleWorkload { replicas, .. } => {
                if let Some(workload) = &mut obs.workload {
                    workload.replicas = *replicas;
                }
            }
            Action::AnnotateWorkloadGeneration { generation } => {
                if let Some(workload) = &mut obs.workload {
                    workload.annotated_generation = Some(generation.clone());
                }
            }
            Action::SetHeaderRoute(_)
            | Action::SetMirrorRoute(_)
            | Action::RemoveManagedRoutes
            | Action::Event { .. } => {}
        }
    }
    obs
}

/// Applies a merge patch section (`key: value` sets, `key: null` removes) to a string map.
fn merge_into(map: &mut BTreeMap<String, String>, patch: &Value) {
    for (key, value) in patch.as_object().into_iter().flatten() {
        match value.as_str() {
            Some(text) => map.insert(key.clone(), text.to_string()),
            None => map.remove(key),
        };
    }
}

/// One pass planned and applied: an analysis gate records its run's name in that pass and
/// creates the run in the next.
pub fn recorded_intent(obs: Observed) -> Observed {
    let planned = plan(&obs);
    apply(obs, &planned)
}

/// Plans and applies until a plan changes nothing; returns the final observation and every
/// plan made on the way. Panics if no fixed point is reached: that is a planner bug.
pub fn settle(mut obs: Observed) -> (Observed, Vec<Plan>) {
    let mut plans = Vec::new();
    for _ in 0..30 {
        let planned = plan(&obs);
        let idle = planned.status.is_none() && planned.changes().next().is_none();
        obs = apply(obs, &planned);
        plans.push(planned);
        if idle {
            return (obs, plans);
        }
    }
    panic!(
        "the planner did not settle: last plans {:#?}",
        &plans[plans.len() - 3..]
    );
}

/// Scale actions of a plan as `(name, replicas)`.
pub fn scales(plan: &Plan) -> Vec<(String, i32)> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::ScaleReplicaSet { name, replicas } => Some((name.clone(), *replicas)),
            Action::CreateReplicaSet { hash, replicas, .. } => Some((format!("web-{hash}"), *replicas)),
            _ => None,
        })
        .collect()
}

/// Whether any of the plans creates an AnalysisRun.
pub fn creates_a_run(plans: &[Plan]) -> bool {
    plans
        .iter()
        .flat_map(|p| &p.actions)
        .any(|a| matches!(a, Action::CreateAnalysisRun { .. }))
}

/// Reasons of a plan's Events.
pub fn events(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::Event { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// The status a plan writes, or the one it leaves.
pub fn status_after(obs: &Observed, plan: &Plan) -> RolloutStatus {
    plan.status
        .clone()
        .or_else(|| obs.rollout.status.clone())
        .unwrap_or_default()
}
