//! The Application sync core at scale, against `kubectl apply --server-side` of the same
//! manifests into the same sim in the same run.
//!
//! Run it with `cargo bench -p linnet-controller --bench application_sync` (release build).
//! `APPLICATION_SYNC_QUICK=1` runs a tenth of the sizes; `APPLICATION_SYNC_TIMEOUT` (seconds,
//! default 300) bounds each wait, after which the figure is reported as timed out.
//! `APPLICATION_SYNC_ONLY=one-small,one-large,many` picks scenarios; `APPLICATION_SYNC_SPREAD=1`
//! gives each of the many Applications its own destination namespace.
//! `APPLICATION_SYNC_LIVE_CACHE=0` turns the controller's shared watch of live objects off, so
//! every pass lists the kinds it compares (as before the cache), for a before/after comparison.
//!
//! One in-process sim (API only: no simulated cluster, as ConfigMaps need no pods) serves
//! everything; the Application controller runs in-process beside it, watching the `argocd`
//! namespace and polling only hourly, so every pass measured is one the benchmark caused. Every
//! manifest is a ConfigMap of about 400 bytes, committed to a Git repository that the
//! benchmark makes with the `git` CLI (one repository per scenario). The scenarios:
//!
//! - `1 app × 1,000` and `1 app × 5,000`: one Application whose directory holds that many
//!   manifest files;
//! - `1,000 apps × 4`: 1,000 Applications, each of its own directory of 4 manifests.
//!
//! For each, into fresh namespaces of the sim:
//!
//! 1. baseline: `kubectl apply --server-side --recursive -f DIR` of the scenario's manifests
//!    (kubectl 1.32, its own discovery cache dir), then the same command again as the no-op;
//! 2. sync: from creating the Application(s) (automated sync) until every one reports Synced at
//!    the commit with its operation Succeeded; the objects are then counted in the sim;
//! 3. no-op resync: once the sim has seen no write for 2 s, from setting the refresh
//!    annotation `argocd.argoproj.io/refresh: normal` on every Application until the controller
//!    has removed it from all (each Application read, rendered, compared with the live objects
//!    and found Synced); the writes the sim saw meanwhile are counted from its request log.
//!    Writes to the Applications themselves are expected (the annotation set and removed);
//!    any other write is a defect.
//!
//! Memory is the process's resident set growth (VmRSS), which holds the sim as well as the
//! controller; the growth during the kubectl baseline (kubectl is a separate process) is
//! therefore the sim's share for storing the same objects, and is shown beside it.

#[path = "application_bench/mod.rs"]
mod application_bench;

use std::time::{Duration, Instant};

use application_bench::{
    APPS_NAMESPACE, Bench, Repo, SCENARIO_LABEL, Waited, Writes, config_map_yaml, create_namespace,
    kubectl_apply, other_writes, rss_kib, until_quiet, wait_for_all, writes,
};
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use linnet_crds::application::Application;
use linnet_crds::application::codes::{OperationPhase, SyncStatusCode};
use serde_json::json;

const REFRESH_ANNOTATION: &str = "argocd.argoproj.io/refresh";
/// Applications created or annotated at once.
const CONCURRENCY: usize = 16;

struct Scenario {
    key: &'static str,
    title: String,
    apps: usize,
    per_app: usize,
    /// Each Application into its own destination namespace (`APPLICATION_SYNC_SPREAD=1`).
    spread: bool,
}

impl Scenario {
    fn total(&self) -> usize {
        self.apps * self.per_app
    }

    /// The Application's directory in the repository.
    fn app_path(&self, app: usize) -> String {
        if self.apps == 1 {
            "manifests".to_string()
        } else {
            format!("manifests/app-{app:04}")
        }
    }

    fn files(&self) -> Vec<(String, String)> {
        let mut files = Vec::with_capacity(self.total());
        for app in 0..self.apps {
            for i in 0..self.per_app {
                let name = if self.apps == 1 {
                    format!("cm-{i:05}")
                } else {
                    format!("app-{app:04}-cm-{i}")
                };
                let index = app * self.per_app + i;
                files.push((
                    format!("{}/{name}.yaml", self.app_path(app)),
                    config_map_yaml(&name, index),
                ));
            }
        }
        files
    }
}

