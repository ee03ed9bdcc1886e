//! Comparison: server defaults and server-set fields make no difference, real changes do and read
//! well, Secret values never show, ignoreDifferences rules hold.

use linnet_controller::sync::SyncError;
use linnet_controller::sync::diff::{Comparison, IgnoreRule, SyncStatus, compare, normalize};
use serde_json::{Value, json};

use crate::builders::yaml;

const DESIRED_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.4.2
          ports:
            - containerPort: 8080
          env:
            - name: MODE
              value: fast
        - name: proxy
          image: envoy:v1.31
"#;

/// What the API server returns for the manifest above: defaults filled in, server metadata,
/// status, a tracking annotation and a label added by someone else.
const LIVE_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 6f1c2a9e-0000-4000-8000-000000000001
  resourceVersion: "48213"
  generation: 3
  creationTimestamp: "2026-02-27T09:00:00Z"
  labels: {app: web, team: storefront}
  annotations:
    argocd.argoproj.io/tracking-id: "shop:apps/Deployment:shop/web"
    deployment.kubernetes.io/revision: "3"
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Deployment"}'
  managedFields:
    - manager: linnet
      operation: Apply
      apiVersion: apps/v1
      fieldsType: FieldsV1
      fieldsV1: {"f:spec": {"f:template": {}}}
    - manager: kube-controller-manager
      operation: Update
      apiVersion: apps/v1
      fieldsType: FieldsV1
      fieldsV1: {"f:spec": {"f:replicas": {}}}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      restartPolicy: Always
      dnsPolicy: ClusterFirst
      schedulerName: default-scheduler
      terminationGracePeriodSeconds: 30
      securityContext: {}
      containers:
        - name: proxy
          image: envoy:v1.31
          imagePullPolicy: IfNotPresent
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
          resources: {}
        - name: web
          image: shop/web:1.4.2
          imagePullPolicy: IfNotPresent
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
          resources: {}
          ports:
            - containerPort: 8080
              protocol: TCP
          env:
            - name: MODE
              value: fast
status:
  observedGeneration: 3
  replicas: 1
  updatedReplicas: 1
  availableReplicas: 1
"#;

fn desired() -> Value {
    yaml(DESIRED_DEPLOYMENT)
}

fn live() -> Value {
    yaml(LIVE_DEPLOYMENT)
}

fn assert_synced(comparison: &Comparison) {
    assert_eq!(
        comparison.status,
        SyncStatus::Synced,
        "unexpected diff:\n{}",
        comparison.diff
    );
    assert_eq!(comparison.diff, "");
}

#[test]
fn server_defaults_and_server_fields_make_no_difference() {
    assert_synced(&compare(&desired(), Some(&live()), &[]));
}

