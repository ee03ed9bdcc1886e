//! Deleting a finished run whose `ttlStrategy` has expired; the deadline is planned by
//! [`super::retention`], this module only deletes. (Runs beyond a Rollout's history limits are
//! deleted by the Rollout controller, whose planner uses the same module.)

use std::time::Duration;

use jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams};
use linnet_crds::analysis::AnalysisRun;
use tracing::{info, warn};

use super::retention::{self, TtlVerdict};

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
        let name = run.name_any();
        if let Err(error) = delete(api, &name).await {
            warn!(analysisrun = %name, %error, "cannot delete the run");
        }
    }
    verdict
}

/// Deletes a finished run; one that is already gone counts as deleted.
///
/// # Errors
/// The API error of the delete.
pub async fn delete(api: &Api<AnalysisRun>, name: &str) -> Result<(), kube::Error> {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(error),
    }
}

/// How long to wait before looking at a finished run again for its TTL.
pub fn ttl_requeue(verdict: TtlVerdict) -> Option<Duration> {
    match verdict {
        TtlVerdict::WaitFor(wait) => Some(wait),
        TtlVerdict::Keep | TtlVerdict::Delete => None,
    }
}
