//! How long finished AnalysisRuns are kept: a run's own `ttlStrategy`, and the history
//! limits of the Rollout that owns it (`spec.analysis.successfulRunHistoryLimit` and
//! `unsuccessfulRunHistoryLimit`, 5 each by default). Pure planning; [`super::cleanup`]
//! deletes what these functions name.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::analysis::{AnalysisPhase, TtlStrategy};

/// Finished runs of each kind a Rollout keeps when it does not say.
pub const DEFAULT_RUN_HISTORY_LIMIT: i32 = 5;

/// When a finished run is to be deleted under its `ttlStrategy`: `secondsAfterSuccess` for a
/// Successful run, `secondsAfterFailure` for a Failed, Error or Inconclusive one, and
/// `secondsAfterCompletion` when the specific field is not set. `None` when the run is kept
/// (no strategy, no field that applies, not finished, or no completion time).
pub fn ttl_deadline(
    strategy: Option<&TtlStrategy>,
    phase: Option<AnalysisPhase>,
    completed_at: Option<Timestamp>,
) -> Option<Timestamp> {
    let strategy = strategy?;
    let phase = phase.filter(|p| p.is_completed())?;
    let specific = if phase == AnalysisPhase::Successful {
        strategy.seconds_after_success
    } else {
        strategy.seconds_after_failure
    };
    let seconds = specific.or(strategy.seconds_after_completion)?;
    let keep = Duration::from_secs(u64::try_from(seconds.max(0)).unwrap_or(0));
    completed_at?.checked_add(keep).ok()
}

/// What the TTL says to do with a run now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlVerdict {
    /// Nothing: the run is kept for good (or is still running).
    Keep,
    /// Look again after this long.
    WaitFor(Duration),
    /// Delete it now.
    Delete,
}

/// The TTL verdict at `now` for a deadline from [`ttl_deadline`].
pub fn ttl_verdict(deadline: Option<Timestamp>, now: Timestamp) -> TtlVerdict {
    let Some(deadline) = deadline else {
        return TtlVerdict::Keep;
    };
    if deadline <= now {
        return TtlVerdict::Delete;
    }
    let left = deadline.duration_since(now);
    TtlVerdict::WaitFor(Duration::try_from(left).unwrap_or(Duration::from_secs(1)))
}

/// One run owned by the same Rollout, as the history limits see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRun {
    pub name: String,
    pub phase: Option<AnalysisPhase>,
    pub created: Option<Timestamp>,
}

/// The history limits of a Rollout, defaults applied and negatives read as 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryLimits {
    pub successful: usize,
    pub unsuccessful: usize,
}

impl HistoryLimits {
    pub fn new(successful: Option<i32>, unsuccessful: Option<i32>) -> HistoryLimits {
        let limit = |n: Option<i32>| usize::try_from(n.unwrap_or(DEFAULT_RUN_HISTORY_LIMIT)).unwrap_or(0);
        HistoryLimits {
            successful: limit(successful),
            unsuccessful: limit(unsuccessful),
        }
    }
}

