//! Resource identity and tracking: which object a manifest means, and which Application an object
//! in the cluster belongs to.
//!
//! Argo CD 3 tracks by annotation: `argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<ns>/<name>`
//! (the core group is empty, so a Service reads `guestbook:/Service:default/web`). The older
//! label method writes `app.kubernetes.io/instance: <app>`, cut to the 63 characters a label
//! value may hold.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sync::SyncError;
use crate::sync::object::{self, str_at};

/// The annotation Argo CD 3 writes on every object it manages.
pub const TRACKING_ID_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";
/// The label of the label tracking method.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// The most characters a label value may hold.
pub const LABEL_VALUE_MAX: usize = 63;

/// What identifies one resource in an application: the version is left out, since one object is
/// served under several versions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct ResourceKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ResourceKey {
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        ResourceKey {
            group: group.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The key of an object as written. A hook that only has `metadata.generateName` is keyed by
    /// that prefix until the caller names it. The namespace is the object's own: the caller sets
    /// the Application's destination namespace on namespaced objects before keying them.
    pub fn of(obj: &Value) -> Self {
        let name = str_at(obj, &["metadata", "name"])
            .or_else(|| str_at(obj, &["metadata", "generateName"]))
            .unwrap_or_default();
        ResourceKey {
            group: object::api_group(obj).into(),
            kind: object::kind(obj).into(),
            namespace: str_at(obj, &["metadata", "namespace"]).unwrap_or_default().into(),
            name: name.into(),
        }
    }
}

/// Reads like kubectl: `Deployment.apps default/web`, `Namespace team-a`.
impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if self.namespace.is_empty() {
            write!(f, " {}", self.name)
        } else {
            write!(f, " {}/{}", self.namespace, self.name)
        }
    }
}

/// The value of the tracking annotation: the owning Application and the object's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingId {
    pub app: String,
    pub key: ResourceKey,
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.key;
        write!(
            f,
            "{}:{}/{}:{}/{}",
            self.app, k.group, k.kind, k.namespace, k.name
        )
    }
}

impl FromStr for TrackingId {
    type Err = SyncError;

    /// The application name ends at the first `:`, the group/kind at the second; the rest is
    /// `namespace/name`, and a name may itself hold `:`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = || SyncError::InvalidTrackingId { value: value.into() };
        let mut parts = value.splitn(3, ':');
        let (Some(app), Some(group_kind), Some(namespace_name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let (group, kind) = split_exactly_once(group_kind, '/').ok_or_else(invalid)?;
        let (namespace, name) = split_exactly_once(namespace_name, '/').ok_or_else(invalid)?;
        Ok(TrackingId {
            app: app.into(),
            key: ResourceKey::new(group, kind, namespace, name),
        })
    }
}

fn split_exactly_once(text: &str, separator: char) -> Option<(&str, &str)> {
    let (head, tail) = text.split_once(separator)?;
    (!tail.contains(separator)).then_some((head, tail))
}

/// The tracking id an object carries, if any; `Some(Err)` when the annotation is malformed.
pub fn tracking_id(obj: &Value) -> Option<Result<TrackingId, SyncError>> {
    object::annotation(obj, TRACKING_ID_ANNOTATION).map(str::parse)
}

/// The value of `app.kubernetes.io/instance` for an application: at most 63 characters, and
/// never ending in a character a label value may not end with.
pub fn instance_label_value(app: &str) -> String {
    let mut value: String = app.chars().take(LABEL_VALUE_MAX).collect();
    while value.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        value.pop();
    }
    value
}

/// Checks that no two objects of a render share an identity, naming both when two do.
pub fn ensure_unique(objects: &[Value]) -> Result<(), SyncError> {
    let mut seen: BTreeMap<ResourceKey, usize> = BTreeMap::new();
    for (index, obj) in objects.iter().enumerate() {
        let key = ResourceKey::of(obj);
        if key.name.is_empty() {
            return Err(SyncError::MissingName {
                index,
                kind: key.kind,
            });
        }
        if let Some(&first) = seen.get(&key) {
            let api_version = |i: usize| {
                str_at(&objects[i], &["apiVersion"])
                    .unwrap_or_default()
                    .to_string()
            };
            return Err(SyncError::DuplicateResource {
                first_api_version: api_version(first),
                second_api_version: api_version(index),
                key: Box::new(key),
                first,
                second: index,
            });
        }
        seen.insert(key, index);
    }
    Ok(())
}
