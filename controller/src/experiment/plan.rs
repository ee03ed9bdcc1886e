//! The Experiment planner: a pure function from what a reconcile observed to the status to
//! write, the actions to take and when to look again, following Argo Rollouts' experiment
//! controller (see the module notes in `mod.rs` for where linnet differs).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_analysis::run_plan::phase_severity;
use linnet_crds::analysis::AnalysisPhase;
use linnet_crds::common::IntOrDuration;
use linnet_crds::experiment::{
    ExperimentAnalysisRunStatus, ExperimentCondition, ExperimentConditionType, ExperimentSpec,
    ExperimentStatus, TemplateStatus, TemplateStatusCode,
};

/// Seconds a template may take to become available, when the spec does not say.
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: i32 = 600;
/// Seconds the ReplicaSets stay up after the experiment ends, when the spec does not say.
pub const DEFAULT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;
/// The phase message once every required analysis has passed, as Argo writes it.
pub const REQUIRED_ANALYSES_COMPLETED: &str = "Required AnalysisRuns completed";

/// A template's ReplicaSet as observed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaSetState {
    pub name: String,
    pub hash: String,
    /// `spec.replicas`.
    pub wanted: i32,
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    /// The `scale-down-deadline` annotation.
    pub scale_down_deadline: Option<Timestamp>,
}

/// An analysis's AnalysisRun as observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunState {
    pub name: String,
    pub phase: Option<AnalysisPhase>,
    pub message: Option<String>,
    pub terminating: bool,
}

/// What one reconcile observed of an Experiment.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub name: String,
    pub spec: ExperimentSpec,
    pub status: ExperimentStatus,
    /// By template name.
    pub replica_sets: BTreeMap<String, ReplicaSetState>,
    /// By template name: the Services that exist.
    pub services: BTreeMap<String, String>,
    /// By analysis name.
    pub runs: BTreeMap<String, RunState>,
    /// The analyses whose template (and those it includes) exist.
    pub templates_found: BTreeMap<String, bool>,
    /// Problems with the spec, each naming its field; when any, nothing else is planned.
    pub invalid: Vec<String>,
    pub now: Timestamp,
}

/// One change to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    CreateReplicaSet {
        template: String,
        replicas: i32,
    },
    ScaleReplicaSet {
        name: String,
        replicas: i32,
    },
    AnnotateScaleDownDeadline {
        name: String,
        deadline: Timestamp,
    },
    CreateService {
        template: String,
    },
    DeleteService {
        template: String,
        name: String,
    },
    CreateAnalysisRun {
        analysis: String,
        name: String,
    },
    TerminateAnalysisRun {
        name: String,
    },
    /// A template's status changed: an Event, Warning for Failed and Error.
    TemplateTransition {
        template: String,
        from: String,
        to: TemplateStatusCode,
        message: Option<String>,
    },
}

/// The status to write, the actions to take first, and when to look again.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub status: ExperimentStatus,
    pub actions: Vec<Action>,
    pub requeue: Option<Duration>,
}

/// The AnalysisRun of an analysis, as Argo names it.
pub fn run_name(experiment: &str, analysis: &str) -> String {
    format!("{experiment}-{analysis}")
}

/// The ReplicaSet of a template, as Argo names it.
pub fn replica_set_name(experiment: &str, template: &str) -> String {
    format!("{experiment}-{template}")
}

fn completed(code: Option<TemplateStatusCode>) -> bool {
    matches!(
        code,
        Some(TemplateStatusCode::Successful | TemplateStatusCode::Failed | TemplateStatusCode::Error)
    )
}

fn seconds(value: i32) -> Duration {
    Duration::from_secs(u64::try_from(value.max(0)).unwrap_or(0))
}

fn after(start: Timestamp, duration: Duration) -> Timestamp {
    let span = jiff::SignedDuration::try_from(duration).unwrap_or(jiff::SignedDuration::MAX);
    start.checked_add(span).unwrap_or(Timestamp::MAX)
}

fn until(now: Timestamp, at: Timestamp) -> Option<Duration> {
    Duration::try_from(at.duration_since(now))
        .ok()
        .filter(|d| !d.is_zero())
}

/// `spec.duration`, when set and readable.
pub fn duration_of(spec: &ExperimentSpec) -> Option<Duration> {
    let text = spec.duration.as_deref().filter(|d| !d.is_empty())?;
    IntOrDuration::Text(text.to_string()).to_duration().ok()
}

