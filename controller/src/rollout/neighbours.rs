//! Rollouts of one namespace whose pods overlap: one's selector selects the other's pod
//! template labels. Observation lists a Rollout's overlapping neighbours for the planner (which
//! reports the one that came later as invalid); a change to one Rollout wakes the neighbours
//! whose verdict it may change.
//!
//! [`Neighbourhood`] is fed by the Rollout watch and indexed by label, so that finding the
//! neighbours of one Rollout looks only at Rollouts that share a label with it, not at every
//! Rollout the controller knows: it runs on every Rollout event and every pass.
//!
//! A Rollout that takes its template from a workload (`spec.workloadRef`) has no labels in
//! what the watch brings: each pass records what it resolved ([`Neighbourhood::resolved`]),
//! and the watch's later copies keep that while they name the same workload.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{OnceLock, PoisonError, RwLock};

use futures::channel::mpsc::UnboundedSender;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use linnet_crds::rollout::{Rollout, RolloutConditionType, selects};

use super::plan::OverlappingRollout;

/// What the index keeps of one Rollout.
#[derive(Clone, Debug)]
struct Member {
    name: String,
    namespace: String,
    created: Option<Timestamp>,
    selector: Option<LabelSelector>,
    labels: BTreeMap<String, String>,
    /// The message of its InvalidSpec condition, when it has one.
    invalid: Option<String>,
    /// The (kind, name) of the workload its labels and selector were resolved from.
    workload: Option<(String, String)>,
    /// The relist during which it was last seen.
    seen_in: u64,
}

impl Member {
    fn of(rollout: &Rollout, seen_in: u64) -> Member {
        let invalid = rollout
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == RolloutConditionType::InvalidSpec)
            .map(|c| c.message.clone());
        Member {
            name: rollout.name_any(),
            namespace: rollout.namespace().unwrap_or_default(),
            created: rollout.metadata.creation_timestamp.as_ref().map(|t| t.0),
            selector: rollout.spec.selector.clone(),
            labels: pod_labels(rollout),
            invalid,
            workload: None,
            seen_in,
        }
    }

    /// Keeps what a pass resolved of `old` while `rollout` still takes its template from the
    /// same workload (a selector of the Rollout's own still wins).
    fn keep_resolution(&mut self, old: &Member, rollout: &Rollout) {
        if rollout.spec.template.is_none() && old.workload.is_some() && workload_of(rollout) == old.workload {
            self.labels = old.labels.clone();
            self.selector = self.selector.take().or_else(|| old.selector.clone());
            self.workload = old.workload.clone();
        }
    }

    /// Whether both select and carry the same labels, from the same workload.
    fn same_pods(&self, other: &Member) -> bool {
        self.labels == other.labels && self.selector == other.selector && self.workload == other.workload
    }

    /// Whether this member's selector selects `other`'s pods. Without a template (no labels
    /// here) a Rollout has no pods of its own to be selected.
    fn selects_pods_of(&self, other: &Member) -> bool {
        self.selector
            .as_ref()
            .is_some_and(|selector| !other.labels.is_empty() && selects(selector, &other.labels))
    }

    /// The `matchLabels` entry the index files this member's selector under; `None` for a
    /// selector without one (looked at for every Rollout of the namespace).
    fn selector_key(&self) -> Option<LabelKey> {
        let (key, value) = self.selector.as_ref()?.match_labels.as_ref()?.iter().next()?;
        Some((self.namespace.clone(), key.clone(), value.clone()))
    }

    fn label_keys(&self) -> impl Iterator<Item = LabelKey> + '_ {
        self.labels
            .iter()
            .map(|(k, v)| (self.namespace.clone(), k.clone(), v.clone()))
    }
}

/// (namespace, label key, label value).
type LabelKey = (String, String, String);

