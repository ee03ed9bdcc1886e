//! Wave gating: each wave only once the one before is done; PostSync after a healthy Sync;
//! SyncFail only on failure.

use linnet_controller::sync::ResourceKey;
use linnet_controller::sync::health::HealthStatus;
use linnet_controller::sync::hooks::SyncPhase;
use linnet_controller::sync::order::{OrderSettings, SyncTask, TaskId, sync_order};
use linnet_controller::sync::waves::{LiveState, Observation, Observations, WavePlan, next_wave};
use serde_json::Value;

use crate::builders::{config_map, deployment, hook_job, in_wave};

/// PreSync migrate; Sync wave 0 settings, wave 1 web; PostSync smoke; SyncFail notify.
fn release() -> Vec<SyncTask> {
    let desired = [
        hook_job("migrate", "PreSync"),
        config_map("settings"),
        in_wave(deployment("web"), 1),
        hook_job("smoke", "PostSync"),
        hook_job("notify", "SyncFail"),
    ];
    sync_order(&desired, &[], OrderSettings::default()).expect("orderable")
}

fn key_of(tasks: &[SyncTask], name: &str) -> ResourceKey {
    tasks
        .iter()
        .find(|t| t.key.name == name)
        .map(|t| t.key.clone())
        .expect("task exists")
}

/// Observations written as (phase, task name, observation).
type Entries<'a> = Vec<(SyncPhase, &'a str, Observation)>;

/// Observations keyed by task.
fn observed(tasks: &[SyncTask], entries: &[(SyncPhase, &str, Observation)]) -> Observations {
    entries
        .iter()
        .map(|(phase, name, observation)| {
            (
                TaskId {
                    phase: *phase,
                    key: key_of(tasks, name),
                },
                observation.clone(),
            )
        })
        .collect()
}

fn live(in_sync: bool, health: Option<HealthStatus>) -> Observation {
    Observation::Live(LiveState {
        in_sync,
        health,
        deleting: false,
    })
}

fn healthy() -> Observation {
    live(true, Some(HealthStatus::Healthy))
}

fn succeeded() -> Observation {
    Observation::HookFinished { succeeded: true }
}

fn names(tasks: &[SyncTask]) -> Vec<&str> {
    tasks.iter().map(|t| t.key.name.as_str()).collect()
}

/// Shortens a plan to (what, phase, wave, names to run, names waited on).
fn describe(plan: &Option<WavePlan>) -> String {
    let keys = |keys: &[ResourceKey]| keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>().join(",");
    match plan {
        None => "done".into(),
        Some(WavePlan::Run {
            phase,
            wave,
            tasks,
            waiting_on,
        }) => {
            format!(
                "run {phase:?}/{wave} [{}] waiting [{}]",
                names(tasks).join(","),
                keys(waiting_on)
            )
        }
        Some(WavePlan::Wait {
            phase,
            wave,
            waiting_on,
        }) => format!("wait {phase:?}/{wave} [{}]", keys(waiting_on)),
        Some(WavePlan::Failed {
            failed,
            run,
            waiting_on,
        }) => {
            format!(
                "failed [{}] run [{}] waiting [{}]",
                keys(failed),
                names(run).join(","),
                keys(waiting_on)
            )
        }
    }
}

#[test]
fn a_release_moves_wave_by_wave_as_the_cluster_catches_up() {
    use SyncPhase::*;
    let tasks = release();
    let progressing = live(true, Some(HealthStatus::Progressing));
    let steps: Vec<(&str, Entries, &str)> = vec![
        ("nothing exists yet", vec![], "run PreSync/0 [migrate] waiting []"),
        (
            "the migration runs",
            vec![(PreSync, "migrate", progressing.clone())],
            "wait PreSync/0 [migrate]",
        ),
        (
            "the migration succeeded",
            vec![(PreSync, "migrate", succeeded())],
            "run Sync/0 [settings] waiting []",
        ),
        (
            "settings applied; a ConfigMap has no health",
            vec![
                (PreSync, "migrate", succeeded()),
                (Sync, "settings", live(true, None)),
            ],
            "run Sync/1 [web] waiting []",
        ),
        (
            "web rolls out: PostSync must wait",
            vec![
                (PreSync, "migrate", succeeded()),
                (Sync, "settings", live(true, None)),
                (Sync, "web", progressing.clone()),
            ],
            "wait Sync/1 [web]",
        ),
        (
            "web is healthy",
            vec![
                (PreSync, "migrate", succeeded()),
                (Sync, "settings", live(true, None)),
                (Sync, "web", healthy()),
            ],
            "run PostSync/0 [smoke] waiting []",
        ),
        (
            "the smoke test passed",
            vec![
                (PreSync, "migrate", succeeded()),
                (Sync, "settings", live(true, None)),
                (Sync, "web", healthy()),
                (PostSync, "smoke", live(true, Some(HealthStatus::Healthy))),
            ],
            "done",
        ),
        (
            "settings drifted after web was applied: wave 0 again",
            vec![
                (PreSync, "migrate", succeeded()),
                (Sync, "settings", live(false, None)),
                (Sync, "web", healthy()),
            ],
            "run Sync/0 [settings] waiting []",
        ),
    ];
    for (step, entries, expected) in steps {
        assert_eq!(
            describe(&next_wave(&tasks, &observed(&tasks, &entries))),
            expected,
            "{step}"
        );
    }
}

