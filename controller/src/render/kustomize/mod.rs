//! Kustomize sources, built with `kubectl kustomize` (kubectl embeds kustomize, so no separate
//! binary is needed). When the Application sets kustomize options, they are written into the
//! kustomization of a scratch copy of the tree first, as Argo CD does with `kustomize edit`.

mod edit;
mod image;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use linnet_crds::application::kustomize::ApplicationSourceKustomize;
use serde_json::{Map, Value};

use crate::render::directory::document_error;
use crate::render::documents::{objects_from_yaml, yaml_options};
use crate::render::error::{At, RenderError};
use crate::render::process::{self, ToolCommand};
use crate::render::{Manifest, RenderConfig, refuse_escaping_symlinks, scratch, tool_error};
use crate::source::Worktree;

/// The file names kustomize looks for, in its order.
pub const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The kustomization file in `dir`, if any.
pub(crate) fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// Builds the kustomization in the repository-relative directory `path` (real location `dir`).
pub(crate) fn render_kustomize(
    tree: &Worktree,
    path: &str,
    dir: &Path,
    options: Option<&ApplicationSourceKustomize>,
    env: &BTreeMap<String, String>,
    config: &RenderConfig,
) -> Result<Vec<Manifest>, RenderError> {
    let at = At::of(tree);
    // kustomize reads bases anywhere in the repository: no link may lead out of it.
    refuse_escaping_symlinks(tree, tree.root())?;
    let scratch_error = |source| RenderError::Scratch {
        at: at.clone(),
        path: path.to_string(),
        source,
    };

    let edits = options.filter(|o| **o != ApplicationSourceKustomize::default());
    let mut _scratch = None;
    let build_dir = match edits {
        None => dir.to_path_buf(),
        Some(options) => {
            let copy = scratch::copy_tree(tree.root(), &config.scratch_dir).map_err(scratch_error)?;
            let relative = dir.strip_prefix(tree.root()).unwrap_or(Path::new(""));
            let build_dir = copy.path().join(relative);
            _scratch = Some(copy);
            edit_kustomization(&at, path, &build_dir, options, env, config)?;
            build_dir
        }
    };

    let command = ToolCommand {
        program: config.kubectl.clone(),
        args: vec!["kustomize".into(), build_dir.display().to_string()],
        cwd: build_dir.clone(),
        env: env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    let stdout = process::run(&command, config.timeout, config.limits.max_render_bytes)
        .map_err(|failure| tool_error(&at, path, "kubectl kustomize", &config.kubectl, failure, config))?;
    let text = String::from_utf8_lossy(&stdout);
    let shown = if path.is_empty() { "." } else { path };
    let label = format!("{shown} (kustomize build)");
    let objects = objects_from_yaml(&text).map_err(|e| document_error(&at, &label, e, false))?;
    Ok(objects
        .into_iter()
        .map(|object| Manifest {
            object,
            file: shown.to_string(),
        })
        .collect())
}

/// Rewrites the kustomization in `build_dir` (a scratch copy) with `options` applied.
fn edit_kustomization(
    at: &At,
    path: &str,
    build_dir: &Path,
    options: &ApplicationSourceKustomize,
    env: &BTreeMap<String, String>,
    config: &RenderConfig,
) -> Result<(), RenderError> {
    let file = kustomization_file(build_dir).ok_or_else(|| RenderError::KustomizeOption {
        at: at.clone(),
        path: path.to_string(),
        field: "*".into(),
        message: "no kustomization.yaml, kustomization.yml or Kustomization to apply the options to".into(),
    })?;
    let name = file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let shown = if path.is_empty() {
        name.into_owned()
    } else {
        format!("{path}/{name}")
    };
    let text = std::fs::read(&file).map_err(|source| RenderError::Scratch {
        at: at.clone(),
        path: shown.clone(),
        source,
    })?;
    if text.len() as u64 > config.limits.max_file_bytes {
        return Err(RenderError::OutputTooLarge {
            at: at.clone(),
            path: shown,
            limit: config.limits.max_file_bytes,
        });
    }
    let text = String::from_utf8_lossy(&text);
    let parsed: Value =
        serde_saphyr::from_str_with_options(&text, yaml_options()).map_err(|e| RenderError::InvalidYaml {
            at: at.clone(),
            file: shown.clone(),
            message: e.to_string(),
        })?;
    let mut kustomization = match parsed {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(RenderError::InvalidYaml {
                at: at.clone(),
                file: shown,
                message: "expected a mapping".into(),
            });
        }
    };
    edit::apply_options(&mut kustomization, options, build_dir, env).map_err(|e| {
        RenderError::KustomizeOption {
            at: at.clone(),
            path: path.to_string(),
            field: e.field,
            message: e.message,
        }
    })?;
    // JSON is YAML: kustomize reads the rewritten file as it is.
    let rewritten = serde_json::to_vec_pretty(&Value::Object(kustomization)).unwrap_or_default();
    scratch::replace_file(&file, &rewritten).map_err(|source| RenderError::Scratch {
        at: at.clone(),
        path: shown,
        source,
    })
}
