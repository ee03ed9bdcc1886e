//! The web provider: an HTTP request whose JSON answer (or the part a `jsonPath` such as
//! `{$.data.ok}` picks) is the metric's `result`. A non-2xx answer is an Error measurement.

use std::time::Duration;

use jiff::Timestamp;
use jsonpath_rust::JsonPath;
use linnet_crds::analysis::providers::WebMetric;
use linnet_crds::analysis::{Measurement, Metric};
use reqwest::{Method, Url};
use serde_json::Value as Json;

use super::http::{self, Caller, Clients};
use super::{MeasureContext, Measuring, Provider, ProviderError, error_measurement, judged_measurement};
use crate::condition::Value;

/// Request timeout when the metric sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

const KIND: &str = "web";

/// Measures metrics with a `web` provider.
#[derive(Default)]
pub struct WebProvider {
    clients: Clients,
}

impl WebProvider {
    pub fn new() -> WebProvider {
        WebProvider::default()
    }

    /// Sends the metric's request and picks its `jsonPath` out of the answer.
    ///
    /// # Errors
    /// A [`ProviderError`] naming the metric and the URL (without its query string).
    pub async fn fetch(&self, metric: &Metric) -> Result<Json, ProviderError> {
        let caller = Caller {
            metric: &metric.name,
            provider: KIND,
        };
        let spec: &WebMetric = metric
            .provider
            .web
            .as_ref()
            .ok_or_else(|| ProviderError::MissingField {
                metric: metric.name.clone(),
                provider: KIND,
                field: "web",
            })?;
        let url = Url::parse(&spec.url).map_err(|error| caller.invalid("url", error.to_string()))?;
        let shown = http::shown(&url);
        let method = spec.method.as_deref().unwrap_or("GET");
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| caller.invalid("method", format!("{method:?} is not an HTTP method")))?;
        let timeout = match spec.timeout_seconds {
            Some(seconds) if seconds < 0 => {
                return Err(caller.invalid("timeoutSeconds", "must not be negative"));
            }
            Some(seconds) if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
            _ => DEFAULT_TIMEOUT,
        };
        let client = self
            .clients
            .get(spec.insecure.unwrap_or(false))
            .map_err(|reason| ProviderError::Unreachable {
                metric: metric.name.clone(),
                provider: KIND,
                address: shown.clone(),
                reason,
            })?;
        let mut request = client.request(method, url);
        if let Some(json) = &spec.json_body {
            request = request.json(json);
        } else if let Some(body) = &spec.body {
            request = request.body(body.clone());
        }
        let request = http::authenticate(
            caller,
            request,
            spec.headers.as_deref(),
            spec.authentication.as_ref(),
        )?;
        let (status, body) = http::send(caller, &shown, request, timeout).await?;
        if !(200..300).contains(&status) {
            return Err(ProviderError::Status {
                metric: metric.name.clone(),
                provider: KIND,
                address: shown,
                status,
                body: http::excerpt(&body),
            });
        }
        let decode = |reason: String| ProviderError::Decode {
            metric: metric.name.clone(),
            provider: KIND,
            address: shown.clone(),
            reason,
        };
        let document: Json =
            serde_json::from_slice(&body).map_err(|error| decode(format!("not JSON: {error}")))?;
        let path = json_path(spec.json_path.as_deref());
        pick(&document, &path).map_err(decode)
    }

    async fn measure(&self, metric: &Metric) -> Measurement {
        let started = Timestamp::now();
        match self.fetch(metric).await {
            Ok(found) => {
                let printed = print(&found);
                judged_measurement(metric, KIND, started, Value::from(found), printed, None)
            }
            Err(error) => error_measurement(started, &error),
        }
    }
}

impl Provider for WebProvider {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, metric: &'a Metric, _context: &'a MeasureContext) -> Measuring<'a> {
        Box::pin(self.measure(metric))
    }
}

/// A Kubernetes-style path (`{$.data.ok}`, `{.data.ok}`, `$.data.ok`) as JSONPath (`$.data.ok`).
pub fn json_path(written: Option<&str>) -> String {
    let path = written.unwrap_or("{$}").trim();
    let path = path
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(path)
        .trim();
    match path {
        "" => "$".to_string(),
        p if p.starts_with('$') => p.to_string(),
        p if p.starts_with('.') || p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// The value at `path`: one match is that value, several are a list, none is an error.
pub fn pick(document: &Json, path: &str) -> Result<Json, String> {
    let found = document
        .query(path)
        .map_err(|error| format!("jsonPath {path:?}: {error}"))?;
    match found.as_slice() {
        [] => Err(format!("jsonPath {path:?} matched nothing")),
        [one] => Ok((*one).clone()),
        many => Ok(Json::Array(many.iter().map(|value| (*value).clone()).collect())),
    }
}

/// The measurement's `value`: a string as is, anything else as compact JSON.
pub fn print(found: &Json) -> String {
    match found {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}
