//! Gateway API HTTPRoutes, as the `argoproj-labs/gatewayAPI` traffic router plugin edits them:
//! the weights of the stable and canary `backendRefs` in the route's rules, extra rules for
//! header routes (`setHeaderRoute`) and mirror routes (`setMirrorRoute`, a `RequestMirror`
//! filter), and their removal.
//!
//! Rules the controller adds carry the managed route's name in the rule's `name` field, which
//! is how they are found again; weights are only set on the other rules.

use linnet_crds::rollout::{
    HeaderRoutingMatch, Rollout, RouteMatch, SetHeaderRoute, SetMirrorRoute, StringMatch,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Backends, Subject, Weights, array_mut, prefix_regex};
use crate::rollout::objects::ObjectError;

/// The key of the plugin under `trafficRouting.plugins`.
pub const PLUGIN_NAME: &str = "argoproj-labs/gatewayAPI";

const KIND: &str = "HTTPRoute";

/// The plugin's configuration (`trafficRouting.plugins["argoproj-labs/gatewayAPI"]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayApiConfig {
    /// A single HTTPRoute to edit.
    #[serde(default)]
    pub http_route: Option<String>,
    /// Several HTTPRoutes to edit.
    #[serde(default)]
    pub http_routes: Option<Vec<HttpRouteRef>>,
    /// Namespace of the routes; the Rollout's namespace when unset.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// One entry of `httpRoutes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRef {
    pub name: String,
    /// Whether header routes are added to this route.
    #[serde(default)]
    pub use_header_routes: Option<bool>,
}

impl GatewayApiConfig {
    /// The plugin configuration of `rollout`, `None` when the Rollout does not use the plugin.
    pub fn of(rollout: &Rollout) -> Result<Option<GatewayApiConfig>, ObjectError> {
        let config = rollout
            .spec
            .strategy
            .as_ref()
            .and_then(|strategy| strategy.canary.as_ref())
            .and_then(|canary| canary.traffic_routing.as_ref())
            .and_then(|routing| routing.plugins.as_ref())
            .and_then(|plugins| plugins.get(PLUGIN_NAME));
        config
            .map(|value| serde_json::from_value(value.clone()))
            .transpose()
            .map_err(|error| ObjectError::InvalidPluginConfig {
                rollout: rollout.metadata.name.clone().unwrap_or_default(),
                plugin: PLUGIN_NAME,
                reason: error.to_string(),
            })
    }

    /// The names of the HTTPRoutes to edit: `httpRoute` and every `httpRoutes[].name`.
    pub fn route_names(&self) -> Vec<&str> {
        let single = self.http_route.as_deref().into_iter();
        let many = self.http_routes.iter().flatten().map(|route| route.name.as_str());
        single.chain(many).collect()
    }

    /// The HTTPRoutes that take header routes: `httpRoute`, and the `httpRoutes` entries with
    /// `useHeaderRoutes: true`.
    pub fn header_route_names(&self) -> Vec<&str> {
        let single = self.http_route.as_deref().into_iter();
        let many = self
            .http_routes
            .iter()
            .flatten()
            .filter(|route| route.use_header_routes == Some(true))
            .map(|route| route.name.as_str());
        single.chain(many).collect()
    }
}

/// Sets the stable and canary backend weights in every rule the controller does not manage.
/// Fails when no rule sends traffic to the canary or to the stable Service.
pub fn set_weight(route: &Value, backends: Backends<'_>, weights: Weights) -> Result<Value, ObjectError> {
    let subject = Subject::of(KIND, route);
    let mut route = route.clone();
    let rules = array_mut(&mut route, "/spec/rules", subject, "spec.rules")?;
    let (mut saw_canary, mut saw_stable) = (false, false);
    for rule in rules.iter_mut().filter(|rule| !is_managed(rule)) {
        for backend in rule
            .get_mut("backendRefs")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let weight = match backend.get("name").and_then(Value::as_str) {
                Some(name) if name == backends.canary => {
                    saw_canary = true;
                    weights.canary
                }
                Some(name) if name == backends.stable => {
                    saw_stable = true;
                    weights.stable
                }
                _ => continue,
            };
            if let Some(backend) = backend.as_object_mut() {
                backend.insert("weight".into(), json!(weight));
            }
        }
    }
    if !saw_canary {
        return Err(subject.missing(format!("spec.rules[].backendRefs[name={}]", backends.canary)));
    }
    if !saw_stable {
        return Err(subject.missing(format!("spec.rules[].backendRefs[name={}]", backends.stable)));
    }
    Ok(route)
}

