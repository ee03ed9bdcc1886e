//! One step of a running sync operation, decided from the operation's recorded state and what
//! the cluster shows: the next wave's applies and prunes, hook results and hook deletions, the
//! end of the operation, or a retry after backoff. Nothing else is remembered between passes, so
//! a restarted controller takes the next step from the same inputs.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::application::codes::{self, OperationPhase, ResultCode};
use linnet_crds::application::operation::SyncOperationResource;
use linnet_crds::application::operation_state::{OperationState, ResourceResult, SyncOperationResult};
use linnet_crds::application::sync_policy::RetryStrategy;
use serde_json::Value;

use super::backoff;
use super::compare::version_of;
use super::model::{Action, DeleteReason, PlannedEvent, Rendered};
use super::settings::AppSyncOptions;
use crate::sync::ResourceKey;
use crate::sync::diff::{self, IgnoreRule, SyncStatus};
use crate::sync::health::{self, HealthStatus};
use crate::sync::hooks::{self, DeletePolicy, Role, SyncPhase};
use crate::sync::order::{self, OrderSettings, SyncTask, TaskAction};
use crate::sync::tracking::Tracking;
use crate::sync::waves::{self, LiveState, Observation, Observations, WavePlan};

/// How soon to look again while an operation waits (for health, a hook, a deletion).
pub const OPERATION_POLL: Duration = Duration::from_secs(1);
/// How soon to look again after a step changed the cluster: what it applied is usually in
/// sync at once, and the next step (or the end) need not wait a full poll.
pub const AFTER_CHANGES: Duration = Duration::from_millis(100);

/// What a step needs besides the operation state.
pub struct StepInputs<'a> {
    pub now: Timestamp,
    /// How the Application's objects are marked as its own.
    pub tracking: &'a Tracking,
    /// The render at the operation's revision.
    pub render: &'a Rendered,
    pub live: &'a BTreeMap<ResourceKey, Value>,
    pub ignore: &'a [IgnoreRule],
    pub options: &'a AppSyncOptions,
    pub retry: Option<&'a RetryStrategy>,
    /// The destination namespace and whether it exists, for `CreateNamespace=true`.
    pub namespace: &'a str,
    pub namespace_exists: bool,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: OperationState,
    pub actions: Vec<Action>,
    /// When to look again; `None` once the operation is over.
    pub requeue: Option<Duration>,
    pub events: Vec<PlannedEvent>,
}

