//! Health of a HorizontalPodAutoscaler, from its conditions.
//!
//! `autoscaling/v2` keeps them in `status.conditions`; `autoscaling/v1` has no such field and the
//! server serialises them as JSON into the `autoscaling.alpha.kubernetes.io/conditions`
//! annotation. A failure to read the scale target or a metric is Degraded, whatever the other
//! conditions say; otherwise the HPA is Healthy once it is able to scale (or is held at its
//! limits), and Progressing until it says either.

use serde_json::Value;

use super::{Health, HealthStatus};
use crate::sync::object::{self, Condition};

const V1_CONDITIONS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// (condition type, reason) pairs that mean the autoscaler cannot do its job.
const DEGRADED: [(&str, &str); 10] = [
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "FailedGetContainerResourceMetric"),
    ("ScalingActive", "FailedGetPodsMetric"),
    ("ScalingActive", "FailedGetObjectMetric"),
    ("ScalingActive", "FailedGetExternalMetric"),
    ("ScalingActive", "FailedComputeMetricsReplicas"),
    ("ScalingActive", "InvalidSelector"),
    ("ScalingActive", "InvalidMetricSourceType"),
];

pub(super) fn horizontal_pod_autoscaler(obj: &Value) -> Health {
    if object::str_at(obj, &["apiVersion"]) == Some("autoscaling/v1") {
        let Some(text) = object::annotation(obj, V1_CONDITIONS_ANNOTATION) else {
            return waiting();
        };
        return match serde_json::from_str::<Vec<Value>>(text) {
            Ok(conditions) => judge(conditions.iter().map(Condition::from_value)),
            Err(error) => Health::new(
                HealthStatus::Unknown,
                format!("annotation {V1_CONDITIONS_ANNOTATION} is not a list of conditions: {error}"),
            ),
        };
    }
    judge(object::conditions(obj))
}

fn judge<'a>(conditions: impl Iterator<Item = Condition<'a>> + Clone) -> Health {
    let is_degraded = |c: &Condition| DEGRADED.iter().any(|&(t, r)| c.type_ == t && c.reason == r);
    if let Some(failure) = conditions.clone().find(is_degraded) {
        return Health::degraded(failure.message);
    }
    let is_healthy = |c: &Condition| matches!(c.type_, "AbleToScale" | "ScalingLimited") && c.is_true();
    match conditions.clone().find(is_healthy) {
        Some(able) => Health::new(HealthStatus::Healthy, able.message),
        None => waiting(),
    }
}

fn waiting() -> Health {
    Health::progressing("Waiting for the autoscaler to report its conditions")
}
