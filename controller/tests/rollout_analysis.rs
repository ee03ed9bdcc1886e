//! A canary Rollout with an analysis step against the sim, its simulated cluster and the
//! controller: the step creates an AnalysisRun owned by the Rollout; a run that succeeds lets
//! the update finish, a run that fails aborts the update on its own (automatic rollback).
//!
//! The metric is a `web` metric against a loopback endpoint the test runs, which answers
//! `{"ok": true}` or `{"ok": false}` as the test decides.

mod analysis_run_support;
mod rollout_world;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use analysis_run_support::{Cluster, NAMESPACE};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use linnet_controller::run::{ControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::analysis::{AnalysisRun, AnalysisTemplate};
use linnet_crds::rollout::Rollout;
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};
use rollout_world::{replica_sets_in, replicas_of, str_at};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A loopback endpoint answering `{"ok": <verdict>}`; stopped when dropped.
struct Verdict {
    url: String,
    ok: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Verdict {
    async fn start() -> Verdict {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("no loopback port: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no address: {e}"));
        let ok = Arc::new(AtomicBool::new(true));
        let shared = ok.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = json!({"ok": shared.load(Ordering::SeqCst)}).to_string();
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
            ok,
            task,
        }
    }

    fn answer(&self, ok: bool) {
        self.ok.store(ok, Ordering::SeqCst);
    }
}

impl Drop for Verdict {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The sim with the Rollout and analysis CRDs, the simulated cluster and the controller,
/// stopped on drop even when a test fails.
struct World {
    cluster: Cluster,
    controller: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _nodes: ClusterHandle,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.controller.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// Given the sim with the CRDs, the simulated cluster and the controller over [`NAMESPACE`].
async fn given_a_cluster_with_the_controller() -> World {
    let cluster = Cluster::start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client.clone());
    for kind in [
        Kind::Rollout,
        Kind::AnalysisTemplate,
        Kind::ClusterAnalysisTemplate,
    ] {
        crds.create(&PostParams::default(), &kind.crd())
            .await
            .unwrap_or_else(|e| panic!("cannot install the {kind:?} CRD: {e}"));
    }
    let templates: Api<AnalysisTemplate> = Api::namespaced(cluster.client.clone(), NAMESPACE);
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while templates.list(&ListParams::default()).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "AnalysisTemplates never became listable"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let nodes = start_cluster(&cluster.sim.url(), ClusterOptions::default())
        .await
        .unwrap_or_else(|e| panic!("simulated cluster did not start: {e}"));
    let (stop, stopped) = oneshot::channel::<()>();
    let opts = ControllerOptions {
        namespace: Some(NAMESPACE.to_string()),
        instance_id: None,
    };
    let client = cluster.client.clone();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(error) = run_until(client, opts, shutdown).await {
            panic!("controller failed: {error}");
        }
    });
    World {
        cluster,
        controller: Some((stop, task)),
        _nodes: nodes,
    }
}

impl World {
    fn client(&self) -> Client {
        self.cluster.client.clone()
    }

    fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client(), NAMESPACE)
    }

    async fn create_template(&self, url: &str) {
        let template: AnalysisTemplate = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisTemplate",
            "metadata": {"name": "check", "namespace": NAMESPACE},
            "spec": {"metrics": [{
                "name": "ok",
                "successCondition": "result == true",
                "provider": {"web": {"url": url, "jsonPath": "{$.ok}"}},
            }]},
        }))
        .unwrap_or_else(|e| panic!("bad AnalysisTemplate: {e}"));
        Api::<AnalysisTemplate>::namespaced(self.client(), NAMESPACE)
            .create(&PostParams::default(), &template)
            .await
            .unwrap_or_else(|e| panic!("cannot create AnalysisTemplate check: {e}"));
    }

    async fn create_rollout(&self, name: &str, image: &str) {
        let rollout: Rollout = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {
                "replicas": 5,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "web", "image": image}]},
                },
                "strategy": {"canary": {"steps": [
                    {"setWeight": 20},
                    {"analysis": {"templates": [{"templateName": "check"}]}},
                    {"setWeight": 100},
                ]}},
            },
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"));
        self.rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .unwrap_or_else(|e| panic!("cannot create Rollout: {e}"));
    }

    async fn set_image(&self, name: &str, image: &str) {
        let patch =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}});
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot patch Rollout {name}: {e}"));
    }

    /// The ReplicaSets in the test's namespace as (hash, spec.replicas, ready replicas).
    async fn replica_sets(&self) -> Vec<(String, i32, i32)> {
        replica_sets_in(self.client(), NAMESPACE).await
    }

    /// Polls until `check` holds for the Rollout's status and ReplicaSets, or fails after
    /// [`TIMEOUT`] showing what was last seen.
    async fn eventually(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&Value, &[(String, i32, i32)]) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let status = match self.rollouts().get(name).await {
                Ok(rollout) => serde_json::to_value(&rollout.status).unwrap_or(Value::Null),
                Err(error) => json!({"error": error.to_string()}),
            };
            let replica_sets = self.replica_sets().await;
            if check(&status, &replica_sets) {
                return status;
            }
            let runs = self.run_phases().await;
            assert!(
                tokio::time::Instant::now() < deadline,
                "Rollout {name} never got to: {what}\nlast status: {status:#}\nReplicaSets (hash, replicas, ready): {replica_sets:?}\nAnalysisRuns (name, phase, owners): {runs:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every AnalysisRun as (name, phase, owner kind/name, pod-template-hash label).
    async fn run_phases(&self) -> Vec<(String, String, Vec<String>, String)> {
        let list = self
            .cluster
            .runs()
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("cannot list AnalysisRuns: {e}"));
        list.items.iter().map(describe_run).collect()
    }

    /// The AnalysisRuns whose controller owner is the Rollout `name`.
    async fn owned_runs(&self, name: &str) -> Vec<AnalysisRun> {
        let uid = self
            .rollouts()
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("cannot get Rollout {name}: {e}"))
            .uid()
            .unwrap_or_default();
        let list = self
            .cluster
            .runs()
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("cannot list AnalysisRuns: {e}"));
        list.items
            .into_iter()
            .filter(|run| {
                run.owner_references()
                    .iter()
                    .any(|o| o.uid == uid && o.kind == "Rollout" && o.controller == Some(true))
            })
            .collect()
    }
}