#[test]
fn defaults_written_out_in_the_manifest_match_a_live_object_without_them() {
    let mut explicit = desired();
    explicit["spec"]["replicas"] = json!(1);
    explicit["spec"]["template"]["spec"]["dnsPolicy"] = json!("ClusterFirst");
    explicit["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("IfNotPresent");
    explicit["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = json!("TCP");
    let mut bare_live = desired();
    bare_live["status"] = json!({"replicas": 1});
    assert_synced(&compare(&explicit, Some(&bare_live), &[]));
    assert_synced(&compare(&explicit, Some(&live()), &[]));
}

#[test]
fn an_explicit_value_equal_to_a_default_still_differs_from_another_live_value() {
    let mut pinned = desired();
    pinned["spec"]["replicas"] = json!(1);
    let mut scaled = live();
    scaled["spec"]["replicas"] = json!(3);
    let comparison = compare(&pinned, Some(&scaled), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    assert!(
        comparison.diff.contains("-  replicas: 3\n+  replicas: 1\n"),
        "{}",
        comparison.diff
    );
}

#[test]
fn a_changed_image_is_out_of_sync_with_a_readable_diff() {
    let mut newer = desired();
    newer["spec"]["template"]["spec"]["containers"][0]["image"] = json!("shop/web:1.5.0");
    let comparison = compare(&newer, Some(&live()), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    let diff = &comparison.diff;
    assert!(diff.starts_with("--- live\n+++ desired\n@@"), "{diff}");
    assert!(
        diff.contains("-        image: shop/web:1.4.2\n+        image: shop/web:1.5.0\n"),
        "{diff}"
    );
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---") && !l.starts_with("+++")
        })
        .collect();
    assert_eq!(changed.len(), 2, "only the image line changes:\n{diff}");
    assert!(
        !diff.contains("terminationMessagePath") && !diff.contains("uid"),
        "noise in the diff:\n{diff}"
    );
}

#[test]
fn a_missing_live_object_is_out_of_sync_and_shows_the_whole_manifest() {
    let comparison = compare(&desired(), None, &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    assert!(
        comparison.diff.contains("+kind: Deployment\n"),
        "{}",
        comparison.diff
    );
    assert!(
        comparison.diff.lines().skip(3).all(|l| l.starts_with('+')),
        "{}",
        comparison.diff
    );
}

#[test]
fn fields_only_live_has_are_not_differences_but_extra_list_items_are() {
    let mut annotated = live();
    annotated["metadata"]["annotations"]["someone/else"] = json!("x");
    annotated["spec"]["template"]["spec"]["containers"][1]["stdin"] = json!(true);
    assert_synced(&compare(&desired(), Some(&annotated), &[]));

    let mut extra_env = live();
    extra_env["spec"]["template"]["spec"]["containers"][1]["env"]
        .as_array_mut()
        .expect("env list")
        .push(json!({"name": "DEBUG", "value": "1"}));
    let comparison = compare(&desired(), Some(&extra_env), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    assert!(
        comparison.diff.contains("-        - name: DEBUG\n"),
        "{}",
        comparison.diff
    );
}

#[test]
fn a_field_the_manifest_sets_but_live_lacks_is_a_difference() {
    let mut limited = desired();
    limited["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({"limits": {"cpu": "500m"}});
    let comparison = compare(&limited, Some(&live()), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    assert!(
        comparison.diff.contains("+            cpu: 500m\n"),
        "{}",
        comparison.diff
    );
}

fn secret(data: Value, string_data: Option<Value>) -> Value {
    let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": data});
    if let Some(string_data) = string_data {
        secret["stringData"] = string_data;
    }
    secret
}

#[test]
fn secret_values_never_appear_in_a_diff() {
    // base64 of "hunter2", "correct-horse" and "admin".
    let desired = secret(json!({"password": "aHVudGVyMg==", "user": "YWRtaW4="}), None);
    let mut live = secret(
        json!({"password": "Y29ycmVjdC1ob3JzZQ==", "user": "YWRtaW4="}),
        None,
    );
    live["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"Y29ycmVjdC1ob3JzZQ==\"}}"
    });
    let comparison = compare(&desired, Some(&live), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    for secret_text in [
        "aHVudGVyMg==",
        "Y29ycmVjdC1ob3JzZQ==",
        "YWRtaW4=",
        "hunter2",
        "correct-horse",
        "admin",
    ] {
        assert!(
            !comparison.diff.contains(secret_text),
            "{secret_text} leaked:\n{}",
            comparison.diff
        );
    }
    let removed: Vec<&str> = comparison
        .diff
        .lines()
        .filter(|l| l.starts_with("-  password"))
        .collect();
    let added: Vec<&str> = comparison
        .diff
        .lines()
        .filter(|l| l.starts_with("+  password"))
        .collect();
    assert_eq!(removed.len(), 1, "{}", comparison.diff);
    assert_eq!(added.len(), 1, "{}", comparison.diff);
    assert_ne!(
        removed[0][1..],
        added[0][1..],
        "different values keep different masks"
    );
    assert!(comparison.diff.contains("++++++++"), "{}", comparison.diff);
}

#[test]
fn a_secret_written_with_string_data_matches_its_live_data() {
    let desired = secret(json!({"user": "YWRtaW4="}), Some(json!({"password": "hunter2"})));
    let live = secret(json!({"password": "aHVudGVyMg==", "user": "YWRtaW4="}), None);
    assert_synced(&compare(&desired, Some(&live), &[]));

    let changed = secret(json!({"user": "YWRtaW4="}), Some(json!({"password": "hunter3"})));
    let comparison = compare(&changed, Some(&live), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    assert!(
        !comparison.diff.contains("hunter3") && !comparison.diff.contains("aHVudGVyMw=="),
        "{}",
        comparison.diff
    );
}

fn rule(json_pointers: &[&str], managers: &[&str], jq: &[&str]) -> IgnoreRule {
    IgnoreRule {
        group: "apps".into(),
        kind: "Deployment".into(),
        json_pointers: json_pointers.iter().map(|s| s.to_string()).collect(),
        managed_fields_managers: managers.iter().map(|s| s.to_string()).collect(),
        jq_path_expressions: jq.iter().map(|s| s.to_string()).collect(),
        ..IgnoreRule::default()
    }
}

/// Desired pins 2 replicas; live was scaled to 5 by the autoscaler.
fn scaled_pair() -> (Value, Value) {
    let mut pinned = desired();
    pinned["spec"]["replicas"] = json!(2);
    let mut scaled = live();
    scaled["spec"]["replicas"] = json!(5);
    (pinned, scaled)
}

#[test]
fn json_pointer_rules_ignore_their_fields() {
    let (pinned, scaled) = scaled_pair();
    assert_eq!(compare(&pinned, Some(&scaled), &[]).status, SyncStatus::OutOfSync);
    assert_synced(&compare(
        &pinned,
        Some(&scaled),
        &[rule(&["/spec/replicas"], &[], &[])],
    ));

    let mut labelled = desired();
    labelled["metadata"]["annotations"] = json!({"example.com/owner": "team-a"});
    let mut relabelled = live();
    relabelled["metadata"]["annotations"]["example.com/owner"] = json!("team-b");
    assert_eq!(
        compare(&labelled, Some(&relabelled), &[]).status,
        SyncStatus::OutOfSync
    );
    let escaped = rule(&["/metadata/annotations/example.com~1owner"], &[], &[]);
    assert_synced(&compare(&labelled, Some(&relabelled), &[escaped]));
}

#[test]
fn rules_for_other_objects_do_not_apply() {
    let (pinned, scaled) = scaled_pair();
    let mut other_kind = rule(&["/spec/replicas"], &[], &[]);
    other_kind.kind = "StatefulSet".into();
    let mut other_name = rule(&["/spec/replicas"], &[], &[]);
    other_name.name = "api".into();
    assert_eq!(
        compare(&pinned, Some(&scaled), &[other_kind, other_name]).status,
        SyncStatus::OutOfSync
    );
}

#[test]
fn managed_fields_manager_rules_ignore_what_those_managers_own() {
    let (pinned, scaled) = scaled_pair();
    assert_synced(&compare(
        &pinned,
        Some(&scaled),
        &[rule(&[], &["kube-controller-manager"], &[])],
    ));
    let someone_else = compare(&pinned, Some(&scaled), &[rule(&[], &["helm"], &[])]);
    assert_eq!(someone_else.status, SyncStatus::OutOfSync);
}

#[test]
fn jq_expressions_are_reported_as_unsupported_and_the_rest_still_applies() {
    let (pinned, scaled) = scaled_pair();
    let comparison = compare(
        &pinned,
        Some(&scaled),
        &[rule(&["/spec/replicas"], &[], &[".spec.replicas"])],
    );
    assert_synced(&comparison);
    assert_eq!(comparison.errors.len(), 1);
    assert!(
        matches!(&comparison.errors[0], SyncError::UnsupportedIgnore { field: "jqPathExpressions", expression, .. }
            if expression == ".spec.replicas"),
        "{:?}",
        comparison.errors
    );
    assert!(comparison.errors[0].to_string().contains("not supported"));

    let bad_pointer = compare(&pinned, Some(&scaled), &[rule(&["spec/replicas"], &[], &[])]);
    assert_eq!(bad_pointer.status, SyncStatus::OutOfSync);
    assert!(
        matches!(
            bad_pointer.errors.as_slice(),
            [SyncError::InvalidJsonPointer { .. }]
        ),
        "{:?}",
        bad_pointer.errors
    );
}

#[test]
fn normalize_removes_server_fields_and_defaults_but_keeps_what_users_wrote() {
    let normalized = normalize(&live());
    let metadata = &normalized["metadata"];
    for field in [
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
    ] {
        assert!(metadata.get(field).is_none(), "{field} kept");
    }
    assert!(normalized.get("status").is_none());
    assert!(
        metadata["annotations"]
            .get("kubectl.kubernetes.io/last-applied-configuration")
            .is_none()
    );
    assert_eq!(metadata["annotations"]["deployment.kubernetes.io/revision"], "3");
    let spec = &normalized["spec"];
    for field in [
        "replicas",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "strategy",
    ] {
        assert!(spec.get(field).is_none(), "default {field} kept: {spec}");
    }
    let pod = &spec["template"]["spec"];
    for field in [
        "restartPolicy",
        "dnsPolicy",
        "schedulerName",
        "terminationGracePeriodSeconds",
        "securityContext",
    ] {
        assert!(pod.get(field).is_none(), "default {field} kept");
    }
    let web = &pod["containers"][1];
    assert_eq!(web["image"], "shop/web:1.4.2");
    assert_eq!(web["ports"], json!([{"containerPort": 8080}]));
    assert!(web.get("imagePullPolicy").is_none() && web.get("terminationMessagePolicy").is_none());
    assert_eq!(web["resources"], json!({}), "an empty map that was written stays");

    let mut scaled = live();
    scaled["spec"]["replicas"] = json!(4);
    scaled["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
    let normalized = normalize(&scaled);
    assert_eq!(normalized["spec"]["replicas"], 4, "a non-default value stays");
    assert_eq!(
        normalized["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );
}

#[test]
fn service_defaults_make_no_difference() {
    let desired = yaml(
        r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
    - name: dns
      port: 53
      protocol: UDP
      targetPort: 5353
"#,
    );
    let live = yaml(
        r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, uid: x, resourceVersion: "9"}
spec:
  type: ClusterIP
  sessionAffinity: None
  clusterIP: 10.96.0.12
  clusterIPs: [10.96.0.12]
  internalTrafficPolicy: Cluster
  selector: {app: web}
  ports:
    - name: dns
      port: 53
      protocol: UDP
      targetPort: 5353
    - name: http
      port: 80
      protocol: TCP
      targetPort: 80
status:
  loadBalancer: {}
"#,
    );
    assert_synced(&compare(&desired, Some(&live), &[]));
    let mut retargeted = live.clone();
    retargeted["spec"]["ports"][0]["targetPort"] = json!(5354);
    assert_eq!(
        compare(&desired, Some(&retargeted), &[]).status,
        SyncStatus::OutOfSync
    );
}
