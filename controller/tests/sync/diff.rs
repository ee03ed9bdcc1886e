//! Comparison: server defaults and server-set fields make no difference, real changes do and read
//! well.

use linnet_controller::sync::diff::{SyncStatus, compare, normalize};
use serde_json::json;

use crate::builders::yaml;
use crate::manifests::{assert_synced, desired, live};

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
