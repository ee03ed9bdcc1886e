//! The objects a Rollout manages, built as data: its ReplicaSets (named by Argo Rollouts' pod
//! template hash, so ReplicaSets Argo created are adopted), the selector patches of its
//! Services, and the edits of the traffic routes that split requests between stable and canary.
//!
//! Everything here is pure: functions take the Rollout and the live objects and return the new
//! object or the patch to send. The executor decides when to call them and performs the writes.

mod go_json;
mod go_json_fields;
mod go_json_steps;
mod go_json_volumes;
pub mod hash;
mod quantity;
pub mod replicaset;
pub mod service;
pub mod template_match;
pub mod traffic;

#[cfg(test)]
mod go_json_tests;

pub use go_json::GoJsonError;
pub use hash::{canary_steps_hash, pod_template_hash, step_hash};
pub use replicaset::{
    NewReplicaSet, ReplicaSetRole, new_replica_set, pod_role_metadata_patch, replica_set_name,
    replica_sets_to_delete, role_metadata_applied, role_metadata_patch, scale_down_deadline,
    scale_down_deadline_patch,
};
pub use service::{check_service_owner, remove_selector_patch, selected_hash, set_selector_patch};

/// Label on ReplicaSets, their pods and the Services' selectors naming the pod template hash.
pub const POD_TEMPLATE_HASH_LABEL: &str = "rollouts-pod-template-hash";
/// ReplicaSet annotation: the Rollout revision the ReplicaSet belongs to.
pub const REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";
/// ReplicaSet annotation: `spec.replicas` of the Rollout when the ReplicaSet was written.
pub const DESIRED_REPLICAS_ANNOTATION: &str = "rollout.argoproj.io/desired-replicas";
/// ReplicaSet annotation: when a scaled-down-later ReplicaSet may be scaled to zero (RFC 3339).
/// Argo uses this bare key, without a prefix.
pub const SCALE_DOWN_DEADLINE_ANNOTATION: &str = "scale-down-deadline";
/// Annotation on Services and routes the controller edits, naming the Rollout.
pub const MANAGED_BY_ANNOTATION: &str = "argo-rollouts.argoproj.io/managed-by-rollouts";

/// Why an object could not be built or edited.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObjectError {
    /// A typed object could not be turned into JSON.
    #[error("cannot serialize {what}: {reason}")]
    Serialize { what: &'static str, reason: String },
    /// The Go encoding behind a hash failed.
    #[error("cannot hash {field} as Argo Rollouts does: {source}")]
    GoEncoding {
        field: &'static str,
        #[source]
        source: GoJsonError,
    },
    /// The Rollout lacks a field the object needs.
    #[error("Rollout {rollout}: {field} is not set")]
    MissingRolloutField { rollout: String, field: &'static str },
    /// A traffic router plugin's configuration does not have the plugin's shape.
    #[error("Rollout {rollout}: trafficRouting.plugins[{plugin}]: {reason}")]
    InvalidPluginConfig {
        rollout: String,
        plugin: &'static str,
        reason: String,
    },
    /// A traffic router's settings in the Rollout are out of range.
    #[error("{field}: {reason}")]
    InvalidRouterConfig { field: &'static str, reason: String },
    /// A route object lacks a field the edit needs.
    #[error("{kind} {name}: {field} is missing or has the wrong shape")]
    MissingRouteField {
        kind: &'static str,
        name: String,
        field: String,
    },
    /// A route named in the Rollout is not in the route object.
    #[error("{kind} {name}: no route named {route:?}")]
    RouteNotFound {
        kind: &'static str,
        name: String,
        route: String,
    },
    /// The Service is already managed by another Rollout.
    #[error("Service {service} is managed by Rollout {owner}, not {rollout}")]
    ServiceOwnedByOther {
        service: String,
        owner: String,
        rollout: String,
    },
    /// The edit is valid in Argo Rollouts but not implemented here.
    #[error("{kind} {name}: {what} is not supported yet")]
    Unsupported {
        kind: &'static str,
        name: String,
        what: String,
    },
}
