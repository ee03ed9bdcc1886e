//! Which metrics a run's `dryRun` and `measurementRetention` entries apply to.
//!
//! Entries name metrics by regular expression (unanchored, as Go's `regexp.MatchString`), and
//! `*` stands for every metric.

use linnet_crds::analysis::AnalysisRunSpec;
use regex::Regex;

use super::BookkeepingError;

/// Measurements kept per metric when no `measurementRetention` entry names it.
pub const DEFAULT_MEASUREMENT_RETENTION: usize = 10;

/// Whether metric `name` runs in dry-run mode.
///
/// # Errors
/// [`BookkeepingError::InvalidPattern`] naming the entry that is not a regular expression.
pub fn is_dry_run(spec: &AnalysisRunSpec, name: &str) -> Result<bool, BookkeepingError> {
    for (index, entry) in spec.dry_run.iter().flatten().enumerate() {
        if matches("dryRun", index, &entry.metric_name, name)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How many measurements of metric `name` to keep: the first matching entry's limit, else
/// [`DEFAULT_MEASUREMENT_RETENTION`].
///
/// # Errors
/// [`BookkeepingError::InvalidPattern`] naming the entry that is not a regular expression.
pub fn retention_limit(spec: &AnalysisRunSpec, name: &str) -> Result<usize, BookkeepingError> {
    for (index, entry) in spec.measurement_retention.iter().flatten().enumerate() {
        if matches("measurementRetention", index, &entry.metric_name, name)? {
            return Ok(usize::try_from(entry.limit).unwrap_or(0).max(1));
        }
    }
    Ok(DEFAULT_MEASUREMENT_RETENTION)
}

fn matches(field: &'static str, index: usize, pattern: &str, name: &str) -> Result<bool, BookkeepingError> {
    if pattern == "*" || pattern == name {
        return Ok(true);
    }
    let regex = Regex::new(pattern).map_err(|error| BookkeepingError::InvalidPattern {
        field,
        index,
        pattern: pattern.to_string(),
        reason: error.to_string(),
    })?;
    Ok(regex.is_match(name))
}
