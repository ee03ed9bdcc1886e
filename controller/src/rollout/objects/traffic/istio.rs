//! Istio: destination weights in a VirtualService's HTTP, TLS and TCP routes, either between
//! the stable and canary Services (host split) or between two subsets of one Service (subset
//! split, with the DestinationRule's subsets labelled with the pod template hashes), plus the
//! extra HTTP routes of header and mirror steps.

use linnet_crds::rollout::{
    IstioDestinationRule, IstioVirtualService, ManagedRoute, SetHeaderRoute, SetMirrorRoute, StringMatch,
};
use serde_json::{Map, Value, json};

use super::{Backends, Subject, Weights, array_mut};
use crate::rollout::objects::{ObjectError, POD_TEMPLATE_HASH_LABEL};

const VIRTUAL_SERVICE: &str = "VirtualService";
const DESTINATION_RULE: &str = "DestinationRule";

/// How stable and canary destinations are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split<'a> {
    /// By Service host: the stable and canary Services.
    Host(Backends<'a>),
    /// By subset of one host, as named in the Rollout's `destinationRule`.
    Subset { stable: &'a str, canary: &'a str },
}

impl<'a> Split<'a> {
    /// Subset split when the Rollout names a DestinationRule, host split otherwise.
    pub fn of(destination_rule: Option<&'a IstioDestinationRule>, backends: Backends<'a>) -> Split<'a> {
        match destination_rule {
            Some(rule) => Split::Subset {
                stable: &rule.stable_subset_name,
                canary: &rule.canary_subset_name,
            },
            None => Split::Host(backends),
        }
    }

    /// Whether `destination` is the canary (`Some(true)`), the stable (`Some(false)`) or
    /// neither.
    fn classify(self, destination: &Value) -> Option<bool> {
        match self {
            Split::Host(backends) => {
                let host = destination.get("host").and_then(Value::as_str)?;
                if host_is(host, backends.canary) {
                    Some(true)
                } else if host_is(host, backends.stable) {
                    Some(false)
                } else {
                    None
                }
            }
            Split::Subset { stable, canary } => match destination.get("subset").and_then(Value::as_str)? {
                subset if subset == canary => Some(true),
                subset if subset == stable => Some(false),
                _ => None,
            },
        }
    }
}

