//! The template and step hashes of each Rollout, kept per spec generation. Hashing the
//! template (Go's JSON encoding of the whole pod template) was a third of a pass's
//! observation, and most passes follow a status or ReplicaSet change with the spec as it was.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use kube::ResourceExt;
use linnet_crds::rollout::Rollout;

/// Per Rollout uid: the hashes of its spec at one generation and collision count.
#[derive(Default)]
pub struct HashMemo {
    by_uid: Mutex<HashMap<String, Memo>>,
}

struct Memo {
    generation: i64,
    collision_count: Option<i32>,
    /// The generation of the Deployment the template came from, for a `workloadRef`.
    workload_generation: Option<i64>,
    hashes: SpecHashes,
}

/// The pod template hash (collision count mixed in) and the step hash of a Rollout's spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecHashes {
    pub pod: String,
    pub step: String,
}

impl HashMemo {
    /// The Rollout's hashes: as remembered for its generation, collision count and (for a
    /// template taken from a Deployment) that Deployment's generation, else computed by
    /// `compute` and remembered. A Rollout without a uid or generation is computed every time.
    pub fn get_or_compute<E>(
        &self,
        rollout: &Rollout,
        workload_generation: Option<i64>,
        compute: impl FnOnce() -> Result<SpecHashes, E>,
    ) -> Result<SpecHashes, E> {
        let (Some(uid), Some(generation)) = (rollout.uid(), rollout.metadata.generation) else {
            return compute();
        };
        let collision_count = rollout.status.as_ref().and_then(|s| s.collision_count);
        let remembered = self
            .by_uid
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&uid)
            .filter(|memo| {
                memo.generation == generation
                    && memo.collision_count == collision_count
                    && memo.workload_generation == workload_generation
            })
            .map(|memo| memo.hashes.clone());
        if let Some(hashes) = remembered {
            return Ok(hashes);
        }
        let hashes = compute()?;
        let memo = Memo {
            generation,
            collision_count,
            workload_generation,
            hashes: hashes.clone(),
        };
        self.by_uid
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uid, memo);
        Ok(hashes)
    }

    /// Forgets a Rollout that is gone.
    pub fn forget(&self, uid: &str) {
        self.by_uid
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uid);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn rollout(uid: &str, generation: Option<i64>, collision_count: Option<i32>) -> Rollout {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "r", "namespace": "ns", "uid": uid, "generation": generation},
            "spec": {},
            "status": {"collisionCount": collision_count},
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"))
    }

    /// Asks the memo for `rollout`'s pod hash, offering `pod` if it computes; returns the
    /// hash and whether it was computed.
    fn ask(memo: &HashMemo, rollout: &Rollout, pod: &str) -> (String, bool) {
        ask_with(memo, rollout, None, pod)
    }

    fn ask_with(memo: &HashMemo, rollout: &Rollout, workload: Option<i64>, pod: &str) -> (String, bool) {
        let computed = Cell::new(false);
        let hashes = memo
            .get_or_compute(rollout, workload, || {
                computed.set(true);
                Ok::<_, ()>(SpecHashes {
                    pod: pod.to_string(),
                    step: "s".to_string(),
                })
            })
            .unwrap_or_else(|()| panic!("computing cannot fail here"));
        (hashes.pod, computed.get())
    }

    #[test]
    fn hashes_are_computed_again_only_for_a_new_generation_collision_count_or_rollout() {
        let memo = HashMemo::default();
        let computed = |pod: &str| (pod.to_string(), true);
        assert_eq!(ask(&memo, &rollout("a", Some(1), None), "h1"), computed("h1"));
        // Same generation: remembered, whatever `compute` would say now.
        assert_eq!(
            ask(&memo, &rollout("a", Some(1), None), "other"),
            ("h1".to_string(), false)
        );
        // A new generation, a collision count or another uid: computed.
        assert_eq!(ask(&memo, &rollout("a", Some(2), None), "h2"), computed("h2"));
        assert_eq!(ask(&memo, &rollout("a", Some(2), Some(1)), "h3"), computed("h3"));
        assert_eq!(ask(&memo, &rollout("b", Some(2), Some(1)), "h4"), computed("h4"));
        // No generation: computed every time.
        assert_eq!(ask(&memo, &rollout("c", None, None), "h5"), computed("h5"));
        assert_eq!(ask(&memo, &rollout("c", None, None), "h5"), computed("h5"));
        // A forgotten Rollout is computed again.
        memo.forget("b");
        assert_eq!(ask(&memo, &rollout("b", Some(2), Some(1)), "h4"), computed("h4"));
    }

    #[test]
    fn a_new_generation_of_the_referenced_deployment_is_hashed_again() {
        let memo = HashMemo::default();
        let r = rollout("a", Some(1), None);
        assert_eq!(ask_with(&memo, &r, Some(3), "d3"), ("d3".to_string(), true));
        assert_eq!(ask_with(&memo, &r, Some(3), "other"), ("d3".to_string(), false));
        // The Deployment's template changed: same Rollout generation, new hash.
        assert_eq!(ask_with(&memo, &r, Some(4), "d4"), ("d4".to_string(), true));
    }

    #[test]
    fn a_failed_computation_is_not_remembered() {
        let memo = HashMemo::default();
        let r = rollout("a", Some(1), None);
        assert_eq!(
            memo.get_or_compute(&r, None, || Err::<SpecHashes, _>("bad template")),
            Err("bad template")
        );
        assert!(ask(&memo, &r, "h1").1);
    }
}
