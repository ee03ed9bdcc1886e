//! The rules a valid Experiment obeys, reported all at once with the path of each offending
//! field.

use std::collections::HashMap;

use super::{Experiment, ExperimentAnalysisTemplateRef, TemplateSpec};
use crate::analysis::args::has_placeholder;
use crate::analysis::validate::{ValuesRequired, argument_findings, dry_run_findings, retention_findings};
use crate::common::parse_go_duration;
use crate::{FieldPath, Finding, Validate};

impl Validate for Experiment {
    fn validate(&self) -> Vec<Finding> {
        let spec = &self.spec;
        let path = FieldPath::root("spec");
        let mut findings = template_findings(&spec.templates, &path.field("templates"));
        if let Some(duration) = spec.duration.as_deref()
            && !has_placeholder(duration)
            && let Err(reason) = parse_go_duration(duration)
        {
            findings.push(Finding::error(
                path.field("duration"),
                format!("duration: {reason}"),
            ));
        }
        for (field, value) in [
            ("progressDeadlineSeconds", spec.progress_deadline_seconds),
            ("scaleDownDelaySeconds", spec.scale_down_delay_seconds),
        ] {
            if let Some(seconds) = value.filter(|s| *s < 0) {
                findings.push(Finding::error(
                    path.field(field),
                    format!("{field} {seconds} must not be negative"),
                ));
            }
        }
        findings.extend(analysis_findings(
            spec.analyses.as_deref().unwrap_or_default(),
            &path.field("analyses"),
        ));
        findings.extend(dry_run_findings(spec.dry_run.as_deref(), &path.field("dryRun")));
        findings.extend(retention_findings(
            spec.measurement_retention.as_deref(),
            &path.field("measurementRetention"),
        ));
        findings
    }
}

/// At least one template; names present and unique; counts sane; selector matches the pods.
fn template_findings(templates: &[TemplateSpec], path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    if templates.is_empty() {
        findings.push(Finding::error(path, "at least one template is needed"));
    }
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (i, template) in templates.iter().enumerate() {
        let at = path.index(i);
        if template.name.trim().is_empty() {
            findings.push(Finding::error(at.field("name"), "a template needs a name"));
        } else if let Some(first) = first_seen.get(template.name.as_str()) {
            findings.push(Finding::error(
                at.field("name"),
                format!(
                    "template name {:?} is used twice (first at {})",
                    template.name,
                    path.index(*first)
                ),
            ));
        } else {
            first_seen.insert(&template.name, i);
        }
        for (field, value) in [
            ("replicas", template.replicas),
            ("minReadySeconds", template.min_ready_seconds),
        ] {
            if let Some(n) = value.filter(|n| *n < 0) {
                findings.push(Finding::error(
                    at.field(field),
                    format!("{field} {n} must not be negative"),
                ));
            }
        }
        if let Some(weight) = template.weight.filter(|w| !(0..=100).contains(w)) {
            findings.push(Finding::error(
                at.field("weight"),
                format!("weight {weight} is not a percentage from 0 to 100"),
            ));
        }
        findings.extend(selector_findings(template, &at));
    }
    findings
}

/// The selector must select something, and select the template's own pods.
fn selector_findings(template: &TemplateSpec, path: &FieldPath) -> Vec<Finding> {
    let selector = &template.selector;
    let match_labels = selector.match_labels.clone().unwrap_or_default();
    let has_expressions = selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty());
    if match_labels.is_empty() && !has_expressions {
        return vec![Finding::error(
            path.field("selector"),
            "an empty selector would select every pod: give matchLabels",
        )];
    }
    let pod_labels = template
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    match_labels
        .iter()
        .filter(|(key, value)| pod_labels.get(*key) != Some(*value))
        .map(|(key, value)| {
            Finding::error(
                path.field("selector").field("matchLabels").key(key),
                format!("selector {key}={value} does not match the template's labels, so it selects none of its pods"),
            )
        })
        .collect()
}

