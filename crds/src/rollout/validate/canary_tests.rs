//! Table tests of the canary strategy rules: each case breaks one rule of a valid canary.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::super::test_support::{assert_clean, assert_finding, canary, routed_canary};
use crate::Severity::{self, Error, Warning};
use crate::rollout::{
    AlbTrafficRouting, AntiAffinity, CanaryStep, CanaryStrategy, IstioDestinationRule, PingPongSpec,
    PreferredAntiAffinity, ProgressThresholdType, ReplicaProgressThreshold, RequiredAntiAffinity, Rollout,
    RolloutAnalysisBackground, RolloutAnalysisTemplate,
};

fn strategy(rollout: &mut Rollout) -> &mut CanaryStrategy {
    rollout
        .spec
        .strategy
        .as_mut()
        .and_then(|s| s.canary.as_mut())
        .unwrap()
}

fn ping_pong(ping: &str, pong: &str) -> Option<PingPongSpec> {
    Some(PingPongSpec {
        ping_service: ping.into(),
        pong_service: pong.into(),
    })
}

fn background(starting_step: i32) -> Option<RolloutAnalysisBackground> {
    let template = RolloutAnalysisTemplate {
        template_name: Some("success-rate".into()),
        cluster_scope: None,
    };
    Some(RolloutAnalysisBackground {
        templates: Some(vec![template]),
        starting_step: Some(starting_step),
        ..Default::default()
    })
}

fn threshold(threshold_type: ProgressThresholdType, value: i32) -> Option<ReplicaProgressThreshold> {
    Some(ReplicaProgressThreshold {
        threshold_type,
        value,
    })
}

type Case = (
    fn() -> Rollout,
    fn(&mut CanaryStrategy),
    Severity,
    &'static str,
    &'static str,
);

#[test]
fn each_canary_rule_reports_at_its_path() {
    let cases: [Case; 17] = [
        (
            canary,
            |c| {
                c.max_surge = Some(IntOrString::Int(0));
                c.max_unavailable = Some(IntOrString::String("0%".into()));
            },
            Error,
            "maxUnavailable",
            "maxSurge and maxUnavailable are both 0",
        ),
        (
            canary,
            |c| c.max_surge = Some(IntOrString::String("lots".into())),
            Error,
            "maxSurge",
            "\"lots\" is neither",
        ),
        (
            canary,
            |c| c.max_unavailable = Some(IntOrString::String("120%".into())),
            Error,
            "maxUnavailable",
            "120% is above 100%",
        ),
        (
            routed_canary,
            |c| c.canary_service = c.stable_service.clone(),
            Error,
            "stableService",
            "\"checkout-stable\" is also the canaryService",
        ),
        (
            routed_canary,
            |c| c.stable_service = None,
            Error,
            "stableService",
            "stableService is required with trafficRouting",
        ),
        (
            routed_canary,
            |c| c.canary_service = None,
            Error,
            "canaryService",
            "canaryService is required with trafficRouting",
        ),
        (
            canary,
            |c| c.ping_pong = ping_pong("checkout-ping", "checkout-pong"),
            Error,
            "pingPong",
            "pingPong only works with trafficRouting",
        ),
        (
            routed_canary,
            |c| c.ping_pong = ping_pong("checkout-ping", "checkout-ping"),
            Error,
            "pingPong.pongService",
            "\"checkout-ping\" is also the pingService",
        ),
        (
            canary,
            |c| c.scale_down_delay_seconds = Some(30),
            Warning,
            "scaleDownDelaySeconds",
            "scaleDownDelaySeconds only takes effect with trafficRouting",
        ),
        (
            canary,
            |c| c.abort_scale_down_delay_seconds = Some(0),
            Warning,
            "abortScaleDownDelaySeconds",
            "abortScaleDownDelaySeconds only takes effect",
        ),
        (
            canary,
            |c| c.min_pods_per_replica_set = Some(2),
            Warning,
            "minPodsPerReplicaSet",
            "minPodsPerReplicaSet only takes effect",
        ),
        (
            canary,
            |c| c.dynamic_stable_scale = Some(true),
            Warning,
            "dynamicStableScale",
            "dynamicStableScale only takes effect",
        ),
        (
            canary,
            |c| {
                c.anti_affinity = Some(AntiAffinity {
                    preferred_during_scheduling_ignored_during_execution: Some(PreferredAntiAffinity {
                        weight: 50,
                    }),
                    required_during_scheduling_ignored_during_execution: Some(RequiredAntiAffinity {}),
                })
            },
            Error,
            "antiAffinity",
            "both anti-affinity rules are set",
        ),
        (
            canary,
            |c| {
                c.anti_affinity = Some(AntiAffinity {
                    preferred_during_scheduling_ignored_during_execution: Some(PreferredAntiAffinity {
                        weight: 0,
                    }),
                    required_during_scheduling_ignored_during_execution: None,
                })
            },
            Error,
            "antiAffinity.preferredDuringSchedulingIgnoredDuringExecution.weight",
            "0 is out of range",
        ),
        (
            canary,
            |c| c.replica_progress_threshold = threshold(ProgressThresholdType::Percent, 101),
            Error,
            "replicaProgressThreshold.value",
            "101 is out of range; a Percent threshold runs from 1 to 100",
        ),
        (
            canary,
            |c| c.analysis = background(2),
            Error,
            "analysis.startingStep",
            "startingStep 2 is not the index of a step (there are 2 steps)",
        ),
        (
            canary,
            |c| c.analysis = background(-1),
            Error,
            "analysis.startingStep",
            "startingStep -1 is not the index",
        ),
    ];
    for (base, mutate, severity, field, message) in cases {
        let mut rollout = base();
        mutate(strategy(&mut rollout));
        let path = format!("spec.strategy.canary.{field}");
        assert_finding(&rollout, severity, &path, message, message);
    }
}

