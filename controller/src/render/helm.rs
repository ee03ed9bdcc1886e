//! Helm charts in Git, rendered with `helm template` as Argo CD does (never `helm install`).
//!
//! The command line is built by a pure function ([`template_args`]) from a [`HelmTemplate`]
//! whose paths were all resolved inside the repository first. Without a `helm` binary the
//! render fails with [`RenderError::HelmNotInstalled`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use linnet_crds::application::helm::ApplicationSourceHelm;

use crate::render::directory::document_error;
use crate::render::documents::objects_from_yaml;
use crate::render::error::{At, RenderError};
use crate::render::process::{self, ToolCommand, find_on_path};
use crate::render::{Manifest, RenderConfig, RenderContext, refuse_escaping_symlinks, tool_error};
use crate::source::Worktree;

/// One `--set`, `--set-string` or `--set-file` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelmValue {
    Set { name: String, value: String },
    SetString { name: String, value: String },
    SetFile { name: String, path: PathBuf },
}

/// Everything `helm template` is told, with paths already resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HelmTemplate {
    pub release: String,
    pub chart_dir: PathBuf,
    pub namespace: String,
    /// `valueFiles`, in order.
    pub value_files: Vec<PathBuf>,
    /// The temporary file holding `values`/`valuesObject`, applied after the value files.
    pub inline_values_file: Option<PathBuf>,
    pub values: Vec<HelmValue>,
    pub include_crds: bool,
    pub skip_tests: bool,
    pub skip_schema_validation: bool,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
}

/// The arguments of `helm` for `template`: value files, then inline values, then `--set`s, so
/// later sources win as they do in Argo CD.
pub fn template_args(template: &HelmTemplate) -> Vec<String> {
    let mut args = vec![
        "template".to_string(),
        template.release.clone(),
        template.chart_dir.display().to_string(),
        "--namespace".to_string(),
        template.namespace.clone(),
    ];
    if let Some(version) = &template.kube_version {
        args.extend(["--kube-version".to_string(), version.clone()]);
    }
    for api in &template.api_versions {
        args.extend(["--api-versions".to_string(), api.clone()]);
    }
    if template.include_crds {
        args.push("--include-crds".into());
    }
    if template.skip_tests {
        args.push("--skip-tests".into());
    }
    if template.skip_schema_validation {
        args.push("--skip-schema-validation".into());
    }
    for file in template.value_files.iter().chain(&template.inline_values_file) {
        args.extend(["--values".to_string(), file.display().to_string()]);
    }
    for value in &template.values {
        let (flag, pair) = match value {
            HelmValue::Set { name, value } => ("--set", format!("{name}={}", escape_commas(value))),
            HelmValue::SetString { name, value } => {
                ("--set-string", format!("{name}={}", escape_commas(value)))
            }
            HelmValue::SetFile { name, path } => ("--set-file", format!("{name}={}", path.display())),
        };
        args.extend([flag.to_string(), pair]);
    }
    args
}

/// Helm splits `--set` on commas: escape those of a plain value. A `{a,b}` value is Helm's
/// list syntax and is left alone.
fn escape_commas(value: &str) -> String {
    if value.starts_with('{') && value.ends_with('}') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if c == ',' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out
}

/// Resolves the Helm options of a source whose chart is in the repository-relative directory
/// `path`: value files and file parameters must lie inside the repository. The file of inline
/// `values` is filled in later, once written.
pub fn plan(
    tree: &Worktree,
    path: &str,
    helm: Option<&ApplicationSourceHelm>,
    ctx: &RenderContext,
) -> Result<HelmTemplate, RenderError> {
    let dir = tree.resolve(path)?;
    let default = ApplicationSourceHelm::default();
    let helm = helm.unwrap_or(&default);
    let at = At::of(tree);
    let mut value_files = Vec::new();
    for file in helm.value_files.iter().flatten() {
        match resolve_file(tree, &at, path, "valueFiles", file) {
            Ok(real) => value_files.push(real),
            Err(RenderError::Source(crate::source::SourceError::PathNotFound { .. }))
                if helm.ignore_missing_value_files == Some(true) => {}
            Err(e) => return Err(e),
        }
    }
    let mut values = Vec::new();
    for parameter in helm.parameters.iter().flatten() {
        let Some(name) = parameter.name.clone().filter(|n| !n.is_empty()) else {
            continue;
        };
        let value = parameter.value.clone().unwrap_or_default();
        values.push(if parameter.force_string == Some(true) {
            HelmValue::SetString { name, value }
        } else {
            HelmValue::Set { name, value }
        });
    }
    for parameter in helm.file_parameters.iter().flatten() {
        let Some(name) = parameter.name.clone().filter(|n| !n.is_empty()) else {
            continue;
        };
        let file = parameter.path.clone().unwrap_or_default();
        values.push(HelmValue::SetFile {
            name,
            path: resolve_file(tree, &at, path, "fileParameters", &file)?,
        });
    }
    Ok(HelmTemplate {
        release: helm
            .release_name
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| ctx.app_name.clone()),
        chart_dir: dir,
        namespace: helm
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| ctx.namespace.clone()),
        value_files,
        inline_values_file: None,
        values,
        include_crds: helm.skip_crds != Some(true),
        skip_tests: helm.skip_tests == Some(true),
        skip_schema_validation: helm.skip_schema_validation == Some(true),
        kube_version: helm.kube_version.clone().or_else(|| ctx.kube_version.clone()),
        api_versions: helm
            .api_versions
            .clone()
            .unwrap_or_else(|| ctx.api_versions.clone()),
    })
}

