//! Round trips through the k8s-openapi types of built-in kinds.
//!
//! A typed decode ignores keys it does not know, so comparing the keys of what went in with what
//! came back names every unknown field; a decode error is a body of the wrong shape.

use k8s_openapi::api::{apps, autoscaling, batch, coordination, core, discovery, events, networking, rbac};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A built-in kind with a k8s-openapi type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedKind {
    Namespace,
    Pod,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    ServiceAccount,
    CoreEvent,
    PersistentVolumeClaim,
    EndpointSlice,
    EventsEvent,
    ReplicaSet,
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    Ingress,
    Lease,
    CustomResourceDefinition,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    HorizontalPodAutoscaler,
}

fn through<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, serde_json::Error> {
    let typed: T = serde_json::from_value(value.clone())?;
    serde_json::to_value(typed)
}

impl TypedKind {
    /// Decodes `value` as the typed struct and encodes it again.
    pub fn round_trip(self, value: &Value) -> Result<Value, serde_json::Error> {
        use TypedKind::*;
        match self {
            Namespace => through::<core::v1::Namespace>(value),
            Pod => through::<core::v1::Pod>(value),
            Service => through::<core::v1::Service>(value),
            Endpoints => through::<core::v1::Endpoints>(value),
            ConfigMap => through::<core::v1::ConfigMap>(value),
            Secret => through::<core::v1::Secret>(value),
            ServiceAccount => through::<core::v1::ServiceAccount>(value),
            CoreEvent => through::<core::v1::Event>(value),
            PersistentVolumeClaim => through::<core::v1::PersistentVolumeClaim>(value),
            EndpointSlice => through::<discovery::v1::EndpointSlice>(value),
            EventsEvent => through::<events::v1::Event>(value),
            ReplicaSet => through::<apps::v1::ReplicaSet>(value),
            Deployment => through::<apps::v1::Deployment>(value),
            StatefulSet => through::<apps::v1::StatefulSet>(value),
            DaemonSet => through::<apps::v1::DaemonSet>(value),
            Job => through::<batch::v1::Job>(value),
            Ingress => through::<networking::v1::Ingress>(value),
            Lease => through::<coordination::v1::Lease>(value),
            CustomResourceDefinition => through::<apiextensions::CustomResourceDefinition>(value),
            Role => through::<rbac::v1::Role>(value),
            ClusterRole => through::<rbac::v1::ClusterRole>(value),
            RoleBinding => through::<rbac::v1::RoleBinding>(value),
            ClusterRoleBinding => through::<rbac::v1::ClusterRoleBinding>(value),
            HorizontalPodAutoscaler => through::<autoscaling::v2::HorizontalPodAutoscaler>(value),
        }
    }
}

/// Dotted paths (`spec.foo`, `spec.containers[0].bar`) of keys in `original` that the typed round
/// trip dropped. Null values are skipped: a typed decode drops them without them being unknown.
pub fn unknown_fields(original: &Value, round_tripped: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_unknown(original, round_tripped, "", &mut found);
    found
}

fn collect_unknown(original: &Value, known: &Value, path: &str, found: &mut Vec<String>) {
    match (original, known) {
        (Value::Object(orig), Value::Object(kept)) => {
            for (key, value) in orig {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match kept.get(key) {
                    Some(kept_value) => collect_unknown(value, kept_value, &child, found),
                    None if value.is_null() => {}
                    None => found.push(child),
                }
            }
        }
        (Value::Array(orig), Value::Array(kept)) => {
            for (index, (value, kept_value)) in orig.iter().zip(kept).enumerate() {
                collect_unknown(value, kept_value, &format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

/// Removes the field at a path produced by [`unknown_fields`].
pub fn remove_path(value: &mut Value, path: &str) {
    let mut current = value;
    let segments = split_path(path);
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    for segment in parents {
        let next = match segment {
            Segment::Key(key) => current.get_mut(key.as_str()),
            Segment::Index(index) => current.get_mut(*index),
        };
        match next {
            Some(next) => current = next,
            None => return,
        }
    }
    if let (Segment::Key(key), Some(map)) = (last, current.as_object_mut()) {
        map.remove(key.as_str());
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

fn split_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            segments.push(Segment::Key(rest[..open].to_string()));
            rest = &rest[open..];
            while let Some(close) = rest.find(']') {
                if let Ok(index) = rest[1..close].parse() {
                    segments.push(Segment::Index(index));
                }
                rest = &rest[close + 1..];
            }
        } else {
            segments.push(Segment::Key(rest.to_string()));
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_and_removes_unknown_nested_fields() {
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "bogus": 1},
            "data": {"k": "v"}, "extra": {"x": 1}, "nothing": null});
        let back = TypedKind::ConfigMap.round_trip(&cm).unwrap_or_default();
        let unknown = unknown_fields(&cm, &back);
        assert_eq!(unknown, vec!["extra".to_string(), "metadata.bogus".to_string()]);
        for path in &unknown {
            remove_path(&mut cm, path);
        }
        assert_eq!(cm["metadata"], json!({"name": "a"}));
        assert!(cm.get("extra").is_none());
    }

    #[test]
    fn names_fields_inside_lists() {
        let pod = json!({"spec": {"containers": [{"name": "c", "image": "i", "colour": "red"}]}});
        let back = TypedKind::Pod.round_trip(&pod).unwrap_or_default();
        assert_eq!(
            unknown_fields(&pod, &back),
            vec!["spec.containers[0].colour".to_string()]
        );
        let mut pod = pod;
        remove_path(&mut pod, "spec.containers[0].colour");
        assert_eq!(pod["spec"]["containers"][0], json!({"name": "c", "image": "i"}));
    }

    #[test]
    fn wrong_shape_is_an_error() {
        assert!(
            TypedKind::Deployment
                .round_trip(&json!({"spec": {"replicas": "three"}}))
                .is_err()
        );
    }
}
