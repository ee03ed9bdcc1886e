//! Rules on the canary strategy as a whole: replica limits, the stable/canary services, the
//! settings that only work with a traffic router, and the pieces it shares with blue-green
//! (anti-affinity). Steps and routers have their own modules.

use super::analysis::check_analysis;
use super::numbers::{IntOrPercent, int_or_percent, non_negative};
use super::steps::check_steps;
use super::traffic::check_traffic_routing;
use crate::rollout::{AntiAffinity, CanaryStrategy, ProgressThresholdType};
use crate::{FieldPath, Finding};

/// Argo's default for both `maxSurge` and `maxUnavailable` of a canary.
const DEFAULT_SURGE_AND_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);

/// Every rule of `spec.strategy.canary`, at `path`.
pub fn check_canary(canary: &CanaryStrategy, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_surge(canary, path, &mut findings);
    check_services(canary, path, &mut findings);
    check_routing_only_settings(canary, path, &mut findings);
    if let Some(routing) = &canary.traffic_routing {
        findings.extend(check_traffic_routing(routing, &path.field("trafficRouting")));
    }
    findings.extend(check_steps(canary, &path.field("steps")));
    if let Some(background) = &canary.analysis {
        let analysis_path = path.field("analysis");
        findings.extend(check_analysis(&background.to_analysis(), &analysis_path));
        let step_count = canary.steps.as_ref().map_or(0, Vec::len);
        if let Some(start) = background.starting_step {
            let in_range = usize::try_from(start).is_ok_and(|s| s < step_count);
            if !in_range {
                findings.push(Finding::error(
                    analysis_path.field("startingStep"),
                    format!("startingStep {start} is not the index of a step (there are {step_count} steps)"),
                ));
            }
        }
    }
    if let Some(anti_affinity) = &canary.anti_affinity {
        findings.extend(check_anti_affinity(anti_affinity, &path.field("antiAffinity")));
    }
    if let Some(threshold) = &canary.replica_progress_threshold {
        let value = threshold.value;
        let (valid, rule) = match threshold.threshold_type {
            ProgressThresholdType::Percent => (
                (1..=100).contains(&value),
                "a Percent threshold runs from 1 to 100",
            ),
            ProgressThresholdType::Pod => (value >= 1, "a Pod threshold is at least 1"),
        };
        if !valid {
            findings.push(Finding::error(
                path.field("replicaProgressThreshold").field("value"),
                format!("{value} is out of range; {rule}"),
            ));
        }
    }
    findings.extend(non_negative(
        &path.field("scaleDownDelayRevisionLimit"),
        canary.scale_down_delay_revision_limit,
    ));
    findings
}

/// `maxSurge` and `maxUnavailable` must be well-formed, and not both zero: the update could
/// then neither add a pod nor remove one.
fn check_surge(canary: &CanaryStrategy, path: &FieldPath, findings: &mut Vec<Finding>) {
    let surge_path = path.field("maxSurge");
    let unavailable_path = path.field("maxUnavailable");
    let surge = int_or_percent(
        &surge_path,
        canary.max_surge.as_ref(),
        DEFAULT_SURGE_AND_UNAVAILABLE,
        findings,
    );
    let unavailable = int_or_percent(
        &unavailable_path,
        canary.max_unavailable.as_ref(),
        DEFAULT_SURGE_AND_UNAVAILABLE,
        findings,
    );
    if let (Some(surge), Some(unavailable)) = (surge, unavailable)
        && surge.is_zero()
        && unavailable.is_zero()
    {
        // Point at whichever of the two the user wrote last in the usual order.
        let at = if canary.max_unavailable.is_some() {
            unavailable_path
        } else {
            surge_path
        };
        findings.push(Finding::error(
            at,
            "maxSurge and maxUnavailable are both 0; at least one must be above 0",
        ));
    }
    if let Some(IntOrPercent::Percent(p)) = unavailable
        && p > 100
    {
        findings.push(Finding::error(
            path.field("maxUnavailable"),
            format!("{p}% is above 100%"),
        ));
    }
}

