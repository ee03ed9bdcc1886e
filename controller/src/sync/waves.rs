//! Wave gating: which part of a sync operation to carry out next, decided from what the cluster
//! (and the operation's recorded hook results) show, so a restarted controller carries on where
//! the last one stopped.
//!
//! Waves run one at a time in (phase, wave) order. A wave is done when every task in it is: an
//! applied resource is in sync and Healthy (or has no health), a hook has succeeded, a pruned
//! object is gone. Hooks and resources of one wave are applied together. PostSync therefore starts
//! only once every Sync-phase resource is Healthy. A Degraded resource or a failed hook fails the
//! operation, and only then do SyncFail hooks run.
//!
//! As in Argo CD, an operation with a single wave does not wait for resources to become healthy
//! (only for its hooks to finish): there is no later wave to hold back.

use std::collections::{BTreeMap, BTreeSet};

use crate::sync::health::HealthStatus;
use crate::sync::hooks::SyncPhase;
use crate::sync::identity::ResourceKey;
use crate::sync::order::{SyncTask, TaskAction, TaskId};

/// What the caller knows about one task's object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// Not in the cluster; for a hook: not yet created in this phase of this operation.
    Absent,
    /// In the cluster.
    Live(LiveState),
    /// A hook this operation already ran in this phase, as recorded in the operation's status
    /// (the object itself may have been deleted by its delete policy since).
    HookFinished { succeeded: bool },
}

/// The state of an object found in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveState {
    /// Whether it compares Synced with its desired manifest (ignored for hooks and prunes).
    pub in_sync: bool,
    /// Its health, `None` for kinds without a health check.
    pub health: Option<HealthStatus>,
    /// It has a deletionTimestamp.
    pub deleting: bool,
}

/// Observations by task; a task with no entry is [`Observation::Absent`].
pub type Observations = BTreeMap<TaskId, Observation>;

/// The next step of a sync operation.
#[derive(Debug, Clone, PartialEq)]
pub enum WavePlan {
    /// Apply or prune `tasks` now. `waiting_on` are tasks of the same wave already carried out
    /// that have not finished yet.
    Run {
        phase: SyncPhase,
        wave: i32,
        tasks: Vec<SyncTask>,
        waiting_on: Vec<ResourceKey>,
    },
    /// Everything in the wave has been carried out; wait for `waiting_on` to finish.
    Wait {
        phase: SyncPhase,
        wave: i32,
        waiting_on: Vec<ResourceKey>,
    },
    /// The operation failed because of `failed`. `run` are SyncFail hooks to start now and
    /// `waiting_on` SyncFail hooks still running; when both are empty the operation is over.
    Failed {
        failed: Vec<ResourceKey>,
        run: Vec<SyncTask>,
        waiting_on: Vec<ResourceKey>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    ToDo,
    Running,
    Done,
    Failed,
}

/// The lowest (phase, wave) that still has work, or `None` when the operation has succeeded.
pub fn next_wave(tasks: &[SyncTask], observed: &Observations) -> Option<WavePlan> {
    let waves = group_by_wave(tasks.iter().filter(|t| t.phase != SyncPhase::SyncFail));
    let multi_step = waves.len() > 1;
    for ((phase, wave), members) in waves {
        let progress: Vec<(&SyncTask, Progress)> = members
            .into_iter()
            .map(|t| (t, progress(t, observe(observed, t), multi_step)))
            .collect();
        let failed = keys_in(&progress, Progress::Failed);
        if !failed.is_empty() {
            return Some(fail(tasks, observed, failed));
        }
        let to_do: Vec<SyncTask> = progress
            .iter()
            .filter(|(_, p)| *p == Progress::ToDo)
            .map(|(t, _)| (*t).clone())
            .collect();
        let waiting_on = keys_in(&progress, Progress::Running);
        if !to_do.is_empty() {
            return Some(WavePlan::Run {
                phase,
                wave,
                tasks: to_do,
                waiting_on,
            });
        }
        if !waiting_on.is_empty() {
            return Some(WavePlan::Wait {
                phase,
                wave,
                waiting_on,
            });
        }
    }
    None
}

fn group_by_wave<'a>(
    tasks: impl Iterator<Item = &'a SyncTask>,
) -> BTreeMap<(SyncPhase, i32), Vec<&'a SyncTask>> {
    let mut waves: BTreeMap<(SyncPhase, i32), Vec<&SyncTask>> = BTreeMap::new();
    for task in tasks {
        waves.entry((task.phase, task.wave)).or_default().push(task);
    }
    waves
}

fn observe<'a>(observed: &'a Observations, task: &SyncTask) -> &'a Observation {
    observed.get(&task.id()).unwrap_or(&Observation::Absent)
}

fn keys_in(progress: &[(&SyncTask, Progress)], wanted: Progress) -> Vec<ResourceKey> {
    let keys: BTreeSet<&ResourceKey> = progress
        .iter()
        .filter(|(_, p)| *p == wanted)
        .map(|(t, _)| &t.key)
        .collect();
    keys.into_iter().cloned().collect()
}

fn progress(task: &SyncTask, observation: &Observation, multi_step: bool) -> Progress {
    match (task.action, observation) {
        (TaskAction::Prune, Observation::Live(live)) if live.deleting => Progress::Running,
        (TaskAction::Prune, Observation::Live(_)) => Progress::ToDo,
        (TaskAction::Prune, _) => Progress::Done,
        (TaskAction::Apply, Observation::Absent) => Progress::ToDo,
        (TaskAction::Apply, Observation::HookFinished { succeeded }) if task.is_hook() => {
            if *succeeded {
                Progress::Done
            } else {
                Progress::Failed
            }
        }
        (TaskAction::Apply, Observation::HookFinished { .. }) => Progress::ToDo,
        (TaskAction::Apply, Observation::Live(live)) if task.is_hook() => match live.health {
            None | Some(HealthStatus::Healthy) => Progress::Done,
            Some(HealthStatus::Degraded) => Progress::Failed,
            Some(_) => Progress::Running,
        },
        (TaskAction::Apply, Observation::Live(live)) if !live.in_sync => Progress::ToDo,
        (TaskAction::Apply, Observation::Live(live)) => match live.health {
            None | Some(HealthStatus::Healthy) => Progress::Done,
            Some(HealthStatus::Degraded) => Progress::Failed,
            Some(_) if multi_step => Progress::Running,
            Some(_) => Progress::Done,
        },
    }
}

/// The failure plan: the lowest SyncFail wave that still has hooks to start or to wait for.
fn fail(tasks: &[SyncTask], observed: &Observations, failed: Vec<ResourceKey>) -> WavePlan {
    let sync_fail = group_by_wave(tasks.iter().filter(|t| t.phase == SyncPhase::SyncFail));
    for members in sync_fail.into_values() {
        let progress: Vec<(&SyncTask, Progress)> = members
            .into_iter()
            .map(|t| (t, progress(t, observe(observed, t), true)))
            .collect();
        let run: Vec<SyncTask> = progress
            .iter()
            .filter(|(_, p)| *p == Progress::ToDo)
            .map(|(t, _)| (*t).clone())
            .collect();
        let waiting_on = keys_in(&progress, Progress::Running);
        if !run.is_empty() || !waiting_on.is_empty() {
            return WavePlan::Failed {
                failed,
                run,
                waiting_on,
            };
        }
    }
    WavePlan::Failed {
        failed,
        run: Vec::new(),
        waiting_on: Vec::new(),
    }
}
