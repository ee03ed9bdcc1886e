//! When to look at an Application's repository again without a webhook: every interval plus a
//! jitter that is fixed per Application, so a thousand Applications created together do not poll
//! together (Argo CD 3: 120 s plus up to 60 s).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// Argo CD's `timeout.reconciliation`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(120);
/// Argo CD's 60 s of jitter, as a fraction of the default interval.
pub const DEFAULT_JITTER_FRACTION: f64 = 0.5;

/// `last + interval + jitter`, where the jitter is `interval × jitter_fraction × u` and `u` in
/// `[0, 1)` comes from a hash of `key` (the Application's namespace and name): the same key always
/// gets the same offset. A fraction outside `[0, 1]` is clamped; the result saturates at the
/// largest timestamp.
///
/// ```
/// use std::time::Duration;
/// use linnet_controller::application::webhook::next_refresh;
/// let last: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
/// let next = next_refresh(last, Duration::from_secs(120), 0.5, "argocd/guestbook");
/// let wait = next.duration_since(last).as_secs_f64();
/// assert!((120.0..180.0).contains(&wait));
/// assert_eq!(next, next_refresh(last, Duration::from_secs(120), 0.5, "argocd/guestbook"));
/// ```
pub fn next_refresh(last: Timestamp, interval: Duration, jitter_fraction: f64, key: &str) -> Timestamp {
    let fraction = if jitter_fraction.is_nan() {
        0.0
    } else {
        jitter_fraction.clamp(0.0, 1.0)
    };
    let unit = (fnv1a(key.as_bytes()) >> 11) as f64 / (1u64 << 53) as f64;
    let jitter = interval.mul_f64(fraction * unit);
    let wait = interval.saturating_add(jitter);
    SignedDuration::try_from(wait)
        .ok()
        .and_then(|wait| last.checked_add(wait).ok())
        .unwrap_or(Timestamp::MAX)
}

/// FNV-1a, 64 bit, with a final mix so near-identical names spread over the whole range.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> Timestamp {
        "2026-11-22T00:00:00Z".parse().expect("timestamp")
    }

    #[test]
    fn jitter_stays_inside_the_window_and_spreads_names() {
        let interval = Duration::from_secs(120);
        let mut offsets: Vec<f64> = (0..1000)
            .map(|i| {
                let next = next_refresh(last(), interval, 0.5, &format!("team/app-{i}"));
                next.duration_since(last()).as_secs_f64()
            })
            .collect();
        assert!(
            offsets.iter().all(|s| (120.0..180.0).contains(s)),
            "outside 120..180 s"
        );
        offsets.sort_by(f64::total_cmp);
        // Spread: each 6-second tenth of the jitter window holds some applications.
        for tenth in 0..10 {
            let low = 120.0 + 6.0 * f64::from(tenth);
            let count = offsets.iter().filter(|s| (low..low + 6.0).contains(*s)).count();
            assert!(
                (50..150).contains(&count),
                "{count} applications in [{low}, {}) s",
                low + 6.0
            );
        }
    }

    #[test]
    fn no_jitter_and_out_of_range_fractions() {
        let interval = Duration::from_secs(60);
        let plain = next_refresh(last(), interval, 0.0, "a/b");
        assert_eq!(plain.duration_since(last()).as_secs_f64(), 60.0);
        let nan = next_refresh(last(), interval, f64::NAN, "a/b");
        assert_eq!(nan, plain);
        let over = next_refresh(last(), interval, 7.0, "a/b");
        assert_eq!(over, next_refresh(last(), interval, 1.0, "a/b"));
        assert_eq!(next_refresh(Timestamp::MAX, interval, 0.5, "a/b"), Timestamp::MAX);
    }
}
