//! Deleting finished runs: a run whose `ttlStrategy` has expired, and the runs of a Rollout
//! beyond its history limits once one of them finishes or the Rollout starts a new one. What to delete is planned by
//! [`super::retention`]; this module only reads and deletes.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams};
use kube::{Client, ResourceExt};
use linnet_crds::analysis::AnalysisRun;
use linnet_crds::rollout::{Rollout, RolloutStatus};
use tracing::{info, warn};

use super::retention::{self, HistoryLimits, OwnedRun, TtlVerdict};

/// Applies the run's `ttlStrategy`: deletes it when its time is up, or says when to look
/// again. A run that is already gone counts as deleted.
pub async fn apply_ttl(api: &Api<AnalysisRun>, run: &AnalysisRun, now: Timestamp) -> TtlVerdict {
    let status = run.status.as_ref();
    let deadline = retention::ttl_deadline(
        run.spec.ttl_strategy.as_ref(),
        status.and_then(|s| s.phase),
        status.and_then(|s| s.completed_at.as_ref()).map(|t| t.0),
    );
    let verdict = retention::ttl_verdict(deadline, now);
    if verdict == TtlVerdict::Delete {
        info!(analysisrun = %run.name_any(), "ttlStrategy expired: deleting the run");
        delete(api, &run.name_any()).await;
    }
    verdict
}

/// After `run` finished, deletes the finished runs of the Rollout that controls it beyond
/// that Rollout's history limits, sparing those its status names. Runs not controlled by a
/// Rollout are left alone; failures are logged and left for the next finished run.
pub async fn collect_history(client: &Client, run: &AnalysisRun) {
    let Some(owner) = run
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true) && o.kind == "Rollout")
    else {
        return;
    };
    let namespace = run.namespace().unwrap_or_default();
    let rollouts: Api<Rollout> = Api::namespaced(client.clone(), &namespace);
    match rollouts.get_opt(&owner.name).await {
        Ok(Some(rollout)) if rollout.uid().as_deref() == Some(owner.uid.as_str()) => {
            collect_rollout_history(client, &rollout).await;
        }
        Ok(_) => {}
        Err(error) => {
            warn!(rollout = %owner.name, %error, "cannot read the Rollout to collect its AnalysisRuns");
        }
    }
}

/// Deletes the finished runs `rollout` owns beyond its history limits, sparing those its
/// status names. Also called by the Rollout controller when it starts a new run.
pub async fn collect_rollout_history(client: &Client, rollout: &Rollout) {
    let name = rollout.name_any();
    let uid = rollout.uid().unwrap_or_default();
    let api: Api<AnalysisRun> = Api::namespaced(client.clone(), &rollout.namespace().unwrap_or_default());
    let runs = match api.list(&ListParams::default()).await {
        Ok(list) => list.items,
        Err(error) => {
            warn!(rollout = %name, %error, "cannot list AnalysisRuns to collect");
            return;
        }
    };
    let owned: Vec<OwnedRun> = runs
        .iter()
        .filter(|r| r.owner_references().iter().any(|o| o.uid == uid))
        .map(|r| OwnedRun {
            name: r.name_any(),
            phase: r.status.as_ref().and_then(|s| s.phase),
            created: r.metadata.creation_timestamp.as_ref().map(|t| t.0),
        })
        .collect();
    let history = rollout.spec.analysis.as_ref();
    let limits = HistoryLimits::new(
        history.and_then(|h| h.successful_run_history_limit),
        history.and_then(|h| h.unsuccessful_run_history_limit),
    );
    let in_use = named_runs(rollout.status.as_ref());
    for run in retention::history_to_delete(&owned, &in_use, limits) {
        info!(rollout = %name, analysisrun = %run, "beyond the run history limit: deleting");
        delete(&api, &run).await;
    }
}

/// The runs a Rollout's status names: those of its current gates.
fn named_runs(status: Option<&RolloutStatus>) -> BTreeSet<String> {
    let Some(status) = status else {
        return BTreeSet::new();
    };
    let canary = status.canary.as_ref();
    let blue_green = status.blue_green.as_ref();
    [
        canary.and_then(|c| c.current_step_analysis_run_status.as_ref()),
        canary.and_then(|c| c.current_background_analysis_run_status.as_ref()),
        blue_green.and_then(|b| b.pre_promotion_analysis_run_status.as_ref()),
        blue_green.and_then(|b| b.post_promotion_analysis_run_status.as_ref()),
    ]
    .into_iter()
    .flatten()
    .map(|run| run.name.clone())
    .collect()
}

async fn delete(api: &Api<AnalysisRun>, name: &str) {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => {}
        Err(error) => warn!(analysisrun = name, %error, "cannot delete the run"),
    }
}

/// How long to wait before looking at a finished run again for its TTL.
pub fn ttl_requeue(verdict: TtlVerdict) -> Option<Duration> {
    match verdict {
        TtlVerdict::WaitFor(wait) => Some(wait),
        TtlVerdict::Keep | TtlVerdict::Delete => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_runs_a_rollout_names_are_those_of_its_gates() {
        let status: RolloutStatus = serde_json::from_value(json!({
            "canary": {
                "currentStepAnalysisRunStatus": {"name": "step", "status": "Running"},
                "currentBackgroundAnalysisRunStatus": {"name": "bg", "status": "Running"},
            },
            "blueGreen": {"prePromotionAnalysisRunStatus": {"name": "pre", "status": "Successful"}},
        }))
        .unwrap_or_else(|e| panic!("bad status: {e}"));
        let names: Vec<String> = named_runs(Some(&status)).into_iter().collect();
        assert_eq!(names, ["bg", "pre", "step"]);
        assert!(named_runs(None).is_empty());
    }
}
