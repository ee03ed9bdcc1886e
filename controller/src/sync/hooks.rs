//! Hooks and waves: the annotations that say when during a sync an object is applied.
//!
//! - `argocd.argoproj.io/hook`: comma-separated phases (PreSync, Sync, PostSync, SyncFail, Skip,
//!   PreDelete, PostDelete). `Skip` alone means "never apply this object".
//! - `helm.sh/hook` is honoured when there is no Argo CD hook annotation, mapped onto the same
//!   phases (`pre-install`/`pre-upgrade` → PreSync, `post-install`/`post-upgrade` → PostSync,
//!   `pre-delete` → PreDelete, `post-delete` → PostDelete); other Helm hooks (tests, rollbacks)
//!   mean nothing to a sync and are ignored.
//! - `argocd.argoproj.io/hook-delete-policy` and `helm.sh/hook-delete-policy` say when a hook is
//!   deleted; BeforeHookCreation when neither says.
//! - `argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, gives the wave (default 0).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sync::SyncError;
use crate::sync::identity::ResourceKey;
use crate::sync::object::annotation;

pub const HOOK_ANNOTATION: &str = "argocd.argoproj.io/hook";
pub const HOOK_DELETE_POLICY_ANNOTATION: &str = "argocd.argoproj.io/hook-delete-policy";
pub const SYNC_WAVE_ANNOTATION: &str = "argocd.argoproj.io/sync-wave";
pub const HELM_HOOK_ANNOTATION: &str = "helm.sh/hook";
pub const HELM_HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
pub const HELM_HOOK_DELETE_POLICY_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// Holds a hook object until its outcome has been recorded.
pub const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";

/// The phases of a sync operation, declared in the order they run. SyncFail runs only when the
/// operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SyncPhase {
    PreSync,
    Sync,
    PostSync,
    SyncFail,
}

/// A value of the hook annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HookType {
    PreSync,
    Sync,
    PostSync,
    SyncFail,
    Skip,
    PreDelete,
    PostDelete,
}

impl HookType {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "PreSync" => HookType::PreSync,
            "Sync" => HookType::Sync,
            "PostSync" => HookType::PostSync,
            "SyncFail" => HookType::SyncFail,
            "Skip" => HookType::Skip,
            "PreDelete" => HookType::PreDelete,
            "PostDelete" => HookType::PostDelete,
            _ => return None,
        })
    }

    fn from_helm(text: &str) -> Option<Self> {
        Some(match text {
            "pre-install" | "pre-upgrade" => HookType::PreSync,
            "post-install" | "post-upgrade" => HookType::PostSync,
            "pre-delete" => HookType::PreDelete,
            "post-delete" => HookType::PostDelete,
            _ => return None,
        })
    }

    /// The sync phase a hook of this type runs in; PreDelete and PostDelete run when the
    /// Application is deleted, not during a sync.
    pub fn sync_phase(self) -> Option<SyncPhase> {
        match self {
            HookType::PreSync => Some(SyncPhase::PreSync),
            HookType::Sync => Some(SyncPhase::Sync),
            HookType::PostSync => Some(SyncPhase::PostSync),
            HookType::SyncFail => Some(SyncPhase::SyncFail),
            HookType::Skip | HookType::PreDelete | HookType::PostDelete => None,
        }
    }
}

/// When a hook object is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeletePolicy {
    HookSucceeded,
    HookFailed,
    BeforeHookCreation,
}

impl DeletePolicy {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "HookSucceeded" => DeletePolicy::HookSucceeded,
            "HookFailed" => DeletePolicy::HookFailed,
            "BeforeHookCreation" => DeletePolicy::BeforeHookCreation,
            _ => return None,
        })
    }

    fn from_helm(text: &str) -> Option<Self> {
        Some(match text {
            "hook-succeeded" => DeletePolicy::HookSucceeded,
            "hook-failed" => DeletePolicy::HookFailed,
            "before-hook-creation" => DeletePolicy::BeforeHookCreation,
            _ => return None,
        })
    }
}