#[derive(Default)]
struct Figures {
    kubectl_apply: Duration,
    kubectl_apply_writes: Writes,
    kubectl_noop: Duration,
    kubectl_noop_writes: Writes,
    kubectl_rss_kib: i64,
    sync: Option<Waited>,
    sync_writes: Writes,
    objects: usize,
    sync_rss_kib: i64,
    noop: Option<Waited>,
    noop_writes: Writes,
    noop_other: Vec<String>,
    noop_rss_kib: i64,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"));
    let quick = env_flag("APPLICATION_SYNC_QUICK");
    let timeout = Duration::from_secs(
        std::env::var("APPLICATION_SYNC_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300),
    );
    let scale = if quick { 10 } else { 1 };
    let scenarios = [
        Scenario {
            key: "one-small",
            title: format!("1 app × {}", 1000 / scale),
            apps: 1,
            per_app: 1000 / scale,
            spread: false,
        },
        Scenario {
            key: "one-large",
            title: format!("1 app × {}", 5000 / scale),
            apps: 1,
            per_app: 5000 / scale,
            spread: false,
        },
        Scenario {
            key: "many",
            title: format!("{} apps × 4", 1000 / scale),
            apps: 1000 / scale,
            per_app: 4,
            spread: env_flag("APPLICATION_SYNC_SPREAD"),
        },
    ];
    let only: Option<Vec<String>> = std::env::var("APPLICATION_SYNC_ONLY")
        .ok()
        .map(|s| s.split(',').map(|k| k.trim().to_string()).collect());
    let scenarios: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| only.as_ref().is_none_or(|keys| keys.iter().any(|k| k == s.key)))
        .collect();
    println!("Application sync benchmark: ConfigMaps only, one in-process sim (API only), 2 worker threads");
    let results = runtime.block_on(async {
        let bench = Bench::start().await;
        let mut results = Vec::new();
        for scenario in &scenarios {
            let figures = measure(&bench, scenario, timeout).await;
            results.push(figures);
        }
        results
    });
    print_table(&scenarios, &results);
}

async fn measure(bench: &Bench, scenario: &Scenario, timeout: Duration) -> Figures {
    println!("\n== {} ({} ConfigMaps)", scenario.title, scenario.total());
    let repo = Repo::with_files(scenario.files());
    let commit = repo.head();
    let mut figures = Figures::default();

    // Baseline: kubectl into its own fresh namespace, then the same apply again.
    let kubectl_ns = format!("kubectl-{}", scenario.key);
    create_namespace(&bench.client, &kubectl_ns).await;
    let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
    let dir = repo.path().join("manifests");
    let rss = rss_kib();
    bench.sim.clear_requests();
    let sim = &bench.sim;
    let first = tokio::task::block_in_place(|| kubectl_apply(sim, cache.path(), &dir, &kubectl_ns));
    figures.kubectl_apply = first.elapsed;
    figures.kubectl_apply_writes = writes(&bench.sim.requests());
    figures.kubectl_rss_kib = rss_kib() as i64 - rss as i64;
    let count = count_config_maps(bench, &kubectl_ns).await;
    assert_eq!(count, scenario.total(), "kubectl applied every ConfigMap");
    bench.sim.clear_requests();
    let again = tokio::task::block_in_place(|| kubectl_apply(sim, cache.path(), &dir, &kubectl_ns));
    figures.kubectl_noop = again.elapsed;
    figures.kubectl_noop_writes = writes(&bench.sim.requests());
    println!(
        "kubectl apply --server-side: {:.2} s ({} writes), again unchanged: {:.2} s ({} writes), RSS growth (sim only) {:.1} MiB",
        secs(figures.kubectl_apply),
        figures.kubectl_apply_writes.other,
        secs(figures.kubectl_noop),
        figures.kubectl_noop_writes.other,
        mib(figures.kubectl_rss_kib),
    );

    // The controller: create the Applications, wait until all are Synced at the commit.
    let dest = format!("linnet-{}", scenario.key);
    create_namespace(&bench.client, &dest).await;
    if scenario.spread {
        for i in 0..scenario.apps {
            create_namespace(&bench.client, &destination(scenario, &dest, i)).await;
        }
    }
    let apps = bench.apps();
    let rss = rss_kib();
    bench.sim.clear_requests();
    let repo_url = repo.url();
    let start = Instant::now();
    futures::stream::iter(0..scenario.apps)
        .map(|i| create_app(&apps, scenario, i, &repo_url, destination(scenario, &dest, i)))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    let synced = wait_for_all(&apps, scenario.key, scenario.apps, start, timeout, |app| {
        synced_at(app, &commit)
    })
    .await;
    figures.sync_rss_kib = rss_kib() as i64 - rss as i64;
    figures.sync_writes = writes(&bench.sim.requests());
    figures.objects = count_config_maps(bench, &dest).await;
    report_wait("sync", &synced, scenario.apps);
    print_request_summary(&bench.sim.requests(), scenario.apps);
    println!(
        "  {} of {} ConfigMaps in the sim, {} object writes, {} Application writes, RSS growth (controller + sim) {:.1} MiB",
        figures.objects,
        scenario.total(),
        figures.sync_writes.other,
        figures.sync_writes.applications,
        mib(figures.sync_rss_kib),
    );
    let sync_ok = !synced.timed_out;
    figures.sync = Some(synced);
    if !sync_ok {
        println!("  no-op resync skipped: the sync did not finish");
        return figures;
    }

    // The no-op resync: a refresh of every Application with nothing changed.
    until_quiet(&bench.sim, Duration::from_secs(2), Duration::from_secs(60)).await;
    let rss = rss_kib();
    bench.sim.clear_requests();
    let start = Instant::now();
    futures::stream::iter(0..scenario.apps)
        .map(|i| refresh(&apps, app_name(scenario, i)))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    let refreshed = wait_for_all(&apps, scenario.key, scenario.apps, start, timeout, |app| {
        !app.annotations().contains_key(REFRESH_ANNOTATION) && synced_at(app, &commit)
    })
    .await;
    until_quiet(&bench.sim, Duration::from_secs(2), Duration::from_secs(30)).await;
    figures.noop_rss_kib = rss_kib() as i64 - rss as i64;
    let requests = bench.sim.requests();
    figures.noop_writes = writes(&requests);
    figures.noop_other = other_writes(&requests);
    report_wait("no-op resync", &refreshed, scenario.apps);
    print_request_summary(&requests, scenario.apps);
    println!(
        "  writes: {} to objects (must be 0), {} to Applications (the refresh annotation set and removed: {} expected)",
        figures.noop_writes.other,
        figures.noop_writes.applications,
        2 * scenario.apps,
    );
    for write in figures.noop_other.iter().take(5) {
        println!("    unexpected write: {write}");
    }
    figures.noop = Some(refreshed);
    figures
}

