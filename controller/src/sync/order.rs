//! Sync tasks and their order.
//!
//! [`sync_order`] turns the desired objects of a render and the extraneous live objects (tracked
//! by the application, gone from Git) into tasks, sorted the way Argo CD applies them:
//!
//! 1. by phase: PreSync, Sync, PostSync, then SyncFail;
//! 2. by wave, lowest first (waves may be negative);
//! 3. by kind, in the order Helm installs kinds (Namespaces first, APIServices last, custom and
//!    unknown kinds after all of them);
//! 4. by name.
//!
//! Pruning runs in reverse: the prune task of the highest wave gets the lowest prune wave, so
//! objects are deleted in the opposite order to their creation. A prune marked `PruneLast` (or
//! every prune, when the Application says so) moves to an extra wave after the last Sync wave.
//! Finally a Namespace or CustomResourceDefinition that a task before it needs is pulled in front
//! of that task, taking its phase and wave.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::sync::SyncError;
use crate::sync::hooks::{self, DeletePolicy, Role, SyncPhase};
use crate::sync::identity::{self, ResourceKey};
use crate::sync::object::str_at;
use crate::sync::options::{self, Removal, SyncOptions};

/// The order in which kinds are applied within one wave.
const KIND_ORDER: [&str; 35] = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// What a task does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskAction {
    /// Create or update the object from its desired manifest.
    Apply,
    /// Delete the live object: it is no longer in Git.
    Prune,
}

/// Identifies a task: a hook in several phases is one object but one task per phase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    pub phase: SyncPhase,
    pub key: ResourceKey,
}

/// One step of a sync operation.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncTask {
    pub key: ResourceKey,
    pub phase: SyncPhase,
    pub wave: i32,
    pub action: TaskAction,
    /// For a hook, when to delete it; `None` for an ordinary resource.
    pub hook_delete_policies: Option<Vec<DeletePolicy>>,
    pub options: SyncOptions,
    /// The desired manifest for an apply, the live object for a prune.
    pub object: Value,
}

impl SyncTask {
    pub fn is_hook(&self) -> bool {
        self.hook_delete_policies.is_some()
    }

    pub fn id(&self) -> TaskId {
        TaskId {
            phase: self.phase,
            key: self.key.clone(),
        }
    }
}

/// Application-wide settings that change the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderSettings<'a> {
    /// The Application's `PruneLast=true` sync option: every prune goes last.
    pub prune_last: bool,
    /// A person confirmed pruning, so objects marked `Prune=confirm` may go.
    pub prune_confirmed: bool,
    /// The running operation's id. When set, hooks with only `generateName` are named for it
    /// and their phase (see [`hooks::name_generated_hook`]); when empty they keep the prefix as
    /// their key.
    pub operation_id: &'a str,
}

/// Builds the sync tasks for a render, in apply order.
///
/// `desired` are the rendered manifests (namespaces already set); `extraneous` are live objects
/// the application tracks that the render no longer holds. Hooks are never pruned (their delete
/// policy removes them), and neither are objects marked `Prune=false`, or `Prune=confirm`
/// without confirmation: the caller reports those as requiring pruning.
///
/// Fails on a render with two objects of one identity, or on a malformed hook or wave annotation.
pub fn sync_order(
    desired: &[Value],
    extraneous: &[Value],
    settings: OrderSettings<'_>,
) -> Result<Vec<SyncTask>, SyncError> {
    identity::ensure_unique(desired)?;
    let mut tasks = Vec::new();
    for obj in desired {
        let wave = hooks::wave(obj)?;
        match hooks::role(obj)? {
            Role::Skipped => {}
            Role::Resource => tasks.push(task(obj, SyncPhase::Sync, wave, TaskAction::Apply, None)),
            Role::Hook {
                types,
                delete_policies,
            } => {
                for phase in types.iter().filter_map(|t| t.sync_phase()) {
                    let policies = Some(delete_policies.clone());
                    if settings.operation_id.is_empty() {
                        tasks.push(task(obj, phase, wave, TaskAction::Apply, policies));
                    } else {
                        let named = hooks::name_generated_hook(obj, settings.operation_id, phase);
                        tasks.push(task(&named, phase, wave, TaskAction::Apply, policies));
                    }
                }
            }
        }
    }
    for obj in extraneous {
        if hooks::role(obj)? != Role::Resource {
            continue;
        }
        let allowed = match options::sync_options(obj).prune {
            Removal::Allowed => true,
            Removal::Confirm => settings.prune_confirmed,
            Removal::Disabled => false,
        };
        if allowed {
            tasks.push(task(
                obj,
                SyncPhase::Sync,
                hooks::wave(obj)?,
                TaskAction::Prune,
                None,
            ));
        }
    }
    reverse_prune_waves(&mut tasks);
    move_prune_last(&mut tasks, settings.prune_last);
    tasks.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    pull_forward(&mut tasks, provided_namespace, needed_namespace);
    pull_forward(&mut tasks, provided_custom_kind, needed_kind);
    Ok(tasks)
}

