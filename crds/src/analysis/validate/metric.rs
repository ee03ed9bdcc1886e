//! Rules one metric obeys on its own: exactly one provider with what that provider needs,
//! durations that parse, and counts and limits that make sense together.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::analysis::args::has_placeholder;
use crate::analysis::metric::{CountValue, Metric};
use crate::analysis::providers::{Authentication, MetricProvider, WEB_METHODS};
use crate::common::parse_go_duration;
use crate::{FieldPath, Finding};

/// Every problem of `metric`, found at `path`.
pub fn metric_findings(metric: &Metric, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    duration_findings("interval", metric.interval.as_deref(), path, &mut findings);
    duration_findings(
        "initialDelay",
        metric.initial_delay.as_deref(),
        path,
        &mut findings,
    );
    count_findings(metric, path, &mut findings);
    provider_findings(&metric.provider, &path.field("provider"), &mut findings);
    findings
}

fn duration_findings(field: &str, value: Option<&str>, path: &FieldPath, findings: &mut Vec<Finding>) {
    let Some(text) = value else { return };
    if has_placeholder(text) {
        return;
    }
    if let Err(reason) = parse_go_duration(text) {
        findings.push(Finding::error(path.field(field), format!("{field}: {reason}")));
    }
}

/// The lowest value each integer field accepts; `failureLimit` takes -1 for "no limit".
const LIMIT_FIELDS: [(&str, i64); 5] = [
    ("count", 0),
    ("failureLimit", -1),
    ("inconclusiveLimit", 0),
    ("consecutiveErrorLimit", 0),
    ("consecutiveSuccessLimit", 0),
];

fn count_findings(metric: &Metric, path: &FieldPath, findings: &mut Vec<Finding>) {
    let fields: [&Option<IntOrString>; 5] = [
        &metric.count,
        &metric.failure_limit,
        &metric.inconclusive_limit,
        &metric.consecutive_error_limit,
        &metric.consecutive_success_limit,
    ];
    let mut numbers = [None; 5];
    for (i, ((name, lowest), value)) in LIMIT_FIELDS.iter().zip(fields).enumerate() {
        let Some(value) = value else { continue };
        match CountValue::of(value) {
            CountValue::Number(n) if n < *lowest => {
                let rule = if *lowest == -1 {
                    "must be -1 (no limit) or more"
                } else {
                    "must not be negative"
                };
                findings.push(Finding::error(path.field(name), format!("{name} {n} {rule}")));
            }
            CountValue::Number(n) => numbers[i] = Some(n),
            CountValue::Placeholder => {}
            CountValue::Invalid(text) => findings.push(Finding::error(
                path.field(name),
                format!("{name} {text:?} is neither a number nor an {{{{args.NAME}}}} placeholder"),
            )),
        }
    }
    let [count, failure_limit, inconclusive_limit, _, success_limit] = numbers;
    let Some(count) = count.filter(|c| *c > 0) else {
        return;
    };
    if count > 1 && metric.interval.is_none() {
        findings.push(Finding::error(
            path.field("interval"),
            format!("count {count} takes several measurements, which need an interval between them"),
        ));
    }
    // A limit above the count could never be reached: the metric would never fail (or never
    // turn Inconclusive, or never succeed early), which is never what the author meant.
    for (name, limit) in [
        ("failureLimit", failure_limit),
        ("inconclusiveLimit", inconclusive_limit),
        ("consecutiveSuccessLimit", success_limit),
    ] {
        if let Some(limit) = limit.filter(|l| *l > count) {
            findings.push(Finding::error(
                path.field(name),
                format!("{name} {limit} is above count {count}, so it can never be reached"),
            ));
        }
    }
}

