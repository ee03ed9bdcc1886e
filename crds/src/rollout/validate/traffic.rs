//! Rules on `canary.trafficRouting`: a router is named, each router names the objects it
//! edits, the weight scale is positive, and managed route names are unique.

use std::collections::BTreeSet;

use crate::rollout::{IstioTrafficRouting, RolloutTrafficRouting};
use crate::{FieldPath, Finding};

/// Checks the traffic routing block at `path`.
pub fn check_traffic_routing(routing: &RolloutTrafficRouting, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    let has_plugin = routing.plugins.as_ref().is_some_and(|p| !p.is_empty());
    let has_router = routing.istio.is_some()
        || routing.nginx.is_some()
        || routing.alb.is_some()
        || routing.smi.is_some()
        || routing.ambassador.is_some()
        || routing.app_mesh.is_some()
        || routing.traefik.is_some()
        || routing.apisix.is_some()
        || has_plugin;
    if !has_router {
        findings.push(Finding::error(
            path,
            "no traffic router is set; set one of istio, nginx, alb, smi, ambassador, appMesh, traefik, \
             apisix or plugins",
        ));
    }
    if let Some(max) = routing.max_traffic_weight
        && max < 1
    {
        findings.push(Finding::error(
            path.field("maxTrafficWeight"),
            format!("{max} is below 1; maxTrafficWeight is the total that weights are relative to"),
        ));
    }
    if let Some(istio) = &routing.istio {
        check_istio(istio, &path.field("istio"), &mut findings);
    }
    if let Some(nginx) = &routing.nginx {
        let one_of = (nginx.stable_ingress.is_some(), nginx.stable_ingresses.is_some());
        findings.extend(exactly_one(
            one_of,
            "stableIngress",
            "stableIngresses",
            &path.field("nginx"),
        ));
    }
    if let Some(alb) = &routing.alb {
        let alb_path = path.field("alb");
        findings.extend(exactly_one(
            (alb.ingress.is_some(), alb.ingresses.is_some()),
            "ingress",
            "ingresses",
            &alb_path,
        ));
        if !(1..=65535).contains(&alb.service_port) {
            findings.push(Finding::error(
                alb_path.field("servicePort"),
                format!("{} is not a port number (1 to 65535)", alb.service_port),
            ));
        }
    }
    if routing.ambassador.as_ref().is_some_and(|a| a.mappings.is_empty()) {
        findings.push(Finding::error(
            path.field("ambassador").field("mappings"),
            "list at least one Mapping",
        ));
    }
    let mut names = BTreeSet::new();
    for (i, route) in routing.managed_routes.iter().flatten().enumerate() {
        let name_path = path.field("managedRoutes").index(i).field("name");
        if route.name.is_empty() {
            findings.push(Finding::error(name_path, "the route name is required"));
        } else if !names.insert(route.name.as_str()) {
            findings.push(Finding::error(
                name_path,
                format!("route {:?} is listed twice", route.name),
            ));
        }
    }
    findings
}

/// A router that edits one object or a list of them takes exactly one of the two fields.
fn exactly_one(set: (bool, bool), single: &str, list: &str, path: &FieldPath) -> Option<Finding> {
    match set {
        (true, false) | (false, true) => None,
        (false, false) => Some(Finding::error(path, format!("set {single} or {list}"))),
        (true, true) => Some(Finding::error(
            path,
            format!("{single} and {list} are both set; set only one"),
        )),
    }
}

fn check_istio(istio: &IstioTrafficRouting, path: &FieldPath, findings: &mut Vec<Finding>) {
    let one_of = (istio.virtual_service.is_some(), istio.virtual_services.is_some());
    findings.extend(exactly_one(one_of, "virtualService", "virtualServices", path));
    let single = istio
        .virtual_service
        .iter()
        .map(|vs| (path.field("virtualService"), vs));
    let listed = istio
        .virtual_services
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, vs)| (path.field("virtualServices").index(i), vs));
    for (vs_path, virtual_service) in single.chain(listed) {
        if virtual_service.name.is_empty() {
            findings.push(Finding::error(
                vs_path.field("name"),
                "the VirtualService name is required",
            ));
        }
    }
    if let Some(rule) = &istio.destination_rule
        && !rule.canary_subset_name.is_empty()
        && rule.canary_subset_name == rule.stable_subset_name
    {
        findings.push(Finding::error(
            path.field("destinationRule").field("stableSubsetName"),
            format!(
                "{:?} is also the canarySubsetName; stable and canary subsets must differ",
                rule.stable_subset_name
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, assert_finding, routed_canary};
    use crate::Severity::Error;
    use crate::rollout::{ManagedRoute, NginxTrafficRouting, Rollout, RolloutTrafficRouting};

    fn routing(rollout: &mut Rollout) -> &mut RolloutTrafficRouting {
        let canary = rollout
            .spec
            .strategy
            .as_mut()
            .and_then(|s| s.canary.as_mut())
            .unwrap();
        canary.traffic_routing.as_mut().unwrap()
    }

    #[test]
    fn each_routing_rule_reports_at_its_path() {
        let routing_path = "spec.strategy.canary.trafficRouting";
        type Case = (fn(&mut RolloutTrafficRouting), &'static str, &'static str);
        let cases: [Case; 7] = [
            (|r| r.istio = None, "", "no traffic router is set"),
            (
                |r| r.max_traffic_weight = Some(0),
                ".maxTrafficWeight",
                "0 is below 1",
            ),
            (
                |r| r.istio.as_mut().unwrap().virtual_service = None,
                ".istio",
                "set virtualService or virtualServices",
            ),
            (
                |r| {
                    let istio = r.istio.as_mut().unwrap();
                    istio.virtual_services = Some(vec![istio.virtual_service.clone().unwrap()]);
                },
                ".istio",
                "virtualService and virtualServices are both set",
            ),
            (
                |r| {
                    r.istio
                        .as_mut()
                        .unwrap()
                        .virtual_service
                        .as_mut()
                        .unwrap()
                        .name
                        .clear()
                },
                ".istio.virtualService.name",
                "the VirtualService name is required",
            ),
            (
                |r| r.nginx = Some(NginxTrafficRouting::default()),
                ".nginx",
                "set stableIngress or stableIngresses",
            ),
            (
                |r| {
                    r.managed_routes.as_mut().unwrap().push(ManagedRoute {
                        name: "beta-testers".into(),
                    })
                },
                ".managedRoutes[1].name",
                "route \"beta-testers\" is listed twice",
            ),
        ];
        for (mutate, suffix, message) in cases {
            let mut rollout = routed_canary();
            mutate(routing(&mut rollout));
            assert_finding(
                &rollout,
                Error,
                &format!("{routing_path}{suffix}"),
                message,
                message,
            );
        }
    }

    #[test]
    fn a_plugin_alone_is_a_router() {
        let mut rollout = routed_canary();
        let routing = routing(&mut rollout);
        routing.istio = None;
        let config = serde_json::json!({"httpRoute": "checkout", "namespace": "shop"});
        routing.plugins = Some([("argoproj-labs/gatewayAPI".to_string(), config)].into());
        assert_clean(&rollout);
    }
}