fn task(
    obj: &Value,
    phase: SyncPhase,
    wave: i32,
    action: TaskAction,
    hook_delete_policies: Option<Vec<DeletePolicy>>,
) -> SyncTask {
    SyncTask {
        key: ResourceKey::of(obj),
        phase,
        wave,
        action,
        hook_delete_policies,
        options: options::sync_options(obj),
        object: obj.clone(),
    }
}

fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// Namespace and group only break ties, so that the order never depends on input order.
fn sort_key(task: &SyncTask) -> (SyncPhase, i32, usize, &str, &str, &str) {
    let k = &task.key;
    (
        task.phase,
        task.wave,
        kind_rank(&k.kind),
        &k.name,
        &k.namespace,
        &k.group,
    )
}

/// Mirrors the prune waves: with prunes in waves [-1, 0, 3], those of wave 3 get -1, those of
/// wave -1 get 3, and wave 0 stays.
fn reverse_prune_waves(tasks: &mut [SyncTask]) {
    let waves: Vec<i32> = tasks
        .iter()
        .filter(|t| t.action == TaskAction::Prune)
        .map(|t| t.wave)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mirrored: BTreeMap<i32, i32> = waves.iter().copied().zip(waves.iter().rev().copied()).collect();
    for task in tasks.iter_mut().filter(|t| t.action == TaskAction::Prune) {
        task.wave = mirrored.get(&task.wave).copied().unwrap_or(task.wave);
    }
}

/// Puts `PruneLast` prunes in a wave of their own, after every Sync-phase wave (at least wave 1).
fn move_prune_last(tasks: &mut [SyncTask], all: bool) {
    let last_sync_wave = tasks
        .iter()
        .filter(|t| t.phase == SyncPhase::Sync)
        .map(|t| t.wave)
        .max();
    let final_wave = last_sync_wave.unwrap_or(0).max(0) + 1;
    for task in tasks.iter_mut() {
        if task.action == TaskAction::Prune && (all || task.options.prune_last) {
            task.wave = final_wave;
        }
    }
}

/// Moves each task that provides something (per `provides`) in front of the first earlier apply
/// task that needs it (per `needs`), giving it that task's phase and wave.
fn pull_forward(
    tasks: &mut Vec<SyncTask>,
    provides: fn(&SyncTask) -> Option<String>,
    needs: fn(&SyncTask) -> Option<String>,
) {
    let mut first_needed_at: BTreeMap<String, usize> = BTreeMap::new();
    let mut index = 0;
    while index < tasks.len() {
        let current = &tasks[index];
        if current.action == TaskAction::Apply {
            if let Some(provided) = provides(current) {
                if let Some(&target) = first_needed_at.get(&provided) {
                    let mut moved = tasks.remove(index);
                    moved.phase = tasks[target].phase;
                    moved.wave = tasks[target].wave;
                    tasks.insert(target, moved);
                    for position in first_needed_at.values_mut().filter(|p| **p >= target) {
                        *position += 1;
                    }
                }
            } else if let Some(needed) = needs(current) {
                first_needed_at.entry(needed).or_insert(index);
            }
        }
        index += 1;
    }
}

fn provided_namespace(task: &SyncTask) -> Option<String> {
    (task.key.group.is_empty() && task.key.kind == "Namespace").then(|| task.key.name.clone())
}

fn needed_namespace(task: &SyncTask) -> Option<String> {
    (!task.key.namespace.is_empty()).then(|| task.key.namespace.clone())
}

fn provided_custom_kind(task: &SyncTask) -> Option<String> {
    if task.key.group != "apiextensions.k8s.io" || task.key.kind != "CustomResourceDefinition" {
        return None;
    }
    let group = str_at(&task.object, &["spec", "group"])?;
    let kind = str_at(&task.object, &["spec", "names", "kind"])?;
    Some(format!("{group}/{kind}"))
}

fn needed_kind(task: &SyncTask) -> Option<String> {
    Some(format!("{}/{}", task.key.group, task.key.kind))
}
