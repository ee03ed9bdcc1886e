//! The world of the Rollout controller's end-to-end tests: a sim with its simulated cluster,
//! the Rollout CRD, a namespace and the controller running in-process, all stopped on drop
//! even when a test fails; and polling helpers that show what was last seen on timeout.

#![allow(dead_code)]

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use linnet_controller::run::{ControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::rollout::Rollout;
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};
use linnet_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A sim with its simulated cluster and the controller, stopped on drop even when a test fails.
pub struct World {
    pub client: Client,
    pub namespace: String,
    pub controller: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _cluster: ClusterHandle,
    _sim: SimHandle,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.controller.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// Given a sim with the linnet CRDs, the simulated cluster, a namespace and the controller.
pub async fn given_a_cluster_with_the_controller(namespace: &str) -> World {
    given_a_cluster_with_the_controller_for(namespace, None).await
}

/// As [`given_a_cluster_with_the_controller`], the controller handling only `instance_id`.
pub async fn given_a_cluster_with_the_controller_for(namespace: &str, instance_id: Option<&str>) -> World {
    let mut world = given_a_cluster(namespace).await;
    world.start_controller(instance_id);
    world
}

/// Given a sim with the linnet CRDs, the simulated cluster and a namespace, and no controller.
pub async fn given_a_cluster(namespace: &str) -> World {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let client = client_of(&sim).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Kind::Rollout.crd())
        .await
        .unwrap_or_else(|e| panic!("cannot install the Rollout CRD: {e}"));
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {namespace}: {e}"));
    let cluster = start_cluster(&sim.url(), ClusterOptions::default())
        .await
        .unwrap_or_else(|e| panic!("simulated cluster did not start: {e}"));
    World {
        client,
        namespace: namespace.to_string(),
        controller: None,
        _cluster: cluster,
        _sim: sim,
    }
}

/// A client of the sim, from the kubeconfig it wrote.
pub async fn client_of(sim: &SimHandle) -> Client {
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"))
}

impl World {
    /// The sim, for its request log and fault switches.
    pub fn sim(&self) -> &SimHandle {
        &self._sim
    }

    /// Starts the controller for the namespace (handling only `instance_id`), replacing none:
    /// stop a running one first.
    pub fn start_controller(&mut self, instance_id: Option<&str>) {
        assert!(self.controller.is_none(), "a controller is already running");
        let (stop, stopped) = oneshot::channel::<()>();
        let opts = ControllerOptions {
            namespace: Some(self.namespace.clone()),
            instance_id: instance_id.map(str::to_string),
        };
        let controller_client = self.client.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = run_until(controller_client, opts, shutdown).await {
                panic!("controller failed: {error}");
            }
        });
        self.controller = Some((stop, task));
    }

    /// Kills the running controller at once (its task is aborted mid-pass, as a crash would)
    /// and waits until it is gone.
    pub async fn kill_controller(&mut self) {
        if let Some((_stop, task)) = self.controller.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl World {
    pub fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }
    pub async fn create(&self, manifest: Value) {
        let rollout: Rollout =
            serde_json::from_value(manifest).unwrap_or_else(|e| panic!("bad Rollout: {e}"));
        self.rollouts()
            .create(&PostParams::default(), &rollout)
            .await
            .unwrap_or_else(|e| panic!("cannot create Rollout: {e}"));
    }
    pub async fn patch_spec(&self, name: &str, patch: Value) {
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .unwrap_or_else(|e| panic!("cannot patch Rollout {name}: {e}"));
    }

    /// The ReplicaSets in the test's namespace as (hash, spec.replicas, ready replicas).
    pub async fn replica_sets(&self) -> Vec<(String, i32, i32)> {
        replica_sets_in(self.client.clone(), &self.namespace).await
    }

    /// Polls until `check` holds for the Rollout's status and ReplicaSets, or fails after
    /// [`TIMEOUT`] showing what was last seen.
    pub async fn eventually(
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
            assert!(
                tokio::time::Instant::now() < deadline,
                "Rollout {name} never got to: {what}\nlast status: {status:#}\nReplicaSets (hash, replicas, ready): {replica_sets:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The ReplicaSets in `namespace` as (rollouts-pod-template-hash, spec.replicas, ready replicas).
pub async fn replica_sets_in(client: Client, namespace: &str) -> Vec<(String, i32, i32)> {
    let api: Api<ReplicaSet> = Api::namespaced(client, namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("cannot list ReplicaSets: {e}"));
    list.items
        .iter()
        .map(|rs| {
            let hash = rs
                .labels()
                .get("rollouts-pod-template-hash")
                .cloned()
                .unwrap_or_default();
            let replicas = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(-1);
            let ready = rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
            (hash, replicas, ready)
        })
        .collect()
}

pub fn str_at<'a>(status: &'a Value, field: &str) -> &'a str {
    status[field].as_str().unwrap_or("")
}

pub fn replicas_of(replica_sets: &[(String, i32, i32)], hash: &str) -> Option<(i32, i32)> {
    replica_sets
        .iter()
        .find(|(h, _, _)| h == hash)
        .map(|(_, replicas, ready)| (*replicas, *ready))
}

impl World {
    /// Replaces the simulated cluster with one that serves `/metrics` and `/stats` on an
    /// ephemeral loopback port, and returns that address. Call it before creating workloads.
    pub async fn serve_traffic_stats(&mut self) -> std::net::SocketAddr {
        let options = ClusterOptions {
            metrics_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
            ..ClusterOptions::default()
        };
        let cluster = start_cluster(&self._sim.url(), options)
            .await
            .unwrap_or_else(|e| panic!("simulated cluster with metrics did not start: {e}"));
        let addr = cluster
            .metrics_addr()
            .unwrap_or_else(|| panic!("the simulated cluster serves no metrics"));
        std::mem::replace(&mut self._cluster, cluster).stop().await;
        addr
    }
}

/// A plain HTTP/1.0 GET on loopback, returning the body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("cannot send to {addr}: {e}"));
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .unwrap_or_else(|e| panic!("cannot read from {addr}: {e}"));
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200") => {
            body.to_string()
        }
        _ => panic!("GET {path} on {addr} failed: {response}"),
    }
}