#[test]
fn valid_canary_settings_give_no_findings() {
    assert_clean(&routed_canary());

    let mut with_ping_pong = routed_canary();
    let c = strategy(&mut with_ping_pong);
    c.stable_service = None;
    c.canary_service = None;
    c.ping_pong = ping_pong("checkout-ping", "checkout-pong");
    assert_clean(&with_ping_pong);

    let mut tuned = routed_canary();
    let c = strategy(&mut tuned);
    c.max_surge = Some(IntOrString::Int(0));
    c.max_unavailable = Some(IntOrString::String("10%".into()));
    c.abort_scale_down_delay_seconds = Some(0);
    c.dynamic_stable_scale = Some(true);
    c.min_pods_per_replica_set = Some(2);
    c.analysis = background(1);
    c.replica_progress_threshold = threshold(ProgressThresholdType::Pod, 3);
    c.anti_affinity = Some(AntiAffinity {
        preferred_during_scheduling_ignored_during_execution: None,
        required_during_scheduling_ignored_during_execution: Some(RequiredAntiAffinity {}),
    });
    assert_clean(&tuned);
}

#[test]
fn istio_subsets_need_no_stable_and_canary_services() {
    let mut rollout = routed_canary();
    let c = strategy(&mut rollout);
    c.stable_service = None;
    c.canary_service = None;
    let istio = c.traffic_routing.as_mut().and_then(|r| r.istio.as_mut()).unwrap();
    istio.destination_rule = Some(IstioDestinationRule {
        name: "checkout".into(),
        canary_subset_name: "canary".into(),
        stable_subset_name: "stable".into(),
        additional_subset_names: None,
    });
    assert_clean(&rollout);
}

#[test]
fn alb_ping_pong_needs_a_root_service() {
    let mut rollout = routed_canary();
    let c = strategy(&mut rollout);
    c.ping_pong = ping_pong("checkout-ping", "checkout-pong");
    let routing = c.traffic_routing.as_mut().unwrap();
    routing.istio = None;
    routing.managed_routes = None;
    routing.alb = Some(AlbTrafficRouting {
        ingress: Some("checkout".into()),
        service_port: 80,
        ..Default::default()
    });
    c.steps = Some(vec![CanaryStep {
        set_weight: Some(10),
        ..Default::default()
    }]);
    let path = "spec.strategy.canary.trafficRouting.alb.rootService";
    assert_finding(
        &rollout,
        Error,
        path,
        "rootService is required when ALB routing uses pingPong",
        "alb",
    );

    strategy(&mut rollout)
        .traffic_routing
        .as_mut()
        .and_then(|r| r.alb.as_mut())
        .unwrap()
        .root_service = Some("checkout-root".into());
    assert_clean(&rollout);
}

#[test]
fn dynamic_stable_scale_excludes_a_scale_down_delay() {
    let mut rollout = routed_canary();
    let c = strategy(&mut rollout);
    c.dynamic_stable_scale = Some(true);
    c.scale_down_delay_seconds = Some(30);
    let path = "spec.strategy.canary.dynamicStableScale";
    assert_finding(
        &rollout,
        Error,
        path,
        "dynamicStableScale cannot be combined with scaleDownDelaySeconds",
        "dss",
    );
}
