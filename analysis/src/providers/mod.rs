//! Metric providers behind one trait: each takes a metric (its placeholders already
//! resolved) and returns a [`Measurement`], judged with the metric's conditions.
//!
//! A provider never panics on what a server or a user sends: every failure becomes a
//! measurement in phase Error whose message names the metric and the provider (and never a
//! credential). The lifecycle follows Argo Rollouts: [`Provider::run`] starts a measurement,
//! [`Provider::resume`] looks again at one still running (Jobs), [`Provider::terminate`]
//! stops one, [`Provider::garbage_collect`] removes what old measurements left behind.

mod error;
mod http;
pub mod job;
mod judging;
pub mod prometheus;
mod registry;
pub mod web;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use linnet_crds::analysis::{Measurement, Metric};

pub use error::ProviderError;
pub use judging::{error_measurement, judged_measurement};
pub use prometheus::PrometheusProvider;
pub use registry::Providers;
pub use web::WebProvider;

/// The environment variable that gives Prometheus metrics without an `address` one.
pub const PROMETHEUS_ADDRESS_ENV: &str = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS";

/// A measurement being taken.
pub type Measuring<'a> = Pin<Box<dyn Future<Output = Measurement> + Send + 'a>>;

/// What providers may need besides the metric.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeasureContext {
    /// Address for Prometheus metrics that name none.
    pub default_prometheus_address: Option<String>,
}

impl MeasureContext {
    /// The context the controller runs with, read from its environment.
    pub fn from_env() -> MeasureContext {
        MeasureContext {
            default_prometheus_address: std::env::var(PROMETHEUS_ADDRESS_ENV).ok(),
        }
    }
}

/// A system metrics are measured with.
pub trait Provider: Send + Sync {
    /// The provider's JSON name, e.g. `prometheus`.
    fn kind(&self) -> &'static str;

    /// Takes a new measurement. Never fails: problems are measurements in phase Error.
    fn run<'a>(&'a self, metric: &'a Metric, context: &'a MeasureContext) -> Measuring<'a>;

    /// Looks again at a measurement that is still running. Providers that measure at once
    /// return it unchanged.
    fn resume<'a>(&'a self, _metric: &'a Metric, measurement: Measurement) -> Measuring<'a> {
        Box::pin(async move { measurement })
    }

    /// Stops a running measurement. Providers that measure at once return it unchanged.
    fn terminate<'a>(&'a self, _metric: &'a Metric, measurement: Measurement) -> Measuring<'a> {
        Box::pin(async move { measurement })
    }

    /// Removes what measurements beyond the `keep` most recent left behind.
    fn garbage_collect<'a>(
        &'a self,
        _metric: &'a Metric,
        _keep: usize,
    ) -> Pin<Box<dyn Future<Output = Result<(), ProviderError>> + Send + 'a>> {
        Box::pin(async { Ok(()) })
    }

    /// Facts about the metric as a whole for its result's `metadata` (the resolved query).
    fn metadata(&self, _metric: &Metric) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
}
