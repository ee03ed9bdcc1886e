//! Writes of ours followed through a watch: the objects the watch delivers from the version a
//! write was answered with on hold that write, so the next pass can read them from the cache
//! instead of asking the API again.
//!
//! The answer and the watch event travel on different connections, so either may come first:
//! versions the watch shows before the answer are kept until it arrives. Resource versions are
//! compared for equality only, as the API asks of its clients; a watch delivers an object's
//! versions in order, so those after the answered one are newer.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How many versions are kept per write; a write whose versions fell out of them is read from
/// the API once more, which is only slower.
const VERSIONS_KEPT: usize = 8;

/// One write of ours to one object.
#[derive(Debug, Default)]
struct PendingWrite {
    /// The version the write was answered with, and when, once it was.
    answered: Option<(String, Instant)>,
    /// Until the write is shown: the versions the watch showed since it went out. After: the
    /// versions from the answered one on. Oldest first.
    versions: Vec<String>,
    /// The watch has shown the answered version.
    shown: bool,
}

impl PendingWrite {
    fn keep(&mut self, version: &str) {
        if self.versions.len() == VERSIONS_KEPT {
            self.versions.remove(0);
        }
        self.versions.push(version.to_string());
    }
}

/// The writes of ours to one kind that a watch may not have shown yet, by object key.
#[derive(Debug)]
pub struct PendingWrites<Q> {
    writes: HashMap<Q, PendingWrite>,
}

impl<Q> Default for PendingWrites<Q> {
    fn default() -> Self {
        PendingWrites {
            writes: HashMap::new(),
        }
    }
}

impl<Q: Eq + Hash> PendingWrites<Q> {
    /// A write to `key` is about to go out; it replaces any earlier one being followed.
    pub fn expect(&mut self, key: Q) {
        self.writes.insert(key, PendingWrite::default());
    }

    /// The write to `key` was answered with `version`.
    pub fn answered(&mut self, key: &Q, version: &str) {
        let Some(write) = self.writes.get_mut(key) else {
            return;
        };
        match write.versions.iter().position(|seen| seen == version) {
            Some(at) => {
                write.versions.drain(..at);
                write.shown = true;
            }
            None => write.versions.clear(),
        }
        write.answered = Some((version.to_string(), Instant::now()));
    }

    /// The watch showed `key` at `version`.
    pub fn shown(&mut self, key: &Q, version: Option<&str>) {
        let (Some(write), Some(version)) = (self.writes.get_mut(key), version) else {
            return;
        };
        match &write.answered {
            Some((answered, _)) if !write.shown => {
                if answered == version {
                    write.shown = true;
                    write.keep(version);
                }
            }
            _ => write.keep(version),
        }
    }

    /// Whether `key` at `version` holds the write: the watch showed the write, and `version`
    /// is the answered one or came after it.
    pub fn holds(&self, key: &Q, version: Option<&str>) -> bool {
        let (Some(write), Some(version)) = (self.writes.get(key), version) else {
            return false;
        };
        write.shown && write.versions.iter().any(|kept| kept == version)
    }

    /// Whether the write to `key` was answered less than `within` ago and the watch has not
    /// shown it yet: its event is on its way.
    pub fn on_its_way(&self, key: &Q, within: Duration) -> bool {
        self.writes.get(key).is_some_and(|write| {
            !write.shown
                && write
                    .answered
                    .as_ref()
                    .is_some_and(|(_, at)| at.elapsed() < within)
        })
    }

    /// Stops following every write (the watch starts over with a list, whose objects it does
    /// not show one by one).
    pub fn forget_all(&mut self) {
        self.writes.clear();
    }

    /// Stops following `key`: its write failed, or a pass has settled it.
    pub fn forget(&mut self, key: &Q) {
        self.writes.remove(key);
    }

    /// Whether any write is being followed (a watch event then needs looking at).
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answered_version_and_those_after_it_hold_the_write() {
        let mut writes = PendingWrites::default();
        writes.expect("a");
        writes.shown(&"a", Some("10"));
        writes.answered(&"a", "11");
        writes.shown(&"b", Some("11"));
        assert!(
            !writes.holds(&"a", Some("11")),
            "another object's version does not show it"
        );
        writes.shown(&"a", Some("11"));
        writes.shown(&"a", Some("12"));
        assert!(writes.holds(&"a", Some("11")));
        assert!(writes.holds(&"a", Some("12")), "a later version holds it too");
        assert!(!writes.holds(&"a", Some("10")), "an earlier version does not");
        assert!(!writes.holds(&"a", Some("13")), "nor one the watch has not shown");
        assert!(!writes.holds(&"a", None));
    }

    #[test]
    fn versions_shown_before_the_answer_count_from_the_answered_one_on() {
        let mut writes = PendingWrites::default();
        writes.expect("a");
        writes.shown(&"a", Some("10"));
        writes.shown(&"a", Some("11"));
        writes.shown(&"a", Some("12"));
        writes.answered(&"a", "11");
        assert!(writes.holds(&"a", Some("11")));
        assert!(writes.holds(&"a", Some("12")));
        assert!(!writes.holds(&"a", Some("10")));
    }

    #[test]
    fn versions_shown_before_the_write_went_out_do_not_count() {
        let mut writes = PendingWrites::default();
        writes.shown(&"a", Some("11"));
        writes.expect("a");
        writes.answered(&"a", "11");
        assert!(!writes.holds(&"a", Some("11")));
    }

    #[test]
    fn a_new_write_starts_over_and_a_forgotten_one_is_not_followed() {
        let mut writes = PendingWrites::default();
        writes.expect("a");
        writes.answered(&"a", "11");
        writes.shown(&"a", Some("11"));
        writes.expect("a");
        assert!(
            !writes.holds(&"a", Some("11")),
            "the second write is not shown yet"
        );
        writes.forget(&"a");
        writes.shown(&"a", Some("11"));
        assert!(!writes.holds(&"a", Some("11")));
        assert!(writes.is_empty());
    }

    #[test]
    fn a_write_is_on_its_way_from_its_answer_until_shown_or_too_long() {
        let mut writes = PendingWrites::default();
        let long = Duration::from_secs(60);
        writes.expect("a");
        assert!(!writes.on_its_way(&"a", long), "not before the answer");
        writes.answered(&"a", "5");
        assert!(writes.on_its_way(&"a", long));
        assert!(
            !writes.on_its_way(&"a", Duration::ZERO),
            "not after the time allowed"
        );
        writes.shown(&"a", Some("5"));
        assert!(!writes.on_its_way(&"a", long), "not once shown");
        writes.expect("b");
        writes.answered(&"b", "6");
        writes.forget_all();
        assert!(!writes.on_its_way(&"b", long));
    }

    #[test]
    fn only_the_newest_versions_are_kept() {
        let mut writes = PendingWrites::default();
        writes.expect("a");
        for version in 1..=VERSIONS_KEPT + 1 {
            writes.shown(&"a", Some(&version.to_string()));
        }
        writes.answered(&"a", "1");
        assert!(
            !writes.holds(&"a", Some("2")),
            "the answered one fell out: read from the API"
        );
        writes.expect("b");
        writes.answered(&"b", "1");
        for version in 1..=VERSIONS_KEPT + 1 {
            writes.shown(&"b", Some(&version.to_string()));
        }
        assert!(!writes.holds(&"b", Some("1")), "the oldest fell out");
        let newest = (VERSIONS_KEPT + 1).to_string();
        assert!(writes.holds(&"b", Some(&newest)), "the newest is kept");
    }
}
