//! Writes whose answer the controller reads only the resourceVersion of. kube's typed calls
//! build the whole answered object (a ReplicaSet's pod template, a Rollout's spec, every
//! `managedFields` entry) to hand it back; these let the parser skip all of it, which keeps
//! that work off the path between a pass's writes.

use kube::api::{Patch, PatchParams, PostParams};
use kube::core::Request;
use kube::{Client, Resource};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The one member of an answer that is read.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    metadata: AnswerMetadata,
}

#[derive(Default, Deserialize)]
struct AnswerMetadata {
    #[serde(rename = "resourceVersion")]
    resource_version: Option<String>,
}

/// Creates `object` in `namespace`; the resourceVersion it was created at.
///
/// # Errors
/// As `Api::create`: the API's refusal (`kube::Error::Api`, with its code), or a transport error.
pub async fn create<K>(client: &Client, namespace: &str, object: &K) -> Result<Option<String>, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize,
{
    let body = serde_json::to_vec(object).map_err(kube::Error::SerdeError)?;
    let mut request = Request::new(K::url_path(&(), Some(namespace)))
        .create(&PostParams::default(), body)
        .map_err(kube::Error::BuildRequest)?;
    request.extensions_mut().insert("create");
    let answer: Answer = client.request(request).await?;
    Ok(answer.metadata.resource_version)
}

/// Patches `name` in `namespace` (its `subresource` when given); the resourceVersion written.
///
/// # Errors
/// As `Api::patch`: the API's refusal (`kube::Error::Api`, with its code), or a transport error.
pub async fn patch<K>(
    client: &Client,
    namespace: &str,
    name: &str,
    subresource: Option<&str>,
    patch: &Patch<Value>,
) -> Result<Option<String>, kube::Error>
where
    K: Resource<DynamicType = ()>,
{
    let request = Request::new(K::url_path(&(), Some(namespace)));
    let params = PatchParams::default();
    let mut request = match subresource {
        Some(subresource) => request.patch_subresource(subresource, name, &params, patch),
        None => request.patch(name, &params, patch),
    }
    .map_err(kube::Error::BuildRequest)?;
    request.extensions_mut().insert("patch");
    let answer: Answer = client.request(request).await?;
    Ok(answer.metadata.resource_version)
}
