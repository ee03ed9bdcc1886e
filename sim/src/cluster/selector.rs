//! Label selectors as the cluster's controllers evaluate them: the `LabelSelector` of
//! workloads (matchLabels and matchExpressions) and the plain map selector of Services.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

pub type Labels = BTreeMap<String, String>;

/// Whether `labels` satisfy a workload selector. An empty selector matches everything, as
/// the API defines; callers that must not act on everything check [`is_empty`] first.
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    labels_ok
        && selector
            .match_expressions
            .iter()
            .flatten()
            .all(|requirement| requirement_holds(requirement, labels))
}

pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

fn requirement_holds(requirement: &LabelSelectorRequirement, labels: &Labels) -> bool {
    let value = labels.get(&requirement.key);
    let values = requirement.values.as_deref().unwrap_or_default();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        // An operator the API would have rejected matches nothing rather than everything.
        _ => false,
    }
}

/// Whether `labels` carry every pair of a Service-style map selector.
pub fn map_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(key, value)| labels.get(key) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn match_labels_and_expressions() {
        let selector = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![
                requirement("tier", "In", &["front", "edge"]),
                requirement("canary", "DoesNotExist", &[]),
            ]),
        };
        assert!(matches(&selector, &labels(&[("app", "web"), ("tier", "edge")])));
        assert!(!matches(&selector, &labels(&[("app", "web"), ("tier", "back")])));
        assert!(!matches(
            &selector,
            &labels(&[("app", "web"), ("tier", "edge"), ("canary", "x")])
        ));
        assert!(!matches(&selector, &labels(&[("app", "api"), ("tier", "edge")])));
    }

    #[test]
    fn not_in_exists_and_unknown_operators() {
        let not_in = LabelSelector {
            match_expressions: Some(vec![requirement("env", "NotIn", &["prod"])]),
            ..LabelSelector::default()
        };
        assert!(matches(&not_in, &labels(&[])));
        assert!(!matches(&not_in, &labels(&[("env", "prod")])));
        let exists = LabelSelector {
            match_expressions: Some(vec![requirement("env", "Exists", &[])]),
            ..LabelSelector::default()
        };
        assert!(matches(&exists, &labels(&[("env", "dev")])));
        assert!(!matches(&exists, &labels(&[])));
        let unknown = LabelSelector {
            match_expressions: Some(vec![requirement("env", "Like", &["p"])]),
            ..LabelSelector::default()
        };
        assert!(!matches(&unknown, &labels(&[("env", "p")])));
        assert!(is_empty(&LabelSelector::default()));
        assert!(!is_empty(&exists));
    }

    #[test]
    fn service_map_selector() {
        let selector = labels(&[("app", "web")]);
        assert!(map_matches(&selector, &labels(&[("app", "web"), ("x", "y")])));
        assert!(!map_matches(&selector, &labels(&[("app", "api")])));
    }
}
