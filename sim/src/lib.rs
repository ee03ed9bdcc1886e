//! The sim: an in-memory server that speaks the Kubernetes API well enough for kube-rs and
//! kubectl 1.32, and (later) a simulated cluster that acts on what it stores.
//!
//! It is a test double and a demo, never a product.

pub mod patch;
pub mod structural;
