//! Round trips through the k8s-openapi types of built-in kinds.
//!
//! A typed decode ignores keys it does not know, so comparing the keys of what went in with what
//! came back names every unknown field; a decode error is a body of the wrong shape. A decode
//! that passes over no key at all shows there is none to name, without the round trip.

use std::fmt::Write as _;

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
    PodTemplate,
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

/// Something done with a k8s-openapi type, chosen by [`TypedKind`].
trait TypedAction {
    type Output;
    fn run<T: DeserializeOwned + Serialize>(self) -> Self::Output;
}

/// Decodes a value and encodes it again.
struct RoundTrip<'a>(&'a Value);

impl TypedAction for RoundTrip<'_> {
    type Output = Result<Value, serde_json::Error>;

    fn run<T: DeserializeOwned + Serialize>(self) -> Self::Output {
        // Decoded from the borrowed value: no copy of the body is made to be consumed.
        serde_json::to_value(T::deserialize(self.0)?)
    }
}

/// Decodes a value, telling whether the decode passed over any key (an unknown field, or a
/// null one).
struct PassesOver<'a>(&'a Value);

impl TypedAction for PassesOver<'_> {
    type Output = Result<bool, serde_json::Error>;

    fn run<T: DeserializeOwned + Serialize>(self) -> Self::Output {
        let mut passed_over = false;
        let _: T = serde_ignored::deserialize(self.0, |_| passed_over = true)?;
        Ok(passed_over)
    }
}

impl TypedKind {
    /// `action` done with the k8s-openapi type of this kind.
    fn with_type<A: TypedAction>(self, action: A) -> A::Output {
        use TypedKind::*;
        match self {
            Namespace => action.run::<core::v1::Namespace>(),
            Pod => action.run::<core::v1::Pod>(),
            Service => action.run::<core::v1::Service>(),
            Endpoints => action.run::<core::v1::Endpoints>(),
            ConfigMap => action.run::<core::v1::ConfigMap>(),
            Secret => action.run::<core::v1::Secret>(),
            ServiceAccount => action.run::<core::v1::ServiceAccount>(),
            PodTemplate => action.run::<core::v1::PodTemplate>(),
            CoreEvent => action.run::<core::v1::Event>(),
            PersistentVolumeClaim => action.run::<core::v1::PersistentVolumeClaim>(),
            EndpointSlice => action.run::<discovery::v1::EndpointSlice>(),
            EventsEvent => action.run::<events::v1::Event>(),
            ReplicaSet => action.run::<apps::v1::ReplicaSet>(),
            Deployment => action.run::<apps::v1::Deployment>(),
            StatefulSet => action.run::<apps::v1::StatefulSet>(),
            DaemonSet => action.run::<apps::v1::DaemonSet>(),
            Job => action.run::<batch::v1::Job>(),
            Ingress => action.run::<networking::v1::Ingress>(),
            Lease => action.run::<coordination::v1::Lease>(),
            CustomResourceDefinition => action.run::<apiextensions::CustomResourceDefinition>(),
            Role => action.run::<rbac::v1::Role>(),
            ClusterRole => action.run::<rbac::v1::ClusterRole>(),
            RoleBinding => action.run::<rbac::v1::RoleBinding>(),
            ClusterRoleBinding => action.run::<rbac::v1::ClusterRoleBinding>(),
            HorizontalPodAutoscaler => action.run::<autoscaling::v2::HorizontalPodAutoscaler>(),
        }
    }

    /// Decodes `value` as the typed struct and encodes it again.
    pub fn round_trip(self, value: &Value) -> Result<Value, serde_json::Error> {
        self.with_type(RoundTrip(value))
    }

    /// Decodes `value` as the typed struct, telling whether the decode passed over any key.
    /// When it did not, [`TypedKind::round_trip`] drops nothing: no field is unknown.
    pub fn passes_over_keys(self, value: &Value) -> Result<bool, serde_json::Error> {
        self.with_type(PassesOver(value))
    }
}

/// Dotted paths (`spec.foo`, `spec.containers[0].bar`) of keys in `original` that the typed round
/// trip dropped. Null values are skipped: a typed decode drops them without them being unknown.
pub fn unknown_fields(original: &Value, round_tripped: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_unknown(original, round_tripped, &mut String::new(), &mut found);
    found
}

/// `path` is where `original` is, grown and cut back as the walk goes (only an unknown
/// field's path is copied).
fn collect_unknown(original: &Value, known: &Value, path: &mut String, found: &mut Vec<String>) {
    match (original, known) {
        (Value::Object(orig), Value::Object(kept)) => {
            for (key, value) in orig {
                let parent = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match kept.get(key) {
                    Some(kept_value) => collect_unknown(value, kept_value, path, found),
                    None if value.is_null() => {}
                    None => found.push(path.clone()),
                }
                path.truncate(parent);
            }
        }
        (Value::Array(orig), Value::Array(kept)) => {
            for (index, (value, kept_value)) in orig.iter().zip(kept).enumerate() {
                let parent = path.len();
                let _ = write!(path, "[{index}]");
                collect_unknown(value, kept_value, path, found);
                path.truncate(parent);
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

    fn replica_set() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-abc", "namespace": "ns", "labels": {"app": "web"},
                "annotations": {"rollout.argoproj.io/revision": "2"},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                    "name": "web", "uid": "u-1", "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": 2, "minReadySeconds": 0,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "app:2",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}}}],
                        "restartPolicy": "Always", "securityContext": {}}}},
            "status": {"replicas": 2, "readyReplicas": 2}})
    }

    /// Every object node of `value`, by JSON pointer.
    fn object_pointers(value: &Value, here: String, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    object_pointers(child, format!("{here}/{key}"), found);
                }
                found.push(here);
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    object_pointers(item, format!("{here}/{index}"), found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn a_body_of_known_fields_is_passed_over_nowhere() {
        let body = replica_set();
        assert_eq!(TypedKind::ReplicaSet.passes_over_keys(&body).ok(), Some(false));
        let back = TypedKind::ReplicaSet.round_trip(&body).unwrap_or_default();
        assert_eq!(unknown_fields(&body, &back), Vec::<String>::new());
    }

    #[test]
    fn an_unknown_key_anywhere_is_passed_over_and_then_named() {
        let mut pointers = Vec::new();
        object_pointers(&replica_set(), String::new(), &mut pointers);
        let mut named_somewhere = 0;
        for pointer in pointers {
            let mut body = replica_set();
            let Some(Value::Object(node)) = body.pointer_mut(&pointer) else {
                continue;
            };
            node.insert("zz-unknown".into(), json!("1"));
            let passed_over = TypedKind::ReplicaSet.passes_over_keys(&body);
            let Ok(back) = TypedKind::ReplicaSet.round_trip(&body) else {
                panic!("at {pointer}: the body no longer decodes");
            };
            let named = unknown_fields(&body, &back);
            // Maps of free keys (labels, resource requests) take any key: neither sees one.
            assert_eq!(
                passed_over.ok(),
                Some(!named.is_empty()),
                "at {pointer}: {named:?}"
            );
            named_somewhere += usize::from(!named.is_empty());
        }
        assert!(
            named_somewhere >= 15,
            "unknown keys named at only {named_somewhere} places"
        );
        let mut null_only = replica_set();
        null_only["spec"]["zz-unknown"] = Value::Null;
        assert_eq!(
            TypedKind::ReplicaSet.passes_over_keys(&null_only).ok(),
            Some(true)
        );
        let back = TypedKind::ReplicaSet.round_trip(&null_only).unwrap_or_default();
        assert_eq!(unknown_fields(&null_only, &back), Vec::<String>::new());
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
