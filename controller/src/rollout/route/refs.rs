//! The route objects a Rollout's traffic routing names, each with the field that names it: the
//! objects the user made (stable Ingresses, HTTPRoutes, VirtualServices, DestinationRules,
//! TraefikServices, ApisixRoutes, ALB Ingresses),
//! which must exist, and those linnet generates (canary Ingresses, TrafficSplits). Pure; used
//! to report a missing route and to wake a Rollout when one of its route objects changes.

use kube::ResourceExt;
use linnet_crds::FieldPath;
use linnet_crds::rollout::Rollout;

use super::super::objects::traffic::gateway::{GatewayApiConfig, PLUGIN_NAME};
use super::super::objects::traffic::nginx::canary_ingress_name;
use super::super::objects::traffic::smi::traffic_split_name;
use super::api::{self, RouteKind};
use super::{istio, traffic_routing};

/// The kinds of route object linnet reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteObjectKind {
    Ingress,
    HttpRoute,
    VirtualService,
    DestinationRule,
    TrafficSplit,
    TraefikService,
    ApisixRoute,
}

impl RouteObjectKind {
    pub const ALL: [RouteObjectKind; 7] = [
        RouteObjectKind::Ingress,
        RouteObjectKind::HttpRoute,
        RouteObjectKind::VirtualService,
        RouteObjectKind::DestinationRule,
        RouteObjectKind::TrafficSplit,
        RouteObjectKind::TraefikService,
        RouteObjectKind::ApisixRoute,
    ];

    /// The CRD-defined kind, `None` for the built-in Ingress.
    pub fn custom(self) -> Option<RouteKind> {
        match self {
            RouteObjectKind::Ingress => None,
            RouteObjectKind::HttpRoute => Some(api::HTTP_ROUTE),
            RouteObjectKind::VirtualService => Some(api::VIRTUAL_SERVICE),
            RouteObjectKind::DestinationRule => Some(api::DESTINATION_RULE),
            RouteObjectKind::TrafficSplit => Some(api::TRAFFIC_SPLIT),
            RouteObjectKind::TraefikService => Some(api::TRAEFIK_SERVICE),
            RouteObjectKind::ApisixRoute => Some(api::APISIX_ROUTE),
        }
    }

    pub fn name(self) -> &'static str {
        self.custom().map_or("Ingress", |kind| kind.kind)
    }
}

/// One route object a Rollout names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRef {
    pub kind: RouteObjectKind,
    pub namespace: String,
    pub name: String,
    /// The field of the Rollout that names it.
    pub field: FieldPath,
    /// Made by the user, so it must exist; otherwise linnet creates it.
    pub user_made: bool,
}

