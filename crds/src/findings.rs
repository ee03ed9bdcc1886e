//! Validation findings: what is wrong with a manifest, and where.
//!
//! Every check in this crate reports a [`Finding`] with the JSON path of the offending field
//! (`spec.strategy.canary.steps[2].setWeight`), so a user can find it without guessing.

use std::fmt;

/// How bad a finding is: errors stop the controller from acting, warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Dotted field path from the document root, e.g. `spec.strategy.canary.steps[2].setWeight`.
    pub path: String,
    pub message: String,
}

impl Finding {
    pub fn error(path: impl fmt::Display, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            path: path.to_string(),
            message: message.into(),
        }
    }

    pub fn warning(path: impl fmt::Display, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            path: path.to_string(),
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.path.is_empty() {
            write!(f, "{level}: {}", self.message)
        } else {
            write!(f, "{}: {level}: {}", self.path, self.message)
        }
    }
}

/// A field path under construction: `FieldPath::root("spec").field("steps").index(2)`
/// displays as `spec.steps[2]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn root(name: &str) -> Self {
        FieldPath(name.to_string())
    }

    pub fn field(&self, name: &str) -> Self {
        if self.0.is_empty() {
            FieldPath(name.to_string())
        } else {
            FieldPath(format!("{}.{name}", self.0))
        }
    }

    pub fn index(&self, i: usize) -> Self {
        FieldPath(format!("{}[{i}]", self.0))
    }

    /// A map key, e.g. a label: `metadata.labels[app]`.
    pub fn key(&self, key: &str) -> Self {
        FieldPath(format!("{}[{key}]", self.0))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Implemented by every kind this crate defines: all problems at once, never just the first.
pub trait Validate {
    fn validate(&self) -> Vec<Finding>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_json_paths() {
        let p = FieldPath::root("spec").field("steps").index(2).field("setWeight");
        assert_eq!(p.to_string(), "spec.steps[2].setWeight");
        assert_eq!(FieldPath::root("").field("spec").to_string(), "spec");
        assert_eq!(
            FieldPath::root("metadata").field("labels").key("app").to_string(),
            "metadata.labels[app]"
        );
    }

    #[test]
    fn findings_display_path_level_message() {
        let f = Finding::error("spec.replicas", "must not be negative");
        assert_eq!(f.to_string(), "spec.replicas: error: must not be negative");
        assert!(f.is_error());
        assert!(!Finding::warning("a", "b").is_error());
    }
}
