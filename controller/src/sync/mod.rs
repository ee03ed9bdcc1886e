//! The pure core of the Git-driven sync: everything the Application reconciler decides without
//! talking to a cluster.
//!
//! Every function here works on objects held as `serde_json::Value` (desired manifests rendered
//! from Git, live objects read from the cluster) and does no I/O:
//!
//! - [`health`] assesses a live object's health the way Argo CD does and rolls many up into one;
//! - [`hooks`] and [`options`] read the per-resource annotations (hooks, waves, sync options);
//! - [`order`] turns desired and extraneous objects into sync tasks in apply order;
//! - [`waves`] picks the wave to apply next from what the cluster shows;
//! - [`diff`] compares a desired object with its live counterpart;
//! - [`identity`] names resources and reads the tracking annotation;
//! - [`tracking`] decides which live objects an Application owns and marks what it applies, by
//!   annotation, label or both.

pub mod diff;
mod error;
pub mod health;
pub mod hooks;
pub mod identity;
mod object;
pub mod options;
pub mod order;
pub mod tracking;
pub mod waves;

pub use error::SyncError;
pub use identity::ResourceKey;
