//! Fixture builders shared by the analysis tests: metrics, runs and measurements that read
//! like sentences (`metric("error-rate").interval("1m").count(3)`).

#![allow(dead_code)]

pub mod http_server;
pub mod prometheus_server;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use linnet_crds::analysis::providers::PrometheusMetric;
use linnet_crds::analysis::{
    AnalysisPhase, AnalysisRun, AnalysisRunSpec, AnalysisRunStatus, Measurement, Metric,
};

/// A fixed instant tests count from.
pub fn t0() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// `t0` plus `seconds`.
pub fn at(seconds: i64) -> Timestamp {
    t0().checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap()
}

/// A Prometheus metric measured once, with no conditions.
pub fn metric(name: &str) -> Metric {
    Metric {
        name: name.to_string(),
        provider: linnet_crds::analysis::MetricProvider {
            prometheus: Some(PrometheusMetric {
                query: Some("up".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub trait MetricExt {
    fn interval(self, interval: &str) -> Metric;
    fn initial_delay(self, delay: &str) -> Metric;
    fn count(self, count: i32) -> Metric;
    fn failure_limit(self, limit: i32) -> Metric;
    fn inconclusive_limit(self, limit: i32) -> Metric;
    fn consecutive_error_limit(self, limit: i32) -> Metric;
    fn consecutive_success_limit(self, limit: i32) -> Metric;
    fn success(self, condition: &str) -> Metric;
    fn failure(self, condition: &str) -> Metric;
}

impl MetricExt for Metric {
    fn interval(mut self, interval: &str) -> Metric {
        self.interval = Some(interval.into());
        self
    }
    fn initial_delay(mut self, delay: &str) -> Metric {
        self.initial_delay = Some(delay.into());
        self
    }
    fn count(mut self, count: i32) -> Metric {
        self.count = Some(IntOrString::Int(count));
        self
    }
    fn failure_limit(mut self, limit: i32) -> Metric {
        self.failure_limit = Some(IntOrString::Int(limit));
        self
    }
    fn inconclusive_limit(mut self, limit: i32) -> Metric {
        self.inconclusive_limit = Some(IntOrString::Int(limit));
        self
    }
    fn consecutive_error_limit(mut self, limit: i32) -> Metric {
        self.consecutive_error_limit = Some(IntOrString::Int(limit));
        self
    }
    fn consecutive_success_limit(mut self, limit: i32) -> Metric {
        self.consecutive_success_limit = Some(IntOrString::Int(limit));
        self
    }
    fn success(mut self, condition: &str) -> Metric {
        self.success_condition = Some(condition.into());
        self
    }
    fn failure(mut self, condition: &str) -> Metric {
        self.failure_condition = Some(condition.into());
        self
    }
}

/// A run of `metrics`, not started.
pub fn run(metrics: Vec<Metric>) -> AnalysisRun {
    let mut run = AnalysisRun::new(
        "checkout-2",
        AnalysisRunSpec {
            metrics,
            ..Default::default()
        },
    );
    run.metadata.namespace = Some("shop".into());
    run.metadata.uid = Some("7f1c2a9e-0000-4000-8000-000000000001".into());
    run
}

/// A completed measurement in `phase`, finished at `finished` (seconds after `t0`).
pub fn measured(phase: AnalysisPhase, finished: i64, value: &str) -> Measurement {
    Measurement {
        phase,
        started_at: Some(Time(at(finished))),
        finished_at: Some(Time(at(finished))),
        value: (phase != AnalysisPhase::Error).then(|| value.to_string()),
        message: (phase == AnalysisPhase::Error).then(|| format!("query failed: {value}")),
        metadata: None,
        resume_at: None,
    }
}

/// Records measurements of `phases` (one a second from `t0`) for metric `name`.
pub fn record_all(
    run: &AnalysisRun,
    status: AnalysisRunStatus,
    name: &str,
    phases: &[AnalysisPhase],
) -> AnalysisRunStatus {
    phases.iter().enumerate().fold(status, |status, (i, phase)| {
        let value = format!("[{i}]");
        linnet_analysis::bookkeeping::record(&run.spec, status, name, measured(*phase, i as i64, &value))
            .unwrap()
    })
}

/// A run already started at `t0`.
pub fn started(mut run: AnalysisRun) -> AnalysisRun {
    run.status = Some(AnalysisRunStatus {
        started_at: Some(Time(t0())),
        ..Default::default()
    });
    run
}

/// `run` with measurements of `phases` recorded for metric `name`.
pub fn with_measurements(mut run: AnalysisRun, name: &str, phases: &[AnalysisPhase]) -> AnalysisRun {
    let status = run.status.clone().unwrap_or_default();
    run.status = Some(record_all(&run, status, name, phases));
    run
}
