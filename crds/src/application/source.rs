//! Where an Application's manifests come from: a repository, a revision and a path, plus the
//! options of the tool that renders them (plain directory and Jsonnet, or a config management
//! plugin here; Helm and Kustomize in their own modules).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::helm::ApplicationSourceHelm;
use super::kustomize::ApplicationSourceKustomize;

/// The location of an application's manifests or chart, and how to render them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSource {
    /// URL of the repository (Git, Helm or OCI) that holds the manifests or chart.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Directory inside a Git repository that holds the manifests; meaningless for a chart
    /// pulled from a Helm repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Revision to sync to: a commit, tag or branch for Git (HEAD when omitted), or the chart
    /// version (a semver or range) for a Helm chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<String>,
    /// Helm options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<ApplicationSourceHelm>,
    /// Kustomize options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<ApplicationSourceKustomize>,
    /// Options for a directory of plain YAML, JSON or Jsonnet files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<ApplicationSourceDirectory>,
    /// Config management plugin options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<ApplicationSourcePlugin>,
    /// Name of a Helm chart; required for a source pulled from a Helm or OCI repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// Name by which other sources of a multi-source Application refer to this one, as
    /// `$<ref>/path/values.yaml` in Helm value files. Ignored in a single `source`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub ref_name: Option<String>,
    /// Name of the source, shown in the UI of multi-source Applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ApplicationSource {
    /// The tool blocks this source sets, by their field names, in a fixed order.
    pub fn tools_set(&self) -> Vec<&'static str> {
        let mut tools = Vec::new();
        if self.directory.is_some() {
            tools.push("directory");
        }
        if self.helm.is_some() {
            tools.push("helm");
        }
        if self.kustomize.is_some() {
            tools.push("kustomize");
        }
        if self.plugin.is_some() {
            tools.push("plugin");
        }
        tools
    }
}

/// Options for a directory of plain manifests or Jsonnet files.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSourceDirectory {
    /// Read subdirectories too (off by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurse: Option<bool>,
    /// Jsonnet options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsonnet: Option<ApplicationSourceJsonnet>,
    /// Glob of paths to leave out; `{a,b}` gives several patterns. Wins over `include`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<String>,
    /// Glob of paths to read; `{a,b}` gives several patterns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<String>,
}

/// Options for evaluating Jsonnet files.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSourceJsonnet {
    /// External variables (`--ext-str` / `--ext-code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_vars: Option<Vec<JsonnetVar>>,
    /// Top-level arguments (`--tla-str` / `--tla-code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlas: Option<Vec<JsonnetVar>>,
    /// Extra library search directories (`--jpath`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libs: Option<Vec<String>>,
}

/// A variable passed to Jsonnet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JsonnetVar {
    /// Name of the variable.
    pub name: String,
    /// Value of the variable: a string, or Jsonnet code when `code` is true.
    pub value: String,
    /// Whether `value` is Jsonnet code rather than a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<bool>,
}

/// Options for a config management plugin (CMP).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSourcePlugin {
    /// Name of the plugin; omit it to let the plugins' discovery rules choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Environment variables passed to the plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<EnvEntry>>,
    /// Parameters passed to the plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<PluginParameter>>,
}

/// An environment variable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvEntry {
    /// Name of the variable, usually in upper case.
    pub name: String,
    /// Value of the variable.
    pub value: String,
}

/// A plugin parameter: a string, a map or an array, under a name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginParameter {
    /// Name of the parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Value of a string parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    /// Value of a map parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<BTreeMap<String, String>>,
    /// Value of an array parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array: Option<Vec<String>>,
}
