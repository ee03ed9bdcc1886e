//! The I/O of `linnet rollout`: reads Rollouts and their ReplicaSets, and sends the patches the
//! pure builders made, with field manager `linnet`.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{PodTemplate, PodTemplateSpec};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use linnet_controller::rollout::observe::workload::WorkloadKind;
use linnet_crds::rollout::Rollout;
use serde_json::Value;

use super::error::OpError;
use super::patches::MergePatches;
use super::template::TemplateHome;

const FIELD_MANAGER: &str = "linnet";

/// The Rollouts of one namespace in one cluster.
pub struct Rollouts {
    client: Client,
    namespace: String,
    api: Api<Rollout>,
}

/// A client from `--kubeconfig`, else as kube reads `KUBECONFIG` (or in-cluster config); the
/// namespace from `-n`, else the kubeconfig context's, else `default`.
pub async fn connect(kubeconfig: Option<&Path>, namespace: Option<String>) -> anyhow::Result<Rollouts> {
    let config = match kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| anyhow::anyhow!("cannot read kubeconfig {}: {e}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?
        }
        None => Config::infer().await.map_err(|e| {
            anyhow::anyhow!("cannot find a cluster (KUBECONFIG, ~/.kube/config or in-cluster): {e}")
        })?,
    };
    let namespace = namespace.unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config)?;
    let api = Api::namespaced(client.clone(), &namespace);
    Ok(Rollouts {
        client,
        namespace,
        api,
    })
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    }
}

impl Rollouts {
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// A 404 on a Rollout is [`OpError::NotFound`]; anything else says what was being done.
    fn api_error(&self, action: &str, name: &str, source: kube::Error) -> OpError {
        match &source {
            kube::Error::Api(status) if status.code == 404 => OpError::NotFound {
                name: name.to_string(),
                namespace: self.namespace.clone(),
            },
            _ => OpError::Api {
                action: format!("{action} Rollout {name}"),
                source,
            },
        }
    }

    fn list_error(&self, what: &str, source: kube::Error) -> OpError {
        OpError::Api {
            action: format!("cannot list {what} in namespace {}", self.namespace),
            source,
        }
    }

    pub async fn get(&self, name: &str) -> Result<Rollout, OpError> {
        self.api
            .get(name)
            .await
            .map_err(|e| self.api_error("cannot read", name, e))
    }

    pub async fn list(&self) -> Result<Vec<Rollout>, OpError> {
        let list = self
            .api
            .list(&ListParams::default())
            .await
            .map_err(|e| self.list_error("Rollouts", e))?;
        Ok(list.items)
    }

    pub async fn replica_sets(&self) -> Result<Vec<ReplicaSet>, OpError> {
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &self.namespace);
        let list = api
            .list(&ListParams::default())
            .await
            .map_err(|e| self.list_error("ReplicaSets", e))?;
        Ok(list.items)
    }

    /// Sends the status patch (to the status subresource) first, then the spec patch, as
    /// Argo's plugin does.
    pub async fn send(&self, name: &str, patches: &MergePatches) -> Result<(), OpError> {
        if let Some(status) = &patches.status {
            self.api
                .patch_status(name, &params(), &Patch::Merge(status))
                .await
                .map_err(|e| self.api_error("cannot patch the status of", name, e))?;
        }
        if let Some(spec) = &patches.spec {
            self.api
                .patch(name, &params(), &Patch::Merge(spec))
                .await
                .map_err(|e| self.api_error("cannot patch", name, e))?;
        }
        Ok(())
    }

    /// The pod template where it lives (`home`), for Rollout `rollout`.
    pub async fn template(
        &self,
        rollout: &Rollout,
        home: &TemplateHome,
    ) -> Result<Option<PodTemplateSpec>, OpError> {
        let TemplateHome::Workload { kind, name } = home else {
            return Ok(rollout.spec.template.clone());
        };
        let template = match kind {
            WorkloadKind::Deployment => self.read::<Deployment>(name).await?.spec.map(|s| s.template),
            WorkloadKind::ReplicaSet => self.read::<ReplicaSet>(name).await?.spec.and_then(|s| s.template),
            WorkloadKind::PodTemplate => self.read::<PodTemplate>(name).await?.template,
        };
        Ok(template)
    }

    /// The workload `name` of kind `K`, in the namespace.
    async fn read<K>(&self, name: &str) -> Result<K, OpError>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + k8s_openapi::serde::de::DeserializeOwned
            + Clone
            + std::fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), &self.namespace);
        api.get(name).await.map_err(|source| OpError::Api {
            action: format!("cannot read {} {name}", K::kind(&())),
            source,
        })
    }

    /// Sends a JSON patch of `/spec/template` to where the template lives: Rollout `name`, or
    /// the workload it references (at `/template` in a PodTemplate).
    pub async fn send_template_patch(
        &self,
        name: &str,
        home: &TemplateHome,
        patch: Value,
    ) -> Result<(), OpError> {
        let TemplateHome::Workload { kind, name: workload } = home else {
            return self.send_json_patch(name, patch).await;
        };
        let patch: json_patch::Patch =
            serde_json::from_value(home.relocate(patch)).map_err(|e| OpError::BadPatch {
                name: workload.clone(),
                reason: e.to_string(),
            })?;
        match kind {
            WorkloadKind::Deployment => self.patch_workload::<Deployment>(workload, patch).await,
            WorkloadKind::ReplicaSet => self.patch_workload::<ReplicaSet>(workload, patch).await,
            WorkloadKind::PodTemplate => self.patch_workload::<PodTemplate>(workload, patch).await,
        }
    }

    async fn patch_workload<K>(&self, name: &str, patch: json_patch::Patch) -> Result<(), OpError>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + k8s_openapi::serde::de::DeserializeOwned
            + Clone
            + std::fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), &self.namespace);
        api.patch(name, &params(), &Patch::<()>::Json(patch))
            .await
            .map_err(|source| OpError::Api {
                action: format!("cannot patch {} {name}", K::kind(&())),
                source,
            })?;
        Ok(())
    }

    pub async fn send_json_patch(&self, name: &str, patch: Value) -> Result<(), OpError> {
        let patch: json_patch::Patch = serde_json::from_value(patch).map_err(|e| OpError::BadPatch {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        self.api
            .patch(name, &params(), &Patch::<()>::Json(patch))
            .await
            .map_err(|e| self.api_error("cannot patch", name, e))?;
        Ok(())
    }
}

/// How often `status --watch` reads the Rollout again.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);
