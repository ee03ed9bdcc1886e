//! Replica arithmetic of a Deployment rollout, as pure functions over counts.
//!
//! The rules follow the upstream Deployment controller: the new ReplicaSet grows while the
//! total stays within `desired + maxSurge`; old ReplicaSets shrink while at least
//! `desired - maxUnavailable` pods stay available, unavailable old pods going first.
//!
//! Worked example: desired 4, maxSurge 1, maxUnavailable 0, old RS at 4 (all available), no
//! new pods yet. The new RS may grow to 1 (total 5 = 4 + 1). Old pods can shrink only once the
//! new pod is available: then 5 available - 4 minimum = 1 old pod goes, and so on.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The resolved rolling-update bounds of a Deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub desired: i32,
    pub max_surge: i32,
    pub max_unavailable: i32,
}

/// A `maxSurge` or `maxUnavailable` value that is neither a count nor a percentage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {value:?} is neither a number nor a percentage")]
pub struct BadBound {
    pub field: &'static str,
    pub value: String,
}

impl Bounds {
    /// Resolves percentages against `desired`: surge rounds up, unavailable rounds down, and
    /// when both come out 0, one pod may be unavailable so that the rollout can move at all.
    pub fn resolve(
        desired: i32,
        max_surge: Option<&IntOrString>,
        max_unavailable: Option<&IntOrString>,
    ) -> Result<Bounds, BadBound> {
        let default = IntOrString::String("25%".into());
        let surge = scaled("maxSurge", max_surge.unwrap_or(&default), desired, Rounding::Up)?;
        let mut unavailable = scaled(
            "maxUnavailable",
            max_unavailable.unwrap_or(&default),
            desired,
            Rounding::Down,
        )?;
        if surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        Ok(Bounds {
            desired,
            max_surge: surge,
            max_unavailable: unavailable.min(desired),
        })
    }
}

#[derive(Clone, Copy)]
enum Rounding {
    Up,
    Down,
}

fn scaled(field: &'static str, value: &IntOrString, total: i32, rounding: Rounding) -> Result<i32, BadBound> {
    let bad = || BadBound {
        field,
        value: match value {
            IntOrString::Int(i) => i.to_string(),
            IntOrString::String(s) => s.clone(),
        },
    };
    match value {
        IntOrString::Int(i) if *i >= 0 => Ok(*i),
        IntOrString::Int(_) => Err(bad()),
        IntOrString::String(s) => {
            let percent: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 0)
                .ok_or_else(bad)?;
            let product = percent * i64::from(total.max(0));
            let value = match rounding {
                Rounding::Up => (product + 99) / 100,
                Rounding::Down => product / 100,
            };
            Ok(i32::try_from(value).unwrap_or(i32::MAX))
        }
    }
}

/// One ReplicaSet as the arithmetic sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// `spec.replicas`
    pub replicas: i32,
    /// `status.availableReplicas`
    pub available: i32,
}

/// The `spec.replicas` the new ReplicaSet should have now, or `None` to leave it.
pub fn new_replica_set_target(bounds: Bounds, new: Counts, old: &[Counts]) -> Option<i32> {
    if new.replicas == bounds.desired {
        return None;
    }
    if new.replicas > bounds.desired {
        return Some(bounds.desired);
    }
    let total: i32 = new.replicas + old.iter().map(|c| c.replicas).sum::<i32>();
    let max_total = bounds.desired + bounds.max_surge;
    if total >= max_total {
        return None;
    }
    let grow = (max_total - total).min(bounds.desired - new.replicas);
    Some(new.replicas + grow)
}

