//! The analysis kinds of `argoproj.io/v1alpha1`, field for field as Argo Rollouts defines them:
//! `AnalysisTemplate`, `ClusterAnalysisTemplate` and `AnalysisRun`, with their metrics, metric
//! providers, arguments and run status, and the rules a valid one obeys.

pub mod args;
pub mod metric;
pub mod providers;
pub(crate) mod resource;
pub mod run;
pub mod status;
pub mod template;
pub mod validate;

#[cfg(test)]
mod fixture_tests;

pub use args::{Argument, FieldRef, SecretKeyRef, ValueFrom, referenced_args};
pub use metric::{CountValue, Metric};
pub use providers::MetricProvider;
pub use run::{AnalysisRun, AnalysisRunSpec, TtlStrategy};
pub use status::{AnalysisPhase, AnalysisRunStatus, Measurement, MetricResult, RunSummary};
pub use template::{AnalysisTemplate, AnalysisTemplateRef, AnalysisTemplateSpec, ClusterAnalysisTemplate};
