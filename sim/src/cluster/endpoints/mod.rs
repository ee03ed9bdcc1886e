//! The simulated endpoints controllers: an `Endpoints` object and `EndpointSlice`s for every
//! Service with a selector, following pod readiness.

pub mod controller;
pub mod plan;
