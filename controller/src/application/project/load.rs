//! Reading projects from the cluster: the one I/O step before the pure checks.

use kube::api::{Api, ListParams};
use linnet_crds::application::AppProject;

/// The AppProjects in `namespace` (Argo CD keeps them in its control-plane namespace). When the
/// AppProject CRD is not installed there are none, and [`super::find_project`] then falls back to
/// the permissive `default`.
pub async fn load_projects(client: &kube::Client, namespace: &str) -> Result<Vec<AppProject>, kube::Error> {
    let api: Api<AppProject> = Api::namespaced(client.clone(), namespace);
    match api.list(&ListParams::default()).await {
        Ok(list) => Ok(list.items),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}
