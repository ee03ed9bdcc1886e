//! The Rollout planner: a pure, total function from what the controller observed about one
//! Rollout (its spec and status, the ReplicaSets it owns, the Services and AnalysisRuns it
//! refers to, the router's weights, and `now`) to a [`Plan`]: the status to write, the actions
//! to take, and when to look again.
//!
//! Status is the only memory. Everything the planner needs to continue an update after a
//! restart is in `status` (and in the ReplicaSets' scale-down deadline annotations), so the
//! same observation always yields the same plan, and once a plan's effects are observed
//! planning again asks for nothing more.

mod analysis;
mod bluegreen;
mod canary;
mod context;
mod deadline;
mod fast_track;
mod metadata;
mod operations;
pub mod replicas;
mod run_history;
mod scaling;
mod status;
mod steps;
mod traffic;
mod transitions;
mod validity;
mod workload;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::rollout::{
    AnalysisRunArgument, Rollout, RolloutAnalysisTemplate, RolloutStatus, SetHeaderRoute, SetMirrorRoute,
    WeightDestination, WorkloadScaleDown,
};

pub use analysis::RunOptions;
pub use steps::Stage;

pub use super::objects::ReplicaSetRole;

/// Everything the planner looks at, read from the cluster by the caller.
#[derive(Clone, Debug)]
pub struct Observed {
    /// The Rollout as read, spec, status and metadata (shared with the cache that holds it).
    pub rollout: Arc<Rollout>,
    /// The time of this observation; the planner has no clock of its own.
    pub now: Timestamp,
    /// The pod-template hash of `spec.template`, as Argo computes it.
    pub pod_hash: String,
    /// The hash of `spec.strategy.canary.steps` (empty for blue-green).
    pub step_hash: String,
    /// The ReplicaSets the Rollout owns.
    pub replica_sets: Vec<ReplicaSetState>,
    /// The Services the strategy names, by name. A named Service absent here does not exist.
    pub services: BTreeMap<String, ServiceState>,
    /// The Rollout's pods, read only when a restart is pending.
    pub pods: Vec<PodState>,
    /// AnalysisRuns owned by the Rollout, found by the names status records.
    pub analysis_runs: Vec<AnalysisRunState>,
    /// The weights the traffic router currently applies, when the canary is routed.
    pub router_weights: Option<RouterWeights>,
    /// The route objects the traffic routing names that the cluster does not have.
    pub missing_routes: Vec<MissingRoute>,
    /// Other Rollouts in the namespace whose pods overlap this one's by selector.
    pub overlapping: Vec<OverlappingRollout>,
    /// The workload `spec.workloadRef` names, when its template was taken for `rollout`'s.
    pub workload: Option<WorkloadState>,
    /// Why `spec.workloadRef` could not be resolved: the workload is missing, or the kind is
    /// one the controller does not take templates from.
    pub workload_problem: Option<linnet_crds::Finding>,
}

/// The Deployment, ReplicaSet or PodTemplate behind `spec.workloadRef`, as the planner needs
/// it. `Observed::rollout` carries its pod template (and its selector when the Rollout names
/// none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadState {
    pub name: String,
    /// Its `metadata.generation`: what `status.workloadObservedGeneration` reports.
    pub generation: i64,
    /// A Deployment's `spec.replicas` (1 when unset, as Kubernetes defaults it); 0 for the
    /// other kinds, which are never scaled.
    pub replicas: i32,
    /// `spec.workloadRef.scaleDown` (`never` when unset, and always for the kinds not scaled).
    pub scale_down: WorkloadScaleDown,
    /// The Rollout's `rollout.argoproj.io/workload-generation` annotation as stored.
    pub annotated_generation: Option<String>,
}

/// A route object the Rollout's traffic routing names that does not exist, or whose API the
/// cluster does not serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingRoute {
    /// The field that names it, e.g. `spec.strategy.canary.trafficRouting.nginx.stableIngress`.
    pub field: linnet_crds::FieldPath,
    /// What is missing, e.g. `Ingress "shop/web" not found`.
    pub message: String,
}

/// Another Rollout of the namespace whose pods and this Rollout's overlap: one's selector
/// selects the other's pod template labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlappingRollout {
    pub name: String,
    pub created: Option<Timestamp>,
    /// This Rollout's selector selects the other's pods.
    pub selected_by_us: bool,
    /// The other's selector selects this Rollout's pods.
    pub selects_ours: bool,
}

