//! The simulated Deployment controller: ReplicaSets named `<deployment>-<pod-template-hash>`,
//! rolling updates within maxSurge/maxUnavailable, Recreate, revisions and the status that
//! `kubectl rollout status` reads.

pub mod controller;
pub mod plan;
pub mod rolling;
pub mod status;

#[cfg(test)]
mod fixtures;
