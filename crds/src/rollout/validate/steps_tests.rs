//! Table tests of the canary step rules: each case appends one faulty step (or changes one
//! field) of a valid canary and expects the finding at that step.

use super::super::test_support::{assert_clean, assert_finding, canary, routed_canary};
use crate::Severity::Error;
use crate::rollout::{CanaryStep, Rollout};

/// Parses one step written in YAML, as a user would write it.
fn step(yaml: &str) -> CanaryStep {
    serde_saphyr::from_str(yaml).expect("test step is valid YAML for a step")
}

/// Appends `yaml` as the last step and returns the rollout and that step's path.
fn with_step(base: fn() -> Rollout, yaml: &str) -> (Rollout, String) {
    let mut rollout = base();
    let steps = rollout
        .spec
        .strategy
        .as_mut()
        .and_then(|s| s.canary.as_mut())
        .and_then(|c| c.steps.as_mut())
        .unwrap();
    steps.push(step(yaml));
    let path = format!("spec.strategy.canary.steps[{}]", steps.len() - 1);
    (rollout, path)
}

#[test]
fn each_step_rule_reports_at_its_path() {
    type Case = (fn() -> Rollout, &'static str, &'static str, &'static str);
    let cases: [Case; 21] = [
        (canary, "{}", "", "the step sets no action"),
        (
            canary,
            "{setWeight: 10, pause: {}}",
            "",
            "the step sets setWeight and pause; set exactly one",
        ),
        (
            canary,
            "setWeight: 150",
            ".setWeight",
            "150 is above maxTrafficWeight 100",
        ),
        (
            canary,
            "setWeight: -5",
            ".setWeight",
            "-5 is negative; weights run from 0 to 100",
        ),
        (
            canary,
            "pause: {duration: 5 minutes}",
            ".pause.duration",
            "\"5 minutes\" is not a duration",
        ),
        (
            canary,
            "pause: {duration: -3}",
            ".pause.duration",
            "-3 is negative",
        ),
        (
            canary,
            "setCanaryScale: {replicas: 2}",
            ".setCanaryScale",
            "setCanaryScale needs trafficRouting",
        ),
        (
            routed_canary,
            "setCanaryScale: {replicas: 2, weight: 20}",
            ".setCanaryScale",
            "set exactly one of weight, replicas",
        ),
        (
            routed_canary,
            "setCanaryScale: {weight: 120}",
            ".setCanaryScale.weight",
            "120 is above maxTrafficWeight 100",
        ),
        (
            canary,
            "setHeaderRoute: {name: beta-testers}",
            ".setHeaderRoute",
            "setHeaderRoute needs trafficRouting",
        ),
        (
            routed_canary,
            "setHeaderRoute: {name: employees}",
            ".setHeaderRoute.name",
            "route \"employees\" is not listed in trafficRouting.managedRoutes",
        ),
        (
            routed_canary,
            "setHeaderRoute: {match: []}",
            ".setHeaderRoute.name",
            "the route name is required",
        ),
        (
            routed_canary,
            "setHeaderRoute: {name: beta-testers, match: [{headerName: x-beta, headerValue: {exact: a, regex: b}}]}",
            ".setHeaderRoute.match[0].headerValue",
            "set exactly one of exact, prefix and regex",
        ),
        (
            canary,
            "setMirrorRoute: {name: beta-testers}",
            ".setMirrorRoute",
            "setMirrorRoute needs trafficRouting",
        ),
        (
            routed_canary,
            "setMirrorRoute: {name: shadow, percentage: 50}",
            ".setMirrorRoute.name",
            "route \"shadow\" is not listed",
        ),
        (
            routed_canary,
            "setMirrorRoute: {name: beta-testers, percentage: 150}",
            ".setMirrorRoute.percentage",
            "150 is out of range",
        ),
        (
            canary,
            "analysis: {templates: []}",
            ".analysis.templates",
            "no analysis template is named",
        ),
        (
            canary,
            "experiment: {duration: \"10\", templates: [{name: baseline, specRef: stable}]}",
            ".experiment.duration",
            "\"10\" is not a duration",
        ),
        (
            canary,
            "experiment: {templates: []}",
            ".experiment.templates",
            "an experiment needs at least one template",
        ),
        (
            canary,
            "experiment: {templates: [{name: canary, specRef: canary, weight: 5}]}",
            ".experiment.templates[0].weight",
            "an experiment template's weight needs trafficRouting",
        ),
        (
            canary,
            "plugin: {name: ''}",
            ".plugin.name",
            "the plugin name is required",
        ),
    ];
    for (base, yaml, suffix, message) in cases {
        let (rollout, step_path) = with_step(base, yaml);
        assert_finding(&rollout, Error, &format!("{step_path}{suffix}"), message, yaml);
    }
}

#[test]
fn duplicate_experiment_templates_are_reported() {
    let yaml = "experiment: {templates: [{name: a, specRef: stable}, {name: a, specRef: canary}]}";
    let (rollout, path) = with_step(canary, yaml);
    let at = format!("{path}.experiment.templates[1].name");
    assert_finding(&rollout, Error, &at, "template name \"a\" is used twice", yaml);
}

#[test]
fn a_larger_weight_scale_moves_the_bound() {
    let scaled = || {
        let mut rollout = routed_canary();
        let canary = rollout
            .spec
            .strategy
            .as_mut()
            .and_then(|s| s.canary.as_mut())
            .unwrap();
        canary.traffic_routing.as_mut().unwrap().max_traffic_weight = Some(1000);
        rollout
    };
    let (accepted, _) = with_step(scaled, "setWeight: 150");
    assert_clean(&accepted);
    let (refused, path) = with_step(scaled, "setWeight: 1500");
    assert_finding(
        &refused,
        Error,
        &format!("{path}.setWeight"),
        "1500 is above maxTrafficWeight 1000",
        "1500",
    );
}

#[test]
fn valid_steps_give_no_findings() {
    let steps = [
        "setWeight: 0",
        "setWeight: 100",
        "pause: {duration: 30}",
        "pause: {duration: \"30\"}",
        "pause: {duration: 1h30m}",
        "analysis: {templates: [{templateName: success-rate}], args: [{name: service, value: checkout}]}",
        "experiment: {duration: 10m, templates: [{name: baseline, specRef: stable, replicas: 1}]}",
        "setCanaryScale: {matchTrafficWeight: true}",
        "setCanaryScale: {weight: 25}",
        "setMirrorRoute: {name: beta-testers, percentage: 35, match: [{method: {exact: GET}, path: {prefix: /api}}]}",
        "setHeaderRoute: {name: beta-testers}",
        "plugin: {name: argoproj-labs/sleep, config: {seconds: 10}}",
    ];
    for yaml in steps {
        let (rollout, _) = with_step(routed_canary, yaml);
        assert_clean(&rollout);
    }
}

#[test]
fn alb_header_routes_match_exact_values_only() {
    let alb = || {
        let mut rollout = routed_canary();
        let canary = rollout
            .spec
            .strategy
            .as_mut()
            .and_then(|s| s.canary.as_mut())
            .unwrap();
        let routing = canary.traffic_routing.as_mut().unwrap();
        routing.istio = None;
        routing.alb = serde_saphyr::from_str("{ingress: checkout, servicePort: 80}").ok();
        rollout
    };
    let yaml =
        "setHeaderRoute: {name: beta-testers, match: [{headerName: x-beta, headerValue: {prefix: yes}}]}";
    let (refused, path) = with_step(alb, yaml);
    let at = format!("{path}.setHeaderRoute.match[0].headerValue");
    assert_finding(&refused, Error, &at, "ALB matches header values exactly", yaml);
    let (accepted, _) = with_step(
        alb,
        "setHeaderRoute: {name: beta-testers, match: [{headerName: x-beta, headerValue: {exact: yes}}]}",
    );
    assert_clean(&accepted);
}
