//! The rules a valid AnalysisTemplate, ClusterAnalysisTemplate or AnalysisRun obeys, reported
//! all at once with the path of each offending field.
//!
//! Per-metric rules live in `metric.rs`, argument rules in `args.rs`; this file holds the rules
//! about the lists a spec is made of, and the `Validate` implementations.

mod args;
mod metric;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use args::{ValuesRequired, argument_findings};

use super::metric::Metric;
use super::run::AnalysisRun;
use super::template::{AnalysisTemplate, AnalysisTemplateSpec, ClusterAnalysisTemplate};
use crate::common::{DryRun, MeasurementRetention};
use crate::{FieldPath, Finding, Validate};

impl Validate for AnalysisTemplate {
    fn validate(&self) -> Vec<Finding> {
        template_spec_findings(&self.spec, &FieldPath::root("spec"))
    }
}

impl Validate for ClusterAnalysisTemplate {
    fn validate(&self) -> Vec<Finding> {
        template_spec_findings(&self.spec, &FieldPath::root("spec"))
    }
}

impl Validate for AnalysisRun {
    fn validate(&self) -> Vec<Finding> {
        let spec_path = FieldPath::root("spec");
        let spec = &self.spec;
        let args = spec.args.as_deref().unwrap_or_default();
        let mut findings = metric_list_findings(&spec.metrics, &spec_path.field("metrics"), true);
        findings.extend(argument_findings(
            args,
            &spec_path.field("args"),
            ValuesRequired::Yes,
        ));
        findings.extend(args::reference_findings(
            &spec.metrics,
            &spec_path.field("metrics"),
            &args::declared_names(args),
            false,
        ));
        findings.extend(dry_run_findings(
            spec.dry_run.as_deref(),
            &spec_path.field("dryRun"),
        ));
        findings.extend(retention_findings(
            spec.measurement_retention.as_deref(),
            &spec_path.field("measurementRetention"),
        ));
        findings
    }
}

/// Every problem of a template spec found at `path` (`spec`).
pub fn template_spec_findings(spec: &AnalysisTemplateSpec, path: &FieldPath) -> Vec<Finding> {
    let metrics = spec.metrics.as_deref().unwrap_or_default();
    let includes = spec.templates.as_deref().unwrap_or_default();
    let args = spec.args.as_deref().unwrap_or_default();
    // Metrics may all come from included templates; only a template with neither is empty.
    let mut findings = metric_list_findings(metrics, &path.field("metrics"), includes.is_empty());
    findings.extend(argument_findings(args, &path.field("args"), ValuesRequired::No));
    findings.extend(args::reference_findings(
        metrics,
        &path.field("metrics"),
        &args::declared_names(args),
        !includes.is_empty(),
    ));
    for (i, include) in includes.iter().enumerate() {
        if include.template_name.trim().is_empty() {
            findings.push(Finding::error(
                path.field("templates").index(i).field("templateName"),
                "a template reference needs a templateName",
            ));
        }
    }
    findings.extend(dry_run_findings(spec.dry_run.as_deref(), &path.field("dryRun")));
    findings.extend(retention_findings(
        spec.measurement_retention.as_deref(),
        &path.field("measurementRetention"),
    ));
    findings
}

/// A list of metrics: present when `needed`, named, names unique, each metric valid.
fn metric_list_findings(metrics: &[Metric], path: &FieldPath, needed: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    if metrics.is_empty() && needed {
        findings.push(Finding::error(path, "at least one metric is needed"));
    }
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (i, metric) in metrics.iter().enumerate() {
        let at = path.index(i);
        if metric.name.trim().is_empty() {
            findings.push(Finding::error(at.field("name"), "a metric needs a name"));
        } else if let Some(first) = first_seen.get(metric.name.as_str()) {
            findings.push(Finding::error(
                at.field("name"),
                format!(
                    "metric name {:?} is used twice (first at {})",
                    metric.name,
                    path.index(*first)
                ),
            ));
        } else {
            first_seen.insert(&metric.name, i);
        }
        findings.extend(metric::metric_findings(metric, &at));
    }
    findings
}

/// `dryRun` entries name a metric (or a pattern).
pub fn dry_run_findings(entries: Option<&[DryRun]>, path: &FieldPath) -> Vec<Finding> {
    entries
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.metric_name.trim().is_empty())
        .map(|(i, _)| {
            Finding::error(
                path.index(i).field("metricName"),
                "metricName must name a metric or a pattern (.* for all)",
            )
        })
        .collect()
}

/// `measurementRetention` entries name a metric and keep a number of measurements.
pub fn retention_findings(entries: Option<&[MeasurementRetention]>, path: &FieldPath) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
        if entry.metric_name.trim().is_empty() {
            findings.push(Finding::error(
                path.index(i).field("metricName"),
                "metricName must name a metric or a pattern (.* for all)",
            ));
        }
        if entry.limit < 0 {
            findings.push(Finding::error(
                path.index(i).field("limit"),
                format!("limit {} must not be negative", entry.limit),
            ));
        }
    }
    findings
}