/// Adds (or replaces) the rule named `header.name` that sends requests with the given headers
/// to the canary only, keeping the path matches of the first rule that routes to the canary.
/// A header route without `match` removes the rule.
pub fn set_header_route(
    route: &Value,
    backends: Backends<'_>,
    header: &SetHeaderRoute,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(KIND, route);
    let name = header
        .name
        .as_deref()
        .ok_or_else(|| subject.missing("setHeaderRoute.name"))?;
    let Some(matches) = header.matches.as_ref() else {
        return Ok(remove_managed_routes(route, &[name]));
    };
    let headers = matches
        .iter()
        .map(|m| header_match(m, subject))
        .collect::<Result<Vec<_>, _>>()?;
    let base = base_rule(route, backends, subject)?;
    let mut canary_ref = canary_backend(&base, backends, subject)?;
    if let Some(reference) = canary_ref.as_object_mut() {
        reference.remove("weight");
    }
    let rule_matches: Vec<Value> = base_matches(&base)
        .into_iter()
        .map(|mut rule_match| {
            let existing = rule_match
                .get("headers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            rule_match["headers"] =
                Value::Array(existing.into_iter().chain(headers.iter().cloned()).collect());
            rule_match
        })
        .collect();
    let rule = json!({"name": name, "matches": rule_matches, "backendRefs": [canary_ref]});
    upsert_rule(route, name, rule, subject)
}

/// Adds (or replaces) the rule named `mirror.name` that keeps sending matching requests where
/// they went and mirrors `percentage` of them to the canary. Without `match`, removes it.
pub fn set_mirror_route(
    route: &Value,
    backends: Backends<'_>,
    mirror: &SetMirrorRoute,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(KIND, route);
    let Some(matches) = mirror.matches.as_ref() else {
        return Ok(remove_managed_routes(route, &[mirror.name.as_str()]));
    };
    let rule_matches = matches
        .iter()
        .map(|m| route_match(m, subject))
        .collect::<Result<Vec<_>, _>>()?;
    let base = base_rule(route, backends, subject)?;
    let canary_ref = canary_backend(&base, backends, subject)?;
    let mut mirror_ref = Map::new();
    mirror_ref.insert("name".into(), json!(backends.canary));
    if let Some(port) = canary_ref.get("port") {
        mirror_ref.insert("port".into(), port.clone());
    }
    let mut request_mirror = json!({"backendRef": mirror_ref});
    if let Some(percent) = mirror.percentage {
        request_mirror["percent"] = json!(percent);
    }
    let rule = json!({
        "name": mirror.name,
        "matches": rule_matches,
        "filters": [{"type": "RequestMirror", "requestMirror": request_mirror}],
        "backendRefs": base.get("backendRefs").cloned().unwrap_or(json!([])),
    });
    upsert_rule(route, &mirror.name, rule, subject)
}

/// Removes the rules the controller added for the named managed routes.
pub fn remove_managed_routes(route: &Value, names: &[&str]) -> Value {
    let mut route = route.clone();
    if let Some(rules) = route.pointer_mut("/spec/rules").and_then(Value::as_array_mut) {
        rules.retain(|rule| {
            !rule
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| names.contains(&name))
        });
    }
    route
}

/// The canary and stable weights of the first rule the controller does not manage that routes
/// to both Services; a backend without `weight` has Gateway API's default of 1. `None` when no
/// rule routes to both.
pub fn weights(route: &Value, backends: Backends<'_>) -> Option<Weights> {
    let rules = route.pointer("/spec/rules").and_then(Value::as_array)?;
    rules.iter().filter(|rule| !is_managed(rule)).find_map(|rule| {
        let refs = rule.get("backendRefs").and_then(Value::as_array)?;
        let weight_of = |service: &str| {
            let backend = refs
                .iter()
                .find(|r| r.get("name").and_then(Value::as_str) == Some(service))?;
            match backend.get("weight") {
                None => Some(1),
                Some(weight) => weight.as_i64().and_then(|w| i32::try_from(w).ok()),
            }
        };
        Some(Weights {
            canary: weight_of(backends.canary)?,
            stable: weight_of(backends.stable)?,
        })
    })
}

