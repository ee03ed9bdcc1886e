//! AppProject: a group of Applications with limits on what they may deploy, from where, to
//! where and when, and the roles allowed to act on them.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::spec::ApplicationDestination;

/// Limits on a group of Applications: the repositories they may deploy from, the clusters
/// and namespaces they may deploy to, the kinds they may create, when they may sync, and the
/// roles allowed to act on them.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "AppProject",
    plural = "appprojects",
    namespaced,
    status = "AppProjectStatus",
    shortname = "appproj",
    shortname = "appprojs",
    derive = "PartialEq",
    doc = "An Argo CD AppProject: what a group of Applications may deploy, from where, to where and when."
)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectSpec {
    /// Repository URLs the applications may use; globs allowed, `!` excludes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_repos: Option<Vec<String>>,
    /// Clusters and namespaces the applications may deploy to; globs allowed, `!` excludes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<ApplicationDestination>>,
    /// What the project is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Roles with their policies, OIDC groups and tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<ProjectRole>>,
    /// Cluster-scoped kinds the applications may create (none when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_resource_whitelist: Option<Vec<GroupKind>>,
    /// Namespaced kinds the applications may not create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_resource_blacklist: Option<Vec<GroupKind>>,
    /// Whether to report resources in the destination namespaces that no application tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orphaned_resources: Option<OrphanedResourcesMonitorSettings>,
    /// Times when syncs are allowed or denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_windows: Option<Vec<SyncWindow>>,
    /// Namespaced kinds the applications may create (all when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_resource_whitelist: Option<Vec<GroupKind>>,
    /// GnuPG keys, one of which must have signed a commit before it is synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_keys: Option<Vec<SignatureKey>>,
    /// Cluster-scoped kinds the applications may not create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_resource_blacklist: Option<Vec<GroupKind>>,
    /// Namespaces, besides the control plane's, where Applications of this project may live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_namespaces: Option<Vec<String>>,
    /// Allow only destinations on clusters that belong to this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permit_only_project_scoped_clusters: Option<bool>,
    /// Service accounts to impersonate when syncing to each destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_service_accounts: Option<Vec<ApplicationDestinationServiceAccount>>,
}

/// Observed state of an AppProject.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectStatus {
    /// Tokens issued for each role, by role name.
    #[serde(default, rename = "jwtTokensByRole", skip_serializing_if = "Option::is_none")]
    pub jwt_tokens_by_role: Option<BTreeMap<String, JwtTokens>>,
}

/// A role that may act on the project's applications.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRole {
    /// Name of the role.
    pub name: String,
    /// What the role is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Casbin policy lines: `p, proj:<project>:<role>, <resource>, <action>, <object>, allow|deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<String>>,
    /// Tokens issued for the role.
    #[serde(default, rename = "jwtTokens", skip_serializing_if = "Option::is_none")]
    pub jwt_tokens: Option<Vec<JwtToken>>,
    /// OIDC groups bound to the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// A list of issued tokens.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JwtTokens {
    /// The tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<JwtToken>>,
}

/// When a token was issued and when it expires.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JwtToken {
    /// Issue time, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expiry time, in seconds since the Unix epoch; never when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Identifier of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// An API group and kind; globs allowed in both.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupKind {
    /// API group (`""` for the core group, `*` for any).
    pub group: String,
    /// Kind (`*` for any).
    pub kind: String,
}

/// Settings for reporting orphaned resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrphanedResourcesMonitorSettings {
    /// Give applications with orphaned resources a warning condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<bool>,
    /// Resources never reported as orphaned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<Vec<OrphanedResourceKey>>,
}

/// Resources to leave out of orphan reporting, by group, kind and name (globs allowed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrphanedResourceKey {
    /// API group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A recurring time span during which syncs of matching applications are allowed or denied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncWindow {
    /// `allow` or `deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// When the window opens, as a five-field cron expression (`0 22 * * *`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// How long the window stays open, as a Go duration (`1h`, `30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Applications the window applies to (globs allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications: Option<Vec<String>>,
    /// Destination namespaces the window applies to (globs allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// Destination clusters the window applies to, by name or server (globs allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<Vec<String>>,
    /// Let manual syncs through when the window would block them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_sync: Option<bool>,
    /// Time zone of the schedule (`Europe/Paris`); UTC when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Match applications, namespaces and clusters all together instead of any of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub and_operator: Option<bool>,
    /// A note about the window, such as a ticket number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A GnuPG key allowed to sign the commits that are synced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureKey {
    /// ID of the key, in hexadecimal.
    #[serde(rename = "keyID")]
    pub key_id: String,
}

/// The service account to impersonate when syncing to a destination.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationDestinationServiceAccount {
    /// API server URL of the destination cluster (globs allowed).
    pub server: String,
    /// Destination namespace (globs allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Service account to impersonate, as `name` or `namespace:name`.
    pub default_service_account: String,
}

#[cfg(test)]
mod tests {
    use kube::CustomResourceExt;

    use super::*;

    #[test]
    fn crd_names_match_argo_cd() {
        let crd = AppProject::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("appprojects.argoproj.io"));
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.plural, "appprojects");
        assert_eq!(
            crd.spec.names.short_names,
            Some(vec!["appproj".to_string(), "appprojs".to_string()])
        );
        let props = crd.spec.versions[0]
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .and_then(|s| s.properties.as_ref())
            .expect("root properties");
        assert!(props.contains_key("spec") && props.contains_key("status"));
    }

    #[test]
    fn tokens_by_role_read_and_write_as_argo_cd_names_them() {
        let status =
            serde_json::json!({"jwtTokensByRole": {"ci": {"items": [{"iat": 1700000000, "id": "t1"}]}}});
        let read: AppProjectStatus = serde_json::from_value(status.clone()).expect("reads");
        let tokens = read.jwt_tokens_by_role.as_ref().expect("tokens")["ci"]
            .items
            .as_ref()
            .expect("items");
        assert_eq!(tokens[0].iat, 1_700_000_000);
        assert_eq!(tokens[0].exp, None);
        assert_eq!(serde_json::to_value(&read).expect("writes"), status);
    }
}