fn describe_run(run: &AnalysisRun) -> (String, String, Vec<String>, String) {
    let phase = run
        .status
        .as_ref()
        .and_then(|s| s.phase)
        .map(|p| format!("{p:?}"))
        .unwrap_or_default();
    let owners = run
        .owner_references()
        .iter()
        .map(|o| format!("{}/{}", o.kind, o.name))
        .collect();
    let hash = run
        .labels()
        .get("rollouts-pod-template-hash")
        .cloned()
        .unwrap_or_default();
    (run.name_any(), phase, owners, hash)
}

/// The runs' (hash label, phase) pairs.
fn phases(runs: &[AnalysisRun]) -> Vec<(String, String)> {
    runs.iter()
        .map(|run| {
            let (_, phase, _, hash) = describe_run(run);
            (hash, phase)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_analysis_step_lets_the_update_finish_and_a_failed_one_aborts_it() {
    let world = given_a_cluster_with_the_controller().await;
    let verdict = Verdict::start().await;
    world.create_template(&verdict.url).await;

    // Given a canary Rollout with an analysis step, deployed and Healthy
    world.create_rollout("web", "nginx:1.0").await;
    let first = world
        .eventually(
            "web",
            "Healthy on its first ReplicaSet",
            |status, replica_sets| {
                let hash = str_at(status, "currentPodHash");
                str_at(status, "phase") == "Healthy"
                    && !hash.is_empty()
                    && str_at(status, "stableRS") == hash
                    && replicas_of(replica_sets, hash) == Some((5, 5))
            },
        )
        .await;
    let v1 = str_at(&first, "currentPodHash").to_string();

    // When the image changes and the endpoint answers ok
    verdict.answer(true);
    world.set_image("web", "nginx:2.0").await;
    // Then the Rollout ends Healthy on the new hash after a Successful run it owns
    let second = world
        .eventually("web", "Healthy on the second hash", |status, replica_sets| {
            let hash = str_at(status, "currentPodHash");
            str_at(status, "phase") == "Healthy"
                && hash != v1
                && str_at(status, "stableRS") == hash
                && replicas_of(replica_sets, hash) == Some((5, 5))
        })
        .await;
    let v2 = str_at(&second, "currentPodHash").to_string();
    let runs = phases(&world.owned_runs("web").await);
    assert!(
        runs.contains(&(v2.clone(), "Successful".to_string())),
        "no Successful AnalysisRun owned by the Rollout for {v2}: {runs:?}"
    );

    // When the image changes again and the endpoint answers not ok
    verdict.answer(false);
    world.set_image("web", "nginx:3.0").await;
    // Then the run fails and the Rollout aborts on its own: Degraded, the stable ReplicaSet
    // keeps its replicas and the canary is scaled to 0
    let aborted = world
        .eventually(
            "web",
            "aborted: Degraded with RolloutAborted, stable at 5, canary at 0",
            |status, replica_sets| {
                let hash = str_at(status, "currentPodHash");
                status["abort"] == json!(true)
                    && str_at(status, "phase") == "Degraded"
                    && str_at(status, "message").starts_with("RolloutAborted")
                    && hash != v2
                    && str_at(status, "stableRS") == v2
                    && replicas_of(replica_sets, &v2) == Some((5, 5))
                    && replicas_of(replica_sets, hash).is_some_and(|(replicas, _)| replicas == 0)
            },
        )
        .await;
    let v3 = str_at(&aborted, "currentPodHash").to_string();
    let runs = phases(&world.owned_runs("web").await);
    assert!(
        runs.contains(&(v3.clone(), "Failed".to_string())),
        "no Failed AnalysisRun owned by the Rollout for {v3}: {runs:?}"
    );
}