/// Rules the controller added carry a name; the user's rules that also carry one are told
/// apart by routing to more than one backend or none.
fn is_managed(rule: &Value) -> bool {
    let named = rule.get("name").and_then(Value::as_str).is_some();
    let mirrors = rule
        .get("filters")
        .and_then(Value::as_array)
        .is_some_and(|filters| {
            filters
                .iter()
                .any(|f| f.get("type").and_then(Value::as_str) == Some("RequestMirror"))
        });
    let backends = rule
        .get("backendRefs")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    named && (mirrors || backends == 1)
}

/// The first unmanaged rule that routes to the canary Service.
fn base_rule(route: &Value, backends: Backends<'_>, subject: Subject<'_>) -> Result<Value, ObjectError> {
    let rules = route
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .ok_or_else(|| subject.missing("spec.rules"))?;
    rules
        .iter()
        .filter(|rule| !is_managed(rule))
        .find(|rule| canary_backend(rule, backends, subject).is_ok())
        .cloned()
        .ok_or_else(|| subject.missing(format!("spec.rules[].backendRefs[name={}]", backends.canary)))
}

fn canary_backend(rule: &Value, backends: Backends<'_>, subject: Subject<'_>) -> Result<Value, ObjectError> {
    rule.get("backendRefs")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("name").and_then(Value::as_str) == Some(backends.canary))
        })
        .cloned()
        .ok_or_else(|| subject.missing(format!("spec.rules[].backendRefs[name={}]", backends.canary)))
}

/// The base rule's matches, or one empty match (Gateway API's default `/` prefix) if none.
fn base_matches(base: &Value) -> Vec<Value> {
    match base.get("matches").and_then(Value::as_array) {
        Some(matches) if !matches.is_empty() => matches.clone(),
        _ => vec![json!({})],
    }
}

fn upsert_rule(route: &Value, name: &str, rule: Value, subject: Subject<'_>) -> Result<Value, ObjectError> {
    let mut route = remove_managed_routes(route, &[name]);
    array_mut(&mut route, "/spec/rules", subject, "spec.rules")?.push(rule);
    Ok(route)
}

fn header_match(header: &HeaderRoutingMatch, subject: Subject<'_>) -> Result<Value, ObjectError> {
    let (kind, value) = string_match(&header.header_value, subject, "headerValue")?;
    Ok(json!({"name": header.header_name, "type": kind, "value": value}))
}

/// Gateway API knows exact and regular-expression header matches; a prefix becomes a regex.
fn string_match(
    matcher: &StringMatch,
    subject: Subject<'_>,
    field: &str,
) -> Result<(&'static str, String), ObjectError> {
    match (&matcher.exact, &matcher.prefix, &matcher.regex) {
        (Some(exact), _, _) => Ok(("Exact", exact.clone())),
        (None, Some(prefix), _) => Ok(("RegularExpression", prefix_regex(prefix))),
        (None, None, Some(regex)) => Ok(("RegularExpression", regex.clone())),
        (None, None, None) => Err(subject.missing(format!("{field}.exact|prefix|regex"))),
    }
}

fn route_match(matcher: &RouteMatch, subject: Subject<'_>) -> Result<Value, ObjectError> {
    let mut out = Map::new();
    if let Some(path) = &matcher.path {
        let (kind, value) = match (&path.exact, &path.prefix, &path.regex) {
            (Some(exact), _, _) => ("Exact", exact.clone()),
            (None, Some(prefix), _) => ("PathPrefix", prefix.clone()),
            (None, None, Some(regex)) => ("RegularExpression", regex.clone()),
            (None, None, None) => return Err(subject.missing("setMirrorRoute.match[].path")),
        };
        out.insert("path".into(), json!({"type": kind, "value": value}));
    }
    if let Some(method) = &matcher.method {
        // HTTPRoute methods match exactly.
        let exact = method
            .exact
            .as_ref()
            .ok_or_else(|| subject.unsupported("a method match other than exact"))?;
        out.insert("method".into(), json!(exact));
    }
    if let Some(headers) = &matcher.headers {
        let mut list = Vec::new();
        for (name, value) in headers {
            let (kind, value) = string_match(value, subject, "setMirrorRoute.match[].headers")?;
            list.push(json!({"name": name, "type": kind, "value": value}));
        }
        out.insert("headers".into(), Value::Array(list));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
#[path = "gateway_tests.rs"]
mod tests;