#[derive(Default)]
struct Index {
    /// By uid.
    members: HashMap<String, Member>,
    /// Template label → the uids of the Rollouts whose pods carry it.
    by_label: HashMap<LabelKey, HashSet<String>>,
    /// First `matchLabels` entry → the uids of the Rollouts whose selector has it.
    by_selector: HashMap<LabelKey, HashSet<String>>,
    /// Per namespace: Rollouts whose selector has no `matchLabels`, or that are invalid.
    unindexed: HashMap<String, HashSet<String>>,
    /// Per namespace: every Rollout (for a selector without `matchLabels`, which is rare).
    by_namespace: HashMap<String, HashSet<String>>,
    relist: u64,
}

impl Index {
    fn insert(&mut self, uid: &str, member: Member) {
        self.remove(uid);
        for key in member.label_keys() {
            self.by_label.entry(key).or_default().insert(uid.to_string());
        }
        match member.selector_key() {
            Some(key) => {
                self.by_selector.entry(key).or_default().insert(uid.to_string());
            }
            None => {
                self.unindexed
                    .entry(member.namespace.clone())
                    .or_default()
                    .insert(uid.to_string());
            }
        }
        if member.invalid.is_some() {
            self.unindexed
                .entry(member.namespace.clone())
                .or_default()
                .insert(uid.to_string());
        }
        self.by_namespace
            .entry(member.namespace.clone())
            .or_default()
            .insert(uid.to_string());
        self.members.insert(uid.to_string(), member);
    }

    fn remove(&mut self, uid: &str) {
        let Some(old) = self.members.remove(uid) else {
            return;
        };
        for key in old.label_keys() {
            forget(&mut self.by_label, &key, uid);
        }
        if let Some(key) = old.selector_key() {
            forget(&mut self.by_selector, &key, uid);
        }
        forget(&mut self.unindexed, &old.namespace, uid);
        forget(&mut self.by_namespace, &old.namespace, uid);
    }

    /// The uids of the Rollouts that may overlap `member` or name it: those that share a label
    /// it selects by or that select by one of its labels, and the unindexed ones.
    fn candidates(&self, member: &Member) -> HashSet<&str> {
        let mut sets: Vec<Option<&HashSet<String>>> = vec![match member.selector_key() {
            Some(key) => self.by_label.get(&key),
            None => self.by_namespace.get(&member.namespace),
        }];
        sets.extend(member.label_keys().map(|key| self.by_selector.get(&key)));
        sets.push(self.unindexed.get(&member.namespace));
        sets.into_iter().flatten().flatten().map(String::as_str).collect()
    }

