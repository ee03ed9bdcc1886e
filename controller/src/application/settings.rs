//! What an Application's spec and annotations say about how to sync it: the name its objects are
//! tracked by, the Application-wide sync options, the refresh annotation and the finalizers.

use linnet_crds::application::Application;
use linnet_crds::application::sync_policy::SyncPolicyAutomated;

/// Deleting the Application deletes what it tracks (foreground); the `/foreground` and
/// `/background` forms mean the same here.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// Asks for a refresh: `normal` or `hard`; the controller removes it once done.
pub const REFRESH_ANNOTATION: &str = "argocd.argoproj.io/refresh";
/// The namespace whose Applications track objects by their bare name, as in Argo CD's
/// control-plane namespace; Applications elsewhere use `<namespace>_<name>`.
pub const DEFAULT_CONTROL_PLANE_NAMESPACE: &str = "argocd";
/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "linnet";
/// The in-cluster destination.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
pub const IN_CLUSTER_NAME: &str = "in-cluster";

/// The name an Application's objects carry in their tracking id.
pub fn instance_name(app_namespace: &str, app_name: &str, control_plane_namespace: &str) -> String {
    if app_namespace.is_empty() || app_namespace == control_plane_namespace {
        app_name.to_string()
    } else {
        format!("{app_namespace}_{app_name}")
    }
}

/// Whether the refresh annotation asks for a hard refresh: manifests rendered afresh instead of
/// taken from the cache. Any other value is a normal refresh, as in Argo CD.
pub fn hard_refresh(app: &Application) -> bool {
    app.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REFRESH_ANNOTATION))
        .is_some_and(|value| value.trim() == "hard")
}

/// Whether the finalizer (in any of its forms) is on the Application.
pub fn has_resources_finalizer(app: &Application) -> bool {
    app.metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| is_resources_finalizer(f))
}

pub fn is_resources_finalizer(name: &str) -> bool {
    name == RESOURCES_FINALIZER || name.starts_with(&format!("{RESOURCES_FINALIZER}/"))
}

/// The automated policy when automated sync is on (`enabled` absent counts as on).
pub fn automated(app: &Application) -> Option<&SyncPolicyAutomated> {
    let automated = app.spec.sync_policy.as_ref()?.automated.as_ref()?;
    (automated.enabled != Some(false)).then_some(automated)
}

/// The Application-wide sync options (`spec.syncPolicy.syncOptions`, overridden by the
/// operation's own `syncOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSyncOptions {
    pub create_namespace: bool,
    pub prune_last: bool,
    pub apply_out_of_sync_only: bool,
    pub replace: bool,
    pub server_side_apply: bool,
    pub validate: bool,
    /// Entries linnet does not act on, as written.
    pub unsupported: Vec<String>,
}

impl AppSyncOptions {
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a String>) -> AppSyncOptions {
        let mut options = AppSyncOptions {
            validate: true,
            ..AppSyncOptions::default()
        };
        for entry in entries {
            let (key, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
            let on = value.trim().eq_ignore_ascii_case("true");
            match key.trim() {
                "CreateNamespace" => options.create_namespace = on,
                "PruneLast" => options.prune_last = on,
                "ApplyOutOfSyncOnly" => options.apply_out_of_sync_only = on,
                "Replace" => options.replace = on,
                "ServerSideApply" => options.server_side_apply = on,
                "Validate" => options.validate = !value.trim().eq_ignore_ascii_case("false"),
                _ => options.unsupported.push(entry.clone()),
            }
        }
        options
    }

    /// The options of `app`, with those of its requested or running operation after them.
    pub fn of(app: &Application, operation_options: Option<&Vec<String>>) -> AppSyncOptions {
        let spec = app
            .spec
            .sync_policy
            .as_ref()
            .and_then(|p| p.sync_options.as_ref());
        AppSyncOptions::parse(
            spec.into_iter()
                .flatten()
                .chain(operation_options.into_iter().flatten()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_outside_the_control_plane_namespace_are_prefixed() {
        assert_eq!(instance_name("argocd", "guestbook", "argocd"), "guestbook");
        assert_eq!(instance_name("team-a", "guestbook", "argocd"), "team-a_guestbook");
    }

    #[test]
    fn only_the_value_hard_asks_for_a_hard_refresh() {
        let with = |value: Option<&str>| {
            let mut app = Application::new("web", Default::default());
            app.metadata.annotations =
                value.map(|v| [(REFRESH_ANNOTATION.to_string(), v.to_string())].into());
            hard_refresh(&app)
        };
        assert!(with(Some("hard")));
        assert!(!with(Some("normal")));
        assert!(!with(Some("Hard-ish")));
        assert!(!with(None));
    }

    #[test]
    fn sync_options_parse_and_keep_unknown_entries() {
        let entries: Vec<String> = [
            "CreateNamespace=true",
            "PruneLast=true",
            "Validate=false",
            "ServerSideApply=true",
            "RespectIgnoreDifferences=true",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let options = AppSyncOptions::parse(&entries);
        assert!(options.create_namespace && options.prune_last && options.server_side_apply);
        assert!(!options.validate && !options.replace && !options.apply_out_of_sync_only);
        assert_eq!(options.unsupported, ["RespectIgnoreDifferences=true"]);
        assert!(AppSyncOptions::parse(&[]).validate);
    }
}