fn app_name(scenario: &Scenario, i: usize) -> String {
    format!("{}-{i:04}", scenario.key)
}

/// The destination namespace of Application `i`: the scenario's, or its own when spread.
fn destination(scenario: &Scenario, dest: &str, i: usize) -> String {
    if scenario.spread {
        format!("{dest}-{i:04}")
    } else {
        dest.to_string()
    }
}

async fn create_app(apps: &Api<Application>, scenario: &Scenario, i: usize, repo_url: &str, dest: String) {
    let name = app_name(scenario, i);
    let manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": APPS_NAMESPACE, "labels": {SCENARIO_LABEL: scenario.key}},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "path": scenario.app_path(i), "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
            "syncPolicy": {"automated": {}},
        },
    });
    let app: Application =
        serde_json::from_value(manifest).unwrap_or_else(|e| panic!("bad Application {name}: {e}"));
    apps.create(&PostParams::default(), &app)
        .await
        .unwrap_or_else(|e| panic!("cannot create Application {name}: {e}"));
}

async fn refresh(apps: &Api<Application>, name: String) {
    let patch = json!({"metadata": {"annotations": {REFRESH_ANNOTATION: "normal"}}});
    apps.patch(&name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap_or_else(|e| panic!("cannot annotate Application {name}: {e}"));
}

/// Synced at `commit`, with the operation that applied it Succeeded.
fn synced_at(app: &Application, commit: &str) -> bool {
    let Some(status) = app.status.as_ref() else {
        return false;
    };
    let synced = status
        .sync
        .as_ref()
        .is_some_and(|s| s.status == SyncStatusCode::Synced && s.revision.as_deref() == Some(commit));
    let succeeded = status
        .operation_state
        .as_ref()
        .is_some_and(|o| o.phase == OperationPhase::Succeeded);
    synced && succeeded
}

/// The benchmark's ConfigMaps in `namespace` and in the namespaces named `{namespace}-*`.
async fn count_config_maps(bench: &Bench, namespace: &str) -> usize {
    let api: Api<ConfigMap> = Api::all(bench.client.clone());
    let params = ListParams::default().labels("app.kubernetes.io/part-of=bench");
    let spread = format!("{namespace}-");
    api.list_metadata(&params)
        .await
        .unwrap_or_else(|e| panic!("cannot list ConfigMaps: {e}"))
        .items
        .iter()
        .filter_map(|cm| cm.metadata.namespace.as_deref())
        .filter(|ns| *ns == namespace || ns.starts_with(&spread))
        .count()
}

/// The requests of a phase by verb and resource, per Application, most frequent first.
fn print_request_summary(requests: &[linnet_sim::RequestRecord], apps: usize) {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for request in requests {
        *counts.entry(request_shape(request)).or_default() += 1;
    }
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let shown: Vec<String> = counts
        .iter()
        .take(8)
        .map(|(shape, n)| format!("{shape} {:.1}", *n as f64 / apps as f64))
        .collect();
    println!("  requests per Application: {}", shown.join(", "));
}

/// `VERB resource` of a request: GET splits into get, list and watch; names and namespaces go.
fn request_shape(request: &linnet_sim::RequestRecord) -> String {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let rest = match segments.first() {
        Some(&"api") => segments.get(2..),
        Some(&"apis") => segments.get(3..),
        _ => None,
    }
    .unwrap_or_default();
    let rest = match rest {
        ["namespaces", _, tail @ ..] if !tail.is_empty() => tail,
        other => other,
    };
    let (resource, named) = match rest {
        [] => ("(discovery)".to_string(), false),
        [plural] => (plural.to_string(), false),
        [plural, _] => (plural.to_string(), true),
        [plural, _, sub, ..] => (format!("{plural}/{sub}"), true),
    };
    let verb = match request.method.as_str() {
        "GET" if request.query.contains("watch=true") || request.query.contains("watch=1") => "WATCH",
        "GET" if !named => "LIST",
        method => method,
    };
    format!("{verb} {resource}")
}

fn report_wait(what: &str, waited: &Waited, expected: usize) {
    if waited.timed_out {
        println!(
            "linnet {what}: TIMED OUT after {:.1} s with {} of {expected} Applications done; e.g. {}",
            secs(waited.elapsed),
            waited.done,
            waited.straggler.as_deref().unwrap_or("(none seen)")
        );
    } else {
        println!(
            "linnet {what}: {:.2} s for {expected} Application(s)",
            secs(waited.elapsed)
        );
    }
}

fn print_table(scenarios: &[Scenario], results: &[Figures]) {
    println!(
        "\n| scenario | kubectl apply | linnet sync | ratio | kubectl no-op | linnet no-op | ratio | no-op writes: objects / Applications (kubectl) | RSS growth: controller + sim (sim alone) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (scenario, f) in scenarios.iter().zip(results) {
        let (sync, sync_ratio) = timed(f.sync.as_ref(), f.kubectl_apply);
        let (noop, noop_ratio) = timed(f.noop.as_ref(), f.kubectl_noop);
        let noop_writes = match &f.noop {
            Some(_) => format!(
                "{} / {} ({})",
                f.noop_writes.other, f.noop_writes.applications, f.kubectl_noop_writes.other
            ),
            None => "—".to_string(),
        };
        println!(
            "| {} | {:.2} s | {sync} | {sync_ratio} | {:.2} s | {noop} | {noop_ratio} | {noop_writes} | {:.0} MiB ({:.0} MiB) |",
            scenario.title,
            secs(f.kubectl_apply),
            secs(f.kubectl_noop),
            mib(f.sync_rss_kib),
            mib(f.kubectl_rss_kib),
        );
    }
    if let (Some(scenario), Some(f)) = (scenarios.last(), results.last())
        && let Some(sync) = &f.sync
    {
        println!(
            "\n{}: linnet {:.0} s{} and {:.0} MiB RSS growth (controller + sim; the sim alone grew {:.0} MiB storing them for kubectl); \
             Flux publishes 4 min 16 s (256 s) and 175 MiB for 1,000 Kustomizations",
            scenario.title,
            secs(sync.elapsed),
            if sync.timed_out { " (timed out)" } else { "" },
            mib(f.sync_rss_kib),
            mib(f.kubectl_rss_kib),
        );
    }
}

/// The figure and its ratio to the baseline, or what happened instead.
fn timed(waited: Option<&Waited>, baseline: Duration) -> (String, String) {
    match waited {
        None => ("—".into(), "—".into()),
        Some(w) if w.timed_out => (
            format!("> {:.0} s (timed out, {} done)", secs(w.elapsed), w.done),
            "—".into(),
        ),
        Some(w) => (
            format!("{:.2} s", secs(w.elapsed)),
            format!("{:.1}×", secs(w.elapsed) / secs(baseline).max(1e-9)),
        ),
    }
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mib(kib: i64) -> f64 {
    kib as f64 / 1024.0
}
