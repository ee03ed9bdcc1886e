//! Small value types shared by several kinds: durations written as Go durations or plain
//! seconds, and the label/annotation pairs that several fields carry.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A duration written either as an integer number of seconds (`30`, or the string `"30"`) or
/// as a Go duration string (`"30s"`, `"5m"`, `"1h30m"`), as Argo accepts for `pause.duration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrDuration {
    Seconds(i64),
    Text(String),
}

impl IntOrDuration {
    /// The duration this value stands for, or a message saying why it cannot be read.
    pub fn to_duration(&self) -> Result<Duration, String> {
        match self {
            IntOrDuration::Seconds(s) if *s < 0 => Err(format!("{s} is negative")),
            IntOrDuration::Seconds(s) => Ok(Duration::from_secs(*s as u64)),
            IntOrDuration::Text(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => t
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("{t:?} is too long a duration")),
            IntOrDuration::Text(t) => parse_go_duration(t),
        }
    }
}

impl fmt::Display for IntOrDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrDuration::Seconds(s) => write!(f, "{s}"),
            IntOrDuration::Text(t) => f.write_str(t),
        }
    }
}

impl JsonSchema for IntOrDuration {
    fn schema_name() -> Cow<'static, str> {
        "IntOrDuration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "x-kubernetes-int-or-string": true })
    }
}

/// Parses a Go `time.ParseDuration` string: a sequence of decimal numbers with units
/// `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, e.g. `"1h30m"`, `"1.5s"`, `"500ms"`.
/// A bare `"0"` is allowed, as in Go. Negative durations are refused: nothing in the
/// API means anything by them.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration (use a number with a unit: 30s, 5m, 1h)");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() || s.starts_with('-') {
        return Err(bad());
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut total_nanos: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total_nanos += number * scale;
    }
    // Go's duration is an int64 of nanoseconds: about 292 years.
    if !total_nanos.is_finite() || total_nanos > i64::MAX as f64 {
        return Err(format!("{text:?} is too long a duration"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// Labels and annotations that a field asks to be put on objects the controller creates
/// (`canaryMetadata`, `analysisRunMetadata`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Metadata {
    /// Labels to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Marks metrics whose results must not decide the run (`dryRun[].metricName`, a regular
/// expression matched against metric names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// Name of the metric, or a regular expression matching metric names (`.*` for all).
    pub metric_name: String,
}

/// How many measurements to keep for the metrics it names (default 10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeasurementRetention {
    /// Name of the metric, or a regular expression matching metric names.
    pub metric_name: String,
    /// Number of measurements to keep.
    pub limit: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        let cases = [
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h", 3_600_000),
            ("1h30m", 5_400_000),
            ("1.5s", 1_500),
            ("500ms", 500),
            ("0", 0),
            ("2m30s", 150_000),
        ];
        for (text, millis) in cases {
            assert_eq!(
                parse_go_duration(text),
                Ok(Duration::from_millis(millis)),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_are_refused_with_the_text() {
        for text in ["", "5", "5x", "-1s", "s", "1..5s", "1h m"] {
            let err = parse_go_duration(text).unwrap_err();
            assert!(err.contains("duration"), "{text}: {err}");
        }
        assert!(parse_go_duration("9999999999h").unwrap_err().contains("too long"));
    }

    #[test]
    fn int_or_duration_reads_both_forms() {
        let n: IntOrDuration = serde_json::from_str("30").unwrap();
        let t: IntOrDuration = serde_json::from_str("\"30s\"").unwrap();
        assert_eq!(n.to_duration(), t.to_duration());
        assert_eq!(serde_json::to_string(&n).unwrap(), "30");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"30s\"");
        assert!(IntOrDuration::Seconds(-1).to_duration().is_err());
        let seconds = |d: IntOrDuration| d.to_duration().map(|d| d.as_secs());
        assert_eq!(seconds(IntOrDuration::Text("45".into())), Ok(45));
        assert_eq!(seconds(IntOrDuration::Text("2m".into())), Ok(120));
        assert!(seconds(IntOrDuration::Text("2 m".into())).is_err());
        assert!(seconds(IntOrDuration::Text("".into())).is_err());
    }
}