/// Every route object the Rollout's traffic routing names. A plugin configuration that does
/// not parse names nothing here (the router reports it when it acts).
pub fn referenced_routes(rollout: &Rollout) -> Vec<RouteRef> {
    let Some(routing) = traffic_routing(rollout) else {
        return Vec::new();
    };
    let namespace = rollout.namespace().unwrap_or_default();
    let rollout_name = rollout.name_any();
    let at = FieldPath::root("spec")
        .field("strategy")
        .field("canary")
        .field("trafficRouting");
    let reference = |kind, namespace: &str, name: &str, field: FieldPath, user_made| RouteRef {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        field,
        user_made,
    };
    let mut refs = Vec::new();
    if let Ok(Some(config)) = GatewayApiConfig::of(rollout) {
        let at = at.field("plugins").key(PLUGIN_NAME);
        let route_namespace = config.namespace.as_deref().unwrap_or(&namespace);
        let single = config.http_route.iter().map(|name| (name, at.field("httpRoute")));
        let many = config
            .http_routes
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, route)| (&route.name, at.field("httpRoutes").index(i).field("name")));
        for (name, field) in single.chain(many) {
            refs.push(reference(
                RouteObjectKind::HttpRoute,
                route_namespace,
                name,
                field,
                true,
            ));
        }
    }
    if let Some(nginx) = &routing.nginx {
        let at = at.field("nginx");
        let single = nginx
            .stable_ingress
            .iter()
            .map(|name| (name, at.field("stableIngress")));
        let many = nginx
            .stable_ingresses
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, name)| (name, at.field("stableIngresses").index(i)));
        for (stable, field) in single.chain(many) {
            let canary = canary_ingress_name(&rollout_name, stable);
            refs.push(reference(
                RouteObjectKind::Ingress,
                &namespace,
                &canary,
                field.clone(),
                false,
            ));
            refs.push(reference(
                RouteObjectKind::Ingress,
                &namespace,
                stable,
                field,
                true,
            ));
        }
    }
    if let Some(istio) = &routing.istio {
        let at = at.field("istio");
        let single = istio
            .virtual_service
            .iter()
            .map(|vs| (&vs.name, at.field("virtualService").field("name")));
        let many = istio
            .virtual_services
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, vs)| (&vs.name, at.field("virtualServices").index(i).field("name")));
        for (reference_name, field) in single.chain(many) {
            let (vs_namespace, name) = istio::namespace_and_name(reference_name, &namespace);
            refs.push(reference(
                RouteObjectKind::VirtualService,
                vs_namespace,
                name,
                field,
                true,
            ));
        }
        if let Some(rule) = &istio.destination_rule {
            let field = at.field("destinationRule").field("name");
            refs.push(reference(
                RouteObjectKind::DestinationRule,
                &namespace,
                &rule.name,
                field,
                true,
            ));
        }
    }
    if let Some(smi) = &routing.smi {
        let name = traffic_split_name(rollout, smi);
        let field = at.field("smi").field("trafficSplitName");
        refs.push(reference(
            RouteObjectKind::TrafficSplit,
            &namespace,
            name,
            field,
            false,
        ));
    }
    if let Some(traefik) = &routing.traefik {
        let field = at.field("traefik").field("weightedTraefikServiceName");
        refs.push(reference(
            RouteObjectKind::TraefikService,
            &namespace,
            &traefik.weighted_traefik_service_name,
            field,
            true,
        ));
    }
    if let Some(alb) = &routing.alb {
        // `ingresses`, when set, replaces `ingress` (as the router reads them).
        let at = at.field("alb");
        let many: Vec<_> = alb
            .ingresses
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, name)| (name, at.field("ingresses").index(i)))
            .collect();
        let named = if many.is_empty() {
            alb.ingress
                .iter()
                .map(|name| (name, at.field("ingress")))
                .collect()
        } else {
            many
        };
        for (name, field) in named {
            refs.push(reference(RouteObjectKind::Ingress, &namespace, name, field, true));
        }
    }
    if let Some(route) = routing.apisix.as_ref().and_then(|a| a.route.as_ref()) {
        let field = at.field("apisix").field("route").field("name");
        refs.push(reference(
            RouteObjectKind::ApisixRoute,
            &namespace,
            &route.name,
            field,
            true,
        ));
    }
    refs
}

