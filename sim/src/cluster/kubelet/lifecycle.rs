//! The life of a simulated container as a pure function of the time since the kubelet
//! started it, so any moment can be recomputed and the next change time is known.
//!
//! Long-running pods (`restartPolicy: Always`): Pending for a short start-up, then Running,
//! Ready once `ready-after` has passed. A crashing pod runs for a moment, exits with code 1,
//! and is restarted after a back-off that doubles from 1 s up to 20 s (the kubelet's own
//! 10 s to 5 min, scaled down for tests); it is never Ready.
//!
//! Pods that run to completion (`Never`/`OnFailure`, e.g. a Job's): Pending, Running, then
//! Succeeded or Failed (`job-result: failed` or `crash`) once `ready-after` has passed.

use std::time::Duration;

use crate::cluster::behaviour::{JobResult, PodBehaviour};

/// How long a container takes to start (never more than `ready-after`).
pub const START_UP: Duration = Duration::from_millis(200);
/// How long a crashing container runs before it exits.
pub const CRASH_RUN: Duration = Duration::from_millis(500);
pub const FIRST_BACK_OFF: Duration = Duration::from_secs(1);
pub const MAX_BACK_OFF: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The container is being created.
    Starting,
    /// Running since `since` (offset from start); Ready from `ready_at` on, if ever.
    Running {
        since: Duration,
        ready_at: Option<Duration>,
    },
    /// Crashed `restarts + 1` times; the last exit was at `last_exit`, the last restart at
    /// `last_restart` (if any). Waiting in back-off now.
    CrashLoop {
        restarts: i32,
        last_exit: Duration,
        first_run: Duration,
    },
    /// Ran to the end at `at`.
    Completed {
        result: JobResult,
        started: Duration,
        at: Duration,
    },
}

/// The stage at `elapsed` since start and when the next change is due (as an offset from
/// start), `None` when nothing more will happen.
pub fn stage_at(
    behaviour: &PodBehaviour,
    runs_to_completion: bool,
    elapsed: Duration,
) -> (Stage, Option<Duration>) {
    let start_up = START_UP.min(behaviour.ready_after);
    if elapsed < start_up {
        return (Stage::Starting, Some(start_up));
    }
    if runs_to_completion {
        let end = behaviour.ready_after;
        if elapsed < end {
            let stage = Stage::Running {
                since: start_up,
                ready_at: Some(start_up),
            };
            return (stage, Some(end));
        }
        let result = if behaviour.crash {
            JobResult::Failed
        } else {
            behaviour.job_result
        };
        return (
            Stage::Completed {
                result,
                started: start_up,
                at: end,
            },
            None,
        );
    }
    if behaviour.crash {
        return crash_loop(start_up, elapsed);
    }
    if elapsed < behaviour.ready_after {
        let stage = Stage::Running {
            since: start_up,
            ready_at: None,
        };
        return (stage, Some(behaviour.ready_after));
    }
    let stage = Stage::Running {
        since: start_up,
        ready_at: Some(behaviour.ready_after),
    };
    (stage, None)
}

fn crash_loop(start_up: Duration, elapsed: Duration) -> (Stage, Option<Duration>) {
    let first_exit = start_up + CRASH_RUN;
    if elapsed < first_exit {
        let stage = Stage::Running {
            since: start_up,
            ready_at: None,
        };
        return (stage, Some(first_exit));
    }
    // Each restart exits again at once; only the back-off between them takes time.
    let mut restarts = 0;
    let mut last_exit = first_exit;
    let mut back_off = FIRST_BACK_OFF;
    loop {
        let next_restart = last_exit + back_off;
        if elapsed < next_restart {
            let stage = Stage::CrashLoop {
                restarts,
                last_exit,
                first_run: start_up,
            };
            return (stage, Some(next_restart));
        }
        restarts += 1;
        last_exit = next_restart;
        back_off = (back_off * 2).min(MAX_BACK_OFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn behaviour(ready_after_ms: u64) -> PodBehaviour {
        PodBehaviour {
            ready_after: Duration::from_millis(ready_after_ms),
            ..PodBehaviour::default()
        }
    }
    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_healthy_pod_starts_runs_and_becomes_ready() {
        let b = behaviour(1000);
        assert_eq!(stage_at(&b, false, ms(0)), (Stage::Starting, Some(ms(200))));
        assert_eq!(
            stage_at(&b, false, ms(500)),
            (
                Stage::Running {
                    since: ms(200),
                    ready_at: None
                },
                Some(ms(1000))
            )
        );
        assert_eq!(
            stage_at(&b, false, ms(1000)),
            (
                Stage::Running {
                    since: ms(200),
                    ready_at: Some(ms(1000))
                },
                None
            )
        );
    }

    #[test]
    fn zero_ready_after_is_ready_at_once() {
        let (stage, next) = stage_at(&behaviour(0), false, ms(0));
        assert_eq!(
            stage,
            Stage::Running {
                since: ms(0),
                ready_at: Some(ms(0))
            }
        );
        assert_eq!(next, None);
    }

    #[test]
    fn a_crashing_pod_restarts_with_growing_back_off_and_is_never_ready() {
        let b = PodBehaviour {
            crash: true,
            ..behaviour(1000)
        };
        // Exits at 0.7 s, restarts at 1.7 s, 3.7 s, 7.7 s, 15.7 s, 31.7 s, 51.7 s (capped at 20 s).
        let restarts_at = |secs: f64| match stage_at(&b, false, Duration::from_secs_f64(secs)).0 {
            Stage::CrashLoop { restarts, .. } => restarts,
            Stage::Running { ready_at, .. } => {
                assert_eq!(ready_at, None);
                -1
            }
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(restarts_at(0.5), -1);
        assert_eq!(restarts_at(0.8), 0);
        assert_eq!(restarts_at(1.8), 1);
        assert_eq!(restarts_at(3.8), 2);
        assert_eq!(restarts_at(7.8), 3);
        assert_eq!(restarts_at(51.8), 6);
        assert_eq!(restarts_at(71.8), 7);
        let (_, next) = stage_at(&b, false, Duration::from_secs_f64(0.8));
        assert_eq!(next, Some(ms(1700)));
    }

    #[test]
    fn completion_pods_succeed_or_fail_after_ready_after() {
        let b = behaviour(2000);
        assert!(matches!(stage_at(&b, true, ms(1000)).0, Stage::Running { .. }));
        assert_eq!(stage_at(&b, true, ms(1000)).1, Some(ms(2000)));
        let done = stage_at(&b, true, ms(2000));
        assert!(
            matches!(
                done.0,
                Stage::Completed {
                    result: JobResult::Succeeded,
                    ..
                }
            ),
            "{done:?}"
        );
        let failing = PodBehaviour {
            job_result: JobResult::Failed,
            ..b
        };
        assert!(matches!(
            stage_at(&failing, true, ms(2500)).0,
            Stage::Completed {
                result: JobResult::Failed,
                ..
            }
        ));
        let crashing = PodBehaviour { crash: true, ..b };
        assert!(matches!(
            stage_at(&crashing, true, ms(2500)).0,
            Stage::Completed {
                result: JobResult::Failed,
                ..
            }
        ));
    }
}
