//! Retry backoff of a failed sync: `retry.backoff{duration, factor, maxDuration}`, with Argo CD's
//! defaults of 5s, ×2 and 3m, so the waits run 5s, 10s, 20s, 40s, 80s, 160s, 180s, ...

use std::time::Duration;

use linnet_crds::application::sync_policy::RetryStrategy;

const DEFAULT_DURATION: Duration = Duration::from_secs(5);
const DEFAULT_FACTOR: u32 = 2;
const DEFAULT_MAX: Duration = Duration::from_secs(180);

/// Whether another attempt is allowed after `retries_made` retries: `limit` < 0 is unlimited,
/// no strategy (or no limit) means no retries.
pub fn may_retry(strategy: Option<&RetryStrategy>, retries_made: i64) -> bool {
    match strategy.and_then(|s| s.limit) {
        Some(limit) if limit < 0 => true,
        Some(limit) => retries_made < limit,
        None => false,
    }
}

/// How long to wait before retry number `attempt` (1 for the first retry).
pub fn delay(strategy: Option<&RetryStrategy>, attempt: i64) -> Duration {
    let backoff = strategy.and_then(|s| s.backoff.as_ref());
    let base = backoff
        .and_then(|b| b.duration.as_deref())
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_DURATION);
    let factor = backoff
        .and_then(|b| b.factor)
        .and_then(|f| u32::try_from(f).ok())
        .filter(|f| *f >= 1)
        .unwrap_or(DEFAULT_FACTOR);
    let max = backoff
        .and_then(|b| b.max_duration.as_deref())
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_MAX);
    let exponent = u32::try_from(attempt.saturating_sub(1).max(0))
        .unwrap_or(u32::MAX)
        .min(30);
    let multiplier = factor.checked_pow(exponent).unwrap_or(u32::MAX);
    base.checked_mul(multiplier).unwrap_or(max).min(max)
}

/// A Go-style duration: `5s`, `2m`, `1h30m`, `500ms`; a bare number counts as seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().ok()?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit()).unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            _ => return None,
        };
        total += Duration::try_from_secs_f64(seconds).ok()?;
        rest = tail;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use linnet_crds::application::sync_policy::Backoff;

    fn strategy(limit: i64, duration: &str, factor: i64, max: &str) -> RetryStrategy {
        RetryStrategy {
            limit: Some(limit),
            backoff: Some(Backoff {
                duration: Some(duration.into()),
                factor: Some(factor),
                max_duration: Some(max.into()),
            }),
            refresh: None,
        }
    }

    #[test]
    fn defaults_double_from_five_seconds_up_to_three_minutes() {
        let waits: Vec<u64> = (1..=8).map(|n| delay(None, n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 180, 180]);
    }

    #[test]
    fn backoff_fields_are_honoured() {
        let s = strategy(3, "2s", 3, "1m");
        let waits: Vec<u64> = (1..=4).map(|n| delay(Some(&s), n).as_secs()).collect();
        assert_eq!(waits, [2, 6, 18, 54]);
        assert_eq!(delay(Some(&s), 5).as_secs(), 60);
    }

    #[test]
    fn limit_counts_retries_and_negative_is_unlimited() {
        let s = strategy(2, "1s", 2, "1m");
        assert!(may_retry(Some(&s), 0));
        assert!(may_retry(Some(&s), 1));
        assert!(!may_retry(Some(&s), 2));
        assert!(may_retry(Some(&strategy(-1, "1s", 2, "1m")), 1000));
        assert!(!may_retry(None, 0));
    }

    #[test]
    fn durations_parse_as_go_writes_them() {
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration(""), None);
    }
}
