//! linnet's controller crate: rollout planning and execution, the reconcilers, and the sync core
//! that keeps clusters equal to applications declared in Git.

pub mod rollout;
pub mod sync;
