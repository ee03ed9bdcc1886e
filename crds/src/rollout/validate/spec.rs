//! Rules on the top of the spec: one strategy, one source of pods, counts that make sense, and
//! a progress deadline longer than the time a pod needs to count as available.

use super::numbers::non_negative;
use crate::rollout::RolloutSpec;
use crate::{FieldPath, Finding};

/// Argo's default `progressDeadlineSeconds`.
const DEFAULT_PROGRESS_DEADLINE_SECONDS: i32 = 600;

/// The rules that concern `spec` as a whole (the selector has its own module).
pub fn check_spec(spec: &RolloutSpec, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(check_strategy_count(spec, path));
    findings.extend(check_pod_source(spec, path));
    findings.extend(check_progress_deadline(spec, path));
    let counts = [
        ("replicas", spec.replicas),
        ("minReadySeconds", spec.min_ready_seconds),
        ("revisionHistoryLimit", spec.revision_history_limit),
    ];
    for (field, value) in counts {
        findings.extend(non_negative(&path.field(field), value));
    }
    if let Some(window) = &spec.rollback_window {
        findings.extend(non_negative(
            &path.field("rollbackWindow").field("revisions"),
            window.revisions,
        ));
    }
    if let Some(history) = &spec.analysis {
        let history_path = path.field("analysis");
        let limits = [
            ("successfulRunHistoryLimit", history.successful_run_history_limit),
            (
                "unsuccessfulRunHistoryLimit",
                history.unsuccessful_run_history_limit,
            ),
        ];
        for (field, value) in limits {
            findings.extend(non_negative(&history_path.field(field), value));
        }
    }
    findings
}

/// Exactly one of `canary` and `blueGreen`.
fn check_strategy_count(spec: &RolloutSpec, path: &FieldPath) -> Option<Finding> {
    let strategy = spec.strategy.as_ref();
    let canary = strategy.is_some_and(|s| s.canary.is_some());
    let blue_green = strategy.is_some_and(|s| s.blue_green.is_some());
    let path = path.field("strategy");
    match (canary, blue_green) {
        (true, false) | (false, true) => None,
        (false, false) => Some(Finding::error(
            path,
            "no strategy is set; set exactly one of canary or blueGreen",
        )),
        (true, true) => Some(Finding::error(
            path,
            "canary and blueGreen are both set; set exactly one strategy",
        )),
    }
}

/// Pods come from `template` or from `workloadRef`, never both; a template has containers.
fn check_pod_source(spec: &RolloutSpec, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    match (&spec.template, &spec.workload_ref) {
        (None, None) => findings.push(Finding::error(
            path.field("template"),
            "neither template nor workloadRef is set; the Rollout needs one of them to make pods",
        )),
        (Some(_), Some(_)) => findings.push(Finding::error(
            path.field("workloadRef"),
            "template and workloadRef are both set; set only one",
        )),
        (Some(template), None) => {
            let has_containers = template
                .spec
                .as_ref()
                .is_some_and(|pod| !pod.containers.is_empty());
            if !has_containers {
                findings.push(Finding::error(
                    path.field("template").field("spec").field("containers"),
                    "the pod template has no containers; it needs at least one",
                ));
            }
        }
        (None, Some(reference)) => {
            let ref_path = path.field("workloadRef");
            for (field, value) in [("name", &reference.name), ("kind", &reference.kind)] {
                if value.as_deref().unwrap_or_default().is_empty() {
                    findings.push(Finding::error(
                        ref_path.field(field),
                        format!("workloadRef.{field} is required"),
                    ));
                }
            }
        }
    }
    findings
}

