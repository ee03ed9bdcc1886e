//! Number rules shared by every part of the spec: counts that cannot be negative, and the
//! int-or-percent values of `maxSurge` / `maxUnavailable`.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::{FieldPath, Finding};

/// An error when a count or a number of seconds is negative.
pub fn non_negative(path: &FieldPath, value: Option<i32>) -> Option<Finding> {
    let value = value?;
    (value < 0).then(|| Finding::error(path, format!("{value} is negative; it must be 0 or more")))
}

/// The value of an int-or-percent field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Count(i32),
    Percent(i32),
}

impl IntOrPercent {
    /// Reads `5` or `"25%"`. Any other string is refused, as Kubernetes refuses it.
    pub fn parse(value: &IntOrString) -> Result<IntOrPercent, String> {
        match value {
            IntOrString::Int(n) => Ok(IntOrPercent::Count(*n)),
            IntOrString::String(text) => text
                .strip_suffix('%')
                .and_then(|digits| digits.parse::<i32>().ok())
                .map(IntOrPercent::Percent)
                .ok_or_else(|| format!("{text:?} is neither an integer nor a percentage such as \"25%\"")),
        }
    }

    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPercent::Count(0) | IntOrPercent::Percent(0))
    }
}

/// Reads an optional int-or-percent field, reporting a malformed or negative value; a
/// missing field gives `default`.
pub fn int_or_percent(
    path: &FieldPath,
    value: Option<&IntOrString>,
    default: IntOrPercent,
    findings: &mut Vec<Finding>,
) -> Option<IntOrPercent> {
    let Some(value) = value else {
        return Some(default);
    };
    match IntOrPercent::parse(value) {
        Ok(IntOrPercent::Count(n) | IntOrPercent::Percent(n)) if n < 0 => {
            findings.push(Finding::error(
                path,
                format!("{} is negative; it must be 0 or more", show(value)),
            ));
            None
        }
        Ok(parsed) => Some(parsed),
        Err(message) => {
            findings.push(Finding::error(path, message));
            None
        }
    }
}

fn show(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(text) => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_or_percent_reads_counts_and_percentages_only() {
        let cases = [
            (IntOrString::Int(3), Ok(IntOrPercent::Count(3))),
            (IntOrString::String("25%".into()), Ok(IntOrPercent::Percent(25))),
            (IntOrString::String("0%".into()), Ok(IntOrPercent::Percent(0))),
        ];
        for (value, expected) in cases {
            assert_eq!(IntOrPercent::parse(&value), expected, "{value:?}");
        }
        for bad in ["5", "25 %", "%", "ten%"] {
            let err = IntOrPercent::parse(&IntOrString::String(bad.into())).unwrap_err();
            assert!(
                err.contains("neither an integer nor a percentage"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn zero_counts_and_zero_percent_are_zero() {
        assert!(IntOrPercent::Count(0).is_zero());
        assert!(IntOrPercent::Percent(0).is_zero());
        assert!(!IntOrPercent::Count(1).is_zero());
        assert!(!IntOrPercent::Percent(10).is_zero());
    }

    #[test]
    fn negative_values_are_reported_at_their_path() {
        let path = FieldPath::root("spec").field("replicas");
        let finding = non_negative(&path, Some(-2)).unwrap();
        assert_eq!(
            finding.to_string(),
            "spec.replicas: error: -2 is negative; it must be 0 or more"
        );
        assert_eq!(non_negative(&path, Some(0)), None);
        assert_eq!(non_negative(&path, None), None);

        let mut findings = Vec::new();
        let surge = IntOrString::String("-10%".into());
        assert_eq!(
            int_or_percent(&path, Some(&surge), IntOrPercent::Count(1), &mut findings),
            None
        );
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.starts_with("\"-10%\" is negative"),
            "{findings:?}"
        );
        let default = int_or_percent(&path, None, IntOrPercent::Percent(25), &mut findings);
        assert_eq!(default, Some(IntOrPercent::Percent(25)));
    }
}