/// The runs to delete so that at most `limits` finished runs of each kind remain besides the
/// ones the Rollout's status names (`in_use`). Running runs are never deleted; the newest
/// runs are kept (by creation time, then name, so the choice is stable).
pub fn history_to_delete(runs: &[OwnedRun], in_use: &BTreeSet<String>, limits: HistoryLimits) -> Vec<String> {
    let mut finished: Vec<&OwnedRun> = runs
        .iter()
        .filter(|run| run.phase.is_some_and(AnalysisPhase::is_completed))
        .filter(|run| !in_use.contains(&run.name))
        .collect();
    // Newest first.
    finished.sort_by(|a, b| (b.created, &b.name).cmp(&(a.created, &a.name)));
    let (successful, unsuccessful): (Vec<&OwnedRun>, Vec<&OwnedRun>) = finished
        .into_iter()
        .partition(|run| run.phase == Some(AnalysisPhase::Successful));
    successful
        .into_iter()
        .skip(limits.successful)
        .chain(unsuccessful.into_iter().skip(limits.unsuccessful))
        .map(|run| run.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).unwrap_or_else(|e| panic!("bad time: {e}"))
    }

    fn ttl(completion: Option<i32>, success: Option<i32>, failure: Option<i32>) -> TtlStrategy {
        TtlStrategy {
            seconds_after_completion: completion,
            seconds_after_success: success,
            seconds_after_failure: failure,
        }
    }

    #[test]
    fn the_ttl_deadline_takes_the_most_specific_field() {
        use AnalysisPhase::*;
        // (strategy, phase, completed at 0) -> deadline in seconds
        let cases: &[(TtlStrategy, AnalysisPhase, Option<i64>)] = &[
            (ttl(Some(30), None, None), Successful, Some(30)),
            (ttl(Some(30), None, None), Failed, Some(30)),
            (ttl(Some(30), Some(5), None), Successful, Some(5)),
            (ttl(Some(30), Some(5), None), Failed, Some(30)),
            (ttl(Some(30), None, Some(7)), Error, Some(7)),
            (ttl(None, None, Some(7)), Inconclusive, Some(7)),
            (ttl(None, Some(5), None), Failed, None),
            (ttl(None, None, None), Successful, None),
            (ttl(Some(0), None, None), Successful, Some(0)),
            (ttl(Some(-3), None, None), Successful, Some(0)),
            (ttl(Some(30), None, None), Running, None),
            (ttl(Some(30), None, None), Pending, None),
        ];
        for (strategy, phase, expected) in cases {
            let deadline = ttl_deadline(Some(strategy), Some(*phase), Some(at(0)));
            assert_eq!(deadline, expected.map(at), "{strategy:?} {phase:?}");
        }
        assert_eq!(ttl_deadline(None, Some(Successful), Some(at(0))), None);
        assert_eq!(
            ttl_deadline(Some(&ttl(Some(1), None, None)), Some(Successful), None),
            None
        );
    }

    #[test]
    fn the_ttl_verdict_waits_for_the_deadline_then_deletes() {
        assert_eq!(ttl_verdict(None, at(100)), TtlVerdict::Keep);
        assert_eq!(
            ttl_verdict(Some(at(10)), at(4)),
            TtlVerdict::WaitFor(Duration::from_secs(6))
        );
        assert_eq!(ttl_verdict(Some(at(10)), at(10)), TtlVerdict::Delete);
        assert_eq!(ttl_verdict(Some(at(10)), at(11)), TtlVerdict::Delete);
    }

    fn run(name: &str, phase: AnalysisPhase, created: i64) -> OwnedRun {
        OwnedRun {
            name: name.to_string(),
            phase: Some(phase),
            created: Some(at(created)),
        }
    }

    #[test]
    fn history_keeps_the_newest_finished_runs_of_each_kind() {
        use AnalysisPhase::*;
        let runs = [
            run("s1", Successful, 1),
            run("f2", Failed, 2),
            run("s3", Successful, 3),
            run("e4", Error, 4),
            run("s5", Successful, 5),
            run("i6", Inconclusive, 6),
            run("r7", Running, 7),
            run("p8", Pending, 8),
        ];
        let none = BTreeSet::new();
        // (successful limit, unsuccessful limit) -> deleted
        let cases: &[((i32, i32), &[&str])] = &[
            ((5, 5), &[]),
            ((2, 5), &["s1"]),
            ((1, 1), &["s3", "s1", "e4", "f2"]),
            ((0, 0), &["s5", "s3", "s1", "i6", "e4", "f2"]),
            ((3, 2), &["f2"]),
            ((-1, 9), &["s5", "s3", "s1"]),
        ];
        for ((successful, unsuccessful), expected) in cases {
            let limits = HistoryLimits::new(Some(*successful), Some(*unsuccessful));
            assert_eq!(
                history_to_delete(&runs, &none, limits),
                expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "limits {successful}/{unsuccessful}"
            );
        }
    }

    #[test]
    fn runs_the_rollout_names_are_neither_deleted_nor_counted() {
        use AnalysisPhase::*;
        let runs = [
            run("s1", Successful, 1),
            run("s2", Successful, 2),
            run("s3", Successful, 3),
        ];
        let in_use = BTreeSet::from(["s3".to_string()]);
        let limits = HistoryLimits::new(Some(1), None);
        assert_eq!(history_to_delete(&runs, &in_use, limits), ["s1"]);
    }

    #[test]
    fn limits_default_to_five() {
        assert_eq!(
            HistoryLimits::new(None, None),
            HistoryLimits {
                successful: 5,
                unsuccessful: 5
            }
        );
    }

    #[test]
    fn runs_without_creation_time_count_as_oldest() {
        use AnalysisPhase::*;
        let runs = [
            OwnedRun {
                name: "old".to_string(),
                phase: Some(Successful),
                created: None,
            },
            run("new", Successful, 1),
        ];
        let limits = HistoryLimits::new(Some(1), None);
        assert_eq!(history_to_delete(&runs, &BTreeSet::new(), limits), ["old"]);
    }
}
