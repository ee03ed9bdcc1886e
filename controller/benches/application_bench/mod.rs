//! What the Application sync benchmark stands on: one in-process sim (API only) with the
//! Application CRD, the Application controller running in-process beside it, Git repositories
//! of ConfigMap manifests made with the `git` CLI, a watch that waits until every Application
//! of a scenario satisfies a check, the baseline `kubectl apply --server-side`, the writes the
//! sim's request log saw, and the process's resident memory.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config, ResourceExt};
use linnet_controller::application::run::{AppControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::application::Application;
use linnet_sim::{RequestRecord, SimHandle, SimOptions};
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the Applications live: Argo CD's control-plane namespace, the controller's default.
pub const APPS_NAMESPACE: &str = "argocd";
/// The label that groups a scenario's Applications.
pub const SCENARIO_LABEL: &str = "bench.linnet.dev/scenario";

/// The sim, a client, and the Application controller, stopped on drop before the sim.
pub struct Bench {
    pub client: Client,
    controller: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _cache: TempDir,
    pub sim: SimHandle,
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.controller.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

/// The kubectl of the baseline and of kustomize renders: the pinned 1.32, else the PATH's.
pub fn kubectl() -> PathBuf {
    let pinned = PathBuf::from("/usr/lib/google-cloud-sdk/bin/kubectl.1.32");
    if pinned.is_file() {
        pinned
    } else {
        PathBuf::from("kubectl")
    }
}

impl Bench {
    /// Starts the sim with the Application CRD and the Applications' namespace, then the
    /// controller watching that namespace, polling only every hour so that every pass measured
    /// is one the benchmark caused.
    pub async fn start() -> Bench {
        let sim = linnet_sim::start(SimOptions::default())
            .await
            .unwrap_or_else(|e| panic!("sim did not start: {e}"));
        let client = client_for(&sim).await;
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        crds.create(&PostParams::default(), &Kind::Application.crd())
            .await
            .unwrap_or_else(|e| panic!("cannot install the Application CRD: {e}"));
        create_namespace(&client, APPS_NAMESPACE).await;
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        let mut options = AppControllerOptions::new(cache.path());
        options.namespaces = Some(vec![APPS_NAMESPACE.to_string()]);
        options.refresh_interval = Duration::from_secs(3600);
        options.refresh_jitter = Duration::ZERO;
        options.kubectl = kubectl();
        options.watch_live_objects = std::env::var("APPLICATION_SYNC_LIVE_CACHE").map_or(true, |v| v != "0");
        let (stop, stopped) = oneshot::channel::<()>();
        let controller_client = client_for(&sim).await;
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = run_until(controller_client, options, shutdown).await {
                panic!("application controller failed: {error}");
            }
        });
        Bench {
            client,
            controller: Some((stop, task)),
            _cache: cache,
            sim,
        }
    }

    pub fn apps(&self) -> Api<Application> {
        Api::namespaced(self.client.clone(), APPS_NAMESPACE)
    }
}

/// A new client for the sim (its own connection pool).
pub async fn client_for(sim: &SimHandle) -> Client {
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    Client::try_from(config).unwrap_or_else(|e| panic!("no client: {e}"))
}

pub async fn create_namespace(client: &Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {name}: {e}"));
}

/// A ConfigMap manifest of about 400 bytes.
pub fn config_map_yaml(name: &str, index: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/part-of: bench\n\
         data:\n  index: \"{index}\"\n  color: blue\n  settings.properties: |\n    greeting=hello from {name}\n    \
         retries=3\n    timeout=30s\n    endpoint=https://service.example.invalid/{index}\n"
    )
}

/// A Git repository in a temporary directory, `main` checked out, isolated from the user's and
/// the system's Git configuration.
pub struct Repo {
    dir: TempDir,
}

