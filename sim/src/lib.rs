//! The sim: an in-memory server that speaks the Kubernetes API well enough for kube-rs and
//! kubectl 1.32, and (later) a simulated cluster that acts on what it stores.
//!
//! It is a test double and a demo, never a product. A test starts it in-process with
//! [`start`] on an ephemeral loopback port and gets a [`SimHandle`] with the address and a
//! kubeconfig file; dropping the handle stops the server.

pub mod patch;
pub mod structural;

mod admission;
mod builtins;
pub mod clock;
pub mod cluster;
mod crd;
mod defaults;
mod deletion;
mod discovery;
mod engines;
pub mod errors;
pub mod faults;
mod gc;
mod handlers;
mod http;
mod ids;
mod kubeconfig;
mod meta;
mod openapi;
mod registry;
pub mod request_log;
mod router;
mod selectors;
mod server;
mod service;
mod store;
mod typed;
mod world;

pub use clock::{Clock, ManualClock, SystemClock};
pub use errors::ApiError;
pub use faults::Faults;
pub use request_log::RequestRecord;
pub use server::{SimError, SimHandle, SimOptions, run_until_signal, start};
