//! Named cases for the replica arithmetic, most of them Argo's own worked examples.

use super::*;

fn pct(text: &str) -> IntOrString {
    IntOrString::String(text.to_string())
}

#[test]
fn fenceposts_round_surge_up_and_unavailable_down() {
    let cases = [
        ("defaults on 10", None, None, 10, (3, 2)),
        ("defaults on 1", None, None, 1, (1, 0)),
        (
            "both zero allow one unavailable",
            Some(IntOrString::Int(0)),
            Some(IntOrString::Int(0)),
            5,
            (0, 1),
        ),
        (
            "unavailable capped at replicas",
            Some(IntOrString::Int(1)),
            Some(IntOrString::Int(9)),
            3,
            (1, 3),
        ),
        ("percent strings", Some(pct("50%")), Some(pct("35%")), 3, (2, 1)),
    ];
    for (name, surge, unavailable, replicas, (want_surge, want_unavailable)) in cases {
        let got = fenceposts(surge.as_ref(), unavailable.as_ref(), replicas);
        assert_eq!(
            (got.max_surge, got.max_unavailable),
            (want_surge, want_unavailable),
            "{name}"
        );
    }
}

#[test]
fn weighted_counts_follow_argos_rounding() {
    // (name, replicas, weight, maxSurge, (canary, stable))
    let cases = [
        ("docs: 10 at 41% is 4/6", 10, 41, 3, (4, 6)),
        ("10 at 41% without surge", 10, 41, 0, (4, 6)),
        ("exact share", 10, 20, 3, (2, 8)),
        ("half a pod rounds the canary up", 10, 45, 0, (5, 5)),
        (
            "half a pod with surge: an extra pod keeps stable whole",
            10,
            5,
            1,
            (1, 10),
        ),
        ("neither side empty at 5%", 10, 5, 0, (1, 9)),
        ("one pod, surge: both sides get one", 1, 5, 1, (1, 1)),
        ("one pod, surge, 95%", 1, 95, 1, (1, 1)),
        ("one pod, no surge, 5%", 1, 5, 0, (0, 1)),
        ("one pod, no surge, 60%", 1, 60, 0, (1, 0)),
        ("zero weight", 10, 0, 3, (0, 10)),
        ("full weight", 10, 100, 3, (10, 0)),
        ("surge gives a closer share", 3, 50, 1, (2, 2)),
        ("no replicas", 0, 50, 1, (0, 0)),
    ];
    for (name, replicas, weight, surge, want) in cases {
        assert_eq!(
            approximate_weighted_counts(replicas, weight, surge),
            want,
            "{name}"
        );
    }
}

fn basic(weight: i32, surge: i32, unavailable: i32, canary: Pods, stable: Pods) -> BasicCanary {
    BasicCanary {
        replicas: 10,
        weight,
        fence: Fenceposts {
            max_surge: surge,
            max_unavailable: unavailable,
        },
        canary: Some(canary),
        stable: Some(stable),
        older_replicas: 0,
    }
}

fn pods(replicas: i32) -> Pods {
    Pods {
        replicas,
        available: replicas,
    }
}

#[test]
fn basic_canary_moves_within_surge_and_unavailability() {
    let cases = [
        (
            "argo: 10% surge 1 unavailable 1",
            basic(10, 1, 1, pods(0), pods(10)),
            (1, 9),
        ),
        (
            "argo: 30% surge 3 unavailable 0",
            basic(30, 3, 0, pods(0), pods(10)),
            (3, 10),
        ),
        (
            "argo: 30% surge 0 unavailable 5",
            basic(30, 0, 5, pods(0), pods(10)),
            (0, 7),
        ),
        (
            "second pass: stable shrinks once canary is available",
            basic(30, 3, 0, pods(3), pods(10)),
            (3, 7),
        ),
        (
            "unavailable canary holds stable",
            basic(
                30,
                3,
                0,
                Pods {
                    replicas: 3,
                    available: 0,
                },
                pods(10),
            ),
            (3, 10),
        ),
        (
            "abort: stable returns while the canary shrinks",
            basic(0, 1, 1, pods(4), pods(6)),
            (3, 7),
        ),
        (
            "abort then canary goes once stable is back",
            basic(0, 1, 1, pods(4), pods(10)),
            (0, 10),
        ),
        ("41% settles at 4/6", basic(41, 3, 2, pods(4), pods(6)), (4, 6)),
    ];
    for (name, input, want) in cases {
        assert_eq!(basic_canary_counts(&input), want, "{name}");
    }
    let argo_single = BasicCanary {
        replicas: 1,
        weight: 5,
        fence: Fenceposts {
            max_surge: 1,
            max_unavailable: 0,
        },
        canary: Some(pods(0)),
        stable: Some(pods(1)),
        older_replicas: 0,
    };
    assert_eq!(basic_canary_counts(&argo_single), (1, 1));
}

#[test]
fn basic_canary_without_stable_scales_new_fully() {
    let first = BasicCanary {
        stable: None,
        canary: Some(pods(0)),
        ..basic(20, 3, 2, pods(0), pods(0))
    };
    assert_eq!(basic_canary_counts(&first).0, 10);
}

#[test]
fn older_replica_sets_drain_before_canary_or_stable_shrink() {
    let input = BasicCanary {
        older_replicas: 2,
        ..basic(30, 3, 0, pods(3), pods(10))
    };
    assert_eq!(basic_canary_counts(&input), (3, 10));
}

#[test]
fn drain_keeps_min_available() {
    let older = [
        Pods {
            replicas: 3,
            available: 1,
        },
        pods(4),
    ];
    // 2 unavailable pods go freely; 3 more may go without dropping below 8 of 11 available.
    assert_eq!(drain_older(&older, 11, 8), vec![0, 2]);
    assert_eq!(drain_older(&older, 8, 8), vec![1, 4]);
}

#[test]
fn routed_counts() {
    let base = RoutedCanary {
        replicas: 10,
        weight: 20,
        max_weight: 100,
        scale: None,
        min_pods: None,
        dynamic_stable_weight: None,
    };
    let cases = [
        ("share rounds up", base, (2, 10)),
        (
            "min pods",
            RoutedCanary {
                weight: 5,
                min_pods: Some(2),
                ..base
            },
            (2, 10),
        ),
        (
            "min pods capped at replicas",
            RoutedCanary {
                weight: 5,
                min_pods: Some(20),
                ..base
            },
            (10, 10),
        ),
        (
            "zero stays zero with min pods",
            RoutedCanary {
                weight: 0,
                min_pods: Some(2),
                ..base
            },
            (0, 10),
        ),
        (
            "max weight 1000",
            RoutedCanary {
                replicas: 3,
                weight: 1,
                max_weight: 1000,
                ..base
            },
            (1, 3),
        ),
        (
            "scale by replicas",
            RoutedCanary {
                scale: Some(CanaryScale::Replicas(3)),
                ..base
            },
            (3, 10),
        ),
        (
            "scale by weight",
            RoutedCanary {
                scale: Some(CanaryScale::Weight(55)),
                ..base
            },
            (6, 10),
        ),
        (
            "dynamic keeps current share",
            RoutedCanary {
                weight: 60,
                dynamic_stable_weight: Some(60),
                ..base
            },
            (6, 6),
        ),
        (
            "dynamic follows traffic",
            RoutedCanary {
                weight: 60,
                dynamic_stable_weight: Some(40),
                ..base
            },
            (6, 4),
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(routed_canary_counts(&input), want, "{name}");
    }
}
