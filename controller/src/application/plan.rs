//! The pure planner of one reconcile pass: from the Application, its renders and the live
//! objects it tracks (and `now`), the status to write, the actions to carry out, and when to
//! look again. Deletion with the resources finalizer, the comparison, manual and automated
//! operations and history all meet here; the details live in the modules named below.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::application::Application;
use linnet_crds::application::codes::{HealthStatusCode, OperationPhase, SyncStatusCode};
use linnet_crds::application::operation_state::OperationState;
use linnet_crds::application::status::{
    ApplicationCondition, ApplicationStatus, ComparedTo, HealthStatus as AppHealth, ResourceStatus,
    RevisionHistory, SyncStatus as AppSync,
};
use serde_json::Value;

use super::automation::{self, AutoSync};
use super::compare::{ResourceState, compare_app};
use super::model::{Action, DeleteReason, PlannedEvent, Rendered};
use super::operation::{self, OPERATION_POLL, StepInputs};
use super::rules::Windows;
use super::settings::{self, AppSyncOptions, REFRESH_ANNOTATION};
use crate::sync::ResourceKey;
use crate::sync::diff::{IgnoreRule, SyncStatus};
use crate::sync::health::HealthStatus;
use crate::sync::options::{self, Removal};
use crate::sync::tracking::Tracking;

/// Argo CD's default `revisionHistoryLimit`.
pub const DEFAULT_HISTORY_LIMIT: i64 = 10;

/// Everything one pass decides from.
pub struct PlanInputs<'a> {
    pub app: &'a Application,
    pub now: Timestamp,
    /// How the Application's objects are marked as its own.
    pub tracking: &'a Tracking,
    /// The render at the spec's target revision, or the ComparisonError message.
    pub target: &'a Result<Rendered, String>,
    /// The render at a requested or running operation's revision when it differs from the
    /// target's; `None` means the target's.
    pub operation_render: Option<&'a Result<Rendered, String>>,
    pub live: &'a BTreeMap<ResourceKey, Value>,
    pub namespace_exists: bool,
    /// InvalidSpecError messages (spec, project, destination): nothing is compared or applied.
    pub invalid_spec: Vec<String>,
    /// Rendered objects the project forbids: a ComparisonError each, and no sync starts.
    pub forbidden: Vec<String>,
    /// Whether the project's sync windows let syncs start now.
    pub windows: Windows,
    pub self_heal_timeout: Duration,
}

/// How long to wait before looking again at a sync a window holds back.
const WINDOW_RETRY: Duration = Duration::from_secs(30);

/// What the pass does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub status: ApplicationStatus,
    pub actions: Vec<Action>,
    /// Remove the top-level `operation`: it has been taken into `status.operationState`.
    pub clear_operation: bool,
    pub remove_refresh_annotation: bool,
    pub remove_finalizer: bool,
    /// Look again this soon; `None` leaves it to the refresh interval.
    pub requeue: Option<Duration>,
    pub events: Vec<PlannedEvent>,
}

