//! Turning pushes into refreshes, as Argo CD's webhook handler does: every Application a push
//! matches gets the `argocd.argoproj.io/refresh: normal` annotation, which wakes the Application
//! controller at once (it removes the annotation when it has refreshed).

use kube::api::{Api, ListParams, Patch, PatchParams};
use linnet_crds::application::Application;
use serde_json::json;
use tokio::sync::mpsc;

use super::{PushEvent, matches};
use crate::application::settings::REFRESH_ANNOTATION;

/// The Applications among `apps` that the push refreshes.
pub fn to_refresh<'a>(apps: &'a [Application], push: &PushEvent) -> Vec<&'a Application> {
    apps.iter().filter(|app| matches(app, push)).collect()
}

/// Annotates every Application the push matches, in `namespaces` or (with `None`) everywhere;
/// returns them as `namespace/name`. Stops at the first failed API call.
pub async fn refresh_matching(
    client: &kube::Client,
    push: &PushEvent,
    namespaces: Option<&[String]>,
) -> Result<Vec<String>, kube::Error> {
    let apis: Vec<Api<Application>> = match namespaces {
        None => vec![Api::all(client.clone())],
        Some(list) => list
            .iter()
            .map(|ns| Api::namespaced(client.clone(), ns))
            .collect(),
    };
    let patch = Patch::Merge(json!({"metadata": {"annotations": {REFRESH_ANNOTATION: "normal"}}}));
    let mut refreshed = Vec::new();
    for api in apis {
        let apps = api.list(&ListParams::default()).await?.items;
        for app in to_refresh(&apps, push) {
            let (Some(namespace), Some(name)) = (&app.metadata.namespace, &app.metadata.name) else {
                continue;
            };
            Api::<Application>::namespaced(client.clone(), namespace)
                .patch(name, &PatchParams::default(), &patch)
                .await?;
            refreshed.push(format!("{namespace}/{name}"));
        }
    }
    Ok(refreshed)
}

/// Refreshes the matching Applications for every push received, until the sender side closes.
/// A failed refresh is logged and the next push handled: polling catches up with it.
pub async fn run_refresher(
    client: kube::Client,
    mut pushes: mpsc::Receiver<PushEvent>,
    namespaces: Option<Vec<String>>,
) {
    while let Some(push) = pushes.recv().await {
        match refresh_matching(&client, &push, namespaces.as_deref()).await {
            Ok(apps) => tracing::info!(revision = push.revision.name(), ?apps, "refreshed on push"),
            Err(error) => tracing::warn!(%error, revision = push.revision.name(), "refresh on push failed"),
        }
    }
}
