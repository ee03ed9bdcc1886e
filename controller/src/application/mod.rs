//! Applications: the reconciler that keeps a cluster equal to what an Application points at in
//! Git, and the rules around it (projects, destination clusters, refresh webhooks).

pub mod clusters;
pub mod project;
pub mod webhook;