pub fn plan(inputs: &PlanInputs<'_>) -> Plan {
    let app = inputs.app;
    let old = app.status.clone().unwrap_or_default();
    let mut plan = Plan {
        status: old.clone(),
        actions: Vec::new(),
        clear_operation: false,
        remove_refresh_annotation: app
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(REFRESH_ANNOTATION)),
        remove_finalizer: false,
        requeue: None,
        events: Vec::new(),
    };
    if app.metadata.deletion_timestamp.is_some() {
        plan_deletion(inputs, &mut plan);
        return plan;
    }
    let mut conditions: Vec<(&'static str, String)> = Vec::new();
    conditions.extend(
        inputs
            .invalid_spec
            .iter()
            .map(|m| ("InvalidSpecError", m.clone())),
    );
    let comparison = match (inputs.invalid_spec.is_empty(), inputs.target) {
        (false, _) => None,
        (true, Err(message)) => {
            conditions.push(("ComparisonError", message.clone()));
            None
        }
        (true, Ok(target)) => {
            let ignore = ignore_rules(app);
            let comparison = compare_app(&target.objects, inputs.live, &ignore);
            let mut comparison = comparison;
            comparison.errors.extend(inputs.forbidden.iter().cloned());
            conditions.extend(comparison.errors.iter().map(|e| ("ComparisonError", e.clone())));
            Some((target, comparison))
        }
    };
    match &comparison {
        Some((target, comparison)) => {
            plan.status.sync = Some(AppSync {
                status: sync_code(comparison.status),
                compared_to: Some(ComparedTo {
                    source: app.spec.source.clone(),
                    destination: app.spec.destination.clone(),
                    sources: None,
                    ignore_differences: app.spec.ignore_differences.clone(),
                }),
                revision: Some(target.revision.clone()),
                revisions: None,
            });
            plan.status.health = Some(AppHealth {
                status: Some(health_code(comparison.health.status)),
                message: Some(comparison.health.message.clone()).filter(|m| !m.is_empty()),
                last_transition_time: None,
            });
            plan.status.resources = Some(comparison.resources.iter().map(resource_status).collect());
        }
        None => {
            plan.status.sync = Some(AppSync {
                status: SyncStatusCode::Unknown,
                compared_to: None,
                revision: None,
                revisions: None,
            });
        }
    }
    let blocked = !inputs.invalid_spec.is_empty();
    let comparison_failed = comparison.as_ref().is_none_or(|(_, c)| !c.errors.is_empty());
    // The operation to run this pass: the running one, a requested one, or an automated one.
    let running = old
        .operation_state
        .clone()
        .filter(|state| state.phase == OperationPhase::Running);
    let mut state = running;
    let mut render = inputs.operation_render;
    if state.is_none() && !blocked {
        let requested_sync = app.operation.as_ref().is_some_and(|o| o.sync.is_some());
        if requested_sync && !inputs.windows.manual {
            // Held back by a sync window: the request stays until the window opens.
            let reason = inputs
                .windows
                .reason
                .clone()
                .unwrap_or_else(|| "a sync window is closed".into());
            conditions.push(("SyncError", format!("Cannot sync: {reason}")));
            plan.requeue = Some(WINDOW_RETRY);
        } else if let Some(requested) = app.operation.clone() {
            plan.clear_operation = true;
            if requested.sync.is_some() {
                plan.events.push(PlannedEvent::normal(
                    "OperationStarted",
                    "Initiated sync".to_string(),
                ));
                state = Some(new_operation(requested, inputs.now));
            }
        } else if !inputs.windows.automated && settings::automated(app).is_some() {
            plan.requeue = Some(WINDOW_RETRY);
        } else if let Some((target, comparison)) = comparison.as_ref().filter(|_| !comparison_failed) {
            render = None;
            match automation::decide(
                app,
                comparison,
                target,
                inputs.live.len(),
                inputs.now,
                inputs.self_heal_timeout,
            ) {
                AutoSync::Idle => {}
                AutoSync::Start(requested) => {
                    plan.events.push(PlannedEvent::normal(
                        "OperationStarted",
                        format!("Initiated automated sync to '{}'", target.revision),
                    ));
                    state = Some(new_operation(*requested, inputs.now));
                }
                AutoSync::Refuse(message) => conditions.push(("SyncError", message)),
                AutoSync::WaitFor(wait) => plan.requeue = Some(wait),
            }
        }
    }
    if let Some(state) = state {
        let render = render.unwrap_or(inputs.target);
        let errors: Vec<String> = match &comparison {
            Some((_, c)) => c.errors.clone(),
            None => Vec::new(),
        };
        let next = step_operation(inputs, state, render, &errors, &mut plan);
        // Only Running operations are stepped, so Succeeded here is a sync that just ended.
        if next.phase == OperationPhase::Succeeded {
            record_history(app, &mut plan.status, &next, inputs.now);
        }
        plan.status.operation_state = Some(next);
    }
    plan.status.conditions = merge_conditions(old.conditions.as_deref(), conditions, inputs.now);
    plan.status.reconciled_at = Some(Time(inputs.now));
    plan
}

