//! The job provider: a Kubernetes Job whose success or failure is the measurement.

use k8s_openapi::api::batch::v1::JobSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::Metadata;
use crate::schema_shapes::job_spec_without_descriptions;

/// A Job to run for each measurement: it succeeds, the measurement is Successful; it fails,
/// the measurement is Failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobMetric {
    /// Labels and annotations of the Job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The Job's spec, as in a `batch/v1` Job; `template` is required.
    #[schemars(schema_with = "job_spec_without_descriptions")]
    pub spec: JobSpec,
}
