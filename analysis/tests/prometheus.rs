//! The Prometheus provider against a real Prometheus server scraping a metrics endpoint the
//! test serves: good and bad success rates, empty results, scalars, NaN and infinities,
//! range vectors, query errors and a server that goes away.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use linnet_analysis::providers::{MeasureContext, PrometheusProvider, Provider};
use linnet_crds::analysis::AnalysisPhase::{Error, Failed, Successful};
use linnet_crds::analysis::providers::PrometheusRangeQueryArgs;
use linnet_crds::analysis::{Measurement, Metric};
use support::http_server::{Response, Server};
use support::prometheus_server::{Prometheus, free_port};
use support::*;

/// Serves request counters that grow by 99 OK and 1 error per scrape for `stable`, and by
/// 80 OK and 20 errors for `canary`.
async fn app() -> Server {
    let scrapes = Arc::new(AtomicU64::new(0));
    Server::start(move |_| {
        let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
        Response::text(format!(
            "# TYPE app_requests_total counter\n\
             app_requests_total{{version=\"stable\",code=\"200\"}} {}\n\
             app_requests_total{{version=\"stable\",code=\"500\"}} {}\n\
             app_requests_total{{version=\"canary\",code=\"200\"}} {}\n\
             app_requests_total{{version=\"canary\",code=\"500\"}} {}\n",
            99 * n,
            n,
            80 * n,
            20 * n
        ))
    })
    .await
}

fn success_rate(version: &str) -> String {
    format!(
        "sum(rate(app_requests_total{{version=\"{version}\",code=\"200\"}}[10s])) / sum(rate(app_requests_total{{version=\"{version}\"}}[10s]))"
    )
}

fn query_metric(address: &str, query: &str, success: &str) -> Metric {
    let mut m = metric("success-rate").success(success);
    let spec = m.provider.prometheus.as_mut().unwrap();
    spec.address = Some(address.to_string());
    spec.query = Some(query.to_string());
    spec.timeout = Some(5);
    m
}

/// The one number of a vector printed `[x]`.
fn only_sample(measurement: &Measurement) -> f64 {
    let printed = measurement.value.as_deref().unwrap_or_default();
    let inner = printed.strip_prefix('[').and_then(|p| p.strip_suffix(']'));
    inner
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("not a one-sample vector: {printed:?}"))
}

