//! The kubectl 1.32 smoke test of the API-surface notes, step by step against a sim with its
//! simulated cluster running beside it. Each step checks the exit code and the field it is
//! about; steps 14, 23, 24 and 25 must fail the way a real apiserver makes them fail. Steps 21,
//! 22 and the pod half of 26 run against real pods: the cluster's Deployment and ReplicaSet
//! controllers create them and its kubelet makes them Ready (after the default second).

mod common;
mod kubectl;

use kubectl::Kubectl;
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};

/// A sim, its simulated cluster (hold it: dropping it stops the controllers and the kubelet),
/// a kubectl for it, and the `smoke` namespace (step 3) with the Rollout CRD (step 4).
async fn setup() -> (common::TestSim, ClusterHandle, Kubectl) {
    let t = common::start().await;
    let cluster = start_cluster(&t.sim.url(), ClusterOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cluster did not start: {e}"));
    let k = Kubectl::new(t.sim.kubeconfig_path());
    let ns = k.file("ns.yaml", kubectl::NAMESPACE);
    k.run(&["apply", "-f", &ns]).await.ok("3: apply namespace");
    assert_eq!(
        k.jsonpath(&["get", "ns", "smoke"], "{.status.phase}").await,
        "Active"
    );
    let crd = k.file("crd.yaml", kubectl::CRD);
    k.run(&["apply", "-f", &crd]).await.ok("4: apply CRD");
    k.run(&[
        "wait",
        "--for=condition=Established",
        "crd/rollouts.demo.example.io",
        "--timeout=10s",
    ])
    .await
    .ok("4: wait Established");
    (t, cluster, k)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_1_to_5_and_30_version_discovery_and_crd() {
    let (_t, _cluster, k) = setup().await;
    let version = k.run(&["version", "-o", "json"]).await.ok("1: version");
    let version: serde_json::Value = serde_json::from_str(&version.stdout).unwrap_or_default();
    assert_eq!(version["serverVersion"]["minor"], "32");

    let groups = k.run(&["api-versions"]).await.ok("2: api-versions").stdout;
    assert!(
        groups.lines().any(|l| l == "apps/v1") && groups.lines().any(|l| l == "v1"),
        "{groups}"
    );
    let resources = k
        .run(&["api-resources", "-o", "wide"])
        .await
        .ok("2: api-resources")
        .stdout;
    let deployments = resources
        .lines()
        .find(|l| l.starts_with("deployments "))
        .unwrap_or_default();
    assert!(
        deployments.contains("deploy") && deployments.contains("apps/v1"),
        "{resources}"
    );

    let demo = k
        .run(&["api-resources", "--api-group=demo.example.io"])
        .await
        .ok("5: CRD discoverable")
        .stdout;
    assert!(
        demo.lines()
            .any(|l| l.starts_with("rollouts ") && l.contains(" ro ")),
        "{demo}"
    );

    let ready = k.run(&["get", "--raw", "/readyz"]).await.ok("30: readyz");
    assert_eq!(ready.stdout.trim(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_6_8_and_10_to_22_deployment_lifecycle() {
    let (t, _cluster, k) = setup().await;
    let n = ["-n", "smoke"];
    let args = |rest: &[&'static str]| -> Vec<&'static str> { n.iter().chain(rest).copied().collect() };
    let deploy = k.file("deploy.yaml", &kubectl::deployment("nginx:1.27"));

    t.sim.clear_requests();
    k.run(&[&args(&["apply", "-f"])[..], &[deploy.as_str()]].concat())
        .await
        .ok("6: apply deployment");
    let strict_post = t.sim.requests().iter().any(|r| {
        r.method == "POST" && r.path.ends_with("/deployments") && r.query.contains("fieldValidation=Strict")
    });
    assert!(strict_post, "6: kubectl validated strictly on the server");

    k.file("deploy.yaml", &kubectl::deployment("nginx:1.28"));
    k.run(&[&args(&["apply", "-f"])[..], &[deploy.as_str()]].concat())
        .await
        .ok("7: re-apply with a new image");
    let get_web = args(&["get", "deploy", "web"]);
    assert_eq!(
        k.jsonpath(&get_web, "{.spec.template.spec.containers[0].image}")
            .await,
        "nginx:1.28"
    );
    assert_eq!(
        k.jsonpath(&get_web, "{.spec.template.spec.containers[0].env[0].value}")
            .await,
        "smoke"
    );
    assert_eq!(
        k.jsonpath(
            &get_web,
            "{.spec.template.spec.containers[0].ports[0].containerPort}"
        )
        .await,
        "80"
    );
    assert_eq!(k.jsonpath(&get_web, "{.metadata.generation}").await, "2");

    // The cluster keeps writing the Deployment's status and revision annotation while it rolls
    // out, so "nothing persisted" compares what an apply would write (spec, generation and the
    // last-applied annotation) rather than the resourceVersion.
    let applied = "{.metadata.generation} {.spec} \
        {.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}";
    let before = k.jsonpath(&get_web, applied).await;
    assert!(before.contains("nginx:1.28"), "8: {before}");
    k.file("deploy.yaml", &kubectl::deployment("nginx:1.29"));
    let diff = k
        .run(&[&args(&["diff", "-f"])[..], &[deploy.as_str()]].concat())
        .await;
    assert!(diff.code == 0 || diff.code == 1, "8: diff: {}", diff.stderr);
    assert!(
        diff.stdout.contains("nginx:1.29"),
        "8: diff shows the change: {}",
        diff.stdout
    );
    assert_eq!(
        k.jsonpath(&get_web, applied).await,
        before,
        "8: nothing persisted"
    );

    k.run(
        &[
            &args(&["apply", "--server-side", "--force-conflicts", "-f"])[..],
            &[deploy.as_str()],
        ]
        .concat(),
    )
    .await
    .ok("10: server-side apply with force");
    assert_eq!(
        k.jsonpath(&get_web, "{.spec.template.spec.containers[0].image}")
            .await,
        "nginx:1.29"
    );

    k.run(&args(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"replicas":3}}"#,
    ]))
    .await
    .ok("11");
    assert_eq!(k.jsonpath(&get_web, "{.spec.replicas}").await, "3");
    let json_patch = r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#;
    k.run(&args(&[
        "patch", "deploy", "web", "--type", "json", "-p", json_patch,
    ]))
    .await
    .ok("12");
    assert_eq!(k.jsonpath(&get_web, "{.spec.replicas}").await, "4");
    let strategic = r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:2"}]}}}}"#;
    k.run(&args(&["patch", "deploy", "web", "-p", strategic]))
        .await
        .ok("13: strategic patch");
    assert_eq!(
        k.jsonpath(&get_web, "{.spec.template.spec.containers[0].image}")
            .await,
        "nginx:2"
    );
    assert_eq!(
        k.jsonpath(&get_web, "{.spec.template.spec.containers[0].env[0].name}")
            .await,
        "MODE",
        "13: kept"
    );

    k.run(&args(&["scale", "deploy", "web", "--replicas=5"]))
        .await
        .ok("16: scale deployment");
    assert_eq!(k.jsonpath(&get_web, "{.spec.replicas}").await, "5");

    let by_label = k
        .run(&args(&["get", "deploy", "-l", "app=web", "-o", "name"]))
        .await
        .ok("17: label selector");
    assert_eq!(by_label.stdout.trim(), "deployment.apps/web");
    let by_field = k
        .run(&args(&[
            "get",
            "deploy",
            "--field-selector",
            "metadata.name=web",
            "-o",
            "name",
        ]))
        .await;
    assert_eq!(
        by_field.ok("17: field selector").stdout.trim(),
        "deployment.apps/web"
    );

    let watch = {
        let watch_args = args(&["get", "deploy", "web", "-w", "--request-timeout=3s", "-o", "name"]);
        let watching = k.run(&watch_args);
        let labelling = async {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            k.run(&args(&["label", "deploy", "web", "watched=yes"])).await
        };
        let (watch, label) = tokio::join!(watching, labelling);
        label.ok("18: label during the watch");
        watch
    };
    let lines = watch
        .stdout
        .lines()
        .filter(|l| l.contains("deployment.apps/web"))
        .count();
    assert!(lines >= 2, "18: the list row and the watch event: {watch:?}");

    k.run(&args(&["label", "deploy", "web", "tier=fe"]))
        .await
        .ok("19: label");
    k.run(&args(&["annotate", "deploy", "web", "note=x"]))
        .await
        .ok("19: annotate");
    assert_eq!(k.jsonpath(&get_web, "{.metadata.labels.tier}").await, "fe");
    assert_eq!(k.jsonpath(&get_web, "{.metadata.annotations.note}").await, "x");

    k.run(&args(&["set", "image", "deploy/web", "nginx=nginx:3"]))
        .await
        .ok("20: set image");
    assert_eq!(
        k.jsonpath(&get_web, "{.spec.template.spec.containers[0].image}")
            .await,
        "nginx:3"
    );
    k.run(&args(&["rollout", "restart", "deploy/web"]))
        .await
        .ok("20: rollout restart");
    let restarted = k
        .jsonpath(
            &get_web,
            "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
        )
        .await;
    assert!(!restarted.is_empty(), "20: restartedAt set");

    let status = k
        .run(&args(&["rollout", "status", "deploy/web", "--timeout=30s"]))
        .await
        .ok("21: rollout status");
    assert!(
        status
            .stdout
            .contains("deployment \"web\" successfully rolled out"),
        "21: {status:?}"
    );
    let generation = k.jsonpath(&get_web, "{.metadata.generation}").await;
    assert_eq!(
        k.jsonpath(&get_web, "{.status.observedGeneration}").await,
        generation,
        "21: the controller saw the last change"
    );
    for field in ["updatedReplicas", "readyReplicas", "availableReplicas"] {
        let path = format!("{{.status.{field}}}");
        assert_eq!(k.jsonpath(&get_web, &path).await, "5", "21: {field}");
    }

    let available = k
        .run(&args(&[
            "wait",
            "--for=condition=Available",
            "deploy/web",
            "--timeout=30s",
        ]))
        .await
        .ok("22: wait Available");
    assert!(
        available.stdout.contains("deployment.apps/web condition met"),
        "22: {available:?}"
    );
    assert_eq!(
        k.jsonpath(&get_web, "{.status.conditions[?(@.type==\"Available\")].status}")
            .await,
        "True"
    );
    let ready_pods = k
        .jsonpath(
            &args(&["get", "pods", "-l", "app=web"]),
            "{.items[*].status.conditions[?(@.type==\"Ready\")].status}",
        )
        .await;
    assert!(
        ready_pods.split_whitespace().filter(|s| *s == "True").count() >= 5,
        "22: ready pods {ready_pods:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_9_14_to_16_and_22_custom_resource() {
    let (_t, _cluster, k) = setup().await;
    let ro = k.file("ro.yaml", kubectl::ROLLOUT);
    k.run(&[
        "-n",
        "smoke",
        "apply",
        "--server-side",
        "--field-manager=smoke",
        "-f",
        &ro,
    ])
    .await
    .ok("9: server-side apply");
    let managers = k
        .jsonpath(
            &["-n", "smoke", "get", "ro", "ro1"],
            "{.metadata.managedFields[*].manager}",
        )
        .await;
    assert!(
        managers.split_whitespace().any(|m| m == "smoke"),
        "9: managers {managers:?}"
    );

    k.run(&["-n", "smoke", "patch", "ro", "ro1", "-p", r#"{"spec":{"x":1}}"#])
        .await
        .fails_with(
            "14: strategic patch of a custom resource",
            "application/strategic-merge-patch+json is not supported by demo.example.io/v1, Kind=Rollout",
        );

    let generation = k
        .jsonpath(&["-n", "smoke", "get", "ro", "ro1"], "{.metadata.generation}")
        .await;
    let status = r#"{"status":{"phase":"Healthy"}}"#;
    k.run(&[
        "-n",
        "smoke",
        "patch",
        "ro",
        "ro1",
        "--subresource=status",
        "--type",
        "merge",
        "-p",
        status,
    ])
    .await
    .ok("15: status patch");
    assert_eq!(
        k.jsonpath(&["-n", "smoke", "get", "ro", "ro1"], "{.status.phase}")
            .await,
        "Healthy"
    );
    assert_eq!(
        k.jsonpath(&["-n", "smoke", "get", "ro", "ro1"], "{.metadata.generation}")
            .await,
        generation
    );
    let healthy = k
        .run(&[
            "-n",
            "smoke",
            "wait",
            "--for=jsonpath={.status.phase}=Healthy",
            "ro/ro1",
            "--timeout=10s",
        ])
        .await
        .ok("22: wait for the Healthy phase");
    assert!(
        healthy
            .stdout
            .contains("rollout.demo.example.io/ro1 condition met"),
        "22: {healthy:?}"
    );

    k.run(&["-n", "smoke", "scale", "ro", "ro1", "--replicas=2"])
        .await
        .ok("16: scale a custom resource");
    assert_eq!(
        k.jsonpath(&["-n", "smoke", "get", "ro", "ro1"], "{.spec.replicas}")
            .await,
        "2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_23_to_25_create_conflicts_and_finalizers() {
    let (_t, _cluster, k) = setup().await;
    let cm = k.file("cm.yaml", kubectl::CONFIGMAP);
    k.run(&["-n", "smoke", "create", "-f", &cm])
        .await
        .ok("23: create");
    k.run(&["-n", "smoke", "create", "-f", &cm])
        .await
        .fails_with("23: create again", "AlreadyExists");
    let extra = k.file("cm-unknown.yaml", kubectl::CONFIGMAP_UNKNOWN_FIELD);
    k.run(&["-n", "smoke", "create", "-f", &extra])
        .await
        .fails_with("23: unknown field", "strict decoding error");
    k.run(&["-n", "smoke", "create", "--validate=false", "-f", &extra])
        .await
        .ok("23: unknown field, no validation");
    let spec = k
        .jsonpath(&["-n", "smoke", "get", "cm", "cfg-extra"], "{.spec}")
        .await;
    assert_eq!(spec, "", "23: the unknown field was pruned");

    let deploy = k.file("deploy.yaml", &kubectl::deployment("nginx:1.27"));
    k.run(&["-n", "smoke", "apply", "-f", &deploy])
        .await
        .ok("24: setup");
    let stale =
        kubectl::deployment("nginx:9").replace("  name: web\n", "  name: web\n  resourceVersion: \"1\"\n");
    let stale = k.file("deploy-stale-rv.yaml", &stale);
    k.run(&["-n", "smoke", "replace", "-f", &stale])
        .await
        .fails_with("24: stale replace", "Conflict");

    let finalizer = r#"{"metadata":{"finalizers":["demo/x"]}}"#;
    k.run(&[
        "-n", "smoke", "patch", "cm", "cfg", "--type", "merge", "-p", finalizer,
    ])
    .await
    .ok("25: add finalizer");
    k.run(&["-n", "smoke", "delete", "cm", "cfg", "--wait=false"])
        .await
        .ok("25: delete");
    let deleting = k
        .jsonpath(
            &["-n", "smoke", "get", "cm", "cfg"],
            "{.metadata.deletionTimestamp}",
        )
        .await;
    assert!(!deleting.is_empty(), "25: deletionTimestamp set");
    let remove = r#"[{"op":"remove","path":"/metadata/finalizers"}]"#;
    k.run(&[
        "-n", "smoke", "patch", "cm", "cfg", "--type", "json", "-p", remove,
    ])
    .await
    .ok("25: remove finalizer");
    k.run(&["-n", "smoke", "get", "cm", "cfg"])
        .await
        .fails_with("25: gone", "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_26_to_29_cascade_kustomize_listing_and_namespace_deletion() {
    let (_t, _cluster, k) = setup().await;
    let deploy = k.file("deploy.yaml", &kubectl::deployment("nginx:1.27"));
    k.run(&["-n", "smoke", "apply", "-f", &deploy])
        .await
        .ok("26: setup");
    k.run(&["-n", "smoke", "rollout", "status", "deploy/web", "--timeout=30s"])
        .await
        .ok("26: setup rolled out");
    let before = k
        .run(&["-n", "smoke", "get", "rs,pods", "-l", "app=web", "-o", "name"])
        .await
        .ok("26: list rs and pods before");
    let rs = before
        .stdout
        .lines()
        .filter(|l| l.starts_with("replicaset.apps/web-"))
        .count();
    let pods = before
        .stdout
        .lines()
        .filter(|l| l.starts_with("pod/web-"))
        .count();
    assert_eq!((rs, pods), (1, 2), "26: before the delete: {}", before.stdout);
    k.run(&[
        "-n",
        "smoke",
        "delete",
        "deploy",
        "web",
        "--cascade=foreground",
        "--timeout=30s",
    ])
    .await
    .ok("26: delete");
    k.run(&["-n", "smoke", "get", "deploy", "web"])
        .await
        .fails_with("26: deployment gone", "NotFound");
    let left = k
        .run(&["-n", "smoke", "get", "rs,pods", "-l", "app=web", "-o", "name"])
        .await
        .ok("26: list rs and pods");
    assert_eq!(left.stdout.trim(), "", "26: garbage collected");

    k.file("kdir/cm.yaml", kubectl::CONFIGMAP);
    k.file(
        "kdir/kustomization.yaml",
        "resources:\n- cm.yaml\nnamePrefix: k-\ncommonLabels:\n  via: kustomize\n",
    );
    let kdir = k.path("kdir");
    let rendered = k.run(&["kustomize", &kdir]).await.ok("27: kustomize");
    k.run_with_stdin(&["-n", "smoke", "apply", "-f", "-"], Some(&rendered.stdout))
        .await
        .ok("27: apply rendered");
    assert_eq!(
        k.jsonpath(&["-n", "smoke", "get", "cm", "k-cfg"], "{.metadata.labels.via}")
            .await,
        "kustomize"
    );
    k.file(
        "kdir/kustomization.yaml",
        "resources:\n- cm.yaml\nnamePrefix: dry-\n",
    );
    k.run(&["-n", "smoke", "apply", "-k", &kdir, "--dry-run=server"])
        .await
        .ok("27: server dry run");
    k.run(&["-n", "smoke", "get", "cm", "dry-cfg"])
        .await
        .fails_with("27: dry run persisted nothing", "NotFound");

    k.run(&["get", "all", "-n", "smoke"]).await.ok("28: get all");
    k.run(&["get", "pods", "-A"])
        .await
        .ok("28: pods in all namespaces");
    k.run(&["-n", "smoke", "get", "events"]).await.ok("28: events");

    k.run(&["delete", "ns", "smoke", "--timeout=30s"])
        .await
        .ok("29: delete namespace");
    k.run(&["get", "ns", "smoke"])
        .await
        .fails_with("29: namespace gone", "NotFound");
}
