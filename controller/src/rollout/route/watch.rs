//! Wakes the Rollouts that name a route object whenever that object changes, so a hand edit of
//! a router's weights is put back, and a Rollout waiting for a missing route goes on, at once
//! rather than at its next pass. One watch per kind of route object; a kind whose API the
//! cluster does not serve yet is looked for again every [`REDISCOVER`].

use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc::UnboundedSender;
use kube::api::{Api, DynamicObject};
use kube::core::ApiResource;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use linnet_crds::rollout::Rollout;
use tracing::debug;

use super::api;
use super::refs::{RouteObjectKind, names_route};

/// How often the served APIs are read again while a route kind is not served.
pub const REDISCOVER: Duration = Duration::from_secs(10);

/// Watches every kind of route object (in `namespace`, or everywhere) and sends the Rollouts
/// that name a changed object to `wake`. Runs until `wake` is closed.
pub async fn wake_on_route_changes(
    client: Client,
    namespace: Option<String>,
    rollouts: Store<Rollout>,
    wake: UnboundedSender<ObjectRef<Rollout>>,
) {
    let watches = RouteObjectKind::ALL.map(|kind| {
        watch_kind(
            client.clone(),
            namespace.clone(),
            rollouts.clone(),
            wake.clone(),
            kind,
        )
    });
    futures::future::join_all(watches).await;
}

async fn watch_kind(
    client: Client,
    namespace: Option<String>,
    rollouts: Store<Rollout>,
    wake: UnboundedSender<ObjectRef<Rollout>>,
    kind: RouteObjectKind,
) {
    let resource = loop {
        if let Some(resource) = served(&client, kind).await {
            break resource;
        }
        tokio::time::sleep(REDISCOVER).await;
    };
    let api: Api<DynamicObject> = match &namespace {
        Some(namespace) => Api::namespaced_with(client, namespace, &resource),
        None => Api::all_with(client, &resource),
    };
    let mut changed = watcher(api, watcher::Config::default())
        .default_backoff()
        .touched_objects()
        .boxed();
    while let Some(object) = changed.next().await {
        let object = match object {
            Ok(object) => object,
            Err(error) => {
                debug!(kind = kind.name(), %error, "route watch failed; retrying");
                continue;
            }
        };
        let (object_namespace, name) = (object.namespace().unwrap_or_default(), object.name_any());
        for rollout in rollouts.state() {
            if names_route(&rollout, kind, &object_namespace, &name)
                && wake
                    .unbounded_send(ObjectRef::from_obj(rollout.as_ref()))
                    .is_err()
            {
                return;
            }
        }
    }
}

/// The kind's API at a version linnet knows, when the cluster serves it.
async fn served(client: &Client, kind: RouteObjectKind) -> Option<ApiResource> {
    let Some(custom) = kind.custom() else {
        return Some(api::ingress());
    };
    match api::groups(client).await {
        Ok(groups) => api::served(&groups, custom),
        Err(error) => {
            debug!(kind = kind.name(), %error, "cannot list the served API groups");
            None
        }
    }
}
