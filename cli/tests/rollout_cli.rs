//! `linnet rollout` end to end: the sim with its simulated cluster and the Rollout controller
//! run in-process, and the `linnet` binary drives a canary Rollout as a user would, through
//! set image, status, get, list, pause, promote, abort, retry, undo and restart. Each test has
//! its own sim, namespace and controller, stopped on drop even when it fails; every `linnet`
//! process is killed on drop.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use linnet_controller::run::{ControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::rollout::Rollout;
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};
use linnet_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A sim, its simulated cluster and the controller for one namespace, stopped on drop.
struct World {
    client: Client,
    namespace: String,
    kubeconfig: PathBuf,
    controller: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _cluster: ClusterHandle,
    sim: SimHandle,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.controller.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// Given a sim with the Rollout CRD, the simulated cluster, `namespace` and the controller.
async fn given_a_cluster_with_the_controller(namespace: &str) -> World {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    let client = Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"));
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Kind::Rollout.crd())
        .await
        .unwrap_or_else(|e| panic!("cannot install the Rollout CRD: {e}"));
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {namespace}: {e}"));
    let cluster = start_cluster(&sim.url(), ClusterOptions::default())
        .await
        .unwrap_or_else(|e| panic!("simulated cluster did not start: {e}"));
    let (stop, stopped) = oneshot::channel::<()>();
    let opts = ControllerOptions {
        namespace: Some(namespace.to_string()),
        instance_id: None,
    };
    let controller_client = client.clone();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(error) = run_until(controller_client, opts, shutdown).await {
            panic!("controller failed: {error}");
        }
    });
    World {
        client,
        namespace: namespace.to_string(),
        kubeconfig: sim.kubeconfig_path().to_path_buf(),
        controller: Some((stop, task)),
        _cluster: cluster,
        sim,
    }
}

/// What one `linnet` run printed and how it ended.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn succeeded(self, what: &str) -> Run {
        assert_eq!(self.code, Some(0), "`linnet rollout {what}` failed: {self:#?}");
        self
    }
    fn failed(self, what: &str) -> Run {
        assert_eq!(
            self.code,
            Some(1),
            "`linnet rollout {what}` did not exit 1: {self:#?}"
        );
        self
    }
}

