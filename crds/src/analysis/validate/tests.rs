//! One case per rule: a valid template gives no findings; each case breaks it in one way and
//! expects the finding at the right path.

use serde_json::{Value, json};

use crate::Validate;
use crate::analysis::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate};

fn valid_spec() -> Value {
    json!({
        "args": [
            {"name": "service-name"},
            {"name": "prometheus-address", "value": "http://prometheus.monitoring:9090"},
            {"name": "api-token", "valueFrom": {"secretKeyRef": {"name": "checkout-analysis", "key": "token"}}}
        ],
        "metrics": [
            {
                "name": "success-rate",
                "interval": "1m",
                "count": 5,
                "failureLimit": 1,
                "successCondition": "result[0] >= 0.99",
                "provider": {"prometheus": {
                    "address": "{{args.prometheus-address}}",
                    "query": "sum(rate(http_requests_total{service=\"{{ args.service-name }}\",code!~\"5..\"}[2m])) / sum(rate(http_requests_total{service=\"{{args.service-name}}\"}[2m]))"
                }}
            },
            {
                "name": "smoke",
                "provider": {"web": {"url": "https://checkout.example.com/healthz",
                    "headers": [{"key": "Authorization", "value": "Bearer {{args.api-token}}"}],
                    "jsonPath": "{$.status}"}}
            }
        ],
        "dryRun": [{"metricName": "smoke"}],
        "measurementRetention": [{"metricName": "success-rate", "limit": 20}]
    })
}

fn template(spec: Value) -> AnalysisTemplate {
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
        "metadata": {"name": "checkout-success-rate"}, "spec": spec
    }))
    .unwrap_or_else(|e| panic!("test template does not parse: {e}"))
}

