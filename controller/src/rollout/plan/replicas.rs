//! Replica arithmetic: how many pods the canary and the stable ReplicaSet get for a weight,
//! with and without a traffic router, and how far `maxSurge` / `maxUnavailable` let them move
//! in one go. Pure integer functions, each with Argo's worked examples.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// More pods than any ReplicaSet holds; every count the planner reads is clamped to it, so
/// that no sum of counts can overflow.
pub const MAX_PODS: i32 = 1 << 24;

/// Argo's default for `maxSurge` and for the canary's `maxUnavailable`.
const DEFAULT_FENCEPOST: &str = "25%";

/// A count or a percentage of `total`; percentages round up (surge) or down (unavailable).
/// A malformed value counts as 0: validation reports it before the planner runs.
pub fn scaled_value(value: &IntOrString, total: i32, round_up: bool) -> i32 {
    match value {
        IntOrString::Int(n) => (*n).max(0),
        IntOrString::String(text) => {
            let Some(percent) = text.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return text.parse::<i32>().map_or(0, |n| n.max(0));
            };
            let scaled = i64::from(total.max(0)) * percent.max(0);
            let value = if round_up {
                (scaled + 99) / 100
            } else {
                scaled / 100
            };
            i32::try_from(value).unwrap_or(i32::MAX)
        }
    }
}

/// How far an update may go above and below `spec.replicas`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fenceposts {
    pub max_surge: i32,
    pub max_unavailable: i32,
}

/// Resolves `maxSurge` / `maxUnavailable` (both default 25%). As for Deployments, when both
/// come out 0 one pod may be unavailable, or nothing could ever move; and no more pods than
/// exist can be unavailable.
///
/// 10 replicas with the defaults → surge 3 (2.5 rounded up), unavailable 2 (rounded down).
pub fn fenceposts(
    surge: Option<&IntOrString>,
    unavailable: Option<&IntOrString>,
    replicas: i32,
) -> Fenceposts {
    let default = IntOrString::String(DEFAULT_FENCEPOST.to_string());
    let max_surge = scaled_value(surge.unwrap_or(&default), replicas, true).min(MAX_PODS);
    let mut max_unavailable = scaled_value(unavailable.unwrap_or(&default), replicas, false).min(MAX_PODS);
    if max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    Fenceposts {
        max_surge,
        max_unavailable: max_unavailable.min(replicas.max(0)),
    }
}

/// The canary and stable counts that best approximate `weight` percent of `replicas` pods
/// without a traffic router, returned as `(canary, stable)`.
///
/// Candidates are the canary count rounded down and up, over a total of `replicas` and, when
/// surging is allowed, `replicas + 1`; the one whose real share is closest to `weight` wins,
/// the first listed on a tie. A rounded-down candidate is left out when its share is exactly
/// half a pod off (so ties round the canary up), and for weights from 1 to 99 neither side may
/// be empty unless there is a single pod and no surge.
///
/// - 10 replicas at 41% → 4 canary, 6 stable (41% of 10 is 4.1)
/// - 10 replicas at 45%, surge allowed → 5 / 5 (4.5 is a tie, so it rounds up)
/// - 1 replica at 5%, surge allowed → 1 / 1 (neither side may be empty)
/// - 1 replica at 5%, no surge → 0 / 1
pub fn approximate_weighted_counts(replicas: i32, weight: i32, max_surge: i32) -> (i32, i32) {
    if replicas <= 0 {
        return (0, 0);
    }
    let weight = weight.clamp(0, 100);
    let exact = i64::from(replicas) * i64::from(weight);
    let floor = (exact / 100) as i32;
    let ceil = ((exact + 99) / 100) as i32;
    let zero_allowed = weight == 0 || weight == 100 || (replicas == 1 && max_surge == 0);
    let tied = |total: i32| (i64::from(total) * i64::from(weight)) % 100 == 50;
    let mut options = Vec::new();
    if ceil < replicas || zero_allowed {
        options.push((ceil, replicas));
    }
    if !tied(replicas) && (floor != 0 || zero_allowed) {
        options.push((floor, replicas));
    }
    if max_surge > 0 {
        options.push((ceil, replicas + 1));
        if !tied(replicas + 1) && (floor != 0 || zero_allowed) {
            options.push((floor, replicas + 1));
        }
    }
    // |canary/total - weight/100| compared without floating point: |100·canary − weight·total| / total.
    let delta = |(canary, total): (i32, i32)| {
        (
            (100 * i64::from(canary) - i64::from(weight) * i64::from(total)).abs(),
            i64::from(total),
        )
    };
    let best = options.into_iter().reduce(|best, option| {
        let (a, b) = delta(option);
        let (c, d) = delta(best);
        if a * d < c * b { option } else { best }
    });
    best.map_or((replicas, 0), |(canary, total)| (canary, total - canary))
}

/// A ReplicaSet as the arithmetic sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pods {
    /// `spec.replicas`.
    pub replicas: i32,
    pub available: i32,
}

impl Pods {
    /// Pods that count when deciding how much may be scaled down. A ReplicaSet already asked
    /// to shrink counts only its target; availability is ignored when asked to.
    fn for_scale_down(self, ignore_availability: bool) -> i32 {
        if self.replicas < self.available || ignore_availability {
            self.replicas
        } else {
            self.available
        }
    }
}

/// What the basic (unrouted) canary arithmetic needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasicCanary {
    /// `spec.replicas`.
    pub replicas: i32,
    /// The weight to reach (0 when aborted, 100 when promoting).
    pub weight: i32,
    pub fence: Fenceposts,
    /// The canary (new) ReplicaSet, if it exists.
    pub canary: Option<Pods>,
    /// The stable ReplicaSet, if it exists and differs from the canary.
    pub stable: Option<Pods>,
    /// Pods still asked of ReplicaSets that are neither canary nor stable.
    pub older_replicas: i32,
}

