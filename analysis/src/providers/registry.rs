//! Choosing the provider for a metric, so the reconciler can measure any metric with one
//! call; a metric whose provider is not built in gets an Error measurement saying so.

use jiff::Timestamp;
use linnet_crds::analysis::{Measurement, Metric};

use super::{MeasureContext, PrometheusProvider, Provider, ProviderError, WebProvider, error_measurement};

/// The providers this crate measures with, each built once and shared (connections are reused).
#[derive(Default)]
pub struct Providers {
    prometheus: PrometheusProvider,
    web: WebProvider,
}

impl Providers {
    pub fn new() -> Providers {
        Providers::default()
    }

    /// The provider that measures `metric`.
    ///
    /// # Errors
    /// [`ProviderError::Unsupported`] naming what the metric asks for when it is not
    /// `prometheus` or `web`. `job` metrics are run by the reconciler with
    /// [`job`](super::job), not through this trait.
    pub fn for_metric(&self, metric: &Metric) -> Result<&dyn Provider, ProviderError> {
        let provider = &metric.provider;
        match (&provider.prometheus, &provider.web) {
            (Some(_), None) => Ok(&self.prometheus),
            (None, Some(_)) => Ok(&self.web),
            _ => Err(ProviderError::Unsupported {
                metric: metric.name.clone(),
                has: match provider.names().join(", ") {
                    names if names.is_empty() => "none".to_string(),
                    names => names,
                },
            }),
        }
    }

    /// Takes a new measurement of `metric`; an unsupported provider is an Error measurement.
    pub async fn measure(&self, metric: &Metric, context: &MeasureContext) -> Measurement {
        match self.for_metric(metric) {
            Ok(provider) => provider.run(metric, context).await,
            Err(error) => error_measurement(Timestamp::now(), &error),
        }
    }
}