fn step_operation(
    inputs: &PlanInputs<'_>,
    state: OperationState,
    render: &Result<Rendered, String>,
    comparison_errors: &[String],
    plan: &mut Plan,
) -> OperationState {
    let app = inputs.app;
    let retry = state
        .operation
        .retry
        .clone()
        .or_else(|| app.spec.sync_policy.as_ref().and_then(|p| p.retry.clone()));
    let sync_options = state
        .operation
        .sync
        .as_ref()
        .and_then(|s| s.sync_options.as_ref());
    let options = AppSyncOptions::of(app, sync_options);
    let rendered = match render {
        // Nothing of a render that cannot be compared (bad annotations, duplicates, forbidden
        // kinds) is applied.
        Ok(rendered)
            if comparison_errors.is_empty()
                || (!std::ptr::eq(render, inputs.target) && inputs.forbidden.is_empty()) =>
        {
            rendered
        }
        Ok(_) => {
            let message = format!("ComparisonError: {}", comparison_errors.join("; "));
            return fail_before_start(state, &message, inputs, plan);
        }
        Err(message) => {
            return fail_before_start(state, &format!("ComparisonError: {message}"), inputs, plan);
        }
    };
    let ignore = ignore_rules(app);
    let namespace = destination_namespace(app);
    let step = operation::step(
        state,
        &StepInputs {
            now: inputs.now,
            tracking: inputs.tracking,
            render: rendered,
            live: inputs.live,
            ignore: &ignore,
            options: &options,
            retry: retry.as_ref(),
            namespace: &namespace,
            namespace_exists: inputs.namespace_exists,
        },
    );
    plan.actions.extend(step.actions);
    plan.events.extend(step.events);
    if let Some(wait) = step.requeue {
        plan.requeue = Some(plan.requeue.map_or(wait, |r| r.min(wait)));
    }
    step.state
}

/// An operation that cannot start because its revision does not render ends in Error.
fn fail_before_start(
    mut state: OperationState,
    message: &str,
    inputs: &PlanInputs<'_>,
    plan: &mut Plan,
) -> OperationState {
    state.phase = OperationPhase::Error;
    state.message = Some(message.to_string());
    state.finished_at = Some(Time(inputs.now));
    plan.events
        .push(PlannedEvent::warning("OperationCompleted", message.to_string()));
    state
}

fn new_operation(operation: linnet_crds::application::Operation, now: Timestamp) -> OperationState {
    OperationState {
        operation,
        phase: OperationPhase::Running,
        message: None,
        sync_result: None,
        started_at: Time(now),
        finished_at: None,
        retry_count: None,
    }
}

/// Deleting an Application that has the resources finalizer: delete what it tracks (except
/// `Delete=false`), then let the finalizer go once nothing is left.
fn plan_deletion(inputs: &PlanInputs<'_>, plan: &mut Plan) {
    if !settings::has_resources_finalizer(inputs.app) {
        return;
    }
    let mut remaining = 0;
    for (key, obj) in inputs.live {
        if options::sync_options(obj).delete != Removal::Allowed {
            continue;
        }
        remaining += 1;
        if obj
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|t| !t.is_null())
        {
            continue;
        }
        plan.actions.push(Action::Delete {
            key: key.clone(),
            phase: crate::sync::hooks::SyncPhase::Sync,
            api_version: obj
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            why: DeleteReason::Cascade,
        });
    }
    if remaining == 0 {
        plan.remove_finalizer = true;
    } else {
        plan.requeue = Some(OPERATION_POLL);
    }
}

