//! Measurement bookkeeping: counters, limits and defaults, retention, dry run, termination,
//! the run's roll-up and its message.

mod support;

use linnet_analysis::bookkeeping::{Limits, assess_metric, record};
use linnet_analysis::run_plan::{plan_run, worst_phase};
use linnet_crds::analysis::AnalysisPhase::{Error, Failed, Inconclusive, Pending, Running, Successful};
use linnet_crds::analysis::{AnalysisRunStatus, MetricResult};
use linnet_crds::common::{DryRun, MeasurementRetention};
use support::*;

fn result_of<'s>(status: &'s AnalysisRunStatus, name: &str) -> &'s MetricResult {
    status
        .metric_results
        .iter()
        .flatten()
        .find(|r| r.name == name)
        .unwrap()
}

#[test]
fn limits_default_as_argo_fills_them_in() {
    let limits = Limits::of(&metric("m")).unwrap();
    assert_eq!(limits.count, Some(1), "no count and no interval: measured once");
    assert_eq!(limits.failure_limit, 0);
    assert_eq!(limits.inconclusive_limit, 0);
    assert_eq!(limits.consecutive_error_limit, 4);
    assert_eq!(limits.consecutive_success_limit, 0);
    assert_eq!(limits.interval, None);
    let endless = Limits::of(&metric("m").interval("30s")).unwrap();
    assert_eq!(
        endless.count, None,
        "an interval without count runs until terminated"
    );
    assert_eq!(endless.interval, Some(std::time::Duration::from_secs(30)));
}

#[test]
fn limits_written_as_strings_are_read_and_leftover_placeholders_refused() {
    let mut m = metric("m");
    m.count = Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
        "5".into(),
    ));
    assert_eq!(Limits::of(&m).unwrap().count, Some(5));
    m.failure_limit = Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
        "{{args.limit}}".into(),
    ));
    let error = Limits::of(&m).unwrap_err().to_string();
    assert!(
        error.contains("failureLimit") && error.contains("\"m\""),
        "{error}"
    );
    let error = Limits::of(&metric("m").interval("soon")).unwrap_err().to_string();
    assert!(error.contains("interval"), "{error}");
}

#[test]
fn counters_follow_each_measurement_phase() {
    let r = run(vec![metric("m").interval("1m")]);
    let status = record_all(
        &r,
        AnalysisRunStatus::default(),
        "m",
        &[
            Successful,
            Successful,
            Failed,
            Error,
            Error,
            Inconclusive,
            Successful,
        ],
    );
    let result = result_of(&status, "m");
    assert_eq!(result.count, Some(5), "errors do not count towards count");
    assert_eq!(result.successful, Some(3));
    assert_eq!(result.failed, Some(1));
    assert_eq!(result.inconclusive, Some(1));
    assert_eq!(result.error, Some(2));
    assert_eq!(result.consecutive_error, Some(0), "reset by the inconclusive one");
    assert_eq!(result.consecutive_success, Some(1));
    assert_eq!(result.measurements.as_ref().unwrap().len(), 7);
    let errors = record_all(&r, AnalysisRunStatus::default(), "m", &[Successful, Error, Error]);
    let result = result_of(&errors, "m");
    assert_eq!(
        (result.consecutive_error, result.consecutive_success),
        (Some(2), Some(0))
    );
    assert_eq!(result.message.as_deref(), Some("query failed: [2]"));
}

#[test]
fn a_running_measurement_is_replaced_when_it_completes() {
    let r = run(vec![metric("job")]);
    let mut running = measured(Running, 0, "");
    running.finished_at = None;
    let status = record(&r.spec, AnalysisRunStatus::default(), "job", running.clone()).unwrap();
    let status = record(&r.spec, status, "job", running).unwrap();
    assert_eq!(
        result_of(&status, "job").count,
        None,
        "a running measurement counts nothing"
    );
    let status = record(&r.spec, status, "job", measured(Successful, 5, "")).unwrap();
    let result = result_of(&status, "job");
    assert_eq!(result.measurements.as_ref().unwrap().len(), 1);
    assert_eq!((result.count, result.successful), (Some(1), Some(1)));
}

