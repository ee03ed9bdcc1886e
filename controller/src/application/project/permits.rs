//! What a project permits: source repositories, destinations, the namespaces Applications may
//! live in, and the kinds of object they may create — each answered as Argo CD answers it.

use linnet_crds::application::project::GroupKind;
use linnet_crds::application::{AppProject, Application, ApplicationSource};

use super::glob::{is_exclusion, matches, matches_or_excludes};
use super::{Destination, Violation, project_name};
use crate::sync::identity::ResourceKey;

/// Whether a kind lives in a namespace or across the cluster (from discovery or the CRD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// The sources of the Application whose repository the project does not permit, one violation
/// per source (`spec.source.repoURL` or `spec.sources[i].repoURL`).
///
/// A project with no `sourceRepos` permits nothing. An exclusion (`!pattern`) refuses what it
/// matches and, as in Argo CD, permits everything else on its own.
pub fn check_sources(project: &AppProject, app: &Application) -> Vec<Violation> {
    let patterns = project.spec.source_repos.as_deref().unwrap_or_default();
    sources_with_fields(app)
        .into_iter()
        .filter(|(_, source)| !repo_permitted(patterns, &source.repo_url))
        .map(|(field, source)| Violation {
            subject: field,
            message: format!(
                "{} is not permitted in project {}",
                source.repo_url,
                project_name(project)
            ),
        })
        .collect()
}

/// A violation of `spec.destination` when no entry of the project's `destinations` permits it.
///
/// Pass the destination with both server and name filled in after cluster resolution. An entry
/// matches when its server or its name matches and its namespace matches; an entry with an
/// exclusion (`!`) in any field that the destination fails refuses it outright.
pub fn check_destination(project: &AppProject, destination: &Destination<'_>) -> Option<Violation> {
    if destination_permitted(project, destination) {
        return None;
    }
    let cluster = match (destination.server, destination.name) {
        (Some(server), Some(name)) => format!("server {server} (cluster {name})"),
        (Some(server), None) => format!("server {server}"),
        (None, Some(name)) => format!("cluster {name}"),
        (None, None) => "no cluster".to_string(),
    };
    Some(Violation {
        subject: "spec.destination".to_string(),
        message: format!(
            "{cluster} and namespace {:?} do not match any destination permitted in project {}",
            destination.namespace,
            project_name(project)
        ),
    })
}

/// Argo CD's "applications in any namespace": an Application outside the control-plane
/// namespace must live in a namespace the project's `sourceNamespaces` lists.
pub fn check_source_namespace(
    project: &AppProject,
    app_namespace: &str,
    control_plane_namespace: &str,
) -> Option<Violation> {
    if app_namespace == control_plane_namespace {
        return None;
    }
    let allowed = project.spec.source_namespaces.as_deref().unwrap_or_default();
    if allowed.iter().any(|p| matches(p, app_namespace)) {
        return None;
    }
    Some(Violation {
        subject: "metadata.namespace".to_string(),
        message: format!(
            "Applications in namespace {app_namespace} are not permitted in project {} (see its sourceNamespaces)",
            project_name(project)
        ),
    })
}

/// The checks that need no rendering: every source repository and the destination.
pub fn check_application(
    project: &AppProject,
    app: &Application,
    destination: &Destination<'_>,
) -> Vec<Violation> {
    let mut out = check_sources(project, app);
    out.extend(check_destination(project, destination));
    out
}

