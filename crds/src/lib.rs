//! The `argoproj.io/v1alpha1` API that linnet serves, field for field as Argo Rollouts and
//! Argo CD define it: the types, their validation with field paths, and the generated CRDs.
//!
//! Nothing here talks to a cluster. The controller converts these raw API types into what it
//! acts on only after [`Validate`] has found no errors.

pub mod analysis;
pub mod application;
pub mod common;
pub mod crd;
pub mod experiment;
pub mod findings;
pub mod kinds;
pub mod lint;
pub mod rollout;
pub mod schema_check;
pub mod schema_shapes;

pub use findings::{FieldPath, Finding, Severity, Validate};
pub use kinds::Kind;

/// The API group of every kind in this crate.
pub const GROUP: &str = "argoproj.io";
/// The only version the kinds are served at.
pub const VERSION: &str = "v1alpha1";
/// `GROUP/VERSION`, as written in a manifest's `apiVersion`.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";