/// What a manifest is to a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// An ordinary resource, applied in the Sync phase and tracked for drift.
    Resource,
    /// Annotated `Skip`: never applied.
    Skipped,
    /// A hook: run in the given phases, deleted as its policies say.
    Hook {
        types: Vec<HookType>,
        delete_policies: Vec<DeletePolicy>,
    },
}

/// Reads an object's role. An Argo CD hook or delete-policy value linnet does not know is an
/// error rather than a silently ignored word.
pub fn role(obj: &Value) -> Result<Role, SyncError> {
    let types = hook_types(obj)?;
    if types.is_empty() {
        return Ok(Role::Resource);
    }
    if types == [HookType::Skip] {
        return Ok(Role::Skipped);
    }
    let types = types.into_iter().filter(|t| *t != HookType::Skip).collect();
    Ok(Role::Hook {
        types,
        delete_policies: delete_policies(obj)?,
    })
}

fn hook_types(obj: &Value) -> Result<Vec<HookType>, SyncError> {
    if let Some(text) = annotation(obj, HOOK_ANNOTATION) {
        return csv(text)
            .map(|word| HookType::parse(word).ok_or_else(|| unknown(obj, HOOK_ANNOTATION, word)))
            .collect();
    }
    let helm = annotation(obj, HELM_HOOK_ANNOTATION).unwrap_or_default();
    let mut types: Vec<HookType> = csv(helm).filter_map(HookType::from_helm).collect();
    types.dedup();
    Ok(types)
}

fn delete_policies(obj: &Value) -> Result<Vec<DeletePolicy>, SyncError> {
    let argo = annotation(obj, HOOK_DELETE_POLICY_ANNOTATION).unwrap_or_default();
    let mut policies = csv(argo)
        .map(|word| {
            DeletePolicy::parse(word).ok_or_else(|| unknown(obj, HOOK_DELETE_POLICY_ANNOTATION, word))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let helm = annotation(obj, HELM_HOOK_DELETE_POLICY_ANNOTATION).unwrap_or_default();
    for policy in csv(helm).filter_map(DeletePolicy::from_helm) {
        if !policies.contains(&policy) {
            policies.push(policy);
        }
    }
    if policies.is_empty() {
        policies.push(DeletePolicy::BeforeHookCreation);
    }
    Ok(policies)
}

/// The object's wave: `argocd.argoproj.io/sync-wave`, else `helm.sh/hook-weight`, else 0.
pub fn wave(obj: &Value) -> Result<i32, SyncError> {
    for key in [SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION] {
        if let Some(text) = annotation(obj, key) {
            return text.trim().parse().map_err(|_| SyncError::InvalidWave {
                object: Box::new(ResourceKey::of(obj)),
                annotation: key,
                value: text.into(),
            });
        }
    }
    Ok(0)
}

/// Gives a hook written with only `metadata.generateName` a name that is the same on every
/// reconcile of one operation and different in each phase: `<generateName><operation>-<phase>`,
/// lower-cased. Objects that already have a name are returned unchanged.
///
/// [`crate::sync::order::sync_order`] names hook tasks this way when given the id of the
/// operation (kept in the Application's status), so a restarted controller finds the hooks it
/// already created.
pub fn name_generated_hook(obj: &Value, operation_id: &str, phase: SyncPhase) -> Value {
    let metadata = obj.get("metadata");
    let has_name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let prefix = metadata
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str);
    let mut named = obj.clone();
    if let (false, Some(prefix), Some(metadata)) = (has_name, prefix, named.get_mut("metadata")) {
        let name = format!("{prefix}{operation_id}-{phase:?}").to_lowercase();
        metadata["name"] = Value::String(name);
    }
    named
}

/// The non-empty, trimmed words of a comma-separated annotation.
pub(crate) fn csv(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|word| !word.is_empty())
}

fn unknown(obj: &Value, annotation: &'static str, word: &str) -> SyncError {
    SyncError::UnknownAnnotationValue {
        object: Box::new(ResourceKey::of(obj)),
        annotation,
        value: word.into(),
    }
}
