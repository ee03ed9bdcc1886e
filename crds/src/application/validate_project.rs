//! Validation of an AppProject: sync windows that Argo CD can schedule, destinations that
//! name a cluster, resource lists that name kinds, and role names Argo CD accepts.

use super::project::{AppProject, GroupKind, ProjectRole, SyncWindow};
use crate::common::parse_go_duration;
use crate::{FieldPath, Finding, Validate};

impl Validate for AppProject {
    fn validate(&self) -> Vec<Finding> {
        let spec = &self.spec;
        let path = FieldPath::root("spec");
        let mut out = Vec::new();
        for (i, window) in spec.sync_windows.iter().flatten().enumerate() {
            out.extend(check_sync_window(window, &path.field("syncWindows").index(i)));
        }
        for (i, destination) in spec.destinations.iter().flatten().enumerate() {
            let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
            if !set(&destination.server) && !set(&destination.name) {
                out.push(Finding::error(
                    path.field("destinations").index(i),
                    "needs server or name (globs allowed, \"*\" for any cluster)",
                ));
            }
        }
        let lists = [
            ("clusterResourceWhitelist", &spec.cluster_resource_whitelist),
            ("clusterResourceBlacklist", &spec.cluster_resource_blacklist),
            ("namespaceResourceWhitelist", &spec.namespace_resource_whitelist),
            ("namespaceResourceBlacklist", &spec.namespace_resource_blacklist),
        ];
        for (name, list) in lists {
            out.extend(check_group_kinds(
                list.as_deref().unwrap_or_default(),
                &path.field(name),
            ));
        }
        for (i, role) in spec.roles.iter().flatten().enumerate() {
            out.extend(check_role_name(role, &path.field("roles").index(i).field("name")));
        }
        out
    }
}

/// Checks one sync window the way Argo CD reads it when deciding whether a sync may run.
pub fn check_sync_window(window: &SyncWindow, path: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    match window.kind.as_deref() {
        Some("allow" | "deny") => {}
        Some(other) => out.push(Finding::error(
            path.field("kind"),
            format!("{other:?} is not a window kind; use allow or deny"),
        )),
        None => out.push(Finding::error(
            path.field("kind"),
            "is missing; use allow or deny",
        )),
    }
    match window.schedule.as_deref() {
        Some(schedule) => out.extend(check_cron_schedule(schedule, &path.field("schedule"))),
        None => out.push(Finding::error(
            path.field("schedule"),
            "is missing; give five cron fields, e.g. \"0 22 * * *\"",
        )),
    }
    match window.duration.as_deref() {
        Some(duration) => {
            if let Err(message) = parse_go_duration(duration) {
                out.push(Finding::error(path.field("duration"), message));
            }
        }
        None => out.push(Finding::error(
            path.field("duration"),
            "is missing; give a duration, e.g. 1h",
        )),
    }
    let targets = [&window.applications, &window.namespaces, &window.clusters];
    if !targets.iter().any(|t| t.as_ref().is_some_and(|l| !l.is_empty())) {
        out.push(Finding::error(
            path,
            "applies to nothing: list applications, namespaces or clusters (\"*\" for all)",
        ));
    }
    out
}

/// A schedule is five cron fields: minute, hour, day of month, month, day of week.
pub fn check_cron_schedule(schedule: &str, path: &FieldPath) -> Option<Finding> {
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(Finding::error(
            path,
            format!(
                "{schedule:?} has {} fields; a schedule has 5: minute hour day-of-month month day-of-week",
                fields.len()
            ),
        ));
    }
    // Names such as JAN or MON are letters; anything else is digits and * , - / ?
    let allowed = |c: char| c.is_ascii_alphanumeric() || "*,-/?".contains(c);
    let bad = fields.iter().find(|f| !f.chars().all(allowed))?;
    Some(Finding::error(
        path,
        format!("{schedule:?}: field {bad:?} is not a cron field"),
    ))
}

/// Entries of a resource list need a kind; the group may be empty (the core group).
fn check_group_kinds(list: &[GroupKind], path: &FieldPath) -> Vec<Finding> {
    list.iter()
        .enumerate()
        .filter(|(_, entry)| entry.kind.trim().is_empty())
        .map(|(i, _)| {
            Finding::error(
                path.index(i).field("kind"),
                "must not be empty; name a kind, or * for every kind",
            )
        })
        .collect()
}

/// Role names are letters, digits, `-` and `_`, starting and ending with a letter or digit.
fn check_role_name(role: &ProjectRole, path: &FieldPath) -> Option<Finding> {
    let name = role.name.as_str();
    let inner_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let ends_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if inner_ok && ends_ok {
        return None;
    }
    Some(Finding::error(
        path,
        format!(
            "{name:?} is not a role name: use letters, digits, - and _, starting and ending with a letter or digit"
        ),
    ))
}
