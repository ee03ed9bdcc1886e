//! linnet's controller crate: rollout planning and execution, the reconcilers, and the sync core
//! that keeps clusters equal to applications declared in Git.

pub mod analysis_run;
pub mod application;
pub mod events;
pub mod experiment;
pub mod leader;
pub mod lean;
pub mod render;
pub mod rollout;
pub mod run;
pub mod source;
pub mod sync;
pub mod wakes;
