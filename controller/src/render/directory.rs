//! Plain directories of YAML and JSON manifests, read the way Argo CD reads a directory
//! Application: top level only unless `recurse`, files filtered by the `include` and `exclude`
//! globs (matched against the path relative to the Application's directory; `exclude` wins),
//! in lexical order.
//!
//! Globs use the `globset` crate: it implements `{a,b}` alternatives, `*`, `?`, `[...]` and
//! `**` the way Go's glob libraries that Argo CD uses read them, with `*` free to cross `/`.

use std::collections::HashMap;
use std::path::Path;

use globset::{Glob, GlobMatcher};
use linnet_crds::application::source::ApplicationSourceDirectory;

use crate::render::documents::{DocumentError, objects_from_json, objects_from_yaml};
use crate::render::error::{At, RenderError};
use crate::render::{Limits, Manifest};
use crate::source::Worktree;
use crate::sync::ResourceKey;

/// Extensions read as manifests.
const YAML_EXTENSIONS: [&str; 2] = ["yaml", "yml"];
const JSON_EXTENSION: &str = "json";
/// Jsonnet files, which Argo CD evaluates in directory Applications.
const JSONNET_EXTENSIONS: [&str; 2] = ["jsonnet", "libsonnet"];

/// Reads the manifests under the repository-relative directory `path`, whose real location is
/// `dir`.
pub(crate) fn render_directory(
    tree: &Worktree,
    path: &str,
    dir: &Path,
    options: Option<&ApplicationSourceDirectory>,
    limits: &Limits,
) -> Result<Vec<Manifest>, RenderError> {
    let at = At::of(tree);
    if options.is_some_and(|o| o.jsonnet.as_ref().is_some_and(|j| j != &Default::default())) {
        return Err(unsupported(&at, path, "directory.jsonnet (Jsonnet evaluation)"));
    }
    let recurse = options.and_then(|o| o.recurse).unwrap_or(false);
    let include = compile_glob(&at, path, "include", options.and_then(|o| o.include.as_deref()))?;
    let exclude = compile_glob(&at, path, "exclude", options.and_then(|o| o.exclude.as_deref()))?;

    let mut files = Vec::new();
    collect_files(tree, dir, "", recurse, &mut files)?;
    let mut manifests = Vec::new();
    let mut total: u64 = 0;
    for relative in files {
        let excluded = exclude.as_ref().is_some_and(|g| g.is_match(&relative));
        let included = include.as_ref().is_none_or(|g| g.is_match(&relative));
        let extension = relative.rsplit_once('.').map(|(_, ext)| ext).unwrap_or_default();
        if excluded || !included {
            continue;
        }
        let shown = join(path, &relative);
        if JSONNET_EXTENSIONS.contains(&extension) {
            return Err(unsupported(&at, &shown, "Jsonnet evaluation"));
        }
        let is_yaml = YAML_EXTENSIONS.contains(&extension);
        if !is_yaml && extension != JSON_EXTENSION {
            continue;
        }
        let real = tree.resolve(&shown)?;
        let bytes = tree.read_real(&shown, &real, limits.max_file_bytes)?;
        total += bytes.len() as u64;
        if total > limits.max_render_bytes {
            return Err(RenderError::OutputTooLarge {
                at,
                path: path.to_string(),
                limit: limits.max_render_bytes,
            });
        }
        let objects = if is_yaml {
            parse_yaml(&at, &shown, &bytes)?
        } else {
            parse_json(&at, &shown, &bytes)?
        };
        manifests.extend(objects.into_iter().map(|object| Manifest {
            object,
            file: shown.clone(),
        }));
    }
    check_unique(&at, &manifests)?;
    Ok(manifests)
}