/// Analyses are named uniquely, name a template, and declare their arguments properly.
fn analysis_findings(analyses: &[ExperimentAnalysisTemplateRef], path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (i, analysis) in analyses.iter().enumerate() {
        let at = path.index(i);
        if analysis.name.trim().is_empty() {
            findings.push(Finding::error(at.field("name"), "an analysis needs a name"));
        } else if let Some(first) = first_seen.get(analysis.name.as_str()) {
            findings.push(Finding::error(
                at.field("name"),
                format!(
                    "analysis name {:?} is used twice (first at {})",
                    analysis.name,
                    path.index(*first)
                ),
            ));
        } else {
            first_seen.insert(&analysis.name, i);
        }
        if analysis.template_name.trim().is_empty() {
            findings.push(Finding::error(
                at.field("templateName"),
                format!("analysis {:?} needs a templateName", analysis.name),
            ));
        }
        findings.extend(argument_findings(
            analysis.args.as_deref().unwrap_or_default(),
            &at.field("args"),
            ValuesRequired::No,
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn experiment(spec: Value) -> Experiment {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
            "metadata": {"name": "checkout-exp"}, "spec": spec
        }))
        .unwrap()
    }

    fn template(name: &str) -> Value {
        json!({
            "name": name,
            "selector": {"matchLabels": {"app": "checkout", "track": name}},
            "template": {
                "metadata": {"labels": {"app": "checkout", "track": name}},
                "spec": {"containers": [{"name": "checkout", "image": "registry.example.com/checkout:2.4.1"}]}
            }
        })
    }

    fn valid() -> Value {
        json!({
            "duration": "20m",
            "templates": [template("baseline"), template("canary")],
            "analyses": [{"name": "compare", "templateName": "mann-whitney",
                          "args": [{"name": "baseline-hash", "value": "{{templates.baseline.podTemplateHash}}"}]}]
        })
    }

    fn messages(spec: Value) -> Vec<String> {
        experiment(spec)
            .validate()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// `spec` with the field at `pointer` set (its parent object must exist).
    fn with(mut spec: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        match spec.pointer_mut(parent) {
            Some(Value::Object(fields)) => {
                fields.insert(key.to_string(), value);
            }
            _ => panic!("no object at {parent}"),
        }
        spec
    }

    /// `spec` with `value` appended to the list at `pointer`.
    fn appended(mut spec: Value, pointer: &str, value: Value) -> Value {
        match spec.pointer_mut(pointer) {
            Some(Value::Array(items)) => items.push(value),
            _ => panic!("no list at {pointer}"),
        }
        spec
    }

    #[test]
    fn a_valid_experiment_has_no_findings() {
        assert_eq!(messages(valid()), Vec::<String>::new());
    }

    #[test]
    fn each_rule_reports_at_its_path() {
        let cases: [(&str, Value, &str); 11] = [
            (
                "no templates",
                with(valid(), "/templates", json!([])),
                "spec.templates: error: at least one template",
            ),
            (
                "duplicate template",
                with(valid(), "/templates/1/name", json!("baseline")),
                "spec.templates[1].name: error: template name \"baseline\" is used twice",
            ),
            (
                "bad duration",
                with(valid(), "/duration", json!("20")),
                "spec.duration: error: duration: \"20\" is not a duration",
            ),
            (
                "analysis without template",
                with(valid(), "/analyses/0/templateName", json!("")),
                "spec.analyses[0].templateName: error: analysis \"compare\" needs a templateName",
            ),
            (
                "duplicate analysis",
                appended(
                    valid(),
                    "/analyses",
                    json!({"name": "compare", "templateName": "x"}),
                ),
                "spec.analyses[1].name: error: analysis name \"compare\" is used twice",
            ),
            (
                "selector misses pods",
                with(
                    valid(),
                    "/templates/0/selector/matchLabels/track",
                    json!("stable"),
                ),
                "spec.templates[0].selector.matchLabels[track]: error: selector track=stable does not match",
            ),
            (
                "empty selector",
                with(valid(), "/templates/0/selector", json!({})),
                "spec.templates[0].selector: error: an empty selector",
            ),
            (
                "negative progress deadline",
                with(valid(), "/progressDeadlineSeconds", json!(-10)),
                "spec.progressDeadlineSeconds: error: progressDeadlineSeconds -10 must not be negative",
            ),
            (
                "empty dry-run entry",
                with(valid(), "/dryRun", json!([{"metricName": ""}])),
                "spec.dryRun[0].metricName: error: metricName must name",
            ),
            (
                "negative replicas",
                with(valid(), "/templates/0/replicas", json!(-1)),
                "spec.templates[0].replicas: error: replicas -1",
            ),
            (
                "weight above 100",
                with(valid(), "/templates/1/weight", json!(120)),
                "spec.templates[1].weight: error: weight 120",
            ),
        ];
        for (name, spec, expected) in cases {
            let found = messages(spec);
            assert!(found.iter().any(|m| m.starts_with(expected)), "{name}: {found:?}");
        }
    }

    #[test]
    fn a_placeholder_duration_is_left_for_the_run() {
        assert!(messages(with(valid(), "/duration", json!("{{args.duration}}"))).is_empty());
    }

    #[test]
    fn analysis_args_are_checked() {
        let spec = appended(
            valid(),
            "/analyses/0/args",
            json!({"name": "baseline-hash", "value": "x"}),
        );
        let found = messages(spec);
        assert!(
            found.iter().any(|m| m.starts_with(
                "spec.analyses[0].args[1].name: error: argument \"baseline-hash\" is declared twice"
            )),
            "{found:?}"
        );
    }
}
