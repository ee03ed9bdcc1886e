//! The window of a `rangeQuery`. Its `start` and `end` are expressions over `now()` and
//! `duration("…")`, as Argo Rollouts writes them (`now() - duration("5m")`); the forms
//! `now()`, `now() - duration(d)` and `now() + duration(d)` are understood, anything else is
//! refused with a message saying so. `step` is a duration such as `1m`.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use linnet_crds::analysis::providers::PrometheusRangeQueryArgs;
use linnet_crds::common::parse_go_duration;

/// The resolved window of a range query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
    pub step: Duration,
}

/// Resolves a range query's window at `now`. A missing start or end is `now`; a missing
/// step is one minute.
///
/// # Errors
/// A message naming the field that cannot be read.
pub fn window(args: &PrometheusRangeQueryArgs, now: Timestamp) -> Result<Window, (&'static str, String)> {
    let start = args
        .start
        .as_deref()
        .map_or(Ok(now), |text| instant(text, now))
        .map_err(|e| ("rangeQuery.start", e))?;
    let end = args
        .end
        .as_deref()
        .map_or(Ok(now), |text| instant(text, now))
        .map_err(|e| ("rangeQuery.end", e))?;
    let step = match args.step.as_deref() {
        Some(text) => parse_go_duration(text).map_err(|e| ("rangeQuery.step", e))?,
        None => Duration::from_secs(60),
    };
    if step.is_zero() {
        return Err(("rangeQuery.step", "must be more than zero".to_string()));
    }
    if end < start {
        return Err(("rangeQuery.end", "is before start".to_string()));
    }
    Ok(Window { start, end, step })
}

/// `now()`, `now() - duration("5m")` or `now() + duration("5m")` at `now`.
pub fn instant(expression: &str, now: Timestamp) -> Result<Timestamp, String> {
    let compact: String = expression.chars().filter(|c| !c.is_whitespace()).collect();
    let unsupported = || format!("{expression:?} is not supported (use now(), now() - duration(\"5m\"))");
    let Some(rest) = compact.strip_prefix("now()") else {
        return Err(unsupported());
    };
    if rest.is_empty() {
        return Ok(now);
    }
    let (sign, operand) = match rest.split_at_checked(1) {
        Some(("-", operand)) => (-1, operand),
        Some(("+", operand)) => (1, operand),
        _ => return Err(unsupported()),
    };
    let quoted = operand
        .strip_prefix("duration(")
        .and_then(|o| o.strip_suffix(')'))
        .ok_or_else(unsupported)?;
    let text = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .or_else(|| quoted.strip_prefix('\'').and_then(|q| q.strip_suffix('\'')))
        .ok_or_else(unsupported)?;
    let offset = SignedDuration::try_from(parse_go_duration(text)?).map_err(|_| unsupported())?;
    let offset = if sign < 0 { -offset } else { offset };
    now.checked_add(offset)
        .map_err(|error| format!("{expression:?}: {error}"))
}

/// Seconds since the epoch with millisecond precision, as Prometheus' API reads times.
pub fn api_time(at: Timestamp) -> String {
    format!("{:.3}", at.as_millisecond() as f64 / 1000.0)
}