/// Takes the next step of a Running operation.
pub fn step(mut state: OperationState, inputs: &StepInputs<'_>) -> Step {
    let mut events = Vec::new();
    if let Some(finished) = state.finished_at.as_ref().map(|t| t.0) {
        // Running with a finish time: a failed attempt waiting for its retry.
        let attempt = state.retry_count.unwrap_or(0);
        let due = add(finished, backoff::delay(inputs.retry, attempt));
        if inputs.now < due {
            let wait = due.duration_since(inputs.now);
            return Step {
                state,
                actions: Vec::new(),
                requeue: Some(Duration::try_from(wait).unwrap_or(OPERATION_POLL)),
                events,
            };
        }
        state.finished_at = None;
        state.message = Some(format!("retrying attempt #{attempt}"));
        if let Some(result) = state.sync_result.as_mut() {
            result.resources = None;
        }
    }
    let sync = state.operation.sync.clone().unwrap_or_default();
    if sync.dry_run == Some(true) {
        return finish(
            state,
            OperationPhase::Error,
            "dry-run syncs are not implemented",
            inputs,
            events,
        );
    }
    let prune = sync.prune.unwrap_or(false);
    let desired = &inputs.render.objects;
    let desired_keys: Vec<ResourceKey> = desired.iter().map(ResourceKey::of).collect();
    let extraneous: Vec<Value> = inputs
        .live
        .iter()
        .filter(|(key, obj)| !desired_keys.contains(key) && matches!(hooks::role(obj), Ok(Role::Resource)))
        .map(|(_, obj)| obj.clone())
        .collect();
    let operation_id = operation_id(&state.started_at);
    let settings = OrderSettings {
        prune_last: inputs.options.prune_last,
        prune_confirmed: false,
        operation_id: &operation_id,
    };
    let mut tasks = match order::sync_order(desired, if prune { &extraneous } else { &[] }, settings) {
        Ok(tasks) => tasks,
        Err(error) => return finish(state, OperationPhase::Error, &error.to_string(), inputs, events),
    };
    if let Some(selected) = sync.resources.as_ref().filter(|r| !r.is_empty()) {
        // A selective sync applies only the named resources, and runs no hooks.
        tasks.retain(|t| !t.is_hook() && selected.iter().any(|s| selects(s, &t.key)));
    }
    let mut records = state
        .sync_result
        .as_ref()
        .and_then(|r| r.resources.clone())
        .unwrap_or_default();
    if !prune {
        for obj in &extraneous {
            let key = ResourceKey::of(obj);
            upsert(
                &mut records,
                result_for(
                    &key,
                    obj,
                    SyncPhase::Sync,
                    ResultCode::PruneSkipped,
                    "ignored (requires pruning)",
                ),
            );
        }
    }
    let mut actions = Vec::new();
    if inputs.options.create_namespace && !inputs.namespace_exists && !inputs.namespace.is_empty() {
        actions.push(Action::CreateNamespace {
            name: inputs.namespace.to_string(),
        });
    }
    settle_hooks(&tasks, inputs.live, &mut records, &mut actions);
    let observed = observations(&tasks, inputs, &records);
    let plan = waves::next_wave(&tasks, &observed);
    state.sync_result = Some(SyncOperationResult {
        resources: Some(records),
        revision: inputs.render.revision.clone(),
        source: Some(inputs.render.source.clone()),
        ..state.sync_result.take().unwrap_or_default()
    });
    let Some(plan) = plan else {
        return finish(
            state,
            OperationPhase::Succeeded,
            "successfully synced (all tasks run)",
            inputs,
            events,
        );
    };
    match plan {
        WavePlan::Run {
            phase, wave, tasks, ..
        } => {
            run_tasks(&mut state, &tasks, inputs, &mut actions);
            state.message = Some(format!("running {phase:?} wave {wave}: {} task(s)", tasks.len()));
        }
        WavePlan::Wait {
            phase,
            wave,
            waiting_on,
        } => {
            state.message = Some(format!(
                "waiting for {phase:?} wave {wave}: {}",
                list(&waiting_on)
            ));
        }
        WavePlan::Failed {
            failed,
            run,
            waiting_on,
        } => {
            if run.is_empty() && waiting_on.is_empty() {
                let message = format!(
                    "one or more synchronization tasks completed unsuccessfully: {}",
                    list(&failed)
                );
                events.push(PlannedEvent::warning("SyncFailed", message.clone()));
                return finish(state, OperationPhase::Failed, &message, inputs, events);
            }
            run_tasks(&mut state, &run, inputs, &mut actions);
            state.message = Some(format!(
                "running SyncFail hooks after failure of {}",
                list(&failed)
            ));
        }
    }
    let requeue = if actions.is_empty() {
        OPERATION_POLL
    } else {
        AFTER_CHANGES
    };
    Step {
        state,
        actions,
        requeue: Some(requeue),
        events,
    }
}

