//! A Gateway API `HTTPRoute` as a traffic source: `rules[].backendRefs` weights (default 1)
//! and `matches` on headers (`Exact` or `RegularExpression`). Synthetic requests are `GET /`
//! without query parameters, so a match that needs another path, method or query never
//! matches. Among matching rules the one with the most header matches wins (ties: the
//! earlier rule), the part of the Gateway API precedence order that headers decide.

use serde_json::Value;

use super::super::headers::HeaderModel;
use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec, backend_index, full_match, header_mask, spec_of};

pub(super) fn compile(out: &mut Compiled<'_>) {
    let routes = out.inputs.http_routes.clone();
    for route in &routes {
        let Some((rps, headers)) = out.source_settings("HTTPRoute", &route.metadata) else {
            continue;
        };
        let namespace = route.metadata.namespace.clone().unwrap_or_default();
        let mut backends = Vec::new();
        let mut ranked: Vec<(usize, Rule)> = Vec::new();
        for rule in spec_of(route)
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let split = split(rule, &namespace, &mut backends);
            let matches = rule
                .get("matches")
                .and_then(Value::as_array)
                .filter(|m| !m.is_empty());
            let Some(matches) = matches else {
                ranked.push((0, Rule::unconditional(split)));
                continue;
            };
            for m in matches {
                if let Some(require) = requirements(m, &headers) {
                    ranked.push((
                        require.len(),
                        Rule {
                            require,
                            split: split.clone(),
                        },
                    ));
                }
            }
        }
        // Stable sort: more header matches first, rule order otherwise.
        ranked.sort_by_key(|(headers, _)| std::cmp::Reverse(*headers));
        let spec = SourceSpec {
            kind: "HTTPRoute",
            meta: &route.metadata,
            headers,
            routes: vec![Route {
                rules: ranked.into_iter().map(|(_, rule)| rule).collect(),
            }],
            backends,
        };
        out.add(rps, spec);
    }
}

fn split(rule: &Value, namespace: &str, backends: &mut Vec<BackendRef>) -> Weighted<usize> {
    let refs = rule
        .get("backendRefs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    Weighted::new(refs.filter_map(|r| {
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("Service");
        let group = r.get("group").and_then(Value::as_str).unwrap_or("");
        if kind != "Service" || !group.is_empty() {
            return None;
        }
        let service = r.get("name").and_then(Value::as_str)?.to_string();
        let namespace = r
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or(namespace)
            .to_string();
        let weight = r.get("weight").and_then(Value::as_u64).unwrap_or(1);
        let index = backend_index(
            backends,
            BackendRef {
                namespace,
                service,
                subset: None,
            },
        );
        Some((index, weight))
    }))
}

/// The header masks one match needs, or `None` if a `GET /` request can never satisfy it.
fn requirements(m: &Value, headers: &HeaderModel) -> Option<Vec<u64>> {
    if let Some(path) = m.get("path") {
        let kind = path.get("type").and_then(Value::as_str).unwrap_or("PathPrefix");
        let value = path.get("value").and_then(Value::as_str).unwrap_or("/");
        let root_matches = match kind {
            "Exact" | "PathPrefix" => value == "/",
            "RegularExpression" => full_match(value).is_some_and(|re| re.is_match("/")),
            _ => false,
        };
        if !root_matches {
            return None;
        }
    }
    if m.get("method")
        .and_then(Value::as_str)
        .is_some_and(|method| method != "GET")
    {
        return None;
    }
    if m.get("queryParams")
        .and_then(Value::as_array)
        .is_some_and(|q| !q.is_empty())
    {
        return None;
    }
    let mut require = Vec::new();
    for header in m.get("headers").and_then(Value::as_array).into_iter().flatten() {
        let name = header.get("name").and_then(Value::as_str)?;
        let value = header.get("value").and_then(Value::as_str).unwrap_or_default();
        let mask = match header.get("type").and_then(Value::as_str).unwrap_or("Exact") {
            "Exact" => header_mask(headers, name, |v| v == value),
            "RegularExpression" => {
                let re = full_match(value)?;
                header_mask(headers, name, |v| re.is_match(v))
            }
            _ => return None,
        };
        require.push(mask);
    }
    Some(require)
}
