use super::*;
use crate::cluster::deployment::fixtures::*;

fn condition<'a>(status: &'a DeploymentStatus, type_: &str) -> &'a DeploymentCondition {
    let found = status.conditions.iter().flatten().find(|c| c.type_ == type_);
    found.unwrap_or_else(|| panic!("no {type_} condition in {status:?}"))
}

fn input<'a>(d: &'a Deployment, new: Option<&'a ReplicaSet>, all: &'a [&'a ReplicaSet]) -> StatusInput<'a> {
    StatusInput {
        deployment: d,
        new_replica_set: new,
        all,
        max_unavailable: 0,
        creating: None,
        now: now(),
    }
}

#[test]
fn complete_rollout_reports_new_replica_set_available() {
    let d = deployment("web").replicas(3);
    let rs = replica_set_of(&d, "abc", 3, 1);
    let all = [&rs];
    let (status, deadline) = compute(&input(&d, Some(&rs), &all));
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(status.replicas, Some(3));
    assert_eq!(status.updated_replicas, Some(3));
    assert_eq!(status.available_replicas, Some(3));
    assert_eq!(status.unavailable_replicas, Some(0));
    let progressing = condition(&status, PROGRESSING);
    assert_eq!(
        progressing.reason.as_deref(),
        Some(reason::NEW_REPLICA_SET_AVAILABLE)
    );
    assert_eq!(
        progressing.message.as_deref(),
        Some("ReplicaSet \"web-abc\" has successfully progressed.")
    );
    assert_eq!(condition(&status, AVAILABLE).status, "True");
    assert_eq!(deadline, None);
}

#[test]
fn rollout_in_flight_counts_old_and_new_and_has_a_deadline() {
    let d = deployment("web").replicas(3);
    let old = replica_set_of(&d.clone().image("app:v0"), "old", 3, 1);
    let new = replica_set_of(&d, "new", 1, 2).available(0);
    let all = [&old, &new];
    let (status, deadline) = compute(&input(&d, Some(&new), &all));
    assert_eq!(status.replicas, Some(4));
    assert_eq!(status.updated_replicas, Some(1));
    assert_eq!(status.available_replicas, Some(3));
    assert_eq!(status.unavailable_replicas, Some(1));
    let progressing = condition(&status, PROGRESSING);
    assert_eq!(progressing.reason.as_deref(), Some(reason::REPLICA_SET_UPDATED));
    assert_eq!(deadline, Some(Duration::from_secs(601)));
}

#[test]
fn too_few_available_is_minimum_replicas_unavailable() {
    let d = deployment("web").replicas(3);
    let rs = replica_set_of(&d, "abc", 3, 1).available(1);
    let all = [&rs];
    let mut given = input(&d, Some(&rs), &all);
    given.max_unavailable = 1;
    let (status, _) = compute(&given);
    let available = condition(&status, AVAILABLE);
    assert_eq!(available.status, "False");
    assert_eq!(available.reason.as_deref(), Some(reason::MINIMUM_UNAVAILABLE));
}

#[test]
fn no_progress_past_the_deadline_times_out() {
    let mut d = deployment("web").replicas(3);
    let rs = replica_set_of(&d, "abc", 3, 1).available(1);
    let all = [&rs];
    let (first, _) = compute(&input(&d, Some(&rs), &all));
    d.status = Some(first);
    let mut later = input(&d, Some(&rs), &all);
    later.now = now() + jiff::SignedDuration::from_secs(601);
    let (status, deadline) = compute(&later);
    let progressing = condition(&status, PROGRESSING);
    assert_eq!(progressing.status, "False");
    assert_eq!(
        progressing.reason.as_deref(),
        Some(reason::PROGRESS_DEADLINE_EXCEEDED)
    );
    assert_eq!(deadline, None);
}

#[test]
fn progress_refreshes_the_update_time_but_not_the_transition_time() {
    let mut d = deployment("web").replicas(3);
    let rs1 = replica_set_of(&d, "abc", 3, 1).available(1);
    let all1 = [&rs1];
    let (first, _) = compute(&input(&d, Some(&rs1), &all1));
    d.status = Some(first);
    let rs2 = replica_set_of(&d, "abc", 3, 1).available(2);
    let all2 = [&rs2];
    let mut later = input(&d, Some(&rs2), &all2);
    later.now = now() + jiff::SignedDuration::from_secs(100);
    let (status, deadline) = compute(&later);
    let progressing = condition(&status, PROGRESSING);
    assert_eq!(progressing.last_transition_time, Some(at(0)));
    assert_eq!(progressing.last_update_time, Some(at(100)));
    assert_eq!(deadline, Some(Duration::from_secs(601)));
}

#[test]
fn paused_is_unknown_and_creating_is_reported() {
    let mut d = deployment("web");
    if let Some(spec) = d.spec.as_mut() {
        spec.paused = Some(true);
    }
    let (status, _) = compute(&input(&d, None, &[]));
    assert_eq!(condition(&status, PROGRESSING).status, "Unknown");
    let d = deployment("web");
    let mut creating = input(&d, None, &[]);
    creating.creating = Some("web-xyz");
    let (status, _) = compute(&creating);
    let progressing = condition(&status, PROGRESSING);
    assert_eq!(
        progressing.reason.as_deref(),
        Some(reason::NEW_REPLICA_SET_CREATED)
    );
    assert_eq!(
        progressing.message.as_deref(),
        Some("Created new replica set \"web-xyz\"")
    );
}

#[test]
fn an_unchanged_situation_plans_an_identical_status() {
    let mut d = deployment("web").replicas(3);
    let rs = replica_set_of(&d, "abc", 3, 1);
    let all = [&rs];
    let (first, _) = compute(&input(&d, Some(&rs), &all));
    d.status = Some(first.clone());
    let mut later = input(&d, Some(&rs), &all);
    later.now = now() + jiff::SignedDuration::from_secs(30);
    assert_eq!(compute(&later).0, first);
}