#[test]
fn a_running_measurement_keeps_the_metric_running() {
    let r = run(vec![metric("m")]);
    let mut running = measured(Running, 0, "");
    running.finished_at = None;
    let status = record(&r.spec, AnalysisRunStatus::default(), "m", running).unwrap();
    let assessment = assess_metric(&Limits::of(&metric("m")).unwrap(), result_of(&status, "m"), true);
    assert_eq!(assessment.phase, Running);
}

#[test]
fn retention_keeps_the_newest_ten_and_all_counts() {
    let r = run(vec![metric("m").interval("1m")]);
    let status = record_all(&r, AnalysisRunStatus::default(), "m", &[Successful; 12]);
    let result = result_of(&status, "m");
    let kept = result.measurements.as_ref().unwrap();
    assert_eq!(kept.len(), 10);
    assert_eq!(
        kept[0].value.as_deref(),
        Some("[2]"),
        "the two oldest are dropped"
    );
    assert_eq!(kept[9].value.as_deref(), Some("[11]"));
    assert_eq!((result.count, result.successful), (Some(12), Some(12)));
}

#[test]
fn retention_entries_match_metrics_by_regular_expression() {
    let mut r = run(vec![
        metric("error-rate").interval("1m"),
        metric("latency").interval("1m"),
    ]);
    r.spec.measurement_retention = Some(vec![MeasurementRetention {
        metric_name: "^error-.*".into(),
        limit: 3,
    }]);
    let status = record_all(&r, AnalysisRunStatus::default(), "error-rate", &[Successful; 5]);
    let status = record_all(&r, status, "latency", &[Successful; 12]);
    assert_eq!(
        result_of(&status, "error-rate")
            .measurements
            .as_ref()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        result_of(&status, "latency").measurements.as_ref().unwrap().len(),
        10
    );
    r.spec.measurement_retention = Some(vec![MeasurementRetention {
        metric_name: "(".into(),
        limit: 3,
    }]);
    let error = record(
        &r.spec,
        AnalysisRunStatus::default(),
        "latency",
        measured(Successful, 0, "1"),
    )
    .unwrap_err();
    assert!(error.to_string().contains("measurementRetention[0]"), "{error}");
}

#[test]
fn the_run_takes_its_worst_metric_phase_in_argos_order() {
    let order = [Successful, Running, Pending, Inconclusive, Error, Failed];
    for (i, better) in order.iter().enumerate() {
        for worse in &order[i..] {
            assert_eq!(
                worst_phase([*better, *worse]),
                Some(*worse),
                "{better:?} vs {worse:?}"
            );
            assert_eq!(
                worst_phase([*worse, *better]),
                Some(*worse),
                "{worse:?} vs {better:?}"
            );
        }
    }
    assert_eq!(worst_phase([]), None);
}

#[test]
fn a_failed_metric_fails_the_run_with_a_message_naming_it_and_its_last_value() {
    let r = started(run(vec![
        metric("success-rate").interval("1m").failure_limit(2),
        metric("latency").interval("1m"),
    ]));
    let r = with_measurements(r, "success-rate", &[Failed, Failed, Successful, Failed]);
    let r = with_measurements(r, "latency", &[Successful]);
    let plan = plan_run(&r, at(30));
    let status = &plan.new_status;
    assert_eq!(status.phase, Some(Failed));
    assert_eq!(
        status.message.as_deref(),
        Some("Metric \"success-rate\" assessed Failed due to failed (3) > failureLimit (2): last value [3]")
    );
    assert_eq!(
        result_of(status, "latency").phase,
        Successful,
        "the other metric is terminated as Successful"
    );
    assert_eq!(status.completed_at.as_ref().map(|t| t.0), Some(at(30)));
    let summary = status.run_summary.as_ref().unwrap();
    assert_eq!(
        (summary.count, summary.failed, summary.successful),
        (Some(2), Some(1), Some(1))
    );
    assert!(plan.due.is_empty() && plan.requeue_after.is_none());
}

