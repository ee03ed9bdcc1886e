//! kube-runtime against the sim: a Controller over a CRD that reconciles, relists after the
//! watch history expired, survives dropped watches and injected errors; and the finalizer helper.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{Event, finalizer};
use kube::runtime::watcher;
use linnet_sim::Faults;
use serde_json::{Value, json};

fn widget_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("demo.example.io", "v1", "Widget"),
        "widgets",
    )
}

fn widget(name: &str, colour: &str) -> Value {
    json!({"apiVersion": "demo.example.io/v1", "kind": "Widget", "metadata": {"name": name},
        "spec": {"replicas": 1, "colour": colour}})
}

/// Aborts a spawned task when the test ends, passed or failed.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Writes `status.phase = Ready-<colour>` for every widget.
async fn reconcile(obj: Arc<DynamicObject>, api: Arc<Api<DynamicObject>>) -> Result<Action, kube::Error> {
    let colour = obj.data["spec"]["colour"].as_str().unwrap_or("none").to_string();
    let name = obj.metadata.name.clone().unwrap_or_default();
    let status = Patch::Merge(json!({"status": {"phase": format!("Ready-{colour}")}}));
    api.patch_status(&name, &PatchParams::default(), &status).await?;
    Ok(Action::await_change())
}

fn error_policy(_obj: Arc<DynamicObject>, _error: &kube::Error, _api: Arc<Api<DynamicObject>>) -> Action {
    Action::requeue(Duration::from_millis(100))
}

fn start_controller(api: Api<DynamicObject>) -> AbortOnDrop {
    let shared = Arc::new(api.clone());
    let controller = Controller::new_with(api, watcher::Config::default(), widget_resource())
        .run(reconcile, error_policy, shared)
        .for_each(|_| async {});
    AbortOnDrop(tokio::spawn(controller))
}

async fn wait_for_phase(t: &common::TestSim, name: &str, phase: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let current = t.sim.get("demo.example.io", "widgets", "rt", name);
        if current.as_ref().is_some_and(|w| w["status"]["phase"] == phase) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never reached {phase}: {current:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_reconciles_and_relists_after_history_expired() {
    let t = common::start().await;
    t.namespace("rt").await;
    t.widget_crd().await;
    let api: Api<DynamicObject> = Api::namespaced_with(t.client.clone(), "rt", &widget_resource());
    let _controller = start_controller(api.clone());

    t.post(
        "/apis/demo.example.io/v1/namespaces/rt/widgets",
        widget("w1", "red"),
    )
    .await;
    wait_for_phase(&t, "w1", "Ready-red").await;

    // Move the revision past what the widget watch has seen, forget the history, and cut the
    // watch: its resume must get 410 and the controller must relist.
    t.post(
        "/api/v1/namespaces/rt/configmaps",
        common::configmap("rt", "bump", json!({})),
    )
    .await;
    t.sim.compact_history();
    t.sim.clear_requests();
    t.sim.set_faults(Faults {
        drop_watches_after_secs: Some(1),
        ..Faults::default()
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    t.sim.set_faults(Faults::default());

    t.post(
        "/apis/demo.example.io/v1/namespaces/rt/widgets",
        widget("w2", "blue"),
    )
    .await;
    wait_for_phase(&t, "w2", "Ready-blue").await;

    let widget_requests: Vec<_> = t
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/widgets"))
        .collect();
    let relisted = widget_requests.iter().any(|r| !r.query.contains("watch=true"));
    assert!(
        relisted,
        "expected a relist after the expired resume: {widget_requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_keeps_reconciling_while_its_watches_are_dropped() {
    let t = common::start().await;
    t.namespace("rt").await;
    t.widget_crd().await;
    t.sim.set_faults(Faults {
        drop_watches_after_secs: Some(1),
        ..Faults::default()
    });
    let api: Api<DynamicObject> = Api::namespaced_with(t.client.clone(), "rt", &widget_resource());
    let _controller = start_controller(api);
    for (i, colour) in ["red", "green", "blue"].iter().enumerate() {
        // Each widget arrives after the previous watch was cut.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        t.post(
            "/apis/demo.example.io/v1/namespaces/rt/widgets",
            widget(&format!("d{i}"), colour),
        )
        .await;
        wait_for_phase(&t, &format!("d{i}"), &format!("Ready-{colour}")).await;
    }
    let watches = t
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/widgets") && r.query.contains("watch=true"))
        .count();
    assert!(
        watches >= 3,
        "the controller re-watched after each drop: {watches} watch requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_converges_despite_injected_errors_and_throttling() {
    let t = common::start_with(linnet_sim::SimOptions {
        seed: Some(42),
        ..Default::default()
    })
    .await;
    t.namespace("rt").await;
    t.widget_crd().await;
    for (i, colour) in ["red", "green", "blue"].iter().enumerate() {
        t.post(
            "/apis/demo.example.io/v1/namespaces/rt/widgets",
            widget(&format!("w{i}"), colour),
        )
        .await;
    }
    t.sim.set_faults(Faults {
        error_rate: 0.25,
        throttle_rate: 0.25,
        latency_ms: 5,
        ..Faults::default()
    });
    let api: Api<DynamicObject> = Api::namespaced_with(t.client.clone(), "rt", &widget_resource());
    let _controller = start_controller(api);
    for (i, colour) in ["red", "green", "blue"].iter().enumerate() {
        wait_for_phase(&t, &format!("w{i}"), &format!("Ready-{colour}")).await;
    }
    let statuses: Vec<u16> = t.sim.requests().iter().map(|r| r.status).collect();
    assert!(
        statuses.iter().any(|s| *s == 500 || *s == 429),
        "faults were injected: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizer_helper_adds_and_removes_its_finalizer() {
    let t = common::start().await;
    t.namespace("rt").await;
    t.widget_crd().await;
    let api: Api<DynamicObject> = Api::namespaced_with(t.client.clone(), "rt", &widget_resource());
    t.post(
        "/apis/demo.example.io/v1/namespaces/rt/widgets",
        widget("fin", "red"),
    )
    .await;
    const NAME: &str = "demo.example.io/cleanup";
    let run = |obj: DynamicObject| {
        let api = api.clone();
        async move {
            finalizer(&api, NAME, Arc::new(obj), |event| async move {
                match event {
                    Event::Apply(_) => Ok::<_, kube::Error>(Action::await_change()),
                    Event::Cleanup(_) => Ok(Action::await_change()),
                }
            })
            .await
        }
    };
    let fetch = || async { api.get("fin").await.unwrap_or_else(|e| panic!("get: {e}")) };

    run(fetch().await)
        .await
        .unwrap_or_else(|e| panic!("adding the finalizer: {e}"));
    assert_eq!(fetch().await.metadata.finalizers, Some(vec![NAME.to_string()]));
    run(fetch().await)
        .await
        .unwrap_or_else(|e| panic!("apply with the finalizer: {e}"));

    let deleted = api
        .delete("fin", &DeleteParams::default())
        .await
        .unwrap_or_else(|e| panic!("delete: {e}"));
    assert!(deleted.is_left(), "held by the finalizer");
    let deleting = fetch().await;
    assert!(deleting.metadata.deletion_timestamp.is_some());
    run(deleting).await.unwrap_or_else(|e| panic!("cleanup: {e}"));
    assert!(
        api.get_opt("fin").await.is_ok_and(|o| o.is_none()),
        "gone once the finalizer was removed"
    );
}