/// The next `(canary, stable)` sizes of a basic canary: the target from
/// [`approximate_weighted_counts`], approached no faster than `maxSurge` above and
/// `maxUnavailable` below `spec.replicas` allow. Stable grows first, older ReplicaSets drain
/// before canary or stable shrink.
///
/// - 10 replicas at 10%, surge 1, unavailable 1, from 0 / 10 → 1 / 9
/// - 10 replicas at 30%, surge 3, unavailable 0, from 0 / 10 → 3 / 10
/// - 10 replicas at 30%, surge 0, unavailable 5, from 0 / 10 → 0 / 7
/// - 1 replica at 5%, surge 1, unavailable 0, from 0 / 1 → 1 / 1
pub fn basic_canary_counts(input: &BasicCanary) -> (i32, i32) {
    let BasicCanary {
        replicas,
        weight,
        fence,
        canary,
        stable,
        older_replicas,
    } = *input;
    let (mut want_canary, mut want_stable) = approximate_weighted_counts(replicas, weight, fence.max_surge);
    if stable.is_none() {
        (want_canary, want_stable) = (replicas, 0);
    }
    let canary_now = canary.map_or(0, |c| c.replicas);
    let stable_now = stable.map_or(0, |s| s.replicas);
    let (mut next_canary, mut next_stable) = (canary_now, stable_now);

    let mut room = replicas + fence.max_surge - (canary_now + stable_now + older_replicas);
    if stable.is_some() && stable_now < want_stable && room > 0 {
        next_stable = want_stable.min(stable_now + room);
        room -= next_stable - stable_now;
    }
    if canary_now < want_canary && room > 0 {
        next_canary = want_canary.min(canary_now + room);
    }
    if older_replicas > 0 {
        return (next_canary, next_stable);
    }

    let min_available = replicas - fence.max_unavailable;
    let growing = want_canary >= canary_now;
    let countable =
        canary.map_or(0, |c| c.for_scale_down(!growing)) + stable.map_or(0, |s| s.for_scale_down(growing));
    let mut budget = countable - min_available;
    if budget <= 0 {
        return (next_canary, next_stable);
    }
    if canary_now > want_canary {
        next_canary = want_canary.max(canary_now - budget);
        budget -= canary_now - next_canary;
    }
    if stable.is_some() && stable_now > want_stable {
        next_stable = want_stable.max(stable_now - budget.max(0));
    }
    (next_canary, next_stable)
}

/// The next sizes of ReplicaSets being drained (oldest first) while keeping
/// `min_available` pods available in all: unavailable pods go first and freely, available ones
/// only out of the budget that `available_total - min_available` leaves.
pub fn drain_older(older: &[Pods], available_total: i32, min_available: i32) -> Vec<i32> {
    let mut budget = (available_total - min_available).max(0);
    older
        .iter()
        .map(|rs| {
            let unavailable = (rs.replicas - rs.available).max(0);
            let removable = rs.available.min(rs.replicas).min(budget);
            budget -= removable;
            rs.replicas - unavailable - removable
        })
        .collect()
}

/// What a routed canary's arithmetic needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutedCanary {
    pub replicas: i32,
    /// Traffic weight sent to the canary, out of `max_weight`.
    pub weight: i32,
    pub max_weight: i32,
    /// A `setCanaryScale` in force, which sizes the canary apart from its traffic.
    pub scale: Option<CanaryScale>,
    /// `minPodsPerReplicaSet`.
    pub min_pods: Option<i32>,
    /// With `dynamicStableScale`: the stable weight the router applies now.
    pub dynamic_stable_weight: Option<i32>,
}

/// How a `setCanaryScale` step sizes the canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanaryScale {
    Replicas(i32),
    Weight(i32),
}

/// `ceil(replicas × weight / max_weight)`, never negative.
pub fn share(replicas: i32, weight: i32, max_weight: i32) -> i32 {
    if max_weight <= 0 {
        return replicas.max(0);
    }
    let exact = i64::from(replicas.max(0)) * i64::from(weight.clamp(0, max_weight));
    let max = i64::from(max_weight);
    ((exact + max - 1) / max) as i32
}

/// `(canary, stable)` sizes with a traffic router: the canary gets its share of pods (or
/// what `setCanaryScale` asks), raised to `minPodsPerReplicaSet`; stable stays at full size
/// unless `dynamicStableScale`, when it keeps the larger of its desired and current share.
///
/// - 10 replicas at weight 20 of 100 → 2 / 10
/// - 10 replicas at weight 5 of 100, minPodsPerReplicaSet 2 → 2 / 10
/// - 3 replicas at weight 1 of 1000 → 1 / 3
/// - 10 replicas at weight 60, dynamic, router at 40 stable → 6 / 6 (stable keeps 60% while
///   the router still sends it 60%)
pub fn routed_canary_counts(input: &RoutedCanary) -> (i32, i32) {
    let RoutedCanary {
        replicas,
        weight,
        max_weight,
        scale,
        min_pods,
        dynamic_stable_weight,
    } = *input;
    let floor = |count: i32| match min_pods {
        Some(min) if count > 0 => count.max(min.min(replicas)),
        _ => count,
    };
    let canary = match scale {
        Some(CanaryScale::Replicas(n)) => n.max(0),
        Some(CanaryScale::Weight(w)) => share(replicas, w, 100),
        None => share(replicas, weight, max_weight),
    };
    let stable = match dynamic_stable_weight {
        None => replicas,
        Some(current) => share(replicas, (max_weight - weight).max(current), max_weight),
    };
    (floor(canary), floor(stable))
}

#[cfg(test)]
mod tests;
