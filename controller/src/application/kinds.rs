//! Which API resource serves a group, version and kind, and whether it is namespaced, found by
//! discovery and remembered. A kind that is not served yet (its CRD is still to be applied) is
//! looked up again next time rather than remembered as missing.

use std::collections::HashMap;
use std::sync::Mutex;

use kube::Client;
use kube::api::{ApiResource, GroupVersionKind};
use kube::discovery::{self, Scope};

/// A served kind.
#[derive(Debug, Clone)]
pub struct KindInfo {
    pub resource: ApiResource,
    pub namespaced: bool,
}

pub struct Kinds {
    client: Client,
    known: Mutex<HashMap<(String, String, String), KindInfo>>,
}

impl Kinds {
    pub fn new(client: Client) -> Kinds {
        Kinds {
            client,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The kind named by an `apiVersion` (`apps/v1`, `v1`) and `kind`.
    pub async fn lookup(&self, api_version: &str, kind: &str) -> Result<KindInfo, kube::Error> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let id = (group.to_string(), version.to_string(), kind.to_string());
        if let Some(found) = self.lock().get(&id) {
            return Ok(found.clone());
        }
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, capabilities) = discovery::pinned_kind(&self.client, &gvk).await?;
        let info = KindInfo {
            resource,
            namespaced: capabilities.scope == Scope::Namespaced,
        };
        self.lock().insert(id, info.clone());
        Ok(info)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String, String), KindInfo>> {
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
