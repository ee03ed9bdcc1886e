//! The Prometheus provider: an instant query to `/api/v1/query` (or a range query to
//! `/api/v1/query_range`), whose numbers the metric's conditions judge. The resolved query is
//! recorded in the metric's metadata.

pub mod answer;
pub mod range;

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::analysis::providers::PrometheusMetric;
use linnet_crds::analysis::{Measurement, Metric};
use reqwest::Url;

use super::http::{self, Caller, Clients};
use super::{MeasureContext, Measuring, Provider, ProviderError, error_measurement, judged_measurement};
use answer::{AnswerError, QueryResult, read_answer};

/// The metadata key Argo Rollouts records the query under.
pub const RESOLVED_QUERY_KEY: &str = "ResolvedPrometheusQuery";
/// Query timeout when the metric sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

const KIND: &str = "prometheus";

/// Measures metrics with a `prometheus` provider.
#[derive(Default)]
pub struct PrometheusProvider {
    clients: Clients,
}

impl PrometheusProvider {
    pub fn new() -> PrometheusProvider {
        PrometheusProvider::default()
    }

    /// Sends the metric's query and reads the numbers it returns.
    ///
    /// # Errors
    /// A [`ProviderError`] naming the metric and the address: missing fields, an unreachable
    /// server, a timeout, an error answer, or a result that is not numbers.
    pub async fn query(
        &self,
        metric: &Metric,
        context: &MeasureContext,
        now: Timestamp,
    ) -> Result<QueryResult, ProviderError> {
        let caller = Caller {
            metric: &metric.name,
            provider: KIND,
        };
        let missing = |field| ProviderError::MissingField {
            metric: metric.name.clone(),
            provider: KIND,
            field,
        };
        let spec: &PrometheusMetric = metric
            .provider
            .prometheus
            .as_ref()
            .ok_or_else(|| missing("prometheus"))?;
        let query = spec.query.as_deref().ok_or_else(|| missing("query"))?;
        let address = spec
            .address
            .as_deref()
            .or(context.default_prometheus_address.as_deref());
        let address = address
            .filter(|a| !a.is_empty())
            .ok_or_else(|| missing("address"))?;
        let timeout = match spec.timeout {
            Some(seconds) if seconds < 0 => return Err(caller.invalid("timeout", "must not be negative")),
            Some(seconds) if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
            _ => DEFAULT_TIMEOUT,
        };
        let address = address.trim_end_matches('/');
        let url = match &spec.range_query {
            None => {
                let endpoint = format!("{address}/api/v1/query");
                Url::parse_with_params(&endpoint, [("query", query), ("time", &range::api_time(now))])
            }
            Some(args) => {
                let window =
                    range::window(args, now).map_err(|(field, reason)| caller.invalid(field, reason))?;
                let endpoint = format!("{address}/api/v1/query_range");
                let step = format!("{:.3}", window.step.as_secs_f64());
                let start = range::api_time(window.start);
                let end = range::api_time(window.end);
                Url::parse_with_params(
                    &endpoint,
                    [
                        ("query", query),
                        ("start", &start),
                        ("end", &end),
                        ("step", &step),
                    ],
                )
            }
        }
        .map_err(|error| caller.invalid("address", format!("{address:?}: {error}")))?;
        let shown = http::shown(&url);
        let client = spec.insecure.unwrap_or(false);
        let client = self
            .clients
            .get(client)
            .map_err(|reason| ProviderError::Unreachable {
                metric: metric.name.clone(),
                provider: KIND,
                address: shown.clone(),
                reason,
            })?;
        let request = http::authenticate(
            caller,
            client.get(url),
            spec.headers.as_deref(),
            spec.authentication.as_ref(),
        )?;
        let (status, body) = http::send(caller, &shown, request, timeout).await?;
        read_answer(&body).map_err(|error| match error {
            AnswerError::Refused { error_type, error } => ProviderError::Prometheus {
                metric: metric.name.clone(),
                address: shown.clone(),
                error_type,
                error,
            },
            _ if !(200..300).contains(&status) => ProviderError::Status {
                metric: metric.name.clone(),
                provider: KIND,
                address: shown.clone(),
                status,
                body: http::excerpt(&body),
            },
            AnswerError::Malformed(reason) | AnswerError::Unsupported(reason) => ProviderError::Decode {
                metric: metric.name.clone(),
                provider: KIND,
                address: shown.clone(),
                reason,
            },
        })
    }

    async fn measure(&self, metric: &Metric, context: &MeasureContext) -> Measurement {
        let started = Timestamp::now();
        match self.query(metric, context, started).await {
            Ok(result) => judged_measurement(metric, KIND, started, result.value(), result.printed(), None),
            Err(error) => error_measurement(started, &error),
        }
    }
}

impl Provider for PrometheusProvider {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, metric: &'a Metric, context: &'a MeasureContext) -> Measuring<'a> {
        Box::pin(self.measure(metric, context))
    }

    fn metadata(&self, metric: &Metric) -> BTreeMap<String, String> {
        let query = metric
            .provider
            .prometheus
            .as_ref()
            .and_then(|spec| spec.query.clone());
        query
            .map(|query| (RESOLVED_QUERY_KEY.to_string(), query))
            .into_iter()
            .collect()
    }
}
