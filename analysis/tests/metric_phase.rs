//! The metric phase table: each limit, its default, the success streak, termination, and a
//! metric whose measurements all errored.

mod support;

use linnet_analysis::bookkeeping::{Limits, assess_metric};
use linnet_crds::analysis::AnalysisPhase::{self, Error, Failed, Inconclusive, Pending, Running, Successful};
use linnet_crds::analysis::{AnalysisRunStatus, MetricResult};
use support::*;

/// One row of the metric assessment table.
struct Row {
    name: &'static str,
    metric: linnet_crds::analysis::Metric,
    measured: &'static [AnalysisPhase],
    terminating: bool,
    phase: AnalysisPhase,
    reason: Option<&'static str>,
}

#[test]
fn metric_phase_table() {
    let m = || metric("m").interval("1m");
    let rows = [
        Row {
            name: "nothing measured",
            metric: m(),
            measured: &[],
            terminating: false,
            phase: Pending,
            reason: None,
        },
        Row {
            name: "nothing measured, terminating",
            metric: m(),
            measured: &[],
            terminating: true,
            phase: Successful,
            reason: None,
        },
        Row {
            name: "one success, endless",
            metric: m(),
            measured: &[Successful],
            terminating: false,
            phase: Running,
            reason: None,
        },
        Row {
            name: "single measurement default count",
            metric: metric("m"),
            measured: &[Successful],
            terminating: false,
            phase: Successful,
            reason: None,
        },
        Row {
            name: "one failure exceeds default limit 0",
            metric: m(),
            measured: &[Failed],
            terminating: false,
            phase: Failed,
            reason: Some("failed (1) > failureLimit (0)"),
        },
        Row {
            name: "failures within limit",
            metric: m().failure_limit(2),
            measured: &[Failed, Failed],
            terminating: false,
            phase: Running,
            reason: None,
        },
        Row {
            name: "failures over limit",
            metric: m().failure_limit(2),
            measured: &[Failed, Successful, Failed, Failed],
            terminating: false,
            phase: Failed,
            reason: Some("failed (3) > failureLimit (2)"),
        },
        Row {
            name: "failure limit -1 disables",
            metric: m().failure_limit(-1).count(3),
            measured: &[Failed, Failed, Failed],
            terminating: false,
            phase: Successful,
            reason: None,
        },
        Row {
            name: "inconclusive over default 0",
            metric: m(),
            measured: &[Inconclusive],
            terminating: false,
            phase: Inconclusive,
            reason: Some("inconclusive (1) > inconclusiveLimit (0)"),
        },
        Row {
            name: "inconclusive within limit",
            metric: m().inconclusive_limit(1),
            measured: &[Inconclusive],
            terminating: false,
            phase: Running,
            reason: None,
        },
        Row {
            name: "four errors in a row tolerated",
            metric: m(),
            measured: &[Error, Error, Error, Error],
            terminating: false,
            phase: Running,
            reason: None,
        },
        Row {
            name: "five errors in a row",
            metric: m(),
            measured: &[Error, Error, Error, Error, Error],
            terminating: false,
            phase: Error,
            reason: Some("consecutiveErrors (5) > consecutiveErrorLimit (4)"),
        },
        Row {
            name: "errors broken by a success",
            metric: m(),
            measured: &[Error, Error, Error, Successful, Error, Error],
            terminating: false,
            phase: Running,
            reason: None,
        },
        Row {
            name: "consecutive error limit 0",
            metric: m().consecutive_error_limit(0),
            measured: &[Error],
            terminating: false,
            phase: Error,
            reason: Some("consecutiveErrors (1) > consecutiveErrorLimit (0)"),
        },
        Row {
            name: "count reached",
            metric: m().count(3),
            measured: &[Successful, Successful, Successful],
            terminating: false,
            phase: Successful,
            reason: None,
        },
        Row {
            name: "count not reached (errors do not count)",
            metric: m().count(2),
            measured: &[Successful, Error],
            terminating: false,
            phase: Running,
            reason: None,
        },
        Row {
            name: "consecutive successes decide early",
            metric: m().count(10).consecutive_success_limit(2),
            measured: &[Successful, Successful],
            terminating: false,
            phase: Successful,
            reason: None,
        },
        Row {
            name: "count reached without the success streak",
            metric: m().count(3).failure_limit(1).consecutive_success_limit(3),
            measured: &[Successful, Failed, Successful],
            terminating: false,
            phase: Inconclusive,
            reason: Some("consecutiveSuccess (1) < consecutiveSuccessLimit (3)"),
        },
        Row {
            name: "success streak only, count reached without it",
            metric: m().count(2).failure_limit(-1).consecutive_success_limit(2),
            measured: &[Failed, Successful],
            terminating: false,
            phase: Failed,
            reason: Some("consecutiveSuccess (1) < consecutiveSuccessLimit (2)"),
        },
        Row {
            name: "failure limit beats the success streak",
            metric: m().count(5).failure_limit(0).consecutive_success_limit(2),
            measured: &[Failed],
            terminating: false,
            phase: Failed,
            reason: Some("failed (1) > failureLimit (0)"),
        },
        Row {
            name: "terminating an endless metric",
            metric: m(),
            measured: &[Successful, Successful],
            terminating: true,
            phase: Successful,
            reason: None,
        },
        Row {
            name: "terminating keeps a violated limit",
            metric: m(),
            measured: &[Successful, Failed],
            terminating: true,
            phase: Failed,
            reason: Some("failed (1) > failureLimit (0)"),
        },
        Row {
            name: "all errors, terminated: never successful",
            metric: m(),
            measured: &[Error, Error],
            terminating: true,
            phase: Error,
            reason: Some("all 2 measurements errored"),
        },
    ];
    for row in rows {
        let r = run(vec![row.metric.clone()]);
        let status = record_all(&r, AnalysisRunStatus::default(), "m", row.measured);
        let empty = MetricResult {
            name: "m".into(),
            phase: Pending,
            measurements: None,
            message: None,
            count: None,
            successful: None,
            failed: None,
            inconclusive: None,
            error: None,
            consecutive_error: None,
            consecutive_success: None,
            dry_run: None,
            metadata: None,
        };
        let result = status
            .metric_results
            .iter()
            .flatten()
            .find(|r| r.name == "m")
            .unwrap_or(&empty);
        let assessment = assess_metric(&Limits::of(&row.metric).unwrap(), result, row.terminating);
        assert_eq!(assessment.phase, row.phase, "{}", row.name);
        assert_eq!(assessment.reason.as_deref(), row.reason, "{}", row.name);
    }
}