    fn overlapping(&self, uid: &str, member: &Member) -> Vec<OverlappingRollout> {
        let mut found: Vec<OverlappingRollout> = self
            .candidates(member)
            .into_iter()
            .filter(|other_uid| *other_uid != uid)
            .filter_map(|other_uid| self.members.get(other_uid))
            .filter_map(|other| {
                let selected_by_us = member.selects_pods_of(other);
                let selects_ours = other.selects_pods_of(member);
                (selected_by_us || selects_ours).then(|| OverlappingRollout {
                    name: other.name.clone(),
                    created: other.created,
                    selected_by_us,
                    selects_ours,
                })
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }

    fn to_wake(&self, uid: &str, member: &Member) -> Vec<ObjectRef<Rollout>> {
        let named = format!("Rollout \"{}\"", member.name);
        let mut woken: Vec<ObjectRef<Rollout>> = self
            .candidates(member)
            .into_iter()
            .filter(|other_uid| *other_uid != uid)
            .filter_map(|other_uid| self.members.get(other_uid))
            .filter(|other| {
                member.selects_pods_of(other)
                    || other.selects_pods_of(member)
                    || other.invalid.as_deref().is_some_and(|m| m.contains(&named))
            })
            .map(|other| ObjectRef::new(&other.name).within(&other.namespace))
            .collect();
        woken.sort_by(|a, b| a.name.cmp(&b.name));
        woken
    }
}

/// The labels of `rollout`'s pod template.
fn pod_labels(rollout: &Rollout) -> BTreeMap<String, String> {
    rollout
        .spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// The (kind, name) of the workload `rollout` takes its template from.
fn workload_of(rollout: &Rollout) -> Option<(String, String)> {
    let reference = rollout.spec.workload_ref.as_ref()?;
    let name = reference.name.clone().filter(|n| !n.is_empty())?;
    Some((reference.kind.clone().unwrap_or_default(), name))
}

/// Removes `uid` from the set under `key`, and the set when it is left empty.
fn forget<K: std::hash::Hash + Eq>(map: &mut HashMap<K, HashSet<String>>, key: &K, uid: &str) {
    if let Some(uids) = map.get_mut(key) {
        uids.remove(uid);
        if uids.is_empty() {
            map.remove(key);
        }
    }
}

/// The controller's Rollouts, indexed by the labels their selectors and templates use.
#[derive(Default)]
pub struct Neighbourhood {
    index: RwLock<Index>,
    /// Where [`Neighbourhood::resolved`] sends the Rollouts it wakes (a pass, not the watch,
    /// learns a workload's labels).
    waker: OnceLock<UnboundedSender<ObjectRef<Rollout>>>,
}

impl Neighbourhood {
    /// Sets where the Rollouts that a resolved workload concerns are sent to be planned again.
    pub fn wake_through(&self, sender: UnboundedSender<ObjectRef<Rollout>>) {
        let _ = self.waker.set(sender);
    }

    /// Records `rollout` as it is now; returns the Rollouts to plan again because of it.
    pub fn applied(&self, rollout: &Rollout) -> Vec<ObjectRef<Rollout>> {
        let uid = rollout.uid().unwrap_or_default();
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let mut member = Member::of(rollout, index.relist);
        if let Some(old) = index.members.get(&uid) {
            member.keep_resolution(old, rollout);
        }
        let woken = index.to_wake(&uid, &member);
        index.insert(&uid, member);
        woken
    }

    /// Records the labels and selector a pass resolved for `written` (a Rollout as the API
    /// has it, with `spec.workloadRef`) from its workload: `resolved` is the Rollout with the
    /// workload's template. Sends, and returns, the Rollouts to plan again because of it. A
    /// Rollout the watch has not shown, or no longer shows, is left out.
    pub fn resolved(&self, written: &Rollout, resolved: &Rollout) -> Vec<ObjectRef<Rollout>> {
        let Some(workload) = workload_of(written) else {
            return Vec::new();
        };
        let uid = written.uid().unwrap_or_default();
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let Some(old) = index.members.get(&uid) else {
            return Vec::new();
        };
        // The rest as the watch last showed it, which may be newer than the pass's copy.
        let member = Member {
            selector: resolved.spec.selector.clone(),
            labels: pod_labels(resolved),
            workload: Some(workload),
            ..old.clone()
        };
        if old.same_pods(&member) {
            return Vec::new();
        }
        let woken = index.to_wake(&uid, &member);
        index.insert(&uid, member);
        drop(index);
        if let Some(waker) = self.waker.get() {
            for neighbour in &woken {
                let _ = waker.unbounded_send(neighbour.clone());
            }
        }
        woken
    }

    /// Forgets `rollout`; returns the Rollouts to plan again because it is gone.
    pub fn deleted(&self, rollout: &Rollout) -> Vec<ObjectRef<Rollout>> {
        let uid = rollout.uid().unwrap_or_default();
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        // As last recorded: with the labels a pass resolved from its workload, if any.
        let member = match index.members.get(&uid) {
            Some(known) => known.clone(),
            None => Member::of(rollout, index.relist),
        };
        index.remove(&uid);
        index.to_wake(&uid, &member)
    }

    /// A full list of the Rollouts begins: those it does not show are dropped at its end.
    pub fn relist_started(&self) {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        index.relist += 1;
    }

    /// A full list ended: drops the Rollouts it did not show.
    pub fn relist_done(&self) {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let current = index.relist;
        let gone: Vec<String> = index
            .members
            .iter()
            .filter(|(_, m)| m.seen_in != current)
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in gone {
            index.remove(&uid);
        }
    }

    /// The other Rollouts whose pods overlap `rollout`'s.
    pub fn overlapping(&self, rollout: &Rollout) -> Vec<OverlappingRollout> {
        let uid = rollout.uid().unwrap_or_default();
        let index = self.index.read().unwrap_or_else(PoisonError::into_inner);
        index.overlapping(&uid, &Member::of(rollout, index.relist))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(name: &str, namespace: &str, selector: &[(&str, &str)], labels: &[(&str, &str)]) -> Rollout {
        let map = |pairs: &[(&str, &str)]| -> serde_json::Map<String, serde_json::Value> {
            pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()
        };
        let value = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name, "namespace": namespace, "uid": format!("{namespace}-{name}")},
            "spec": {
                "selector": {"matchLabels": map(selector)},
                "template": {"metadata": {"labels": map(labels)}, "spec": {"containers": []}}
            }
        });
        serde_json::from_value(value).unwrap_or_else(|e| panic!("fixture Rollout: {e}"))
    }

    fn names(found: &[OverlappingRollout]) -> Vec<(&str, bool, bool)> {
        found
            .iter()
            .map(|o| (o.name.as_str(), o.selected_by_us, o.selects_ours))
            .collect()
    }

    fn woken(refs: Vec<ObjectRef<Rollout>>) -> Vec<String> {
        refs.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn overlap_is_seen_in_either_direction_within_the_namespace() {
        let hood = Neighbourhood::default();
        let broad = rollout("broad", "shop", &[("app", "shop")], &[("app", "shop")]);
        let narrow = rollout(
            "narrow",
            "shop",
            &[("app", "shop"), ("tier", "api")],
            &[("app", "shop"), ("tier", "api")],
        );
        let apart = rollout("apart", "shop", &[("app", "cart")], &[("app", "cart")]);
        let elsewhere = rollout("elsewhere", "other", &[("app", "shop")], &[("app", "shop")]);
        for r in [&broad, &narrow, &apart, &elsewhere] {
            hood.applied(r);
        }
        assert_eq!(names(&hood.overlapping(&broad)), vec![("narrow", true, false)]);
        assert_eq!(names(&hood.overlapping(&narrow)), vec![("broad", false, true)]);
        assert_eq!(names(&hood.overlapping(&apart)), vec![]);
    }

    #[test]
    fn a_selector_without_match_labels_is_still_compared() {
        let hood = Neighbourhood::default();
        let mut by_expression = rollout("expr", "shop", &[], &[("app", "expr")]);
        by_expression.spec.selector = serde_json::from_value(
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "expr"]}]}),
        )
        .ok();
        let web = rollout("web", "shop", &[("app", "web")], &[("app", "web")]);
        hood.applied(&by_expression);
        hood.applied(&web);
        assert_eq!(names(&hood.overlapping(&web)), vec![("expr", false, true)]);
        assert_eq!(
            names(&hood.overlapping(&by_expression)),
            vec![("web", true, false)]
        );
    }

    #[test]
    fn a_change_wakes_overlapping_rollouts_and_those_that_name_it() {
        let hood = Neighbourhood::default();
        let changed = rollout("web", "shop", &[("app", "web")], &[("app", "web")]);
        let same_pods = rollout("twin", "shop", &[("app", "web")], &[("app", "web")]);
        let unrelated = rollout("cart", "shop", &[("app", "cart")], &[("app", "cart")]);
        let mut was_invalid = rollout("api", "shop", &[("app", "api")], &[("app", "api")]);
        let condition = json!({"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec",
            "message": "spec.selector: selects the pods of Rollout \"web\", which was there first",
            "lastTransitionTime": "2026-01-01T00:00:00Z", "lastUpdateTime": "2026-01-01T00:00:00Z"});
        was_invalid.status = Some(
            serde_json::from_value(json!({"conditions": [condition]}))
                .unwrap_or_else(|e| panic!("fixture status: {e}")),
        );
        for r in [&same_pods, &unrelated, &was_invalid] {
            hood.applied(r);
        }
        assert_eq!(woken(hood.applied(&changed)), vec!["api", "twin"]);
        // Relabelled apart, it wakes only the Rollout whose InvalidSpec names it (the twin,
        // valid here, no longer overlaps it).
        let moved = rollout("web", "shop", &[("app", "web2")], &[("app", "web2")]);
        assert_eq!(woken(hood.applied(&moved)), vec!["api"]);
        assert_eq!(woken(hood.deleted(&moved)), vec!["api"]);
        assert_eq!(names(&hood.overlapping(&same_pods)), vec![]);
    }

    /// `rollout` as the watch shows a Rollout whose template comes from Deployment `deployment`.
    fn of_deployment(mut resolved: Rollout, deployment: &str) -> Rollout {
        resolved.spec.template = None;
        resolved.spec.selector = None;
        resolved.spec.workload_ref = Some(linnet_crds::rollout::ObjectRef {
            api_version: Some("apps/v1".into()),
            kind: Some("Deployment".into()),
            name: Some(deployment.into()),
            scale_down: None,
        });
        resolved
    }

    #[test]
    fn a_rollout_of_a_deployment_is_compared_by_what_its_pass_resolved() {
        let hood = Neighbourhood::default();
        let (sender, mut woken_rx) = futures::channel::mpsc::unbounded();
        hood.wake_through(sender);
        let resolved = rollout("front", "shop", &[("app", "web")], &[("app", "web")]);
        let written = of_deployment(resolved.clone(), "web");
        let later = rollout("web", "shop", &[("app", "web")], &[("app", "web")]);
        hood.applied(&written);
        hood.applied(&later);
        assert_eq!(
            names(&hood.overlapping(&later)),
            vec![],
            "no labels before a pass"
        );

        assert_eq!(woken(hood.resolved(&written, &resolved)), vec!["web"]);
        assert_eq!(
            woken_rx.try_recv().ok().map(|r| r.name),
            Some("web".to_string()),
            "sent to be planned again"
        );
        assert_eq!(names(&hood.overlapping(&later)), vec![("front", true, true)]);
        assert_eq!(
            woken(hood.resolved(&written, &resolved)),
            Vec::<String>::new(),
            "unchanged"
        );
        // The watch's next copy (a status write, say) keeps the resolution...
        hood.applied(&written);
        assert_eq!(names(&hood.overlapping(&later)), vec![("front", true, true)]);
        // ...until it names another Deployment.
        hood.applied(&of_deployment(resolved.clone(), "api"));
        assert_eq!(names(&hood.overlapping(&later)), vec![]);
    }

    #[test]
    fn a_pass_does_not_bring_back_a_deleted_rollout() {
        let hood = Neighbourhood::default();
        let resolved = rollout("front", "shop", &[("app", "web")], &[("app", "web")]);
        let written = of_deployment(resolved.clone(), "web");
        let other = rollout("web", "shop", &[("app", "web")], &[("app", "web")]);
        hood.applied(&written);
        hood.applied(&other);
        hood.resolved(&written, &resolved);
        assert_eq!(
            woken(hood.deleted(&written)),
            vec!["web"],
            "deleted with its resolved labels"
        );
        assert_eq!(woken(hood.resolved(&written, &resolved)), Vec::<String>::new());
        assert_eq!(names(&hood.overlapping(&other)), vec![]);
    }

    #[test]
    fn a_relist_drops_the_rollouts_it_did_not_show() {
        let hood = Neighbourhood::default();
        let web = rollout("web", "shop", &[("app", "web")], &[("app", "web")]);
        let twin = rollout("twin", "shop", &[("app", "web")], &[("app", "web")]);
        hood.applied(&web);
        hood.applied(&twin);
        hood.relist_started();
        hood.applied(&web);
        hood.relist_done();
        assert_eq!(names(&hood.overlapping(&web)), vec![]);
    }
}
