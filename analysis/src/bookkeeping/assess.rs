//! A metric's phase from its counters and limits, by Argo Rollouts' rules.
//!
//! In order: a measurement still running keeps the metric Running; too many failures fail it;
//! too many inconclusive results make it Inconclusive; too many errors in a row put it in
//! Error; enough successes in a row, or the count reached, decide it; otherwise it goes on
//! (or, when the run is terminating, ends Successful). A metric whose every measurement
//! errored is never Successful.

use linnet_crds::analysis::{AnalysisPhase, MetricResult};

use super::limits::Limits;

/// A metric's phase and, when a limit decided it, the reason in Argo's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub phase: AnalysisPhase,
    /// E.g. `failed (3) > failureLimit (2)`.
    pub reason: Option<String>,
}

impl Assessment {
    fn new(phase: AnalysisPhase) -> Assessment {
        Assessment { phase, reason: None }
    }

    fn because(phase: AnalysisPhase, reason: String) -> Assessment {
        Assessment {
            phase,
            reason: Some(reason),
        }
    }
}

/// Assesses one metric. `terminating` is true when the run was told to stop or another
/// metric already decided it.
pub fn assess_metric(limits: &Limits, result: &MetricResult, terminating: bool) -> Assessment {
    let measurements = result.measurements.as_deref().unwrap_or_default();
    let counter = |value: Option<i32>| i64::from(value.unwrap_or(0));
    let (count, failed, inconclusive) = (
        counter(result.count),
        counter(result.failed),
        counter(result.inconclusive),
    );
    let (errors, consecutive_errors) = (counter(result.error), counter(result.consecutive_error));
    let consecutive_successes = counter(result.consecutive_success);

    if measurements.is_empty() && count == 0 && errors == 0 {
        return Assessment::new(if terminating {
            AnalysisPhase::Successful
        } else {
            AnalysisPhase::Pending
        });
    }
    if measurements.last().is_some_and(|last| !last.phase.is_completed()) {
        return Assessment::new(AnalysisPhase::Running);
    }
    if limits.failure_limit >= 0 && failed > limits.failure_limit {
        let reason = format!("failed ({failed}) > failureLimit ({})", limits.failure_limit);
        return Assessment::because(AnalysisPhase::Failed, reason);
    }
    if inconclusive > limits.inconclusive_limit {
        let reason = format!(
            "inconclusive ({inconclusive}) > inconclusiveLimit ({})",
            limits.inconclusive_limit
        );
        return Assessment::because(AnalysisPhase::Inconclusive, reason);
    }
    if consecutive_errors > limits.consecutive_error_limit {
        let reason = format!(
            "consecutiveErrors ({consecutive_errors}) > consecutiveErrorLimit ({})",
            limits.consecutive_error_limit
        );
        return Assessment::because(AnalysisPhase::Error, reason);
    }
    let success_limit = limits.consecutive_success_limit;
    if success_limit > 0 && consecutive_successes >= success_limit {
        return Assessment::new(AnalysisPhase::Successful);
    }
    let decided = limits.count.is_some_and(|wanted| count >= wanted);
    if decided && success_limit > 0 {
        let reason = format!(
            "consecutiveSuccess ({consecutive_successes}) < consecutiveSuccessLimit ({success_limit})"
        );
        // With the failure limit disabled, the success limit is the only test left, and missing it fails.
        let phase = if limits.failure_limit >= 0 {
            AnalysisPhase::Inconclusive
        } else {
            AnalysisPhase::Failed
        };
        return Assessment::because(phase, reason);
    }
    if decided || terminating {
        return never_successful_on_errors_only(count, errors);
    }
    Assessment::new(AnalysisPhase::Running)
}

/// A metric ending without a single measurement taken without error has shown nothing: Error.
fn never_successful_on_errors_only(count: i64, errors: i64) -> Assessment {
    if count == 0 && errors > 0 {
        let reason = format!("all {errors} measurements errored");
        return Assessment::because(AnalysisPhase::Error, reason);
    }
    Assessment::new(AnalysisPhase::Successful)
}
