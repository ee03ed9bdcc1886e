//! Replacing `{{args.NAME}}` (or `{{ args.NAME }}`) in every string of a metric: queries,
//! addresses, URLs, headers, bodies, and counts or limits written as strings.
//!
//! Other placeholders (`{{templates.…}}`, `{{experiment.…}}`) belong to other resolvers and
//! are left as written; an `args.` placeholder with no such argument is an error.

use std::collections::BTreeMap;

use linnet_crds::analysis::Metric;
use serde_json::Value as Json;

use super::ArgsError;

/// `text` with every `{{args.NAME}}` replaced by the value of `NAME`.
///
/// # Errors
/// [`ArgsError::UnknownPlaceholder`] naming the first argument that `values` lacks.
pub fn substitute(metric: &str, text: &str, values: &BTreeMap<String, String>) -> Result<String, ArgsError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after_open = &rest[open + 2..];
        let Some(close) = after_open.find("}}") else { break };
        out.push_str(&rest[..open]);
        let inner = after_open[..close].trim();
        match inner.strip_prefix("args.").map(str::trim) {
            Some(name) => match values.get(name) {
                Some(value) => out.push_str(value),
                None => {
                    return Err(ArgsError::UnknownPlaceholder {
                        metric: metric.to_string(),
                        name: name.to_string(),
                    });
                }
            },
            None => out.push_str(&rest[open..open + 2 + close + 2]),
        }
        rest = &after_open[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `metric` with its placeholders replaced in every string field.
///
/// # Errors
/// [`ArgsError::UnknownPlaceholder`] for an argument that `values` lacks;
/// [`ArgsError::Unrepresentable`] if the substituted metric no longer fits its schema.
pub fn substitute_metric(metric: &Metric, values: &BTreeMap<String, String>) -> Result<Metric, ArgsError> {
    let unrepresentable = |error: serde_json::Error| ArgsError::Unrepresentable {
        metric: metric.name.clone(),
        reason: error.to_string(),
    };
    let mut document = serde_json::to_value(metric).map_err(unrepresentable)?;
    walk(&metric.name, &mut document, values)?;
    serde_json::from_value(document).map_err(unrepresentable)
}

fn walk(metric: &str, node: &mut Json, values: &BTreeMap<String, String>) -> Result<(), ArgsError> {
    match node {
        Json::String(text) if text.contains("{{") => *text = substitute(metric, text, values)?,
        Json::Array(items) => items.iter_mut().try_for_each(|item| walk(metric, item, values))?,
        Json::Object(fields) => fields
            .values_mut()
            .try_for_each(|field| walk(metric, field, values))?,
        _ => {}
    }
    Ok(())
}
