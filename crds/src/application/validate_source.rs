//! Checks of an Application's sources: one of `source` and `sources`, each naming a
//! repository, rendering with at most one tool, staying inside its repository, and Helm
//! value files that refer to sources that exist.

use super::source::ApplicationSource;
use super::spec::ApplicationSpec;
use crate::{FieldPath, Finding};

/// Checks `spec.source` / `spec.sources` and every source in them.
pub fn check_sources(spec: &ApplicationSpec, spec_path: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    match (&spec.source, &spec.sources) {
        (Some(_), Some(_)) => out.push(Finding::error(
            spec_path.field("sources"),
            "spec.source and spec.sources are both set; use one of them (with both, source is ignored)",
        )),
        (None, None) if spec.source_hydrator.is_none() => out.push(Finding::error(
            spec_path.field("source"),
            "an Application needs spec.source, spec.sources or spec.sourceHydrator",
        )),
        (None, Some(list)) if list.is_empty() => out.push(Finding::error(
            spec_path.field("sources"),
            "is empty; list at least one source",
        )),
        _ => {}
    }
    if let Some(source) = &spec.source {
        out.extend(check_source(source, &spec_path.field("source")));
    }
    if let Some(sources) = &spec.sources {
        let path = spec_path.field("sources");
        for (i, source) in sources.iter().enumerate() {
            out.extend(check_source(source, &path.index(i)));
        }
        out.extend(check_value_file_refs(sources, &path));
    }
    out
}

/// Checks one source on its own.
pub fn check_source(source: &ApplicationSource, path: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    if source.repo_url.trim().is_empty() {
        out.push(Finding::error(
            path.field("repoURL"),
            "must not be empty: it names the repository that holds the manifests",
        ));
    }
    let tools = source.tools_set();
    if tools.len() > 1 {
        out.push(Finding::error(
            path,
            format!(
                "sets {}; a source renders with one tool only",
                tools.join(" and ")
            ),
        ));
    }
    if let Some(chart) = source.chart.as_deref().filter(|c| !c.is_empty())
        && source
            .target_revision
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        out.push(Finding::error(
            path.field("targetRevision"),
            format!("a Helm chart source (chart {chart:?}) needs targetRevision, the chart version"),
        ));
    }
    if let Some(dir) = &source.path {
        out.extend(check_repo_path(dir, &path.field("path")));
    }
    out
}

/// A source path must name a directory inside the repository.
pub fn check_repo_path(dir: &str, path: &FieldPath) -> Option<Finding> {
    if dir.starts_with('/') {
        return Some(Finding::error(
            path,
            format!("{dir:?} is absolute; give a directory relative to the repository root"),
        ));
    }
    if dir.split(['/', '\\']).any(|segment| segment == "..") {
        return Some(Finding::error(
            path,
            format!(
                "{dir:?} has a '..' segment, which leads out of the repository; give a directory inside it"
            ),
        ));
    }
    None
}

/// Helm value files written `$<ref>/path` must name the `ref` of one of the sources.
fn check_value_file_refs(sources: &[ApplicationSource], path: &FieldPath) -> Vec<Finding> {
    let refs: Vec<&str> = sources.iter().filter_map(|s| s.ref_name.as_deref()).collect();
    let mut out = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let files = source.helm.as_ref().and_then(|h| h.value_files.as_ref());
        for (j, file) in files.into_iter().flatten().enumerate() {
            let Some(rest) = file.strip_prefix('$') else {
                continue;
            };
            let name = rest.split('/').next().unwrap_or_default();
            if !refs.contains(&name) {
                out.push(Finding::error(
                    path.index(i).field("helm").field("valueFiles").index(j),
                    format!("{file:?} refers to ${name}, but no source in spec.sources has ref: {name}"),
                ));
            }
        }
    }
    out
}