fn messages(spec: Value) -> Vec<String> {
    template(spec)
        .validate()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `spec` with the field at `pointer` set; its parent must exist.
fn with(mut spec: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match spec.pointer_mut(parent) {
        Some(Value::Object(fields)) => {
            fields.insert(key.to_string(), value);
        }
        Some(Value::Array(items)) => match key.parse::<usize>() {
            Ok(i) if i < items.len() => items[i] = value,
            _ => items.push(value),
        },
        _ => panic!("nothing at {parent}"),
    }
    spec
}

/// `spec` without the field at `pointer`.
fn without(mut spec: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    if let Some(Value::Object(fields)) = spec.pointer_mut(parent) {
        fields.remove(key);
    }
    spec
}

#[test]
fn a_valid_template_has_no_findings() {
    assert_eq!(messages(valid_spec()), Vec::<String>::new());
}

#[test]
fn each_rule_reports_at_its_path() {
    let prometheus = |v: Value| with(valid_spec(), "/metrics/0/provider", v);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no metrics",
            with(valid_spec(), "/metrics", json!([])),
            "spec.metrics: error: at least one metric is needed",
        ),
        (
            "unnamed metric",
            with(valid_spec(), "/metrics/1/name", json!("")),
            "spec.metrics[1].name: error: a metric needs a name",
        ),
        (
            "duplicate metric",
            with(valid_spec(), "/metrics/1/name", json!("success-rate")),
            "spec.metrics[1].name: error: metric name \"success-rate\" is used twice (first at spec.metrics[0])",
        ),
        (
            "no provider",
            with(valid_spec(), "/metrics/1/provider", json!({})),
            "spec.metrics[1].provider: error: no provider is set",
        ),
        (
            "two providers",
            with(
                valid_spec(),
                "/metrics/1/provider/job",
                json!({"spec": {"template": {"spec": {"containers": [{"name": "t"}]}}}}),
            ),
            "spec.metrics[1].provider: error: 2 providers are set (web, job): set exactly one",
        ),
        (
            "bad interval",
            with(valid_spec(), "/metrics/0/interval", json!("1")),
            "spec.metrics[0].interval: error: interval: \"1\" is not a duration",
        ),
        (
            "bad initial delay",
            with(valid_spec(), "/metrics/0/initialDelay", json!("soon")),
            "spec.metrics[0].initialDelay: error: initialDelay: \"soon\" is not a duration",
        ),
        (
            "negative count",
            with(valid_spec(), "/metrics/0/count", json!(-2)),
            "spec.metrics[0].count: error: count -2 must not be negative",
        ),
        (
            "failure limit below -1",
            with(valid_spec(), "/metrics/0/failureLimit", json!(-2)),
            "spec.metrics[0].failureLimit: error: failureLimit -2 must be -1 (no limit) or more",
        ),
        (
            "negative consecutive error limit",
            with(valid_spec(), "/metrics/0/consecutiveErrorLimit", json!("-1")),
            "spec.metrics[0].consecutiveErrorLimit: error: consecutiveErrorLimit -1 must not be negative",
        ),
        (
            "count that is not a number",
            with(valid_spec(), "/metrics/0/count", json!("five")),
            "spec.metrics[0].count: error: count \"five\" is neither a number nor an {{args.NAME}} placeholder",
        ),
        (
            "count without interval",
            without(valid_spec(), "/metrics/0/interval"),
            "spec.metrics[0].interval: error: count 5 takes several measurements, which need an interval",
        ),
        (
            "failure limit above count",
            with(valid_spec(), "/metrics/0/failureLimit", json!(6)),
            "spec.metrics[0].failureLimit: error: failureLimit 6 is above count 5",
        ),
        (
            "consecutive success limit above count",
            with(valid_spec(), "/metrics/0/consecutiveSuccessLimit", json!(8)),
            "spec.metrics[0].consecutiveSuccessLimit: error: consecutiveSuccessLimit 8 is above count 5",
        ),
        (
            "prometheus without query",
            prometheus(json!({"prometheus": {"address": "http://prometheus:9090"}})),
            "spec.metrics[0].provider.prometheus.query: error: a prometheus provider needs a query",
        ),
        (
            "two authentication methods",
            prometheus(
                json!({"prometheus": {"query": "up", "authentication": {"sigv4": {"region": "eu-west-1"}, "basicAuth": {"username": "u"}}}}),
            ),
            "spec.metrics[0].provider.prometheus.authentication: error: 2 authentication methods are set (sigv4, basicAuth)",
        ),
        (
            "web without url",
            with(valid_spec(), "/metrics/1/provider/web/url", json!(" ")),
            "spec.metrics[1].provider.web.url: error: a web provider needs a url",
        ),
        (
            "web with unknown method",
            with(valid_spec(), "/metrics/1/provider/web/method", json!("PATCH")),
            "spec.metrics[1].provider.web.method: error: method \"PATCH\" is not one of GET, POST, PUT",
        ),
        (
            "web body with GET",
            with(valid_spec(), "/metrics/1/provider/web/body", json!("{}")),
            "spec.metrics[1].provider.web.method: error: a request with a body needs method POST or PUT",
        ),
        (
            "job without containers",
            prometheus(
                json!({"job": {"spec": {"template": {"spec": {"containers": [], "restartPolicy": "Never"}}}}}),
            ),
            "spec.metrics[0].provider.job.spec.template.spec: error: a job provider needs a pod template with at least one container",
        ),
        (
            "datadog without query",
            prometheus(json!({"datadog": {"interval": "5m"}})),
            "spec.metrics[0].provider.datadog.query: error: a datadog provider needs a query",
        ),
        (
            "datadog formula on v1",
            prometheus(json!({"datadog": {"queries": {"a": "sum:errors{*}"}, "formula": "a"}})),
            "spec.metrics[0].provider.datadog.apiVersion: error: queries and formula need apiVersion v2",
        ),
        (
            "negative prometheus timeout",
            prometheus(json!({"prometheus": {"query": "up", "timeout": -5}})),
            "spec.metrics[0].provider.prometheus.timeout: error: timeout -5 must not be negative",
        ),
        (
            "web body and jsonBody",
            with(
                with(valid_spec(), "/metrics/1/provider/web/body", json!("{}")),
                "/metrics/1/provider/web/jsonBody",
                json!({"a": 1}),
            ),
            "spec.metrics[1].provider.web: error: body and jsonBody are both set: set one",
        ),
        (
            "negative web timeout",
            with(valid_spec(), "/metrics/1/provider/web/timeoutSeconds", json!(-1)),
            "spec.metrics[1].provider.web.timeoutSeconds: error: timeoutSeconds -1 must not be negative",
        ),
        (
            "datadog query and queries",
            prometheus(
                json!({"datadog": {"apiVersion": "v2", "query": "x", "queries": {"a": "y"}, "formula": "a"}}),
            ),
            "spec.metrics[0].provider.datadog: error: query and queries are both set: set one",
        ),
        (
            "datadog unknown api version",
            prometheus(json!({"datadog": {"apiVersion": "v3", "query": "x"}})),
            "spec.metrics[0].provider.datadog.apiVersion: error: apiVersion \"v3\" is not one of v1, v2",
        ),
        (
            "datadog formula without queries",
            prometheus(json!({"datadog": {"apiVersion": "v2", "query": "x", "formula": "a / b"}})),
            "spec.metrics[0].provider.datadog.formula: error: a formula needs queries to combine",
        ),
        (
            "newRelic with empty query",
            prometheus(json!({"newRelic": {"query": ""}})),
            "spec.metrics[0].provider.newRelic.query: error: a newRelic provider needs a query",
        ),
        (
            "inconclusive limit above count",
            with(valid_spec(), "/metrics/0/inconclusiveLimit", json!(7)),
            "spec.metrics[0].inconclusiveLimit: error: inconclusiveLimit 7 is above count 5",
        ),
        (
            "graphite without query",
            prometheus(json!({"graphite": {"address": "http://graphite:8080"}})),
            "spec.metrics[0].provider.graphite.query: error: a graphite provider needs a query",
        ),
        (
            "cloudWatch without queries",
            prometheus(json!({"cloudWatch": {"metricDataQueries": []}})),
            "spec.metrics[0].provider.cloudWatch.metricDataQueries: error: a cloudWatch provider needs at least one",
        ),
        (
            "two plugins",
            prometheus(json!({"plugin": {"a/one": {}, "b/two": {}}})),
            "spec.metrics[0].provider.plugin: error: plugin names 2 plugins",
        ),
        (
            "undeclared argument",
            with(
                valid_spec(),
                "/metrics/1/provider/web/url",
                json!("https://{{args.host}}/healthz"),
            ),
            "spec.metrics[1].provider.web.url: error: {{args.host}} refers to an argument that spec.args does not declare",
        ),
        (
            "duplicate argument",
            with(
                valid_spec(),
                "/args/3",
                json!({"name": "service-name", "value": "checkout"}),
            ),
            "spec.args[3].name: error: argument \"service-name\" is declared twice (first at spec.args[0])",
        ),
        (
            "value and valueFrom",
            with(valid_spec(), "/args/2/value", json!("literal")),
            "spec.args[2]: error: argument \"api-token\" sets both value and valueFrom: set one",
        ),
        (
            "valueFrom with two sources",
            with(
                valid_spec(),
                "/args/2/valueFrom/fieldRef",
                json!({"fieldPath": "metadata.name"}),
            ),
            "spec.args[2].valueFrom: error: valueFrom of argument \"api-token\" sets 2 sources",
        ),
        (
            "unnamed argument",
            with(valid_spec(), "/args/0/name", json!("")),
            "spec.args[0].name: error: an argument needs a name",
        ),
        (
            "template reference without name",
            with(valid_spec(), "/templates", json!([{"templateName": ""}])),
            "spec.templates[0].templateName: error: a template reference needs a templateName",
        ),
        (
            "empty dryRun name",
            with(valid_spec(), "/dryRun/0/metricName", json!("")),
            "spec.dryRun[0].metricName: error: metricName must name",
        ),
        (
            "empty retention name",
            with(valid_spec(), "/measurementRetention/0/metricName", json!(" ")),
            "spec.measurementRetention[0].metricName: error: metricName must name",
        ),
        (
            "negative retention",
            with(valid_spec(), "/measurementRetention/0/limit", json!(-5)),
            "spec.measurementRetention[0].limit: error: limit -5 must not be negative",
        ),
    ];
    for (name, spec, expected) in cases {
        let found = messages(spec);
        assert!(
            found.iter().any(|m| m.starts_with(expected)),
            "{name}: wanted `{expected}`, got {found:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let spec = with(
        with(valid_spec(), "/metrics/0/interval", json!("x")),
        "/metrics/1/provider",
        json!({}),
    );
    assert_eq!(messages(spec).len(), 2);
}

