//! Checks of how an Application syncs: sync options, retry backoff, and the ignored
//! differences that decide whether it is in sync at all.

use std::time::Duration;

use super::spec::ResourceIgnoreDifferences;
use super::sync_options::check_sync_options;
use super::sync_policy::{RetryStrategy, SyncPolicy};
use crate::common::parse_go_duration;
use crate::{FieldPath, Finding};

/// Checks `spec.syncPolicy`.
pub fn check_sync_policy(policy: &SyncPolicy, path: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(options) = &policy.sync_options {
        out.extend(check_sync_options(options, &path.field("syncOptions")));
    }
    if let Some(retry) = &policy.retry {
        out.extend(check_retry(retry, &path.field("retry")));
    }
    out
}

/// Checks a retry strategy: its durations must parse and its factor must not shrink waits.
pub fn check_retry(retry: &RetryStrategy, path: &FieldPath) -> Vec<Finding> {
    let Some(backoff) = &retry.backoff else {
        return Vec::new();
    };
    let path = path.field("backoff");
    let mut out = Vec::new();
    let mut read = |field: &str, text: &Option<String>| {
        let text = text.as_deref()?;
        parse_backoff_duration(text)
            .map_err(|message| out.push(Finding::error(path.field(field), message)))
            .ok()
    };
    let duration = read("duration", &backoff.duration);
    let max_duration = read("maxDuration", &backoff.max_duration);
    if let Some(factor) = backoff.factor.filter(|f| *f < 1) {
        out.push(Finding::error(
            path.field("factor"),
            format!("{factor} is below 1; the wait must not shrink after each failed retry"),
        ));
    }
    if let (Some(first), Some(max)) = (duration, max_duration)
        && !max.is_zero()
        && first > max
    {
        out.push(Finding::warning(
            path.field("duration"),
            format!("{first:?} is longer than maxDuration {max:?}; every wait will be {max:?}"),
        ));
    }
    out
}

/// A backoff duration as Argo CD reads it: whole seconds (`"30"`) or a Go duration (`"30s"`).
pub fn parse_backoff_duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.trim().parse::<i64>() {
        return u64::try_from(seconds)
            .map(Duration::from_secs)
            .map_err(|_| format!("{text:?} is negative; a wait cannot be"));
    }
    parse_go_duration(text)
        .map_err(|_| format!("{text:?} is not a duration (use seconds, or a number with a unit: 5s, 2m, 1h)"))
}

/// Checks `spec.ignoreDifferences`: each entry needs a kind, and its JSON pointers must be
/// pointers.
pub fn check_ignore_differences(entries: &[ResourceIgnoreDifferences], path: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = path.index(i);
        if entry.kind.trim().is_empty() {
            out.push(Finding::error(
                path.field("kind"),
                "must not be empty; name a kind, or * for every kind",
            ));
        }
        for (j, pointer) in entry.json_pointers.iter().flatten().enumerate() {
            if !pointer.starts_with('/') {
                out.push(Finding::error(
                    path.field("jsonPointers").index(j),
                    format!("{pointer:?} is not a JSON pointer: it must start with / (e.g. /spec/replicas)"),
                ));
            }
        }
        let ignores_something = [
            &entry.json_pointers,
            &entry.jq_path_expressions,
            &entry.managed_fields_managers,
        ]
        .iter()
        .any(|list| list.as_ref().is_some_and(|l| !l.is_empty()));
        if !ignores_something {
            out.push(Finding::warning(
                path,
                "ignores nothing: set jsonPointers, jqPathExpressions or managedFieldsManagers",
            ));
        }
    }
    out
}
