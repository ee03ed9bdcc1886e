//! Synthetic traffic: sources annotated `sim.linnet.dev/rps` send requests that are routed
//! the way a data plane would route them, answered by pods according to their behaviour
//! annotations, and counted in the metrics registry.

pub mod compile;
pub mod headers;
pub mod latency;
pub mod model;
pub mod task;
pub mod weighted;
