//! Planning a reconcile: what is due when, what to resume or stop, and when to look again.

mod support;

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_analysis::bookkeeping::record;
use linnet_analysis::run_plan::plan_run;
use linnet_crds::analysis::AnalysisPhase::{Error, Running, Successful};
use support::*;

#[test]
fn a_new_run_starts_now_and_measures_what_has_no_delay() {
    let r = run(vec![metric("now"), metric("later").initial_delay("2m")]);
    let plan = plan_run(&r, t0());
    assert_eq!(plan.due, ["now"]);
    assert_eq!(plan.new_status.started_at, Some(Time(t0())));
    assert_eq!(plan.new_status.phase, Some(Running));
    let mut r = r;
    r.status = Some(plan.new_status);
    let r = with_measurements(r, "now", &[Successful]);
    let plan = plan_run(&r, at(5));
    assert!(plan.due.is_empty());
    assert_eq!(
        plan.requeue_after,
        Some(Duration::from_secs(115)),
        "the initial delay counts from the start"
    );
    assert_eq!(plan_run(&r, at(120)).due, ["later"]);
}

#[test]
fn the_next_measurement_is_one_interval_after_the_last() {
    let r = started(run(vec![metric("m").interval("1m").count(3)]));
    let r = with_measurements(r, "m", &[Successful]); // finished at t0
    let plan = plan_run(&r, at(20));
    assert!(plan.due.is_empty());
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(40)));
    assert_eq!(plan_run(&r, at(60)).due, ["m"]);
}

#[test]
fn an_error_is_retried_after_ten_seconds_or_the_interval_if_shorter() {
    let slow = with_measurements(started(run(vec![metric("m").interval("5m")])), "m", &[Error]);
    assert_eq!(plan_run(&slow, at(1)).requeue_after, Some(Duration::from_secs(9)));
    assert_eq!(plan_run(&slow, at(10)).due, ["m"]);
    let fast = with_measurements(started(run(vec![metric("m").interval("3s")])), "m", &[Error]);
    assert_eq!(plan_run(&fast, at(1)).requeue_after, Some(Duration::from_secs(2)));
    let once = with_measurements(started(run(vec![metric("m")])), "m", &[Error]);
    assert_eq!(
        plan_run(&once, at(10)).due,
        ["m"],
        "a metric measured once retries its error"
    );
    assert_eq!(plan_run(&once, at(10)).new_status.phase, Some(Running));
}

#[test]
fn a_running_measurement_is_resumed_at_its_resume_time_and_stopped_on_terminate() {
    let mut r = started(run(vec![metric("job").interval("1m")]));
    let mut running = measured(Running, 0, "");
    running.finished_at = None;
    running.resume_at = Some(Time(at(30)));
    r.status = Some(record(&r.spec, r.status.clone().unwrap(), "job", running).unwrap());
    let early = plan_run(&r, at(10));
    assert!(early.resume.is_empty() && early.due.is_empty());
    assert_eq!(early.requeue_after, Some(Duration::from_secs(20)));
    assert_eq!(plan_run(&r, at(30)).resume, ["job"]);
    r.spec.terminate = Some(true);
    let stopping = plan_run(&r, at(31));
    assert_eq!(stopping.terminate, ["job"]);
    assert_eq!(
        stopping.new_status.phase,
        Some(Running),
        "Running until the measurement is stopped"
    );
}

#[test]
fn an_invalid_spec_puts_the_run_in_error_naming_the_field() {
    let r = run(vec![metric("m").interval("every minute")]);
    let plan = plan_run(&r, t0());
    assert_eq!(plan.new_status.phase, Some(Error));
    let message = plan.new_status.message.unwrap();
    assert!(
        message.contains("\"m\"") && message.contains("interval"),
        "{message}"
    );
    assert!(plan.due.is_empty());
}

#[test]
fn planning_twice_at_the_same_time_changes_nothing() {
    let r = with_measurements(
        started(run(vec![metric("a").interval("1m"), metric("b").interval("1m")])),
        "a",
        &[Successful],
    );
    let first = plan_run(&r, at(30));
    let mut again = r.clone();
    again.status = Some(first.new_status.clone());
    assert_eq!(plan_run(&again, at(30)), first);
}

#[test]
fn a_run_whose_arguments_cannot_be_resolved_ends_in_error_once() {
    let r = run(vec![metric("m")]);
    let status = linnet_analysis::run_plan::errored_status(&r, "argument \"token\": Secret not found", t0());
    assert_eq!(status.phase, Some(Error));
    assert_eq!(
        status.message.as_deref(),
        Some("argument \"token\": Secret not found")
    );
    let mut done = r.clone();
    done.status = Some(status.clone());
    assert_eq!(
        linnet_analysis::run_plan::errored_status(&done, "other", at(9)),
        status,
        "a completed run keeps its status"
    );
}
