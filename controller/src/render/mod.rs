//! Rendering an Application source into manifests: a plain directory of YAML/JSON, a
//! kustomization built by `kubectl kustomize`, or a Helm chart rendered by `helm template`,
//! the tool chosen as Argo CD chooses it ([`tool::detect`]).
//!
//! The Application reconciler holds one [`Renderer`] and calls [`Renderer::render`] with the
//! [`Worktree`](crate::source::Worktree) of the resolved commit, on a blocking thread. Renders
//! of a commit are cached in memory ([`cache`]); a plain directory that is not a checkout is
//! rendered afresh every time.

pub mod cache;
mod directory;
mod documents;
mod error;
pub mod helm;
mod kustomize;
mod process;
mod scratch;
pub mod tool;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use linnet_crds::application::ApplicationSource;
use serde_json::Value;

use crate::source::{SourceError, Worktree, paths};
pub use cache::{CacheStats, RenderCache, RenderKey};
pub use error::{At, RenderError};
pub use kustomize::KUSTOMIZATION_FILES;
pub use process::ToolCommand;
pub use tool::Tool;

/// One rendered object and the file (or, for a tool's output, the directory) it came from,
/// relative to the repository root.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub object: Value,
    pub file: String,
}

impl Manifest {
    /// Roughly the memory the manifest holds: its JSON size.
    pub fn approximate_bytes(&self) -> usize {
        serde_json::to_string(&self.object).map_or(0, |s| s.len()) + self.file.len()
    }
}

/// What the render needs to know about the Application.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RenderContext {
    /// The Application's name: Helm's release name unless `helm.releaseName` is set.
    pub app_name: String,
    /// The destination namespace: Helm's `--namespace` unless `helm.namespace` is set.
    pub namespace: String,
    /// The target cluster's version (`1.32.0`), for Helm's `--kube-version`.
    pub kube_version: Option<String>,
    /// The target cluster's API versions, for Helm's `--api-versions`.
    pub api_versions: Vec<String>,
}

/// Size limits on what a render reads and produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest manifest file read from a directory.
    pub max_file_bytes: u64,
    /// Largest total of one render: the files of a directory or the output of a tool.
    pub max_render_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 8 * 1024 * 1024,
            max_render_bytes: 64 * 1024 * 1024,
        }
    }
}

/// How rendering tools are run.
#[derive(Clone, Debug)]
pub struct RenderConfig {
    /// The kubectl binary whose `kustomize` subcommand builds kustomizations.
    pub kubectl: PathBuf,
    /// The helm binary; `None` looks for `helm` on the PATH at each render.
    pub helm: Option<PathBuf>,
    /// Deadline of one tool run (Argo CD's `ARGOCD_EXEC_TIMEOUT`, 90 s by default).
    pub timeout: Duration,
    pub limits: Limits,
    /// Where scratch copies and value files go; best on the cache's filesystem, so scratch
    /// copies can be hard links.
    pub scratch_dir: PathBuf,
    /// Bound of the render cache, in bytes of manifests.
    pub cache_bytes: usize,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            kubectl: PathBuf::from("kubectl"),
            helm: None,
            timeout: Duration::from_secs(90),
            limits: Limits::default(),
            scratch_dir: std::env::temp_dir().join("linnet-render"),
            cache_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Renders sources and caches the results of commits.
pub struct Renderer {
    config: RenderConfig,
    cache: Mutex<RenderCache>,
}

impl Renderer {
    pub fn new(config: RenderConfig) -> Renderer {
        let cache = Mutex::new(RenderCache::new(config.cache_bytes));
        Renderer { config, cache }
    }

    pub fn config(&self) -> &RenderConfig {
        &self.config
    }

    /// The manifests of `source` in `tree`, from the cache when this commit, path and options
    /// were rendered before.
    pub fn render(
        &self,
        tree: &Worktree,
        source: &ApplicationSource,
        ctx: &RenderContext,
    ) -> Result<Arc<Vec<Manifest>>, RenderError> {
        let key = cache_key(tree, source, ctx);
        if let Some(hit) = key.as_ref().and_then(|key| self.lock_cache().get(key)) {
            return Ok(hit);
        }
        let manifests = Arc::new(render(tree, source, ctx, &self.config)?);
        if let Some(key) = key {
            self.lock_cache().insert(key, Arc::clone(&manifests));
        }
        Ok(manifests)
    }

