//! Table tests of the sync core's rules: hooks and waves, ordering, wave gating, comparison and
//! identity. Health has its own fixture-driven harness in `tests/health.rs`.

mod builders;
mod diff;
mod hooks;
mod identity;
mod ignore;
mod manifests;
mod order;
mod secrets;
mod waves;