async fn measure(metric: &Metric) -> Measurement {
    PrometheusProvider::new()
        .run(metric, &MeasureContext::default())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measurements_against_a_real_prometheus() {
    let app = app().await;
    let prometheus = Prometheus::start(&[app.address.to_string()]).await;
    // Two scrapes are needed for a rate.
    prometheus
        .wait_for(&success_rate("stable"), Duration::from_secs(10))
        .await;
    let address = prometheus.address.as_str();

    let good = measure(&query_metric(
        address,
        &success_rate("stable"),
        "result[0] >= 0.95",
    ))
    .await;
    assert_eq!(good.phase, Successful, "{good:?}");
    // Printed as Argo prints a vector; the rate is 0.99 up to floating-point rounding
    // (Prometheus may answer 0.9899999999999999).
    assert!((only_sample(&good) - 0.99).abs() < 1e-9, "{good:?}");

    let bad = measure(&query_metric(
        address,
        &success_rate("canary"),
        "result[0] >= 0.95",
    ))
    .await;
    assert_eq!(bad.phase, Failed, "{bad:?}");
    assert!((only_sample(&bad) - 0.8).abs() < 1e-9, "{bad:?}");

    let empty = measure(&query_metric(
        address,
        "app_requests_total{version=\"none\"}",
        "result[0] >= 0.95",
    ))
    .await;
    assert_eq!(
        empty.phase, Error,
        "indexing an empty result is an error: {empty:?}"
    );
    assert_eq!(empty.value.as_deref(), Some("[]"));
    assert!(
        empty.message.as_deref().unwrap().contains("successCondition"),
        "{empty:?}"
    );
    let tolerant = measure(&query_metric(
        address,
        "app_requests_total{version=\"none\"}",
        "len(result) == 0 || result[0] >= 0.95",
    ))
    .await;
    assert_eq!(tolerant.phase, Successful);

    let scalar = measure(&query_metric(
        address,
        "scalar(count(app_requests_total))",
        "result == 4",
    ))
    .await;
    assert_eq!(
        (scalar.phase, scalar.value.as_deref()),
        (Successful, Some("4")),
        "{scalar:?}"
    );

    let nan = measure(&query_metric(address, "0/0", "isNaN(result)")).await;
    assert_eq!(
        (nan.phase, nan.value.as_deref()),
        (Successful, Some("NaN")),
        "{nan:?}"
    );
    let infinite = measure(&query_metric(address, "vector(1/0)", "isInf(result[0])")).await;
    assert_eq!(
        (infinite.phase, infinite.value.as_deref()),
        (Successful, Some("[+Inf]")),
        "{infinite:?}"
    );

    let range = "app_requests_total{version=\"stable\",code=\"500\"}[5s]";
    let matrix = measure(&query_metric(
        address,
        range,
        "len(result) >= 2 && all(result, # >= 1)",
    ))
    .await;
    assert_eq!(
        matrix.phase, Successful,
        "a matrix is flattened to its samples: {matrix:?}"
    );

    let mut ranged = query_metric(
        address,
        "app_requests_total{version=\"stable\",code=\"500\"}",
        "len(result) >= 2",
    );
    ranged.provider.prometheus.as_mut().unwrap().range_query = Some(PrometheusRangeQueryArgs {
        start: Some("now() - duration(\"4s\")".into()),
        end: Some("now()".into()),
        step: Some("1s".into()),
    });
    let over_range = measure(&ranged).await;
    assert_eq!(
        over_range.phase, Successful,
        "a range query's matrix is flattened: {over_range:?}"
    );

    let broken = measure(&query_metric(address, "sum(", "true")).await;
    assert_eq!(broken.phase, Error);
    let message = broken.message.unwrap();
    assert!(
        message.contains(address) && message.contains("bad_data"),
        "{message}"
    );

    let metadata = PrometheusProvider::new().metadata(&query_metric(address, "up", "true"));
    assert_eq!(
        metadata.get("ResolvedPrometheusQuery").map(String::as_str),
        Some("up")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prometheus_that_goes_away_gives_error_measurements_never_successful() {
    let app = app().await;
    let mut prometheus = Prometheus::start(&[app.address.to_string()]).await;
    let address = prometheus.address.clone();
    let up = query_metric(&address, "vector(1)", "result[0] == 1");
    assert_eq!(measure(&up).await.phase, Successful);
    prometheus.stop();
    for _ in 0..3 {
        let gone = measure(&up).await;
        assert_eq!(gone.phase, Error, "{gone:?}");
        assert!(gone.message.as_deref().unwrap().contains(&address), "{gone:?}");
    }
}

#[tokio::test]
async fn no_address_anywhere_is_an_error_and_the_default_address_is_used() {
    let mut m = query_metric("", "vector(1)", "true");
    m.provider.prometheus.as_mut().unwrap().address = None;
    let missing = measure(&m).await;
    assert_eq!(missing.phase, Error);
    assert!(
        missing
            .message
            .as_deref()
            .unwrap()
            .contains("address is required"),
        "{missing:?}"
    );
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let context = MeasureContext {
        default_prometheus_address: Some(nobody.clone()),
    };
    let unreachable = PrometheusProvider::new().run(&m, &context).await;
    assert_eq!(unreachable.phase, Error);
    assert!(
        unreachable.message.as_deref().unwrap().contains(&nobody),
        "{unreachable:?}"
    );
}

#[tokio::test]
async fn headers_and_basic_auth_are_sent_but_never_shown() {
    let fake = Server::start(|_| Response::json(503, "unavailable for now")).await;
    let mut m = query_metric(&fake.url(""), "up", "true");
    let spec = m.provider.prometheus.as_mut().unwrap();
    spec.headers = Some(vec![linnet_crds::analysis::providers::WebMetricHeader {
        key: "X-Scope-OrgID".into(),
        value: "tenant-a".into(),
    }]);
    spec.authentication = Some(linnet_crds::analysis::providers::Authentication {
        basic_auth: Some(linnet_crds::analysis::providers::BasicAuth {
            username: Some("reader".into()),
            password: Some("hunter2-secret".into()),
        }),
        ..Default::default()
    });
    let measurement = measure(&m).await;
    assert_eq!(measurement.phase, Error);
    let request = fake.requests().pop().unwrap();
    assert_eq!(request.header("x-scope-orgid"), Some("tenant-a"));
    assert!(request.header("authorization").unwrap().starts_with("Basic "));
    assert!(
        request.target.starts_with("/api/v1/query?query=up&time="),
        "{}",
        request.target
    );
    let shown = format!("{measurement:?}");
    assert!(
        shown.contains("HTTP 503") && !shown.contains("hunter2"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_as_an_error() {
    let slow = Server::start(|_| Response {
        delay: Duration::from_secs(3),
        ..Response::json(200, "{}")
    })
    .await;
    let mut m = query_metric(&slow.url(""), "up", "true");
    m.provider.prometheus.as_mut().unwrap().timeout = Some(1);
    let measurement = measure(&m).await;
    assert_eq!(measurement.phase, Error);
    assert!(
        measurement
            .message
            .as_deref()
            .unwrap()
            .contains("timed out after 1s"),
        "{measurement:?}"
    );
}

#[test]
fn range_query_windows_are_read_from_now_and_durations() {
    use linnet_analysis::providers::prometheus::range::{instant, window};
    let now = t0();
    assert_eq!(instant("now()", now).unwrap(), now);
    assert_eq!(instant("now() - duration(\"5m\")", now).unwrap(), at(-300));
    assert_eq!(instant("now()+duration('1h')", now).unwrap(), at(3600));
    for refused in [
        "yesterday",
        "now() * 2",
        "now() - 5m",
        "now() - duration(\"5 minutes\")",
    ] {
        assert!(instant(refused, now).is_err(), "{refused}");
    }
    let args = PrometheusRangeQueryArgs {
        start: Some("now() - duration(\"10m\")".into()),
        end: None,
        step: None,
    };
    let resolved = window(&args, now).unwrap();
    assert_eq!(
        (resolved.start, resolved.end, resolved.step),
        (at(-600), now, Duration::from_secs(60))
    );
    let backwards = PrometheusRangeQueryArgs {
        start: None,
        end: Some("now() - duration(\"1m\")".into()),
        step: None,
    };
    assert_eq!(window(&backwards, now).unwrap_err().0, "rangeQuery.end");
}