/// Lists the files under `dir`, as paths relative to the Application's directory, in lexical
/// order. Symbolic links to directories are not followed, as in Argo CD.
fn collect_files(
    tree: &Worktree,
    dir: &Path,
    prefix: &str,
    recurse: bool,
    out: &mut Vec<String>,
) -> Result<(), RenderError> {
    let read_error = |source| {
        RenderError::Source(crate::source::SourceError::Read {
            repo: tree.repo().to_string(),
            revision: tree.revision_label(),
            path: tree.relative_name(dir),
            source,
        })
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let file_type = entry.file_type().map_err(read_error)?;
        if file_type.is_dir() {
            if recurse {
                collect_files(tree, &entry.path(), &relative, recurse, out)?;
            }
        } else if file_type.is_file() || (file_type.is_symlink() && !entry.path().is_dir()) {
            out.push(relative);
        }
    }
    Ok(())
}

fn compile_glob(
    at: &At,
    path: &str,
    field: &'static str,
    pattern: Option<&str>,
) -> Result<Option<GlobMatcher>, RenderError> {
    let Some(pattern) = pattern.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    Glob::new(pattern)
        .map(|g| Some(g.compile_matcher()))
        .map_err(|e| RenderError::InvalidGlob {
            at: at.clone(),
            path: path.to_string(),
            field,
            pattern: pattern.to_string(),
            message: e.kind().to_string(),
        })
}

fn parse_yaml(at: &At, file: &str, bytes: &[u8]) -> Result<Vec<serde_json::Value>, RenderError> {
    let text = std::str::from_utf8(bytes).map_err(|e| RenderError::InvalidYaml {
        at: at.clone(),
        file: file.to_string(),
        message: format!("not UTF-8: {e}"),
    })?;
    objects_from_yaml(text).map_err(|e| document_error(at, file, e, false))
}

fn parse_json(at: &At, file: &str, bytes: &[u8]) -> Result<Vec<serde_json::Value>, RenderError> {
    objects_from_json(bytes)
        .map(Option::unwrap_or_default)
        .map_err(|e| document_error(at, file, e, true))
}

pub(crate) fn document_error(at: &At, file: &str, error: DocumentError, json: bool) -> RenderError {
    match error {
        DocumentError::Syntax(message) if json => RenderError::InvalidJson {
            at: at.clone(),
            file: file.into(),
            message,
        },
        DocumentError::Syntax(message) => RenderError::InvalidYaml {
            at: at.clone(),
            file: file.into(),
            message,
        },
        DocumentError::NotAnObject { index, reason } => RenderError::NotAnObject {
            at: at.clone(),
            file: file.into(),
            document: index,
            reason,
        },
    }
}

/// Refuses two objects with one identity (group, kind, namespace, name), naming both files.
fn check_unique(at: &At, manifests: &[Manifest]) -> Result<(), RenderError> {
    let mut seen: HashMap<ResourceKey, &str> = HashMap::with_capacity(manifests.len());
    for manifest in manifests {
        let key = ResourceKey::of(&manifest.object);
        if let Some(first) = seen.insert(key.clone(), &manifest.file) {
            let namespace = if key.namespace.is_empty() {
                String::new()
            } else {
                format!("{}/", key.namespace)
            };
            let group = if key.group.is_empty() {
                String::new()
            } else {
                format!(".{}", key.group)
            };
            return Err(RenderError::DuplicateObject {
                at: at.clone(),
                object: format!("{}{group} {namespace}{}", key.kind, key.name),
                first: first.to_string(),
                second: manifest.file.clone(),
            });
        }
    }
    Ok(())
}

fn unsupported(at: &At, path: &str, what: &str) -> RenderError {
    RenderError::Unsupported {
        at: at.clone(),
        path: path.to_string(),
        what: what.to_string(),
    }
}

/// `path/relative`, or `relative` alone at the repository root.
fn join(path: &str, relative: &str) -> String {
    let path = path.trim_matches('/');
    if path.is_empty() || path == "." {
        relative.to_string()
    } else {
        format!("{path}/{relative}")
    }
}