impl World {
    /// Runs `linnet rollout ARGS -n NS` with the sim's kubeconfig in `KUBECONFIG`, killed if
    /// it outlives [`TIMEOUT`] or the test.
    async fn linnet(&self, args: &str) -> Run {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_linnet"));
        command
            .arg("rollout")
            .args(args.split_whitespace())
            .args(["-n", &self.namespace])
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(TIMEOUT, command.output())
            .await
            .unwrap_or_else(|_| panic!("`linnet rollout {args}` ran longer than {TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("cannot run linnet: {e}"));
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    async fn create(&self, manifest: Value) {
        let rollout: Rollout =
            serde_json::from_value(manifest).unwrap_or_else(|e| panic!("bad Rollout: {e}"));
        self.rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .unwrap_or_else(|e| panic!("cannot create Rollout: {e}"));
    }

    /// The Rollout as JSON (spec and status), or the error reading it.
    async fn read(&self, name: &str) -> Value {
        match self.rollouts().get(name).await {
            Ok(rollout) => serde_json::to_value(&rollout).unwrap_or(Value::Null),
            Err(error) => json!({"error": error.to_string()}),
        }
    }

    /// Polls until `check` holds for the Rollout, or fails after [`TIMEOUT`] showing it.
    async fn eventually(&self, name: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let rollout = self.read(name).await;
            if check(&rollout) {
                return rollout;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Rollout {name} never got to: {what}\nlast seen: {:#}",
                rollout["status"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls `linnet rollout status NAME` until it prints `expected`.
    async fn eventually_status_prints(&self, name: &str, expected: &str) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let run = self.linnet(&format!("status {name}")).await.succeeded("status");
            if run.stdout.trim() == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "`linnet rollout status {name}` never printed {expected:?}; last: {run:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn pods(&self) -> Vec<Pod> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = pods
            .list(&ListParams::default().labels("app=web"))
            .await
            .unwrap_or_else(|e| panic!("cannot list pods: {e}"));
        list.items
            .into_iter()
            .filter(|pod| pod.metadata.deletion_timestamp.is_none())
            .collect()
    }
}

fn status_str<'a>(rollout: &'a Value, field: &str) -> &'a str {
    rollout["status"][field].as_str().unwrap_or("")
}

fn phase(rollout: &Value) -> &str {
    status_str(rollout, "phase")
}

fn image(rollout: &Value) -> &str {
    rollout["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or("")
}

/// A canary of `replicas` pods named `web`, its container `web` on `image`.
fn canary(image: &str, replicas: i32, steps: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            "strategy": {"canary": {"maxSurge": 1, "maxUnavailable": 1, "steps": steps}},
        },
    })
}

fn steps_with_two_pauses() -> Value {
    json!([{"setWeight": 25}, {"pause": {}}, {"setWeight": 75}, {"pause": {}}])
}

/// Given `web` deployed on nginx:1.0 and Healthy; when `linnet rollout set image` changes it
/// to nginx:2.0, then it pauses at its first pause step. Returns (stable hash, canary hash).
async fn given_an_update_paused_at_the_first_pause(world: &World) -> (String, String) {
    world
        .create(canary("nginx:1.0", 4, steps_with_two_pauses()))
        .await;
    let deployed = world
        .eventually("web", "Healthy on its first ReplicaSet", |r| {
            phase(r) == "Healthy" && !status_str(r, "stableRS").is_empty()
        })
        .await;
    let stable = status_str(&deployed, "stableRS").to_string();
    world
        .linnet("set image web web=nginx:2.0")
        .await
        .succeeded("set image");
    let paused = world
        .eventually("web", "Paused at step 1 with CanaryPauseStep", |r| {
            phase(r) == "Paused"
                && r["status"]["currentStepIndex"] == json!(1)
                && r["status"]["pauseConditions"][0]["reason"] == json!("CanaryPauseStep")
        })
        .await;
    assert_eq!(image(&paused), "nginx:2.0");
    let canary = status_str(&paused, "currentPodHash").to_string();
    assert_ne!(canary, stable, "set image made no new pod template");
    (stable, canary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_pauses_at_the_step_and_pause_then_promote_carry_it_on_to_healthy() {
    let world = given_a_cluster_with_the_controller("cli-promote").await;
    let (stable, canary) = given_an_update_paused_at_the_first_pause(&world).await;

    // Then status, get and list show where it stands
    world
        .eventually_status_prints("web", "Paused - CanaryPauseStep")
        .await;
    let get = world.linnet("get web").await.succeeded("get").stdout;
    for expected in [
        "Status:       Paused - CanaryPauseStep".to_string(),
        "Strategy:     Canary".to_string(),
        "Step:         1/4".to_string(),
        "SetWeight:    25".to_string(),
        format!("Stable:       {stable}"),
        format!("Canary:       {canary}"),
        format!("web-{canary}"),
        format!("web-{stable}"),
    ] {
        assert!(get.contains(&expected), "get lacks {expected:?}:\n{get}");
    }
    let list = world.linnet("list").await.succeeded("list").stdout;
    let row: Vec<&str> = list.lines().nth(1).unwrap_or("").split_whitespace().collect();
    assert_eq!(
        row[..5],
        ["web", "Canary", "Paused", "1/4", "25"],
        "list:\n{list}"
    );

    // When it is also paused by hand, then spec.paused is set
    world.linnet("pause web").await.succeeded("pause");
    let paused = world.read("web").await;
    assert_eq!(paused["spec"]["paused"], json!(true));

    // When promoted, then the spec is unpaused and the pause step cleared: on to the next pause
    let promote = world.linnet("promote web").await.succeeded("promote");
    assert_eq!(promote.stdout.trim(), "rollout 'web' promoted");
    world
        .eventually("web", "unpaused and Paused at step 3", |r| {
            r["spec"]["paused"] != json!(true)
                && phase(r) == "Paused"
                && r["status"]["currentStepIndex"] == json!(3)
        })
        .await;
    // And promoted again, `status --watch` waits until Healthy on the new template and exits 0
    world.linnet("promote web").await.succeeded("promote");
    let watched = world
        .linnet("status web --watch --timeout 30s")
        .await
        .succeeded("status --watch");
    assert_eq!(watched.stdout.lines().last(), Some("Healthy"), "{watched:#?}");
    let done = world.read("web").await;
    assert_eq!(status_str(&done, "stableRS"), canary);

    // And what was sent, in order, as field manager linnet: status patches to the status
    // subresource, template changes as JSON patches, the rest as merge patches
    let patches: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "PATCH"
                && r.path.contains("/rollouts/web")
                && r.query.split('&').any(|p| p == "fieldManager=linnet")
        })
        .collect();
    let sent: Vec<(&str, &str)> = patches
        .iter()
        .map(|r| {
            let target = if r.path.ends_with("/rollouts/web/status") {
                "status"
            } else {
                "spec"
            };
            let content = r.content_type.as_deref().unwrap_or("");
            let kind = if content.starts_with("application/json-patch+json") {
                "json"
            } else if content.starts_with("application/merge-patch+json") {
                "merge"
            } else {
                content
            };
            (target, kind)
        })
        .collect();
    // set image; pause; promote (status, then spec unpause); promote
    assert_eq!(
        sent,
        [
            ("spec", "json"),
            ("spec", "merge"),
            ("status", "merge"),
            ("spec", "merge"),
            ("status", "merge")
        ],
        "{patches:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_degrades_the_update_and_retry_starts_its_steps_again() {
    let world = given_a_cluster_with_the_controller("cli-abort").await;
    let (stable, canary) = given_an_update_paused_at_the_first_pause(&world).await;

    // While paused, `status --watch` gives up at its timeout with exit 1
    let waited = world
        .linnet("status web --timeout 1s")
        .await
        .failed("status --timeout");
    assert!(
        waited.stderr.contains("did not become Healthy within"),
        "{waited:#?}"
    );

    // When aborted, then `status --watch` ends on Degraded with exit 1
    world.linnet("abort web").await.succeeded("abort");
    let watched = world
        .linnet("status web --watch --timeout 30s")
        .await
        .failed("status --watch");
    assert!(
        watched
            .stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("Degraded - RolloutAborted")),
        "{watched:#?}"
    );
    let aborted = world.read("web").await;
    assert_eq!(aborted["status"]["abort"], json!(true));
    assert_eq!(status_str(&aborted, "stableRS"), stable);

    // When retried, then the steps start again and it pauses at the first pause step
    world.linnet("retry web").await.succeeded("retry");
    world
        .eventually("web", "Paused again at step 1 on the same canary", |r| {
            phase(r) == "Paused"
                && r["status"]["abort"] != json!(true)
                && r["status"]["currentStepIndex"] == json!(1)
                && status_str(r, "currentPodHash") == canary
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_full_skips_the_remaining_steps_and_undo_goes_back_to_the_previous_template() {
    let world = given_a_cluster_with_the_controller("cli-undo").await;
    let (first, second) = given_an_update_paused_at_the_first_pause(&world).await;

    // When fully promoted, then it goes Healthy without stopping at the second pause
    let full = world
        .linnet("promote web --full")
        .await
        .succeeded("promote --full");
    assert_eq!(full.stdout.trim(), "rollout 'web' fully promoted");
    let seen_second_pause = std::sync::atomic::AtomicBool::new(false);
    let promoted = world
        .eventually("web", "Healthy on the second template", |r| {
            if r["status"]["currentStepIndex"] == json!(3) && phase(r) == "Paused" {
                seen_second_pause.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            phase(r) == "Healthy" && status_str(r, "stableRS") == second
        })
        .await;
    assert!(
        !seen_second_pause.into_inner(),
        "stopped at the second pause step"
    );
    assert_eq!(promoted["status"]["currentStepIndex"], json!(4));

    // When undone, then the template is the first revision's again, without the hash label,
    // and an update back to the first ReplicaSet starts its steps
    let undo = world.linnet("undo web").await.succeeded("undo");
    assert_eq!(undo.stdout.trim(), "rollout 'web' undo to revision 1");
    let undone = world
        .eventually(
            "web",
            "updating back to the first template, paused at step 1",
            |r| {
                status_str(r, "currentPodHash") == first
                    && phase(r) == "Paused"
                    && r["status"]["currentStepIndex"] == json!(1)
            },
        )
        .await;
    assert_eq!(image(&undone), "nginx:1.0");
    assert_eq!(
        undone["spec"]["template"]["metadata"]["labels"],
        json!({"app": "web"})
    );
    assert_eq!(status_str(&undone, "stableRS"), second);
    // (the template comes back as the API server stored it in the ReplicaSet, defaults filled
    // in, as Argo's plugin sends it; the controller still finds the first ReplicaSet runs it)

    // And a revision that is not there is refused, naming the ones there are
    let missing = world
        .linnet("undo web --to-revision 9")
        .await
        .failed("undo --to-revision 9");
    assert!(
        missing
            .stderr
            .contains("Rollout web has no revision 9 (revisions: "),
        "{missing:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_replaces_the_pods_created_before_it() {
    let world = given_a_cluster_with_the_controller("cli-restart").await;
    world
        .create(canary("nginx:1.0", 2, json!([{"setWeight": 50}, {"pause": {}}])))
        .await;
    world
        .eventually("web", "Healthy with 2 ready", |r| {
            phase(r) == "Healthy" && r["status"]["readyReplicas"] == json!(2)
        })
        .await;
    let before: Vec<String> = world
        .pods()
        .await
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    assert_eq!(before.len(), 2, "pods before: {before:?}");
    // (creation times are whole seconds: restart a second after the pods were made)
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // When restarted, then restartAt is set and every older pod replaced
    world.linnet("restart web").await.succeeded("restart");
    let asked = world.read("web").await;
    let restart_at = asked["spec"]["restartAt"].as_str().unwrap_or("").to_string();
    let at: jiff::Timestamp = restart_at
        .parse()
        .unwrap_or_else(|e| panic!("restartAt {restart_at:?} is not a timestamp: {e}"));
    world
        .eventually("web", "restartedAt = restartAt and Healthy", |r| {
            r["status"]["restartedAt"] == json!(restart_at) && phase(r) == "Healthy"
        })
        .await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let pods = world.pods().await;
        let replaced = pods.len() == 2
            && pods.iter().all(|p| {
                let name = p.metadata.name.clone().unwrap_or_default();
                let created = p.metadata.creation_timestamp.as_ref().map(|t| t.0);
                !before.contains(&name) && created.is_some_and(|c| c >= at)
            });
        if replaced {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pods not replaced after restartAt {restart_at}: {:?}",
            pods.iter()
                .map(|p| (&p.metadata.name, &p.metadata.creation_timestamp))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // And `restart --in` asks for a restart that far ahead
    world
        .linnet("restart web --in 1h")
        .await
        .succeeded("restart --in 1h");
    let later = world.read("web").await;
    let later: jiff::Timestamp = later["spec"]["restartAt"]
        .as_str()
        .unwrap_or("")
        .parse()
        .unwrap_or_else(|e| panic!("restartAt is not a timestamp: {e}"));
    let ahead = later.as_second() - jiff::Timestamp::now().as_second();
    assert!((3590..=3600).contains(&ahead), "restartAt is {ahead} s ahead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_rollout_and_what_is_missing() {
    let world = given_a_cluster_with_the_controller("cli-errors").await;
    // A missing Rollout, for reads and writes alike
    for command in [
        "promote nope",
        "abort nope",
        "status nope",
        "get nope",
        "undo nope",
    ] {
        let run = world.linnet(command).await.failed(command);
        assert!(
            run.stderr
                .contains("Rollout nope not found in namespace cli-errors"),
            "{command}: {run:#?}"
        );
    }
    world.create(canary("nginx:1.0", 1, json!([{"pause": {}}]))).await;
    // A container the template does not have
    let run = world
        .linnet("set image web sidecar=envoy:2")
        .await
        .failed("set image");
    assert!(
        run.stderr
            .contains("Rollout web has no container named sidecar (containers: web)"),
        "{run:#?}"
    );
    // Undo without history
    world
        .eventually("web", "Healthy", |r| phase(r) == "Healthy")
        .await;
    let run = world.linnet("undo web").await.failed("undo");
    assert!(
        run.stderr.contains("Rollout web has no earlier revision"),
        "{run:#?}"
    );
    // Skipping steps of a blue-green Rollout
    let mut blue_green = canary("nginx:1.0", 1, json!([]));
    blue_green["metadata"]["name"] = json!("bg");
    blue_green["spec"]["selector"]["matchLabels"]["app"] = json!("bg");
    blue_green["spec"]["template"]["metadata"]["labels"]["app"] = json!("bg");
    blue_green["spec"]["strategy"] = json!({"blueGreen": {"activeService": "bg"}});
    world.create(blue_green).await;
    let run = world
        .linnet("promote bg --skip-current-step")
        .await
        .failed("promote --skip-current-step");
    assert!(run.stderr.contains("Rollout bg is not a canary"), "{run:#?}");
    // Flags that contradict each other are a usage error
    let run = world.linnet("promote web --full --skip-all-steps").await;
    assert_eq!(run.code, Some(2), "{run:#?}");
    // And `--kubeconfig` works as well as KUBECONFIG
    let kubeconfig = world.kubeconfig.display().to_string();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_linnet"));
    let output = command
        .args([
            "rollout",
            "status",
            "web",
            "--kubeconfig",
            &kubeconfig,
            "-n",
            "cli-errors",
        ])
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run linnet: {e}"));
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "Healthy");
}

/// The image of Deployment `name`'s first container.
async fn deployment_image(world: &World, name: &str) -> String {
    let api: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(world.client.clone(), &world.namespace);
    let live = api
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("cannot read Deployment {name}: {e}"));
    live.spec
        .and_then(|s| s.template.spec)
        .and_then(|s| s.containers.into_iter().next())
        .and_then(|c| c.image)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_and_undo_of_a_workload_ref_change_the_referenced_deployment() {
    let world = given_a_cluster_with_the_controller("cli-workload-ref").await;
    // Given Deployment `web` on nginx:1.0 and a Rollout taking its template from it, Healthy
    let deployment: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.0"}]}}},
    }))
    .unwrap_or_else(|e| panic!("bad Deployment: {e}"));
    Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &deployment)
        .await
        .unwrap_or_else(|e| panic!("cannot create Deployment web: {e}"));
    let mut manifest = canary("unused", 2, steps_with_two_pauses());
    manifest["spec"]["template"] = Value::Null;
    manifest["spec"]["workloadRef"] = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"});
    world.create(manifest).await;
    let deployed = world
        .eventually("web", "Healthy on its first ReplicaSet", |r| {
            phase(r) == "Healthy" && !status_str(r, "stableRS").is_empty()
        })
        .await;
    let stable = status_str(&deployed, "stableRS").to_string();

    // When `set image` changes it: the Deployment's template changes, and the Rollout pauses
    // at its first pause with a canary of that template
    world
        .linnet("set image web web=nginx:2.0")
        .await
        .succeeded("set image");
    assert_eq!(deployment_image(&world, "web").await, "nginx:2.0");
    world
        .eventually("web", "Paused at step 1 on a new template", |r| {
            phase(r) == "Paused" && status_str(r, "currentPodHash") != stable
        })
        .await;

    // When `undo` goes back: the Deployment's template is 1.0 again, and the Rollout is back
    // on its stable ReplicaSet
    world.linnet("undo web").await.succeeded("undo");
    assert_eq!(deployment_image(&world, "web").await, "nginx:1.0");
    world
        .eventually("web", "Healthy on the first ReplicaSet again", |r| {
            phase(r) == "Healthy" && status_str(r, "currentPodHash") == stable
        })
        .await;
}

/// The image of PodTemplate `name`'s first container.
async fn pod_template_image(world: &World, name: &str) -> String {
    let api: Api<k8s_openapi::api::core::v1::PodTemplate> =
        Api::namespaced(world.client.clone(), &world.namespace);
    let live = api
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("cannot read PodTemplate {name}: {e}"));
    live.template
        .and_then(|t| t.spec)
        .and_then(|s| s.containers.into_iter().next())
        .and_then(|c| c.image)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_and_undo_of_a_workload_ref_change_the_referenced_pod_template() {
    let world = given_a_cluster_with_the_controller("cli-pod-template-ref").await;
    // Given PodTemplate `web` on nginx:1.0 and a Rollout taking its template from it, Healthy
    let pod_template: k8s_openapi::api::core::v1::PodTemplate = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "template": {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.0"}]}},
    }))
    .unwrap_or_else(|e| panic!("bad PodTemplate: {e}"));
    Api::<k8s_openapi::api::core::v1::PodTemplate>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &pod_template)
        .await
        .unwrap_or_else(|e| panic!("cannot create PodTemplate web: {e}"));
    let mut manifest = canary("unused", 2, steps_with_two_pauses());
    manifest["spec"]["template"] = Value::Null;
    manifest["spec"]["selector"] = json!({"matchLabels": {"app": "web"}});
    manifest["spec"]["workloadRef"] = json!({"apiVersion": "v1", "kind": "PodTemplate", "name": "web"});
    world.create(manifest).await;
    let deployed = world
        .eventually("web", "Healthy on its first ReplicaSet", |r| {
            phase(r) == "Healthy" && !status_str(r, "stableRS").is_empty()
        })
        .await;
    let stable = status_str(&deployed, "stableRS").to_string();

    // When `set image` changes it: the PodTemplate's template (at /template) changes, and the
    // Rollout pauses at its first pause with a canary of that template
    world
        .linnet("set image web web=nginx:2.0")
        .await
        .succeeded("set image");
    assert_eq!(pod_template_image(&world, "web").await, "nginx:2.0");
    world
        .eventually("web", "Paused at step 1 on a new template", |r| {
            phase(r) == "Paused" && status_str(r, "currentPodHash") != stable
        })
        .await;

    // When `undo` goes back: the PodTemplate's template is 1.0 again, and the Rollout is back
    // on its stable ReplicaSet
    world.linnet("undo web").await.succeeded("undo");
    assert_eq!(pod_template_image(&world, "web").await, "nginx:1.0");
    world
        .eventually("web", "Healthy on the first ReplicaSet again", |r| {
            phase(r) == "Healthy" && status_str(r, "currentPodHash") == stable
        })
        .await;
}
