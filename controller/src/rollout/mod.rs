//! Rollouts: the pure planner that turns a Rollout and what it owns into actions, and the
//! objects (ReplicaSets, Service selectors, traffic routes) those actions write.

pub mod analysis_runs;
pub mod evict;
pub mod execute;
pub mod lean_writes;
pub mod neighbours;
pub mod objects;
pub mod observe;
pub mod observe_router;
pub mod plan;
pub mod reconcile;
pub mod relabel;
pub mod route;
pub mod runner;
pub mod workload_changes;
pub mod workload_watches;