/// One ReplicaSet owned by the Rollout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaSetState {
    pub name: String,
    /// Its `rollouts-pod-template-hash` label.
    pub hash: String,
    /// `spec.replicas`.
    pub replicas: i32,
    /// `status.replicas`: pods that exist.
    pub current: i32,
    pub ready: i32,
    pub available: i32,
    /// Its `rollout.argoproj.io/revision` annotation.
    pub revision: i64,
    /// Its `scale-down-deadline` annotation, when set.
    pub scale_down_deadline: Option<Timestamp>,
    pub created: Option<Timestamp>,
    /// Its `ReplicaFailure` condition when True: pods it could not create or delete.
    pub failure: Option<ReplicaFailure>,
    /// The labels and annotations of its pod template, where role metadata goes.
    pub template_metadata: TemplateMetadata,
}

/// The labels and annotations of a pod template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateMetadata {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Why a ReplicaSet could not create or delete pods (its `ReplicaFailure` condition).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaFailure {
    /// E.g. `FailedCreate`.
    pub reason: String,
    pub message: String,
}

/// A Service a strategy names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceState {
    /// The value of `rollouts-pod-template-hash` in its selector, if any.
    pub selected_hash: Option<String>,
}

/// A pod of the Rollout, as a restart needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodState {
    pub name: String,
    pub created: Timestamp,
    pub ready: bool,
}

/// An AnalysisRun the Rollout created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalysisRunState {
    pub name: String,
    pub phase: AnalysisPhase,
    pub message: Option<String>,
    /// `metadata.creationTimestamp`: the history limits keep the newest runs.
    pub created: Option<Timestamp>,
}

/// The phase of an AnalysisRun, as its controller writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalysisPhase {
    Pending,
    Running,
    Successful,
    Failed,
    Error,
    Inconclusive,
}

impl AnalysisPhase {
    /// The phase as written in `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisPhase::Pending => "Pending",
            AnalysisPhase::Running => "Running",
            AnalysisPhase::Successful => "Successful",
            AnalysisPhase::Failed => "Failed",
            AnalysisPhase::Error => "Error",
            AnalysisPhase::Inconclusive => "Inconclusive",
        }
    }

    /// Whether the run is still measuring.
    pub fn is_running(self) -> bool {
        matches!(self, AnalysisPhase::Pending | AnalysisPhase::Running)
    }
}

/// The weights a traffic router applies, out of `maxTrafficWeight`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouterWeights {
    pub canary: i32,
    pub stable: i32,
}

/// Which part of a rollout an AnalysisRun judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalysisKind {
    /// An `analysis` canary step.
    Step,
    /// `canary.analysis`, for the whole update.
    Background,
    /// `blueGreen.prePromotionAnalysis`.
    PrePromotion,
    /// `blueGreen.postPromotionAnalysis`.
    PostPromotion,
}

/// Whether an Event reports something normal or a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

/// One change to make in the cluster; the executor turns each into one API call.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create the ReplicaSet for `spec.template` with this hash, revision and size.
    CreateReplicaSet {
        hash: String,
        revision: i64,
        replicas: i32,
    },
    /// Set a ReplicaSet's `spec.replicas`.
    ScaleReplicaSet { name: String, replicas: i32 },
    /// Set (or, with `None`, remove) a ReplicaSet's `scale-down-deadline` annotation.
    AnnotateScaleDownDeadline {
        name: String,
        deadline: Option<Timestamp>,
    },
    /// Delete an old ReplicaSet beyond `revisionHistoryLimit`.
    DeleteReplicaSet { name: String },
    /// Point a Service's `rollouts-pod-template-hash` selector at a ReplicaSet.
    SetServiceSelector { service: String, hash: String },
    /// Set the traffic router's weights, out of `maxTrafficWeight`.
    SetTrafficWeight {
        canary: i32,
        stable: i32,
        additional: Vec<WeightDestination>,
    },
    /// Add or replace a managed header route (a route without `match` is removed).
    SetHeaderRoute(SetHeaderRoute),
    /// Add or replace a managed mirror route (a route without `match` is removed).
    SetMirrorRoute(SetMirrorRoute),
    /// Remove every route listed in `trafficRouting.managedRoutes`.
    RemoveManagedRoutes,
    /// Create an AnalysisRun with this name from these templates and arguments.
    CreateAnalysisRun {
        name: String,
        kind: AnalysisKind,
        templates: Vec<RolloutAnalysisTemplate>,
        args: Vec<AnalysisRunArgument>,
        /// The gate's `dryRun`, `measurementRetention` and `analysisRunMetadata`.
        options: RunOptions,
    },
    /// Ask a running AnalysisRun to stop (`spec.terminate: true`).
    TerminateAnalysisRun { name: String },
    /// Delete a finished AnalysisRun beyond the Rollout's run history limits.
    DeleteAnalysisRun { name: String },
    /// Evict a pod (honouring disruption budgets) for `spec.restartAt`.
    EvictPod { name: String },
    /// Give a ReplicaSet's pods and pod template the metadata of its role (`canaryMetadata`,
    /// `stableMetadata`, `previewMetadata`, `activeMetadata`), removing the other role's.
    SetRoleMetadata {
        name: String,
        hash: String,
        role: ReplicaSetRole,
    },
    /// Set the `spec.replicas` of the Deployment `spec.workloadRef` names (its `scaleDown`).
    ScaleWorkload { name: String, replicas: i32 },
    /// Set the Rollout's `rollout.argoproj.io/workload-generation` annotation to the
    /// referenced workload's generation, as Argo does (Argo CD's health check compares it
    /// with `status.workloadObservedGeneration`).
    AnnotateWorkloadGeneration { generation: String },
    /// Record an Event on the Rollout.
    Event {
        event_type: EventType,
        reason: String,
        message: String,
    },
}