/// Plans one reconcile.
pub fn plan(obs: &Observed) -> Plan {
    let now = obs.now;
    let mut status = obs.status.clone();
    if !obs.invalid.is_empty() {
        let message = obs.invalid.join("; ");
        set_condition(
            &mut status,
            ExperimentConditionType::InvalidSpec,
            "True",
            "InvalidSpec",
            &message,
            now,
        );
        return Plan {
            status,
            actions: Vec::new(),
            requeue: None,
        };
    }
    remove_condition(&mut status, ExperimentConditionType::InvalidSpec);
    let phase = *status.phase.get_or_insert(AnalysisPhase::Pending);
    let spec = &obs.spec;
    let required: Vec<&str> = spec
        .analyses
        .iter()
        .flatten()
        .filter(|a| a.required_for_completion == Some(true))
        .map(|a| a.name.as_str())
        .collect();
    let old_runs: BTreeMap<&str, &ExperimentAnalysisRunStatus> = obs
        .status
        .analysis_runs
        .iter()
        .flatten()
        .map(|r| (r.name.as_str(), r))
        .collect();
    let old_templates: BTreeMap<&str, &TemplateStatus> = obs
        .status
        .template_statuses
        .iter()
        .flatten()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let terminating = spec.terminate == Some(true)
        || phase.is_completed()
        || old_templates.values().any(|t| {
            matches!(
                t.status,
                Some(TemplateStatusCode::Failed | TemplateStatusCode::Error)
            )
        })
        || old_runs.values().any(|r| {
            matches!(
                r.phase,
                AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
            )
        })
        || (!required.is_empty()
            && required.iter().all(|name| {
                old_runs
                    .get(name)
                    .is_some_and(|r| r.phase == AnalysisPhase::Successful)
            }));
    let duration = duration_of(spec);
    let ends_at = status
        .available_at
        .as_ref()
        .zip(duration)
        .map(|(at, d)| after(at.0, d));
    let duration_passed = ends_at.is_some_and(|end| now >= end);
    let deadline = seconds(
        spec.progress_deadline_seconds
            .unwrap_or(DEFAULT_PROGRESS_DEADLINE_SECONDS),
    );
    let delay = seconds(
        spec.scale_down_delay_seconds
            .unwrap_or(DEFAULT_SCALE_DOWN_DELAY_SECONDS),
    );

    let mut actions = Vec::new();
    let mut wakes: Vec<Timestamp> = ends_at.filter(|end| *end > now).into_iter().collect();
    let mut templates = Vec::new();
    for template in &spec.templates {
        let old = old_templates.get(template.name.as_str()).copied();
        let mut next = old.cloned().unwrap_or_else(|| TemplateStatus {
            name: template.name.clone(),
            ..TemplateStatus::default()
        });
        let done = completed(next.status);
        let base = template.replicas.unwrap_or(1).max(0);
        let wanted = if terminating || done { 0 } else { base };
        let rs = obs.replica_sets.get(&template.name);
        let mut changed = false;
        match rs {
            None if wanted > 0 => {
                actions.push(Action::CreateReplicaSet {
                    template: template.name.clone(),
                    replicas: wanted,
                });
                changed = true;
            }
            None => {}
            Some(rs) if wanted == 0 && rs.wanted > 0 => match rs.scale_down_deadline {
                _ if delay.is_zero() => scale(&mut actions, rs, 0, &mut changed),
                Some(at) if at <= now => scale(&mut actions, rs, 0, &mut changed),
                Some(at) => wakes.push(at),
                None => {
                    let at = after(now, delay);
                    actions.push(Action::AnnotateScaleDownDeadline {
                        name: rs.name.clone(),
                        deadline: at,
                    });
                    wakes.push(at);
                }
            },
            Some(rs) if wanted > 0 && rs.wanted != wanted => scale(&mut actions, rs, wanted, &mut changed),
            Some(_) => {}
        }
        let counts = rs.map_or((0, 0, 0), |rs| (rs.replicas, rs.ready, rs.available));
        if counts != (next.replicas, next.ready_replicas, next.available_replicas) {
            changed = true;
        }
        (next.replicas, next.ready_replicas, next.available_replicas) = counts;
        next.updated_replicas = counts.0;
        if let Some(rs) = rs {
            next.pod_template_hash = Some(rs.hash.clone());
        }
        if changed || next.last_transition_time.is_none() {
            next.last_transition_time = Some(Time(now));
        }
        if !done {
            let since = next.last_transition_time.as_ref().map_or(now, |t| t.0);
            let want_available = if terminating { 0 } else { base };
            let (code, message) = if counts.2 == want_available && (rs.is_some() || want_available == 0) {
                let finished = duration_passed || terminating;
                let code = if finished {
                    TemplateStatusCode::Successful
                } else {
                    TemplateStatusCode::Running
                };
                (code, None)
            } else if terminating {
                (TemplateStatusCode::Successful, None)
            } else if now > after(since, deadline) {
                let message = format!(
                    "Template '{}' exceeded its progressDeadlineSeconds ({})",
                    template.name,
                    deadline.as_secs()
                );
                (TemplateStatusCode::Failed, Some(message))
            } else {
                wakes.push(after(since, deadline));
                (TemplateStatusCode::Progressing, None)
            };
            if next.status != Some(code) {
                actions.push(Action::TemplateTransition {
                    template: template.name.clone(),
                    from: next.status.map_or_else(String::new, |s| format!("{s:?}")),
                    to: code,
                    message: message.clone(),
                });
                next.status = Some(code);
                next.message = message;
            }
        }
        plan_service(obs, template, rs, wanted, &mut next, &mut actions);
        templates.push(next);
    }
    let template_rollup = worst_template(&templates);
    if template_rollup == AnalysisPhase::Running && status.available_at.is_none() {
        status.available_at = Some(Time(now));
        wakes.extend(duration.map(|d| after(now, d)));
    }
    let mut runs = Vec::new();
    for analysis in spec.analyses.iter().flatten() {
        let name = run_name(&obs.name, &analysis.name);
        let old = old_runs.get(analysis.name.as_str());
        let observed = obs.runs.get(&analysis.name);
        let mut entry = ExperimentAnalysisRunStatus {
            name: analysis.name.clone(),
            analysis_run: old.map(|o| o.analysis_run.clone()).unwrap_or_default(),
            phase: old.map_or(AnalysisPhase::Pending, |o| o.phase),
            message: old.and_then(|o| o.message.clone()),
        };
        if let Some(run) = observed {
            entry.analysis_run = run.name.clone();
            if !entry.phase.is_completed() {
                entry.phase = run.phase.unwrap_or(AnalysisPhase::Pending);
                entry.message = run.message.clone();
            }
            let running = !run.phase.is_some_and(AnalysisPhase::is_completed);
            if terminating && running && !run.terminating {
                actions.push(Action::TerminateAnalysisRun {
                    name: run.name.clone(),
                });
            }
        } else if obs.templates_found.get(&analysis.name) == Some(&false) {
            entry.phase = AnalysisPhase::Error;
            entry.message = Some(format!(
                "AnalysisTemplate verification failed for analysis '{}': {} not found",
                analysis.name, analysis.template_name
            ));
        } else if status.available_at.is_some() && !terminating && !entry.phase.is_completed() {
            // Also after a create that failed: the name is fixed, and one that exists counts.
            actions.push(Action::CreateAnalysisRun {
                analysis: analysis.name.clone(),
                name: name.clone(),
            });
            entry.analysis_run = name;
            entry.phase = AnalysisPhase::Pending;
        }
        runs.push(entry);
    }
    if !phase.is_completed() {
        let (next_phase, message) = rollup(template_rollup, &templates, &runs, &required);
        status.phase = Some(next_phase);
        status.message = message;
    }
    status.template_statuses = Some(templates);
    status.analysis_runs = (!runs.is_empty()).then_some(runs);
    progressing_condition(&mut status, &obs.name, duration_passed, now);
    let requeue = if terminating && actions.is_empty() && wakes.is_empty() {
        None
    } else {
        wakes.into_iter().filter_map(|at| until(now, at)).min()
    };
    Plan {
        status,
        actions,
        requeue,
    }
}

