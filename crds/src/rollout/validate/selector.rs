//! The selector rule: a Rollout with a pod template has a non-empty selector, and that selector
//! selects the template's own pods, or the ReplicaSets it creates would never own them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use crate::rollout::RolloutSpec;
use crate::{FieldPath, Finding};

/// Checks `spec.selector` against `spec.template.metadata.labels`. With `workloadRef` the
/// selector may be left out: it is then taken from the referenced workload.
pub fn check_selector(spec: &RolloutSpec, path: &FieldPath) -> Vec<Finding> {
    let path = path.field("selector");
    let Some(selector) = &spec.selector else {
        return match spec.template {
            Some(_) => vec![Finding::error(
                path,
                "selector is required; it must match the template's labels",
            )],
            None => Vec::new(),
        };
    };
    let match_labels = selector.match_labels.as_ref().filter(|labels| !labels.is_empty());
    let match_expressions = selector.match_expressions.as_deref().unwrap_or_default();
    if match_labels.is_none() && match_expressions.is_empty() {
        return vec![Finding::error(
            path,
            "the selector is empty and would select every pod; give it matchLabels or matchExpressions",
        )];
    }
    let empty = BTreeMap::new();
    let template_labels = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.as_ref())
        .unwrap_or(&empty);
    // Without a template there is nothing here to match against.
    let check_match = spec.template.is_some();
    let mut findings = Vec::new();
    if check_match {
        findings.extend(check_match_labels(selector, template_labels, &path));
    }
    for (i, requirement) in match_expressions.iter().enumerate() {
        let req_path = path.field("matchExpressions").index(i);
        match Operator::parse(requirement) {
            Err(message) => findings.push(Finding::error(req_path, message)),
            Ok(operator) if check_match && !operator.holds(requirement, template_labels) => {
                findings.push(Finding::error(
                    req_path,
                    format!(
                        "{} does not hold for the template's labels",
                        describe(requirement)
                    ),
                ));
            }
            Ok(_) => {}
        }
    }
    findings
}

fn check_match_labels(
    selector: &LabelSelector,
    template_labels: &BTreeMap<String, String>,
    path: &FieldPath,
) -> Vec<Finding> {
    let Some(match_labels) = &selector.match_labels else {
        return Vec::new();
    };
    match_labels
        .iter()
        .filter_map(|(key, wanted)| {
            let message = match template_labels.get(key) {
                Some(actual) if actual == wanted => return None,
                Some(actual) => {
                    format!("{key}={wanted} does not match the template's label {key}={actual}")
                }
                None => format!("{key}={wanted} is not among the template's labels"),
            };
            Some(Finding::error(path.field("matchLabels").key(key), message))
        })
        .collect()
}

/// Whether `selector` selects an object with `labels`, as Kubernetes reads it: every
/// `matchLabels` entry and every `matchExpressions` requirement holds. An empty selector selects
/// everything; a requirement with an unknown operator or misfitting values selects nothing.
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let labels_hold = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(key, wanted)| labels.get(key) == Some(wanted));
    labels_hold
        && selector
            .match_expressions
            .iter()
            .flatten()
            .all(|requirement| Operator::parse(requirement).is_ok_and(|op| op.holds(requirement, labels)))
}

/// A label selector operator, as Kubernetes defines them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    /// The operator of `requirement`, refusing unknown ones and values that do not fit it.
    fn parse(requirement: &LabelSelectorRequirement) -> Result<Operator, String> {
        let operator = match requirement.operator.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            other => {
                return Err(format!(
                    "operator {other:?} is not one of In, NotIn, Exists, DoesNotExist"
                ));
            }
        };
        let has_values = requirement.values.as_ref().is_some_and(|v| !v.is_empty());
        match operator {
            Operator::In | Operator::NotIn if !has_values => Err(format!(
                "operator {} needs at least one value",
                requirement.operator
            )),
            Operator::Exists | Operator::DoesNotExist if has_values => {
                Err(format!("operator {} takes no values", requirement.operator))
            }
            _ => Ok(operator),
        }
    }

    fn holds(self, requirement: &LabelSelectorRequirement, labels: &BTreeMap<String, String>) -> bool {
        let actual = labels.get(&requirement.key);
        let listed = |value: &String| requirement.values.iter().flatten().any(|v| v == value);
        match self {
            Operator::In => actual.is_some_and(listed),
            Operator::NotIn => !actual.is_some_and(listed),
            Operator::Exists => actual.is_some(),
            Operator::DoesNotExist => actual.is_none(),
        }
    }
}

