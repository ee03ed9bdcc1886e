//! The sim's notion of "now", injectable so tests can fix timestamps.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock a test sets and advances by hand.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// RFC 3339 with seconds precision, as Kubernetes writes `creationTimestamp`.
pub fn format_seconds(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// RFC 3339 with microseconds, as Kubernetes writes `MicroTime` fields (events, leases).
pub fn format_micros(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_kubernetes() {
        let ts: Timestamp = "2024-05-06T07:08:09.123456789Z".parse().unwrap_or_default();
        assert_eq!(format_seconds(ts), "2024-05-06T07:08:09Z");
        assert_eq!(format_micros(ts), "2024-05-06T07:08:09.123456Z");
    }

    #[test]
    fn manual_clock_moves_when_set() {
        let clock = ManualClock::new(Timestamp::UNIX_EPOCH);
        let later: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap_or_default();
        clock.set(later);
        assert_eq!(clock.now(), later);
    }
}