fn scale(actions: &mut Vec<Action>, rs: &ReplicaSetState, replicas: i32, changed: &mut bool) {
    actions.push(Action::ScaleReplicaSet {
        name: rs.name.clone(),
        replicas,
    });
    *changed = true;
}

/// A template's Service: made once its ReplicaSet exists and runs (when its pods expose a
/// port; Argo makes none otherwise), removed once it has scaled down and nothing is available.
fn plan_service(
    obs: &Observed,
    template: &linnet_crds::experiment::TemplateSpec,
    rs: Option<&ReplicaSetState>,
    wanted: i32,
    next: &mut TemplateStatus,
    actions: &mut Vec<Action>,
) {
    let existing = obs.services.get(&template.name);
    let has_ports = template
        .template
        .spec
        .iter()
        .flat_map(|spec| spec.containers.iter())
        .any(|container| container.ports.as_ref().is_some_and(|p| !p.is_empty()));
    match (template.service.as_ref(), rs, existing) {
        (Some(service), Some(rs), None) if wanted > 0 && has_ports => {
            actions.push(Action::CreateService {
                template: template.name.clone(),
            });
            next.service_name = Some(service.name.clone().unwrap_or_else(|| rs.name.clone()));
        }
        (_, Some(rs), Some(name)) if wanted == 0 && rs.available == 0 => {
            actions.push(Action::DeleteService {
                template: template.name.clone(),
                name: name.clone(),
            });
            next.service_name = None;
        }
        (_, _, Some(name)) => next.service_name = Some(name.clone()),
        _ => {}
    }
}

