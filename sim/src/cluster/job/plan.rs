//! The Job planner: given a Job and the pods it controls, whether to start a pod and the
//! status to write. Failed pods are retried at once (no back-off delay in the sim).

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::cluster::objects::{controller_reference, whole_seconds};
use crate::cluster::pods;

pub const COMPLETE: &str = "Complete";
pub const FAILED: &str = "Failed";
pub const SUCCESS_CRITERIA_MET: &str = "SuccessCriteriaMet";
pub const FAILURE_TARGET: &str = "FailureTarget";

pub struct Observed<'a> {
    pub job: &'a Job,
    pub pods: Vec<&'a Pod>,
    pub now: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreatePod(Box<Pod>),
    WriteStatus(Box<JobStatus>),
}

pub fn plan(observed: &Observed<'_>) -> Vec<Action> {
    let job = observed.job;
    let Some(spec) = job.spec.as_ref() else {
        return Vec::new();
    };
    let old = job.status.clone().unwrap_or_default();
    let count = |phase: &str| observed.pods.iter().filter(|p| pods::phase(p) == phase).count() as i32;
    let succeeded = count("Succeeded");
    let failed = count("Failed");
    let active: Vec<&Pod> = observed
        .pods
        .iter()
        .copied()
        .filter(|p| pods::is_active(p))
        .collect();
    let ready = active.iter().filter(|p| pods::is_ready(p)).count() as i32;
    let completions = spec.completions.unwrap_or(1);
    let backoff_limit = spec.backoff_limit.unwrap_or(6);
    let suspended = spec.suspend.unwrap_or(false);
    let now = whole_seconds(observed.now);

    let mut status = JobStatus {
        active: Some(active.len() as i32).filter(|n| *n > 0),
        succeeded: Some(succeeded).filter(|n| *n > 0),
        failed: Some(failed).filter(|n| *n > 0),
        ready: Some(ready),
        terminating: Some(0),
        start_time: old
            .start_time
            .clone()
            .or_else(|| (!suspended).then(|| now.clone())),
        completion_time: old.completion_time.clone(),
        conditions: old.conditions.clone(),
        ..JobStatus::default()
    };
    let mut actions = Vec::new();
    let finished = has_condition(&old, COMPLETE) || has_condition(&old, FAILED);
    if !finished {
        if succeeded >= completions {
            add_condition(
                &mut status,
                SUCCESS_CRITERIA_MET,
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now,
            );
            add_condition(
                &mut status,
                COMPLETE,
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now,
            );
            status.completion_time = Some(now.clone());
        } else if failed > backoff_limit {
            add_condition(
                &mut status,
                FAILURE_TARGET,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                &now,
            );
            add_condition(
                &mut status,
                FAILED,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                &now,
            );
        } else if active.is_empty()
            && !suspended
            && job.metadata.deletion_timestamp.is_none()
            && let Some(pod) = pod_from_template(job)
        {
            actions.push(Action::CreatePod(Box::new(pod)));
        }
    }
    if job.status.as_ref() != Some(&status) {
        actions.push(Action::WriteStatus(Box::new(status)));
    }
    actions
}

fn has_condition(status: &JobStatus, type_: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == type_ && c.status == "True")
}

fn add_condition(
    status: &mut JobStatus,
    type_: &str,
    reason: &str,
    message: &str,
    now: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) {
    status.conditions.get_or_insert_with(Vec::new).push(JobCondition {
        type_: type_.to_string(),
        status: "True".to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_probe_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
    });
}

/// A Job's pod: the template, `generateName` `<job>-`, the Job's tracking labels and the
/// Job as controlling owner.
fn pod_from_template(job: &Job) -> Option<Pod> {
    let name = job.metadata.name.as_deref()?;
    let uid = job.metadata.uid.as_deref()?;
    let template = job.spec.as_ref()?.template.clone();
    let template_meta = template.metadata.unwrap_or_default();
    let mut labels = template_meta.labels.unwrap_or_default();
    for (key, value) in [
        ("batch.kubernetes.io/controller-uid", uid),
        ("controller-uid", uid),
        ("batch.kubernetes.io/job-name", name),
        ("job-name", name),
    ] {
        labels.insert(key.to_string(), value.to_string());
    }
    Some(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: job.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: template_meta.annotations,
            owner_references: Some(vec![controller_reference("batch/v1", "Job", &job.metadata)?]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod_fixtures::*;
    use k8s_openapi::api::batch::v1::JobSpec;

    fn job(backoff_limit: i32) -> Job {
        Job {
            metadata: ObjectMeta {
                name: Some("migrate".into()),
                namespace: Some("ns".into()),
                uid: Some("uid-job".into()),
                ..ObjectMeta::default()
            },
            spec: Some(JobSpec {
                backoff_limit: Some(backoff_limit),
                ..JobSpec::default()
            }),
            status: None,
        }
    }

    fn run(job: &Job, pods: &[Pod]) -> Vec<Action> {
        plan(&Observed {
            job,
            pods: pods.iter().collect(),
            now: now(),
        })
    }

    fn status(actions: &[Action]) -> JobStatus {
        actions
            .iter()
            .find_map(|a| match a {
                Action::WriteStatus(s) => Some(s.as_ref().clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no status in {actions:?}"))
    }

    #[test]
    fn a_new_job_starts_one_labelled_pod() {
        let actions = run(&job(0), &[]);
        let Some(Action::CreatePod(pod)) = actions.first() else {
            panic!("expected a pod: {actions:?}");
        };
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("job-name").map(String::as_str), Some("migrate"));
        assert_eq!(
            labels
                .get("batch.kubernetes.io/controller-uid")
                .map(String::as_str),
            Some("uid-job")
        );
        assert_eq!(pod.metadata.generate_name.as_deref(), Some("migrate-"));
        assert!(status(&actions).start_time.is_some());
    }

    #[test]
    fn a_running_pod_is_waited_for() {
        let actions = run(&job(0), &[pod("migrate-x").running().ready_at(-1)]);
        assert!(!actions.iter().any(|a| matches!(a, Action::CreatePod(_))));
        let status = status(&actions);
        assert_eq!(status.active, Some(1));
        assert_eq!(status.ready, Some(1));
    }

    #[test]
    fn a_succeeded_pod_completes_the_job() {
        let status = status(&run(&job(0), &[pod("migrate-x").phase("Succeeded")]));
        assert_eq!(status.succeeded, Some(1));
        assert!(has_condition(&status, COMPLETE));
        assert!(has_condition(&status, SUCCESS_CRITERIA_MET));
        assert!(status.completion_time.is_some());
    }

    #[test]
    fn failures_are_retried_until_the_backoff_limit() {
        let retry = run(&job(1), &[pod("migrate-a").phase("Failed")]);
        assert!(retry.iter().any(|a| matches!(a, Action::CreatePod(_))));
        let failed = [pod("migrate-a").phase("Failed"), pod("migrate-b").phase("Failed")];
        let actions = run(&job(1), &failed);
        assert!(!actions.iter().any(|a| matches!(a, Action::CreatePod(_))));
        let status = status(&actions);
        assert_eq!(status.failed, Some(2));
        assert!(has_condition(&status, FAILED));
        assert!(!has_condition(&status, COMPLETE));
    }

    #[test]
    fn a_finished_job_is_left_alone() {
        let mut done = job(0);
        done.status = Some(status(&run(&done, &[pod("migrate-x").phase("Succeeded")])));
        assert!(run(&done, &[pod("migrate-x").phase("Succeeded")]).is_empty());
    }
}
