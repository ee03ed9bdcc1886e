//! The simulated Job controller: one pod at a time (parallelism 1), retried up to
//! `backoffLimit` failures, and the Complete or Failed condition with the pod counts.

pub mod controller;
pub mod plan;
