//! Apache APISIX: the ApisixRoute (`trafficRouting.apisix.route.name`) the user made. In each
//! of its HTTP rules the Rollout names (`route.rules`, else the rule named as the route), the
//! backends whose `serviceName` is the stable and the canary Service get their `weight`, as
//! Argo Rollouts sets them; everything else is left as it is.

use serde_json::Value;

use super::{Backends, Subject, Weights, array_mut, named_weights, set_named_weights};
use crate::rollout::objects::ObjectError;

const KIND: &str = "ApisixRoute";

/// The live ApisixRoute with the stable and canary backends of each rule in `rules` at
/// `weights`.
pub fn set_weight(
    live: &Value,
    rules: &[&str],
    backends: Backends<'_>,
    weights: Weights,
) -> Result<Value, ObjectError> {
    let subject = Subject::of(KIND, live);
    let mut edited = live.clone();
    let http = array_mut(&mut edited, "/spec/http", subject, "spec.http")?;
    for rule_name in rules {
        let rule = http
            .iter_mut()
            .find(|rule| rule.get("name").and_then(Value::as_str) == Some(rule_name))
            .ok_or_else(|| subject.no_route(rule_name))?;
        let field = format!("spec.http[name={rule_name}].backends");
        let entries = array_mut(rule, "/backends", subject, &field)?;
        set_named_weights(entries, "serviceName", backends, weights, subject, &field)?;
    }
    Ok(edited)
}

/// The canary and stable weights of the first rule in `rules`; `None` when it, either
/// backend or its weight is absent.
pub fn weights(live: &Value, rules: &[&str], backends: Backends<'_>) -> Option<Weights> {
    let first = rules.first()?;
    let rule = live
        .pointer("/spec/http")
        .and_then(Value::as_array)?
        .iter()
        .find(|rule| rule.get("name").and_then(Value::as_str) == Some(first))?;
    named_weights(
        rule.get("backends").and_then(Value::as_array)?,
        "serviceName",
        backends,
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const BACKENDS: Backends<'static> = Backends {
        stable: "web-stable",
        canary: "web-canary",
    };

    fn rule(name: &str) -> Value {
        json!({"name": name, "match": {"paths": ["/*"]}, "backends": [
            {"serviceName": "web-stable", "servicePort": 80, "weight": 100},
            {"serviceName": "web-canary", "servicePort": 80, "weight": 0},
        ]})
    }

    fn route(rules: Vec<Value>) -> Value {
        json!({"apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute",
            "metadata": {"name": "web"}, "spec": {"http": rules}})
    }

    #[test]
    fn sets_the_named_rules_weights_and_leaves_the_others() {
        let live = route(vec![rule("web"), rule("admin")]);
        for (canary, max, stable) in [(30, None, 70), (100, None, 0), (25, Some(1000), 975)] {
            let wanted = Weights::split(canary, max);
            let edited = set_weight(&live, &["web"], BACKENDS, wanted).unwrap_or_else(|e| panic!("{e}"));
            let backends = &edited["spec"]["http"][0]["backends"];
            assert_eq!(backends[0]["weight"], stable, "canary {canary} of {max:?}");
            assert_eq!(backends[1]["weight"], canary);
            assert_eq!(backends[0]["servicePort"], 80);
            assert_eq!(edited["spec"]["http"][0]["match"], json!({"paths": ["/*"]}));
            assert_eq!(
                edited["spec"]["http"][1],
                rule("admin"),
                "a rule not named is left"
            );
            assert_eq!(weights(&edited, &["web"], BACKENDS), Some(wanted));
        }
        let both = set_weight(&live, &["web", "admin"], BACKENDS, Weights::split(10, None))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(both["spec"]["http"][1]["backends"][1]["weight"], 10);
    }

    #[test]
    fn a_missing_rule_or_backend_is_named() {
        let live = route(vec![rule("web")]);
        let error = |rules: &[&str], live: &Value| {
            set_weight(live, rules, BACKENDS, Weights::split(10, None))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(error(&["api"], &live), "ApisixRoute web: no route named \"api\"");
        let mut one_backend = live.clone();
        one_backend["spec"]["http"][0]["backends"] = json!([{"serviceName": "web-stable", "weight": 100}]);
        assert_eq!(
            error(&["web"], &one_backend),
            "ApisixRoute web: spec.http[name=web].backends[serviceName=web-canary] is missing or has the wrong shape"
        );
        assert_eq!(weights(&one_backend, &["web"], BACKENDS), None);
        let no_http = json!({"metadata": {"name": "web"}, "spec": {}});
        assert_eq!(
            error(&["web"], &no_http),
            "ApisixRoute web: spec.http is missing or has the wrong shape"
        );
    }
}
