//! Valid Rollouts for the validation tests to break one rule at a time, and assertions on the
//! findings they produce.

use crate::rollout::Rollout;
use crate::{Finding, Severity, Validate};

/// A basic canary (no traffic router) with a weight step and an indefinite pause.
pub fn canary() -> Rollout {
    parse(
        r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout, tier: web}}
    spec: {containers: [{name: checkout, image: "registry.example.com/checkout:1.4.2"}]}
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {}
"#,
    )
}

/// A canary routed by Istio, with both services and a managed route for header steps.
pub fn routed_canary() -> Rollout {
    let mut rollout = canary();
    let routed: Rollout = parse(
        r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  strategy:
    canary:
      canaryService: checkout-canary
      stableService: checkout-stable
      trafficRouting:
        managedRoutes: [{name: beta-testers}]
        istio:
          virtualService: {name: checkout, routes: [primary]}
      steps:
      - setWeight: 10
      - setHeaderRoute:
          name: beta-testers
          match: [{headerName: x-beta, headerValue: {exact: "true"}}]
      - pause: {duration: 5m}
"#,
    );
    rollout.spec.strategy = routed.spec.strategy;
    rollout
}

/// A blue-green rollout with a preview service.
pub fn blue_green() -> Rollout {
    let mut rollout = canary();
    let blue_green: Rollout = parse(
        r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  strategy:
    blueGreen:
      activeService: checkout-active
      previewService: checkout-preview
      autoPromotionEnabled: false
"#,
    );
    rollout.spec.strategy = blue_green.spec.strategy;
    rollout
}

fn parse(yaml: &str) -> Rollout {
    serde_saphyr::from_str(yaml).expect("test fixture is a valid Rollout")
}

/// Fails unless the rollout validates with no finding at all.
pub fn assert_clean(rollout: &Rollout) {
    let findings = rollout.validate();
    assert!(findings.is_empty(), "expected no findings, got {findings:#?}");
}

/// Fails unless validation reports a finding of `severity` at exactly `path` whose message
/// starts with `message`. `case` names the test case in the failure message.
pub fn assert_finding(rollout: &Rollout, severity: Severity, path: &str, message: &str, case: &str) {
    let findings = rollout.validate();
    let found = findings
        .iter()
        .any(|f: &Finding| f.severity == severity && f.path == path && f.message.starts_with(message));
    assert!(
        found,
        "{case}: expected {severity:?} at {path}: {message}…, got {findings:#?}"
    );
}
