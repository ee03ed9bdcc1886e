//! DELETE: preconditions, propagation policies, finalizers and `deletionTimestamp`.
//!
//! An object without finalizers goes at once; one with finalizers gets a `deletionTimestamp`
//! and stays until they are all removed. The garbage collector (`gc`) takes over from there.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::gc::{self, FOREGROUND, GcTask, ORPHAN};
use crate::meta;
use crate::registry::{ResourceDescriptor, ResourceId};
use crate::world::World;

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

/// The parts of `metav1.DeleteOptions` the sim honours (from the body or the query).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteOptions {
    pub propagation_policy: Option<Propagation>,
    pub orphan_dependents: Option<bool>,
    #[serde(default)]
    pub preconditions: Preconditions,
    #[serde(default)]
    pub dry_run: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preconditions {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

impl DeleteOptions {
    pub fn parse(body: &[u8]) -> Result<DeleteOptions, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(DeleteOptions::default());
        }
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid DeleteOptions: {e}")))
    }

    pub fn policy(&self) -> Propagation {
        match (self.propagation_policy, self.orphan_dependents) {
            (Some(policy), _) => policy,
            (None, Some(true)) => Propagation::Orphan,
            (None, _) => Propagation::Background,
        }
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run.iter().any(|d| d == "All")
    }
}

/// What a DELETE did.
#[derive(Debug)]
pub enum Deleted {
    /// The object waits for finalizers; here it is with its `deletionTimestamp`.
    Pending(Arc<Value>),
    /// The object is gone; this was its last state.
    Gone(Arc<Value>),
}

impl World {
    /// DELETE of one object.
    pub fn delete(
        &mut self,
        desc: &ResourceDescriptor,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let current = self
            .store
            .get(&desc.id(), namespace, name)
            .cloned()
            .ok_or_else(|| ApiError::NotFound(desc.subject(name)))?;
        check_preconditions(desc, &current, options)?;
        if options.is_dry_run() {
            let waits = !meta::finalizers(&current).is_empty() || desc.is_namespace();
            return Ok(if waits {
                Deleted::Pending(current)
            } else {
                Deleted::Gone(current)
            });
        }
        let outcome = self.begin_delete(&desc.id(), namespace, name, options.policy());
        self.settle();
        outcome.ok_or_else(|| ApiError::NotFound(desc.subject(name)))
    }

    /// Starts deleting an object: removes it, or marks it deleting when something must finish
    /// first. Used by DELETE and by the garbage collector.
    pub(crate) fn begin_delete(
        &mut self,
        resource: &ResourceId,
        namespace: &str,
        name: &str,
        policy: Propagation,
    ) -> Option<Deleted> {
        let current = self.store.get(resource, namespace, name)?.clone();
        if resource == &gc::namespaces_id() {
            return Some(self.begin_namespace_delete(&current, name));
        }
        let deleting = meta::is_deleting(&current);
        let mut finalizers = meta::finalizers(&current);
        let policy_finalizer = match policy {
            Propagation::Foreground => Some(FOREGROUND),
            Propagation::Orphan => Some(ORPHAN),
            Propagation::Background => None,
        };
        let mut added = false;
        if let Some(extra) = policy_finalizer
            && !finalizers.iter().any(|f| f == extra)
        {
            finalizers.push(extra.to_string());
            added = true;
        }
        if finalizers.is_empty() {
            return self
                .finish_removal(resource, namespace, name, None)
                .map(Deleted::Gone);
        }
        if deleting && !added {
            return Some(Deleted::Pending(current));
        }
        let mut object = (*current).clone();
        meta::set_finalizers(&mut object, &finalizers);
        if !deleting {
            let now = self.now();
            let generation = meta::generation(&current);
            let metadata = meta::meta_mut(&mut object);
            metadata.insert("deletionTimestamp".into(), json!(now));
            metadata.insert("deletionGracePeriodSeconds".into(), json!(0));
            if generation > 0 {
                metadata.insert("generation".into(), json!(generation + 1));
            }
        }
        let stored = self.store.write(resource, object);
        self.queue_check(&stored);
        Some(Deleted::Pending(stored))
    }

    /// Namespaces: mark Terminating, then delete everything inside; `gc` removes the namespace
    /// once it is empty.
    fn begin_namespace_delete(&mut self, current: &Arc<Value>, name: &str) -> Deleted {
        if meta::is_deleting(current) {
            return Deleted::Pending(current.clone());
        }
        let mut object = (**current).clone();
        let now = self.now();
        meta::meta_mut(&mut object).insert("deletionTimestamp".into(), json!(now));
        object["status"] = json!({"phase": "Terminating"});
        let stored = self.store.write(&gc::namespaces_id(), object);
        for (resource, (ns, object_name)) in self.store.keys_in_namespace(name) {
            self.begin_delete(&resource, &ns, &object_name, Propagation::Background);
        }
        self.queue_check(&stored);
        Deleted::Pending(stored)
    }

    /// Removes an object for good and queues the garbage collection that follows.
    pub(crate) fn finish_removal(
        &mut self,
        resource: &ResourceId,
        namespace: &str,
        name: &str,
        final_state: Option<Value>,
    ) -> Option<Arc<Value>> {
        let removed = self.store.remove(resource, namespace, name, final_state)?;
        if resource == &gc::crds_id() {
            self.registry.remove_crd(name);
        }
        self.pending_gc.push(GcTask::Removed {
            resource: resource.clone(),
            namespace: namespace.to_string(),
            uid: meta::meta_str(&removed, "uid").unwrap_or_default().to_string(),
            owners: crate::store::owner_uids(&removed),
        });
        Some(removed)
    }

    pub(crate) fn queue_check(&mut self, object: &Value) {
        if let Some(uid) = meta::meta_str(object, "uid") {
            self.pending_gc.push(GcTask::Check { uid: uid.to_string() });
        }
    }
}

fn check_preconditions(
    desc: &ResourceDescriptor,
    current: &Value,
    options: &DeleteOptions,
) -> Result<(), ApiError> {
    let name = meta::meta_str(current, "name").unwrap_or_default();
    let failed = |what: &str, wanted: &str, actual: &str| ApiError::Conflict {
        subject: desc.subject(name),
        detail: format!(
            "Precondition failed: {what} in precondition: {wanted}, {what} in object meta: {actual}"
        ),
    };
    if let Some(uid) = &options.preconditions.uid {
        let actual = meta::meta_str(current, "uid").unwrap_or_default();
        if uid != actual {
            return Err(failed("UID", uid, actual));
        }
    }
    if let Some(version) = &options.preconditions.resource_version {
        let actual = meta::meta_str(current, "resourceVersion").unwrap_or_default();
        if version != actual {
            return Err(failed("ResourceVersion", version, actual));
        }
    }
    Ok(())
}
