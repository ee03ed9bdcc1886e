//! When a metric is measured next: after the run's initial delay for the first measurement,
//! one interval after the last one (sooner after an error), or at a running measurement's
//! `resumeAt`.

use jiff::Timestamp;
use linnet_crds::analysis::MetricResult;

use crate::bookkeeping::Limits;

/// The next thing to do for a metric that is not decided yet, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Take a new measurement at this time.
    Measure(Timestamp),
    /// Look at the running measurement again at this time.
    Resume(Timestamp),
}

pub(super) fn next_measurement(
    limits: &Limits,
    result: Option<&MetricResult>,
    run_started: Timestamp,
) -> Next {
    let last = result
        .and_then(|result| result.measurements.as_ref())
        .and_then(|m| m.last());
    let Some(last) = last else {
        return Next::Measure(after(run_started, limits.initial_delay));
    };
    if !last.phase.is_completed() {
        let at = last
            .resume_at
            .as_ref()
            .or(last.started_at.as_ref())
            .map_or(run_started, |time| time.0);
        return Next::Resume(at);
    }
    let finished = last
        .finished_at
        .as_ref()
        .or(last.started_at.as_ref())
        .map_or(run_started, |time| time.0);
    let errored = last.phase == linnet_crds::analysis::AnalysisPhase::Error;
    // Without an interval an undecided metric (an error to retry) is measured at once.
    Next::Measure(after(finished, limits.wait_after(errored).unwrap_or_default()))
}

fn after(at: Timestamp, wait: std::time::Duration) -> Timestamp {
    at.checked_add(wait).unwrap_or(Timestamp::MAX)
}
