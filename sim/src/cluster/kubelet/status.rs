//! The `PodStatus` a kubelet reports for a container stage: phase, conditions (PodScheduled,
//! Initialized, ContainersReady, Ready), container states with restart counts, IPs.
//!
//! Every timestamp derives from the container's start time plus the stage's offsets, so the
//! same moment always gives the same status and an unchanged pod is never written again.

use std::net::Ipv4Addr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus,
    HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::lifecycle::Stage;
use crate::cluster::behaviour::JobResult;
use crate::cluster::objects::whole_seconds;

/// The one simulated node every pod runs on.
pub const HOST_IP: &str = "10.0.0.1";

/// What the kubelet remembers about a pod it started (its "container runtime" state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    pub wall: jiff::Timestamp,
    pub ip: Ipv4Addr,
}

pub fn pod_status(pod: &Pod, started: &Started, stage: Stage, terminating: bool) -> PodStatus {
    let at = |offset: Duration| -> Time {
        let offset = jiff::SignedDuration::try_from(offset).unwrap_or_default();
        whole_seconds(started.wall.checked_add(offset).unwrap_or(started.wall))
    };
    let start = at(Duration::ZERO);
    let (phase, ready_since, not_ready_since, not_ready_reason) = match stage {
        Stage::Starting => ("Pending", None, Duration::ZERO, "ContainersNotReady"),
        Stage::Running { since, ready_at } => match ready_at {
            Some(ready) => ("Running", Some(ready), since, ""),
            None => ("Running", None, since, "ContainersNotReady"),
        },
        Stage::CrashLoop { first_run, .. } => ("Running", None, first_run, "ContainersNotReady"),
        Stage::Completed { result, at: end, .. } => {
            let phase = match result {
                JobResult::Succeeded => "Succeeded",
                JobResult::Failed => "Failed",
            };
            (phase, None, end, "PodCompleted")
        }
    };
    let ready = ready_since.is_some() && !terminating;
    let (ready_status, ready_time, ready_reason) = match ready_since {
        Some(since) if ready => ("True", at(since), None),
        _ => ("False", at(not_ready_since), Some(not_ready_reason.to_string())),
    };
    let condition = |type_: &str, status: &str, time: Time, reason: Option<String>| PodCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        last_transition_time: Some(time),
        reason,
        ..PodCondition::default()
    };
    let conditions = vec![
        condition("PodScheduled", "True", start.clone(), None),
        condition("Initialized", "True", start.clone(), None),
        condition(
            "ContainersReady",
            ready_status,
            ready_time.clone(),
            ready_reason.clone(),
        ),
        condition("Ready", ready_status, ready_time, ready_reason),
    ];
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let container_statuses = containers
        .iter()
        .map(|c| container_status(&c.name, c.image.clone().unwrap_or_default(), stage, ready, &at))
        .collect();
    let ip = (!matches!(stage, Stage::Starting)).then(|| started.ip.to_string());
    PodStatus {
        phase: Some(phase.to_string()),
        conditions: Some(conditions),
        container_statuses: Some(container_statuses),
        host_ip: Some(HOST_IP.to_string()),
        host_ips: Some(vec![HostIP {
            ip: HOST_IP.to_string(),
        }]),
        pod_ips: ip.clone().map(|ip| vec![PodIP { ip }]),
        pod_ip: ip,
        start_time: Some(start),
        qos_class: Some(qos_class(pod).to_string()),
        ..PodStatus::default()
    }
}

fn container_status(
    name: &str,
    image: String,
    stage: Stage,
    ready: bool,
    at: &dyn Fn(Duration) -> Time,
) -> ContainerStatus {
    let waiting = |reason: &str, message: Option<String>| ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_string()),
            message,
        }),
        ..ContainerState::default()
    };
    let terminated = |code: i32, reason: &str, started: Duration, finished: Duration| ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: code,
            reason: Some(reason.to_string()),
            started_at: Some(at(started)),
            finished_at: Some(at(finished)),
            ..ContainerStateTerminated::default()
        }),
        ..ContainerState::default()
    };
    let (state, last_state, restarts, started) = match stage {
        Stage::Starting => (waiting("ContainerCreating", None), None, 0, false),
        Stage::Running { since, .. } => {
            let running = ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(at(since)),
                }),
                ..ContainerState::default()
            };
            (running, None, 0, true)
        }
        Stage::CrashLoop {
            restarts,
            last_exit,
            first_run,
        } => {
            let message = format!("back-off restarting failed container={name}");
            let last = terminated(1, "Error", first_run, last_exit);
            (
                waiting("CrashLoopBackOff", Some(message)),
                Some(last),
                restarts,
                false,
            )
        }
        Stage::Completed {
            result,
            started,
            at: end,
        } => {
            let (code, reason) = match result {
                JobResult::Succeeded => (0, "Completed"),
                JobResult::Failed => (1, "Error"),
            };
            (terminated(code, reason, started, end), None, 0, false)
        }
    };
    ContainerStatus {
        name: name.to_string(),
        image: image.clone(),
        image_id: format!("sim://{image}"),
        container_id: Some(format!("sim://{name}")),
        ready,
        restart_count: restarts,
        started: Some(started),
        state: Some(state),
        last_state: last_state.or_else(|| Some(ContainerState::default())),
        ..ContainerStatus::default()
    }
}

