//! The values the pure planner passes around: a render at one revision, the actions the executor
//! carries out, and the Events to record.

use linnet_crds::application::ApplicationSource;
use serde_json::Value;

use crate::sync::ResourceKey;
use crate::sync::hooks::SyncPhase;

/// The manifests of a source at one commit, namespaces already set on namespaced objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub revision: String,
    pub source: ApplicationSource,
    pub objects: Vec<Value>,
}

/// One change to the cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Server-side apply (or replace) of `object`, which already carries its tracking id.
    Apply {
        key: ResourceKey,
        phase: SyncPhase,
        object: Value,
        /// `Replace=true`: PUT the object (create it if missing) instead of applying it.
        replace: bool,
        /// `ServerSideApply=true`: take over conflicting fields at once, as Argo CD's
        /// `--force-conflicts` does; otherwise only after a first apply met a conflict.
        force_conflicts: bool,
        /// `Validate=false` turns field validation off.
        validate: bool,
    },
    /// Delete a live object: pruned, a hook's delete policy, or the Application's deletion.
    Delete {
        key: ResourceKey,
        phase: SyncPhase,
        api_version: String,
        why: DeleteReason,
    },
    /// `CreateNamespace=true`: the destination namespace, created before anything else.
    CreateNamespace { name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteReason {
    Prune,
    HookPolicy,
    BeforeHookCreation,
    Cascade,
}

impl Action {
    /// The resource the action concerns, if any.
    pub fn key(&self) -> Option<&ResourceKey> {
        match self {
            Action::Apply { key, .. } | Action::Delete { key, .. } => Some(key),
            Action::CreateNamespace { .. } => None,
        }
    }
}

/// An action the executor could not carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFailure {
    pub action: Action,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

/// An Event to record on the Application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEvent {
    pub type_: EventType,
    pub reason: &'static str,
    pub message: String,
}

impl PlannedEvent {
    pub fn normal(reason: &'static str, message: impl Into<String>) -> Self {
        PlannedEvent {
            type_: EventType::Normal,
            reason,
            message: message.into(),
        }
    }

    pub fn warning(reason: &'static str, message: impl Into<String>) -> Self {
        PlannedEvent {
            type_: EventType::Warning,
            reason,
            message: message.into(),
        }
    }
}
