//! The Prometheus text exposition of the traffic counts (format 0.0.4), and the same counts
//! as JSON for tests that run without Prometheus.

use std::fmt::Write;

use serde::Serialize;

use super::registry::Inner;
use super::series::{BUCKETS, SeriesKey};

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Escapes a label value: backslash, double quote and line feed.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn labels(key: &SeriesKey) -> String {
    format!(
        "namespace=\"{}\",service=\"{}\",pod=\"{}\",pod_template_hash=\"{}\"",
        escape(&key.namespace),
        escape(&key.service),
        escape(&key.pod),
        escape(&key.pod_template_hash)
    )
}

/// Renders `/metrics`.
pub fn render(snapshot: &Inner) -> String {
    let mut out = String::new();
    let mut order: Vec<usize> = (0..snapshot.keys.len()).collect();
    order.sort_by(|a, b| snapshot.keys[*a].cmp(&snapshot.keys[*b]));
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "# HELP sim_http_requests_total Synthetic requests answered, by pod and status code."
    );
    let _ = writeln!(out, "# TYPE sim_http_requests_total counter");
    for id in &order {
        let (key, counts) = (&snapshot.keys[*id], &snapshot.counts[*id]);
        let labels = labels(key);
        let _ = writeln!(
            out,
            "sim_http_requests_total{{{labels},code=\"200\"}} {}",
            counts.ok
        );
        let _ = writeln!(
            out,
            "sim_http_requests_total{{{labels},code=\"500\"}} {}",
            counts.errors
        );
    }
    let _ = writeln!(
        out,
        "# HELP sim_http_request_duration_seconds Latency of synthetic requests, by pod."
    );
    let _ = writeln!(out, "# TYPE sim_http_request_duration_seconds histogram");
    for id in &order {
        let (key, counts) = (&snapshot.keys[*id], &snapshot.counts[*id]);
        let labels = labels(key);
        for (bound, cumulative) in BUCKETS.iter().zip(counts.cumulative()) {
            let _ = writeln!(
                out,
                "sim_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "sim_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            counts.count()
        );
        let _ = writeln!(
            out,
            "sim_http_request_duration_seconds_sum{{{labels}}} {}",
            counts.latency_sum
        );
        let _ = writeln!(
            out,
            "sim_http_request_duration_seconds_count{{{labels}}} {}",
            counts.count()
        );
    }
    let _ = writeln!(
        out,
        "# HELP sim_unrouted_requests_total Synthetic requests that found no ready pod."
    );
    let _ = writeln!(out, "# TYPE sim_unrouted_requests_total counter");
    for ((namespace, kind, name), count) in &snapshot.unrouted {
        let _ = writeln!(
            out,
            "sim_unrouted_requests_total{{namespace=\"{}\",kind=\"{}\",name=\"{}\"}} {count}",
            escape(namespace),
            escape(kind),
            escape(name)
        );
    }
    out
}

/// One series in `/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesStats {
    pub namespace: String,
    pub service: String,
    pub pod: String,
    pub pod_template_hash: String,
    pub requests: u64,
    pub errors: u64,
    pub latency_sum_seconds: f64,
    pub latency_count: u64,
}

/// Requests of one source that reached no pod.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnroutedStats {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub requests: u64,
}

/// The body of `/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Stats {
    pub series: Vec<SeriesStats>,
    pub unrouted: Vec<UnroutedStats>,
}

pub fn stats(snapshot: &Inner) -> Stats {
    let mut series: Vec<SeriesStats> = snapshot
        .keys
        .iter()
        .zip(&snapshot.counts)
        .map(|(key, counts)| SeriesStats {
            namespace: key.namespace.clone(),
            service: key.service.clone(),
            pod: key.pod.clone(),
            pod_template_hash: key.pod_template_hash.clone(),
            requests: counts.count(),
            errors: counts.errors,
            latency_sum_seconds: counts.latency_sum,
            latency_count: counts.count(),
        })
        .collect();
    series.sort_by(|a, b| (&a.namespace, &a.service, &a.pod).cmp(&(&b.namespace, &b.service, &b.pod)));
    let unrouted = snapshot
        .unrouted
        .iter()
        .map(|((namespace, kind, name), requests)| UnroutedStats {
            namespace: namespace.clone(),
            kind: kind.clone(),
            name: name.clone(),
            requests: *requests,
        })
        .collect();
    Stats { series, unrouted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::metrics::registry::Registry;
    use crate::cluster::metrics::series::Counts;

    #[test]
    fn renders_counters_and_cumulative_histograms_with_escaped_labels() {
        let registry = Registry::default();
        let id = registry.id(&SeriesKey {
            namespace: "ns".into(),
            service: "we\"b".into(),
            pod: "web-1".into(),
            pod_template_hash: "abc".into(),
        });
        let mut deltas = vec![Counts::default(); 1];
        deltas[id].record(false, 0.02);
        deltas[id].record(true, 20.0);
        registry.merge(&deltas, &[id], &[]);
        let text = render(&registry.snapshot());
        let labels = r#"namespace="ns",service="we\"b",pod="web-1",pod_template_hash="abc""#;
        assert!(
            text.contains(&format!("sim_http_requests_total{{{labels},code=\"200\"}} 1\n")),
            "{text}"
        );
        assert!(text.contains(&format!("sim_http_requests_total{{{labels},code=\"500\"}} 1\n")));
        assert!(text.contains(&format!(
            "sim_http_request_duration_seconds_bucket{{{labels},le=\"0.01\"}} 0\n"
        )));
        assert!(text.contains(&format!(
            "sim_http_request_duration_seconds_bucket{{{labels},le=\"0.025\"}} 1\n"
        )));
        assert!(text.contains(&format!(
            "sim_http_request_duration_seconds_bucket{{{labels},le=\"10\"}} 1\n"
        )));
        assert!(text.contains(&format!(
            "sim_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 2\n"
        )));
        assert!(text.contains(&format!(
            "sim_http_request_duration_seconds_count{{{labels}}} 2\n"
        )));
        let stats = stats(&registry.snapshot());
        assert_eq!(stats.series[0].requests, 2);
        assert_eq!(stats.series[0].errors, 1);
        assert!((stats.series[0].latency_sum_seconds - 20.02).abs() < 1e-9);
    }
}
