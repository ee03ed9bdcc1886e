//! The desired state of an Application: its sources, destination, project, sync policy and
//! the differences to ignore.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::source::ApplicationSource;
use super::sync_policy::SyncPolicy;

/// Desired state of an Application: where its manifests come from and where they go.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// Where the manifests or chart come from. Use this or `sources`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    /// The cluster and namespace to deploy to.
    pub destination: ApplicationDestination,
    /// The AppProject the application belongs to (`default` always exists).
    pub project: String,
    /// When and how to sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
    /// Fields to leave out when comparing desired and live resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_differences: Option<Vec<ResourceIgnoreDifferences>>,
    /// Links, contacts and notes shown with the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Vec<Info>>,
    /// Number of entries kept in `status.history` for rollback (10 when omitted, 0 keeps none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i64>,
    /// Several sources rendered together; if two render the same object, the last wins.
    /// Use this or `source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<ApplicationSource>>,
    /// Render manifests from a "dry" source and push them to a branch before syncing them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_hydrator: Option<SourceHydrator>,
}

/// A target cluster, by API server URL or by name, and a namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationDestination {
    /// URL of the cluster's API server (`https://kubernetes.default.svc` is the cluster Argo
    /// CD runs in). Set this or `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Namespace given to namespaced resources that do not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name of the cluster, as registered. Set this or `server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Resources, and fields of them, whose differences do not make the application OutOfSync.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceIgnoreDifferences {
    /// API group of the resources (`""` for the core group, `*` for any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the resources (`*` for any).
    pub kind: String,
    /// Name of the resource; all of the kind when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace of the resource; any when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Fields to ignore, as RFC 6901 JSON pointers (`/spec/replicas`; `~1` stands for `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_pointers: Option<Vec<String>>,
    /// Fields to ignore, as jq path expressions (`.spec.template.spec.initContainers[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jq_path_expressions: Option<Vec<String>>,
    /// Field managers whose changes are trusted: fields they own are not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_fields_managers: Option<Vec<String>>,
}

/// A name and a value shown with the application (a URL, an e-mail address, a note).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// Title of the item.
    pub name: String,
    /// Content of the item.
    pub value: String,
}

/// A dry source rendered to plain manifests that are pushed to a branch and synced from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceHydrator {
    /// Where the dry ("don't repeat yourself") manifests live.
    pub dry_source: DrySource,
    /// Where hydrated manifests are committed and synced from.
    pub sync_source: SyncSource,
    /// A staging branch to push hydrated manifests to; something else moves them to the
    /// sync branch (a pull request, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hydrate_to: Option<HydrateTo>,
}

/// The location of dry manifests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrySource {
    /// URL of the Git repository.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Revision to hydrate.
    pub target_revision: String,
    /// Directory of the manifests in the repository.
    pub path: String,
}

/// The location hydrated manifests are synced from (in the dry source's repository).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncSource {
    /// Branch hydrated manifests are committed to.
    pub target_branch: String,
    /// Directory hydrated manifests are committed to and synced from.
    pub path: String,
}

/// A staging branch for hydrated manifests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HydrateTo {
    /// Branch hydrated manifests are pushed to.
    pub target_branch: String,
}
