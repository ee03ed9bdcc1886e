use super::*;
use crate::cluster::pod_fixtures::*;
use k8s_openapi::api::apps::v1::ReplicaSetSpec;
use k8s_openapi::api::core::v1::PodTemplateSpec;

fn replica_set(replicas: i32, min_ready_seconds: i32) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some("web-abc".into()),
            namespace: Some("ns".into()),
            uid: Some("uid-rs".into()),
            generation: Some(2),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: Some(min_ready_seconds),
            template: Some(PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some([("app".to_string(), "web".to_string())].into_iter().collect()),
                    annotations: Some(
                        [("sim.linnet.dev/crash".to_string(), "true".to_string())]
                            .into_iter()
                            .collect(),
                    ),
                    ..ObjectMeta::default()
                }),
                spec: None,
            }),
            ..ReplicaSetSpec::default()
        }),
        status: None,
    }
}

fn plan_for(rs: &ReplicaSet, pods: &[Pod]) -> Plan {
    plan(&Observed {
        replica_set: rs,
        pods: pods.iter().collect(),
        now: now(),
    })
}

fn status_of(plan: &Plan) -> ReplicaSetStatus {
    plan.actions
        .iter()
        .find_map(|a| match a {
            Action::WriteStatus(s) => Some(s.as_ref().clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no status in {:?}", plan.actions))
}

#[test]
fn missing_pods_are_created_from_the_template_with_an_owner() {
    let rs = replica_set(3, 0);
    let existing = [pod("web-abc-1").running().ready_at(-10)];
    let plan = plan_for(&rs, &existing);
    let Some(Action::CreatePods { count, pod }) = plan.actions.first() else {
        panic!("expected a create first: {:?}", plan.actions);
    };
    assert_eq!(*count, 2);
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("web-abc-"));
    let owner = pod.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owner[0].uid, "uid-rs");
    assert_eq!(owner[0].block_owner_deletion, Some(true));
    let annotations = pod.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations.get("sim.linnet.dev/crash").map(String::as_str),
        Some("true")
    );
}

#[test]
fn finished_and_terminating_pods_do_not_count() {
    let rs = replica_set(2, 0);
    let existing = [
        pod("a").running().ready_at(-10),
        pod("b").phase("Failed"),
        pod("c").running().terminating(),
    ];
    let plan = plan_for(&rs, &existing);
    assert!(matches!(
        plan.actions.first(),
        Some(Action::CreatePods { count: 1, .. })
    ));
    assert_eq!(status_of(&plan).replicas, 1);
}

#[test]
fn scale_down_removes_not_ready_then_pending_then_young_pods() {
    let rs = replica_set(1, 0);
    let existing = [
        pod("old-ready").running().ready_at(-50).created_at(-60),
        pod("young-ready").running().ready_at(-5).created_at(-6),
        pod("running-not-ready").running(),
        pod("pending"),
    ];
    let plan = plan_for(&rs, &existing);
    let deleted = plan.actions.iter().find_map(|a| match a {
        Action::DeletePods(names) => Some(names.clone()),
        _ => None,
    });
    assert_eq!(
        deleted,
        Some(vec![
            "pending".to_string(),
            "running-not-ready".to_string(),
            "young-ready".to_string()
        ])
    );
}

#[test]
fn status_counts_ready_available_and_labels() {
    let rs = replica_set(3, 10);
    let existing = [
        pod("long").running().ready_at(-30),
        pod("recent").running().ready_at(-4),
        pod("unlabelled").running().ready_at(-30).label("app", "other"),
    ];
    let plan = plan_for(&rs, &existing);
    let status = status_of(&plan);
    assert_eq!(status.replicas, 3);
    assert_eq!(status.ready_replicas, Some(3));
    assert_eq!(status.available_replicas, Some(2));
    assert_eq!(status.fully_labeled_replicas, Some(2));
    assert_eq!(status.observed_generation, Some(2));
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(6)));
}

#[test]
fn a_settled_replica_set_plans_nothing() {
    let mut rs = replica_set(1, 0);
    let existing = [pod("a").running().ready_at(-10)];
    let first = plan_for(&rs, &existing);
    rs.status = Some(status_of(&first));
    assert!(plan_for(&rs, &existing).actions.is_empty());
}
