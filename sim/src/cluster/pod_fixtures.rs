//! Pod builders for planner tests: `pod("web-1").running().ready_at(-5)`.

use k8s_openapi::api::core::v1::{Pod, PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

pub fn now() -> jiff::Timestamp {
    "2024-05-01T10:00:00Z".parse().unwrap_or_default()
}

pub fn at(seconds_after_now: i64) -> Time {
    Time(now() + jiff::SignedDuration::from_secs(seconds_after_now))
}

pub fn pod(name: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            uid: Some(format!("uid-{name}")),
            creation_timestamp: Some(at(-100)),
            labels: Some([("app".to_string(), "web".to_string())].into_iter().collect()),
            ..ObjectMeta::default()
        },
        spec: None,
        status: Some(PodStatus {
            phase: Some("Pending".into()),
            ..PodStatus::default()
        }),
    }
}

pub trait PodFixture {
    fn running(self) -> Self;
    fn phase(self, phase: &str) -> Self;
    /// Ready since `seconds` relative to [`now`].
    fn ready_at(self, seconds: i64) -> Self;
    fn created_at(self, seconds: i64) -> Self;
    fn ip(self, ip: &str) -> Self;
    fn label(self, key: &str, value: &str) -> Self;
    fn terminating(self) -> Self;
}

impl PodFixture for Pod {
    fn running(self) -> Self {
        self.phase("Running").ip("10.0.0.9")
    }
    fn phase(mut self, phase: &str) -> Self {
        if let Some(status) = self.status.as_mut() {
            status.phase = Some(phase.into());
        }
        self
    }
    fn ready_at(mut self, seconds: i64) -> Self {
        if let Some(status) = self.status.as_mut() {
            status.conditions = Some(vec![PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: Some(at(seconds)),
                ..PodCondition::default()
            }]);
        }
        self
    }
    fn created_at(mut self, seconds: i64) -> Self {
        self.metadata.creation_timestamp = Some(at(seconds));
        self
    }
    fn ip(mut self, ip: &str) -> Self {
        if let Some(status) = self.status.as_mut() {
            status.pod_ip = Some(ip.into());
        }
        self
    }
    fn label(mut self, key: &str, value: &str) -> Self {
        self.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(key.into(), value.into());
        self
    }
    fn terminating(mut self) -> Self {
        self.metadata.deletion_timestamp = Some(at(0));
        self
    }
}