#[test]
fn placeholders_stand_for_durations_and_counts() {
    let spec = with(
        with(
            with(valid_spec(), "/metrics/0/interval", json!("{{args.interval}}")),
            "/metrics/0/count",
            json!("{{args.samples}}"),
        ),
        "/args/3",
        json!({"name": "interval", "value": "1m"}),
    );
    let spec = with(spec, "/args/4", json!({"name": "samples", "value": "5"}));
    assert_eq!(messages(spec), Vec::<String>::new());
}

#[test]
fn a_template_of_templates_needs_no_metrics_and_may_use_their_args() {
    let spec = json!({
        "templates": [{"templateName": "checkout-success-rate"}, {"templateName": "latency", "clusterScope": true}]
    });
    assert_eq!(messages(spec), Vec::<String>::new());
    let with_metric = json!({
        "templates": [{"templateName": "base"}],
        "metrics": [{"name": "errors", "provider": {"prometheus": {"query": "sum(errors{svc=\"{{args.service}}\"})"}}}]
    });
    let found = messages(with_metric);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "spec.metrics[0].provider.prometheus.query: warning: {{args.service}} is not declared"
        )
    );
}

#[test]
fn a_cluster_template_obeys_the_same_rules() {
    let cluster: ClusterAnalysisTemplate = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate",
        "metadata": {"name": "success-rate"}, "spec": with(valid_spec(), "/metrics/0/name", json!(""))
    }))
    .unwrap();
    let found: Vec<String> = cluster.validate().iter().map(ToString::to_string).collect();
    assert_eq!(found, ["spec.metrics[0].name: error: a metric needs a name"]);
}

fn run(spec: Value) -> Vec<String> {
    let run: AnalysisRun = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": "checkout-6f7d9-2-1"}, "spec": spec
    }))
    .unwrap_or_else(|e| panic!("test run does not parse: {e}"));
    run.validate().iter().map(ToString::to_string).collect()
}

#[test]
fn a_run_needs_every_argument_resolved() {
    let resolved = with(valid_spec(), "/args/0/value", json!("checkout"));
    assert_eq!(run(resolved), Vec::<String>::new());
    let found = run(valid_spec());
    assert_eq!(
        found,
        ["spec.args[0]: error: argument \"service-name\" has no value: a run needs every argument resolved"]
    );
}

#[test]
fn a_run_needs_metrics() {
    let found = run(with(
        with(valid_spec(), "/args/0/value", json!("checkout")),
        "/metrics",
        json!([]),
    ));
    assert_eq!(found, ["spec.metrics: error: at least one metric is needed"]);
}