/// What to do after one observation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// The status to write, or `None` when it is unchanged.
    pub status: Option<RolloutStatus>,
    /// The changes to make, in order.
    pub actions: Vec<Action>,
    /// When to plan again even if nothing changes: the nearest deadline.
    pub requeue_after: Option<Duration>,
}

impl Plan {
    /// The actions other than Events: what changes the cluster.
    pub fn changes(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| !matches!(a, Action::Event { .. }))
    }
}

/// Plans one reconcile of a Rollout. Pure and total: it reads only `observed` and never panics.
pub fn plan(observed: &Observed) -> Plan {
    let old = observed.rollout.status.clone().unwrap_or_default();
    let mut draft = context::Draft::new(old.clone());
    let problems = validity::problems(observed);
    if !problems.is_empty() {
        status::invalid_spec(observed, &problems, &mut draft);
        return draft.into_plan(&old, observed.now);
    }
    let observed = &*clamped(observed);
    operations::observe_user_intent(observed, &mut draft);
    let ctx = context::Ctx::new(observed, &draft.status);
    operations::user_abort(&ctx, &mut draft);
    match ctx.strategy() {
        Some(context::Strategy::Canary(canary)) => canary::plan(&ctx, canary, &mut draft),
        Some(context::Strategy::BlueGreen(blue_green)) => bluegreen::plan(&ctx, blue_green, &mut draft),
        None => {}
    }
    let ctx = context::Ctx::new(observed, &draft.status);
    operations::restart(&ctx, &mut draft);
    metadata::roles(&ctx, &mut draft);
    operations::history_limit(&ctx, &mut draft);
    run_history::collect(&ctx, &mut draft);
    deadline::progress(&ctx, &mut draft);
    status::finish(&ctx, &mut draft);
    workload::follow(&ctx, &mut draft);
    draft.into_plan(&old, observed.now)
}

/// The observation with every count clamped to `0..=MAX_PODS`: a corrupt or hostile number
/// must not make the arithmetic overflow. Copied only when a count is out of range.
fn clamped(observed: &Observed) -> Cow<'_, Observed> {
    let clamp = |n: i32| n.clamp(0, replicas::MAX_PODS);
    let in_range = |n: i32| clamp(n) == n;
    let counts_in_range = observed.rollout.spec.replicas.is_none_or(in_range)
        && observed.replica_sets.iter().all(|rs| {
            [rs.replicas, rs.current, rs.ready, rs.available]
                .into_iter()
                .all(in_range)
                && (0..=i64::from(i32::MAX)).contains(&rs.revision)
        });
    if counts_in_range {
        return Cow::Borrowed(observed);
    }
    let mut observed = observed.clone();
    let spec = &mut Arc::make_mut(&mut observed.rollout).spec;
    spec.replicas = spec.replicas.map(clamp);
    for rs in &mut observed.replica_sets {
        (rs.replicas, rs.current, rs.ready, rs.available) = (
            clamp(rs.replicas),
            clamp(rs.current),
            clamp(rs.ready),
            clamp(rs.available),
        );
        rs.revision = rs.revision.clamp(0, i64::from(i32::MAX));
    }
    Cow::Owned(observed)
}