impl Repo {
    /// A repository whose one commit holds `files` (relative path, contents).
    pub fn with_files(files: impl IntoIterator<Item = (String, String)>) -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}")),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        for (relative, contents) in files {
            let path = repo.path().join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {parent:?}: {e}"));
            }
            std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
        }
        repo.git(&["add", "--all"]);
        repo.git(&["commit", "--quiet", "-m", "manifests"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self) -> String {
        self.path().display().to_string()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.invalid")
            .env("GIT_COMMITTER_NAME", "Bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.invalid")
            .output()
            .unwrap_or_else(|e| panic!("git does not run: {e}"));
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// How a wait ended.
pub struct Waited {
    pub elapsed: Duration,
    /// How many Applications satisfied the check (all of them unless timed out).
    pub done: usize,
    pub timed_out: bool,
    /// One Application that did not get there, as last seen (status summary), on timeout.
    pub straggler: Option<String>,
}

/// Watches the scenario's Applications until `expected` of them satisfy `done`, or `timeout`
/// passes; the time counts from `since`.
pub async fn wait_for_all(
    apps: &Api<Application>,
    scenario: &str,
    expected: usize,
    since: Instant,
    timeout: Duration,
    done: impl Fn(&Application) -> bool,
) -> Waited {
    let config = watcher::Config::default().labels(&format!("{SCENARIO_LABEL}={scenario}"));
    let mut stream = watcher(apps.clone(), config).applied_objects().boxed();
    let mut finished: HashSet<String> = HashSet::new();
    let mut last: HashMap<String, String> = HashMap::new();
    let deadline = tokio::time::Instant::from_std(since + timeout);
    while finished.len() < expected {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(app))) => {
                let name = app.name_any();
                if done(&app) {
                    finished.insert(name.clone());
                    last.remove(&name);
                } else {
                    finished.remove(&name);
                    last.insert(name, summary(&app));
                }
            }
            Ok(Some(Err(error))) => eprintln!("  (watch error, retried: {error})"),
            Ok(None) => break,
            Err(_) => {
                return Waited {
                    elapsed: since.elapsed(),
                    done: finished.len(),
                    timed_out: true,
                    straggler: last.into_iter().next().map(|(n, s)| format!("{n}: {s}")),
                };
            }
        }
    }
    Waited {
        elapsed: since.elapsed(),
        done: finished.len(),
        timed_out: false,
        straggler: None,
    }
}

/// The sync status, revision, operation phase and message, and conditions of an Application.
pub fn summary(app: &Application) -> String {
    let status = app.status.as_ref();
    let sync = status.and_then(|s| s.sync.as_ref());
    let op = status.and_then(|s| s.operation_state.as_ref());
    let conditions: Vec<String> = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .map(|c| format!("{}: {}", c.type_, c.message))
        .collect();
    format!(
        "sync {:?} at {:?}, operation {:?} {:?}, conditions {conditions:?}",
        sync.map(|s| &s.status),
        sync.and_then(|s| s.revision.as_deref()),
        op.map(|o| &o.phase),
        op.and_then(|o| o.message.as_deref()),
    )
}

/// Writes the sim answered, split into those to Applications and those to anything else.
#[derive(Debug, Default, Clone, Copy)]
pub struct Writes {
    pub applications: usize,
    pub other: usize,
}

/// Every request that is not a GET (reads, lists and watches are all GETs) is a write.
pub fn writes(requests: &[RequestRecord]) -> Writes {
    let mut writes = Writes::default();
    for request in requests.iter().filter(|r| r.method != "GET") {
        if request.path.contains("/applications") {
            writes.applications += 1;
        } else {
            writes.other += 1;
        }
    }
    writes
}

/// The write requests other than to Applications, as "METHOD path", for a report.
pub fn other_writes(requests: &[RequestRecord]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method != "GET" && !r.path.contains("/applications"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Waits until the sim has seen no write for `quiet`, at most `limit`.
pub async fn until_quiet(sim: &SimHandle, quiet: Duration, limit: Duration) {
    let start = Instant::now();
    let mut count = sim.requests().iter().filter(|r| r.method != "GET").count();
    let mut since = Instant::now();
    while start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = sim.requests().iter().filter(|r| r.method != "GET").count();
        if now != count {
            count = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

/// One kubectl run: how long it took and whether it succeeded.
pub struct KubectlRun {
    pub elapsed: Duration,
}

/// `kubectl apply --server-side -f DIR` (recursive) into `namespace`, with its own cache dir.
pub fn kubectl_apply(sim: &SimHandle, cache_dir: &Path, dir: &Path, namespace: &str) -> KubectlRun {
    let start = Instant::now();
    let output = Command::new(kubectl())
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .arg("--cache-dir")
        .arg(cache_dir)
        .args([
            "apply",
            "--server-side",
            "--recursive",
            "-n",
            namespace,
            "-o",
            "name",
            "-f",
        ])
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("kubectl does not run: {e}"));
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "kubectl apply failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    KubectlRun { elapsed }
}

/// The process's resident memory in KiB (Linux `/proc/self/status`), 0 when unreadable.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}
