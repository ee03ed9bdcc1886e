//! The simulated ReplicaSet controller: keeps `spec.replicas` pods alive, named
//! `<replicaset>-<random5>` and owned by the ReplicaSet, and counts them in the status.

pub mod controller;
pub mod plan;