/// The worst template status as a phase: Successful < Running < Progressing < Error < Failed.
fn worst_template(templates: &[TemplateStatus]) -> AnalysisPhase {
    let rank = |code: Option<TemplateStatusCode>| match code {
        Some(TemplateStatusCode::Successful) => 0,
        Some(TemplateStatusCode::Running) => 1,
        Some(TemplateStatusCode::Progressing) | None => 2,
        Some(TemplateStatusCode::Error) => 3,
        Some(TemplateStatusCode::Failed) => 4,
    };
    let worst = templates
        .iter()
        .map(|t| t.status)
        .max_by_key(|code| rank(*code))
        .flatten();
    match worst {
        Some(TemplateStatusCode::Successful) => AnalysisPhase::Successful,
        Some(TemplateStatusCode::Running) => AnalysisPhase::Running,
        Some(TemplateStatusCode::Error) => AnalysisPhase::Error,
        Some(TemplateStatusCode::Failed) => AnalysisPhase::Failed,
        Some(TemplateStatusCode::Progressing) | None => AnalysisPhase::Pending,
    }
}

/// The worst analysis phase (Successful < Running < Pending < Inconclusive < Error < Failed,
/// Pending reported as Running, Successful with no analyses) and its message; and whether
/// every required analysis passed.
fn worst_run(
    runs: &[ExperimentAnalysisRunStatus],
    required: &[&str],
) -> (AnalysisPhase, Option<String>, bool) {
    // The AnalysisRun roll-up's order, which is Argo's for experiments too.
    let worst = runs.iter().max_by_key(|r| phase_severity(r.phase));
    let phase = worst.map_or(AnalysisPhase::Successful, |r| match r.phase {
        AnalysisPhase::Pending => AnalysisPhase::Running,
        other => other,
    });
    let required_passed = !required.is_empty()
        && required.iter().all(|name| {
            runs.iter()
                .any(|r| r.name == *name && r.phase == AnalysisPhase::Successful)
        });
    let message = if required_passed && phase == AnalysisPhase::Successful {
        Some(REQUIRED_ANALYSES_COMPLETED.to_string())
    } else {
        worst.and_then(|r| r.message.clone())
    };
    (phase, message, required_passed)
}

/// The experiment's phase and message from its templates and analyses (see `mod.rs`).
fn rollup(
    templates_phase: AnalysisPhase,
    templates: &[TemplateStatus],
    runs: &[ExperimentAnalysisRunStatus],
    required: &[&str],
) -> (AnalysisPhase, Option<String>) {
    let template_message = || templates.iter().find_map(|t| t.message.clone());
    let (runs_phase, run_message, required_passed) = worst_run(runs, required);
    if templates_phase.is_completed() {
        // Templates done: a Successful one waits for its analyses if any is required.
        if templates_phase == AnalysisPhase::Successful && (runs_phase.is_completed() || !required.is_empty())
        {
            return (runs_phase, run_message);
        }
        return (templates_phase, template_message());
    }
    let runs_failed = runs_phase.is_completed() && runs_phase != AnalysisPhase::Successful;
    if runs_failed || (required_passed && runs_phase == AnalysisPhase::Successful) {
        return (runs_phase, run_message);
    }
    (templates_phase, template_message())
}

/// `Progressing`: False once Successful, True while running or progressing.
fn progressing_condition(status: &mut ExperimentStatus, name: &str, duration_passed: bool, now: Timestamp) {
    let (value, reason, message) = match status.phase {
        Some(AnalysisPhase::Successful) => (
            "False",
            "ExperimentCompleted",
            format!("Experiment {name:?} has successfully ran and completed."),
        ),
        _ if status.available_at.is_some() && !duration_passed => (
            "True",
            "NewReplicaSetAvailable",
            format!("Experiment {name:?} is running."),
        ),
        _ => (
            "True",
            "ReplicaSetUpdated",
            format!("Experiment {name:?} is progressing."),
        ),
    };
    set_condition(
        status,
        ExperimentConditionType::Progressing,
        value,
        reason,
        &message,
        now,
    );
}

fn set_condition(
    status: &mut ExperimentStatus,
    kind: ExperimentConditionType,
    value: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    let conditions = status.conditions.get_or_insert_default();
    if let Some(existing) = conditions.iter_mut().find(|c| c.type_ == kind) {
        if existing.status == value && existing.reason == reason {
            return;
        }
        if existing.status != value {
            existing.last_transition_time = Time(now);
        }
        existing.status = value.to_string();
        existing.reason = reason.to_string();
        existing.message = message.to_string();
        existing.last_update_time = Time(now);
        return;
    }
    conditions.push(ExperimentCondition {
        type_: kind,
        status: value.to_string(),
        last_update_time: Time(now),
        last_transition_time: Time(now),
        reason: reason.to_string(),
        message: message.to_string(),
    });
}

fn remove_condition(status: &mut ExperimentStatus, kind: ExperimentConditionType) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != kind);
        if conditions.is_empty() {
            status.conditions = None;
        }
    }
}
