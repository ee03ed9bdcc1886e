//! Validation of an Application: every problem in its spec and its requested operation, each
//! with the path of the field at fault. The status is the controller's and is not checked.

use super::operation::Operation;
use super::resource::Application;
use super::spec::{ApplicationDestination, ApplicationSpec};
use super::sync_options::check_sync_options;
use super::validate_source::check_sources;
use super::validate_sync::{check_ignore_differences, check_retry, check_sync_policy};
use crate::{FieldPath, Finding, Validate};

impl Validate for Application {
    fn validate(&self) -> Vec<Finding> {
        let mut out = check_spec(&self.spec, &FieldPath::root("spec"));
        if let Some(operation) = &self.operation {
            out.extend(check_operation(operation, &FieldPath::root("operation")));
        }
        out
    }
}

/// Checks an Application spec.
pub fn check_spec(spec: &ApplicationSpec, path: &FieldPath) -> Vec<Finding> {
    let mut out = check_sources(spec, path);
    out.extend(check_destination(&spec.destination, &path.field("destination")));
    if spec.project.trim().is_empty() {
        out.push(Finding::error(
            path.field("project"),
            "must not be empty; name an AppProject (\"default\" always exists)",
        ));
    }
    if let Some(limit) = spec.revision_history_limit.filter(|l| *l < 0) {
        out.push(Finding::error(
            path.field("revisionHistoryLimit"),
            format!("{limit} is negative; it must be 0 or more (0 keeps no history)"),
        ));
    }
    if let Some(policy) = &spec.sync_policy {
        out.extend(check_sync_policy(policy, &path.field("syncPolicy")));
    }
    if let Some(entries) = &spec.ignore_differences {
        out.extend(check_ignore_differences(
            entries,
            &path.field("ignoreDifferences"),
        ));
    }
    out
}

/// A destination names its cluster one way: by API server URL or by name.
pub fn check_destination(destination: &ApplicationDestination, path: &FieldPath) -> Option<Finding> {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    match (set(&destination.server), set(&destination.name)) {
        (false, false) => Some(Finding::error(
            path,
            "needs server (the cluster's API server URL) or name (a registered cluster)",
        )),
        (true, true) => Some(Finding::error(
            path,
            "sets both server and name; name the cluster one way only",
        )),
        _ => None,
    }
}

/// Checks what a client asked for in `operation`.
fn check_operation(operation: &Operation, path: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(options) = operation.sync.as_ref().and_then(|s| s.sync_options.as_ref()) {
        out.extend(check_sync_options(
            options,
            &path.field("sync").field("syncOptions"),
        ));
    }
    if let Some(retry) = &operation.retry {
        out.extend(check_retry(retry, &path.field("retry")));
    }
    out
}