fn record_history(app: &Application, status: &mut ApplicationStatus, state: &OperationState, now: Timestamp) {
    let history = status.history.get_or_insert_with(Vec::new);
    let id = history.iter().map(|h| h.id).max().map_or(0, |max| max + 1);
    let result = state.sync_result.as_ref();
    history.push(RevisionHistory {
        revision: result.map(|r| r.revision.clone()),
        deployed_at: Time(now),
        id,
        source: result
            .and_then(|r| r.source.clone())
            .or_else(|| app.spec.source.clone()),
        deploy_started_at: Some(state.started_at.clone()),
        sources: None,
        revisions: None,
        initiated_by: state.operation.initiated_by.clone(),
    });
    let limit = app
        .spec
        .revision_history_limit
        .unwrap_or(DEFAULT_HISTORY_LIMIT)
        .max(0);
    let excess = history.len().saturating_sub(usize::try_from(limit).unwrap_or(0));
    history.drain(..excess);
}

/// The new conditions, keeping the transition time of those that were already there.
fn merge_conditions(
    old: Option<&[ApplicationCondition]>,
    new: Vec<(&'static str, String)>,
    now: Timestamp,
) -> Option<Vec<ApplicationCondition>> {
    if new.is_empty() {
        return None;
    }
    let conditions = new
        .into_iter()
        .map(|(type_, message)| {
            let since = old
                .into_iter()
                .flatten()
                .find(|c| c.type_ == type_ && c.message == message)
                .and_then(|c| c.last_transition_time.clone())
                .unwrap_or(Time(now));
            ApplicationCondition {
                type_: type_.to_string(),
                message,
                last_transition_time: Some(since),
            }
        })
        .collect();
    Some(conditions)
}

/// The destination namespace, `default` when the spec names none.
pub fn destination_namespace(app: &Application) -> String {
    app.spec
        .destination
        .namespace
        .clone()
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

pub fn ignore_rules(app: &Application) -> Vec<IgnoreRule> {
    app.spec
        .ignore_differences
        .iter()
        .flatten()
        .map(|rule| IgnoreRule {
            group: rule.group.clone().unwrap_or_default(),
            kind: rule.kind.clone(),
            name: rule.name.clone().unwrap_or_default(),
            namespace: rule.namespace.clone().unwrap_or_default(),
            json_pointers: rule.json_pointers.clone().unwrap_or_default(),
            jq_path_expressions: rule.jq_path_expressions.clone().unwrap_or_default(),
            managed_fields_managers: rule.managed_fields_managers.clone().unwrap_or_default(),
        })
        .collect()
}

fn resource_status(resource: &ResourceState) -> ResourceStatus {
    ResourceStatus {
        group: Some(resource.key.group.clone()).filter(|g| !g.is_empty()),
        version: Some(resource.version.clone()),
        kind: Some(resource.key.kind.clone()),
        namespace: Some(resource.key.namespace.clone()).filter(|n| !n.is_empty()),
        name: Some(resource.key.name.clone()),
        status: Some(sync_code(resource.status)),
        health: resource.health.as_ref().map(|h| AppHealth {
            status: Some(health_code(h.status)),
            message: Some(h.message.clone()).filter(|m| !m.is_empty()),
            last_transition_time: None,
        }),
        hook: None,
        requires_pruning: resource.requires_pruning.then_some(true),
        sync_wave: (resource.wave != 0).then_some(i64::from(resource.wave)),
        requires_deletion_confirmation: None,
    }
}

fn sync_code(status: SyncStatus) -> SyncStatusCode {
    match status {
        SyncStatus::Synced => SyncStatusCode::Synced,
        SyncStatus::OutOfSync => SyncStatusCode::OutOfSync,
    }
}

pub fn health_code(status: HealthStatus) -> HealthStatusCode {
    match status {
        HealthStatus::Healthy => HealthStatusCode::Healthy,
        HealthStatus::Suspended => HealthStatusCode::Suspended,
        HealthStatus::Progressing => HealthStatusCode::Progressing,
        HealthStatus::Missing => HealthStatusCode::Missing,
        HealthStatus::Degraded => HealthStatusCode::Degraded,
        HealthStatus::Unknown => HealthStatusCode::Unknown,
    }
}
