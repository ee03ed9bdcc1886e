//! The simulated cluster: controllers that act on what the sim's API server stores, the way
//! a real cluster's controllers and kubelet do, plus synthetic traffic and its metrics.
//!
//! Every part is an ordinary API client of the server (kube-rs reflectors and requests to the
//! server's own address), so the cluster exercises the API as any client would and needs none
//! of the server's internals.
//!
//! Start it after the server: `start_cluster(&sim.url(), ClusterOptions::default())`; the
//! returned [`ClusterHandle`] stops everything when dropped. What runs:
//!
//! - [`deployment`], [`replicaset`], [`job`]: the workload controllers, each a pure planner
//!   plus a thin executor;
//! - [`kubelet`]: pod lifecycles driven by the annotations in [`behaviour`];
//! - [`endpoints`]: `Endpoints` and `EndpointSlice`s of selector Services;
//! - [`traffic`]: synthetic requests (`sim.linnet.dev/rps`, `sim.linnet.dev/request-headers`)
//!   through Services, NGINX canary Ingresses, HTTPRoutes, VirtualServices, TrafficSplits,
//!   weighted TraefikServices and ApisixRoutes;
//! - [`metrics`]: their counts as `/metrics` (Prometheus text) and `/stats` (JSON).

pub mod behaviour;
pub mod cache;
pub mod deployment;
pub mod driver;
pub mod endpoints;
pub mod errors;
pub mod handle;
pub mod hash;
pub mod job;
pub mod kubelet;
pub mod metrics;
pub mod objects;
pub mod pods;
pub mod replicaset;
pub mod rng;
pub mod selector;
pub mod traffic;
pub mod view;
pub mod writes;

pub use errors::ClusterError;
pub use handle::{ClusterHandle, ClusterOptions, start_cluster};
pub use metrics::exposition::{SeriesStats, Stats, UnroutedStats};

#[cfg(test)]
mod pod_fixtures;
