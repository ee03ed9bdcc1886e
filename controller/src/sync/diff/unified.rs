//! The diff a person reads: both sides rendered as YAML, compared line by line, printed as a
//! unified diff from the live object (`---`) to the desired one (`+++`), i.e. what a sync would
//! change.

use serde_json::Value;
use similar::TextDiff;

/// Lines of context around each change.
const CONTEXT_LINES: usize = 3;

/// YAML text of an object; an absent object is the empty text.
pub(crate) fn to_yaml(obj: Option<&Value>) -> String {
    let Some(obj) = obj else {
        return String::new();
    };
    // Rendering JSON values as YAML cannot fail in practice; JSON text is valid YAML anyway.
    serde_saphyr::to_string(obj).unwrap_or_else(|_| serde_json::to_string_pretty(obj).unwrap_or_default())
}

/// The unified diff from `live` to `desired`; empty when the texts are equal.
pub(crate) fn unified_diff(live: &str, desired: &str) -> String {
    TextDiff::from_lines(live, desired)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header("live", "desired")
        .to_string()
}
