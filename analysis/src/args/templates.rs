//! Flattening AnalysisTemplates and ClusterAnalysisTemplates, which may include each other
//! through `templates[]`, into one spec: metrics, args, dry-run and retention entries merged,
//! each template taken once, cycles refused.

use std::collections::BTreeSet;

use linnet_crds::analysis::{AnalysisTemplateRef, AnalysisTemplateSpec, Argument};

use super::ArgsError;

/// How a template reference is looked up: namespace or cluster scope, and name.
pub fn describe(reference: &AnalysisTemplateRef) -> String {
    let kind = if reference.cluster_scope == Some(true) {
        "ClusterAnalysisTemplate"
    } else {
        "AnalysisTemplate"
    };
    format!("{kind}/{}", reference.template_name)
}

/// Merges the templates `roots` name (and those they include, depth first) into one spec.
/// `lookup` finds a template by reference.
///
/// # Errors
/// [`ArgsError::TemplateNotFound`], [`ArgsError::TemplateCycle`] (the chain that loops),
/// [`ArgsError::DuplicateMetric`] when two templates define a metric of the same name, and
/// [`ArgsError::ConflictingArg`] when two templates give one argument different values.
pub fn flatten_templates<'t>(
    roots: &[AnalysisTemplateRef],
    lookup: impl Fn(&AnalysisTemplateRef) -> Option<&'t AnalysisTemplateSpec>,
) -> Result<AnalysisTemplateSpec, ArgsError> {
    let mut merged = AnalysisTemplateSpec::default();
    let mut visited = BTreeSet::new();
    for root in roots {
        visit(root, &lookup, &mut Vec::new(), &mut visited, &mut merged)?;
    }
    Ok(merged)
}

fn visit<'t>(
    reference: &AnalysisTemplateRef,
    lookup: &impl Fn(&AnalysisTemplateRef) -> Option<&'t AnalysisTemplateSpec>,
    chain: &mut Vec<String>,
    visited: &mut BTreeSet<String>,
    merged: &mut AnalysisTemplateSpec,
) -> Result<(), ArgsError> {
    let name = describe(reference);
    if chain.contains(&name) {
        chain.push(name);
        return Err(ArgsError::TemplateCycle {
            chain: chain.join(" -> "),
        });
    }
    // A template reached twice by different paths (a diamond) is merged once.
    if !visited.insert(name.clone()) {
        return Ok(());
    }
    let spec = lookup(reference).ok_or_else(|| ArgsError::TemplateNotFound {
        template: name.clone(),
    })?;
    chain.push(name.clone());
    for included in spec.templates.iter().flatten() {
        visit(included, lookup, chain, visited, merged)?;
    }
    chain.pop();
    merge_into(merged, spec, &name)
}

fn merge_into(
    merged: &mut AnalysisTemplateSpec,
    spec: &AnalysisTemplateSpec,
    template: &str,
) -> Result<(), ArgsError> {
    let metrics = merged.metrics.get_or_insert_with(Vec::new);
    for metric in spec.metrics.iter().flatten() {
        if metrics.iter().any(|existing| existing.name == metric.name) {
            return Err(ArgsError::DuplicateMetric {
                metric: metric.name.clone(),
                template: template.to_string(),
            });
        }
        metrics.push(metric.clone());
    }
    let args = merged.args.get_or_insert_with(Vec::new);
    for arg in spec.args.iter().flatten() {
        merge_arg(args, arg, template)?;
    }
    for entry in spec.dry_run.iter().flatten() {
        let dry_run = merged.dry_run.get_or_insert_with(Vec::new);
        if !dry_run.contains(entry) {
            dry_run.push(entry.clone());
        }
    }
    for entry in spec.measurement_retention.iter().flatten() {
        let retention = merged.measurement_retention.get_or_insert_with(Vec::new);
        if !retention.contains(entry) {
            retention.push(entry.clone());
        }
    }
    Ok(())
}

/// Two templates may declare the same argument; a value fills a declaration without one, but
/// two different values are a conflict.
fn merge_arg(args: &mut Vec<Argument>, arg: &Argument, template: &str) -> Result<(), ArgsError> {
    let Some(existing) = args.iter_mut().find(|existing| existing.name == arg.name) else {
        args.push(arg.clone());
        return Ok(());
    };
    let has_value = |a: &Argument| a.value.is_some() || a.value_from.is_some();
    match (has_value(existing), has_value(arg)) {
        (_, false) => Ok(()),
        (false, true) => {
            *existing = arg.clone();
            Ok(())
        }
        (true, true) if existing == arg => Ok(()),
        (true, true) => Err(ArgsError::ConflictingArg {
            name: arg.name.clone(),
            template: template.to_string(),
        }),
    }
}
