//! The Lease objects leader election reads and writes: a record of who holds it, and the
//! next version of it for an acquisition, a renewal or a release. Pure: `now` comes in.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

use super::decision::LeaseRecord;

/// What a write does to the Lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Become the holder (a new Lease, or one free or expired).
    Acquire,
    /// Stay the holder: a new `renewTime`.
    Renew,
    /// Give the Lease up on shutdown, so another replica takes over at once.
    Release,
}

/// The record of a Lease as read.
pub fn record_of(lease: &Lease) -> LeaseRecord {
    let spec = lease.spec.as_ref();
    LeaseRecord {
        holder: spec.and_then(|s| s.holder_identity.clone()),
        duration: spec
            .and_then(|s| s.lease_duration_seconds)
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs),
        renew_time: spec.and_then(|s| s.renew_time.as_ref()).map(|t| t.0.to_string()),
        transitions: spec.and_then(|s| s.lease_transitions).unwrap_or(0),
    }
}

/// The Lease after `write` by `identity`, starting from `previous` (kept: its metadata with
/// the resourceVersion, so the write is refused if someone else wrote in between).
pub fn written(
    previous: Option<&Lease>,
    write: Write,
    identity: &str,
    lease_duration: Duration,
    now: Timestamp,
) -> Lease {
    let old = previous.and_then(|l| l.spec.clone()).unwrap_or_default();
    // As client-go counts: every acquisition of an existing Lease by a replica other than
    // the one it names, a released (empty) holder included.
    let new_holder = previous.is_some() && old.holder_identity.as_deref() != Some(identity);
    let transitions = old.lease_transitions.unwrap_or(0);
    let seconds = i32::try_from(lease_duration.as_secs()).unwrap_or(i32::MAX).max(1);
    let stamp = Some(MicroTime(now));
    let spec = match write {
        Write::Acquire => LeaseSpec {
            holder_identity: Some(identity.to_string()),
            lease_duration_seconds: Some(seconds),
            acquire_time: stamp.clone(),
            renew_time: stamp,
            lease_transitions: Some(transitions + i32::from(new_holder)),
            ..old
        },
        Write::Renew => LeaseSpec {
            holder_identity: Some(identity.to_string()),
            lease_duration_seconds: Some(seconds),
            acquire_time: old.acquire_time.clone().or(stamp.clone()),
            renew_time: stamp,
            lease_transitions: Some(transitions),
            ..old
        },
        // As client-go releases: no holder, one second, so it reads as expired at once.
        Write::Release => LeaseSpec {
            holder_identity: None,
            lease_duration_seconds: Some(1),
            acquire_time: stamp.clone(),
            renew_time: stamp,
            lease_transitions: Some(transitions),
            ..old
        },
    };
    Lease {
        metadata: previous.map(|l| l.metadata.clone()).unwrap_or_default(),
        spec: Some(spec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap_or_else(|e| panic!("bad time: {e}"))
    }

    fn held(holder: &str, transitions: i32) -> Lease {
        let mut lease = written(None, Write::Acquire, holder, Duration::from_secs(15), at(0));
        lease.metadata.resource_version = Some("7".into());
        if let Some(spec) = lease.spec.as_mut() {
            spec.lease_transitions = Some(transitions);
        }
        lease
    }

    #[test]
    fn a_new_lease_names_its_holder_and_times() {
        let lease = written(None, Write::Acquire, "a", Duration::from_secs(15), at(0));
        let spec = lease.spec.unwrap_or_default();
        assert_eq!(spec.holder_identity.as_deref(), Some("a"));
        assert_eq!(spec.lease_duration_seconds, Some(15));
        assert_eq!(spec.acquire_time, Some(MicroTime(at(0))));
        assert_eq!(spec.renew_time, Some(MicroTime(at(0))));
        assert_eq!(spec.lease_transitions, Some(0));
    }

    #[test]
    fn taking_over_counts_a_transition_and_keeps_the_resource_version() {
        let lease = written(
            Some(&held("a", 2)),
            Write::Acquire,
            "b",
            Duration::from_secs(15),
            at(20),
        );
        assert_eq!(lease.metadata.resource_version.as_deref(), Some("7"));
        let record = record_of(&lease);
        assert_eq!((record.holder.as_deref(), record.transitions), (Some("b"), 3));
    }

    #[test]
    fn renewing_moves_only_the_renew_time() {
        let lease = written(
            Some(&held("a", 2)),
            Write::Renew,
            "a",
            Duration::from_secs(15),
            at(5),
        );
        let spec = lease.spec.unwrap_or_default();
        assert_eq!(spec.acquire_time, Some(MicroTime(at(0))));
        assert_eq!(spec.renew_time, Some(MicroTime(at(5))));
        assert_eq!(spec.lease_transitions, Some(2));
    }

    #[test]
    fn releasing_frees_the_lease_and_taking_it_then_is_a_transition() {
        let released = written(
            Some(&held("a", 2)),
            Write::Release,
            "a",
            Duration::from_secs(15),
            at(5),
        );
        let record = record_of(&released);
        assert_eq!(record.held_by(), None);
        assert_eq!(record.duration, Some(Duration::from_secs(1)));
        let retaken = written(
            Some(&released),
            Write::Acquire,
            "b",
            Duration::from_secs(15),
            at(6),
        );
        assert_eq!(record_of(&retaken).transitions, 3);
        let same = written(
            Some(&held("a", 2)),
            Write::Acquire,
            "a",
            Duration::from_secs(15),
            at(6),
        );
        assert_eq!(
            record_of(&same).transitions,
            2,
            "the holder retaking its own Lease"
        );
    }
}