/// A deadline at or below `minReadySeconds` would expire before any new pod could count as
/// available.
fn check_progress_deadline(spec: &RolloutSpec, path: &FieldPath) -> Option<Finding> {
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let deadline = spec
        .progress_deadline_seconds
        .unwrap_or(DEFAULT_PROGRESS_DEADLINE_SECONDS);
    if deadline > min_ready {
        return None;
    }
    // Point at the field the user wrote: the deadline if given, else the one that outgrew it.
    let (field, deadline_text) = match spec.progress_deadline_seconds {
        Some(_) => ("progressDeadlineSeconds", deadline.to_string()),
        None => ("minReadySeconds", format!("{deadline} (the default)")),
    };
    Some(Finding::error(
        path.field(field),
        format!("progressDeadlineSeconds {deadline_text} must be greater than minReadySeconds {min_ready}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, assert_finding, blue_green, canary};
    use crate::Severity::Error;
    use crate::rollout::{ObjectRef, RolloutStrategy};

    #[test]
    fn valid_rollouts_give_no_findings() {
        assert_clean(&canary());
        assert_clean(&blue_green());
    }

    #[test]
    fn each_spec_rule_reports_at_its_path() {
        type Case = (
            &'static str,
            fn(&mut crate::rollout::Rollout),
            &'static str,
            &'static str,
        );
        let cases: [Case; 10] = [
            (
                "no strategy",
                |r| r.spec.strategy = None,
                "spec.strategy",
                "no strategy is set",
            ),
            (
                "empty strategy",
                |r| r.spec.strategy = Some(RolloutStrategy::default()),
                "spec.strategy",
                "no strategy is set",
            ),
            (
                "two strategies",
                |r| {
                    let blue_green = blue_green().spec.strategy.and_then(|s| s.blue_green);
                    r.spec.strategy.as_mut().unwrap().blue_green = blue_green;
                },
                "spec.strategy",
                "canary and blueGreen are both set",
            ),
            (
                "no pods",
                |r| r.spec.template = None,
                "spec.template",
                "neither template nor workloadRef",
            ),
            (
                "template and workloadRef",
                |r| r.spec.workload_ref = Some(deployment_ref()),
                "spec.workloadRef",
                "template and workloadRef are both set",
            ),
            (
                "no containers",
                |r| {
                    r.spec
                        .template
                        .as_mut()
                        .unwrap()
                        .spec
                        .as_mut()
                        .unwrap()
                        .containers
                        .clear()
                },
                "spec.template.spec.containers",
                "the pod template has no containers",
            ),
            (
                "workloadRef without a name",
                |r| {
                    r.spec.template = None;
                    r.spec.workload_ref = Some(ObjectRef {
                        name: None,
                        ..deployment_ref()
                    });
                },
                "spec.workloadRef.name",
                "workloadRef.name is required",
            ),
            (
                "deadline below minReadySeconds",
                |r| {
                    r.spec.min_ready_seconds = Some(60);
                    r.spec.progress_deadline_seconds = Some(30);
                },
                "spec.progressDeadlineSeconds",
                "progressDeadlineSeconds 30 must be greater than minReadySeconds 60",
            ),
            (
                "default deadline below minReadySeconds",
                |r| r.spec.min_ready_seconds = Some(600),
                "spec.minReadySeconds",
                "progressDeadlineSeconds 600 (the default) must be greater than minReadySeconds 600",
            ),
            (
                "negative replicas",
                |r| r.spec.replicas = Some(-1),
                "spec.replicas",
                "-1 is negative",
            ),
        ];
        for (name, mutate, path, message) in cases {
            let mut rollout = canary();
            mutate(&mut rollout);
            assert_finding(&rollout, Error, path, message, name);
        }
    }

    #[test]
    fn a_workload_ref_alone_is_a_valid_pod_source() {
        let mut rollout = canary();
        rollout.spec.template = None;
        rollout.spec.workload_ref = Some(deployment_ref());
        assert_clean(&rollout);
    }

    fn deployment_ref() -> ObjectRef {
        ObjectRef {
            api_version: Some("apps/v1".into()),
            kind: Some("Deployment".into()),
            name: Some("checkout".into()),
            scale_down: None,
        }
    }
}