/// Records that actions failed: the resources as SyncFailed, and the operation as Failed (or
/// waiting for a retry).
pub fn record_failures(
    mut state: OperationState,
    failures: &[super::model::ActionFailure],
    now: Timestamp,
    retry: Option<&RetryStrategy>,
) -> (OperationState, Vec<PlannedEvent>) {
    if failures.is_empty() {
        return (state, Vec::new());
    }
    let result = state.sync_result.get_or_insert_with(SyncOperationResult::default);
    let records = result.resources.get_or_insert_with(Vec::new);
    let mut messages = Vec::new();
    for failure in failures {
        messages.push(match failure.action.key() {
            Some(key) => format!("{key}: {}", failure.message),
            None => failure.message.clone(),
        });
        let (key, phase, object) = match &failure.action {
            Action::Apply {
                key, phase, object, ..
            } => (key, *phase, object.clone()),
            Action::Delete { key, phase, .. } => (key, *phase, Value::Null),
            Action::CreateNamespace { .. } => continue,
        };
        let mut record = result_for(key, &object, phase, ResultCode::SyncFailed, &failure.message);
        if let Some(existing) = records.iter().find(|r| same(r, &record)) {
            record.hook_type = existing.hook_type;
            if record.hook_type.is_some() {
                record.hook_phase = Some(OperationPhase::Failed);
            }
        }
        upsert(records, record);
    }
    let message = format!("one or more objects failed to apply: {}", messages.join("; "));
    let mut events = vec![PlannedEvent::warning("SyncFailed", message.clone())];
    let state = conclude(
        &mut state,
        OperationPhase::Failed,
        &message,
        now,
        retry,
        &mut events,
    );
    (state, events)
}

/// Ends the operation, or, when its retry strategy allows, leaves it Running with a finish time
/// so the next pass waits for the backoff.
fn finish(
    mut state: OperationState,
    phase: OperationPhase,
    message: &str,
    inputs: &StepInputs<'_>,
    mut events: Vec<PlannedEvent>,
) -> Step {
    let state = conclude(&mut state, phase, message, inputs.now, inputs.retry, &mut events);
    let requeue = (state.phase == OperationPhase::Running).then_some(OPERATION_POLL);
    Step {
        state,
        actions: Vec::new(),
        requeue,
        events,
    }
}

fn conclude(
    state: &mut OperationState,
    phase: OperationPhase,
    message: &str,
    now: Timestamp,
    retry: Option<&RetryStrategy>,
    events: &mut Vec<PlannedEvent>,
) -> OperationState {
    let mut state = state.clone();
    state.finished_at = Some(Time(now));
    let retries = state.retry_count.unwrap_or(0);
    if phase != OperationPhase::Succeeded && backoff::may_retry(retry, retries) {
        let attempt = retries + 1;
        state.retry_count = Some(attempt);
        state.phase = OperationPhase::Running;
        let wait = backoff::delay(retry, attempt);
        state.message = Some(format!(
            "{message}. Retrying attempt #{attempt} in {}s",
            wait.as_secs()
        ));
        return state;
    }
    state.phase = phase;
    state.message = Some(message.to_string());
    let revision = state
        .sync_result
        .as_ref()
        .map(|r| r.revision.clone())
        .unwrap_or_default();
    events.push(match phase {
        OperationPhase::Succeeded => PlannedEvent::normal(
            "OperationCompleted",
            format!("Sync operation to {revision} succeeded"),
        ),
        _ => PlannedEvent::warning(
            "OperationCompleted",
            format!("Sync operation to {revision} failed: {message}"),
        ),
    });
    state
}

/// Records finished hooks (from their live health) and deletes them as their policies say.
fn settle_hooks(
    tasks: &[SyncTask],
    live: &BTreeMap<ResourceKey, Value>,
    records: &mut [ResourceResult],
    actions: &mut Vec<Action>,
) {
    for task in tasks.iter().filter(|t| t.is_hook()) {
        let Some(record) = records
            .iter_mut()
            .find(|r| matches_task(r, task) && r.hook_phase == Some(OperationPhase::Running))
        else {
            continue;
        };
        let outcome = match live.get(&task.key) {
            None => Some((false, "the hook was deleted before it completed".to_string())),
            Some(obj) => match health::assess(obj) {
                None => Some((true, String::new())),
                Some(h) if h.status == HealthStatus::Healthy => Some((true, h.message)),
                Some(h) if h.status == HealthStatus::Degraded => Some((false, h.message)),
                Some(_) => None,
            },
        };
        let Some((succeeded, message)) = outcome else {
            continue;
        };
        record.hook_phase = Some(if succeeded {
            OperationPhase::Succeeded
        } else {
            OperationPhase::Failed
        });
        record.status = Some(if succeeded {
            ResultCode::Synced
        } else {
            ResultCode::SyncFailed
        });
        if !message.is_empty() {
            record.message = Some(message);
        }
        let policies = task.hook_delete_policies.as_deref().unwrap_or_default();
        let delete = (succeeded && policies.contains(&DeletePolicy::HookSucceeded))
            || (!succeeded && policies.contains(&DeletePolicy::HookFailed));
        if let (true, Some(obj)) = (delete, live.get(&task.key)) {
            actions.push(Action::Delete {
                key: task.key.clone(),
                phase: task.phase,
                api_version: str_of(obj, "apiVersion"),
                why: DeleteReason::HookPolicy,
            });
        }
    }
}