/// `track In [stable, canary]`, as a user would read the requirement.
fn describe(requirement: &LabelSelectorRequirement) -> String {
    let values = requirement.values.as_deref().unwrap_or_default();
    if values.is_empty() {
        format!("{} {}", requirement.key, requirement.operator)
    } else {
        format!(
            "{} {} [{}]",
            requirement.key,
            requirement.operator,
            values.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_clean, assert_finding, canary};
    use super::*;
    use crate::Severity::Error;

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn with_expressions(expressions: Vec<LabelSelectorRequirement>) -> crate::rollout::Rollout {
        let mut rollout = canary();
        rollout.spec.selector.as_mut().unwrap().match_expressions = Some(expressions);
        rollout
    }

    #[test]
    fn selects_reads_labels_and_expressions_as_kubernetes_does() {
        let labels: BTreeMap<String, String> = [("app", "shop"), ("tier", "web")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let selector = |pairs: &[(&str, &str)], expressions: Vec<LabelSelectorRequirement>| LabelSelector {
            match_labels: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            match_expressions: Some(expressions),
        };
        assert!(selects(&selector(&[("app", "shop")], vec![]), &labels));
        assert!(!selects(&selector(&[("app", "cart")], vec![]), &labels));
        assert!(!selects(
            &selector(&[("app", "shop"), ("track", "x")], vec![]),
            &labels
        ));
        assert!(selects(
            &selector(&[], vec![requirement("tier", "In", &["web", "api"])]),
            &labels
        ));
        assert!(!selects(
            &selector(&[], vec![requirement("tier", "NotIn", &["web"])]),
            &labels
        ));
        assert!(!selects(
            &selector(&[], vec![requirement("tier", "Matches", &["web"])]),
            &labels
        ));
        assert!(selects(&LabelSelector::default(), &labels));
    }

    #[test]
    fn expressions_the_template_satisfies_are_accepted() {
        // The template's labels are app=checkout, tier=web.
        assert_clean(&with_expressions(vec![
            requirement("tier", "In", &["web", "api"]),
            requirement("tier", "NotIn", &["batch"]),
            requirement("app", "Exists", &[]),
            requirement("track", "DoesNotExist", &[]),
        ]));
    }

    #[test]
    fn each_selector_rule_reports_at_its_path() {
        let cases = [
            (
                with_expressions(vec![requirement("tier", "In", &["batch"])]),
                "spec.selector.matchExpressions[0]",
                "tier In [batch] does not hold",
            ),
            (
                with_expressions(vec![requirement("app", "DoesNotExist", &[])]),
                "spec.selector.matchExpressions[0]",
                "app DoesNotExist does not hold",
            ),
            (
                with_expressions(vec![requirement("tier", "Matches", &["web"])]),
                "spec.selector.matchExpressions[0]",
                "operator \"Matches\" is not one of",
            ),
            (
                with_expressions(vec![requirement("tier", "In", &[])]),
                "spec.selector.matchExpressions[0]",
                "operator In needs at least one value",
            ),
            (
                with_expressions(vec![requirement("tier", "Exists", &["web"])]),
                "spec.selector.matchExpressions[0]",
                "operator Exists takes no values",
            ),
        ];
        for (rollout, path, message) in cases {
            assert_finding(&rollout, Error, path, message, message);
        }

        let mut other_value = canary();
        let labels = other_value
            .spec
            .selector
            .as_mut()
            .unwrap()
            .match_labels
            .as_mut()
            .unwrap();
        labels.insert("app".into(), "cart".into());
        assert_finding(
            &other_value,
            Error,
            "spec.selector.matchLabels[app]",
            "app=cart does not match the template's label app=checkout",
            "other value",
        );

        let mut missing_label = canary();
        let labels = missing_label
            .spec
            .selector
            .as_mut()
            .unwrap()
            .match_labels
            .as_mut()
            .unwrap();
        labels.insert("track".into(), "stable".into());
        assert_finding(
            &missing_label,
            Error,
            "spec.selector.matchLabels[track]",
            "track=stable is not among the template's labels",
            "missing label",
        );

        let mut no_selector = canary();
        no_selector.spec.selector = None;
        assert_finding(
            &no_selector,
            Error,
            "spec.selector",
            "selector is required",
            "no selector",
        );

        let mut empty = canary();
        empty.spec.selector = Some(LabelSelector::default());
        assert_finding(
            &empty,
            Error,
            "spec.selector",
            "the selector is empty",
            "empty selector",
        );
    }
}
