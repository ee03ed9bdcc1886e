//! The rules a pass checks before anything is compared or applied, read from the control plane:
//! the destination cluster (through cluster Secrets, [`super::clusters`]), the AppProject's
//! sources, destinations and kinds, and its sync windows ([`super::project`]). Violations become
//! conditions; nothing of a sync that breaks them is applied.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Secret;
use linnet_crds::application::{AppProject, Application};
use serde_json::Value;

use super::clusters::{self, Target};
use super::project::{self, Destination, Scope};
use crate::sync::ResourceKey;

/// Whether syncs may start now, under the project's sync windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    pub manual: bool,
    pub automated: bool,
    /// Why syncs are blocked, naming the window.
    pub reason: Option<String>,
}

impl Windows {
    pub fn open() -> Windows {
        Windows {
            manual: true,
            automated: true,
            reason: None,
        }
    }
}

/// What the rules say about one Application.
pub struct Rules {
    /// The cluster the Application deploys to, when it resolves.
    pub target: Option<Target>,
    pub project: Option<AppProject>,
    /// InvalidSpecError messages: unknown project, forbidden source or destination, a cluster
    /// that does not resolve.
    pub invalid_spec: Vec<String>,
    pub windows: Windows,
}

/// Reads the cluster Secrets and projects of the control-plane namespace and checks the
/// Application against them. Missing CRDs or unreadable Secrets count as none.
pub async fn gather(
    control: &kube::Client,
    control_namespace: &str,
    app: &Application,
    now: Timestamp,
) -> Result<Rules, kube::Error> {
    let secrets = match clusters::load_cluster_secrets(control, control_namespace).await {
        Ok(secrets) => secrets,
        Err(kube::Error::Api(e)) if e.code == 403 || e.code == 404 => Vec::new(),
        Err(e) => return Err(e),
    };
    let projects = match project::load_projects(control, control_namespace).await {
        Ok(projects) => projects,
        Err(kube::Error::Api(e)) if e.code == 403 => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(check(app, &secrets, &projects, control_namespace, now))
}

/// The pure part of [`gather`].
pub fn check(
    app: &Application,
    secrets: &[Secret],
    projects: &[AppProject],
    control_namespace: &str,
    now: Timestamp,
) -> Rules {
    let mut rules = Rules {
        target: None,
        project: None,
        invalid_spec: Vec::new(),
        windows: Windows::open(),
    };
    match clusters::resolve(&app.spec.destination, secrets) {
        Ok(target) => rules.target = Some(target),
        Err(error) => rules.invalid_spec.push(error.to_string()),
    }
    let project = match project::find_project(&app.spec.project, projects) {
        Ok(project) => project.into_owned(),
        Err(error) => {
            rules.invalid_spec.push(error.to_string());
            return rules;
        }
    };
    let app_namespace = app.metadata.namespace.as_deref().unwrap_or_default();
    if let Some(target) = &rules.target {
        let destination = destination_of(app, target);
        rules.invalid_spec.extend(
            project::check_application(&project, app, &destination)
                .iter()
                .map(ToString::to_string),
        );
        rules.invalid_spec.extend(
            project::check_source_namespace(&project, app_namespace, control_namespace)
                .map(|v| v.to_string()),
        );
        rules.windows = match project::sync_verdict(&project, app, &destination, now) {
            Ok(verdict) => Windows {
                manual: verdict.manual,
                automated: verdict.automated,
                reason: verdict.reason,
            },
            Err(error) => Windows {
                manual: false,
                automated: false,
                reason: Some(error.to_string()),
            },
        };
    }
    rules.project = Some(project);
    rules
}

/// The objects of a render the project forbids (kinds, namespaces), one message each. An
/// object with a namespace (set on every namespaced object by then) is namespaced.
pub fn forbidden(rules: &Rules, app: &Application, objects: &[Value]) -> Vec<String> {
    let (Some(project), Some(target)) = (&rules.project, &rules.target) else {
        return Vec::new();
    };
    let destination = destination_of(app, target);
    let keys: Vec<(ResourceKey, Scope)> = objects
        .iter()
        .map(|obj| {
            let key = ResourceKey::of(obj);
            let scope = if key.namespace.is_empty() {
                Scope::Cluster
            } else {
                Scope::Namespaced
            };
            (key, scope)
        })
        .collect();
    project::check_resources(project, &destination, keys.iter().map(|(k, s)| (k, *s)))
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn destination_of<'a>(app: &'a Application, target: &'a Target) -> Destination<'a> {
    Destination {
        server: Some(target.server()),
        name: Some(target.name()),
        namespace: app.spec.destination.namespace.as_deref().unwrap_or_default(),
    }
}