    /// The manifests of `source` in `tree` rendered afresh, as a hard refresh asks: the cache is
    /// not read, and what it held for this commit, path and options is replaced. A render of the
    /// same commit can differ when a tool reads what the commit does not pin (a remote base, a
    /// chart repository, a tool upgrade).
    pub fn render_fresh(
        &self,
        tree: &Worktree,
        source: &ApplicationSource,
        ctx: &RenderContext,
    ) -> Result<Arc<Vec<Manifest>>, RenderError> {
        let manifests = Arc::new(render(tree, source, ctx, &self.config)?);
        if let Some(key) = cache_key(tree, source, ctx) {
            self.lock_cache().refresh(key, Arc::clone(&manifests));
        }
        Ok(manifests)
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.lock_cache().stats()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, RenderCache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Renders `source` (its `path`, tool and options) from `tree`, without caching.
pub fn render(
    tree: &Worktree,
    source: &ApplicationSource,
    ctx: &RenderContext,
    config: &RenderConfig,
) -> Result<Vec<Manifest>, RenderError> {
    let at = At::of(tree);
    let raw_path = source.path.as_deref().unwrap_or(".");
    let path = paths::normalize_relative(raw_path)
        .map_err(|reason| SourceError::PathEscapes {
            repo: at.repo.to_string(),
            revision: at.revision.to_string(),
            path: raw_path.to_string(),
            reason,
        })?
        .display()
        .to_string();
    let dir = tree.resolve(&path)?;
    let tool = tool::detect(source, &dir).map_err(|several| RenderError::SeveralTools {
        at: at.clone(),
        path: path.clone(),
        tools: several.0.join(", "),
    })?;
    let env = build_env(tree, source, ctx, &path);
    match tool {
        Tool::Directory => {
            directory::render_directory(tree, &path, &dir, source.directory.as_ref(), &config.limits)
        }
        Tool::Kustomize => {
            kustomize::render_kustomize(tree, &path, &dir, source.kustomize.as_ref(), &env, config)
        }
        Tool::Helm => helm::render_helm(tree, &path, &dir, source.helm.as_ref(), ctx, &env, config),
        Tool::Plugin => Err(RenderError::Unsupported {
            at,
            path,
            what: "config management plugins (source.plugin)".into(),
        }),
    }
}

/// The cache key of a render, or `None` for a tree that is not a commit.
fn cache_key(tree: &Worktree, source: &ApplicationSource, ctx: &RenderContext) -> Option<RenderKey> {
    let commit = tree.commit()?;
    let options = serde_json::json!({
        "directory": source.directory,
        "kustomize": source.kustomize,
        "helm": source.helm,
        "plugin": source.plugin,
        "context": ctx,
        // Part of the build environment that kustomize's envsubst can read.
        "targetRevision": source.target_revision,
    });
    Some(RenderKey {
        repo: tree.repo().to_string(),
        commit: commit.to_string(),
        path: source.path.clone().unwrap_or_default(),
        options: options.to_string(),
    })
}

/// The environment Argo CD gives its rendering tools.
fn build_env(
    tree: &Worktree,
    source: &ApplicationSource,
    ctx: &RenderContext,
    path: &str,
) -> BTreeMap<String, String> {
    let revision = tree.revision_label();
    let short = |n: usize| revision.chars().take(n).collect::<String>();
    [
        ("ARGOCD_APP_NAME", ctx.app_name.clone()),
        ("ARGOCD_APP_NAMESPACE", ctx.namespace.clone()),
        ("ARGOCD_APP_REVISION", revision.clone()),
        ("ARGOCD_APP_REVISION_SHORT", short(7)),
        ("ARGOCD_APP_REVISION_SHORT_8", short(8)),
        ("ARGOCD_APP_SOURCE_PATH", path.to_string()),
        ("ARGOCD_APP_SOURCE_REPO_URL", tree.repo().to_string()),
        (
            "ARGOCD_APP_SOURCE_TARGET_REVISION",
            source.target_revision.clone().unwrap_or_default(),
        ),
        ("KUBE_VERSION", ctx.kube_version.clone().unwrap_or_default()),
        ("KUBE_API_VERSIONS", ctx.api_versions.join(",")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Refuses a tree in which a symbolic link under `dir` points outside the repository: tools
/// follow links on their own.
pub(crate) fn refuse_escaping_symlinks(tree: &Worktree, dir: &Path) -> Result<(), RenderError> {
    let escaping = tree.escaping_symlinks(dir)?;
    match escaping.into_iter().next() {
        None => Ok(()),
        Some(link) => Err(RenderError::Source(SourceError::PathEscapes {
            repo: tree.repo().to_string(),
            revision: tree.revision_label(),
            path: link.clone(),
            reason: crate::source::PathEscape::Symlink { link },
        })),
    }
}

/// The error for a tool run that failed.
pub(crate) fn tool_error(
    at: &At,
    path: &str,
    tool: &'static str,
    program: &Path,
    failure: process::ToolFailure,
    config: &RenderConfig,
) -> RenderError {
    let (at, path) = (at.clone(), path.to_string());
    match failure {
        process::ToolFailure::Spawn(source) => RenderError::ToolNotRunnable {
            at,
            path,
            tool,
            program: program.to_path_buf(),
            source,
        },
        process::ToolFailure::Exit { status, stderr } => RenderError::ToolFailed {
            at,
            path,
            tool,
            status,
            stderr,
        },
        process::ToolFailure::Timeout => RenderError::ToolTimedOut {
            at,
            path,
            tool,
            timeout: config.timeout,
        },
        process::ToolFailure::TooMuchOutput => RenderError::OutputTooLarge {
            at,
            path,
            limit: config.limits.max_render_bytes,
        },
    }
}
