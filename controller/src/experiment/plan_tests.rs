//! Table tests of the Experiment planner: a pass at a time, each fed the status the last one
//! wrote and what the cluster then shows.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::analysis::AnalysisPhase;
use linnet_crds::experiment::{ExperimentSpec, ExperimentStatus, TemplateStatusCode};
use serde_json::json;

use super::plan::{Action, Observed, Plan, REQUIRED_ANALYSES_COMPLETED, ReplicaSetState, RunState, plan};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + seconds).unwrap_or_else(|e| panic!("{e}"))
}

fn spec(extra: serde_json::Value) -> ExperimentSpec {
    let mut spec = json!({"templates": [
        {"name": "baseline", "replicas": 2, "selector": {"matchLabels": {"app": "b"}},
         "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}},
        {"name": "canary", "selector": {"matchLabels": {"app": "c"}},
         "template": {"metadata": {"labels": {"app": "c"}}, "spec": {"containers": [{"name": "c", "image": "i:2"}]}}}
    ]});
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(spec).unwrap_or_else(|e| panic!("bad spec: {e}"))
}

fn observed(spec: ExperimentSpec, status: ExperimentStatus, now: Timestamp) -> Observed {
    Observed {
        name: "exp".to_string(),
        spec,
        status,
        now,
        ..Observed::default()
    }
}

fn rs(template: &str, wanted: i32, available: i32) -> (String, ReplicaSetState) {
    (
        template.to_string(),
        ReplicaSetState {
            name: format!("exp-{template}"),
            hash: format!("{template}-hash"),
            wanted,
            replicas: available,
            ready: available,
            available,
            scale_down_deadline: None,
        },
    )
}

fn both_available() -> BTreeMap<String, ReplicaSetState> {
    BTreeMap::from([rs("baseline", 2, 2), rs("canary", 1, 1)])
}

fn codes(plan: &Plan) -> Vec<(String, Option<TemplateStatusCode>)> {
    plan.status
        .template_statuses
        .iter()
        .flatten()
        .map(|t| (t.name.clone(), t.status))
        .collect()
}

fn made(plan: &Plan) -> Vec<Action> {
    plan.actions
        .iter()
        .filter(|a| !matches!(a, Action::TemplateTransition { .. }))
        .cloned()
        .collect()
}

fn run(phase: AnalysisPhase) -> RunState {
    RunState {
        name: "exp-check".to_string(),
        phase: Some(phase),
        message: Some(format!("run is {phase:?}")),
        terminating: false,
    }
}

fn analyses(required: bool) -> serde_json::Value {
    json!({"analyses": [{"name": "check", "templateName": "success-rate", "requiredForCompletion": required}]})
}

#[test]
fn a_new_experiment_makes_a_replica_set_per_template_and_is_pending() {
    let first = plan(&observed(spec(json!({})), ExperimentStatus::default(), at(0)));
    assert_eq!(
        made(&first),
        vec![
            Action::CreateReplicaSet {
                template: "baseline".into(),
                replicas: 2
            },
            Action::CreateReplicaSet {
                template: "canary".into(),
                replicas: 1
            },
        ]
    );
    assert_eq!(first.status.phase, Some(AnalysisPhase::Pending));
    use TemplateStatusCode::*;
    assert_eq!(
        codes(&first),
        vec![
            ("baseline".into(), Some(Progressing)),
            ("canary".into(), Some(Progressing))
        ]
    );
    assert_eq!(
        first.requeue,
        Some(Duration::from_secs(600)),
        "woken at the progress deadline"
    );
    let condition = &first.status.conditions.unwrap_or_default()[0];
    assert_eq!(
        (condition.reason.as_str(), condition.status.as_str()),
        ("ReplicaSetUpdated", "True")
    );
}

#[test]
fn available_templates_run_for_the_duration_then_succeed_and_scale_down_after_the_delay() {
    let spec = spec(json!({"duration": "60s", "scaleDownDelaySeconds": 30}));
    let first = plan(&observed(spec.clone(), ExperimentStatus::default(), at(0)));
    // Then both ReplicaSets are available: Running, available from now, woken at the end
    let mut obs = observed(spec.clone(), first.status, at(5));
    obs.replica_sets = both_available();
    let running = plan(&obs);
    use TemplateStatusCode::*;
    assert_eq!(
        codes(&running),
        vec![
            ("baseline".into(), Some(Running)),
            ("canary".into(), Some(Running))
        ]
    );
    assert_eq!(running.status.phase, Some(AnalysisPhase::Running));
    assert_eq!(running.status.available_at.as_ref().map(|t| t.0), Some(at(5)));
    assert_eq!(running.requeue, Some(Duration::from_secs(60)));
    assert!(made(&running).is_empty());
    let hashes: Vec<_> = running
        .status
        .template_statuses
        .iter()
        .flatten()
        .map(|t| t.pod_template_hash.clone().unwrap_or_default())
        .collect();
    assert_eq!(hashes, ["baseline-hash", "canary-hash"]);
    // When the duration has passed: Successful, and the Progressing condition says so
    let mut obs = observed(spec.clone(), running.status, at(65));
    obs.replica_sets = both_available();
    let done = plan(&obs);
    assert_eq!(
        codes(&done),
        vec![
            ("baseline".into(), Some(Successful)),
            ("canary".into(), Some(Successful))
        ]
    );
    assert_eq!(done.status.phase, Some(AnalysisPhase::Successful));
    let condition = &done.status.conditions.clone().unwrap_or_default()[0];
    assert_eq!(
        (condition.reason.as_str(), condition.status.as_str()),
        ("ExperimentCompleted", "False")
    );
    // Then each ReplicaSet is marked to scale down 30 s later, and scaled down after that
    let mut obs = observed(spec.clone(), done.status, at(66));
    obs.replica_sets = both_available();
    let marking = plan(&obs);
    assert_eq!(
        made(&marking),
        vec![
            Action::AnnotateScaleDownDeadline {
                name: "exp-baseline".into(),
                deadline: at(96)
            },
            Action::AnnotateScaleDownDeadline {
                name: "exp-canary".into(),
                deadline: at(96)
            },
        ]
    );
    assert_eq!(marking.requeue, Some(Duration::from_secs(30)));
    let mut obs = observed(spec, marking.status, at(97));
    obs.replica_sets = both_available();
    for rs in obs.replica_sets.values_mut() {
        rs.scale_down_deadline = Some(at(96));
    }
    let scaled = plan(&obs);
    assert_eq!(
        made(&scaled),
        vec![
            Action::ScaleReplicaSet {
                name: "exp-baseline".into(),
                replicas: 0
            },
            Action::ScaleReplicaSet {
                name: "exp-canary".into(),
                replicas: 0
            },
        ]
    );
    assert_eq!(
        scaled.status.phase,
        Some(AnalysisPhase::Successful),
        "a finished phase stays"
    );
}

#[test]
fn a_template_that_misses_its_progress_deadline_fails_the_experiment() {
    let spec = spec(json!({"progressDeadlineSeconds": 30, "scaleDownDelaySeconds": 0}));
    let first = plan(&observed(spec.clone(), ExperimentStatus::default(), at(0)));
    let mut obs = observed(spec.clone(), first.status, at(31));
    obs.replica_sets = BTreeMap::from([rs("baseline", 2, 2), rs("canary", 1, 0)]);
    // (the baseline's counts changed at 31 s, the canary's did not)
    let late = plan(&obs);
    use TemplateStatusCode::*;
    assert_eq!(
        codes(&late),
        vec![
            ("baseline".into(), Some(Running)),
            ("canary".into(), Some(Failed))
        ]
    );
    assert_eq!(late.status.phase, Some(AnalysisPhase::Failed));
    assert_eq!(
        late.status.message.as_deref(),
        Some("Template 'canary' exceeded its progressDeadlineSeconds (30)")
    );
    assert!(late.actions.contains(&Action::TemplateTransition {
        template: "canary".into(),
        from: "Progressing".into(),
        to: Failed,
        message: Some("Template 'canary' exceeded its progressDeadlineSeconds (30)".into()),
    }));
    // Then, with no scale-down delay, both are scaled down at once
    let mut obs = observed(spec, late.status, at(32));
    obs.replica_sets = BTreeMap::from([rs("baseline", 2, 2), rs("canary", 1, 0)]);
    let next = plan(&obs);
    assert_eq!(
        made(&next),
        vec![
            Action::ScaleReplicaSet {
                name: "exp-baseline".into(),
                replicas: 0
            },
            Action::ScaleReplicaSet {
                name: "exp-canary".into(),
                replicas: 0
            },
        ]
    );
}

#[test]
fn analyses_start_once_available_and_a_failed_one_fails_and_stops_the_experiment() {
    let spec = spec(analyses(false));
    let mut obs = observed(spec.clone(), ExperimentStatus::default(), at(0));
    obs.templates_found.insert("check".into(), true);
    let first = plan(&obs);
    assert!(
        !made(&first)
            .iter()
            .any(|a| matches!(a, Action::CreateAnalysisRun { .. })),
        "not before available"
    );
    let mut obs = observed(spec.clone(), first.status, at(5));
    obs.replica_sets = both_available();
    let running = plan(&obs);
    assert_eq!(
        made(&running),
        vec![Action::CreateAnalysisRun {
            analysis: "check".into(),
            name: "exp-check".into()
        }]
    );
    let runs = running.status.analysis_runs.clone().unwrap_or_default();
    assert_eq!(
        (runs[0].analysis_run.as_str(), runs[0].phase),
        ("exp-check", AnalysisPhase::Pending)
    );
    // When the run fails, the experiment fails with its message
    let mut obs = observed(spec.clone(), running.status, at(10));
    obs.replica_sets = both_available();
    obs.runs.insert("check".into(), run(AnalysisPhase::Failed));
    let failed = plan(&obs);
    assert_eq!(failed.status.phase, Some(AnalysisPhase::Failed));
    assert_eq!(failed.status.message.as_deref(), Some("run is Failed"));
    // Then the templates end and their ReplicaSets are marked for scale-down
    let mut obs = observed(spec, failed.status, at(11));
    obs.replica_sets = both_available();
    obs.runs.insert("check".into(), run(AnalysisPhase::Failed));
    let stopping = plan(&obs);
    assert!(
        made(&stopping)
            .iter()
            .all(|a| matches!(a, Action::AnnotateScaleDownDeadline { .. })),
        "{:?}",
        stopping.actions
    );
    assert_eq!(stopping.status.phase, Some(AnalysisPhase::Failed));
}

#[test]
fn an_ended_experiment_terminates_its_running_analyses() {
    let spec =
        spec(json!({"duration": "10s", "analyses": [{"name": "check", "templateName": "success-rate"}]}));
    let mut obs = observed(spec.clone(), ExperimentStatus::default(), at(0));
    obs.replica_sets = both_available();
    let running = plan(&obs);
    let mut obs = observed(spec.clone(), running.status, at(11));
    obs.replica_sets = both_available();
    obs.runs.insert("check".into(), run(AnalysisPhase::Running));
    let done = plan(&obs);
    assert_eq!(
        done.status.phase,
        Some(AnalysisPhase::Successful),
        "the duration decides"
    );
    let mut obs = observed(spec, done.status, at(12));
    obs.replica_sets = both_available();
    obs.runs.insert("check".into(), run(AnalysisPhase::Running));
    let next = plan(&obs);
    assert!(made(&next).contains(&Action::TerminateAnalysisRun {
        name: "exp-check".into()
    }));
}

#[test]
fn a_required_analysis_decides_when_the_experiment_ends() {
    let spec = spec(analyses(true));
    let mut obs = observed(spec.clone(), ExperimentStatus::default(), at(0));
    obs.replica_sets = both_available();
    let running = plan(&obs);
    let mut obs = observed(spec.clone(), running.status, at(20));
    obs.replica_sets = both_available();
    obs.runs.insert("check".into(), run(AnalysisPhase::Running));
    let still = plan(&obs);
    assert_eq!(
        still.status.phase,
        Some(AnalysisPhase::Running),
        "no duration: the run decides"
    );
    let mut obs = observed(spec, still.status, at(30));
    obs.replica_sets = both_available();
    obs.runs.insert("check".into(), run(AnalysisPhase::Successful));
    let done = plan(&obs);
    assert_eq!(done.status.phase, Some(AnalysisPhase::Successful));
    assert_eq!(done.status.message.as_deref(), Some(REQUIRED_ANALYSES_COMPLETED));
}

#[test]
fn terminating_ends_the_templates_successfully() {
    let spec = spec(json!({}));
    let mut obs = observed(spec.clone(), ExperimentStatus::default(), at(0));
    obs.replica_sets = both_available();
    let running = plan(&obs);
    let mut terminated = spec;
    terminated.terminate = Some(true);
    let mut obs = observed(terminated, running.status, at(5));
    obs.replica_sets = both_available();
    let done = plan(&obs);
    use TemplateStatusCode::*;
    assert_eq!(
        codes(&done),
        vec![
            ("baseline".into(), Some(Successful)),
            ("canary".into(), Some(Successful))
        ]
    );
    assert_eq!(done.status.phase, Some(AnalysisPhase::Successful));
}

#[test]
fn a_missing_analysis_template_is_an_error() {
    let spec = spec(analyses(false));
    let mut obs = observed(spec, ExperimentStatus::default(), at(0));
    obs.templates_found.insert("check".into(), false);
    let first = plan(&obs);
    let runs = first.status.analysis_runs.clone().unwrap_or_default();
    assert_eq!(runs[0].phase, AnalysisPhase::Error);
    assert_eq!(
        runs[0].message.as_deref(),
        Some("AnalysisTemplate verification failed for analysis 'check': success-rate not found")
    );
    assert_eq!(first.status.phase, Some(AnalysisPhase::Error));
}

#[test]
fn an_invalid_spec_is_a_condition_and_nothing_is_made() {
    let mut obs = observed(spec(json!({})), ExperimentStatus::default(), at(0));
    obs.invalid = vec!["spec.templates[0].selector: must select the template's pods".into()];
    let refused = plan(&obs);
    assert!(refused.actions.is_empty());
    let conditions = refused.status.conditions.unwrap_or_default();
    assert_eq!(conditions[0].reason, "InvalidSpec");
    assert!(conditions[0].message.contains("spec.templates[0].selector"));
}

#[test]
fn a_service_is_asked_for_only_when_the_pods_expose_a_port() {
    let with_service = |ports: serde_json::Value| {
        spec(
            json!({"templates": [{"name": "canary", "selector": {"matchLabels": {"app": "c"}}, "service": {},
            "template": {"metadata": {"labels": {"app": "c"}},
                "spec": {"containers": [{"name": "c", "image": "i:2", "ports": ports}]}}}]}),
        )
    };
    let planned = |spec: ExperimentSpec| {
        let mut obs = observed(spec, ExperimentStatus::default(), at(0));
        obs.replica_sets = BTreeMap::from([rs("canary", 1, 1)]);
        plan(&obs)
    };
    let exposed = planned(with_service(json!([{"containerPort": 8080}])));
    assert_eq!(
        made(&exposed),
        vec![Action::CreateService {
            template: "canary".into()
        }]
    );
    let service_name = exposed.status.template_statuses.unwrap_or_default()[0]
        .service_name
        .clone();
    assert_eq!(service_name.as_deref(), Some("exp-canary"));
    let portless = planned(with_service(json!([])));
    assert!(made(&portless).is_empty());
    assert_eq!(
        portless.status.template_statuses.unwrap_or_default()[0].service_name,
        None
    );
}