/// BestEffort unless a container asks for resources (the sim does not tell Guaranteed apart).
fn qos_class(pod: &Pod) -> &'static str {
    let asks = pod.spec.iter().flat_map(|s| s.containers.iter()).any(|c| {
        c.resources.as_ref().is_some_and(|r| {
            r.requests.as_ref().is_some_and(|m| !m.is_empty())
                || r.limits.as_ref().is_some_and(|m| !m.is_empty())
        })
    });
    if asks { "Burstable" } else { "BestEffort" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod_fixtures::{now, pod};
    use k8s_openapi::api::core::v1::{Container, PodSpec};

    fn with_container(mut p: Pod) -> Pod {
        p.spec = Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                image: Some("app:v1".into()),
                ..Container::default()
            }],
            ..PodSpec::default()
        });
        p
    }

    fn started() -> Started {
        Started {
            wall: now(),
            ip: Ipv4Addr::new(10, 244, 0, 7),
        }
    }

    fn condition(status: &PodStatus, type_: &str) -> String {
        let found = status.conditions.iter().flatten().find(|c| c.type_ == type_);
        found.map(|c| c.status.clone()).unwrap_or_default()
    }

    #[test]
    fn starting_is_pending_without_ip() {
        let status = pod_status(&with_container(pod("p")), &started(), Stage::Starting, false);
        assert_eq!(status.phase.as_deref(), Some("Pending"));
        assert_eq!(status.pod_ip, None);
        assert_eq!(condition(&status, "PodScheduled"), "True");
        assert_eq!(condition(&status, "Ready"), "False");
        let container = &status.container_statuses.unwrap_or_default()[0];
        let reason = container
            .state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone());
        assert_eq!(reason.as_deref(), Some("ContainerCreating"));
    }

    #[test]
    fn ready_pod_has_ip_ready_conditions_and_a_ready_container() {
        let stage = Stage::Running {
            since: Duration::from_millis(200),
            ready_at: Some(Duration::from_secs(2)),
        };
        let status = pod_status(&with_container(pod("p")), &started(), stage, false);
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(status.pod_ip.as_deref(), Some("10.244.0.7"));
        assert_eq!(condition(&status, "Ready"), "True");
        assert_eq!(condition(&status, "ContainersReady"), "True");
        let ready = status.conditions.iter().flatten().find(|c| c.type_ == "Ready");
        let since = ready
            .and_then(|c| c.last_transition_time.clone())
            .map(|t| t.0.to_string());
        assert_eq!(since.as_deref(), Some("2024-05-01T10:00:02Z"));
        let container = &status.container_statuses.unwrap_or_default()[0];
        assert!(container.ready);
        assert_eq!(container.restart_count, 0);
        let terminating = pod_status(&with_container(pod("p")), &started(), stage, true);
        assert_eq!(condition(&terminating, "Ready"), "False");
    }

    #[test]
    fn crash_loop_reports_back_off_and_restarts() {
        let stage = Stage::CrashLoop {
            restarts: 3,
            last_exit: Duration::from_secs(8),
            first_run: Duration::from_millis(200),
        };
        let status = pod_status(&with_container(pod("p")), &started(), stage, false);
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(condition(&status, "Ready"), "False");
        let container = &status.container_statuses.unwrap_or_default()[0];
        assert_eq!(container.restart_count, 3);
        assert!(!container.ready);
        let reason = container
            .state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone());
        assert_eq!(reason.as_deref(), Some("CrashLoopBackOff"));
        let exit = container
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .map(|t| t.exit_code);
        assert_eq!(exit, Some(1));
    }

    #[test]
    fn completed_pods_report_their_result() {
        let stage = Stage::Completed {
            result: JobResult::Failed,
            started: Duration::from_millis(200),
            at: Duration::from_secs(1),
        };
        let status = pod_status(&with_container(pod("p")), &started(), stage, false);
        assert_eq!(status.phase.as_deref(), Some("Failed"));
        let container = &status.container_statuses.unwrap_or_default()[0];
        let exit = container
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .map(|t| t.exit_code);
        assert_eq!(exit, Some(1));
    }
}
