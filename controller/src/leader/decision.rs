//! What a replica does with the Lease it just read: the pure part of leader election.
//!
//! Expiry is judged by this replica's own monotonic clock, not by the `renewTime` written
//! in the Lease: a holder's Lease is expired when this replica has seen it unchanged for a
//! whole `leaseDurationSeconds`. Clocks of different machines then never need to agree.

use std::time::Duration;

/// The parts of a Lease that decide who may hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRecord {
    /// `spec.holderIdentity`; `None` or empty when released.
    pub holder: Option<String>,
    /// `spec.leaseDurationSeconds` as the holder wrote it.
    pub duration: Option<Duration>,
    /// `spec.renewTime` as written (RFC 3339), only to notice that it changed.
    pub renew_time: Option<String>,
    /// `spec.leaseTransitions`.
    pub transitions: i32,
}

impl LeaseRecord {
    /// The holder, if the Lease is held by anyone.
    pub fn held_by(&self) -> Option<&str> {
        self.holder.as_deref().filter(|h| !h.is_empty())
    }
}

/// What this replica could read of the Lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read<'a> {
    /// There is no Lease object.
    Missing,
    /// The Lease, and how long this replica has seen it exactly as it is now.
    Found {
        record: &'a LeaseRecord,
        unchanged_for: Duration,
    },
    /// The read failed (API error, timeout).
    Failed,
}

/// Timings of the election, as client-go names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// How long a Lease stays valid after its last renewal (`leaseDurationSeconds`).
    pub lease_duration: Duration,
    /// A leader that has not renewed for this long stops working; shorter than the lease
    /// duration, so it has stopped before anyone else may take over.
    pub renew_deadline: Duration,
    /// How often the leader renews and candidates look again.
    pub retry_period: Duration,
}

impl Timings {
    /// Timings for a lease duration: renew deadline 2/3 of it, retry period 2/15 of it (the
    /// 15 s / 10 s / 2 s of client-go and Argo Rollouts for a 15 s lease).
    pub fn for_lease(lease_duration: Duration) -> Timings {
        Timings {
            lease_duration,
            renew_deadline: lease_duration * 2 / 3,
            retry_period: lease_duration * 2 / 15,
        }
    }

    /// Why the timings cannot work, if they cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if self.lease_duration < Duration::from_secs(1) {
            Some("the lease duration must be at least one second (Leases count whole seconds)")
        } else if self.renew_deadline >= self.lease_duration {
            Some("the renew deadline must be shorter than the lease duration")
        } else if self.retry_period.is_zero() || self.retry_period >= self.renew_deadline {
            Some("the retry period must be positive and shorter than the renew deadline")
        } else {
            None
        }
    }
}

/// The next move of one replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Create the Lease, holding it.
    Create,
    /// Take over a free or expired Lease (a new holder: `leaseTransitions` + 1).
    Acquire,
    /// Write a new `renewTime` into the Lease this replica holds.
    Renew,
    /// Someone else holds a valid Lease, or the read failed: look again after this long.
    Wait(Duration),
    /// This replica led but can no longer count on the Lease: stop working now.
    StepDown,
}

