//! Garbage collection and the system finalizers: owner references (Background, Foreground,
//! Orphan, matched by uid), namespace termination and CRD instance cleanup.
//!
//! It runs synchronously at the end of every write that removed or marked objects, so tests
//! see a settled cluster as soon as the request returns.

use std::sync::Arc;

use serde_json::Value;

use crate::deletion::Propagation;
use crate::meta;
use crate::registry::ResourceId;
use crate::store::owner_uids;
use crate::world::World;

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";
pub const CRD_CLEANUP: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Work the collector still has to look at.
#[derive(Debug, Clone)]
pub enum GcTask {
    /// An object is gone: its dependents may be orphaned, its owners may finish deleting.
    Removed {
        resource: ResourceId,
        namespace: String,
        uid: String,
        owners: Vec<String>,
    },
    /// An object is being deleted: see whether a system finalizer can act or be removed.
    Check { uid: String },
}

pub fn namespaces_id() -> ResourceId {
    ResourceId(Arc::from("/namespaces"))
}

pub fn crds_id() -> ResourceId {
    ResourceId(Arc::from("apiextensions.k8s.io/customresourcedefinitions"))
}

/// A namespace is held while `spec.finalizers` (the `kubernetes` finalizer) is not empty.
pub fn holds_namespace(object: &Value) -> bool {
    object
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty())
        && object.get("kind").and_then(Value::as_str) == Some("Namespace")
}

impl World {
    /// Runs queued collection work until nothing is left.
    pub fn settle(&mut self) {
        while let Some(task) = self.pending_gc.pop() {
            match task {
                GcTask::Removed {
                    resource,
                    namespace,
                    uid,
                    owners,
                } => {
                    self.collect_dependents(&uid);
                    for owner in owners {
                        self.pending_gc.push(GcTask::Check { uid: owner });
                    }
                    if !namespace.is_empty()
                        && let Some(ns) = self.store.get(&namespaces_id(), "", &namespace)
                    {
                        self.queue_check(&ns.clone());
                    }
                    self.check_owning_crd(&resource);
                }
                GcTask::Check { uid } => self.check_deleting(&uid),
            }
        }
    }

    /// Background deletion of dependents whose owners are all gone.
    fn collect_dependents(&mut self, uid: &str) {
        for (resource, (ns, name)) in self.store.dependents_of(uid) {
            let Some(dependent) = self.store.get(&resource, &ns, &name) else {
                continue;
            };
            let orphaned = owner_uids(dependent)
                .iter()
                .all(|owner| self.store.locate_uid(owner).is_none());
            if orphaned {
                self.begin_delete(&resource, &ns, &name, Propagation::Background);
            }
        }
    }

    fn check_owning_crd(&mut self, resource: &ResourceId) {
        let crd_name = self
            .registry
            .all()
            .find(|d| &d.id() == resource)
            .and_then(|d| d.crd_name.clone());
        if let Some(crd) = crd_name.and_then(|name| self.store.get(&crds_id(), "", &name).cloned())
            && meta::is_deleting(&crd)
        {
            self.queue_check(&crd);
        }
    }

    /// Acts on the system finalizers of a deleting object and removes it once none are left.
    fn check_deleting(&mut self, uid: &str) {
        let Some((resource, (ns, name))) = self.store.locate_uid(uid).cloned() else {
            return;
        };
        let Some(current) = self.store.get(&resource, &ns, &name).cloned() else {
            return;
        };
        if !meta::is_deleting(&current) {
            return;
        }
        let mut object = (*current).clone();
        let mut finalizers = meta::finalizers(&object);
        if finalizers.iter().any(|f| f == ORPHAN) {
            self.orphan_dependents(uid);
            finalizers.retain(|f| f != ORPHAN);
        }
        if finalizers.iter().any(|f| f == FOREGROUND) && self.foreground_done(uid) {
            finalizers.retain(|f| f != FOREGROUND);
        }
        if finalizers.iter().any(|f| f == CRD_CLEANUP) && self.crd_instances_gone(&name) {
            finalizers.retain(|f| f != CRD_CLEANUP);
        }
        if resource == namespaces_id() && self.store.keys_in_namespace(&name).is_empty() {
            object["spec"]["finalizers"] = Value::Array(Vec::new());
        }
        meta::set_finalizers(&mut object, &finalizers);
        if finalizers.is_empty() && !holds_namespace(&object) {
            self.finish_removal(&resource, &ns, &name, Some(object));
        } else if !meta::same_content(&current, &object) {
            self.store.write(&resource, object);
        }
    }

    /// Strips the owner's uid from its dependents' `ownerReferences`.
    fn orphan_dependents(&mut self, owner: &str) {
        for (resource, (ns, name)) in self.store.dependents_of(owner) {
            let Some(dependent) = self.store.get(&resource, &ns, &name) else {
                continue;
            };
            let mut dependent = (**dependent).clone();
            if let Some(refs) = dependent
                .pointer_mut("/metadata/ownerReferences")
                .and_then(Value::as_array_mut)
            {
                refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner));
                if refs.is_empty() {
                    meta::meta_mut(&mut dependent).remove("ownerReferences");
                }
            }
            self.store.write(&resource, dependent);
        }
    }

    /// Foreground: deletes the dependents; done once none that block the owner remain.
    fn foreground_done(&mut self, owner: &str) -> bool {
        let dependents = self.store.dependents_of(owner);
        for (resource, (ns, name)) in &dependents {
            let waiting = self
                .store
                .get(resource, ns, name)
                .is_some_and(|d| !meta::is_deleting(d));
            if waiting {
                self.begin_delete(resource, ns, name, Propagation::Foreground);
            }
        }
        self.store
            .dependents_of(owner)
            .iter()
            .all(|(resource, (ns, name))| {
                self.store
                    .get(resource, ns, name)
                    .is_none_or(|d| !blocks_owner(d, owner))
            })
    }

    /// CRD deletion: deletes every instance; done once none remain.
    fn crd_instances_gone(&mut self, crd_name: &str) -> bool {
        let resources: Vec<ResourceId> = self
            .registry
            .all()
            .filter(|d| d.crd_name.as_deref() == Some(crd_name))
            .map(|d| d.id())
            .collect();
        let mut remaining = false;
        for resource in resources {
            let keys: Vec<(String, String)> = self
                .store
                .list(&resource, None)
                .map(|o| crate::store::object_key(o))
                .collect();
            for (ns, name) in keys {
                self.begin_delete(&resource, &ns, &name, Propagation::Background);
                remaining |= self.store.get(&resource, &ns, &name).is_some();
            }
        }
        !remaining
    }
}

fn blocks_owner(dependent: &Value, owner: &str) -> bool {
    dependent
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            r.get("uid").and_then(Value::as_str) == Some(owner)
                && r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true)
        })
}
