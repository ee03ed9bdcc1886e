//! Traffic metrics: per-pod counters and latency histograms, the shared registry the traffic
//! task merges into, their Prometheus exposition and JSON form, and the HTTP listener that
//! serves `/metrics` and `/stats`.

pub mod exposition;
pub mod registry;
pub mod series;
pub mod server;