/// Decides the next move. `since_renewal` is `Some` while this replica leads: the time
/// since its last successful renewal.
pub fn decide(
    read: Read<'_>,
    identity: &str,
    since_renewal: Option<Duration>,
    timings: &Timings,
) -> Decision {
    let leading = since_renewal.is_some();
    if since_renewal.is_some_and(|d| d >= timings.renew_deadline) {
        return Decision::StepDown;
    }
    match read {
        Read::Failed => Decision::Wait(timings.retry_period),
        Read::Missing => Decision::Create,
        Read::Found { record, .. } if record.held_by() == Some(identity) => Decision::Renew,
        // Someone else wrote the Lease while this replica believed it led.
        Read::Found { .. } if leading => Decision::StepDown,
        Read::Found { record, .. } if record.held_by().is_none() => Decision::Acquire,
        Read::Found {
            record,
            unchanged_for,
        } => {
            let duration = record.duration.unwrap_or(timings.lease_duration);
            if unchanged_for >= duration {
                Decision::Acquire
            } else {
                Decision::Wait(timings.retry_period.min(duration - unchanged_for))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "me";
    const S: fn(u64) -> Duration = Duration::from_secs;

    fn held_by(holder: Option<&str>) -> LeaseRecord {
        LeaseRecord {
            holder: holder.map(str::to_string),
            duration: Some(S(15)),
            renew_time: Some("2026-01-01T00:00:00.000000Z".into()),
            transitions: 3,
        }
    }

    #[test]
    fn decisions_for_lease_state_and_time() {
        let timings = Timings::for_lease(S(15));
        let theirs = held_by(Some("other"));
        let mine = held_by(Some(ME));
        let released = held_by(Some(""));
        let free = held_by(None);
        let short = LeaseRecord {
            duration: Some(S(4)),
            ..theirs.clone()
        };
        let found = |record, secs| Read::Found {
            record,
            unchanged_for: S(secs),
        };
        let cases: Vec<(&str, Read<'_>, Option<u64>, Decision)> = vec![
            ("no Lease: create it", Read::Missing, None, Decision::Create),
            ("read failed: wait", Read::Failed, None, Decision::Wait(S(2))),
            (
                "another holder, fresh: wait",
                found(&theirs, 1),
                None,
                Decision::Wait(S(2)),
            ),
            (
                "another holder, nearly expired: wait out the rest",
                found(&theirs, 14),
                None,
                Decision::Wait(S(1)),
            ),
            (
                "another holder, expired: acquire",
                found(&theirs, 15),
                None,
                Decision::Acquire,
            ),
            (
                "the holder's own duration counts",
                found(&short, 4),
                None,
                Decision::Acquire,
            ),
            (
                "released: acquire at once",
                found(&released, 0),
                None,
                Decision::Acquire,
            ),
            (
                "no holder: acquire at once",
                found(&free, 0),
                None,
                Decision::Acquire,
            ),
            (
                "mine, not yet leading (a restart): renew",
                found(&mine, 0),
                None,
                Decision::Renew,
            ),
            ("mine, leading: renew", found(&mine, 5), Some(2), Decision::Renew),
            (
                "leading, read failed: wait",
                Read::Failed,
                Some(9),
                Decision::Wait(S(2)),
            ),
            (
                "leading, deadline passed: step down",
                Read::Failed,
                Some(10),
                Decision::StepDown,
            ),
            (
                "leading, deadline passed, even if mine",
                found(&mine, 0),
                Some(11),
                Decision::StepDown,
            ),
            (
                "leading, but another holder: step down",
                found(&theirs, 0),
                Some(1),
                Decision::StepDown,
            ),
            (
                "leading, released by someone: step down",
                found(&released, 0),
                Some(1),
                Decision::StepDown,
            ),
            (
                "leading, Lease deleted: create it",
                Read::Missing,
                Some(1),
                Decision::Create,
            ),
        ];
        for (name, read, since, expected) in cases {
            assert_eq!(decide(read, ME, since.map(S), &timings), expected, "{name}");
        }
    }

    #[test]
    fn timings_follow_client_go_and_are_checked() {
        let timings = Timings::for_lease(S(15));
        assert_eq!((timings.renew_deadline, timings.retry_period), (S(10), S(2)));
        assert_eq!(timings.problem(), None);
        assert_eq!(Timings::for_lease(S(2)).problem(), None);
        assert!(Timings::for_lease(Duration::from_millis(500)).problem().is_some());
        let bad = Timings {
            renew_deadline: S(15),
            ..timings
        };
        assert!(bad.problem().is_some());
        let bad = Timings {
            retry_period: S(0),
            ..timings
        };
        assert!(bad.problem().is_some());
    }
}
