//! How a simulated pod behaves, read from its annotations, so a test or a demo can make one
//! version misbehave:
//!
//! | annotation | meaning | default |
//! |---|---|---|
//! | `sim.linnet.dev/ready-after` | seconds from start until Ready (fractions allowed) | `1` |
//! | `sim.linnet.dev/crash` | `"true"`: the container keeps crashing (CrashLoopBackOff), never Ready | `false` |
//! | `sim.linnet.dev/error-rate` | fraction of requests answered with a 5xx, in [0, 1] | `0` |
//! | `sim.linnet.dev/latency-ms` | mean request latency in milliseconds | `20` |
//! | `sim.linnet.dev/job-result` | `failed` or `succeeded`, for pods that run to completion | `succeeded` |
//!
//! A value that does not parse keeps the default and is reported, so the caller can log it.

use std::collections::BTreeMap;
use std::time::Duration;

pub const READY_AFTER: &str = "sim.linnet.dev/ready-after";
pub const CRASH: &str = "sim.linnet.dev/crash";
pub const ERROR_RATE: &str = "sim.linnet.dev/error-rate";
pub const LATENCY_MS: &str = "sim.linnet.dev/latency-ms";
pub const JOB_RESULT: &str = "sim.linnet.dev/job-result";

/// How a pod that runs to completion ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    Succeeded,
    Failed,
}

/// Everything the kubelet and the traffic generator need to know about one pod.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodBehaviour {
    pub ready_after: Duration,
    pub crash: bool,
    pub error_rate: f64,
    pub mean_latency: Duration,
    pub job_result: JobResult,
}

impl Default for PodBehaviour {
    fn default() -> PodBehaviour {
        PodBehaviour {
            ready_after: Duration::from_secs(1),
            crash: false,
            error_rate: 0.0,
            mean_latency: Duration::from_millis(20),
            job_result: JobResult::Succeeded,
        }
    }
}

/// An annotation whose value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("annotation {annotation}: {value:?} is not {expected}")]
pub struct BadAnnotation {
    pub annotation: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl PodBehaviour {
    /// Reads the behaviour from a pod's annotations; bad values keep their default.
    pub fn from_annotations(
        annotations: Option<&BTreeMap<String, String>>,
    ) -> (PodBehaviour, Vec<BadAnnotation>) {
        let mut behaviour = PodBehaviour::default();
        let mut problems = Vec::new();
        let Some(annotations) = annotations else {
            return (behaviour, problems);
        };
        let mut field = |annotation: &'static str, expected: &'static str| {
            let value = annotations.get(annotation)?;
            let trimmed = value.trim();
            let parsed = match annotation {
                READY_AFTER => non_negative_seconds(trimmed).map(Parsed::Duration),
                CRASH => parse_bool(trimmed).map(Parsed::Flag),
                ERROR_RATE => trimmed
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .map(Parsed::Number),
                LATENCY_MS => trimmed
                    .parse::<f64>()
                    .ok()
                    .filter(|ms| ms.is_finite() && *ms > 0.0)
                    .map(|ms| Parsed::Duration(Duration::from_secs_f64(ms / 1000.0))),
                _ => match trimmed {
                    "failed" => Some(Parsed::Result(JobResult::Failed)),
                    "succeeded" => Some(Parsed::Result(JobResult::Succeeded)),
                    _ => None,
                },
            };
            if parsed.is_none() {
                problems.push(BadAnnotation {
                    annotation,
                    value: value.clone(),
                    expected,
                });
            }
            parsed
        };
        if let Some(Parsed::Duration(d)) = field(READY_AFTER, "a number of seconds >= 0") {
            behaviour.ready_after = d;
        }
        if let Some(Parsed::Flag(crash)) = field(CRASH, "true or false") {
            behaviour.crash = crash;
        }
        if let Some(Parsed::Number(rate)) = field(ERROR_RATE, "a fraction between 0 and 1") {
            behaviour.error_rate = rate;
        }
        if let Some(Parsed::Duration(d)) = field(LATENCY_MS, "a number of milliseconds > 0") {
            behaviour.mean_latency = d;
        }
        if let Some(Parsed::Result(result)) = field(JOB_RESULT, "failed or succeeded") {
            behaviour.job_result = result;
        }
        (behaviour, problems)
    }
}

/// One annotation value, parsed.
enum Parsed {
    Duration(Duration),
    Flag(bool),
    Number(f64),
    Result(JobResult),
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn non_negative_seconds(value: &str) -> Option<Duration> {
    let seconds = value.parse::<f64>().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_annotations() {
        let (behaviour, problems) = PodBehaviour::from_annotations(None);
        assert_eq!(behaviour, PodBehaviour::default());
        assert_eq!(behaviour.ready_after, Duration::from_secs(1));
        assert_eq!(behaviour.mean_latency, Duration::from_millis(20));
        assert!(problems.is_empty());
    }

    #[test]
    fn every_annotation_is_read() {
        let a = annotations(&[
            (READY_AFTER, "0.25"),
            (CRASH, "true"),
            (ERROR_RATE, "0.3"),
            (LATENCY_MS, "150"),
            (JOB_RESULT, "failed"),
        ]);
        let (behaviour, problems) = PodBehaviour::from_annotations(Some(&a));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(behaviour.ready_after, Duration::from_millis(250));
        assert!(behaviour.crash);
        assert_eq!(behaviour.error_rate, 0.3);
        assert_eq!(behaviour.mean_latency, Duration::from_millis(150));
        assert_eq!(behaviour.job_result, JobResult::Failed);
    }

    #[test]
    fn bad_values_keep_defaults_and_are_reported() {
        let a = annotations(&[
            (READY_AFTER, "-1"),
            (CRASH, "yes"),
            (ERROR_RATE, "1.5"),
            (LATENCY_MS, "0"),
            (JOB_RESULT, "maybe"),
        ]);
        let (behaviour, problems) = PodBehaviour::from_annotations(Some(&a));
        assert_eq!(behaviour, PodBehaviour::default());
        let named: Vec<&str> = problems.iter().map(|p| p.annotation).collect();
        assert_eq!(
            named,
            vec![READY_AFTER, CRASH, ERROR_RATE, LATENCY_MS, JOB_RESULT]
        );
    }
}