/// The new `spec.replicas` of each old ReplicaSet (given oldest first), same order.
pub fn old_replica_set_targets(bounds: Bounds, new: Counts, old: &[Counts]) -> Vec<i32> {
    let mut targets: Vec<i32> = old.iter().map(|c| c.replicas).collect();
    let old_total: i32 = targets.iter().sum();
    if old_total == 0 {
        return targets;
    }
    let all_total = old_total + new.replicas;
    let min_available = bounds.desired - bounds.max_unavailable;
    let new_unavailable = (new.replicas - new.available).max(0);
    let max_scaled_down = all_total - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return targets;
    }
    // Unavailable old pods go first: removing them costs no availability.
    let mut cleaned = 0;
    for (target, counts) in targets.iter_mut().zip(old) {
        if cleaned >= max_scaled_down {
            break;
        }
        let unavailable = (*target - counts.available).max(0);
        let cut = unavailable.min(max_scaled_down - cleaned);
        *target -= cut;
        cleaned += cut;
    }
    // Then available ones, as far as the minimum availability allows.
    let available_total: i32 = new.available + old.iter().map(|c| c.available).sum::<i32>();
    if available_total <= min_available {
        return targets;
    }
    let mut budget = available_total - min_available;
    for target in targets.iter_mut() {
        if budget == 0 {
            break;
        }
        let cut = (*target).min(budget);
        *target -= cut;
        budget -= cut;
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i32) -> IntOrString {
        IntOrString::Int(i)
    }
    fn pct(s: &str) -> IntOrString {
        IntOrString::String(s.into())
    }
    fn counts(replicas: i32, available: i32) -> Counts {
        Counts { replicas, available }
    }
    fn bounds(desired: i32, max_surge: i32, max_unavailable: i32) -> Bounds {
        Bounds {
            desired,
            max_surge,
            max_unavailable,
        }
    }

    #[test]
    fn percentages_round_surge_up_and_unavailable_down() {
        let b = Bounds::resolve(10, Some(&pct("25%")), Some(&pct("25%"))).unwrap_or(bounds(0, 0, 0));
        assert_eq!(b, bounds(10, 3, 2));
        let b = Bounds::resolve(3, None, None).unwrap_or(bounds(0, 0, 0));
        assert_eq!(b, bounds(3, 1, 0));
    }

    #[test]
    fn both_zero_allows_one_unavailable() {
        let b = Bounds::resolve(3, Some(&int(0)), Some(&int(0))).unwrap_or(bounds(0, 0, 0));
        assert_eq!(b, bounds(3, 0, 1));
    }

    #[test]
    fn malformed_bounds_are_errors() {
        let error = Bounds::resolve(3, Some(&pct("lots")), None).err();
        assert_eq!(
            error,
            Some(BadBound {
                field: "maxSurge",
                value: "lots".into()
            })
        );
        assert!(Bounds::resolve(3, None, Some(&int(-1))).is_err());
    }

    /// (name, bounds, new, old, expected new target)
    #[test]
    fn new_replica_set_table() {
        let cases = [
            (
                "first step uses the surge",
                bounds(4, 1, 0),
                counts(0, 0),
                vec![counts(4, 4)],
                Some(1),
            ),
            (
                "surge used up: wait",
                bounds(4, 1, 0),
                counts(1, 0),
                vec![counts(4, 4)],
                None,
            ),
            (
                "old shrank: grow again",
                bounds(4, 1, 0),
                counts(1, 1),
                vec![counts(3, 3)],
                Some(2),
            ),
            (
                "never beyond desired",
                bounds(4, 10, 0),
                counts(0, 0),
                vec![counts(4, 4)],
                Some(4),
            ),
            ("at desired: nothing", bounds(4, 1, 0), counts(4, 4), vec![], None),
            (
                "above desired: scale down",
                bounds(2, 1, 0),
                counts(4, 4),
                vec![],
                Some(2),
            ),
            (
                "zero surge waits for old",
                bounds(4, 0, 1),
                counts(0, 0),
                vec![counts(4, 4)],
                None,
            ),
        ];
        for (name, b, new, old, expected) in cases {
            assert_eq!(new_replica_set_target(b, new, &old), expected, "{name}");
        }
    }

    /// (name, bounds, new, old (oldest first), expected old targets)
    #[test]
    fn old_replica_sets_table() {
        let cases = [
            (
                "new not available yet: keep old",
                bounds(4, 1, 0),
                counts(1, 0),
                vec![counts(4, 4)],
                vec![4],
            ),
            (
                "one new available: one old goes",
                bounds(4, 1, 0),
                counts(1, 1),
                vec![counts(4, 4)],
                vec![3],
            ),
            (
                "max unavailable lets one go at once",
                bounds(4, 0, 1),
                counts(0, 0),
                vec![counts(4, 4)],
                vec![3],
            ),
            (
                "unavailable old pods go first, beyond the availability budget",
                bounds(4, 1, 0),
                counts(1, 1),
                vec![counts(4, 2)],
                vec![3],
            ),
            (
                "oldest first",
                bounds(4, 1, 1),
                counts(2, 2),
                vec![counts(1, 1), counts(2, 2)],
                vec![0, 1],
            ),
            (
                "nothing old: nothing to do",
                bounds(4, 1, 0),
                counts(4, 4),
                vec![counts(0, 0)],
                vec![0],
            ),
            (
                "crashing new pods block scale down",
                bounds(4, 1, 0),
                counts(1, 0),
                vec![counts(4, 4)],
                vec![4],
            ),
        ];
        for (name, b, new, old, expected) in cases {
            assert_eq!(old_replica_set_targets(b, new, &old), expected, "{name}");
        }
    }

    #[test]
    fn a_whole_rollout_converges_without_breaking_bounds() {
        // Simulate instant availability: every pod is available as soon as it exists.
        let b = bounds(5, 2, 1);
        let mut new = counts(0, 0);
        let mut old = vec![counts(5, 5)];
        for _ in 0..20 {
            if let Some(target) = new_replica_set_target(b, new, &old) {
                new = counts(target, target);
            }
            let targets = old_replica_set_targets(b, new, &old);
            old = targets.iter().map(|t| counts(*t, *t)).collect();
            let total = new.replicas + old.iter().map(|c| c.replicas).sum::<i32>();
            let available = new.available + old.iter().map(|c| c.available).sum::<i32>();
            assert!(total <= b.desired + b.max_surge, "surge exceeded: {total}");
            assert!(
                available >= b.desired - b.max_unavailable,
                "too few available: {available}"
            );
        }
        assert_eq!(new, counts(5, 5));
        assert_eq!(old, vec![counts(0, 0)]);
    }
}
