//! Rollouts judged by a real Prometheus scraping the simulated cluster's per-pod metrics: a
//! good version is promoted, a version answering 30% 5xx or breaching a p99 latency SLO is
//! rolled back by a step or background analysis, blue-green pre- and post-promotion analysis
//! keep a bad version from users, missing data aborts rather than promotes, an inconclusive
//! result waits for a human, and web and Job metrics decide rollouts too.
//!
//! Each test has its own sim, namespace, Prometheus and controller. Intervals are 1–2 s and
//! rate windows 10 s, so that each scenario takes seconds.

mod prometheus_world;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus_world::{
    P99_LATENCY, SUCCESS_RATE, World, analysis_of, given_a_cluster_with_prometheus, prometheus_metric,
    replicas_of, str_at,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A success-rate metric: at least 95% of the canary's requests answered without a 5xx,
/// `count` measurements `interval` apart, no failure tolerated.
fn success_rate(world: &World, count: i32, interval: &str) -> Value {
    prometheus_metric(
        "success-rate",
        &world.prometheus_address(),
        SUCCESS_RATE,
        interval,
        json!({"count": count, "initialDelay": "3s", "successCondition": "result[0] >= 0.95"}),
    )
}

/// A canary of 5 pods: 20% to the new version, `analysis`, then the rest.
fn canary_with_step(analysis: Value) -> Value {
    json!({"canary": {"steps": [
        {"setWeight": 20},
        {"analysis": analysis},
        {"setWeight": 100},
    ]}})
}

/// Given the world with a Service `web` taking traffic and a Rollout `web` deployed with
/// `strategy`: the hash of its first version.
async fn given_a_deployed_rollout(world: &World, strategy: Value) -> String {
    world.create_service("web", "web", true).await;
    world.create_rollout("web", 5, strategy, json!({})).await;
    world.eventually_healthy("web", 5, "").await
}

/// Asserts that the pods of `hash` take no more requests: stable carries all the traffic.
async fn assert_no_traffic_to(world: &World, hash: &str) {
    let deadline = tokio::time::Instant::now() + prometheus_world::TIMEOUT;
    loop {
        let before = world.requests_to(hash);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = world.requests_to(hash);
        if before == after {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rolled-back version {hash} still takes traffic ({before} -> {after} requests)"
        );
    }
}

/// Asserts that the rollback says which metric failed and its value, in status and an Event.
async fn assert_rollback_names_the_metric(world: &World, status: &Value, metric: &str) {
    let message = str_at(status, "message");
    assert!(
        message.contains(&format!("Metric \"{metric}\" assessed Failed")) && message.contains("last value ["),
        "the Degraded message does not name the failing metric and its value: {message}"
    );
    let events = world.events().await;
    assert!(
        events
            .iter()
            .any(|(reason, note)| reason == "RolloutAborted" && note.contains(metric)),
        "no RolloutAborted Event naming {metric}: {events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_version_passes_the_success_rate_analysis_and_is_promoted() {
    let world = given_a_cluster_with_prometheus("prom-good").await;
    world
        .create_template("success-rate", json!([success_rate(&world, 3, "2s")]))
        .await;
    let v1 =
        given_a_deployed_rollout(&world, canary_with_step(analysis_of("success-rate", "prom-good"))).await;

    // When a version answering every request updates it
    world.update_to("web", "0", "25").await;
    // Then the analysis passes on real traffic and the new version is promoted
    let v2 = world.eventually_healthy("web", 5, &v1).await;
    let runs = world.runs_named(&format!("web-{v2}")).await;
    assert!(
        runs.len() == 1 && runs[0].1 == "Successful",
        "not one Successful run for {v2}: {runs:#?}"
    );
    assert!(world.requests_to(&v2) > 0, "the new version never took traffic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_answering_30_percent_errors_is_rolled_back_by_its_analysis_step() {
    let world = given_a_cluster_with_prometheus("prom-step").await;
    world
        .create_template("success-rate", json!([success_rate(&world, 4, "2s")]))
        .await;
    let v1 =
        given_a_deployed_rollout(&world, canary_with_step(analysis_of("success-rate", "prom-step"))).await;

    // When a version whose pods answer 30% of requests with a 5xx updates it
    world.update_to("web", "0.3", "20").await;
    // Then the step's analysis fails and the update is rolled back on its own
    let status = world.eventually_rolled_back("web", &v1, 5).await;
    assert_rollback_names_the_metric(&world, &status, "success-rate").await;
    let canary = str_at(&status, "currentPodHash");
    assert!(
        world.requests_to(canary) > 0,
        "the bad version never took traffic"
    );
    assert_no_traffic_to(&world, canary).await;
    let runs = world.runs_named(&format!("web-{canary}")).await;
    assert!(
        runs.iter().any(|(_, phase, _)| phase == "Failed"),
        "no Failed run for {canary}: {runs:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_answering_30_percent_errors_is_rolled_back_by_background_analysis() {
    let world = given_a_cluster_with_prometheus("prom-background").await;
    // Measured until the update ends: no count.
    let metric = prometheus_metric(
        "success-rate",
        &world.prometheus_address(),
        SUCCESS_RATE,
        "2s",
        json!({"initialDelay": "3s", "successCondition": "result[0] >= 0.95"}),
    );
    world.create_template("success-rate", json!([metric])).await;
    let mut background = analysis_of("success-rate", "prom-background");
    background["startingStep"] = json!(1);
    let strategy = json!({"canary": {
        "analysis": background,
        "steps": [{"setWeight": 20}, {"pause": {"duration": "1h"}}, {"setWeight": 100}],
    }});
    let v1 = given_a_deployed_rollout(&world, strategy).await;

    // When a version answering 30% errors updates it and sits in a long pause
    world.update_to("web", "0.3", "20").await;
    // Then the background analysis fails and the update is rolled back without waiting
    let status = world.eventually_rolled_back("web", &v1, 5).await;
    assert_rollback_names_the_metric(&world, &status, "success-rate").await;
    let background = &status["canary"]["currentBackgroundAnalysisRunStatus"];
    assert_eq!(
        background["status"],
        json!("Failed"),
        "background run: {background:#}"
    );
    assert_no_traffic_to(&world, str_at(&status, "currentPodHash")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_p99_latency_breach_computed_from_the_histogram_is_caught() {
    let world = given_a_cluster_with_prometheus("prom-latency").await;
    let metric = prometheus_metric(
        "p99-latency",
        &world.prometheus_address(),
        P99_LATENCY,
        "2s",
        json!({"count": 4, "initialDelay": "3s", "successCondition": "result[0] <= 0.2"}),
    );
    world.create_template("latency", json!([metric])).await;
    let v1 = given_a_deployed_rollout(&world, canary_with_step(analysis_of("latency", "prom-latency"))).await;

    // When a version with a 150 ms mean latency (p99 above 300 ms) updates it
    world.update_to("web", "0", "150").await;
    // Then the p99 SLO of 200 ms fails the analysis and the update is rolled back
    let status = world.eventually_rolled_back("web", &v1, 5).await;
    assert_rollback_names_the_metric(&world, &status, "p99-latency").await;
}

/// A blue-green Rollout with Services `web-active` (taking user traffic) and `web-preview`.
async fn given_a_blue_green(world: &World, extra: Value) -> String {
    world.create_service("web-active", "web", true).await;
    world.create_service("web-preview", "web", true).await;
    let mut strategy = json!({
        "activeService": "web-active",
        "previewService": "web-preview",
        "abortScaleDownDelaySeconds": 2,
        "scaleDownDelaySeconds": 2,
    });
    if let (Some(strategy), Some(extra)) = (strategy.as_object_mut(), extra.as_object()) {
        strategy.extend(extra.clone());
    }
    world
        .create_rollout("web", 3, json!({"blueGreen": strategy}), json!({}))
        .await;
    world.eventually_healthy("web", 3, "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_pre_promotion_analysis_keeps_a_bad_preview_from_users() {
    let world = given_a_cluster_with_prometheus("prom-pre").await;
    world
        .create_template("success-rate", json!([success_rate(&world, 3, "2s")]))
        .await;
    let extra = json!({"prePromotionAnalysis": analysis_of("success-rate", "prom-pre")});
    let blue = given_a_blue_green(&world, extra).await;

    // While a bad version is previewed, the active Service is watched all along
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let services = world.services();
        let watching = watching.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while watching.load(Ordering::SeqCst) {
                if let Ok(service) = services.get("web-active").await {
                    let selected = service
                        .spec
                        .and_then(|s| s.selector)
                        .and_then(|s| s.get("rollouts-pod-template-hash").cloned());
                    if !seen.contains(&selected) {
                        seen.push(selected);
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            seen
        })
    };
    world.update_to("web", "0.3", "20").await;
    // Then the pre-promotion analysis fails and the update is aborted
    let status = world
        .eventually("web", "aborted before promotion", |status, _| {
            status["abort"] == json!(true) && str_at(status, "phase") == "Degraded"
        })
        .await;
    let green = str_at(&status, "currentPodHash").to_string();
    assert_rollback_names_the_metric(&world, &status, "success-rate").await;
    assert!(world.requests_to(&green) > 0, "the preview never took traffic");
    // And its pods go after abortScaleDownDelaySeconds
    world
        .eventually("web", "the preview scaled down", |_, replica_sets| {
            replicas_of(replica_sets, &green).is_some_and(|(r, _)| r == 0)
                && replicas_of(replica_sets, &blue) == Some((3, 3))
        })
        .await;
    watching.store(false, Ordering::SeqCst);
    let seen = watcher.await.unwrap_or_else(|e| panic!("watcher failed: {e}"));
    // And the active Service never selected the bad version
    assert_eq!(
        seen,
        vec![Some(blue.clone())],
        "active Service selected: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_post_promotion_analysis_failure_switches_back_to_the_old_version() {
    let world = given_a_cluster_with_prometheus("prom-post").await;
    world
        .create_template("success-rate", json!([success_rate(&world, 3, "2s")]))
        .await;
    let extra = json!({"postPromotionAnalysis": analysis_of("success-rate", "prom-post"), "scaleDownDelaySeconds": 30});
    let blue = given_a_blue_green(&world, extra).await;

    // When a bad version is promoted automatically
    world.update_to("web", "0.3", "20").await;
    let status = world
        .eventually("web", "the active Service on the new version", |status, _| {
            let hash = str_at(status, "currentPodHash");
            hash != blue && status["blueGreen"]["activeSelector"] == json!(hash)
        })
        .await;
    let green = str_at(&status, "currentPodHash").to_string();
    // Then post-promotion analysis fails and active is switched back to the old version
    let status = world
        .eventually("web", "aborted after promotion", |status, _| {
            status["abort"] == json!(true) && str_at(status, "phase") == "Degraded"
        })
        .await;
    assert_rollback_names_the_metric(&world, &status, "success-rate").await;
    let deadline = tokio::time::Instant::now() + prometheus_world::TIMEOUT;
    while world.selected_hash("web-active").await.as_deref() != Some(blue.as_str()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "web-active never switched back to {blue}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(str_at(&world.status("web").await, "stableRS"), blue);
    assert!(
        world.requests_to(&green) > 0,
        "the promoted version never took traffic"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stopping_mid_analysis_aborts_after_the_error_limit_and_never_promotes() {
    let mut world = given_a_cluster_with_prometheus("prom-gone").await;
    let metric = prometheus_metric(
        "success-rate",
        &world.prometheus_address(),
        SUCCESS_RATE,
        "1s",
        // The first measurement waits until the canary has taken traffic for a whole rate
        // window: with only two errors allowed, a busy machine's late scrapes must not count.
        json!({"count": 60, "initialDelay": "10s", "consecutiveErrorLimit": 2,
               "successCondition": "result[0] >= 0.95"}),
    );
    world.create_template("success-rate", json!([metric])).await;
    let v1 =
        given_a_deployed_rollout(&world, canary_with_step(analysis_of("success-rate", "prom-gone"))).await;

    // When a good version is being analysed and Prometheus stops
    world.update_to("web", "0", "25").await;
    let running = world
        .eventually("web", "the analysis measuring", |status, _| {
            status["canary"]["currentStepAnalysisRunStatus"]["status"] == json!("Running")
        })
        .await;
    let run = running["canary"]["currentStepAnalysisRunStatus"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let deadline = tokio::time::Instant::now() + prometheus_world::TIMEOUT;
    loop {
        let status = world.runs().get(&run).await.ok().and_then(|r| r.status);
        let measured = status.as_ref().is_some_and(|s| {
            s.metric_results
                .iter()
                .flatten()
                .any(|m| m.successful.unwrap_or(0) > 0)
        });
        if measured {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no successful measurement of {run}: {status:#?}\nruns: {:#?}",
            world.run_phases().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    world.prometheus.stop();
    // Then measurements turn Error and the rollout aborts after consecutiveErrorLimit
    let status = world.eventually_rolled_back("web", &v1, 5).await;
    let live = world
        .runs()
        .get(&run)
        .await
        .unwrap_or_else(|e| panic!("run {run} gone: {e}"));
    let live = live.status.unwrap_or_default();
    assert_eq!(
        live.phase.map(|p| format!("{p:?}")).as_deref(),
        Some("Error"),
        "{live:#?}"
    );
    let result = &live.metric_results.unwrap_or_default()[0];
    assert_eq!(result.consecutive_error, Some(3), "{result:#?}");
    let message = str_at(&status, "message");
    assert!(message.contains("success-rate"), "message: {message}");
    // And it never promotes: the new version never became stable
    assert_eq!(str_at(&status, "stableRS"), v1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inconclusive_result_pauses_the_rollout_until_it_is_promoted() {
    let world = given_a_cluster_with_prometheus("prom-unsure").await;
    // A success rate between 85% and 99.5% is neither good nor bad. The first measurement
    // waits until the canary has taken traffic for a whole 10 s rate window (~400 requests):
    // a window of its first few requests can read 5% errors as 20%.
    let metric = prometheus_metric(
        "success-rate",
        &world.prometheus_address(),
        SUCCESS_RATE,
        "1s",
        json!({"count": 2, "initialDelay": "12s",
               "successCondition": "result[0] >= 0.995", "failureCondition": "result[0] < 0.85"}),
    );
    world.create_template("success-rate", json!([metric])).await;
    let v1 = given_a_deployed_rollout(
        &world,
        canary_with_step(analysis_of("success-rate", "prom-unsure")),
    )
    .await;

    // When a version answering 5% errors updates it
    world.update_to("web", "0.05", "20").await;
    // Then the analysis is inconclusive and the rollout pauses for a human
    let status = world
        .eventually("web", "paused: InconclusiveAnalysisRun", |status, _| {
            status["pauseConditions"][0]["reason"] == json!("InconclusiveAnalysisRun")
                && status["controllerPause"] == json!(true)
        })
        .await;
    assert_eq!(str_at(&status, "phase"), "Paused");
    assert_eq!(str_at(&status, "stableRS"), v1);
    // When a human promotes it, the update goes on to the end
    world.promote("web").await;
    world.eventually_healthy("web", 5, &v1).await;
}

/// A loopback endpoint answering `{"ok": <verdict>}`; stopped when dropped.
struct Verdict {
    url: String,
    task: JoinHandle<()>,
}

impl Verdict {
    async fn start(ok: bool) -> Verdict {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("no loopback port: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no address: {e}"));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = json!({"ok": ok, "errors": if ok { 0 } else { 12 }}).to_string();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    let _ = stream.read(&mut buffer).await;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Verdict {
            url: format!("http://{address}/verdict"),
            task,
        }
    }
}

impl Drop for Verdict {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_metric_and_a_job_metric_each_decide_a_rollout() {
    let world = given_a_cluster_with_prometheus("prom-providers").await;
    let verdict = Verdict::start(false).await;
    let web = json!({
        "name": "error-budget",
        "successCondition": "result.errors == 0",
        "provider": {"web": {"url": verdict.url, "jsonPath": "{$}"}},
    });
    world.create_template("web-check", json!([web])).await;
    let job_spec = |result: &str| {
        json!({
            "name": "smoke-test",
            "provider": {"job": {"spec": {"backoffLimit": 0, "template": {
                "metadata": {"annotations": {"sim.linnet.dev/job-result": result,
                                             "sim.linnet.dev/ready-after": "0.5"}},
                "spec": {"restartPolicy": "Never",
                         "containers": [{"name": "smoke", "image": "smoke:1"}]},
            }}}},
        })
    };
    world
        .create_template("job-passes", json!([job_spec("succeeded")]))
        .await;
    world
        .create_template("job-fails", json!([job_spec("failed")]))
        .await;
    let strategy = json!({"canary": {"steps": [
        {"setWeight": 20},
        {"analysis": analysis_of("job-passes", "prom-providers")},
        {"analysis": analysis_of("web-check", "prom-providers")},
        {"setWeight": 100},
    ]}});
    let v1 = given_a_deployed_rollout(&world, strategy).await;

    // When a version updates it: the Job passes, then the web metric reports errors
    world.update_to("web", "0", "22").await;
    // Then the web metric rolls it back after the Job step passed
    let status = world.eventually_rolled_back("web", &v1, 5).await;
    let message = str_at(&status, "message");
    assert!(message.contains("error-budget"), "message: {message}");
    let canary = str_at(&status, "currentPodHash").to_string();
    let runs = world.runs_named(&format!("web-{canary}")).await;
    assert!(
        runs.iter()
            .any(|(name, phase, _)| name.ends_with("-1") && phase == "Successful"),
        "the Job step did not pass: {runs:#?}"
    );

    // When the Job step runs a failing Job instead
    world
        .patch_spec(
            "web",
            json!({"spec": {"strategy": {"canary": {"steps": [
                {"setWeight": 20},
                {"analysis": analysis_of("job-fails", "prom-providers")},
                {"setWeight": 100},
            ]}}}}),
        )
        .await;
    world.update_to("web", "0", "25").await;
    // Then the Job decides: the update is rolled back
    let status = world
        .eventually("web", "a second update rolled back", |status, replica_sets| {
            let hash = str_at(status, "currentPodHash");
            hash != canary
                && status["abort"] == json!(true)
                && str_at(status, "stableRS") == v1
                && replicas_of(replica_sets, hash).is_some_and(|(r, _)| r == 0)
        })
        .await;
    let message = str_at(&status, "message");
    assert!(message.contains("smoke-test"), "message: {message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_history_is_limited_runs_carry_the_gate_options_and_expire_by_their_ttl() {
    let world = given_a_cluster_with_prometheus("prom-history").await;
    let verdict = Verdict::start(true).await;
    let web = json!({
        "name": "error-budget",
        "successCondition": "result.errors == 0",
        "provider": {"web": {"url": verdict.url, "jsonPath": "{$}"}},
    });
    world.create_template("web-check", json!([web])).await;
    let mut analysis = analysis_of("web-check", "prom-history");
    analysis["dryRun"] = json!([{"metricName": "error-budget"}]);
    analysis["measurementRetention"] = json!([{"metricName": "error-budget", "limit": 2}]);
    analysis["analysisRunMetadata"] = json!({"labels": {"team": "shop"}, "annotations": {"note": "canary"}});
    world.create_service("web", "web", true).await;
    world
        .create_rollout(
            "web",
            5,
            canary_with_step(analysis),
            json!({"analysis": {"successfulRunHistoryLimit": 1, "unsuccessfulRunHistoryLimit": 1}}),
        )
        .await;
    let mut stable = world.eventually_healthy("web", 5, "").await;

    // When three updates each pass their analysis
    let mut versions = Vec::new();
    for latency in ["21", "22", "23"] {
        world.update_to("web", "0", latency).await;
        stable = world.eventually_healthy("web", 5, &stable).await;
        versions.push(stable.clone());
    }
    // Then, no gate naming a run any more, only the newest successful run is kept
    let deadline = tokio::time::Instant::now() + prometheus_world::TIMEOUT;
    loop {
        let names: Vec<String> = world.run_phases().await.into_iter().map(|(n, _, _)| n).collect();
        let of = |hash: &str| names.iter().any(|n| n.starts_with(&format!("web-{hash}-")));
        if of(&versions[2]) && names.len() == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "runs kept: {names:?}, versions {versions:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And the runs carry the gate's metadata, dry run and retention
    let runs = world
        .runs()
        .list(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("cannot list runs: {e}"));
    let run = runs
        .items
        .iter()
        .find(|r| {
            r.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.contains(&versions[2]))
        })
        .unwrap_or_else(|| panic!("no run of {}", versions[2]));
    let labels = run.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("shop"));
    let annotations = run.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(annotations.get("note").map(String::as_str), Some("canary"));
    let spec = serde_json::to_value(&run.spec).unwrap_or_default();
    assert_eq!(spec["dryRun"], json!([{"metricName": "error-budget"}]));
    assert_eq!(
        spec["measurementRetention"],
        json!([{"metricName": "error-budget", "limit": 2}])
    );
    // And each run's completion was recorded as an Event
    let events = world.events().await;
    let successful = events
        .iter()
        .filter(|(reason, _)| reason == "AnalysisRunSuccessful")
        .count();
    assert!(successful >= 3, "AnalysisRunSuccessful Events: {events:#?}");

    // When a run with a ttlStrategy completes
    let ttl_run: linnet_crds::analysis::AnalysisRun = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": "short-lived", "namespace": "prom-history"},
        "spec": {
            "ttlStrategy": {"secondsAfterSuccess": 2, "secondsAfterCompletion": 600},
            "metrics": [{"name": "once", "successCondition": "result.errors == 0",
                         "provider": {"web": {"url": verdict.url, "jsonPath": "{$}"}}}],
        },
    }))
    .unwrap_or_else(|e| panic!("bad run: {e}"));
    world
        .runs()
        .create(&Default::default(), &ttl_run)
        .await
        .unwrap_or_else(|e| panic!("cannot create run: {e}"));
    // Then it is Successful, and gone once secondsAfterSuccess has passed
    let mut completed_at = None;
    let deadline = tokio::time::Instant::now() + prometheus_world::TIMEOUT;
    loop {
        match world.runs().get_opt("short-lived").await {
            Ok(Some(run)) => {
                let status = run.status.unwrap_or_default();
                if status.phase.is_some_and(|p| p.is_completed()) && completed_at.is_none() {
                    completed_at = Some(tokio::time::Instant::now());
                }
            }
            Ok(None) => break,
            Err(error) => panic!("cannot read run: {error}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run was never deleted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let completed_at = completed_at.unwrap_or_else(|| panic!("the run was deleted before it completed"));
    let kept = completed_at.elapsed();
    assert!(
        kept >= Duration::from_millis(900) && kept < Duration::from_secs(5),
        "deleted {kept:?} after completing, ttl 2 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_canary_loses_its_traffic_at_once_and_its_pods_after_the_abort_delay() {
    let world = given_a_cluster_with_prometheus("prom-routed").await;
    world
        .create_template("success-rate", json!([success_rate(&world, 4, "2s")]))
        .await;
    world.create_service("web-stable", "web", false).await;
    world.create_service("web-canary", "web", false).await;
    let ingress: k8s_openapi::api::networking::v1::Ingress = serde_json::from_value(json!({
        "metadata": {"name": "web-ingress", "annotations": {"sim.linnet.dev/rps": "200"}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "web.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web-stable", "port": {"number": 80}}}}
        ]}}]}
    }))
    .unwrap_or_else(|e| panic!("bad Ingress: {e}"));
    kube::Api::<k8s_openapi::api::networking::v1::Ingress>::namespaced(world.client.clone(), "prom-routed")
        .create(&Default::default(), &ingress)
        .await
        .unwrap_or_else(|e| panic!("cannot create the Ingress: {e}"));
    let strategy = json!({"canary": {
        "canaryService": "web-canary",
        "stableService": "web-stable",
        "trafficRouting": {"nginx": {"stableIngress": "web-ingress"}},
        "abortScaleDownDelaySeconds": 4,
        "steps": [
            {"setWeight": 20},
            {"analysis": analysis_of("success-rate", "prom-routed")},
            {"setWeight": 100},
        ],
    }});
    world.create_rollout("web", 5, strategy, json!({})).await;
    let v1 = world.eventually_healthy("web", 5, "").await;

    // When a version answering 30% errors takes its 20% through the canary Ingress
    world.update_to("web", "0.3", "20").await;
    // Then the analysis aborts the update: stable keeps its 5 pods and every request
    let status = world
        .eventually("web", "aborted by the analysis", |status, replica_sets| {
            status["abort"] == json!(true)
                && str_at(status, "phase") == "Degraded"
                && str_at(status, "stableRS") == v1
                && replicas_of(replica_sets, &v1) == Some((5, 5))
        })
        .await;
    let aborted_at = tokio::time::Instant::now();
    let canary = str_at(&status, "currentPodHash").to_string();
    assert_rollback_names_the_metric(&world, &status, "success-rate").await;
    assert!(world.requests_to(&canary) > 0, "the canary never took traffic");
    // And the canary takes no more requests while its pods are kept for the abort delay
    let replica_sets = world.replica_sets().await;
    assert!(
        replicas_of(&replica_sets, &canary).is_some_and(|(r, _)| r > 0),
        "canary scaled down before abortScaleDownDelaySeconds: {replica_sets:?}"
    );
    assert_no_traffic_to(&world, &canary).await;
    // And its pods go once abortScaleDownDelaySeconds has passed
    world
        .eventually("web", "the canary scaled down", |_, replica_sets| {
            replicas_of(replica_sets, &canary).is_some_and(|(r, _)| r == 0)
        })
        .await;
    let waited = aborted_at.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "canary scaled down {waited:?} after the abort was seen, delay 4 s"
    );
}
