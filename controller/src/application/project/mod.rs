//! AppProject rules: source repositories, destinations, resource allow and deny lists, sync windows.
//!
//! Everything here is pure: the caller passes the project, the Application, the rendered objects
//! and `now`; the answers are data (violations, a sync verdict) that the reconciler turns into
//! conditions. Argo CD's semantics are followed throughout: patterns are globs (`*` also crosses
//! `/`), a pattern starting with `!` excludes, and an AppProject named `default` that does not
//! exist permits everything.

mod cron;
mod glob;
mod load;
mod permits;
mod windows;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod windows_tests;

use std::borrow::Cow;
use std::fmt;

use linnet_crds::application::project::GroupKind;
use linnet_crds::application::spec::ApplicationDestination;
use linnet_crds::application::{AppProject, Application};

pub use load::load_projects;
pub use permits::{
    Scope, check_application, check_destination, check_resources, check_source_namespace, check_sources,
};
pub use windows::{SyncVerdict, WindowError, sync_verdict};

/// The project every Application belongs to unless it names another.
pub const DEFAULT_PROJECT: &str = "default";

/// One rule an Application or one of its objects breaks.
///
/// `subject` is a field path (`spec.source.repoURL`) or an object (`ClusterRole.rbac.authorization.k8s.io
/// admin`); `message` says what is wrong and which project refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub subject: String,
    pub message: String,
}

/// Reads as one line for a condition: `spec.source.repoURL: https://x is not permitted in project team-a`.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// Why a project could not be found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    /// The Application names a project that does not exist (and is not `default`). Argo CD
    /// reports this as an `InvalidSpecError` condition and waits for the project to appear.
    #[error("spec.project: AppProject {name:?} does not exist")]
    NotFound { name: String },
}

/// The destination as the project rules see it: after cluster resolution both the server URL
/// and the cluster name are known (Argo CD fills both in before checking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Destination<'a> {
    pub server: Option<&'a str>,
    pub name: Option<&'a str>,
    pub namespace: &'a str,
}

impl<'a> Destination<'a> {
    /// The destination exactly as the Application writes it (server or name, not both).
    pub fn of(destination: &'a ApplicationDestination) -> Self {
        Destination {
            server: destination.server.as_deref().filter(|s| !s.is_empty()),
            name: destination.name.as_deref().filter(|s| !s.is_empty()),
            namespace: destination.namespace.as_deref().unwrap_or_default(),
        }
    }
}

impl<'a> Destination<'a> {
    /// The destination after cluster resolution: the target's server URL and name both known.
    pub fn resolved(target: &'a crate::application::clusters::Target, namespace: &'a str) -> Self {
        Destination {
            server: Some(target.server()),
            name: Some(target.name()),
            namespace,
        }
    }
}

/// Every check that needs no rendering, in one call: the project exists (or is the permissive
/// `default`), the Application may live in its namespace, and its sources and destination are
/// permitted. Returns the project for the later checks (rendered kinds, sync windows), or the
/// violations to report as an `InvalidSpecError` condition, in which case nothing is applied.
pub fn admit<'a>(
    projects: &'a [AppProject],
    app: &Application,
    destination: &Destination<'_>,
    control_plane_namespace: &str,
) -> Result<Cow<'a, AppProject>, Vec<Violation>> {
    let project = find_project(&app.spec.project, projects).map_err(|error| {
        vec![Violation {
            subject: "spec.project".to_string(),
            message: match error {
                ProjectError::NotFound { name } => format!("AppProject {name:?} does not exist"),
            },
        }]
    })?;
    let app_namespace = app
        .metadata
        .namespace
        .as_deref()
        .unwrap_or(control_plane_namespace);
    let mut violations: Vec<Violation> =
        check_source_namespace(&project, app_namespace, control_plane_namespace)
            .into_iter()
            .collect();
    violations.extend(check_application(&project, app, destination));
    if violations.is_empty() {
        Ok(project)
    } else {
        Err(violations)
    }
}

/// The project Argo CD creates when none named `default` exists: any repository, any
/// destination, any kind.
pub fn permissive_default() -> AppProject {
    let any = || Some("*".to_string());
    let mut project = AppProject::new(DEFAULT_PROJECT, Default::default());
    project.spec.source_repos = Some(vec!["*".to_string()]);
    project.spec.destinations = Some(vec![ApplicationDestination {
        server: any(),
        name: any(),
        namespace: any(),
    }]);
    project.spec.cluster_resource_whitelist = Some(vec![GroupKind {
        group: "*".to_string(),
        kind: "*".to_string(),
    }]);
    project
}

/// The project named `name` among `projects`; for `default` (or an empty name) with no such
/// object, the permissive default. The caller passes the projects of the namespace it reads
/// projects from.
pub fn find_project<'a>(name: &str, projects: &'a [AppProject]) -> Result<Cow<'a, AppProject>, ProjectError> {
    let name = if name.is_empty() { DEFAULT_PROJECT } else { name };
    if let Some(found) = projects.iter().find(|p| p.metadata.name.as_deref() == Some(name)) {
        return Ok(Cow::Borrowed(found));
    }
    if name == DEFAULT_PROJECT {
        return Ok(Cow::Owned(permissive_default()));
    }
    Err(ProjectError::NotFound {
        name: name.to_string(),
    })
}

/// The project's name, for messages.
fn project_name(project: &AppProject) -> &str {
    project.metadata.name.as_deref().unwrap_or(DEFAULT_PROJECT)
}
