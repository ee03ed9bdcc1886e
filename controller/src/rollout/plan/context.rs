//! The planner's two working values: [`Ctx`], a read-only view of the observation sorted into
//! roles (new, stable, older ReplicaSets), and [`Draft`], the status, actions and requeue time
//! being built.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::rollout::{BlueGreenStrategy, CanaryStrategy, RolloutSpec, RolloutStatus};

use super::{Action, AnalysisRunState, EventType, Observed, Plan, ReplicaSetState};

/// Argo's default for `spec.replicas`.
const DEFAULT_REPLICAS: i32 = 1;

/// The strategy a valid Rollout uses.
pub(super) enum Strategy<'a> {
    Canary(&'a CanaryStrategy),
    BlueGreen(&'a BlueGreenStrategy),
}

/// The observation, sorted into the roles the strategies reason about.
pub(super) struct Ctx<'a> {
    pub obs: &'a Observed,
    pub spec: &'a RolloutSpec,
    pub name: &'a str,
    /// `spec.replicas`, defaulted.
    pub replicas: i32,
    /// The ReplicaSet of `spec.template`, if it exists.
    pub new_rs: Option<&'a ReplicaSetState>,
    /// The ReplicaSet `status.stableRS` names, unless it is the new one.
    pub stable_rs: Option<&'a ReplicaSetState>,
    /// Every other ReplicaSet, oldest revision first.
    pub older: Vec<&'a ReplicaSetState>,
    /// The revision of the new ReplicaSet (the next one when it does not exist yet).
    pub revision: i64,
    /// `status.stableRS == status.currentPodHash`: nothing is being rolled out.
    pub complete: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(obs: &'a Observed, status: &RolloutStatus) -> Self {
        let spec = &obs.rollout.spec;
        let stable_hash = status.stable_rs.as_deref();
        let new_rs = obs.replica_sets.iter().find(|rs| rs.hash == obs.pod_hash);
        let stable_rs = obs
            .replica_sets
            .iter()
            .find(|rs| Some(rs.hash.as_str()) == stable_hash && rs.hash != obs.pod_hash);
        let mut older: Vec<&ReplicaSetState> = obs
            .replica_sets
            .iter()
            .filter(|rs| rs.hash != obs.pod_hash && Some(rs.hash.as_str()) != stable_hash)
            .collect();
        older.sort_by_key(|rs| (rs.revision, rs.name.clone()));
        let highest = obs.replica_sets.iter().map(|rs| rs.revision).max().unwrap_or(0);
        Ctx {
            obs,
            spec,
            name: obs.rollout.metadata.name.as_deref().unwrap_or_default(),
            replicas: spec.replicas.unwrap_or(DEFAULT_REPLICAS).max(0),
            new_rs,
            stable_rs,
            older,
            revision: new_rs.map_or(highest.saturating_add(1), |rs| rs.revision),
            complete: stable_hash == Some(obs.pod_hash.as_str()),
        }
    }

    pub fn strategy(&self) -> Option<Strategy<'a>> {
        let strategy = self.spec.strategy.as_ref()?;
        match (&strategy.canary, &strategy.blue_green) {
            (Some(canary), None) => Some(Strategy::Canary(canary)),
            (None, Some(blue_green)) => Some(Strategy::BlueGreen(blue_green)),
            _ => None,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.obs.now
    }

    pub fn paused_by_user(&self) -> bool {
        self.spec.paused == Some(true)
    }

    pub fn new_rs_name(&self) -> String {
        self.new_rs.map_or_else(
            || format!("{}-{}", self.name, self.obs.pod_hash),
            |rs| rs.name.clone(),
        )
    }

    pub fn analysis_run(&self, name: &str) -> Option<&'a AnalysisRunState> {
        self.obs.analysis_runs.iter().find(|run| run.name == name)
    }

    /// Every ReplicaSet that is neither the new one nor the stable one is drained; this is
    /// what is left of them.
    pub fn older_replicas(&self) -> i32 {
        self.older
            .iter()
            .fold(0i32, |sum, rs| sum.saturating_add(rs.replicas))
            .min(super::replicas::MAX_PODS)
    }
}

/// The plan under construction.
pub(super) struct Draft {
    pub status: RolloutStatus,
    pub actions: Vec<Action>,
    /// Why this plan aborts the update, for the Progressing condition's message.
    pub abort_detail: Option<String>,
    requeue_at: Option<Timestamp>,
}

impl Draft {
    pub fn new(status: RolloutStatus) -> Self {
        Draft {
            status,
            actions: Vec::new(),
            abort_detail: None,
            requeue_at: None,
        }
    }

    pub fn act(&mut self, action: Action) {
        if !self.actions.contains(&action) {
            self.actions.push(action);
        }
    }

    pub fn event(&mut self, event_type: EventType, reason: &str, message: String) {
        self.act(Action::Event {
            event_type,
            reason: reason.to_string(),
            message,
        });
    }

    /// Asks to be planned again at `at` (the earliest of all such requests wins).
    pub fn wake_at(&mut self, at: Timestamp) {
        self.requeue_at = Some(self.requeue_at.map_or(at, |t| t.min(at)));
    }

    pub fn into_plan(self, old: &RolloutStatus, now: Timestamp) -> Plan {
        let requeue_after = self.requeue_at.map(|at| {
            let wait = now.duration_until(at);
            Duration::try_from(wait).unwrap_or(Duration::ZERO)
        });
        Plan {
            status: (self.status != *old).then_some(self.status),
            actions: self.actions,
            requeue_after,
        }
    }
}

/// `start + seconds`, saturating at the end of time rather than failing.
pub(super) fn after(start: Timestamp, duration: Duration) -> Timestamp {
    let span = jiff::SignedDuration::try_from(duration).unwrap_or(jiff::SignedDuration::MAX);
    start.checked_add(span).unwrap_or(Timestamp::MAX)
}

/// `start + seconds`, for the `*Seconds` fields of a spec (negative counts as zero).
pub(super) fn after_seconds(start: Timestamp, seconds: i32) -> Timestamp {
    after(start, Duration::from_secs(seconds.max(0) as u64))
}

pub(super) fn time(at: Timestamp) -> Time {
    Time(at)
}
