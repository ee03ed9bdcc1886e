//! Rules about arguments: how they are declared, and that every `{{args.NAME}}` a metric uses
//! is declared.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::analysis::args::{Argument, referenced_args};
use crate::analysis::metric::Metric;
use crate::{FieldPath, Finding};

/// Whether every argument must already hold a value (a run), or may wait for the caller (a
/// template, an experiment's analysis reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValuesRequired {
    Yes,
    No,
}

/// Problems in a list of arguments found at `path` (`spec.args`).
pub fn argument_findings(args: &[Argument], path: &FieldPath, values: ValuesRequired) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (i, arg) in args.iter().enumerate() {
        let at = path.index(i);
        if arg.name.trim().is_empty() {
            findings.push(Finding::error(at.field("name"), "an argument needs a name"));
        } else if let Some(first) = first_seen.get(arg.name.as_str()) {
            findings.push(Finding::error(
                at.field("name"),
                format!(
                    "argument {:?} is declared twice (first at {})",
                    arg.name,
                    path.index(*first)
                ),
            ));
        } else {
            first_seen.insert(&arg.name, i);
        }
        match (&arg.value, &arg.value_from) {
            (Some(_), Some(_)) => findings.push(Finding::error(
                &at,
                format!("argument {:?} sets both value and valueFrom: set one", arg.name),
            )),
            (None, None) if values == ValuesRequired::Yes => findings.push(Finding::error(
                &at,
                format!(
                    "argument {:?} has no value: a run needs every argument resolved",
                    arg.name
                ),
            )),
            _ => {}
        }
        if let Some(from) = &arg.value_from {
            let sources = usize::from(from.secret_key_ref.is_some()) + usize::from(from.field_ref.is_some());
            if sources != 1 {
                findings.push(Finding::error(
                    at.field("valueFrom"),
                    format!(
                        "valueFrom of argument {:?} sets {sources} sources: set exactly one of secretKeyRef, fieldRef",
                        arg.name
                    ),
                ));
            }
        }
    }
    findings
}

/// Reports each `{{args.NAME}}` in the metrics that `declared` does not hold. When the
/// arguments may come from elsewhere (an included template), the finding is a warning.
pub fn reference_findings(
    metrics: &[Metric],
    metrics_path: &FieldPath,
    declared: &BTreeSet<&str>,
    may_come_from_elsewhere: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, metric) in metrics.iter().enumerate() {
        // Every string of the metric may hold a placeholder, whatever the provider: walking
        // the metric as JSON finds them all, with their JSON paths.
        let Ok(value) = serde_json::to_value(metric) else {
            continue;
        };
        walk_strings(&value, &metrics_path.index(i), &mut |path, text| {
            for name in referenced_args(text) {
                if declared.contains(name) {
                    continue;
                }
                findings.push(if may_come_from_elsewhere {
                    Finding::warning(
                        path,
                        format!(
                            "{{{{args.{name}}}}} is not declared in spec.args; it must come from an included template"
                        ),
                    )
                } else {
                    Finding::error(
                        path,
                        format!("{{{{args.{name}}}}} refers to an argument that spec.args does not declare"),
                    )
                });
            }
        });
    }
    findings
}

fn walk_strings(value: &Value, path: &FieldPath, visit: &mut dyn FnMut(&FieldPath, &str)) {
    match value {
        Value::String(text) => visit(path, text),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_strings(item, &path.index(i), visit);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                walk_strings(item, &path.field(key), visit);
            }
        }
        _ => {}
    }
}

/// The names `args` declares.
pub fn declared_names(args: &[Argument]) -> BTreeSet<&str> {
    args.iter().map(|a| a.name.as_str()).collect()
}