/// What each task's object looks like, for wave gating.
fn observations(tasks: &[SyncTask], inputs: &StepInputs<'_>, records: &[ResourceResult]) -> Observations {
    let mut observed = Observations::new();
    for task in tasks {
        let live = inputs.live.get(&task.key);
        let observation = if task.is_hook() {
            let record = records.iter().find(|r| matches_task(r, task));
            match (record.and_then(|r| r.hook_phase), live) {
                (Some(OperationPhase::Succeeded), _) => Observation::HookFinished { succeeded: true },
                (Some(OperationPhase::Failed | OperationPhase::Error), _) => {
                    Observation::HookFinished { succeeded: false }
                }
                (Some(_), Some(obj)) => Observation::Live(live_state(obj, true)),
                _ => Observation::Absent,
            }
        } else {
            match live {
                None => Observation::Absent,
                Some(obj) => {
                    let in_sync = task.action == TaskAction::Prune
                        || diff::compare(&task.object, Some(obj), inputs.ignore).status == SyncStatus::Synced;
                    Observation::Live(live_state(obj, in_sync))
                }
            }
        };
        observed.insert(task.id(), observation);
    }
    observed
}

fn live_state(obj: &Value, in_sync: bool) -> LiveState {
    LiveState {
        in_sync,
        health: health::assess(obj).map(|h| h.status),
        deleting: obj
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|t| !t.is_null()),
    }
}

/// Turns the tasks of a wave into actions and records them as started.
fn run_tasks(
    state: &mut OperationState,
    tasks: &[SyncTask],
    inputs: &StepInputs<'_>,
    actions: &mut Vec<Action>,
) {
    let result = state.sync_result.get_or_insert_with(SyncOperationResult::default);
    let records = result.resources.get_or_insert_with(Vec::new);
    for task in tasks {
        match task.action {
            TaskAction::Prune => {
                actions.push(Action::Delete {
                    key: task.key.clone(),
                    phase: task.phase,
                    api_version: str_of(&task.object, "apiVersion"),
                    why: DeleteReason::Prune,
                });
                upsert(
                    records,
                    result_for(&task.key, &task.object, task.phase, ResultCode::Pruned, "pruned"),
                );
            }
            TaskAction::Apply if task.is_hook() => {
                if let Some(old) = inputs.live.get(&task.key) {
                    // A hook left from an earlier operation: BeforeHookCreation deletes it first,
                    // and the next pass creates it once it is gone.
                    let policies = task.hook_delete_policies.as_deref().unwrap_or_default();
                    if policies.contains(&DeletePolicy::BeforeHookCreation) {
                        if !live_state(old, true).deleting {
                            actions.push(Action::Delete {
                                key: task.key.clone(),
                                phase: task.phase,
                                api_version: str_of(old, "apiVersion"),
                                why: DeleteReason::BeforeHookCreation,
                            });
                        }
                        continue;
                    }
                }
                actions.push(apply_action(task, inputs));
                let mut record =
                    result_for(&task.key, &task.object, task.phase, ResultCode::Synced, "created");
                record.hook_type = Some(hook_type(task.phase));
                record.hook_phase = Some(OperationPhase::Running);
                upsert(records, record);
            }
            TaskAction::Apply => {
                actions.push(apply_action(task, inputs));
                let message = if inputs.live.contains_key(&task.key) {
                    "configured"
                } else {
                    "created"
                };
                upsert(
                    records,
                    result_for(&task.key, &task.object, task.phase, ResultCode::Synced, message),
                );
            }
        }
    }
}

