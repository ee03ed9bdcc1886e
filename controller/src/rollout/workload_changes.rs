//! Which events of a workload (a Deployment, ReplicaSet or PodTemplate; one filter per kind's
//! watch) can change what a `workloadRef` Rollout's pass reads: a pass reads the workload's
//! spec, generation and existence, never its status, so a status write (most of a busy
//! workload's events) wakes nobody: each wake costs a look through the Rollouts for those
//! naming it, and a pass and a GET of the workload for each of them.
//!
//! [`WorkloadChanges`] remembers the uid and generation last seen of each workload and passes
//! on those that are new, were created again, have a new generation or are gone; a relist (at
//! start-up, and after a dropped watch) reports all of its changes at its end, with the
//! workloads it no longer shows: deleted while the watch was down.

use std::collections::HashMap;

use kube::Resource;
use kube::runtime::watcher::Event;

/// A workload by (namespace, name).
pub type WorkloadKey = (String, String);

/// What is remembered of one workload.
#[derive(Debug)]
struct Seen {
    uid: String,
    generation: i64,
    /// The relist during which it was last shown.
    shown_in: u64,
}

/// The filter over one watch's events (see the module's notes).
#[derive(Debug, Default)]
pub struct WorkloadChanges {
    known: HashMap<WorkloadKey, Seen>,
    /// The relist under way or last done, counted from 0 (the watch's events before any); a
    /// workload a relist did not show is gone at its end.
    relist: u64,
    /// The workloads the relist under way has shown changed, reported at its end.
    relisted_changes: Vec<WorkloadKey>,
}

impl WorkloadChanges {
    /// The workloads `event` may have changed for a pass; those of a relist all at its end
    /// (one look at the Rollouts for all of them), with those it no longer shows.
    pub fn changed<K: Resource>(&mut self, event: &Event<K>) -> Vec<WorkloadKey> {
        match event {
            Event::Apply(object) => self.shown(object).into_iter().collect(),
            Event::Delete(object) => {
                let key = key_of(object);
                self.known.remove(&key);
                vec![key]
            }
            Event::Init => {
                self.relist += 1;
                self.relisted_changes.clear();
                Vec::new()
            }
            Event::InitApply(object) => {
                let changed = self.shown(object);
                self.relisted_changes.extend(changed);
                Vec::new()
            }
            Event::InitDone => {
                let current = self.relist;
                let mut changed = std::mem::take(&mut self.relisted_changes);
                self.known.retain(|key, seen| {
                    let shown = seen.shown_in == current;
                    if !shown {
                        changed.push(key.clone());
                    }
                    shown
                });
                changed
            }
        }
    }

    /// Records `object` as seen; returns its key when a pass would read something new. The
    /// usual event, a status write, changes only the relist it was last shown in.
    fn shown<K: Resource>(&mut self, object: &K) -> Option<WorkloadKey> {
        let meta = object.meta();
        let uid = meta.uid.as_deref().unwrap_or_default();
        let generation = meta.generation.unwrap_or(0);
        let key = key_of(object);
        if let Some(seen) = self.known.get_mut(&key)
            && seen.uid == uid
            && seen.generation == generation
        {
            seen.shown_in = self.relist;
            return None;
        }
        let seen = Seen {
            uid: uid.to_string(),
            generation,
            shown_in: self.relist,
        };
        self.known.insert(key.clone(), seen);
        Some(key)
    }
}

fn key_of<K: Resource>(object: &K) -> WorkloadKey {
    let meta = object.meta();
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::Deployment;
    use kube::api::ObjectMeta;

    use super::*;

    fn deployment(name: &str, uid: &str, generation: i64) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                uid: Some(uid.into()),
                generation: Some(generation),
                ..ObjectMeta::default()
            },
            ..Deployment::default()
        }
    }

    fn names(keys: Vec<WorkloadKey>) -> Vec<String> {
        keys.into_iter().map(|(_, name)| name).collect()
    }

    #[test]
    fn only_a_new_generation_a_new_object_or_a_deletion_is_a_change() {
        let mut changes = WorkloadChanges::default();
        let mut changed = |event: Event<Deployment>| names(changes.changed(&event));
        assert_eq!(
            changed(Event::Apply(deployment("web", "u1", 1))),
            ["web"],
            "first seen"
        );
        assert!(
            changed(Event::Apply(deployment("web", "u1", 1))).is_empty(),
            "a status write keeps the generation"
        );
        assert_eq!(
            changed(Event::Apply(deployment("web", "u1", 2))),
            ["web"],
            "a new template"
        );
        assert_eq!(changed(Event::Delete(deployment("web", "u1", 2))), ["web"]);
        assert_eq!(
            changed(Event::Apply(deployment("web", "u2", 2))),
            ["web"],
            "created again, whatever its generation"
        );
        assert_eq!(
            changed(Event::Apply(deployment("web", "u3", 2))),
            ["web"],
            "replaced while the watch missed the deletion"
        );
    }

    #[test]
    fn a_relist_reports_what_changed_while_the_watch_was_down_and_what_is_gone() {
        let mut changes = WorkloadChanges::default();
        for name in ["kept", "edited", "deleted"] {
            changes.changed(&Event::Apply(deployment(name, name, 1)));
        }
        for event in [
            Event::Init,
            Event::InitApply(deployment("kept", "kept", 1)),
            Event::InitApply(deployment("edited", "edited", 2)),
            Event::InitApply(deployment("new", "new", 1)),
        ] {
            assert!(changes.changed(&event).is_empty(), "reported at the relist's end");
        }
        assert_eq!(
            names(changes.changed(&Event::<Deployment>::InitDone)),
            ["edited", "new", "deleted"]
        );
        assert!(
            changes
                .changed(&Event::Apply(deployment("kept", "kept", 1)))
                .is_empty(),
            "still remembered after the relist"
        );
        assert_eq!(
            names(changes.changed(&Event::Apply(deployment("deleted", "deleted", 1)))),
            ["deleted"],
            "forgotten once gone"
        );
    }
}