/// The stable and canary services differ; a traffic router needs both (unless ping-pong
/// provides them, or Istio tells the versions apart by DestinationRule subsets), and ping-pong
/// needs a router and two distinct services.
fn check_services(canary: &CanaryStrategy, path: &FieldPath, findings: &mut Vec<Finding>) {
    let stable = canary.stable_service.as_deref().filter(|s| !s.is_empty());
    let canary_service = canary.canary_service.as_deref().filter(|s| !s.is_empty());
    if let (Some(stable), Some(canary_service)) = (stable, canary_service)
        && stable == canary_service
    {
        findings.push(Finding::error(
            path.field("stableService"),
            format!("{stable:?} is also the canaryService; stable and canary services must differ"),
        ));
    }
    let routing = canary.traffic_routing.as_ref();
    let routed = routing.is_some();
    let subset_split = routing
        .and_then(|r| r.istio.as_ref())
        .is_some_and(|istio| istio.destination_rule.is_some());
    match &canary.ping_pong {
        None if routed && !subset_split => {
            for (field, value) in [("stableService", stable), ("canaryService", canary_service)] {
                if value.is_none() {
                    findings.push(Finding::error(
                        path.field(field),
                        format!("{field} is required with trafficRouting"),
                    ));
                }
            }
        }
        None => {}
        Some(ping_pong) => {
            let ping_path = path.field("pingPong");
            if !routed {
                findings.push(Finding::error(
                    &ping_path,
                    "pingPong only works with trafficRouting",
                ));
            }
            for (field, value) in [
                ("pingService", &ping_pong.ping_service),
                ("pongService", &ping_pong.pong_service),
            ] {
                if value.is_empty() {
                    findings.push(Finding::error(
                        ping_path.field(field),
                        format!("{field} is required"),
                    ));
                }
            }
            // ALB sends traffic to the root Service and splits it between ping and pong.
            if let Some(alb) = routing.and_then(|r| r.alb.as_ref())
                && alb.root_service.as_deref().unwrap_or_default().is_empty()
            {
                findings.push(Finding::error(
                    path.field("trafficRouting").field("alb").field("rootService"),
                    "rootService is required when ALB routing uses pingPong",
                ));
            }
            if !ping_pong.ping_service.is_empty() && ping_pong.ping_service == ping_pong.pong_service {
                findings.push(Finding::error(
                    ping_path.field("pongService"),
                    format!(
                        "{:?} is also the pingService; ping and pong services must differ",
                        ping_pong.pong_service
                    ),
                ));
            }
        }
    }
}

/// Settings a basic canary ignores: warn, since the user expects them to do something.
fn check_routing_only_settings(canary: &CanaryStrategy, path: &FieldPath, findings: &mut Vec<Finding>) {
    let delays = [
        ("scaleDownDelaySeconds", canary.scale_down_delay_seconds),
        (
            "abortScaleDownDelaySeconds",
            canary.abort_scale_down_delay_seconds,
        ),
        ("minPodsPerReplicaSet", canary.min_pods_per_replica_set),
    ];
    for (field, value) in delays {
        findings.extend(non_negative(&path.field(field), value));
    }
    if canary.traffic_routing.is_some() {
        // Scaling stable down with the traffic leaves nothing for a scale-down delay to keep.
        if canary.dynamic_stable_scale == Some(true) && canary.scale_down_delay_seconds.is_some() {
            findings.push(Finding::error(
                path.field("dynamicStableScale"),
                "dynamicStableScale cannot be combined with scaleDownDelaySeconds",
            ));
        }
        return;
    }
    let set = [
        ("scaleDownDelaySeconds", canary.scale_down_delay_seconds.is_some()),
        (
            "abortScaleDownDelaySeconds",
            canary.abort_scale_down_delay_seconds.is_some(),
        ),
        ("minPodsPerReplicaSet", canary.min_pods_per_replica_set.is_some()),
        ("dynamicStableScale", canary.dynamic_stable_scale == Some(true)),
    ];
    for (field, present) in set {
        if present {
            findings.push(Finding::warning(
                path.field(field),
                format!("{field} only takes effect with trafficRouting; a basic canary ignores it"),
            ));
        }
    }
}

/// Exactly one anti-affinity rule, with a weight from 1 to 100 when preferred.
pub fn check_anti_affinity(anti_affinity: &AntiAffinity, path: &FieldPath) -> Vec<Finding> {
    let preferred = &anti_affinity.preferred_during_scheduling_ignored_during_execution;
    let required = &anti_affinity.required_during_scheduling_ignored_during_execution;
    match (preferred, required) {
        (Some(_), Some(_)) => vec![Finding::error(
            path,
            "both anti-affinity rules are set; choose preferred or required, not both",
        )],
        (None, None) => vec![Finding::error(
            path,
            "no anti-affinity rule is set; set preferredDuringSchedulingIgnoredDuringExecution or requiredDuringSchedulingIgnoredDuringExecution",
        )],
        (Some(preferred), None) if !(1..=100).contains(&preferred.weight) => vec![Finding::error(
            path.field("preferredDuringSchedulingIgnoredDuringExecution")
                .field("weight"),
            format!(
                "{} is out of range; the weight runs from 1 to 100",
                preferred.weight
            ),
        )],
        _ => Vec::new(),
    }
}
#[cfg(test)]
#[path = "canary_tests.rs"]
mod tests;