fn apply_action(task: &SyncTask, inputs: &StepInputs<'_>) -> Action {
    let mut object = task.object.clone();
    inputs.tracking.mark(&mut object, &task.key);
    Action::Apply {
        key: task.key.clone(),
        phase: task.phase,
        object,
        replace: task.options.replace || inputs.options.replace,
        force_conflicts: task
            .options
            .server_side_apply
            .unwrap_or(inputs.options.server_side_apply),
        validate: task.options.validate && inputs.options.validate,
    }
}

/// A stable id of an operation for naming its generated hooks: its start time.
pub fn operation_id(started_at: &Time) -> String {
    format!("{:x}", started_at.0.as_second())
}

fn selects(selected: &SyncOperationResource, key: &ResourceKey) -> bool {
    let fits = |pattern: &str, value: &str| pattern == "*" || pattern == value;
    fits(selected.group.as_deref().unwrap_or(""), &key.group)
        && fits(&selected.kind, &key.kind)
        && fits(&selected.name, &key.name)
        && selected
            .namespace
            .as_deref()
            .is_none_or(|ns| ns.is_empty() || fits(ns, &key.namespace))
}

fn result_for(
    key: &ResourceKey,
    obj: &Value,
    phase: SyncPhase,
    code: ResultCode,
    message: &str,
) -> ResourceResult {
    ResourceResult {
        group: key.group.clone(),
        version: version_of(obj),
        kind: key.kind.clone(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        status: Some(code),
        message: Some(message.to_string()),
        hook_type: None,
        hook_phase: None,
        sync_phase: Some(sync_phase(phase)),
        images: None,
    }
}

fn same(a: &ResourceResult, b: &ResourceResult) -> bool {
    a.group == b.group
        && a.kind == b.kind
        && a.namespace == b.namespace
        && a.name == b.name
        && a.sync_phase == b.sync_phase
}

fn matches_task(record: &ResourceResult, task: &SyncTask) -> bool {
    record.group == task.key.group
        && record.kind == task.key.kind
        && record.namespace == task.key.namespace
        && record.name == task.key.name
        && record.sync_phase == Some(sync_phase(task.phase))
}

/// Replaces the record of the same resource and phase, keeping its version when the new one
/// has none, or appends it.
fn upsert(records: &mut Vec<ResourceResult>, mut record: ResourceResult) {
    match records.iter_mut().find(|r| same(r, &record)) {
        Some(existing) => {
            if record.version.is_empty() {
                record.version = existing.version.clone();
            }
            *existing = record;
        }
        None => records.push(record),
    }
}

pub fn sync_phase(phase: SyncPhase) -> codes::SyncPhase {
    match phase {
        SyncPhase::PreSync => codes::SyncPhase::PreSync,
        SyncPhase::Sync => codes::SyncPhase::Sync,
        SyncPhase::PostSync => codes::SyncPhase::PostSync,
        SyncPhase::SyncFail => codes::SyncPhase::SyncFail,
    }
}

fn hook_type(phase: SyncPhase) -> codes::HookType {
    match phase {
        SyncPhase::PreSync => codes::HookType::PreSync,
        SyncPhase::Sync => codes::HookType::Sync,
        SyncPhase::PostSync => codes::HookType::PostSync,
        SyncPhase::SyncFail => codes::HookType::SyncFail,
    }
}

fn list(keys: &[ResourceKey]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn str_of(obj: &Value, field: &str) -> String {
    obj.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn add(at: Timestamp, wait: Duration) -> Timestamp {
    SignedDuration::try_from(wait)
        .ok()
        .and_then(|d| at.checked_add(d).ok())
        .unwrap_or(at)
}