/// Whether the Rollout names the route object `kind` `namespace/name`.
pub fn names_route(rollout: &Rollout, kind: RouteObjectKind, namespace: &str, name: &str) -> bool {
    traffic_routing(rollout).is_some()
        && referenced_routes(rollout)
            .iter()
            .any(|r| r.kind == kind && r.namespace == namespace && r.name == name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn routed(routing: serde_json::Value) -> Rollout {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"strategy": {"canary": {
                "canaryService": "web-canary", "stableService": "web-stable",
                "trafficRouting": routing
            }}}
        }))
        .unwrap_or_else(|e| panic!("fixture Rollout: {e}"))
    }

    fn listed(rollout: &Rollout) -> Vec<(RouteObjectKind, String, String, String, bool)> {
        referenced_routes(rollout)
            .into_iter()
            .map(|r| (r.kind, r.namespace, r.name, r.field.to_string(), r.user_made))
            .collect()
    }

    fn entry(
        kind: RouteObjectKind,
        ns: &str,
        name: &str,
        field: &str,
        user_made: bool,
    ) -> (RouteObjectKind, String, String, String, bool) {
        (kind, ns.into(), name.into(), field.into(), user_made)
    }

    #[test]
    fn every_router_names_its_objects_with_the_field_that_names_them() {
        use RouteObjectKind::*;
        let at = "spec.strategy.canary.trafficRouting";
        let rollout = routed(json!({
            "nginx": {"stableIngress": "web", "stableIngresses": ["web-internal"]},
            "istio": {
                "virtualService": {"name": "web-vs"},
                "virtualServices": [{"name": "edge-vs.mesh"}],
                "destinationRule": {"name": "web-dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}
            },
            "smi": {},
            "traefik": {"weightedTraefikServiceName": "web-weighted"},
            "apisix": {"route": {"name": "web-apisix", "rules": ["web"]}},
            "alb": {"ingress": "web-alb", "ingresses": ["web-alb-2"], "servicePort": 80},
            "plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "web-route", "namespace": "gateways",
                "httpRoutes": [{"name": "web-route-2"}]}}
        }));
        assert_eq!(
            listed(&rollout),
            vec![
                entry(
                    HttpRoute,
                    "gateways",
                    "web-route",
                    &format!("{at}.plugins[argoproj-labs/gatewayAPI].httpRoute"),
                    true
                ),
                entry(
                    HttpRoute,
                    "gateways",
                    "web-route-2",
                    &format!("{at}.plugins[argoproj-labs/gatewayAPI].httpRoutes[0].name"),
                    true
                ),
                entry(
                    Ingress,
                    "shop",
                    "web-web-canary",
                    &format!("{at}.nginx.stableIngress"),
                    false
                ),
                entry(Ingress, "shop", "web", &format!("{at}.nginx.stableIngress"), true),
                entry(
                    Ingress,
                    "shop",
                    "web-web-internal-canary",
                    &format!("{at}.nginx.stableIngresses[0]"),
                    false
                ),
                entry(
                    Ingress,
                    "shop",
                    "web-internal",
                    &format!("{at}.nginx.stableIngresses[0]"),
                    true
                ),
                entry(
                    VirtualService,
                    "shop",
                    "web-vs",
                    &format!("{at}.istio.virtualService.name"),
                    true
                ),
                entry(
                    VirtualService,
                    "mesh",
                    "edge-vs",
                    &format!("{at}.istio.virtualServices[0].name"),
                    true
                ),
                entry(
                    DestinationRule,
                    "shop",
                    "web-dr",
                    &format!("{at}.istio.destinationRule.name"),
                    true
                ),
                entry(
                    TrafficSplit,
                    "shop",
                    "web",
                    &format!("{at}.smi.trafficSplitName"),
                    false
                ),
                entry(
                    TraefikService,
                    "shop",
                    "web-weighted",
                    &format!("{at}.traefik.weightedTraefikServiceName"),
                    true
                ),
                entry(
                    Ingress,
                    "shop",
                    "web-alb-2",
                    &format!("{at}.alb.ingresses[0]"),
                    true
                ),
                entry(
                    ApisixRoute,
                    "shop",
                    "web-apisix",
                    &format!("{at}.apisix.route.name"),
                    true
                ),
            ]
        );
        assert!(names_route(&rollout, VirtualService, "mesh", "edge-vs"));
        assert!(!names_route(&rollout, VirtualService, "shop", "edge-vs"));
        assert!(!names_route(&rollout, Ingress, "shop", "web-vs"));
    }

    #[test]
    fn one_alb_ingress_is_named_by_its_own_field() {
        let rollout = routed(json!({"alb": {"ingress": "web-alb", "servicePort": 80}}));
        assert_eq!(
            listed(&rollout),
            vec![entry(
                RouteObjectKind::Ingress,
                "shop",
                "web-alb",
                "spec.strategy.canary.trafficRouting.alb.ingress",
                true
            )]
        );
    }

    #[test]
    fn an_unrouted_rollout_names_no_route() {
        let rollout = routed(json!(null));
        assert_eq!(listed(&rollout), vec![]);
    }
}