/// Exactly one provider, and what that provider cannot work without.
pub fn provider_findings(provider: &MetricProvider, path: &FieldPath, findings: &mut Vec<Finding>) {
    let names = provider.names();
    match names.len() {
        0 => findings.push(Finding::error(
            path,
            "no provider is set: set exactly one of prometheus, datadog, newRelic, wavefront, kayenta, \
             web, job, cloudWatch, graphite, influxdb, skywalking, plugin",
        )),
        1 => {}
        n => findings.push(Finding::error(
            path,
            format!("{n} providers are set ({}): set exactly one", names.join(", ")),
        )),
    }
    let needs_query = [
        (
            "prometheus",
            provider.prometheus.as_ref().map(|p| p.query.as_deref()),
        ),
        (
            "wavefront",
            provider.wavefront.as_ref().map(|p| p.query.as_deref()),
        ),
        (
            "newRelic",
            provider.new_relic.as_ref().map(|p| Some(p.query.as_str())),
        ),
        ("graphite", provider.graphite.as_ref().map(|p| p.query.as_deref())),
        ("influxdb", provider.influxdb.as_ref().map(|p| p.query.as_deref())),
        (
            "skywalking",
            provider.skywalking.as_ref().map(|p| p.query.as_deref()),
        ),
    ];
    for (name, query) in needs_query {
        if let Some(query) = query
            && query.is_none_or(|q| q.trim().is_empty())
        {
            findings.push(Finding::error(
                path.field(name).field("query"),
                format!("a {name} provider needs a query"),
            ));
        }
    }
    if let Some(prometheus) = &provider.prometheus {
        let path = path.field("prometheus");
        if let Some(timeout) = prometheus.timeout.filter(|t| *t < 0) {
            findings.push(Finding::error(
                path.field("timeout"),
                format!("timeout {timeout} must not be negative"),
            ));
        }
        authentication_findings(prometheus.authentication.as_ref(), &path, findings);
    }
    if let Some(web) = &provider.web {
        web_findings(web, &path.field("web"), findings);
    }
    if let Some(job) = &provider.job {
        let has_container = job
            .spec
            .template
            .spec
            .as_ref()
            .is_some_and(|pod| !pod.containers.is_empty());
        if !has_container {
            findings.push(Finding::error(
                path.field("job").field("spec").field("template").field("spec"),
                "a job provider needs a pod template with at least one container",
            ));
        }
    }
    if let Some(datadog) = &provider.datadog {
        datadog_findings(datadog, &path.field("datadog"), findings);
    }
    if let Some(cloud_watch) = &provider.cloud_watch
        && cloud_watch.metric_data_queries.is_empty()
    {
        findings.push(Finding::error(
            path.field("cloudWatch").field("metricDataQueries"),
            "a cloudWatch provider needs at least one metric data query",
        ));
    }
    if let Some(plugin) = &provider.plugin
        && plugin.len() != 1
    {
        findings.push(Finding::error(
            path.field("plugin"),
            format!("plugin names {} plugins: name exactly one", plugin.len()),
        ));
    }
}

fn web_findings(web: &crate::analysis::providers::WebMetric, path: &FieldPath, findings: &mut Vec<Finding>) {
    if web.url.trim().is_empty() {
        findings.push(Finding::error(path.field("url"), "a web provider needs a url"));
    }
    let method = web.method.as_deref().unwrap_or("GET");
    if !WEB_METHODS.contains(&method) {
        findings.push(Finding::error(
            path.field("method"),
            format!("method {method:?} is not one of {}", WEB_METHODS.join(", ")),
        ));
    }
    if web.body.is_some() && web.json_body.is_some() {
        findings.push(Finding::error(path, "body and jsonBody are both set: set one"));
    }
    if (web.body.is_some() || web.json_body.is_some()) && method == "GET" {
        findings.push(Finding::error(
            path.field("method"),
            "a request with a body needs method POST or PUT, not GET",
        ));
    }
    if let Some(timeout) = web.timeout_seconds.filter(|t| *t < 0) {
        findings.push(Finding::error(
            path.field("timeoutSeconds"),
            format!("timeoutSeconds {timeout} must not be negative"),
        ));
    }
    authentication_findings(web.authentication.as_ref(), path, findings);
}

fn datadog_findings(
    datadog: &crate::analysis::providers::DatadogMetric,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    let has_query = datadog.query.as_deref().is_some_and(|q| !q.trim().is_empty());
    let has_queries = datadog.queries.as_ref().is_some_and(|q| !q.is_empty());
    match (has_query, has_queries) {
        (false, false) => findings.push(Finding::error(
            path.field("query"),
            "a datadog provider needs a query (or queries and a formula)",
        )),
        (true, true) => findings.push(Finding::error(path, "query and queries are both set: set one")),
        _ => {}
    }
    let version = datadog.api_version.as_deref().unwrap_or("v1");
    if !matches!(version, "v1" | "v2") {
        findings.push(Finding::error(
            path.field("apiVersion"),
            format!("apiVersion {version:?} is not one of v1, v2"),
        ));
    } else if version == "v1" && (has_queries || datadog.formula.is_some()) {
        findings.push(Finding::error(
            path.field("apiVersion"),
            "queries and formula need apiVersion v2",
        ));
    }
    if datadog.formula.is_some() && !has_queries {
        findings.push(Finding::error(
            path.field("formula"),
            "a formula needs queries to combine",
        ));
    }
}

fn authentication_findings(auth: Option<&Authentication>, path: &FieldPath, findings: &mut Vec<Finding>) {
    let Some(auth) = auth else { return };
    let methods = auth.methods();
    if methods.len() > 1 {
        findings.push(Finding::error(
            path.field("authentication"),
            format!(
                "{} authentication methods are set ({}): set one",
                methods.len(),
                methods.join(", ")
            ),
        ));
    }
}