/// A host names a Service by its short name or any qualified form (`svc.ns.svc.cluster.local`).
fn host_is(host: &str, service: &str) -> bool {
    host == service
        || host
            .strip_prefix(service)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Sets the weights of the routes `spec` names in the VirtualService: HTTP routes by name (the
/// only HTTP route when no names are given), TLS routes by port and SNI hosts, TCP routes by
/// port. Fails naming a route that is not there or a route without both destinations.
pub fn set_weight(
    virtual_service: &Value,
    spec: &IstioVirtualService,
    split: Split<'_>,
    weights: Weights,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(VIRTUAL_SERVICE, virtual_service);
    let mut edited = virtual_service.clone();
    let http = edited.pointer_mut("/spec/http").and_then(Value::as_array_mut);
    match (&spec.routes, http) {
        (Some(names), http) => {
            let routes = http.ok_or_else(|| subject.missing("spec.http"))?;
            for name in names {
                let route = routes
                    .iter_mut()
                    .find(|route| route.get("name").and_then(Value::as_str) == Some(name.as_str()))
                    .ok_or_else(|| subject.no_route(name))?;
                weigh_route(route, split, weights, subject, name)?;
            }
        }
        (None, Some(routes)) if spec.tls_routes.is_none() && spec.tcp_routes.is_none() => {
            match routes.as_mut_slice() {
                [only] => weigh_route(only, split, weights, subject, "spec.http[0]")?,
                _ => return Err(subject.missing("routes (the VirtualService has several HTTP routes)")),
            }
        }
        _ => {}
    }
    for tls in spec.tls_routes.iter().flatten() {
        let routes = array_mut(&mut edited, "/spec/tls", subject, "spec.tls")?;
        let label = format!("tls route port={:?} sniHosts={:?}", tls.port, tls.sni_hosts);
        let route = routes
            .iter_mut()
            .find(|route| route_matches(route, tls.port, tls.sni_hosts.as_deref()))
            .ok_or_else(|| subject.no_route(&label))?;
        weigh_route(route, split, weights, subject, &label)?;
    }
    for tcp in spec.tcp_routes.iter().flatten() {
        let routes = array_mut(&mut edited, "/spec/tcp", subject, "spec.tcp")?;
        let label = format!("tcp route port={:?}", tcp.port);
        let route = routes
            .iter_mut()
            .find(|route| route_matches(route, tcp.port, None))
            .ok_or_else(|| subject.no_route(&label))?;
        weigh_route(route, split, weights, subject, &label)?;
    }
    Ok(edited)
}

/// A TLS or TCP route matches when one of its `match` entries has the port (if given) and
/// every SNI host asked for (if given).
fn route_matches(route: &Value, port: Option<i64>, sni_hosts: Option<&[String]>) -> bool {
    let matches = route.get("match").and_then(Value::as_array);
    matches.into_iter().flatten().any(|entry| {
        let port_ok = port.is_none_or(|port| entry.get("port").and_then(Value::as_i64) == Some(port));
        let sni = entry.get("sniHosts").and_then(Value::as_array);
        let sni_ok = sni_hosts.is_none_or(|wanted| {
            wanted.iter().all(|host| {
                sni.into_iter()
                    .flatten()
                    .any(|have| have.as_str() == Some(host.as_str()))
            })
        });
        port_ok && sni_ok
    })
}

fn weigh_route(
    route: &mut Value,
    split: Split<'_>,
    weights: Weights,
    subject: Subject<'_>,
    label: &str,
) -> Result<(), ObjectError> {
    let destinations = route.get_mut("route").and_then(Value::as_array_mut);
    let (mut canary, mut stable) = (false, false);
    for entry in destinations.into_iter().flatten() {
        let weight = match entry.get("destination").and_then(|d| split.classify(d)) {
            Some(true) => {
                canary = true;
                weights.canary
            }
            Some(false) => {
                stable = true;
                weights.stable
            }
            None => continue,
        };
        entry["weight"] = json!(weight);
    }
    if !(canary && stable) {
        let which = if canary { "stable" } else { "canary" };
        return Err(subject.missing(format!("{label}: {which} destination")));
    }
    Ok(())
}

/// The weights the VirtualService applies on the routes `spec` names (chosen as
/// [`set_weight`] chooses them), when every one of those routes has both destinations and they
/// all agree; a destination without `weight` counts as 0.
pub fn weights(virtual_service: &Value, spec: &IstioVirtualService, split: Split<'_>) -> Option<Weights> {
    let http = virtual_service.pointer("/spec/http").and_then(Value::as_array);
    let mut routes: Vec<&Value> = Vec::new();
    match (&spec.routes, http) {
        (Some(names), http) => {
            for name in names {
                let named = http?
                    .iter()
                    .find(|route| route.get("name").and_then(Value::as_str) == Some(name.as_str()));
                routes.push(named?);
            }
        }
        (None, Some(http)) if spec.tls_routes.is_none() && spec.tcp_routes.is_none() => {
            match http.as_slice() {
                [only] => routes.push(only),
                _ => return None,
            }
        }
        _ => {}
    }
    let tls = virtual_service.pointer("/spec/tls").and_then(Value::as_array);
    for wanted in spec.tls_routes.iter().flatten() {
        let found = tls?
            .iter()
            .find(|route| route_matches(route, wanted.port, wanted.sni_hosts.as_deref()));
        routes.push(found?);
    }
    let tcp = virtual_service.pointer("/spec/tcp").and_then(Value::as_array);
    for wanted in spec.tcp_routes.iter().flatten() {
        routes.push(
            tcp?.iter()
                .find(|route| route_matches(route, wanted.port, None))?,
        );
    }
    let mut agreed = None;
    for route in routes {
        let weights = route_weights(route, split)?;
        if agreed.is_some_and(|seen| seen != weights) {
            return None;
        }
        agreed = Some(weights);
    }
    agreed
}

fn route_weights(route: &Value, split: Split<'_>) -> Option<Weights> {
    let (mut canary, mut stable) = (None, None);
    for entry in route.get("route").and_then(Value::as_array)? {
        let weight = entry
            .get("weight")
            .and_then(Value::as_i64)
            .and_then(|w| i32::try_from(w).ok())
            .unwrap_or(0);
        match entry.get("destination").and_then(|d| split.classify(d)) {
            Some(true) => canary = Some(weight),
            Some(false) => stable = Some(weight),
            None => {}
        }
    }
    Some(Weights {
        canary: canary?,
        stable: stable?,
    })
}

/// The `rollouts-pod-template-hash` labels of the DestinationRule's (canary, stable) subsets.
pub fn subset_hashes(
    destination_rule: &Value,
    spec: &IstioDestinationRule,
) -> (Option<String>, Option<String>) {
    let subsets = destination_rule
        .pointer("/spec/subsets")
        .and_then(Value::as_array);
    let hash_of = |name: &str| {
        subsets
            .into_iter()
            .flatten()
            .find(|subset| subset.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|subset| {
                subset
                    .pointer("/labels")
                    .and_then(|l| l.get(POD_TEMPLATE_HASH_LABEL))
            })
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    (
        hash_of(&spec.canary_subset_name),
        hash_of(&spec.stable_subset_name),
    )
}

/// With a subset split, the host of the first HTTP destination that names the stable subset:
/// the host header and mirror routes send to. `None` with a host split or when none is found.
pub fn subset_host(virtual_service: &Value, split: Split<'_>) -> Option<String> {
    let Split::Subset { stable, .. } = split else {
        return None;
    };
    let routes = virtual_service.pointer("/spec/http").and_then(Value::as_array)?;
    routes
        .iter()
        .filter_map(|route| route.get("route").and_then(Value::as_array))
        .flatten()
        .filter_map(|entry| entry.get("destination"))
        .find(|destination| destination.get("subset").and_then(Value::as_str) == Some(stable))
        .and_then(|destination| destination.get("host").and_then(Value::as_str))
        .map(str::to_string)
}

/// Labels the DestinationRule's canary and stable subsets with the pod template hashes.
pub fn set_subset_hashes(
    destination_rule: &Value,
    spec: &IstioDestinationRule,
    canary_hash: &str,
    stable_hash: &str,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(DESTINATION_RULE, destination_rule);
    let mut edited = destination_rule.clone();
    let subsets = array_mut(&mut edited, "/spec/subsets", subject, "spec.subsets")?;
    for (name, hash) in [
        (&spec.canary_subset_name, canary_hash),
        (&spec.stable_subset_name, stable_hash),
    ] {
        let subset = subsets
            .iter_mut()
            .find(|subset| subset.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .ok_or_else(|| subject.missing(format!("spec.subsets[name={name}]")))?;
        if !subset.get("labels").is_some_and(Value::is_object) {
            subset["labels"] = json!({});
        }
        subset["labels"][POD_TEMPLATE_HASH_LABEL] = json!(hash);
    }
    Ok(edited)
}

/// Puts an HTTP route named `header.name` first, sending requests with the headers to the
/// canary; without `match`, removes it.
pub fn set_header_route(
    virtual_service: &Value,
    split: Split<'_>,
    host: &str,
    header: &SetHeaderRoute,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(VIRTUAL_SERVICE, virtual_service);
    let name = header
        .name
        .as_deref()
        .ok_or_else(|| subject.missing("setHeaderRoute.name"))?;
    let Some(matches) = header.matches.as_ref() else {
        return Ok(remove_managed_routes(virtual_service, &[name]));
    };
    let mut headers = Map::new();
    for header_match in matches {
        headers.insert(
            header_match.header_name.clone(),
            istio_string_match(&header_match.header_value),
        );
    }
    let route = json!({
        "name": name,
        "match": [{"headers": headers}],
        "route": [{"destination": canary_destination(split, host)}],
    });
    prepend_route(virtual_service, name, route, subject)
}

/// Puts an HTTP route named `mirror.name` first that keeps routing matching requests to the
/// stable destination and mirrors `percentage` of them to the canary; without `match`, removes
/// it.
pub fn set_mirror_route(
    virtual_service: &Value,
    split: Split<'_>,
    host: &str,
    mirror: &SetMirrorRoute,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(VIRTUAL_SERVICE, virtual_service);
    let Some(matches) = mirror.matches.as_ref() else {
        return Ok(remove_managed_routes(virtual_service, &[mirror.name.as_str()]));
    };
    let istio_matches: Vec<Value> = matches
        .iter()
        .map(|m| {
            let mut out = Map::new();
            if let Some(method) = &m.method {
                out.insert("method".into(), istio_string_match(method));
            }
            if let Some(path) = &m.path {
                out.insert("uri".into(), istio_string_match(path));
            }
            if let Some(headers) = &m.headers {
                let headers: Map<String, Value> = headers
                    .iter()
                    .map(|(name, value)| (name.clone(), istio_string_match(value)))
                    .collect();
                out.insert("headers".into(), Value::Object(headers));
            }
            Value::Object(out)
        })
        .collect();
    let mut route = json!({
        "name": mirror.name,
        "match": istio_matches,
        "route": [{"destination": stable_destination(split, host)}],
        "mirror": canary_destination(split, host),
    });
    if let Some(percent) = mirror.percentage {
        route["mirrorPercentage"] = json!({"value": percent});
    }
    prepend_route(virtual_service, &mirror.name, route, subject)
}

/// Removes the HTTP routes the controller added for the named managed routes.
pub fn remove_managed_routes(virtual_service: &Value, names: &[&str]) -> Value {
    let mut edited = virtual_service.clone();
    if let Some(routes) = edited.pointer_mut("/spec/http").and_then(Value::as_array_mut) {
        routes.retain(|route| {
            !route
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| names.contains(&name))
        });
    }
    edited
}

/// Moves the managed routes present in the VirtualService to the front, in the order of the
/// Rollout's `managedRoutes` (their precedence), ahead of the user's routes.
pub fn order_managed_routes(virtual_service: &Value, managed: &[ManagedRoute]) -> Value {
    let mut edited = virtual_service.clone();
    if let Some(routes) = edited.pointer_mut("/spec/http").and_then(Value::as_array_mut) {
        let rank = |route: &Value| {
            let name = route.get("name").and_then(Value::as_str);
            managed
                .iter()
                .position(|m| Some(m.name.as_str()) == name)
                .unwrap_or(managed.len())
        };
        // A stable sort keeps the user's routes in their own order behind the managed ones.
        routes.sort_by_key(rank);
    }
    edited
}

fn prepend_route(
    virtual_service: &Value,
    name: &str,
    route: Value,
    subject: Subject<'_>,
) -> Result<Value, ObjectError> {
    let mut edited = remove_managed_routes(virtual_service, &[name]);
    // Managed routes come first so they take precedence over the weighted route.
    array_mut(&mut edited, "/spec/http", subject, "spec.http")?.insert(0, route);
    Ok(edited)
}

fn istio_string_match(matcher: &StringMatch) -> Value {
    match (&matcher.exact, &matcher.prefix, &matcher.regex) {
        (Some(exact), _, _) => json!({"exact": exact}),
        (None, Some(prefix), _) => json!({"prefix": prefix}),
        (None, None, Some(regex)) => json!({"regex": regex}),
        (None, None, None) => json!({}),
    }
}

fn canary_destination(split: Split<'_>, host: &str) -> Value {
    match split {
        Split::Host(backends) => json!({"host": backends.canary}),
        Split::Subset { canary, .. } => json!({"host": host, "subset": canary}),
    }
}

fn stable_destination(split: Split<'_>, host: &str) -> Value {
    match split {
        Split::Host(backends) => json!({"host": backends.stable}),
        Split::Subset { stable, .. } => json!({"host": host, "subset": stable}),
    }
}

#[cfg(test)]
#[path = "istio_tests.rs"]
mod tests;
