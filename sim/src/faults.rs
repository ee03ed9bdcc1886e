//! Faults injected into the API for reliability tests: failed and throttled requests, added
//! latency, dropped watches and a short watch history (so resumes get 410 Expired).
//!
//! Set at start through `SimOptions::faults`, changed at run time with `POST /sim/faults` or
//! [`crate::SimHandle::set_faults`]. They apply to resource requests only (`/api/v1/...`,
//! `/apis/<g>/<v>/...`), never to discovery, `/version` or the `/sim` endpoints.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::errors::ApiError;
use crate::ids::IdGenerator;

/// The fault settings; the default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction of resource requests answered 500 InternalError (0.0 to 1.0).
    pub error_rate: f64,
    /// Fraction of resource requests answered 429 TooManyRequests.
    pub throttle_rate: f64,
    /// Delay added before answering each resource request.
    pub latency_ms: u64,
    /// Watch streams are closed after this many seconds (clients re-watch from their last version).
    pub drop_watches_after_secs: Option<u64>,
    /// How many events the watch history keeps; `Some(0)` makes every resume from an older
    /// version get 410 Expired. `None` keeps the default.
    pub history_limit: Option<usize>,
}

/// Faults plus the random source deciding which requests they hit.
#[derive(Debug)]
pub struct FaultInjector {
    inner: Mutex<(Faults, IdGenerator)>,
}

impl FaultInjector {
    pub fn new(faults: Faults, seed: Option<u64>) -> FaultInjector {
        FaultInjector {
            inner: Mutex::new((faults, IdGenerator::new(seed.map(|s| s ^ 0xFA17)))),
        }
    }

    pub fn current(&self) -> Faults {
        self.lock().0.clone()
    }

    pub fn set(&self, faults: Faults) {
        self.lock().0 = faults;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Faults, IdGenerator)> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The delay to add and, if this request is to fail, the error to answer with.
    pub fn decide(&self) -> (Duration, Option<ApiError>) {
        let mut guard = self.lock();
        let (faults, rng) = &mut *guard;
        let delay = Duration::from_millis(faults.latency_ms);
        if faults.error_rate <= 0.0 && faults.throttle_rate <= 0.0 {
            return (delay, None);
        }
        let roll = rng.next_fraction();
        let error = if roll < faults.error_rate {
            Some(ApiError::Internal(
                "injected fault: the sim was told to fail this request".into(),
            ))
        } else if roll < faults.error_rate + faults.throttle_rate {
            Some(ApiError::TooManyRequests(
                "injected fault: too many requests, please try again later".into(),
            ))
        } else {
            None
        };
        (delay, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_by_default() {
        let injector = FaultInjector::new(Faults::default(), Some(1));
        for _ in 0..100 {
            assert!(injector.decide().1.is_none());
        }
    }

    #[test]
    fn rates_split_between_errors_and_throttling() {
        let faults = Faults {
            error_rate: 0.3,
            throttle_rate: 0.3,
            ..Faults::default()
        };
        let injector = FaultInjector::new(faults, Some(9));
        let codes: Vec<u16> = (0..1000)
            .filter_map(|_| injector.decide().1.map(|e| e.code()))
            .collect();
        let errors = codes.iter().filter(|c| **c == 500).count();
        let throttled = codes.iter().filter(|c| **c == 429).count();
        assert!((200..400).contains(&errors), "{errors}");
        assert!((200..400).contains(&throttled), "{throttled}");
    }

    #[test]
    fn all_requests_fail_at_rate_one() {
        let injector = FaultInjector::new(
            Faults {
                error_rate: 1.0,
                ..Faults::default()
            },
            None,
        );
        assert_eq!(injector.decide().1.map(|e| e.code()), Some(500));
    }

    #[test]
    fn unknown_settings_are_rejected() {
        assert!(serde_json::from_str::<Faults>(r#"{"errorRate": 0.5, "bogus": 1}"#).is_err());
    }
}