#[test]
fn failures_stop_the_waves_and_start_sync_fail_hooks() {
    use SyncPhase::*;
    let tasks = release();
    let cases: Vec<(&str, Entries, &str)> = vec![
        (
            "the migration failed: nothing of Sync runs",
            vec![(PreSync, "migrate", Observation::HookFinished { succeeded: false })],
            "failed [migrate] run [notify] waiting []",
        ),
        (
            "a live hook that is Degraded failed too",
            vec![(PreSync, "migrate", live(true, Some(HealthStatus::Degraded)))],
            "failed [migrate] run [notify] waiting []",
        ),
        (
            "web is Degraded",
            vec![
                (PreSync, "migrate", succeeded()),
                (Sync, "settings", live(true, None)),
                (Sync, "web", live(true, Some(HealthStatus::Degraded))),
            ],
            "failed [web] run [notify] waiting []",
        ),
        (
            "the SyncFail hook runs",
            vec![
                (PreSync, "migrate", Observation::HookFinished { succeeded: false }),
                (SyncFail, "notify", live(true, Some(HealthStatus::Progressing))),
            ],
            "failed [migrate] run [] waiting [notify]",
        ),
        (
            "the SyncFail hook finished: the operation is over",
            vec![
                (PreSync, "migrate", Observation::HookFinished { succeeded: false }),
                (SyncFail, "notify", succeeded()),
            ],
            "failed [migrate] run [] waiting []",
        ),
    ];
    for (case, entries, expected) in cases {
        assert_eq!(
            describe(&next_wave(&tasks, &observed(&tasks, &entries))),
            expected,
            "{case}"
        );
    }
}

#[test]
fn sync_fail_hooks_never_run_on_success() {
    let tasks = release();
    use SyncPhase::*;
    let all_good = observed(
        &tasks,
        &[
            (PreSync, "migrate", succeeded()),
            (Sync, "settings", live(true, None)),
            (Sync, "web", healthy()),
            (PostSync, "smoke", succeeded()),
        ],
    );
    assert_eq!(next_wave(&tasks, &all_good), None);
}

#[test]
fn a_hook_in_two_phases_runs_in_each() {
    let tasks = sync_order(
        &[hook_job("check", "PreSync,PostSync")],
        &[],
        OrderSettings::default(),
    )
    .expect("orderable");
    let pre_done = observed(&tasks, &[(SyncPhase::PreSync, "check", succeeded())]);
    assert_eq!(
        describe(&next_wave(&tasks, &pre_done)),
        "run PostSync/0 [check] waiting []"
    );
}

#[test]
fn a_single_wave_does_not_wait_for_health() {
    let tasks = sync_order(
        &[deployment("web"), config_map("c")],
        &[],
        OrderSettings::default(),
    )
    .expect("orderable");
    let rolling = observed(
        &tasks,
        &[
            (
                SyncPhase::Sync,
                "web",
                live(true, Some(HealthStatus::Progressing)),
            ),
            (SyncPhase::Sync, "c", live(true, None)),
        ],
    );
    assert_eq!(next_wave(&tasks, &rolling), None);
    let one_applied = observed(
        &tasks,
        &[(
            SyncPhase::Sync,
            "web",
            live(true, Some(HealthStatus::Progressing)),
        )],
    );
    assert_eq!(
        describe(&next_wave(&tasks, &one_applied)),
        "run Sync/0 [c] waiting []"
    );
}

#[test]
fn prunes_wait_until_the_object_is_gone() {
    let extraneous: Vec<Value> = vec![in_wave(config_map("old"), 0)];
    let tasks = sync_order(
        &[in_wave(deployment("web"), 1)],
        &extraneous,
        OrderSettings::default(),
    )
    .expect("orderable");
    let web_healthy = (SyncPhase::Sync, "web", healthy());
    let deleting = Observation::Live(LiveState {
        in_sync: false,
        health: Some(HealthStatus::Progressing),
        deleting: true,
    });
    let cases = [
        (
            vec![web_healthy.clone(), (SyncPhase::Sync, "old", live(false, None))],
            "run Sync/0 [old] waiting []",
        ),
        (
            vec![web_healthy.clone(), (SyncPhase::Sync, "old", deleting)],
            "wait Sync/0 [old]",
        ),
        (vec![web_healthy], "done"),
    ];
    for (entries, expected) in cases {
        assert_eq!(
            describe(&next_wave(&tasks, &observed(&tasks, &entries))),
            expected
        );
    }
}