/// The rendered objects the project forbids, one violation per object and reason.
///
/// Cluster-scoped kinds need an entry in `clusterResourceWhitelist` (an empty or missing list
/// permits none) and none in `clusterResourceBlacklist`. Namespaced kinds are all permitted
/// when `namespaceResourceWhitelist` is missing (an empty list permits none) unless listed in
/// `namespaceResourceBlacklist`; and the object's namespace (the destination's when it names
/// none) must be a permitted destination.
pub fn check_resources<'a>(
    project: &AppProject,
    destination: &Destination<'_>,
    resources: impl IntoIterator<Item = (&'a ResourceKey, Scope)>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for (key, scope) in resources {
        if !kind_permitted(project, &key.group, &key.kind, scope) {
            let scope_word = match scope {
                Scope::Cluster => "cluster-scoped",
                Scope::Namespaced => "namespaced",
            };
            out.push(Violation {
                subject: key.to_string(),
                message: format!(
                    "{scope_word} kind {} is not permitted in project {}",
                    group_kind(&key.group, &key.kind),
                    project_name(project)
                ),
            });
        }
        if scope == Scope::Namespaced {
            let namespace = if key.namespace.is_empty() {
                destination.namespace
            } else {
                &key.namespace
            };
            let here = Destination {
                namespace,
                ..*destination
            };
            if !destination_permitted(project, &here) {
                out.push(Violation {
                    subject: key.to_string(),
                    message: format!(
                        "namespace {namespace:?} is not permitted in project {}",
                        project_name(project)
                    ),
                });
            }
        }
    }
    out
}

/// `ClusterRole.rbac.authorization.k8s.io`, or `Secret` for the core group.
fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

fn sources_with_fields(app: &Application) -> Vec<(String, &ApplicationSource)> {
    let mut out = Vec::new();
    if let Some(source) = &app.spec.source {
        out.push(("spec.source.repoURL".to_string(), source));
    }
    for (i, source) in app.spec.sources.iter().flatten().enumerate() {
        out.push((format!("spec.sources[{i}].repoURL"), source));
    }
    out
}

fn repo_permitted(patterns: &[String], repo_url: &str) -> bool {
    let repo = normalize_repo_url(repo_url);
    let mut any = false;
    for pattern in patterns {
        let normalized = match pattern.strip_prefix('!') {
            Some(excluded) => format!("!{}", normalize_repo_url(excluded)),
            None => normalize_repo_url(pattern),
        };
        if matches_or_excludes(&normalized, &repo) {
            any = true;
        } else if is_exclusion(&normalized) {
            return false;
        }
    }
    any
}

fn destination_permitted(project: &AppProject, dst: &Destination<'_>) -> bool {
    let mut any = false;
    for item in project.spec.destinations.iter().flatten() {
        let item_server = item.server.as_deref().unwrap_or_default();
        let item_name = item.name.as_deref().unwrap_or_default();
        let item_namespace = item.namespace.as_deref().unwrap_or_default();
        let name_ok = dst.name.is_some_and(|n| matches_or_excludes(item_name, n));
        let server_ok = dst.server.is_some_and(|s| matches_or_excludes(item_server, s));
        let namespace_ok = matches_or_excludes(item_namespace, dst.namespace);
        if (server_ok || name_ok) && namespace_ok {
            any = true;
        } else if (!name_ok && is_exclusion(item_name))
            || (!server_ok && is_exclusion(item_server))
            || (!namespace_ok && is_exclusion(item_namespace))
        {
            return false;
        }
    }
    any
}

fn kind_permitted(project: &AppProject, group: &str, kind: &str, scope: Scope) -> bool {
    let listed = |list: &Option<Vec<GroupKind>>| {
        list.iter()
            .flatten()
            .any(|entry| matches(&entry.group, group) && matches(&entry.kind, kind))
    };
    let spec = &project.spec;
    match scope {
        Scope::Namespaced => {
            let whitelisted =
                spec.namespace_resource_whitelist.is_none() || listed(&spec.namespace_resource_whitelist);
            whitelisted && !listed(&spec.namespace_resource_blacklist)
        }
        Scope::Cluster => {
            listed(&spec.cluster_resource_whitelist) && !listed(&spec.cluster_resource_blacklist)
        }
    }
}

/// Argo CD's normal form of a Git URL for project checks: lower case, no trailing `/` or
/// `.git`, and the scp-like `git@host:path` written as `ssh://git@host/path`.
fn normalize_repo_url(url: &str) -> String {
    let mut url = url.trim().to_ascii_lowercase();
    if !url.contains("://")
        && let Some((user_host, path)) = url.split_once(':')
        && user_host.contains('@')
    {
        url = format!("ssh://{user_host}/{}", path.trim_start_matches('/'));
    }
    while url.ends_with('/') {
        url.pop();
    }
    if let Some(stripped) = url.strip_suffix(".git") {
        url.truncate(stripped.len());
    }
    url
}
