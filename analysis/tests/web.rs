//! The web provider against a loopback HTTP server: JSON paths, methods and bodies,
//! non-2xx answers, timeouts.

mod support;

use std::time::Duration;

use linnet_analysis::providers::web::{json_path, pick};
use linnet_analysis::providers::{MeasureContext, Provider, WebProvider};
use linnet_crds::analysis::AnalysisPhase::{Error, Failed, Successful};
use linnet_crds::analysis::providers::{WebMetric, WebMetricHeader};
use linnet_crds::analysis::{Measurement, Metric, MetricProvider};
use support::MetricExt;
use support::http_server::{Response, Server};

fn web_metric(url: String, json_path: Option<&str>, success: &str) -> Metric {
    let m = Metric {
        name: "health".into(),
        provider: MetricProvider {
            web: Some(WebMetric {
                url,
                json_path: json_path.map(String::from),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    m.success(success)
}

async fn measure(metric: &Metric) -> Measurement {
    WebProvider::new().run(metric, &MeasureContext::default()).await
}

#[tokio::test]
async fn the_json_path_picks_the_result() {
    let server =
        Server::start(|_| Response::json(200, r#"{"data": {"ok": true, "rate": 0.97, "version": "1.2"}}"#))
            .await;
    let ok = measure(&web_metric(
        server.url("/status"),
        Some("{$.data.ok}"),
        "result == true",
    ))
    .await;
    assert_eq!(
        (ok.phase, ok.value.as_deref()),
        (Successful, Some("true")),
        "{ok:?}"
    );
    let rate = measure(&web_metric(
        server.url("/status"),
        Some("{.data.rate}"),
        "result >= 0.99",
    ))
    .await;
    assert_eq!(
        (rate.phase, rate.value.as_deref()),
        (Failed, Some("0.97")),
        "{rate:?}"
    );
    let version = measure(&web_metric(
        server.url("/status"),
        Some("{$.data.version}"),
        "result == '1.2'",
    ))
    .await;
    assert_eq!(
        (version.phase, version.value.as_deref()),
        (Successful, Some("1.2"))
    );
    let whole = measure(&web_metric(server.url("/status"), None, "result.data.ok")).await;
    assert_eq!(whole.phase, Successful, "{whole:?}");
    let missing = measure(&web_metric(
        server.url("/status"),
        Some("{$.data.absent}"),
        "true",
    ))
    .await;
    assert_eq!(missing.phase, Error);
    assert!(missing.message.unwrap().contains("matched nothing"));
}

#[tokio::test]
async fn method_headers_and_json_body_are_sent() {
    let server = Server::start(|_| Response::json(200, r#"{"ok": 1}"#)).await;
    let mut m = web_metric(server.url("/check?token=abc"), Some("{$.ok}"), "result == 1");
    let web = m.provider.web.as_mut().unwrap();
    web.method = Some("POST".into());
    web.headers = Some(vec![WebMetricHeader {
        key: "Authorization".into(),
        value: "Bearer s3cret".into(),
    }]);
    web.json_body = Some(serde_json::json!({"service": "checkout"}));
    assert_eq!(measure(&m).await.phase, Successful);
    let request = server.requests().pop().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/check?token=abc");
    assert_eq!(request.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&request.body).unwrap()["service"],
        "checkout"
    );
}

#[tokio::test]
async fn a_non_2xx_answer_is_an_error_that_hides_the_query_string() {
    let server = Server::start(|_| Response::json(500, r#"{"error": "boom"}"#)).await;
    let m = web_metric(server.url("/status?apikey=topsecret"), Some("{$.ok}"), "true");
    let measurement = measure(&m).await;
    assert_eq!(measurement.phase, Error);
    let message = measurement.message.unwrap();
    assert!(
        message.contains("HTTP 500") && message.contains(&server.url("/status")),
        "{message}"
    );
    assert!(!message.contains("topsecret"), "{message}");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = Server::start(|_| Response {
        delay: Duration::from_secs(3),
        ..Response::json(200, "{}")
    })
    .await;
    let mut m = web_metric(server.url("/slow"), None, "true");
    m.provider.web.as_mut().unwrap().timeout_seconds = Some(1);
    let measurement = measure(&m).await;
    assert_eq!(measurement.phase, Error);
    assert!(measurement.message.unwrap().contains("timed out after 1s"));
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_an_error() {
    let server = Server::start(|_| Response::text("all good")).await;
    let measurement = measure(&web_metric(server.url("/"), None, "true")).await;
    assert_eq!(measurement.phase, Error);
    assert!(measurement.message.unwrap().contains("not JSON"));
}

#[test]
fn kubernetes_style_paths_become_json_paths() {
    assert_eq!(json_path(None), "$");
    assert_eq!(json_path(Some("{$.data.ok}")), "$.data.ok");
    assert_eq!(json_path(Some("{.data.ok}")), "$.data.ok");
    assert_eq!(json_path(Some("$.items[0]")), "$.items[0]");
    let document = serde_json::json!({"items": [{"ok": true}, {"ok": false}]});
    assert_eq!(
        pick(&document, "$.items[*].ok").unwrap(),
        serde_json::json!([true, false])
    );
    assert!(pick(&document, "$.[").is_err());
}

#[tokio::test]
async fn the_registry_picks_the_provider_and_refuses_the_rest() {
    let providers = linnet_analysis::providers::Providers::new();
    let server = Server::start(|_| Response::json(200, r#"{"ok": true}"#)).await;
    let web = web_metric(server.url("/"), Some("{$.ok}"), "result");
    assert_eq!(providers.for_metric(&web).unwrap().kind(), "web");
    assert_eq!(
        providers.measure(&web, &MeasureContext::default()).await.phase,
        Successful
    );
    let mut datadog = web_metric(server.url("/"), None, "true");
    datadog.provider = MetricProvider {
        datadog: Some(Default::default()),
        ..Default::default()
    };
    let measurement = providers.measure(&datadog, &MeasureContext::default()).await;
    assert_eq!(measurement.phase, Error);
    assert_eq!(
        measurement.message.as_deref(),
        Some("metric \"health\": no supported provider (has datadog)")
    );
}
