//! The Deployment the comparison tests share: a manifest as written in Git, and the live object
//! the API server returns for it.

use linnet_controller::sync::diff::{Comparison, SyncStatus};
use serde_json::Value;

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

pub fn desired() -> Value {
    yaml(DESIRED_DEPLOYMENT)
}

pub fn live() -> Value {
    yaml(LIVE_DEPLOYMENT)
}

/// Asserts Synced with an empty diff, showing the diff otherwise.
pub fn assert_synced(comparison: &Comparison) {
    assert_eq!(
        comparison.status,
        SyncStatus::Synced,
        "unexpected diff:\n{}",
        comparison.diff
    );
    assert_eq!(comparison.diff, "");
}
