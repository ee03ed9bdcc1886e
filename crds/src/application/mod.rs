//! The Argo CD kinds, field for field as Argo CD 3 defines them: `Application` (a set of
//! manifests from a repository, kept equal to what runs in a cluster) and `AppProject` (the
//! limits a group of Applications works within), with their validation.
//!
//! `Application` is written by hand (see [`resource`]) because Argo CD puts `operation` at
//! the top level of the object; `AppProject` uses kube's `CustomResource` derive.

pub mod codes;
pub mod helm;
pub mod kustomize;
pub mod operation;
pub mod operation_state;
pub mod project;
pub mod resource;
pub mod source;
pub mod spec;
pub mod status;
pub mod sync_options;
pub mod sync_policy;
mod validate_app;
mod validate_project;
mod validate_source;
mod validate_sync;

#[cfg(test)]
mod fixtures_test;
#[cfg(test)]
mod resource_test;
#[cfg(test)]
mod validate_app_test;
#[cfg(test)]
mod validate_project_test;
#[cfg(test)]
mod validate_test_support;

pub use codes::{HealthStatusCode, OperationPhase, SyncStatusCode};
pub use operation::Operation;
pub use project::{AppProject, AppProjectSpec, AppProjectStatus};
pub use resource::Application;
pub use source::ApplicationSource;
pub use spec::{ApplicationDestination, ApplicationSpec};
pub use status::ApplicationStatus;
pub use sync_policy::SyncPolicy;
