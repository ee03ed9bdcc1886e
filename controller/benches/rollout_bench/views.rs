//! Narrow views of the objects the benchmark and its stand-in watch: each reads a few fields,
//! and decoding only those (the rest of the JSON is skipped unread) keeps their CPU off the
//! cores the measured parties share.

use std::borrow::Cow;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use linnet_crds::rollout::{Rollout, RolloutStatus};
use serde::Deserialize;

/// A Rollout's metadata and status.
#[derive(Clone, Debug, Deserialize)]
pub struct RolloutView {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub status: Option<RolloutStatus>,
}

/// A ReplicaSet's metadata, wanted replicas and status.
#[derive(Clone, Debug, Deserialize)]
pub struct ReplicaSetView {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: Option<ReplicaSetSpecView>,
    pub status: Option<ReplicaSetStatus>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ReplicaSetSpecView {
    pub replicas: Option<i32>,
}

/// Implements `Resource` for a view as the kind it views.
macro_rules! view_of {
    ($view:ty, $kind:ty) => {
        impl Resource for $view {
            type DynamicType = ();
            type Scope = <$kind as Resource>::Scope;

            fn kind(dt: &()) -> Cow<'_, str> {
                <$kind>::kind(dt)
            }
            fn group(dt: &()) -> Cow<'_, str> {
                <$kind>::group(dt)
            }
            fn version(dt: &()) -> Cow<'_, str> {
                <$kind>::version(dt)
            }
            fn api_version(dt: &()) -> Cow<'_, str> {
                <$kind>::api_version(dt)
            }
            fn plural(dt: &()) -> Cow<'_, str> {
                <$kind>::plural(dt)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

view_of!(RolloutView, Rollout);
view_of!(ReplicaSetView, ReplicaSet);
