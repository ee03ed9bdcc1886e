//! The sync options Argo CD understands (`CreateNamespace=true`, `PruneLast=true`, ...) and
//! the check of a list of them. Argo CD compares whole `Key=Value` strings, so a misspelled
//! key or an unexpected value is silently ignored there; here it is reported.

use crate::{FieldPath, Finding};

/// Each known option key with the values Argo CD acts on.
pub const KNOWN_SYNC_OPTIONS: &[(&str, &[&str])] = &[
    ("Validate", &["true", "false"]),
    ("CreateNamespace", &["true", "false"]),
    ("PrunePropagationPolicy", &["foreground", "background", "orphan"]),
    ("PruneLast", &["true", "false"]),
    ("ApplyOutOfSyncOnly", &["true", "false"]),
    ("ServerSideApply", &["true", "false"]),
    ("ClientSideApplyMigration", &["true", "false"]),
    ("Replace", &["true", "false"]),
    ("Force", &["true", "false"]),
    ("RespectIgnoreDifferences", &["true", "false"]),
    ("FailOnSharedResource", &["true", "false"]),
    ("SkipDryRunOnMissingResource", &["true", "false"]),
    ("Prune", &["true", "false", "confirm"]),
    ("Delete", &["true", "false", "confirm"]),
];

/// Checks every entry of a `syncOptions` list found at `path`.
pub fn check_sync_options(options: &[String], path: &FieldPath) -> Vec<Finding> {
    options
        .iter()
        .enumerate()
        .filter_map(|(i, option)| check_sync_option(option, &path.index(i)))
        .collect()
}

/// The problem with one `Key=Value` entry, if any.
fn check_sync_option(option: &str, path: &FieldPath) -> Option<Finding> {
    let Some((key, value)) = option
        .split_once('=')
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
    else {
        return Some(Finding::error(
            path,
            format!("{option:?} is not of the form Key=Value (e.g. CreateNamespace=true)"),
        ));
    };
    let Some((_, allowed)) = KNOWN_SYNC_OPTIONS.iter().find(|(known, _)| *known == key) else {
        return Some(Finding::warning(
            path,
            format!(
                "unknown sync option {key:?}; did you mean {:?}?",
                nearest_option(key)
            ),
        ));
    };
    if allowed.contains(&value) {
        return None;
    }
    Some(Finding::warning(
        path,
        format!(
            "{option:?}: {key} takes {}; any other value is ignored",
            allowed.join(" or ")
        ),
    ))
}

/// The known option whose name is closest to `key`, ignoring case.
fn nearest_option(key: &str) -> &'static str {
    let key = key.to_ascii_lowercase();
    KNOWN_SYNC_OPTIONS
        .iter()
        .map(|(known, _)| (*known, strsim::jaro_winkler(&key, &known.to_ascii_lowercase())))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(known, _)| known)
        .unwrap_or("CreateNamespace")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn check(options: &[&str]) -> Vec<Finding> {
        let options: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        check_sync_options(
            &options,
            &FieldPath::root("spec").field("syncPolicy").field("syncOptions"),
        )
    }

    #[test]
    fn known_options_pass() {
        let findings = check(&[
            "CreateNamespace=true",
            "ServerSideApply=true",
            "PrunePropagationPolicy=background",
            "PruneLast=true",
            "Validate=false",
            "Prune=confirm",
        ]);
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn an_entry_without_equals_sign_is_an_error() {
        for bad in ["CreateNamespace", "=true", "PruneLast="] {
            let findings = check(&[bad]);
            assert_eq!(findings.len(), 1, "{bad}");
            assert_eq!(findings[0].severity, Severity::Error);
            assert_eq!(findings[0].path, "spec.syncPolicy.syncOptions[0]");
            assert!(
                findings[0].message.contains("Key=Value"),
                "{}",
                findings[0].message
            );
        }
    }

    #[test]
    fn an_unknown_key_is_a_warning_naming_the_nearest_option() {
        let cases = [
            ("CreateNamepsace=true", "CreateNamespace"),
            ("createNamespace=true", "CreateNamespace"),
            ("ServerSideAply=true", "ServerSideApply"),
            ("PruneLastt=true", "PruneLast"),
            ("RespectIgnoreDiff=true", "RespectIgnoreDifferences"),
        ];
        for (option, nearest) in cases {
            let findings = check(&["Validate=false", option]);
            assert_eq!(findings.len(), 1, "{option}");
            assert_eq!(findings[0].severity, Severity::Warning);
            assert_eq!(findings[0].path, "spec.syncPolicy.syncOptions[1]");
            assert!(
                findings[0].message.contains(&format!("did you mean {nearest:?}")),
                "{option}: {}",
                findings[0].message
            );
        }
    }

    #[test]
    fn a_value_argo_cd_ignores_is_a_warning() {
        let findings = check(&["CreateNamespace=yes", "PrunePropagationPolicy=Foreground"]);
        assert_eq!(findings.len(), 2);
        assert!(findings.iter().all(|f| f.severity == Severity::Warning));
        assert!(
            findings[0].message.contains("true or false"),
            "{}",
            findings[0].message
        );
        assert!(findings[1].message.contains("foreground or background or orphan"));
    }
}
