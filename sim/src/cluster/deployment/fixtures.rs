//! Builders for Deployments and ReplicaSets in planner tests, reading like the situation they
//! set up: `deployment("web").replicas(3)`, `replica_set("web-abc").owned_by(&d).ready(2)`.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus,
    RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::cluster::objects::controller_reference;

pub const NOW: &str = "2024-05-01T10:00:00Z";

pub fn now() -> jiff::Timestamp {
    NOW.parse().unwrap_or_default()
}

pub fn at(seconds_after_now: i64) -> Time {
    Time(now() + jiff::SignedDuration::from_secs(seconds_after_now))
}

fn labels(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn template(image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(&[("app", "web")])),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                image: Some(image.into()),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
    }
}

pub fn deployment(name: &str) -> Deployment {
    Deployment {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            uid: Some(format!("uid-{name}")),
            generation: Some(1),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(3),
            selector: LabelSelector {
                match_labels: Some(labels(&[("app", "web")])),
                ..LabelSelector::default()
            },
            template: template("app:v1"),
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

pub trait DeploymentFixture {
    fn replicas(self, n: i32) -> Self;
    fn image(self, image: &str) -> Self;
    fn rolling(self, surge: i32, unavailable: i32) -> Self;
    fn recreate(self) -> Self;
}

impl DeploymentFixture for Deployment {
    fn replicas(mut self, n: i32) -> Self {
        if let Some(spec) = self.spec.as_mut() {
            spec.replicas = Some(n);
        }
        self
    }
    fn image(mut self, image: &str) -> Self {
        if let Some(spec) = self.spec.as_mut() {
            spec.template = template(image);
        }
        self
    }
    fn rolling(mut self, surge: i32, unavailable: i32) -> Self {
        if let Some(spec) = self.spec.as_mut() {
            spec.strategy = Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(surge)),
                    max_unavailable: Some(IntOrString::Int(unavailable)),
                }),
            });
        }
        self
    }
    fn recreate(mut self) -> Self {
        if let Some(spec) = self.spec.as_mut() {
            spec.strategy = Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            });
        }
        self
    }
}

/// A ReplicaSet that `deployment` controls, with the deployment's current template (as a
/// real one would have after the controller made it) and `replicas` all ready and available.
pub fn replica_set_of(deployment: &Deployment, hash: &str, replicas: i32, revision: i32) -> ReplicaSet {
    let name = format!("{}-{hash}", deployment.metadata.name.clone().unwrap_or_default());
    let mut template = deployment.spec.clone().unwrap_or_default().template;
    if let Some(meta) = template.metadata.as_mut() {
        meta.labels
            .get_or_insert_with(Default::default)
            .insert("pod-template-hash".into(), hash.into());
    }
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some("ns".into()),
            uid: Some(format!("uid-rs-{hash}")),
            creation_timestamp: Some(at(i64::from(revision))),
            annotations: Some(labels(&[(
                "deployment.kubernetes.io/revision",
                &revision.to_string(),
            )])),
            owner_references: controller_reference("apps/v1", "Deployment", &deployment.metadata)
                .map(|r| vec![r]),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            template: Some(template),
            ..ReplicaSetSpec::default()
        }),
        status: Some(ReplicaSetStatus {
            replicas,
            ready_replicas: Some(replicas),
            available_replicas: Some(replicas),
            ..ReplicaSetStatus::default()
        }),
    }
}

pub trait ReplicaSetFixture {
    /// Of its pods, only `n` are ready and available.
    fn available(self, n: i32) -> Self;
    /// `status.replicas` (pods that still exist), e.g. while scaling down.
    fn existing(self, n: i32) -> Self;
}

impl ReplicaSetFixture for ReplicaSet {
    fn available(mut self, n: i32) -> Self {
        if let Some(status) = self.status.as_mut() {
            status.ready_replicas = Some(n);
            status.available_replicas = Some(n);
        }
        self
    }
    fn existing(mut self, n: i32) -> Self {
        if let Some(status) = self.status.as_mut() {
            status.replicas = n;
        }
        self
    }
}
