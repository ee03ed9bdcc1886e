//! Label and field selectors, parsed from query strings and matched against stored objects.

use serde_json::Value;

use crate::errors::ApiError;
use crate::registry::FieldLabels;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; all requirements must hold (comma means AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, ApiError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(LabelSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether an object (its `metadata.labels`) satisfies every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => label(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => label(k).is_none_or(|l| vs.iter().all(|v| v != l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
        })
    }
}

/// Splits on commas that are not inside the parentheses of an `in (...)` set.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn invalid_selector(text: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "unable to parse requirement: invalid label selector: {text:?}"
    ))
}

fn parse_requirement(part: &str) -> Result<Requirement, ApiError> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::NotExists(valid_key(key.trim(), part)?));
    }
    if let Some((key, value)) = part.split_once("!=") {
        return Ok(Requirement::NotEquals(
            valid_key(key.trim(), part)?,
            value.trim().to_string(),
        ));
    }
    if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::Equals(
            valid_key(key.trim(), part)?,
            value.trim().to_string(),
        ));
    }
    for (keyword, is_in) in [(" notin ", false), (" in ", true)] {
        if let Some((key, set)) = part.split_once(keyword) {
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| invalid_selector(part))?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            let key = valid_key(key.trim(), part)?;
            return Ok(if is_in {
                Requirement::In(key, values)
            } else {
                Requirement::NotIn(key, values)
            });
        }
    }
    Ok(Requirement::Exists(valid_key(part, part)?))
}

fn valid_key(key: &str, part: &str) -> Result<String, ApiError> {
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(key.to_string())
    } else {
        Err(invalid_selector(part))
    }
}

/// Renders a `metav1.LabelSelector` (matchLabels/matchExpressions) as selector text, as the
/// Scale subresource reports it in `status.selector`.
pub fn label_selector_to_string(selector: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    for expr in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match expr.get("operator").and_then(Value::as_str).unwrap_or_default() {
            "In" => parts.push(format!("{key} in ({})", values.join(","))),
            "NotIn" => parts.push(format!("{key} notin ({})", values.join(","))),
            "Exists" => parts.push(key.to_string()),
            "DoesNotExist" => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    parts.join(",")
}

/// A parsed field selector: `field=value` / `field==value` / `field!=value`, comma = AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    terms: Vec<(String, String, bool)>,
}

impl FieldSelector {
    /// Parses and checks every field against what the resource supports.
    pub fn parse(text: &str, labels: FieldLabels, qualified_kind: &str) -> Result<FieldSelector, ApiError> {
        let mut terms = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, value, equal) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, false)
            } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (f, v, true)
            } else {
                return Err(ApiError::BadRequest(format!(
                    "invalid selector: '{text}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if !supported_field(field, labels) {
                return Err(ApiError::BadRequest(format!(
                    "field label not supported: {field} for {qualified_kind}"
                )));
            }
            terms.push((field.to_string(), value.trim().to_string(), equal));
        }
        Ok(FieldSelector { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.terms
            .iter()
            .all(|(field, value, equal)| (field_value(object, field) == *value) == *equal)
    }

    /// The name a selector pins with `metadata.name=x`, if any (lets lists skip a scan).
    pub fn pinned_name(&self) -> Option<&str> {
        self.terms
            .iter()
            .find(|(f, _, eq)| *eq && f == "metadata.name")
            .map(|(_, v, _)| v.as_str())
    }
}

fn supported_field(field: &str, labels: FieldLabels) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    match labels {
        FieldLabels::Generic => false,
        FieldLabels::Pod => matches!(
            field,
            "spec.nodeName"
                | "status.phase"
                | "spec.restartPolicy"
                | "spec.schedulerName"
                | "spec.serviceAccountName"
                | "status.podIP"
                | "status.nominatedNodeName"
        ),
        FieldLabels::CoreEvent => {
            field.starts_with("involvedObject.")
                || matches!(field, "reason" | "reportingComponent" | "source" | "type")
        }
        FieldLabels::Secret => field == "type",
        FieldLabels::Namespace => field == "status.phase",
    }
}

/// The string value at a dotted path; missing fields compare as the empty string.
fn field_value(object: &Value, field: &str) -> String {
    let mut current = object;
    let path = if field == "source" {
        "source.component"
    } else {
        field
    };
    for key in path.split('.') {
        match current.get(key) {
            Some(next) => current = next,
            None => return String::new(),
        }
    }
    match current {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labelled(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "n", "labels": labels}})
    }

    #[test]
    fn label_operators() {
        let obj = labelled(json!({"app": "web", "tier": "fe"}));
        let cases = [
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("app!=web", false),
            ("tier in (fe, be)", true),
            ("tier in (be)", false),
            ("tier notin (be)", true),
            ("tier notin (fe,be)", false),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("app=web,tier in (fe),!gone", true),
            ("app=web,tier=be", false),
            ("", true),
        ];
        for (text, expected) in cases {
            let selector = LabelSelector::parse(text);
            assert_eq!(
                selector.map(|s| s.matches(&obj)).ok(),
                Some(expected),
                "selector {text:?}"
            );
        }
    }

    #[test]
    fn notin_matches_objects_without_the_label() {
        let selector = LabelSelector::parse("tier notin (fe)").unwrap_or_default();
        assert!(selector.matches(&labelled(json!({}))));
    }

    #[test]
    fn bad_label_selector_is_rejected() {
        assert!(LabelSelector::parse("app in fe").is_err());
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    #[test]
    fn field_selectors_by_resource() {
        let pod = json!({"metadata": {"name": "p", "namespace": "n"}, "status": {"phase": "Running"}});
        let running = FieldSelector::parse("status.phase=Running", FieldLabels::Pod, "Pod");
        assert!(running.map(|s| s.matches(&pod)).unwrap_or(false));
        let other = FieldSelector::parse("metadata.name!=p", FieldLabels::Pod, "Pod");
        assert!(!other.map(|s| s.matches(&pod)).unwrap_or(true));
        let err = FieldSelector::parse("status.phase=Running", FieldLabels::Generic, "ConfigMap");
        assert!(
            matches!(err, Err(ApiError::BadRequest(m)) if m.contains("field label not supported: status.phase"))
        );
    }

    #[test]
    fn event_involved_object_selector() {
        let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"}});
        let sel = FieldSelector::parse(
            "involvedObject.kind=Pod,involvedObject.name=p",
            FieldLabels::CoreEvent,
            "Event",
        );
        assert!(sel.map(|s| s.matches(&ev)).unwrap_or(false));
    }

    #[test]
    fn renders_label_selector_objects() {
        let sel = json!({"matchLabels": {"app": "web"}, "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]}, {"key": "x", "operator": "DoesNotExist"}]});
        assert_eq!(label_selector_to_string(&sel), "app=web,tier in (a,b),!x");
    }
}