#[test]
fn an_errored_metric_puts_the_error_in_the_run_message() {
    let r = started(run(vec![metric("m").interval("1m")]));
    let r = with_measurements(r, "m", &[Error; 5]);
    let status = plan_run(&r, at(60)).new_status;
    assert_eq!(status.phase, Some(Error));
    assert_eq!(
        status.message.as_deref(),
        Some(
            "Metric \"m\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): \"Error Message: query failed: [4]\""
        )
    );
}

#[test]
fn dry_run_metrics_never_decide_the_run_and_are_counted_apart() {
    let mut r = started(run(vec![metric("shadow").count(1), metric("real").count(1)]));
    r.spec.dry_run = Some(vec![DryRun {
        metric_name: "sha.*".into(),
    }]);
    let r = with_measurements(r, "shadow", &[Failed]);
    let r = with_measurements(r, "real", &[Successful]);
    let status = plan_run(&r, at(10)).new_status;
    assert_eq!(status.phase, Some(Successful));
    assert_eq!(result_of(&status, "shadow").phase, Failed);
    assert_eq!(result_of(&status, "shadow").dry_run, Some(true));
    let dry = status.dry_run_summary.as_ref().unwrap();
    assert_eq!((dry.count, dry.failed), (Some(1), Some(1)));
    let real = status.run_summary.as_ref().unwrap();
    assert_eq!(
        (real.count, real.successful, real.failed),
        (Some(1), Some(1), Some(0))
    );
}

#[test]
fn a_run_of_only_dry_run_metrics_succeeds_once_they_complete() {
    let mut r = started(run(vec![metric("shadow")]));
    r.spec.dry_run = Some(vec![DryRun {
        metric_name: "*".into(),
    }]);
    let r = with_measurements(r, "shadow", &[Failed]);
    assert_eq!(plan_run(&r, at(1)).new_status.phase, Some(Successful));
}

#[test]
fn terminating_marks_the_run_successful_unless_a_limit_is_violated() {
    let mut r = started(run(vec![metric("m").interval("1m")]));
    r = with_measurements(r, "m", &[Successful, Successful]);
    r.spec.terminate = Some(true);
    let status = plan_run(&r, at(30)).new_status;
    assert_eq!(status.phase, Some(Successful));
    assert_eq!(status.message.as_deref(), Some("Run Terminated"));

    let mut failing = started(run(vec![metric("m").interval("1m").failure_limit(1)]));
    failing = with_measurements(failing, "m", &[Failed, Failed]);
    failing.spec.terminate = Some(true);
    assert_eq!(plan_run(&failing, at(30)).new_status.phase, Some(Failed));
}

#[test]
fn a_terminated_run_whose_measurements_all_errored_is_not_successful() {
    let mut r = started(run(vec![metric("m").interval("1m")]));
    r = with_measurements(r, "m", &[Error, Error, Error]);
    r.spec.terminate = Some(true);
    let status = plan_run(&r, at(30)).new_status;
    assert_eq!(status.phase, Some(Error));
    assert!(
        status
            .message
            .as_deref()
            .unwrap()
            .contains("all 3 measurements errored"),
        "{:?}",
        status.message
    );
}

#[test]
fn a_completed_run_is_left_as_it_is() {
    let r = started(run(vec![metric("m")]));
    let r = with_measurements(r, "m", &[Successful]);
    let first = plan_run(&r, at(5));
    let mut again = r.clone();
    again.status = Some(first.new_status.clone());
    let second = plan_run(&again, at(500));
    assert_eq!(
        second.new_status, first.new_status,
        "completedAt and phase do not move"
    );
    assert!(second.due.is_empty());
}