/// A file named relative to the chart directory, resolved inside the repository.
fn resolve_file(
    tree: &Worktree,
    at: &At,
    path: &str,
    field: &'static str,
    file: &str,
) -> Result<PathBuf, RenderError> {
    let refuse = |reason: &'static str| RenderError::HelmOption {
        at: at.clone(),
        path: path.to_string(),
        field,
        value: file.to_string(),
        reason,
    };
    if file.starts_with('$') {
        return Err(refuse(
            "references to other sources ($ref/...) need multi-source Applications, which are not supported",
        ));
    }
    if file.contains("://") {
        return Err(refuse("remote value files are not supported"));
    }
    if file.starts_with('/') {
        return Err(refuse("absolute paths leave the repository"));
    }
    let joined = if path.is_empty() {
        file.to_string()
    } else {
        format!("{path}/{file}")
    };
    Ok(tree.resolve(&joined)?)
}

/// Renders the chart in the repository-relative directory `path` (real location `dir`).
pub(crate) fn render_helm(
    tree: &Worktree,
    path: &str,
    dir: &Path,
    helm: Option<&ApplicationSourceHelm>,
    ctx: &RenderContext,
    env: &BTreeMap<String, String>,
    config: &RenderConfig,
) -> Result<Vec<Manifest>, RenderError> {
    let at = At::of(tree);
    refuse_escaping_symlinks(tree, tree.root())?;
    let mut template = plan(tree, path, helm, ctx)?;
    let program = match &config.helm {
        Some(program) => program.clone(),
        None => find_on_path("helm").ok_or_else(|| RenderError::HelmNotInstalled {
            at: at.clone(),
            path: path.to_string(),
        })?,
    };
    let scratch_error = |source| RenderError::Scratch {
        at: at.clone(),
        path: path.to_string(),
        source,
    };
    let inline = inline_values(helm);
    let _values_file = match inline {
        Some(text) => {
            std::fs::create_dir_all(&config.scratch_dir).map_err(scratch_error)?;
            let file = tempfile::Builder::new()
                .prefix("values-")
                .suffix(".yaml")
                .tempfile_in(&config.scratch_dir)
                .map_err(scratch_error)?;
            std::fs::write(file.path(), text).map_err(scratch_error)?;
            template.inline_values_file = Some(file.path().to_path_buf());
            Some(file)
        }
        None => None,
    };
    let command = ToolCommand {
        program: program.clone(),
        args: template_args(&template),
        cwd: dir.to_path_buf(),
        env: env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    let stdout = process::run(&command, config.timeout, config.limits.max_render_bytes)
        .map_err(|failure| tool_error(&at, path, "helm template", &program, failure, config))?;
    let text = String::from_utf8_lossy(&stdout);
    let shown = if path.is_empty() { "." } else { path };
    let label = format!("{shown} (helm template)");
    let objects = objects_from_yaml(&text).map_err(|e| document_error(&at, &label, e, false))?;
    Ok(objects
        .into_iter()
        .map(|object| Manifest {
            object,
            file: shown.to_string(),
        })
        .collect())
}

/// `valuesObject` (as JSON, which Helm reads as YAML) or else `values`.
fn inline_values(helm: Option<&ApplicationSourceHelm>) -> Option<String> {
    let helm = helm?;
    if let Some(object) = helm.values_object.as_ref().filter(|v| !v.is_null()) {
        return Some(object.to_string());
    }
    helm.values.clone().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_commas_outside_list_syntax() {
        assert_eq!(escape_commas("a,b"), "a\\,b");
        assert_eq!(escape_commas("a\\,b"), "a\\,b");
        assert_eq!(escape_commas("{a,b}"), "{a,b}");
    }
}
